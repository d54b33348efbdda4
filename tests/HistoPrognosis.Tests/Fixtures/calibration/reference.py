#!/usr/bin/env python3
"""Independent pure-Python (standard library only) reference for FiveYearCalibration, CalibrationCurve,
DecisionCurve and ConformalSurvival. Generates a fixed cohort (cohort.csv) and writes expected.json.
Written from the definitions in the C# XML docs, not from the C# code. Run: python3 reference.py"""
import json, math, random

rng = random.Random(20261203)
N, HORIZON, C0, LEVEL = 80, 60.0, 60.0, 0.8
rows = []
for i in range(N):
    x = rng.gauss(0, 1)
    t_true = -math.log(1 - rng.random()) / (0.012 * math.exp(0.8 * x))
    c = rng.uniform(10, 150)
    time = round(min(t_true, c), 4)
    event = 1 if t_true <= c else 0
    p = 1 - math.exp(-60 * 0.008 * math.exp(1.1 * x + 0.1))  # deliberately miscalibrated
    rows.append((time, event, round(p, 6), round(x, 6)))
assert len({r[0] for r in rows}) == N, "times must be distinct (no ties: Efron = Breslow)"
time = [r[0] for r in rows]; event = [r[1] for r in rows]; pred = [r[2] for r in rows]; risk = [r[3] for r in rows]
with open("cohort.csv", "w") as f:
    f.write("time,event,p,risk\n")
    for r in rows: f.write(f"{r[0]},{r[1]},{r[2]},{r[3]}\n")

def km(ts, es):
    """Kaplan-Meier: list of (time, S after, greenwood sum after) at event times."""
    out, s, gw = [], 1.0, 0.0
    for t in sorted(set(ts)):
        n = sum(1 for u in ts if u >= t)
        d = sum(1 for u, e in zip(ts, es) if u == t and e)
        if d:
            s *= (n - d) / n
            gw += d / (n * (n - d)) if n > d else math.inf
            out.append((t, s, gw))
    return out

def km_at(ts, es, h):
    """S(h) and the Greenwood sum; beyond the last time only when S has reached 0 there."""
    if h > max(ts):
        k = km(ts, es)
        return (0.0, math.inf) if k and k[-1][1] == 0 else None
    s, gw = 1.0, 0.0
    for t, sv, g in km(ts, es):
        if t <= h: s, gw = sv, g
    return s, gw

def cens_before(ts, es, t):
    """G(t-) of the censoring KM: censorings strictly before t; events leave the risk set first at tied times."""
    g = 1.0
    for u in sorted(set(ts)):
        if u >= t: break
        n = sum(1 for v in ts if v >= u)
        d = sum(1 for v, e in zip(ts, es) if v == u and e)
        c = sum(1 for v, e in zip(ts, es) if v == u and not e)
        if c: g *= 1 - c / (n - d)
    return g

def cens_at(ts, es, t):
    g = 1.0
    for u in sorted(set(ts)):
        if u > t: break
        n = sum(1 for v in ts if v >= u)
        d = sum(1 for v, e in zip(ts, es) if v == u and e)
        c = sum(1 for v, e in zip(ts, es) if v == u and not e)
        if c: g *= 1 - c / (n - d)
    return g

def q7(xs, p):
    s = sorted(xs); h = (len(s) - 1) * p; lo = math.floor(h); hi = min(lo + 1, len(s) - 1)
    return s[lo] + (h - lo) * (s[hi] - s[lo])

Z = 1.959963984540054
# calibration curve, 4 groups by rank
groups = []
order = sorted(range(N), key=lambda i: (pred[i], i))
G = 4
for g in range(G):
    idx = order[g * N // G:(g + 1) * N // G]
    ts = [time[i] for i in idx]; es = [event[i] for i in idx]
    s, gw = km_at(ts, es, HORIZON)
    se = math.sqrt(gw); L = math.log(s)
    lo_s = s ** math.exp(-Z * se / L); hi_s = s ** math.exp(Z * se / L)
    groups.append(dict(patients=len(idx), events=sum(es), mean_predicted=sum(pred[i] for i in idx) / len(idx),
                       observed=1 - s, lower=1 - hi_s, upper=1 - lo_s))

# IPCW status and weights
y, w = [], []
for i in range(N):
    if time[i] > HORIZON: y.append(0); w.append(1 / cens_at(time, event, HORIZON))
    elif event[i]: y.append(1); w.append(1 / cens_before(time, event, time[i]))
    else: y.append(0); w.append(0.0)
lg = [math.log(p / (1 - p)) for p in pred]
sig = lambda v: 1 / (1 + math.exp(-v))
a = b = 0.0
for _ in range(200):
    g0 = sum(wi * (yi - sig(a + b * xi)) for wi, yi, xi in zip(w, y, lg))
    g1 = sum(wi * (yi - sig(a + b * xi)) * xi for wi, yi, xi in zip(w, y, lg))
    h = [[0, 0], [0, 0]]
    for wi, xi in zip(w, lg):
        m = sig(a + b * xi); v = wi * m * (1 - m)
        h[0][0] += v; h[0][1] += v * xi; h[1][1] += v * xi * xi
    det = h[0][0] * h[1][1] - h[0][1] ** 2
    da = (h[1][1] * g0 - h[0][1] * g1) / det; db = (h[0][0] * g1 - h[0][1] * g0) / det
    a += da; b += db
    if abs(da) + abs(db) < 1e-14: break
slope = b
a0 = 0.0
for _ in range(200):
    g = sum(wi * (yi - sig(a0 + xi)) for wi, yi, xi in zip(w, y, lg))
    hh = sum(wi * sig(a0 + xi) * (1 - sig(a0 + xi)) for wi, xi in zip(w, lg))
    a0 += g / hh
    if abs(g / hh) < 1e-14: break
intercept = a0
s_all, _ = km_at(time, event, HORIZON)
oe = (1 - s_all) / (sum(pred) / N)

# ICI: Cox on a 3-knot RCS of log(-log(1-p)), Breslow baseline
cll = [math.log(-math.log(1 - p)) for p in pred]
sc = sorted(cll)
knots = [sc[4], q7(cll, 0.5), sc[N - 5]]  # n < 100: outer knots 5th smallest / largest (Hmisc)
t1, t2, t3 = knots
cube = lambda v: v ** 3 if v > 0 else 0.0
def basis(x):
    return [x, (cube(x - t1) - cube(x - t2) * (t3 - t1) / (t3 - t2) + cube(x - t3) * (t2 - t1) / (t3 - t2)) / (t3 - t1) ** 2]
X = [basis(v) for v in cll]
mean = [sum(r[c] for r in X) / N for c in range(2)]
Xc = [[r[c] - mean[c] for c in range(2)] for r in X]
beta = [0.0, 0.0]
for _ in range(100):
    U = [0.0, 0.0]; I = [[0.0, 0.0], [0.0, 0.0]]
    for i in range(N):
        if not event[i]: continue
        R = [j for j in range(N) if time[j] >= time[i]]
        r = [math.exp(sum(Xc[j][c] * beta[c] for c in range(2))) for j in R]
        s0 = sum(r); s1 = [sum(rj * Xc[j][c] for rj, j in zip(r, R)) for c in range(2)]
        s2 = [[sum(rj * Xc[j][c] * Xc[j][e] for rj, j in zip(r, R)) for e in range(2)] for c in range(2)]
        for c in range(2):
            U[c] += Xc[i][c] - s1[c] / s0
            for e in range(2): I[c][e] += s2[c][e] / s0 - s1[c] * s1[e] / s0 ** 2
    det = I[0][0] * I[1][1] - I[0][1] * I[1][0]
    step = [(I[1][1] * U[0] - I[0][1] * U[1]) / det, (I[0][0] * U[1] - I[1][0] * U[0]) / det]
    beta = [beta[c] + step[c] for c in range(2)]
    if abs(step[0]) + abs(step[1]) < 1e-13: break
lp0 = [sum(X[i][c] * beta[c] for c in range(2)) for i in range(N)]  # raw (uncentred) linear predictor
H0 = 0.0
for i in range(N):
    if event[i] and time[i] <= HORIZON:
        H0 += 1 / sum(math.exp(lp0[j]) for j in range(N) if time[j] >= time[i])
obs = [1 - math.exp(-H0 * math.exp(v)) for v in lp0]
err = [abs(p - o) for p, o in zip(pred, obs)]
ici = dict(ici=sum(err) / N, e50=q7(err, 0.5), e90=q7(err, 0.9), emax=max(err), knots=knots, beta=beta)

# decision curve
thresholds = [round(0.05 * k, 10) for k in range(1, 13)]
dca = []
for pt in thresholds:
    idx = [i for i in range(N) if pred[i] >= pt]
    odds = pt / (1 - pt)
    if not idx: nb = 0.0
    else:
        r_ = km_at([time[i] for i in idx], [event[i] for i in idx], HORIZON)
        share = len(idx) / N
        nb = None if r_ is None else (1 - r_[0]) * share - r_[0] * share * odds
    dca.append(dict(threshold=pt, high_risk=len(idx), model=nb, treat_all=(1 - s_all) - s_all * odds))

# conformal: calibrate on all patients, score V = log(min(T, c0)) + risk
known = []
for i in range(N):
    if not event[i] and time[i] < C0: continue
    tt = min(time[i], C0)
    known.append((math.log(tt) + risk[i], 1 / cens_before(time, event, tt)))
wt = 1 / cens_before(time, event, C0)
total = wt + sum(k[1] for k in known)
alpha = 1 - LEVEL
q = None
for v, _ in sorted(known):
    below = sum(k[1] for k in known if k[0] < v)
    if (wt + below) / total <= alpha + 1e-12: q = v
bounds = [min(math.exp(q - r), C0) for r in risk]
cov = 0; miss = 0; hw = 0.0; kw = 0.0
for i in range(N):
    if time[i] >= bounds[i]:
        cov += 1; gg = cens_before(time, event, bounds[i]); hw += 1 / gg; kw += 1 / gg
    elif event[i]:
        miss += 1; kw += 1 / cens_before(time, event, time[i])
conformal = dict(level=LEVEL, cutoff=C0, quantile=q, known_scores=len(known), covered=cov, missed=miss,
                 lower=cov / N, upper=(N - miss) / N, ipcw=hw / kw, bounds=bounds)

out = dict(horizon=HORIZON, groups=groups, intercept=intercept, slope=slope, observed_expected=oe,
           integrated=ici, decision_curve=dca, conformal=conformal)
with open("expected.json", "w") as f:
    json.dump(out, f, indent=1)
print(json.dumps({k: out[k] for k in ("intercept", "slope", "observed_expected")}), ici["ici"], q, cov, miss)
