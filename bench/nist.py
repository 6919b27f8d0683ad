#!/usr/bin/python3
"""bench/nist.py - the NIST StRD nonlinear regression suite: nsl-fit and
scipy's least_squares(method="lm") from Start 1 and Start 2 of each of the
27 problems, scored by the log relative error (LRE, correct significant
digits, the minimum over the parameters, capped at 11) against the
certified values, under each of the model's exact symmetries.

usage: bench/nist.py [DIR] (default tests/data/nist) from the top of the
tree after `make`.  NSL_FIT overrides the nsl-fit binary; NSL_ARGS adds
options to every nsl-fit run."""
import json, math, os, subprocess, sys, time
import numpy as np

DIR = sys.argv[1] if len(sys.argv) > 1 else "tests/data/nist"
NSL = os.environ.get("NSL_FIT", "bin/nsl-fit")
EXTRA = os.environ.get("NSL_ARGS", "").split()

def lre(est, cert):
    if cert == 0:
        d = abs(est)
    else:
        d = abs(est - cert) / abs(cert)
    if d == 0:
        return 11.0
    if not math.isfinite(d):
        return 0.0
    return max(0.0, min(11.0, -math.log10(d)))

def best_lre(p, est):
    names = p["params"]
    maps = [names] + p.get("equivalent", [])
    best = -1
    for m in maps:
        v = []
        for j, e in enumerate(m):
            s = -1 if e.startswith("-") else 1
            v.append(s * est[e.lstrip("-")])
        best = max(best, min(lre(v[j], p["certified"][names[j]])
                             for j in range(len(names))))
    return best

def npfun(formula):
    src = formula.replace("^", "**")
    ns = {"exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos,
          "atan": np.arctan, "sqrt": np.sqrt}
    return compile(src, "formula", "eval"), ns

def run_scipy(p, rows, start):
    from scipy.optimize import least_squares
    code, ns = npfun(p["formula"])
    X = {v: np.array([r[v] for r in rows], float) for v in p["x"]}
    y = np.array([r[p["y"]] for r in rows], float)
    names = p["params"]
    def res(b):
        env = dict(ns); env.update(X)
        env.update(dict(zip(names, b)))
        with np.errstate(all="ignore"):
            yh = eval(code, env)
            if p["loss"] == "log-ls":
                return np.log(yh) - np.log(y)
            return yh - y
    x0 = np.array([start[n] for n in names], float)
    t = time.time()
    try:
        r = least_squares(res, x0, method="lm", xtol=1e-15, ftol=1e-15,
                          gtol=1e-15, max_nfev=100000)
        est = dict(zip(names, r.x))
        rss = float(np.sum(r.fun ** 2))
    except Exception:
        est = {n: float("nan") for n in names}
        rss = float("nan")
    return est, rss, time.time() - t

def run_nsl(p, path, start):
    par = ",".join("%s=%r" % (n, start[n]) for n in p["params"])
    cmd = [NSL, "--loss", p["loss"], "--formula", p["formula"], "--param",
           par, "--x", ",".join(p["x"]), "--y", p["y"]] + EXTRA + [path]
    t = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True)
    dt = time.time() - t
    if r.returncode != 0:
        return None, r.returncode, r.stderr.strip(), dt
    rec = json.loads(r.stdout)
    return rec, 0, r.stderr.strip(), dt

def main():
    probs = [json.loads(l) for l in open(os.path.join(DIR, "problems.jsonl"))]
    print("%-9s %-7s | %5s %5s | %5s %5s | %9s %s" % ("problem", "level",
          "nsl1", "nsl2", "sp1", "sp2", "nsl s", "flags"))
    tot = {"nsl": 0, "sp": 0}
    n6 = {"nsl": 0, "sp": 0}
    for p in probs:
        path = os.path.join(DIR, p["name"] + ".jsonl")
        rows = [json.loads(l) for l in open(path)]
        cols, flags, tm = [], [], 0
        for s in ("start1", "start2"):
            rec, rc, err, dt = run_nsl(p, path, p[s])
            tm += dt
            if rec is None:
                cols.append(0.0)
                flags.append("%s:exit%d" % (s[-1], rc))
            else:
                cols.append(best_lre(p, rec["params"]))
                f = []
                if rec.get("degenerate"):
                    f.append("degen")
                if rec.get("converged") is False:
                    f.append("noconv")
                if err:
                    f.append("warn")
                if f:
                    flags.append("%s:%s" % (s[-1], "+".join(f)))
        for s in ("start1", "start2"):
            est, rss, _ = run_scipy(p, rows, p[s])
            cols.append(best_lre(p, est))
        for i in range(2):
            n6["nsl"] += cols[i] >= 6
            n6["sp"] += cols[2 + i] >= 6
        print("%-9s %-7s | %5.1f %5.1f | %5.1f %5.1f | %9.3f %s" % (
            p["name"], p["difficulty"], cols[0], cols[1], cols[2], cols[3],
            tm, " ".join(flags)))
        sys.stdout.flush()
    print("LRE >= 6: nsl %d of %d, scipy %d of %d" % (n6["nsl"], 2 * len(probs),
          n6["sp"], 2 * len(probs)))

main()
