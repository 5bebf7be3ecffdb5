# Extra lavaan 0.6-14 references for the reviewer's tests (tests/test_cfa_checks.py).
# Run from this directory:  Rscript cfa_review.R
suppressPackageStartupMessages(library(lavaan))
options(digits = 17)
d <- read.csv("../lavaan/holzinger1939.csv")
wr <- function(x, f) write.csv(x, f, row.names = FALSE)
fits <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
          "rmsea.ci.upper", "srmr")
dump_fit <- function(fit, tag) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe$label <- NULL
  wr(pe[, c("lhs", "op", "rhs", intersect("group", names(pe)), "est", "se", "std.all")],
     sprintf("%s_estimates.csv", tag))
  fm <- fitMeasures(fit, fits)
  wr(data.frame(index = names(fm), value = as.numeric(fm)), sprintf("%s_fit.csv", tag))
}
# A. all first loadings freed (NA*), factor variances fixed to 1, a loading fixed to 0.5,
#    and one factor covariance fixed to 0
m_a <- ' visual  =~ NA*x1 + x2 + x3
         textual =~ NA*x4 + x5 + x6
         speed   =~ NA*x7 + 0.5*x8 + x9
         visual ~~ 1*visual
         textual ~~ 1*textual
         speed ~~ 1*speed
         visual ~~ 0*speed '
dump_fit(cfa(m_a, data = d), "A_stdlv_fixed")
# B. two groups, per-group modifiers c(): x2 loading equal by shared label, x3 labels differ,
#    the intercept of x1 equal by label
m_b <- ' visual  =~ x1 + c(v2, v2)*x2 + c(v3a, v3b)*x3
         textual =~ x4 + x5 + x6
         speed   =~ x7 + x8 + x9
         x1 ~ c(i1, i1)*1 '
dump_fit(cfa(m_b, data = d, group = "school"), "B_cmod")
# C. missing values (listwise deletion, lavaan's default for ML)
dm <- d
dm$x1[1:20] <- NA
dm$x5[15:30] <- NA
wr(dm[, c("school", "grade", paste0("x", 1:9))], "holzinger_missing.csv")
hs <- ' visual =~ x1 + x2 + x3
        textual =~ x4 + x5 + x6
        speed =~ x7 + x8 + x9 '
dump_fit(cfa(hs, data = dm), "C_listwise")
# D. metric invariance by the integer-coded grade (one respondent has no grade: dropped)
dg <- dm[!is.na(dm$grade), ]
dump_fit(cfa(hs, data = dg, group = "grade", group.equal = "loadings"), "D_grade_metric")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
