# Review spot-checks for evalkit.validation (R 4.x, lavaan 0.6-14, semTools, psych 2.2.9).
# Run in this directory: Rscript make_reference.R
suppressMessages({library(lavaan); library(semTools); library(psych); library(jsonlite)})
out <- list()

# 1. polychoric correlations with unused categories (a gap inside the scale; an unused top
#    category) as lavCor(ordered = ...) -- lavaan only knows the observed categories.
d <- read.csv("ordinal_gaps.csv")
fit <- lavCor(d, ordered = names(d), output = "fit", se = "robust.sem")
est <- parameterEstimates(fit)
out$polychoric <- list(
  cor = unname(lavInspect(fit, "sampstat")$cov[lower.tri(diag(4))]),
  thresholds = unname(lavInspect(fit, "sampstat")$th),
  threshold_names = names(lavInspect(fit, "sampstat")$th),
  cor_se = est$se[est$op == "~~" & est$lhs != est$rhs])

# 2. omega total with missing answers and a reverse-keyed item (listwise deletion, as
#    lavaan's default), psych::alpha on the same recoded data (pairwise covariances)
l <- read.csv("../psych/likert.csv")
l$i3 <- 0 + 4 - l$i3   # reverse key within the observed range 0..4
m <- cfa("f =~ i1 + i2 + i3 + i4 + i5 + i6", data = l, std.lv = TRUE)
out$omega_missing <- list(omega_total = unname(compRelSEM(m)), n_complete = lavInspect(m, "nobs"))
a <- psych::alpha(l, warnings = FALSE)
out$alpha_missing <- list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
                          average_r = a$total$average_r,
                          r_drop = unname(a$item.stats$r.drop),
                          alpha_if_deleted = unname(a$alpha.drop$raw_alpha))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reference.json")
