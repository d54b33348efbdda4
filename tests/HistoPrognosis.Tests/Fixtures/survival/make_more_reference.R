# Extra reference values for HistoPrognosis's survival tests, at full double precision (%.17g), computed with
# R 4.2.2, survival 3.5-3, riskRegression 2022.11.28, prodlim (Debian bookworm packages). Run in this folder:
#   Rscript make_more_reference.R      (reads gbsg.csv and rotterdam.csv, writes more/*.csv)
suppressMessages({library(survival); library(riskRegression); library(prodlim)})
dir.create("more", showWarnings = FALSE)
fmt <- function(x) sprintf("%.17g", x)
out <- function(df, name) write.csv(df, file.path("more", name), row.names = FALSE)

gbsg <- read.csv("gbsg.csv")
rot <- read.csv("rotterdam.csv")
rot$size2 <- as.integer(factor(rot$size, levels = c("<=20", "20-50", ">50")))
cohorts <- list(
  gbsg = list(d = gbsg, time = "rfstime", event = "status",
              covars = c("age","meno","size","grade","nodes","pgr","er","hormon")),
  rotterdam = list(d = rot, time = "dtime", event = "death",
              covars = c("age","meno","size2","grade","nodes","pgr","er","hormon","chemo")))

cox <- data.frame(); base <- data.frame(); conc <- data.frame(); auc <- data.frame(); brier <- data.frame()
ibs <- data.frame(); kmq <- data.frame()
for (tag in names(cohorts)) {
  co <- cohorts[[tag]]; d <- co$d
  y <- Surv(d[[co$time]], d[[co$event]])
  f <- as.formula(paste0("Surv(", co$time, ",", co$event, ") ~ ", paste(co$covars, collapse = "+")))
  for (ties in c("efron", "breslow")) {
    fit <- coxph(f, data = d, ties = ties)
    cox <- rbind(cox, data.frame(cohort = tag, ties = ties, term = names(coef(fit)), coef = fmt(coef(fit)),
      se = fmt(sqrt(diag(vcov(fit)))), loglik_null = fmt(fit$loglik[1]), loglik = fmt(fit$loglik[2]),
      mean = fmt(fit$means), iter = fit$iter))
    bh <- basehaz(fit, centered = FALSE)
    for (tt in c(100, 365, 1000, 1825, 2500)) {
      base <- rbind(base, data.frame(cohort = tag, ties = ties, time = tt,
        hazard = fmt(approx(bh$time, bh$hazard, xout = tt, method = "constant", rule = 2, f = 0)$y)))
    }
  }
  fit <- coxph(f, data = d)
  lp <- predict(fit, type = "lp")
  markers <- list(nodes = d$nodes, lp = lp)
  for (m in names(markers)) {
    x <- markers[[m]]
    ch <- concordance(y ~ x, reverse = TRUE)
    conc <- rbind(conc, data.frame(cohort = tag, marker = m, timewt = "n", ymax = NA, concordance = fmt(ch$concordance)))
    for (tau in c(365, 1000, 1825, 3000, 1e6)) {
      cu <- concordance(y ~ x, reverse = TRUE, timewt = "n/G2", ymax = tau)
      conc <- rbind(conc, data.frame(cohort = tag, marker = m, timewt = "n/G2", ymax = tau, concordance = fmt(cu$concordance)))
    }
    dd <- data.frame(time = d[[co$time]], status = d[[co$event]], m = x)
    times <- c(365, 1000, 1825, 3000)
    sc <- Score(list(m = dd$m), formula = Hist(time, status) ~ 1, data = dd, times = times, metrics = "auc",
                cens.model = "km", conf.int = FALSE, null.model = FALSE)
    auc <- rbind(auc, data.frame(cohort = tag, marker = m, time = sc$AUC$score$times, auc = fmt(sc$AUC$score$AUC)))
  }
  # Brier and integrated Brier of the Efron Cox model's event probabilities on a time grid
  grid <- c(365, 730, 1095, 1460, 1825)
  sf <- survfit(fit, newdata = d[, co$covars])
  pr <- 1 - t(summary(sf, times = grid, extend = TRUE)$surv)
  dd <- data.frame(time = d[[co$time]], status = d[[co$event]])
  sb <- Score(list(cox = pr), formula = Hist(time, status) ~ 1, data = dd, times = grid, metrics = "brier",
              summary = "ibs", cens.model = "km", conf.int = FALSE, null.model = FALSE)
  brier <- rbind(brier, data.frame(cohort = tag, time = sb$Brier$score$times, brier = fmt(sb$Brier$score$Brier),
                                   ibs = fmt(sb$Brier$score$IBS)))
  write.csv(data.frame(time = dd$time, status = dd$status, matrix(fmt(pr), ncol = length(grid),
            dimnames = list(NULL, paste0("p", grid)))), file.path("more", paste0("cox_risk_grid_", tag, ".csv")), row.names = FALSE)
  # Kaplan-Meier: every row with std.err and log limits, medians
  km <- survfit(y ~ 1)
  out(data.frame(time = km$time, n_risk = km$n.risk, n_event = km$n.event, n_censor = km$n.censor,
                 surv = fmt(km$surv), std_err = fmt(km$std.err), lower = fmt(km$lower), upper = fmt(km$upper)),
      paste0("km_full_", tag, ".csv"))
  q <- quantile(km, probs = 0.5)
  kmq <- rbind(kmq, data.frame(cohort = tag, median = fmt(q$quantile), lower = fmt(q$lower), upper = fmt(q$upper)))
}
out(cox, "cox.csv"); out(base, "basehaz.csv"); out(conc, "concordance.csv"); out(auc, "tdauc.csv")
out(brier, "brier.csv"); out(kmq, "km_median.csv")

# log-rank with 2, 3 and 4 groups
lr <- data.frame()
addlr <- function(tag, y, g) {
  s <- survdiff(y ~ g); df <- sum(s$exp > 0) - 1
  lr <<- rbind(lr, data.frame(case = tag, chisq = fmt(s$chisq), df = df, p = fmt(pchisq(s$chisq, df, lower.tail = FALSE))))
}
addlr("gbsg_grade", Surv(gbsg$rfstime, gbsg$status), gbsg$grade)
addlr("gbsg_hormon", Surv(gbsg$rfstime, gbsg$status), gbsg$hormon)
addlr("rotterdam_size", Surv(rot$dtime, rot$death), rot$size)
addlr("rotterdam_nodes4", Surv(rot$dtime, rot$death), pmin(rot$nodes, 3))
out(lr, "logrank.csv")

# Small hand-made cases: ties between events and censorings, timefix, a median exactly at 0.5
toy <- data.frame(time = c(1, 2, 2, 2, 3, 4, 4, 5, 6, 6, 0.1 + 0.2, 0.3, 7, 8),
                  event = c(1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 0),
                  risk = c(2, 5, 4, 4, 2, 3, 6, 1, 2, 0, 6, 1, 1, 3))
write.csv(data.frame(time = fmt(toy$time), event = toy$event, risk = toy$risk), file.path("more", "toy.csv"), row.names = FALSE)
yt <- Surv(toy$time, toy$event)
ct <- concordance(yt ~ toy$risk, reverse = TRUE)
cu <- concordance(yt ~ toy$risk, reverse = TRUE, timewt = "n/G2", ymax = 5)
st <- Score(list(m = toy$risk), formula = Hist(time, event) ~ 1, data = toy, times = c(2, 4.5), metrics = "auc",
            cens.model = "km", conf.int = FALSE, null.model = FALSE)
pb <- pmin(toy$risk / 7, 1)
sbt <- Score(list(m = pb), formula = Hist(time, event) ~ 1, data = toy, times = c(2, 4.5), metrics = "brier",
             cens.model = "km", conf.int = FALSE, null.model = FALSE)
out(data.frame(what = c("harrell", "concordant", "discordant", "tied_x", "tied_y", "tied_xy", "uno_ymax5",
                        "auc_t2", "auc_t4.5", "brier_t2", "brier_t4.5"),
               value = fmt(c(ct$concordance, ct$count[1:5], cu$concordance, st$AUC$score$AUC, sbt$Brier$score$Brier))),
    "toy_expected.csv")
med <- survfit(Surv(c(1, 2, 3, 4), c(1, 1, 1, 1)) ~ 1)
out(data.frame(case = "four_deaths_1_to_4", median = fmt(quantile(med, 0.5)$quantile)), "km_median_toy.csv")

# chi-square upper tail and normal quantiles for the special functions
cs <- expand.grid(x = c(0.001, 0.5, 1, 3.84, 10, 21.09443459, 54.2, 120, 700), df = c(1, 2, 3, 7, 30))
out(data.frame(x = cs$x, df = cs$df, p = fmt(pchisq(cs$x, cs$df, lower.tail = FALSE))), "pchisq.csv")
pq <- c(1e-10, 0.001, 0.025, 0.3, 0.5, 0.975, 0.999999)
out(data.frame(p = fmt(pq), q = fmt(qnorm(pq))), "qnorm.csv")
sink(file.path("more", "session_info.txt")); print(sessionInfo()); sink()
