# Reference control limits for evalkit.funnel, produced once with base R (stats).
# Run from this directory:  Rscript make_reference.R
# Spiegelhalter (2005, Statistics in Medicine 24:1185-1202), appendix A.1.1: exact binomial
# limits with interpolation, r_p = qbinom(p, n, theta0),
# alpha = (pbinom(r_p) - p) / (pbinom(r_p) - pbinom(r_p - 1)), limit = (r_p - alpha) / n;
# and the normal approximation theta0 +- z_p sqrt(theta0 (1 - theta0) / n).
grid <- expand.grid(n = c(20, 50, 137, 300, 512, 1000, 3000), target = c(0.09, 0.3, 0.47, 0.81),
                    p = c(0.001, 0.025, 0.975, 0.999))
binlim <- function(p, n, t) {
  r <- qbinom(p, n, t)
  alpha <- (pbinom(r, n, t) - p) / (pbinom(r, n, t) - pbinom(r - 1, n, t))
  (r - alpha) / n
}
grid$binomial <- mapply(binlim, grid$p, grid$n, grid$target)
grid$normal <- grid$target + qnorm(grid$p) * sqrt(grid$target * (1 - grid$target) / grid$n)
out <- grid
for (j in c("binomial", "normal")) out[[j]] <- sprintf("%.17g", out[[j]])
write.csv(out, "limits.csv", row.names = FALSE)
print(head(grid))
