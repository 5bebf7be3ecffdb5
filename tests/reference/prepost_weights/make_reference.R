# Weighted paired mean difference for evalkit.prepost.paired(weights=).
# Data: paired_weighted.csv (written by this script from a fixed R seed: 40 participants,
# pre/post DJG-like totals, a sampling weight per participant).
# Reference: lm(d ~ 1, weights = w) with sandwich::vcovHC(type = "HC1") and a t
# interval with n - 1 df (the with-replacement linearisation variance of survey::svymean).
# Run from the repository root: Rscript tests/reference/prepost_weights/make_reference.R
suppressMessages(library(sandwich))
set.seed(2026)
n <- 40
pre <- round(runif(n, 0, 11))
post <- pmin(11, pmax(0, pre + round(rnorm(n, -0.8, 1.5))))
w <- round(runif(n, 0.3, 3), 4)
d <- data.frame(id = rep(sprintf("p%02d", 1:n), each = 2), wave = rep(c("pre", "post"), n),
                total = as.vector(rbind(pre, post)), w = rep(w, each = 2))
write.csv(d, "tests/reference/prepost_weights/paired_weighted.csv", row.names = FALSE)
dd <- post - pre
m <- lm(dd ~ 1, weights = w)
se <- sqrt(vcovHC(m, type = "HC1")[1, 1])
est <- unname(coef(m))
tc <- qt(0.975, n - 1)
out <- list(estimate = est, std_error = se, ci_lower = est - tc * se, ci_upper = est + tc * se,
            p_value = 2 * pt(-abs(est / se), n - 1), n = n)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/prepost_weights/reference.json")
writeLines(capture.output(sessionInfo()), "tests/reference/prepost_weights/sessionInfo.txt")
