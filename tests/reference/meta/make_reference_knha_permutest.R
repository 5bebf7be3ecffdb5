# Reference values for evalkit.meta: Knapp-Hartung (test = "knha"), the t-based prediction
# interval of Riley et al. (2011) / Higgins et al. (2009) with k - 2 df, and exact
# permutation tests of moderators (metafor::permutest). Produced once with R metafor 3.8.1.
# Run from this directory:  Rscript make_reference_knha_permutest.R
# Data: dat_bcg_moderators.csv (metafor's dat.bcg log risk ratios with alloc, ablat, year).
suppressPackageStartupMessages(library(metafor))
options(digits = 17)
dat <- read.csv("dat_bcg_moderators.csv")
ctl <- list(threshold = 1e-12, maxiter = 1000)
f17 <- function(x) sprintf("%.17g", x)

# 1. intercept-only models: test z / knha x REML / DL; predict() default and pi.type = "riley"
rows <- list()
for (m in c("REML", "DL")) for (tst in c("z", "knha")) {
  fit <- rma(yi, vi, data = dat, method = m, test = tst, control = ctl)
  pd <- predict(fit)                    # metafor's default prediction interval
  pr <- predict(fit, pi.type = "riley") # t with k - 2 df (undocumented in 3.8.1)
  rows[[paste(m, tst)]] <- data.frame(
    method = m, test = tst, k = fit$k, estimate = f17(fit$beta), se = f17(fit$se),
    stat = f17(fit$zval), pval = f17(fit$pval), ci_lb = f17(fit$ci.lb), ci_ub = f17(fit$ci.ub),
    tau2 = f17(fit$tau2), pi_lb_default = f17(pd$pi.lb), pi_ub_default = f17(pd$pi.ub),
    pi_lb_riley = f17(pr$pi.lb), pi_ub_riley = f17(pr$pi.ub))
}
write.csv(do.call(rbind, rows), "knha_random_effects.csv", row.names = FALSE)

# 2. meta-regression with Knapp-Hartung: coefficients (t-tests) and the omnibus F-test
crow <- list(); srow <- list()
for (m in c("REML", "DL")) {
  fit <- rma(yi, vi, mods = ~ factor(alloc) + ablat, data = dat, method = m, test = "knha",
             control = ctl)
  crow[[m]] <- data.frame(method = m, term = rownames(fit$beta), estimate = f17(fit$beta),
                          se = f17(fit$se), tval = f17(fit$zval), pval = f17(fit$pval),
                          ci_lb = f17(fit$ci.lb), ci_ub = f17(fit$ci.ub), df = fit$ddf)
  srow[[m]] <- data.frame(method = m, k = fit$k, p = fit$p, tau2 = f17(fit$tau2),
                          QM = f17(fit$QM), QMdf1 = fit$QMdf[1], QMdf2 = fit$QMdf[2],
                          QMp = f17(fit$QMp))
}
write.csv(do.call(rbind, crow), "knha_metareg_coefficients.csv", row.names = FALSE)
write.csv(do.call(rbind, srow), "knha_metareg_statistics.csv", row.names = FALSE)

# 3. exact permutation tests (every distinct permutation of the moderator rows):
#    (a) ~ factor(alloc) on trials 1-10 (7 random, 1 alternate, 2 systematic: 360 permutations)
#    (b) ~ ablat on trials 1-7 (5,040 permutations)
#    each with test = "z" and "knha", REML and DL.
prow <- list()
cases <- list(
  alloc10 = list(data = dat[1:10, ], mods = ~ factor(alloc)),
  ablat7 = list(data = dat[1:7, ], mods = ~ ablat))
for (nm in names(cases)) for (m in c("REML", "DL")) for (tst in c("z", "knha")) {
  cs <- cases[[nm]]
  fit <- rma(yi, vi, mods = cs$mods, data = cs$data, method = m, test = tst, control = ctl)
  pt <- permutest(fit, exact = TRUE, progbar = FALSE)
  prow[[paste(nm, m, tst)]] <- data.frame(
    case = nm, method = m, test = tst, term = rownames(fit$beta), QM = f17(fit$QM),
    QMp = f17(fit$QMp), QMp_perm = f17(pt$QMp), pval_perm = f17(pt$pval),
    iterations = length(pt$QM.perm))
}
write.csv(do.call(rbind, prow), "permutest_exact.csv", row.names = FALSE)
writeLines(capture.output(sessionInfo()), "sessionInfo_knha_permutest.txt")
