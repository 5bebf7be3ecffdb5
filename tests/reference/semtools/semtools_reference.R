# Reference omega values from semTools::compRelSEM on lavaan ML fits (evalkit tests).
# Run from tests/reference:  Rscript semtools/semtools_reference.R
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
out <- list(versions = list(R = R.version.string,
                            lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools"))))
hs <- HolzingerSwineford1939
one <- function(model, data, ...) {
  fit <- cfa(model, data = data, estimator = "ML", ...)
  pe <- parameterEstimates(fit, standardized = TRUE)
  l <- pe[pe$op == "=~", ]
  list(omega = as.list(compRelSEM(fit)),
       omega_model_var = as.list(compRelSEM(fit, obs.var = FALSE)),
       loadings = l$est, std_all = l$std.all, item = l$rhs, factor = l$lhs,
       residual_var = pe$est[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% l$rhs],
       fit = as.list(fitMeasures(fit, c("chi2" = "chisq", "df", "cfi", "rmsea", "srmr"))))
}
out$two_factor <- one("visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6", hs)
out$visual <- one("visual =~ x1 + x2 + x3", hs)
out$textual <- one("textual =~ x4 + x5 + x6", hs)
out$one_factor_x1_x6 <- one("g =~ x1 + x2 + x3 + x4 + x5 + x6", hs)
out$one_factor_x1_x9 <- one("g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9", hs)
# bifactor: general factor + two orthogonal specific factors (x1-x9 with three specific
# factors does not converge in lavaan); omega of g = omega hierarchical
out$bifactor <- one("g =~ x1 + x2 + x3 + x4 + x5 + x6 + x7 + x8 + x9
  textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9", hs, orthogonal = TRUE)
# higher-order: omega hierarchical of the second-order factor (compRelSEM higher = "g")
fit_ho <- cfa("visual =~ x1 + x2 + x3\n textual =~ x4 + x5 + x6\n speed =~ x7 + x8 + x9
  g =~ visual + textual + speed", data = hs)
out$higher_order <- list(omega = as.list(compRelSEM(fit_ho, higher = "g")))
# Likert data, one factor, i3 reversed as 4 - x (response range 0-4)
lik <- read.csv("psych/likert.csv")
lik$i3 <- 4 - lik$i3
out$likert_listwise <- one("f =~ i1 + i2 + i3 + i4 + i5 + i6", na.omit(lik))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "semtools/semtools_reference.json")
