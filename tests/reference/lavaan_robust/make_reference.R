# Reference values for the robust CFI/TLI/RMSEA that lavaan 0.6-14 reports under FIML
# (missing = "ml": Zhang & Savalei 2020 "FIML-corrected", lav_fit_fiml_corrected) and for
# categorical WLSMV (Savalei 2021 "catML", lav_fit_catml_dwls), their intermediate values,
# and lavTestScore for MLR / FIML invariance models (issue 15).
# Run from this directory:  Rscript make_reference.R   (writes reference.json, sessionInfo.txt)
# Reads the data files of ../lavaan_mlr and ../lavaan_ordinal (not rewritten here).
suppressPackageStartupMessages({library(lavaan); library(semTools); library(jsonlite)})
stopifnot(as.character(packageVersion("lavaan")) == "0.6.14")
options(digits = 17)
HS <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
YM <- "social =~ y01 + y02 + y03 + y04 + y05 + y06\nemotional =~ y07 + y08 + y09 + y10 + y11 + y12"
BFI <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
ac <- c(paste0("A", 1:5), paste0("C", 1:5))
yitems <- sprintf("y%02d", 1:12)
dm <- read.csv("../lavaan_mlr/holzinger_missing.csv")
ym <- read.csv("../lavaan_mlr/youth_t1_missing.csv")
d <- HolzingerSwineford1939
bac <- read.csv("../lavaan_ordinal/bfi_AC.csv")
bmiss <- read.csv("../lavaan_mlr/bfi_AC_missing.csv")
yt <- read.csv("../lavaan_ordinal/youth_t1.csv")
sim3 <- read.csv("../lavaan_ordinal/sim3.csv")

ROB <- c("chisq", "df", "cfi", "tli", "rmsea", "chisq.scaled", "chisq.scaling.factor",
         "cfi.scaled", "tli.scaled", "rmsea.scaled", "cfi.robust", "tli.robust", "rmsea.robust",
         "rmsea.ci.lower.robust", "rmsea.ci.upper.robust", "baseline.chisq")
fm <- function(fit) {
  x <- fitMeasures(fit)
  as.list(x[intersect(ROB, names(x))])
}
# the intermediate statistics lavaan's robust indices are built from
fiml_parts <- function(fit) {
  v <- if (fit@Options$estimator == "ML" && fit@Options$test == "standard") "V6" else "V3"
  c(lavaan:::lav_fit_fiml_corrected(fit, version = v), list(version = v))
}
cat_parts <- function(fit) lavaan:::lav_fit_catml_dwls(fit)
fiml <- function(...) {
  fit <- cfa(...)
  list(fit_measures = fm(fit), parts = fiml_parts(fit))
}
cat1 <- function(...) {
  fit <- cfa(...)
  list(fit_measures = fm(fit), parts = cat_parts(fit))
}
score <- function(fit) {
  st <- lavTestScore(fit)
  pt <- parTable(fit)
  uni <- st$uni
  list(total = as.list(st$test), uni = list(
    lhs = pt$lhs[match(uni$lhs, pt$plabel)], op = pt$op[match(uni$lhs, pt$plabel)],
    rhs = pt$rhs[match(uni$lhs, pt$plabel)], group = pt$group[match(uni$rhs, pt$plabel)],
    X2 = uni$X2, df = uni$df, p = uni$p.value))
}
out <- list()
# --- FIML (missing = "ml"): MLR (version V3) and ML (version V6) --------------------------
out$hs_fiml_mlr <- fiml(HS, data = dm, missing = "ml", estimator = "MLR")
out$hs_fiml_ml <- fiml(HS, data = dm, missing = "ml")
out$youth_fiml_mlr <- fiml(YM, data = ym, missing = "ml", estimator = "MLR")
out$youth_fiml_ml <- fiml(YM, data = ym, missing = "ml")
for (est in c("MLR", "ML")) {
  for (lev in list(c(configural = ""), c(metric = "loadings"), c(scalar = "intercepts"))) {
    ge <- switch(names(lev), configural = "", metric = "loadings", scalar = c("loadings", "intercepts"))
    out[[paste0("hs_fiml_", tolower(est), "_", names(lev))]] <-
      fiml(HS, data = dm, missing = "ml", estimator = est, group = "school", group.equal = ge)
  }
}
# saturated (df = 0): lavaan reports 1, 1, 0 [0, 0]
out$hs_fiml_saturated_ml <- list(fit_measures = fm(cfa("f =~ x1 + x2 + x3", data = dm, missing = "ml")))
out$hs_fiml_saturated_mlr <- list(fit_measures = fm(cfa("f =~ x1 + x2 + x3", data = dm, missing = "ml",
                                                        estimator = "MLR")))
# --- WLSMV (catML) -------------------------------------------------------------------------
out$bfi_wlsmv <- cat1(BFI, data = bac[, ac], ordered = ac, estimator = "WLSMV")
out$bfi_wlsmv_pairwise <- cat1(BFI, data = bmiss[, ac], ordered = ac, estimator = "WLSMV",
                               missing = "pairwise")
out$youth_wlsmv <- cat1(YM, data = yt, ordered = yitems, estimator = "WLSMV")
out$sim3_wlsmv <- cat1("f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8", data = sim3,
                       ordered = paste0("y", 1:8), estimator = "WLSMV")
out$bfi_wlsmv_gender_plain <- cat1(BFI, data = bac, ordered = ac, estimator = "WLSMV", group = "gender")
LEVELS <- list(configural = "", thresholds = "thresholds",
               thresholds_loadings = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))
for (lev in names(LEVELS)) {
  syn <- as.character(measEq.syntax(BFI, data = bac, ordered = ac, parameterization = "delta",
                                    ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "gender",
                                    group.equal = LEVELS[[lev]]))
  out[[paste0("bfi_wlsmv_gender_", lev)]] <- cat1(syn, data = bac, ordered = ac, group = "gender",
                                                  estimator = "WLSMV")
}
# --- lavTestScore (univariate and total) on MLR / FIML scalar models ----------------------
out$score_hs_mlr_scalar <- score(cfa(HS, data = d, group = "school", estimator = "MLR",
                                     group.equal = c("loadings", "intercepts")))
out$score_hs_fiml_mlr_scalar <- score(cfa(HS, data = dm, group = "school", estimator = "MLR",
                                          missing = "ml", group.equal = c("loadings", "intercepts")))
out$score_hs_fiml_ml_scalar <- score(cfa(HS, data = dm, group = "school", missing = "ml",
                                         group.equal = c("loadings", "intercepts")))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, na = "null", pretty = FALSE), "reference.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
