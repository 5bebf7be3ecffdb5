# Reference values from R psych / GPArotation for evalkit.validation tests.
# Run from tests/reference:  Rscript psych/psych_reference.R
# Inputs: lavaan::HolzingerSwineford1939 (same data as semopy.examples.holzinger39),
#         psych/likert.csv (made by psych/make_data.py), Shrout & Fleiss (1979) Table 2.
suppressPackageStartupMessages({library(psych); library(lavaan); library(GPArotation); library(jsonlite)})
out <- list(versions = list(R = R.version.string,
                            psych = as.character(packageVersion("psych")),
                            GPArotation = as.character(packageVersion("GPArotation")),
                            lavaan = as.character(packageVersion("lavaan"))))
hs <- HolzingerSwineford1939
x <- hs[, paste0("x", 1:9)]

alpha_out <- function(a, n.obs) {
  list(raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha,
       average_r = a$total$average_r, mean = a$total$mean, sd = a$total$sd,
       feldt_lower = a$feldt$lower.ci[[1]], feldt_upper = a$feldt$upper.ci[[1]],
       alpha_ci = unlist(alpha.ci(a$total$raw_alpha, n.obs = n.obs, n.var = a$nvar)[c("lower.ci", "upper.ci")]),
       r_drop = unname(a$item.stats$r.drop), r_cor = unname(a$item.stats$r.cor),
       alpha_if_deleted = unname(a$alpha.drop$raw_alpha),
       std_alpha_if_deleted = unname(a$alpha.drop$std.alpha),
       item_mean = unname(a$item.stats$mean), item_sd = unname(a$item.stats$sd))
}
out$alpha_hs_x1_x3 <- alpha_out(alpha(x[, 1:3]), nrow(x))
out$alpha_hs_x4_x6 <- alpha_out(alpha(x[, 4:6]), nrow(x))
out$alpha_hs_x1_x9 <- alpha_out(alpha(x), nrow(x))
lik <- read.csv("psych/likert.csv")
# i3 is reverse keyed; response range 0-4 (psych reverses as max + min - x using the observed range)
a_lik <- alpha(lik, keys = c(1, 1, -1, 1, 1, 1), warnings = FALSE)
out$alpha_likert <- alpha_out(a_lik, nrow(lik))
out$alpha_likert$response_freq <- unname(as.matrix(a_lik$response.freq))

# Shrout & Fleiss (1979) Table 2: 6 targets x 4 judges
sf <- matrix(c(9, 2, 5, 8,  6, 1, 3, 2,  8, 4, 6, 8,  7, 1, 2, 6,  10, 5, 6, 9,  6, 2, 4, 7),
             ncol = 4, byrow = TRUE)
icc_out <- function(r) {
  res <- r$results
  list(type = as.character(res$type), icc = res$ICC, F = res$F, df1 = res$df1, df2 = res$df2,
       p = res$p, lower = res$`lower bound`, upper = res$`upper bound`)
}
out$icc_sf <- icc_out(ICC(sf, lmer = FALSE))
out$icc_hs_x1_x3 <- icc_out(ICC(x[, 1:3], lmer = FALSE))

# EFA on HS x1-x9, 3 factors
efa_out <- function(f) {
  L <- unclass(f$loadings)
  list(loadings = unname(L), Phi = if (is.null(f$Phi)) NULL else unname(f$Phi),
       communality = unname(f$communality), uniquenesses = unname(f$uniquenesses),
       objective = f$objective, e_values = f$e.values, values = f$values)
}
for (fm in c("minres", "ml")) {
  for (rot in c("none", "varimax", "oblimin", "promax")) {
    f <- fa(x, nfactors = 3, fm = fm, rotate = rot)
    out[[paste("fa", fm, rot, sep = "_")]] <- efa_out(f)
  }
}
# Rotations alone, on psych's unrotated minres loadings, with tight GPArotation tolerances
L0 <- unclass(fa(x, nfactors = 3, fm = "minres", rotate = "none")$loadings)
out$rot_input <- unname(L0)
out$rot_varimax <- unname(unclass(GPArotation::Varimax(L0, normalize = TRUE, eps = 1e-8, maxit = 1e5)$loadings))
ob <- GPArotation::oblimin(L0, eps = 1e-8, maxit = 1e5)
out$rot_oblimin <- list(loadings = unname(unclass(ob$loadings)), Phi = unname(ob$Phi))
out$rot_quartimax <- unname(unclass(GPArotation::quartimax(L0, eps = 1e-8, maxit = 1e5)$loadings))
pk <- kaiser(L0, rotate = "Promax")
out$rot_promax <- list(loadings = unname(unclass(pk$loadings)), Phi = unname(pk$Phi))
f1 <- fa(x[, 1:6], nfactors = 1, fm = "minres")
out$fa_minres_1f_x1_x6 <- efa_out(f1)
# factanal (ML, tighter optimiser) for the unrotated ML solution's uniquenesses
out$factanal_uniquenesses <- unname(factanal(x, 3, rotation = "none")$uniquenesses)

# omega (Schmid-Leiman) on HS x1-x9, 3 group factors, minres + oblimin
om <- omega(x, nfactors = 3, fm = "minres", rotate = "oblimin", plot = FALSE)
out$omega_hs <- list(omega_h = om$omega_h, omega_tot = om$omega.tot, alpha = om$alpha,
                     g_loadings = unname(om$schmid$sl[, 1]),
                     gloading = unname(as.vector(om$schmid$gloading)))

# parallel analysis: the observed eigenvalues are deterministic (simulated ones are not)
set.seed(1)
fp <- fa.parallel(x, fm = "minres", fa = "both", n.iter = 20, plot = FALSE)
out$fa_parallel_hs <- list(fa_values = fp$fa.values, pc_values = fp$pc.values,
                           nfact = fp$nfact, ncomp = fp$ncomp)

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, null = "null"),
           "psych/psych_reference.json")
