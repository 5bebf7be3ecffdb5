# Reference values for cfa(..., estimator="MLR") and cfa(..., missing="fiml") (lavaan 0.6-14).
# Run from this directory:  Rscript make_reference.R
# Reads youth_t1.csv (evalkit.datasets.load("youth"), wave t1; written by evalkit).
# Writes: holzinger_missing.csv, youth_t1_missing.csv (values deleted at random, seeded),
#         near_noise.csv, bfi_N.csv, bfi_AC_missing.csv, reference.json, sessionInfo.txt
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
stopifnot(as.character(packageVersion("lavaan")) == "0.6.14")
options(digits = 17)
d <- HolzingerSwineford1939
items <- paste0("x", 1:9)
HS <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
YM <- "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
yitems <- sprintf("y%02d", 1:12)

# values deleted completely at random: 10% of the item cells (seeded)
set.seed(20261207)
dm <- d[, c("id", "school", "grade", items)]
for (v in items) dm[[v]][runif(nrow(dm)) < 0.10] <- NA
write.csv(dm, "holzinger_missing.csv", row.names = FALSE, na = "")
y <- read.csv("youth_t1.csv", stringsAsFactors = FALSE)
set.seed(20261208)
ym <- y
for (v in yitems) ym[[v]][runif(nrow(ym)) < 0.08] <- NA
write.csv(ym, "youth_t1_missing.csv", row.names = FALSE, na = "")

FM <- c("npar", "fmin", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
        "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.pvalue",
        "baseline.chisq.scaled", "baseline.chisq.scaling.factor", "cfi", "tli", "cfi.scaled",
        "tli.scaled", "cfi.robust", "tli.robust", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper",
        "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "rmsea.robust",
        "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "srmr", "srmr_bentler", "logl",
        "unrestricted.logl")
dump <- function(fit) {
  fm <- tryCatch(fitMeasures(fit), error = function(e) c(not_converged = 1))
  fm <- fm[intersect(FM, names(fm))]
  pe <- parameterEstimates(fit, standardized = TRUE)
  keep <- intersect(c("lhs", "op", "rhs", "group", "est", "se", "std.all"), names(pe))
  list(fit_measures = as.list(fm), params = pe[, keep],
       nobs = lavInspect(fit, "nobs"), ntotal = lavInspect(fit, "ntotal"),
       converged = lavInspect(fit, "converged"))
}
lrt <- function(...) {
  r <- lavTestLRT(...)
  list(df = r$Df, chisq = r$Chisq, chisq_diff = r[["Chisq diff"]], df_diff = r[["Df diff"]],
       p = r[["Pr(>Chisq)"]], method = attr(r, "heading"))
}
inv <- function(data, model, group, ...) {
  conf <- cfa(model, data = data, group = group, ...)
  metr <- cfa(model, data = data, group = group, group.equal = "loadings", ...)
  scal <- cfa(model, data = data, group = group, group.equal = c("loadings", "intercepts"), ...)
  list(levels = list(configural = dump(conf), metric = dump(metr), scalar = dump(scal)),
       lrt = lrt(conf, metr, scal))
}
out <- list()
# --- MLR, complete data -----------------------------------------------------------------
out$hs_mlr <- dump(cfa(HS, data = d, estimator = "MLR"))
out$hs_mlr_meanstructure <- dump(cfa(HS, data = d, estimator = "MLR", meanstructure = TRUE))
out$hs_mlr_group <- dump(cfa(HS, data = d, estimator = "MLR", group = "school",
                             group.equal = "loadings"))
out$hs_mlr_invariance <- inv(d, HS, "school", estimator = "MLR")
out$youth_mlr <- dump(cfa(YM, data = y, estimator = "MLR"))
# --- FIML (missing = "ml"), ML and MLR --------------------------------------------------
out$hs_fiml_ml <- dump(cfa(HS, data = dm, missing = "ml"))
out$hs_fiml_mlr <- dump(cfa(HS, data = dm, missing = "ml", estimator = "MLR"))
out$hs_fiml_ml_invariance <- inv(dm, HS, "school", missing = "ml")
out$hs_fiml_mlr_invariance <- inv(dm, HS, "school", missing = "ml", estimator = "MLR")
out$youth_fiml_ml <- dump(cfa(YM, data = ym, missing = "ml"))
out$youth_fiml_mlr <- dump(cfa(YM, data = ym, missing = "ml", estimator = "MLR"))
out$youth_listwise_ml <- dump(cfa(YM, data = ym))
# --- WLSMV with pairwise deletion (psych::bfi, its own missing answers) ---------------------
bfi <- psych::bfi
ac <- c(paste0("A", 1:5), paste0("C", 1:5))
write.csv(bfi[, c(ac, "gender")], "bfi_AC_missing.csv", row.names = FALSE, na = "")
BFI <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
out$bfi_wlsmv_pairwise <- dump(cfa(BFI, data = bfi[, ac], ordered = ac, estimator = "WLSMV",
                                   missing = "pairwise"))
out$bfi_wlsmv_listwise <- dump(cfa(BFI, data = bfi[, ac], ordered = ac, estimator = "WLSMV"))
# --- audit edge cases ---------------------------------------------------------------------
# 1. negative residual variance next to a residual covariance: std.all of x7 ~~ x8
m1 <- "visual =~ x1 + x2 + x3 + x9\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\nx7 ~~ x8"
out$edge1 <- dump(cfa(m1, data = d))
# 2. WLSMV with df = 0 (psych::bfi N1-N3, one factor)
nb <- na.omit(bfi[, c("N1", "N2", "N3")])
write.csv(nb, "bfi_N.csv", row.names = FALSE)
out$edge2 <- dump(cfa("neuro =~ N1 + N2 + N3", data = nb, ordered = c("N1", "N2", "N3"),
                      estimator = "WLSMV"))
# 3. two factors on noise (40 rows, seed 4: the first seed for which lavaan converges with a
#    latent covariance matrix that is not positive definite)
set.seed(4)
nn <- as.data.frame(matrix(rnorm(40 * 6), 40, 6))
names(nn) <- paste0("v", 1:6)
write.csv(nn, "near_noise.csv", row.names = FALSE)
w3 <- character(0)
f3 <- withCallingHandlers(cfa("f1 =~ v1 + v2 + v3\nf2 =~ v4 + v5 + v6", data = nn),
                          warning = function(w) { w3 <<- c(w3, conditionMessage(w)); invokeRestart("muffleWarning") })
out$edge3 <- c(dump(f3), list(warnings = w3))
# 4. invariance with a third group of 12 rows (HolzingerSwineford1939 + 12 rows drawn
#    with the first seed from 4 on for which lavaan converges at every level)
for (seed in 4:40) {
  set.seed(seed)
  small <- d[sample(nrow(d), 12), ]
  small$school <- "Klein"
  d4 <- rbind(d, small)
  ok <- all(sapply(list("", "loadings", c("loadings", "intercepts")), function(ge)
    suppressWarnings(lavInspect(cfa(HS, data = d4, group = "school", group.equal = ge), "converged"))))
  if (ok) break
}
write.csv(d4[, c("id", "school", items)], "holzinger_small_group.csv", row.names = FALSE)
out$edge4 <- c(inv(d4, HS, "school"), list(seed = seed))
# 7. polychoric and threshold standard errors (se = "standard" and "robust.sem")
bac <- read.csv("../lavaan_ordinal/bfi_AC.csv")
for (se in c("standard", "robust.sem")) {
  fit <- lavCor(bac[, ac], ordered = ac, se = se, output = "fit")
  pe <- parameterEstimates(fit)
  out[[paste0("edge7_", gsub("[.]", "_", se))]] <- list(params = pe[, c("lhs", "op", "rhs", "est", "se")],
                                                         n = lavInspect(fit, "ntotal"))
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE), "reference.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
