# Cross-check of evalkit.prepost.impute against R mice (Debian r-cran-mice): the example
# coalition GM0014 (intervention group; input ../prepost_mixed/input.csv), wide per
# participant (pre, post, age from the pre row), pmm with 5 donors, maxit 10, m = 500;
# analysis lm(post - pre ~ 1), pooled by mice::pool (Rubin, Barnard-Rubin df).
# Different random numbers than evalkit, so the comparison is within Monte Carlo error.
# Run: Rscript mice.R  (in this folder)
suppressPackageStartupMessages({library(mice); library(jsonlite)})
d <- read.csv("../prepost_mixed/input.csv")
d <- d[d$municipality_code == "GM0014", ]
pre <- d[d$wave == "pre", c("participant_id", "total", "age")]
post <- d[d$wave == "post", c("participant_id", "total")]
w <- merge(pre, post, by = "participant_id", all = TRUE, suffixes = c("_pre", "_post"))
w <- data.frame(pre = w$total_pre, post = w$total_post, age = w$age)
imp <- mice(w, m = 500, maxit = 10, method = "pmm", seed = 20261207, printFlag = FALSE)
fit <- with(imp, lm(I(post - pre) ~ 1))
p <- pool(fit)
s <- summary(p, conf.int = TRUE)
out <- list(n = nrow(w), n_missing_post = sum(is.na(w$post)), m = 500,
            estimate = s$estimate, std_error = s$std.error, df = s$df,
            ci_lower = s[["2.5 %"]], ci_upper = s[["97.5 %"]],
            between = p$pooled$b, within = p$pooled$ubar, fmi = p$pooled$fmi)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "mice.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
