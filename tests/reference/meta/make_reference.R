# Reference values for evalkit.meta.random_effects, produced once with R metafor.
# Run from this directory:  Rscript make_reference.R
# Data: metafor's dat.bcg (Colditz et al. 1994, BCG vaccine trials), log risk ratios
# computed with escalc(measure = "RR").
suppressPackageStartupMessages(library(metafor))
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
out <- data.frame(trial = dat$trial, author = dat$author, year = dat$year,
                  yi = as.numeric(dat$yi), vi = as.numeric(dat$vi))
out$yi <- sprintf("%.17g", out$yi); out$vi <- sprintf("%.17g", out$vi)
write.csv(out, "dat_bcg_logrr.csv", row.names = FALSE)
res_rows <- list()
for (m in c("REML", "DL")) {
  # tight convergence so the stored REML value is accurate to ~1e-10
  fit <- rma(yi, vi, data = dat, method = m, control = list(threshold = 1e-12, maxiter = 1000))
  pr <- predict(fit)
  res_rows[[m]] <- data.frame(
    method = m, k = fit$k, estimate = as.numeric(fit$beta), se = fit$se, zval = fit$zval,
    pval = fit$pval, ci_lb = fit$ci.lb, ci_ub = fit$ci.ub, tau2 = fit$tau2, se_tau2 = fit$se.tau2,
    I2 = fit$I2, H2 = fit$H2, QE = fit$QE, QEp = fit$QEp,
    pi_lb = pr$pi.lb, pi_ub = pr$pi.ub,
    metafor_version = as.character(packageVersion("metafor")))
  # weights (percent)
  write.csv(data.frame(trial = dat$trial, weight = sprintf("%.17g", weights(fit))),
            paste0("weights_", m, ".csv"), row.names = FALSE)
}
res <- do.call(rbind, res_rows)
options(digits = 17)
write.csv(format(res, digits = 17), "metafor_results.csv", row.names = FALSE)
print(res)
# also at 90% confidence (REML) to check the level argument
fit90 <- rma(yi, vi, data = dat, method = "REML", level = 90, control = list(threshold = 1e-12))
pr90 <- predict(fit90)
write.csv(format(data.frame(ci_lb = fit90$ci.lb, ci_ub = fit90$ci.ub, pi_lb = pr90$pi.lb, pi_ub = pr90$pi.ub), digits = 17),
          "metafor_reml_level90.csv", row.names = FALSE)
