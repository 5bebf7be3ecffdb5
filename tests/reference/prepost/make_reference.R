# Independent reference values for evalkit.prepost, produced once with R (stats, psych).
# Run from this directory: Rscript make_reference.R
suppressPackageStartupMessages(library(psych))
out <- list()
put <- function(name, value) out[[name]] <<- sprintf("%.17g", value)

# 1. Lakens (2013), Table 1: movie ratings of 10 people (within-subjects example).
#    Published: t(9) = 4.74, d_z = 1.50, d_av = 1.13.
m1 <- c(9, 7, 8, 9, 8, 9, 9, 10, 9, 9)
m2 <- c(9, 6, 7, 8, 7, 9, 8, 8, 8, 7)
tt <- t.test(m1, m2, paired = TRUE)
put("lakens_t", tt$statistic); put("lakens_p", tt$p.value)
put("lakens_ci_lower", tt$conf.int[1]); put("lakens_ci_upper", tt$conf.int[2])
d <- m1 - m2; n <- length(d)
# noncentral t interval for d_z: invert pt(t_obs, df, ncp)
t_obs <- unname(tt$statistic); df <- n - 1
ncp_lo <- uniroot(function(ncp) pt(t_obs, df, ncp) - 0.975, c(-20, 20), tol = 1e-13)$root
ncp_hi <- uniroot(function(ncp) pt(t_obs, df, ncp) - 0.025, c(-20, 20), tol = 1e-13)$root
put("lakens_dz", mean(d) / sd(d))
put("lakens_dz_ci_lower", ncp_lo / sqrt(n)); put("lakens_dz_ci_upper", ncp_hi / sqrt(n))
sav <- (sd(m1) + sd(m2)) / 2
put("lakens_dav", mean(d) / sav)
put("lakens_dav_ci_lower", ncp_lo / sqrt(n) * sd(d) / sav)
put("lakens_dav_ci_upper", ncp_hi / sqrt(n) * sd(d) / sav)
wt <- wilcox.test(m1, m2, paired = TRUE, exact = FALSE, correct = FALSE)
put("lakens_wilcox_V", wt$statistic); put("lakens_wilcox_p_normal", wt$p.value)
# R's default (what evalkit reports): ties -> normal approximation with continuity correction
put("lakens_wilcox_p_default", suppressWarnings(wilcox.test(m1, m2, paired = TRUE))$p.value)

# 2. A DJG-like paired sample with ties and zero differences (paired_djg.csv).
pdj <- read.csv("paired_djg.csv")
tt2 <- t.test(pdj$post, pdj$pre, paired = TRUE)
put("djg_t", tt2$statistic); put("djg_p", tt2$p.value)
put("djg_ci_lower", tt2$conf.int[1]); put("djg_ci_upper", tt2$conf.int[2])
wt2 <- suppressWarnings(wilcox.test(pdj$post, pdj$pre, paired = TRUE, exact = FALSE, correct = FALSE))
dd <- pdj$post - pdj$pre; nz <- sum(dd != 0)
put("djg_wilcox_V", wt2$statistic); put("djg_wilcox_nonzero", nz); put("djg_wilcox_p", wt2$p.value)
put("djg_wilcox_p_default", suppressWarnings(wilcox.test(pdj$post, pdj$pre, paired = TRUE))$p.value)
t2 <- unname(tt2$statistic); df2 <- length(dd) - 1
lo2 <- uniroot(function(ncp) pt(t2, df2, ncp) - 0.975, c(-30, 30), tol = 1e-13)$root
hi2 <- uniroot(function(ncp) pt(t2, df2, ncp) - 0.025, c(-30, 30), tol = 1e-13)$root
put("djg_dz_ci_lower", lo2 / sqrt(length(dd))); put("djg_dz_ci_upper", hi2 / sqrt(length(dd)))

# 3. McNemar, Agresti (2013, Table 11.1; 2007 Table 8.1): presidential approval,
#    first survey (rows) x second survey (columns): [[794, 150], [86, 570]]; z = -4.17.
tab <- matrix(c(794, 86, 150, 570), 2)
mc <- mcnemar.test(tab, correct = FALSE)
put("mcnemar_chisq", mc$statistic); put("mcnemar_p_asymptotic", mc$p.value)
bt <- binom.test(150, 236, 0.5)
put("mcnemar_p_exact", bt$p.value)

# 4. Cronbach's alpha (psych::alpha, raw_alpha) of alpha_items.csv.
items <- read.csv("alpha_items.csv")
a <- psych::alpha(items, warnings = FALSE)
put("alpha_raw", a$total$raw_alpha)

res <- data.frame(name = names(out), value = unlist(out))
write.csv(res, "r_reference.csv", row.names = FALSE)
print(res)
