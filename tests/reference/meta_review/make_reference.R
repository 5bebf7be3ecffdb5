# Review spot-check of evalkit.meta.random_effects at small k and at the tau^2 = 0 boundary.
# R 4.x, metafor 3.8.1. Run in this directory: Rscript make_reference.R
library(metafor)
library(jsonlite)
d <- read.csv("cases.csv")
out <- list()
for (case in unique(d$case)) {
  s <- d[d$case == case, ]
  for (m in c("REML", "DL")) {
    fit <- rma(yi, vi, data = s, method = m, control = list(threshold = 1e-12, maxiter = 10000))
    p <- predict(fit)
    out[[paste(case, m, sep = "_")]] <- list(
      estimate = as.numeric(fit$b), se = fit$se, zval = fit$zval, pval = fit$pval,
      ci_lb = fit$ci.lb, ci_ub = fit$ci.ub, tau2 = fit$tau2, se_tau2 = fit$se.tau2,
      I2 = fit$I2, H2 = fit$H2, QE = fit$QE, QEp = fit$QEp, pi_lb = p$pi.lb, pi_ub = p$pi.ub)
  }
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "metafor_small_k.json")
