# Reference values for evalkit.validation.cfa / invariance (lavaan 0.6-14).
# Run from this directory:  Rscript cfa_reference.R
# Writes: holzinger1939.csv (data copy), hs_*.csv (estimates, fit indices, LRT, score tests)
suppressPackageStartupMessages(library(lavaan))
stopifnot(as.character(packageVersion("lavaan")) == "0.6.14")
options(digits = 17)
d <- HolzingerSwineford1939
write.csv(d, "holzinger1939.csv", row.names = FALSE)
wr <- function(x, f) write.csv(x, f, row.names = FALSE)
fits <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
          "rmsea.ci.upper", "srmr", "srmr_bentler", "baseline.chisq", "baseline.df")
hs <- ' visual  =~ x1 + x2 + x3
        textual =~ x4 + x5 + x6
        speed   =~ x7 + x8 + x9 '
dump_fit <- function(fit, tag) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe$label <- NULL
  wr(pe, sprintf("hs_%s_estimates.csv", tag))
  fm <- fitMeasures(fit, fits)
  wr(data.frame(index = names(fm), value = as.numeric(fm)), sprintf("hs_%s_fit.csv", tag))
}
# 1. single-group three-factor CFA
fit <- cfa(hs, data = d)
dump_fit(fit, "cfa")
# 2. invariance by school
conf <- cfa(hs, data = d, group = "school")
metr <- cfa(hs, data = d, group = "school", group.equal = "loadings")
scal <- cfa(hs, data = d, group = "school", group.equal = c("loadings", "intercepts"))
dump_fit(conf, "configural"); dump_fit(metr, "metric"); dump_fit(scal, "scalar")
lrt <- lavTestLRT(conf, metr, scal)
wr(data.frame(model = rownames(lrt), df = lrt$Df, chisq = lrt$Chisq,
              delta_chisq = lrt[["Chisq diff"]], delta_df = lrt[["Df diff"]],
              p_value = lrt[["Pr(>Chisq)"]]), "hs_lrt.csv")
# 3. score tests for the equality constraints of the scalar model (partial invariance)
st <- lavTestScore(scal)
wr(st$test, "hs_scalar_score_total.csv")
uni <- st$uni
pt <- parTable(scal)
uni$lhs_name <- pt$lhs[match(uni$lhs, pt$plabel)]
uni$op_name  <- pt$op[match(uni$lhs, pt$plabel)]
uni$rhs_name <- pt$rhs[match(uni$lhs, pt$plabel)]
wr(uni, "hs_scalar_score_uni.csv")
# 4. partial scalar model: free the intercept of x3 (largest score test)
part <- cfa(hs, data = d, group = "school", group.equal = c("loadings", "intercepts"),
            group.partial = c("x3~1"))
dump_fit(part, "partial_x3")
# 5. extra: strict (residuals) and means, to test the other group.equal options
strict <- cfa(hs, data = d, group = "school",
              group.equal = c("loadings", "intercepts", "residuals", "lv.variances", "lv.covariances", "means"))
dump_fit(strict, "strict")
# 6. labelled / fixed syntax: std.lv style with NA* and fixed variance, plus a residual covariance
m2 <- ' visual  =~ NA*x1 + x2 + x3
        textual =~ x4 + a*x5 + a*x6
        speed   =~ x7 + x8 + x9
        visual ~~ 1*visual
        x7 ~~ x8 '
fit2 <- cfa(m2, data = d)
dump_fit(fit2, "syntax")
# 6b. single group with a mean structure (SRMR then includes the mean residuals)
dump_fit(cfa(hs, data = d, meanstructure = TRUE), "meanstructure")
# 7. three groups (artificial: respondents 1, 4, 7, ... are "a", 2, 5, ... "b", ...)
d$g3 <- c("a", "b", "c")[(seq_len(nrow(d)) - 1) %% 3 + 1]
for (lv in list(list("g3_configural", "none"), list("g3_metric", "loadings"),
                list("g3_scalar", c("loadings", "intercepts")))) {
  dump_fit(cfa(hs, data = d, group = "g3", group.equal = lv[[2]]), lv[[1]])
}
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
