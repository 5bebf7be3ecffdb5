# Weighted least squares references for evalkit.did two_by_two/twfe/event_study(weights=).
# Run from the repository root: Rscript tests/reference/did/weighted_sandwich.R
# 2x2: lm(weights = w) with vcov (conventional), vcovHC HC1 and vcovCL HC1 (= CR1).
# TWFE / event study: lm with unit and time dummies and weights; cluster-robust by unit,
# vcovCL(type = "HC0", cadjust = TRUE) = G/(G-1) * sandwich (linearmodels' PanelOLS
# adds its own small-sample factor; the test checks the ratio is the same weighted
# and unweighted).
suppressMessages(library(sandwich))
out <- list()
d <- read.csv("tests/reference/did/cr1_weighted.csv")
for (spec in c("nocov", "age")) {
  f <- if (spec == "nocov") y ~ treated + post + treated:post else y ~ treated + post + treated:post + age
  m <- lm(f, data = d, weights = w)
  j <- "treated:post"
  out[[paste0("twobytwo_", spec)]] <- list(
    estimate = unname(coef(m)[j]),
    se_conventional = unname(sqrt(diag(vcov(m)))[j]),
    se_hc1 = unname(sqrt(diag(vcovHC(m, type = "HC1")))[j]),
    se_cr1 = unname(sqrt(diag(vcovCL(m, cluster = ~neighbourhood, type = "HC1")))[j]))
}
p <- read.csv("tests/reference/did/twfe_weighted.csv")
for (wt in c("w", "none")) {
  ww <- if (wt == "w") p$w else rep(1, nrow(p))
  m <- lm(y ~ treated + factor(unit) + factor(time), data = p, weights = ww)
  out[[paste0("twfe_", wt)]] <- list(
    estimate = unname(coef(m)["treated"]),
    se_cl_hc0 = unname(sqrt(vcovCL(m, cluster = ~unit, type = "HC0", cadjust = TRUE)["treated", "treated"])))
  p$e <- ifelse(p$g > 0, pmin(pmax(p$time - p$g, -3), 3), NA)
  for (ev in c(-3, -2, 0, 1, 2, 3)) p[[paste0("e", ev + 10)]] <- as.numeric(!is.na(p$e) & p$e == ev)
  nm <- paste0("e", c(-3, -2, 0, 1, 2, 3) + 10)
  m2 <- lm(as.formula(paste("y ~", paste(nm, collapse = " + "), "+ factor(unit) + factor(time)")),
           data = p, weights = ww)
  V <- vcovCL(m2, cluster = ~unit, type = "HC0", cadjust = TRUE)[nm, nm]
  out[[paste0("event_study_", wt)]] <- list(estimate = unname(coef(m2)[nm]),
                                           se_cl_hc0 = unname(sqrt(diag(V))))
}
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/did/weighted_sandwich.json")
writeLines(capture.output(sessionInfo()), "tests/reference/did/sessionInfo_weighted.txt")
