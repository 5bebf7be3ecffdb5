# Reference values for evalkit.meta.meta_regression and evalkit.meta.subgroups,
# produced once with R metafor. Run from this directory:
#   Rscript make_reference_moderators.R
# Data: metafor's dat.bcg (Colditz et al. 1994), log risk ratios from escalc(measure = "RR"),
# with the moderators alloc (treatment allocation: alternate / random / systematic),
# ablat (absolute latitude) and year.
suppressPackageStartupMessages(library(metafor))
options(digits = 17)
dat <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
out <- data.frame(trial = dat$trial, author = dat$author, year = dat$year, ablat = dat$ablat,
                  alloc = dat$alloc, yi = sprintf("%.17g", as.numeric(dat$yi)),
                  vi = sprintf("%.17g", as.numeric(dat$vi)))
write.csv(out, "dat_bcg_moderators.csv", row.names = FALSE)
ctrl <- list(threshold = 1e-12, maxiter = 1000)
f17 <- function(x) {  # full precision, no padding
  for (j in seq_along(x)) if (is.numeric(x[[j]])) x[[j]] <- sprintf("%.17g", x[[j]])
  x
}

coef_rows <- list(); stat_rows <- list()
models <- list(alloc = ~ factor(alloc), ablat_year = ~ ablat + year, alloc_ablat = ~ factor(alloc) + ablat)
for (mname in names(models)) {
  for (m in c("REML", "DL")) {
    fit <- rma(yi, vi, mods = models[[mname]], data = dat, method = m, control = ctrl)
    coef_rows[[paste(mname, m)]] <- data.frame(
      model = mname, method = m, term = rownames(fit$beta), estimate = as.numeric(fit$beta),
      se = fit$se, zval = fit$zval, pval = fit$pval, ci_lb = fit$ci.lb, ci_ub = fit$ci.ub)
    stat_rows[[paste(mname, m)]] <- data.frame(
      model = mname, method = m, k = fit$k, p = fit$p, tau2 = fit$tau2,
      se_tau2 = ifelse(is.null(fit$se.tau2), NA, fit$se.tau2), I2 = fit$I2, H2 = fit$H2,
      R2 = ifelse(is.null(fit$R2), NA, fit$R2), QE = fit$QE, QEp = fit$QEp, QM = fit$QM,
      QMdf = fit$QMdf[1], QMp = fit$QMp,
      metafor_version = as.character(packageVersion("metafor")))
  }
}
write.csv(f17(do.call(rbind, coef_rows)), "metareg_coefficients.csv", row.names = FALSE)
write.csv(f17(do.call(rbind, stat_rows)), "metareg_statistics.csv", row.names = FALSE)

# Subgroup analysis: a separate random-effects model per level of alloc (separate tau^2),
# then the test of differences between the subgroup estimates as a fixed-effect
# meta-analysis of those estimates (metafor's FAQ / Borenstein et al. 2009, ch. 19):
# Q_between = QE of rma(estimate, sei = se, method = "FE").
sub_rows <- list(); qb_rows <- list()
for (m in c("REML", "DL")) {
  lev <- sort(unique(dat$alloc))
  res <- lapply(lev, function(l) rma(yi, vi, data = dat, subset = alloc == l, method = m, control = ctrl))
  tab <- data.frame(method = m, level = lev, k = sapply(res, function(r) r$k),
                    estimate = sapply(res, function(r) as.numeric(r$beta)),
                    se = sapply(res, function(r) r$se), pval = sapply(res, function(r) r$pval),
                    ci_lb = sapply(res, function(r) r$ci.lb), ci_ub = sapply(res, function(r) r$ci.ub),
                    tau2 = sapply(res, function(r) r$tau2), I2 = sapply(res, function(r) r$I2),
                    QE = sapply(res, function(r) r$QE), QEp = sapply(res, function(r) r$QEp),
                    pi_lb = sapply(res, function(r) predict(r)$pi.lb),
                    pi_ub = sapply(res, function(r) predict(r)$pi.ub))
  sub_rows[[m]] <- tab
  fe <- rma(estimate, sei = se, data = tab, method = "FE")
  qb_rows[[m]] <- data.frame(method = m, Q_between = fe$QE, df = fe$k - 1, p = fe$QEp)
}
write.csv(f17(do.call(rbind, sub_rows)), "subgroups_alloc.csv", row.names = FALSE)
write.csv(f17(do.call(rbind, qb_rows)), "subgroups_alloc_qbetween.csv", row.names = FALSE)
print(do.call(rbind, stat_rows)); print(do.call(rbind, qb_rows))
