# Reference ROC values from pROC (evalkit.validation.roc tests).
# Run from tests/reference:  Rscript proc/proc_reference.R   (data: proc/roc.csv, made by psych/make_data.py)
suppressPackageStartupMessages({library(pROC); library(jsonlite)})
d <- read.csv("proc/roc.csv")
r <- roc(d$reference, d$score, levels = c(0, 1), direction = "<", quiet = TRUE)
ci <- ci.auc(r, method = "delong")
b <- coords(r, "best", best.method = "youden", ret = c("threshold", "sensitivity", "specificity", "tp", "tn", "fp", "fn"), transpose = FALSE)
out <- list(pROC = as.character(packageVersion("pROC")),
            auc = as.numeric(auc(r)), var_delong = var(r, method = "delong"),
            ci_delong = as.numeric(ci)[c(1, 3)],
            thresholds = r$thresholds, sensitivities = r$sensitivities, specificities = r$specificities,
            best = as.list(b[1, ]))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "proc/proc_reference.json")
