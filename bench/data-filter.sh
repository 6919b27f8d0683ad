#!/bin/sh
# bench/data-filter.sh - the data-filter law (Goyal et al. 2024) fitted
# by nsl-fit's multi-start least squares against the authors' approach, a
# grid search over (a, b, tau, d), on synthetic pools with known
# parameters and 2% multiplicative noise (seeded): the parameters each
# recovers, its objective (sum of squared log residuals) and its time.
# GRID=k points per parameter (default 16).  Run from the top of the tree
# after `make`; needs python3 with numpy.
set -e
T=${TMPDIR:-/tmp}/nsl-bench-filter.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
echo "load: $(uptime)"
/usr/bin/python3 - "$T/pools.jsonl" <<'PY'
import json, math, random, sys
rng = random.Random(3)
a, b, tau, d = 0.5, -0.4, 3.0, 0.2
def y(P, n):
    v = d + (a * min(P, n)) ** b
    k = 1
    while P * k < n:
        v *= (min(P * (k + 1), n) / (P * k)) ** (b * 0.5 ** (k / tau))
        k += 1
    return v
with open(sys.argv[1], "w") as f:
    for P in (1000, 4000):
        for n in (100, 300, 1000, 2000, 4000, 8000, 16000, 32000, 64000):
            f.write(json.dumps({"n": n, "P": P,
                                "y": y(P, n) * math.exp(rng.gauss(0, 0.02))})
                    + "\n")
print("truth: a=%g b=%g tau=%g d=%g" % (a, b, tau, d))
PY
s=$(date +%s.%N)
bin/nsl-fit -q --loss log-ls --law data-filter "$T/pools.jsonl" > "$T/fit.json"
e=$(date +%s.%N)
echo "nsl-fit (multi-start, log-ls): $(jq -c '{params, objective}' "$T/fit.json") in $(echo "$e - $s" | bc)s"
/usr/bin/python3 - "$T/pools.jsonl" "${GRID:-16}" <<'PY'
import itertools, json, sys, time
import numpy as np
rows = [json.loads(l) for l in open(sys.argv[1])]
g = int(sys.argv[2])
t0 = time.time()
A = np.exp(np.linspace(np.log(0.01), np.log(100), g))
B = np.linspace(-1, -0.01, g)
TAU = np.exp(np.linspace(np.log(0.1), np.log(100), g))
Dd = np.exp(np.linspace(np.log(0.01), np.log(10), g))
a, b, tau, d = np.meshgrid(A, B, TAU, Dd, indexing="ij")
obj = np.zeros(a.shape)
for r in rows:
    P, n = r["P"], r["n"]
    lv = np.log(d + (a * min(P, n)) ** b)
    k = 1
    while P * k < n:
        lv += b * 0.5 ** (k / tau) * np.log(min(P * (k + 1), n) / (P * k))
        k += 1
    obj += 0.5 * (lv - np.log(r["y"])) ** 2
i = np.unravel_index(np.argmin(obj), obj.shape)
print("grid search (%d^4 = %d points): a=%.4g b=%.4g tau=%.4g d=%.4g "
      "objective %.6g in %.2fs" % (g, g ** 4, a[i], b[i], tau[i], d[i],
                                    obj[i], time.time() - t0))
PY
