# Independent reference values (R, base stats only) for tests/test_prepost_checks.py.
# Run from this directory:  Rscript prepost_review.R   (input: long.csv from make_data.py)
options(digits = 17)
d <- read.csv("long.csv", colClasses = c(id = "character"))
out <- list()
put <- function(k, v) out[[k]] <<- v
for (later in c("post", "followup")) {
  w1 <- d[d$wave == "pre", ]; w2 <- d[d$wave == later, ]
  units <- unique(c(w1$id, w2$id))
  m <- merge(w1[, c("id", "total", "gender", "age")], w2[, c("id", "total")], by = "id",
             suffixes = c("_pre", "_post"))
  m <- m[!is.na(m$total_pre) & !is.na(m$total_post), ]
  x <- m$total_pre; y <- m$total_post; dd <- y - x; n <- length(dd)
  tt <- t.test(y, x, paired = TRUE)
  p <- function(k, v) put(paste0(later, ".", k), v)
  p("n", n); p("n_dropped", length(units) - n)
  p("mean_diff", unname(tt$estimate)); p("mean_diff_ci_lower", tt$conf.int[1])
  p("mean_diff_ci_upper", tt$conf.int[2]); p("t", unname(tt$statistic)); p("t_p", tt$p.value)
  p("d_z", mean(dd) / sd(dd))
  # CI of d_z: invert the noncentral t (Steiger & Fouladi 1997) with uniroot
  tobs <- unname(tt$statistic)
  f <- function(ncp, pr) pt(tobs, n - 1, ncp) - pr
  ncp <- c(uniroot(f, c(tobs - 30, tobs + 30), pr = 0.975, tol = 1e-13)$root,
           uniroot(f, c(tobs - 30, tobs + 30), pr = 0.025, tol = 1e-13)$root)
  p("d_z_ci_lower", ncp[1] / sqrt(n)); p("d_z_ci_upper", ncp[2] / sqrt(n))
  sav <- (sd(x) + sd(y)) / 2
  p("d_av_ci_lower", ncp[1] * sd(dd) / sav / sqrt(n)); p("d_av_ci_upper", ncp[2] * sd(dd) / sav / sqrt(n))
  p("d_av", mean(dd) / sav); p("g_av", mean(dd) / sav * (1 - 3 / (4 * (2 * n) - 9)))
  nz <- dd[dd != 0]
  V <- unname(wilcox.test(nz, exact = FALSE, correct = FALSE)$statistic)
  p("wilcoxon_W", min(V, length(nz) * (length(nz) + 1) / 2 - V))
  p("wilcoxon_p", wilcox.test(dd, exact = FALSE, correct = FALSE)$p.value)
  p("wilcoxon_p_default", suppressWarnings(wilcox.test(dd))$p.value)  # R default: what evalkit reports
  b <- sum(x >= 3 & y < 3); cc <- sum(x < 3 & y >= 3)
  p("share_pre", mean(x >= 3)); p("share_post", mean(y >= 3))
  p("mcnemar_exact_p", binom.test(min(b, cc), b + cc, 0.5)$p.value)
  s_diff <- sqrt(2) * sd(x) * sqrt(1 - 0.97); rci <- dd / s_diff
  p("rc_improved", sum(rci < -qnorm(0.975))); p("rc_deteriorated", sum(rci > qnorm(0.975)))
  p("rc_threshold", qnorm(0.975) * s_diff)
}
# attrition (pre -> post): baseline = non-missing outcome at pre
w1 <- d[d$wave == "pre" & !is.na(d$total), ]
w2 <- d[d$wave == "post" & !is.na(d$total), ]
w1$completer <- w1$id %in% w2$id
put("att.n_baseline", nrow(w1)); put("att.n_completers", sum(w1$completer))
wt <- t.test(w1$total[!w1$completer], w1$total[w1$completer], var.equal = FALSE)
put("att.total_diff", unname(wt$estimate[1] - wt$estimate[2]))
put("att.total_p", wt$p.value); put("att.total_df", unname(wt$parameter))
ct <- chisq.test(table(w1$gender, w1$completer), correct = FALSE)
put("att.gender_chi2", unname(ct$statistic)); put("att.gender_p", ct$p.value)
write.csv(data.frame(key = names(out), value = unlist(out)), "r_reference.csv", row.names = FALSE)
