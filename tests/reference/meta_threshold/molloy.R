# metafor's default REML stopping rule (audit edge case 6): dat.molloy2014 (metadat),
# Fisher's z of the correlations (escalc(measure = "ZCOR")), rma(method = "REML") with the
# default control (threshold = 1e-5) and with threshold = 1e-12 (the optimum).
# Run: Rscript molloy.R  (in this folder). Writes molloy.csv (yi, vi) and molloy.json.
suppressPackageStartupMessages({library(metafor); library(jsonlite)})
dat <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
write.csv(data.frame(study = paste(dat$authors, dat$year), yi = as.numeric(dat$yi),
                     vi = as.numeric(dat$vi)), "molloy.csv", row.names = FALSE)
fit_one <- function(ctrl) {
  m <- rma(yi, vi, data = dat, method = "REML", control = ctrl)
  list(tau2 = m$tau2, se_tau2 = m$se.tau2, estimate = as.numeric(m$b), std_error = m$se,
       ci_lower = m$ci.lb, ci_upper = m$ci.ub, i2 = m$I2, h2 = m$H2,
       reml_loglik = as.numeric(logLik(m)))
}
out <- list(default = fit_one(list()), threshold_1e12 = fit_one(list(threshold = 1e-12, maxiter = 1000)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "molloy.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
