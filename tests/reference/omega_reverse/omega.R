# Reference for evalkit's reliability() on unkeyed reverse items (audit edge case 5):
# psych::omega (Schmid-Leiman, minres + oblimin, flip = TRUE) and psych::alpha(check.keys)
# on items.csv (written by make_data.py). Run: Rscript omega.R  (in this folder)
suppressPackageStartupMessages({library(psych); library(jsonlite); library(GPArotation)
  library(lavaan); library(semTools)})
d <- read.csv("items.csv")
om <- omega(d, nfactors = 3, fm = "minres", rotate = "oblimin", plot = FALSE)
p1 <- principal(d)$loadings[, 1]
rev_items <- colnames(d)[p1 * sign(sum(p1)) < 0]
d2 <- d; for (v in rev_items) d2[[v]] <- 7 - d2[[v]]
om2 <- omega(d2, nfactors = 3, fm = "minres", rotate = "oblimin", plot = FALSE)
al2 <- alpha(d2)
fit2 <- cfa(paste("f =~", paste(colnames(d2), collapse = " + ")), data = d2)
out <- list(
  omega_h = om$omega_h, omega_tot = om$omega.tot, alpha_raw = alpha(d, check.keys = FALSE, warnings = FALSE)$total$raw_alpha,
  first_pc_loadings = as.numeric(p1), reverse_items = rev_items,
  reversed_omega_h = om2$omega_h, reversed_omega_tot = om2$omega.tot,
  reversed_alpha = al2$total$raw_alpha,
  reversed_omega_total_cfa = as.numeric(compRelSEM(fit2)))
writeLines(toJSON(out, digits = NA, auto_unbox = FALSE, pretty = TRUE), "omega.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
