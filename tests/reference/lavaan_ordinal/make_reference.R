# Reference values for evalkit.validation.ordinal / wlsmv (issue 8).
# Run from this directory:  Rscript make_reference.R   (ordinal scalar level and partial
# invariance: make_reference_scalar.R; both source helpers.R)
# R 4.x, lavaan 0.6-14, psych (bfi data), jsonlite.
suppressMessages({library(lavaan); library(psych); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

## 1. Data ---------------------------------------------------------------------------
# psych::bfi: 2800 respondents of the SAPA project (Revelle et al.), six-point items.
# We keep the agreeableness (A1-A5) and conscientiousness (C1-C5) items.
# gender (1 = male, 2 = female) is kept for the invariance reference.
bfi_ac <- psych::bfi[, c(paste0("A", 1:5), paste0("C", 1:5), "gender")]
write.csv(bfi_ac, "bfi_AC.csv", row.names = FALSE, na = "")
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5))

# A 3-point simulated set (nee / soms / ja): 2 factors x 4 items, N = 600.
set.seed(20261128)
n <- 600
phi <- 0.4
eta <- MASS::mvrnorm(n, c(0, 0), matrix(c(1, phi, phi, 1), 2))
lam <- c(.8, .7, .6, .5, .75, .65, .55, .7)
fac <- c(1, 1, 1, 1, 2, 2, 2, 2)
sim3 <- sapply(seq_along(lam), function(j) {
  ystar <- lam[j] * eta[, fac[j]] + sqrt(1 - lam[j]^2) * rnorm(n)
  th <- c(-0.3, 0.9) + 0.15 * (j %% 3 - 1)
  as.integer(cut(ystar, c(-Inf, th, Inf))) - 1L
})
colnames(sim3) <- paste0("y", 1:8)
write.csv(sim3, "sim3.csv", row.names = FALSE)

# A binary set (tetrachorics), N = 300, one-factor, with an empty cell in the b1 x b4
# table (b4 rare and never endorsed when b1 = 0): lavaan's zero.add = 0.5 rule.
set.seed(7)
eta <- rnorm(300)
bin <- sapply(c(.8, .7, .6), function(l) as.integer(l * eta + sqrt(1 - l^2) * rnorm(300) > 0.2))
colnames(bin) <- c("b1", "b2", "b3")
b4 <- as.integer(0.9 * eta + sqrt(1 - 0.81) * rnorm(300) > 1.6)
b4[bin[, "b1"] == 0] <- 0L
bin <- cbind(bin, b4 = b4)
write.csv(bin, "bin.csv", row.names = FALSE)

## 2. Polychorics, thresholds, NACOV, ordinal alpha, WLSMV CFA -----------------------
one <- function(dat, model) {
  items <- colnames(dat)
  pc <- lavCor(dat, ordered = items, output = "cor")
  fitc <- lavCor(dat, ordered = items, output = "fit")
  th <- lavInspect(fitc, "sampstat")$th
  fit <- cfa(model, data = dat, ordered = items, estimator = "WLSMV")
  gamma <- lavInspect(fit, "gamma")
  wlsv <- lavInspect(fit, "wls.v")
  fm <- fitMeasures(fit)
  pe <- parameterEstimates(fit, standardized = TRUE)
  pe <- pe[pe$op %in% c("=~", "~~", "|"), ]
  alpha <- psych::alpha(unclass(pc), warnings = FALSE)$total$raw_alpha
  list(
    items = items, n = lavInspect(fit, "nobs"),
    polychoric = unname(unclass(pc)), thresholds = unname(th), threshold_names = names(th),
    gamma = unname(gamma), gamma_names = rownames(gamma), wls_v_diag = unname(diag(wlsv)),
    ordinal_alpha = alpha,
    fit_measures = as.list(fm[c("chisq", "df", "pvalue", "chisq.scaled", "df.scaled",
      "pvalue.scaled", "chisq.scaling.factor", "baseline.chisq", "baseline.df",
      "baseline.chisq.scaled", "baseline.df.scaled", "cfi", "tli", "rmsea",
      "cfi.scaled", "tli.scaled", "rmsea.scaled", "rmsea.ci.lower", "rmsea.ci.upper",
      "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled", "srmr", "srmr_bentler", "srmr_bentler_nomean", "crmr", "ntotal")]),
    fmin = unname(fm["fmin"]),
    params = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                  std_all = pe$std.all)
  )
}
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  bfi = one(bfi_ac[, bfi_items], "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"),
  sim3 = one(as.data.frame(sim3), "f1 =~ y1 + y2 + y3 + y4\nf2 =~ y5 + y6 + y7 + y8"),
  bin = one(as.data.frame(bin), "f =~ b1 + b2 + b3 + b4"),
  # free marker loading, fixed factor variance, a residual covariance
  sim3_rescov = one(as.data.frame(sim3), paste(
    "f1 =~ NA*y1 + y2 + y3 + y4", "f2 =~ y5 + y6 + y7 + y8", "f1 ~~ 1*f1", "y1 ~~ y5",
    sep = "\n"))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reference.json")

## 3. Multi-group and ordinal invariance (Wu & Estabrook 2016 via semTools) -----------
suppressMessages(library(semTools))
source("helpers.R")  # pe_list, fm_list, lrt_list
inv_ref <- function(dat, model, items, group) {
  plain <- cfa(model, data = dat, ordered = items, group = group, estimator = "WLSMV")
  fits <- list()
  for (lev in c("configural", "thresholds", "thresholds_loadings")) {
    ge <- switch(lev, configural = "", thresholds = "thresholds",
                 thresholds_loadings = c("thresholds", "loadings"))
    syn <- measEq.syntax(model, data = dat, ordered = items, parameterization = "delta",
                         ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = group,
                         group.equal = ge)
    fits[[lev]] <- cfa(as.character(syn), data = dat, ordered = items, group = group,
                       estimator = "WLSMV")
  }
  lrt <- lavTestLRT(fits$configural, fits$thresholds, fits$thresholds_loadings)
  list(group_labels = lavInspect(plain, "group.label"),
       plain = list(fit_measures = fm_list(plain), params = pe_list(plain)),
       levels = lapply(fits, function(f) list(fit_measures = fm_list(f), params = pe_list(f))),
       lrt = lrt_list(lrt))
}
# youth_t1.csv: wave t1 of evalkit.datasets.load("youth") (synthetic, seed 2025; 1,500
# respondents, five-point items y01-y12), copied here so the reference does not move.
youth <- read.csv("youth_t1.csv")
youth_items <- sprintf("y%02d", 1:12)
inv <- list(
  bfi = inv_ref(bfi_ac, "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5",
                bfi_items, "gender"),
  youth = inv_ref(youth, paste("social =~ y01 + y02 + y03 + y04 + y05 + y06",
                               "emotional =~ y07 + y08 + y09 + y10 + y11 + y12", sep = "\n"),
                  youth_items, "age_band"))
writeLines(toJSON(inv, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "reference_invariance.json")
cat("done\n")
