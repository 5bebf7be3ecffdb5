# Reference standard errors for evalkit.did.two_by_two on cr1_data.csv.
# Run from the repository root: Rscript tests/reference/did/cr1_sandwich.R
# R 'sandwich' (vcovCL type = "HC1" = Stata's CR1; vcovHC type = "HC1").
library(sandwich)
d <- read.csv("tests/reference/did/cr1_data.csv")
out <- list()
for (spec in c("nocov", "age")) {
  f <- if (spec == "nocov") y ~ treated + post + treated:post else y ~ treated + post + treated:post + age
  m <- lm(f, data = d)
  j <- "treated:post"
  out[[spec]] <- list(
    estimate = unname(coef(m)[j]),
    se_conventional = unname(sqrt(diag(vcov(m)))[j]),
    se_hc1 = unname(sqrt(diag(vcovHC(m, type = "HC1")))[j]),
    se_cr1 = unname(sqrt(diag(vcovCL(m, cluster = ~neighbourhood, type = "HC1")))[j]),
    n = nrow(d), n_clusters = length(unique(d$neighbourhood))
  )
}
s <- paste0("{", paste(sapply(names(out), function(k) {
  v <- out[[k]]
  paste0('"', k, '": {', paste(sprintf('"%s": %.17g', names(v), unlist(v)), collapse = ", "), "}")
}), collapse = ", "), "}")
writeLines(s, "tests/reference/did/cr1_sandwich.json")
cat(R.version.string, "sandwich", as.character(packageVersion("sandwich")), "\n")
