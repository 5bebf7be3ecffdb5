# Export the LSAT section 6 data (Bock & Lieberman 1970; N = 1000, 5 binary items),
# shipped as psych::lsat6 (identical to ltm::LSAT), for the GRM/2PL reference test.
# Run: Rscript export_lsat6.R
suppressMessages(library(psych))
d <- psych::lsat6
colnames(d) <- paste0("Item", 1:5)
write.csv(d, "lsat6.csv", row.names = FALSE)
