# Event-study coefficients and covariance of the HonestDiD README's Medicaid example
# (asheshrambachan/HonestDiD, README "Example usage - Medicaid expansions"):
#   fixest::feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips",
#                 data = df[year < 2016 & (is.na(yexp2) | yexp2 != 2015)])
# fixest is not installed here (not in Debian; CRAN unreachable), so the same model is
# fitted with lm() and the covariance is sandwich's cluster-robust one (HC0 with the
# G/(G-1) cluster adjustment) times fixest's default small-sample factor (n-1)/(n-K),
# K = 15: fixest::ssc(adj = TRUE, fixef.K = "nested", cluster.adj = TRUE) counts the 7
# event-study coefficients, the 7 free year effects and 1 for the state effects, which
# are nested in the state clusters. (K = 15 is also the only value for which the
# README's printed intervals are reproduced: see tests/test_did_honest.py.)
# Data: ehec_data.csv = Mixtape-Sessions/Advanced-DID Exercises/Data/ehec_data.dta, the
# file the README reads (written from the copy bundled with moderndid 0.2.0).
# Run: Rscript make_medicaid_inputs.R  (writes medicaid_inputs.json)
suppressMessages(library(sandwich))
df <- read.csv("ehec_data.csv")
df <- df[df$year < 2016 & (is.na(df$yexp2) | df$yexp2 != 2015), ]
df$D <- as.numeric(!is.na(df$yexp2) & df$yexp2 == 2014)
yrs <- setdiff(2008:2015, 2013)
for (y in yrs) df[[paste0("ev", y)]] <- as.numeric(df$year == y) * df$D
f <- as.formula(paste("dins ~", paste0("ev", yrs, collapse = " + "),
                      "+ factor(stfips) + factor(year)"))
fit <- lm(f, data = df)
nm <- paste0("ev", yrs)
V0 <- vcovCL(fit, cluster = ~stfips, type = "HC0", cadjust = TRUE)[nm, nm]
n <- nrow(df); K <- 15
sigma <- V0 * (n - 1) / (n - K)
out <- list(source = "HonestDiD README, Medicaid example; see make_medicaid_inputs.R",
            n = n, n_clusters = length(unique(df$stfips)), K = K,
            event_time = yrs - 2014, betahat = unname(coef(fit)[nm]),
            sigma = unname(sigma), sigma_cluster_hc0 = unname(V0))
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "medicaid_inputs.json")
writeLines(capture.output(sessionInfo()), "sessionInfo_medicaid.txt")
