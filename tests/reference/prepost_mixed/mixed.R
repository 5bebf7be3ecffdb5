# Reference values for evalkit.prepost.mixed: lme4 + lmerTest (Debian r-cran-lme4,
# r-cran-lmertest), random intercept per participant, REML, Satterthwaite df.
# Input: input.csv written by make_input.py (example coalitions, intervention group,
# all measurements incl. drop-outs). Run: Rscript mixed.R  (in this folder)
suppressPackageStartupMessages({library(lmerTest); library(jsonlite)})
d <- read.csv("input.csv")
d$post <- as.integer(d$wave == "post")
out <- list()
for (code in sort(unique(d$municipality_code))) {
  for (cov in c("none", "age")) {
    s <- d[d$municipality_code == code & !is.na(d$total), ]
    f <- if (cov == "none") total ~ post + (1 | participant_id) else total ~ post + age + (1 | participant_id)
    m <- lmer(f, data = s, REML = TRUE,
              control = lmerControl(optimizer = "bobyqa", optCtrl = list(maxfun = 1e5)))
    ct <- summary(m, ddf = "Satterthwaite")$coefficients
    kr <- summary(m, ddf = "Kenward-Roger")$coefficients
    vc <- as.data.frame(VarCorr(m))
    dfs <- ct["post", "df"]
    est <- ct["post", "Estimate"]; se <- ct["post", "Std. Error"]
    q <- qt(0.975, dfs)
    out[[length(out) + 1]] <- list(
      municipality_code = code, covariates = cov,
      n_obs = nrow(s), n_units = length(unique(s$participant_id)),
      estimate = est, std_error = se, df = dfs, t = ct["post", "t value"],
      p_value = ct["post", "Pr(>|t|)"], ci_lower = est - q * se, ci_upper = est + q * se,
      df_kr = kr["post", "df"], std_error_kr = kr["post", "Std. Error"],
      intercept = ct["(Intercept)", "Estimate"],
      var_unit = vc$vcov[vc$grp == "participant_id"], var_residual = vc$vcov[vc$grp == "Residual"],
      reml_loglik = as.numeric(logLik(m)), singular = isSingular(m))
  }
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "mixed.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
