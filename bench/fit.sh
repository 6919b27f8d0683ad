#!/bin/sh
# bench/fit.sh - nsl-fit against scipy's L-BFGS-B from Epoch AI's
# 4500-start grid, on Epoch's Chinchilla set (240 points), and the time of
# a 4000-resample bootstrap; data-constrained against its nested chinchilla
# on the datablations runs (held out: the largest N); a 6-parameter
# formula on the 6506 GPT-3 validation points.  Run from the top of the
# tree after `make`.  STRIDE=k runs scipy on every k-th grid start only
# (default 1: all 4500).  bench/nist.py gives the NIST StRD table.
set -e
T=${TMPDIR:-/tmp}/nsl-bench-fit.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
bin/nsl-convert tests/data/svg_extracted_data.csv |
    jq -c '{N: .["Model Size"], D: (.["Training FLOP"]/(6*.["Model Size"])), loss}' > "$T/chin.jsonl"
echo "load: $(uptime)"
s=$(date +%s.%N)
bin/nsl-fit --drop-top 5 "$T/chin.jsonl" > "$T/fit.json"
e=$(date +%s.%N)
nsl=$(echo "$e - $s" | bc)
echo "nsl-fit: $(jq -c '{objective, alpha: .params.alpha, beta: .params.beta, E: .params.E}' "$T/fit.json") in ${nsl}s"
s=$(date +%s.%N)
bin/nsl-fit --drop-top 5 --bootstrap 4000 "$T/chin.jsonl" > "$T/boot.json"
e=$(date +%s.%N)
echo "nsl-fit --bootstrap 4000: $(echo "$e - $s" | bc)s, intervals $(jq -c '{alpha: .intervals.alpha, beta: .intervals.beta, E: .intervals.E}' "$T/boot.json")"
bin/nsl-convert tests/data/datablations_contour_losses.csv |
    jq -c '{N: .num_params, D: .token_num, U: (.token_num / .epochs), loss: .openLM_loss}' > "$T/dbl.jsonl"
for law in chinchilla data-constrained; do
	s=$(date +%s.%N)
	bin/nsl-fit -q --law $law "$T/dbl.jsonl" > "$T/dc.json"
	m=$(date +%s.%N)
	bin/nsl-fit -q --law $law --holdout-largest N "$T/dbl.jsonl" > "$T/dch.json"
	echo "datablations $law: $(jq -c '{objective, nested, degenerate}' "$T/dc.json") in $(echo "$m - $s" | bc)s; largest N held out: $(jq -c '{n: .holdout.n, are: .holdout.are, rmsle: .holdout.rmsle}' "$T/dch.json")"
done
bin/nsl-convert tests/data/gpt3_extracted.csv.gz |
    jq -c 'select(.val_loss != null) |
        {N: ({small: 125e6, medium: 350e6, large: 760e6, xl: 1.3e9, "2.7b": 2.7e9,
              "6.7b": 6.7e9, "13b": 13e9, "175b": 175e9}[.model]),
         D: (.step * 1e9), loss: .val_loss}' > "$T/gpt3.jsonl"
s=$(date +%s.%N)
bin/nsl-fit --formula 'E + (A/N^a + B/D^b)^g' --param E=1.7,A=400,a=0.3,B=400,b=0.3,g=1 \
    --x N,D --y loss "$T/gpt3.jsonl" > "$T/g.json"
e=$(date +%s.%N)
echo "6-parameter formula on $(wc -l < "$T/gpt3.jsonl") GPT-3 points: $(jq -c '{objective, converged}' "$T/g.json") in $(echo "$e - $s" | bc)s"
/usr/bin/python3 - "$T/chin.jsonl" "${STRIDE:-1}" "$nsl" <<'PY'
import json, sys, time, itertools
import numpy as np
from scipy.optimize import minimize
from scipy.special import logsumexp
rows = [json.loads(l) for l in open(sys.argv[1])]
L = np.array([r["loss"] for r in rows]); cut = np.sort(L)[-5]
keep = L < cut
lN = np.log([r["N"] for r in rows])[keep]; lD = np.log([r["D"] for r in rows])[keep]
ly = np.log(L[keep]); d = 1e-3
def f(p):
    a, b, e, al, be = p
    t = np.stack([a - al*lN, b - be*lD, np.full_like(lN, e)])
    pr = logsumexp(t, axis=0); r = pr - ly
    h = np.where(np.abs(r) <= d, 0.5*r*r, d*(np.abs(r) - 0.5*d))
    psi = np.clip(r, -d, d)
    w = np.exp(t - pr)
    g = np.array([np.sum(psi*w[0]), np.sum(psi*w[1]), np.sum(psi*w[2]),
                  np.sum(-psi*w[0]*lN), np.sum(-psi*w[1]*lD)])
    return h.sum(), g
grid = list(itertools.product(np.arange(0, 30, 5), np.arange(0, 30, 5),
    np.arange(-1, 1.5, 0.5), np.arange(0, 2.5, 0.5), np.arange(0, 2.5, 0.5)))
stride = int(sys.argv[2]); starts = grid[::stride]
t0 = time.time(); best = None
for s in starts:
    r = minimize(f, np.array(s, float), jac=True, method="L-BFGS-B")
    if best is None or r.fun < best.fun: best = r
dt = time.time() - t0
full = dt * len(grid) / len(starts)
print("scipy L-BFGS-B: %d of %d starts in %.2fs (all %d: %.1fs), objective %.10g alpha %.4f beta %.4f E %.4f"
      % (len(starts), len(grid), dt, len(grid), full, best.fun, best.x[3], best.x[4], np.exp(best.x[2])))
print("ratio (scipy, all 4500 starts) / nsl-fit: %.0fx" % (full / float(sys.argv[3])))
PY
