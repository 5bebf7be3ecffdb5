# Review spot-check of evalkit.did.two_by_two with missing values (listwise deletion), two
# covariates and a single-observation cluster. R 4.x, sandwich 3.0-2.
# Run in this directory: Rscript make_reference.R
library(sandwich)
library(jsonlite)
d <- read.csv("cr1_missing.csv")
m <- lm(y ~ treated + post + treated:post + age + female, data = d)  # na.omit
used <- d[-as.integer(m$na.action), ]
j <- "treated:post"
out <- list(
  estimate = unname(coef(m)[j]),
  se_conventional = unname(sqrt(diag(vcov(m)))[j]),
  se_hc1 = unname(sqrt(diag(vcovHC(m, type = "HC1")))[j]),
  se_cr1 = unname(sqrt(diag(vcovCL(m, cluster = ~neighbourhood, type = "HC1")))[j]),
  n = nobs(m), n_clusters = length(unique(used$neighbourhood)))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "sandwich_missing.json")
