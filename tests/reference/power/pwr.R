# Reference values for evalkit.power: R pwr (Debian r-cran-pwr). Run: Rscript pwr.R (here).
suppressPackageStartupMessages({library(pwr); library(jsonlite)})
out <- list(
  paired_power = pwr.t.test(d = 0.421637, n = 50, type = "paired")$power,
  paired_power_one_sided = pwr.t.test(d = 0.3, n = 40, type = "paired", alternative = "greater")$power,
  paired_n = pwr.t.test(d = 0.5, power = 0.8, type = "paired")$n,
  paired_n_small = pwr.t.test(d = 0.2, power = 0.9, sig.level = 0.01, type = "paired")$n,
  paired_effect = pwr.t.test(n = 30, power = 0.8, type = "paired")$d,
  # 2x2 DiD without clusters = two-sample t on the changes, d = effect / sqrt(2 (1 - rho)),
  # n/2 per group: effect 0.3, rho 0.5 -> d = 0.3; effect 0.4, rho 0.8 -> d = 0.4 / sqrt(0.4)
  did_n_per_group = pwr.t.test(d = 0.3, power = 0.8, type = "two.sample")$n,
  did_power_per_group_100 = pwr.t.test(d = 0.4 / sqrt(0.4), n = 100, type = "two.sample")$power,
  did_effect_per_group_60 = pwr.t.test(n = 60, power = 0.9, type = "two.sample")$d
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "pwr.json")
writeLines(capture.output(sessionInfo()), "sessionInfo.txt")
