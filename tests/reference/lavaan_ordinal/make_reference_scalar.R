# Reference values for the ordinal *scalar* level (equal thresholds, loadings and
# intercepts; Wu & Estabrook 2016) and ordinal partial invariance (evalkit issue 7/8 fix).
# Run from this directory:  Rscript make_reference_scalar.R
# R 4.x, lavaan 0.6-14, semTools, jsonlite. Writes reference_scalar.json.
suppressMessages({library(lavaan); library(semTools); library(jsonlite)})
stopifnot(packageVersion("lavaan") == "0.6.14")

LEVELS <- list(configural = "", thresholds = "thresholds",
               thresholds_loadings = c("thresholds", "loadings"),
               scalar = c("thresholds", "loadings", "intercepts"))

source("helpers.R")  # pe_list, fm_list, lrt_list
syntax <- function(model, dat, items, group, ge, partial = "") {
  as.character(measEq.syntax(model, data = dat, ordered = items, parameterization = "delta",
                             ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = group,
                             group.equal = ge, group.partial = partial))
}

scalar_ref <- function(dat, model, items, group, partial = NULL, joint_score = FALSE) {
  fits <- lapply(LEVELS, function(ge) cfa(syntax(model, dat, items, group, ge), data = dat,
                                          ordered = items, group = group, estimator = "WLSMV"))
  lrt <- lavTestLRT(fits$configural, fits$thresholds, fits$thresholds_loadings, fits$scalar)
  # univariate score tests of the intercepts fixed at 0 (modification indices)
  mi <- modindices(fits$scalar, op = "~1", minimum.value = -Inf)
  mi <- mi[mi$lhs %in% items, ]
  out <- list(group_labels = lavInspect(fits$configural, "group.label"),
              levels = lapply(fits, function(f) list(fit_measures = fm_list(f),
                                                     params = pe_list(f))),
              lrt = lrt_list(lrt),
              modindices = list(lhs = mi$lhs, group = mi$group, mi = mi$mi, epc = mi$epc))
  if (!is.null(partial)) {
    pfit <- cfa(syntax(model, dat, items, group, LEVELS$scalar, partial), data = dat,
                ordered = items, group = group, estimator = "WLSMV")
    out$partial <- list(group_partial = partial, fit_measures = fm_list(pfit),
                        params = pe_list(pfit),
                        lrt = lrt_list(lavTestLRT(fits$thresholds_loadings, pfit)))
  }
  if (joint_score) {
    # joint score test of releasing one item's intercept in all later groups: the model
    # with that intercept free in groups 2..G plus '== 0' constraints (lavTestScore)
    G <- length(out$group_labels)
    js <- c()
    for (k in seq_along(items)) {
      it <- items[k]
      syn <- syntax(model, dat, items, group, LEVELS$scalar, paste0(it, "~1"))
      labs <- paste0("nu.", k, ".g", 2:G)
      syn <- paste(syn, paste0(labs, " == 0", collapse = "\n"), sep = "\n")
      f <- cfa(syn, data = dat, ordered = items, group = group, estimator = "WLSMV")
      # measEq's shared labels are '==' constraints too: release only the new ones
      pt <- parTable(f)
      con <- pt[pt$op == "==", ]
      js[it] <- lavTestScore(f, release = which(con$lhs %in% labs & con$rhs == "0"))$test$X2
    }
    out$joint_score <- as.list(js)
  }
  out
}

bfi_ac <- read.csv("bfi_AC.csv")
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5))
bfi_model <- "agree =~ A1 + A2 + A3 + A4 + A5\nconsc =~ C1 + C2 + C3 + C4 + C5"
youth_items <- sprintf("y%02d", 1:12)
youth_model <- paste("social =~ y01 + y02 + y03 + y04 + y05 + y06",
                     "emotional =~ y07 + y08 + y09 + y10 + y11 + y12", sep = "\n")
# youth_t1_gender.csv: wave t1 of evalkit.datasets.load("youth") without the 45
# respondents of gender "anders" (some categories unused there), gender + y01-y12.
youth_g <- read.csv("youth_t1_gender.csv")
youth_a <- read.csv("youth_t1.csv")
out <- list(
  lavaan_version = as.character(packageVersion("lavaan")),
  semtools_version = as.character(packageVersion("semTools")),
  bfi = scalar_ref(bfi_ac, bfi_model, bfi_items, "gender"),
  youth_gender = scalar_ref(youth_g, youth_model, youth_items, "gender", partial = "y07~1"),
  youth_age = scalar_ref(youth_a, youth_model, youth_items, "age_band", joint_score = TRUE)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "reference_scalar.json")
cat("done\n")
