# Ordinal logistic regression DIF (Zumbo 1999) reference with MASS::polr.
# Run from this directory: Rscript make_reference.R  (reads youth_dif.csv)
suppressMessages({library(MASS); library(jsonlite)})
d <- read.csv("youth_dif.csv")
items <- sprintf("y%02d", 1:12)
d$total <- rowSums(d[, items])
d$g <- factor(d$gender, levels = c("jongen", "meisje"))
res <- lapply(items, function(it) {
  y <- factor(d[[it]], ordered = TRUE)
  m0 <- polr(y ~ 1, data = d, method = "logistic", control = list(reltol = 1e-14, maxit = 1000))
  m1 <- polr(y ~ total, data = d, method = "logistic", control = list(reltol = 1e-14, maxit = 1000))
  m2 <- polr(y ~ total + g, data = d, method = "logistic", Hess = TRUE, control = list(reltol = 1e-14, maxit = 1000))
  m3 <- polr(y ~ total * g, data = d, method = "logistic", control = list(reltol = 1e-14, maxit = 1000))
  ll <- sapply(list(m0, m1, m2, m3), function(m) as.numeric(logLik(m)))
  list(item = it, ll0 = ll[1], ll1 = ll[2], ll2 = ll[3], ll3 = ll[4],
       beta_group = unname(coef(m2)["gmeisje"]),
       se_group = unname(sqrt(diag(vcov(m2)))["gmeisje"]))
})
writeLines(toJSON(res, digits = NA, auto_unbox = TRUE, pretty = TRUE), "reference.json")
