# Review spot-check of evalkit.did.staggered's analytic (influence-function) standard errors
# in the one-cohort, two-period case, where ATT(2,2) is the coefficient of D in
# lm(dy ~ D) on the unit-level changes dy = y_2 - y_1:
#   unclustered SE = HC0 (sandwich::vcovHC(type = "HC0")),
#   clustered SE   = vcovCL(cluster = ~cluster, type = "HC0", cadjust = FALSE)
# (the influence-function variance sum_c (sum_{i in c} psi_i)^2 / n^2 has no small-sample
# factor). Data: two_period_cluster.csv (evalkit.did.simulate_staggered(300, periods=(1, 2),
# cohorts=(2,), shares=(0.5,), seed=31)). Run in this directory: Rscript make_reference_cluster.R
library(sandwich)
library(jsonlite)
d <- read.csv("two_period_cluster.csv")
d <- d[order(d$unit, d$time), ]
w <- reshape(d[, c("unit", "time", "y", "g", "cluster")], idvar = c("unit", "g", "cluster"),
             timevar = "time", direction = "wide")
w$dy <- w$y.2 - w$y.1
w$D <- as.integer(w$g == 2)
m <- lm(dy ~ D, data = w)
out <- list(att = unname(coef(m)["D"]),
            se_hc0 = unname(sqrt(diag(vcovHC(m, type = "HC0")))["D"]),
            se_cl_hc0 = unname(sqrt(diag(vcovCL(m, cluster = ~cluster, type = "HC0",
                                                  cadjust = FALSE)))["D"]),
            n_units = nrow(w), n_clusters = length(unique(w$cluster)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "cluster_two_period.json")
