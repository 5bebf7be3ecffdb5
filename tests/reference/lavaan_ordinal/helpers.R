# Shared helpers of make_reference.R and make_reference_scalar.R (lavaan output as lists
# for jsonlite).
pe_list <- function(fit) {
  pe <- parameterEstimates(fit, standardized = TRUE)
  list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, group = pe$group, est = pe$est,
       se = pe$se, std_all = pe$std.all)
}
fm_list <- function(fit) as.list(fitMeasures(fit, c("chisq", "df", "chisq.scaled",
  "chisq.scaling.factor", "pvalue.scaled", "cfi.scaled", "tli.scaled", "rmsea.scaled",
  "cfi", "tli", "rmsea", "srmr", "baseline.chisq", "baseline.chisq.scaled")))
lrt_list <- function(lrt) list(chisq_diff = lrt[["Chisq diff"]], df_diff = lrt[["Df diff"]],
                               p = lrt[["Pr(>Chisq)"]])
