#!/bin/sh
# bench/data-filter-pools.sh - the bucket question of Goyal et al. 2024
# end to end on synthetic score-quantile buckets with known laws: small
# runs on each bucket (budgets up to 32 epochs, 1% multiplicative noise,
# seeded), nsl-fit --law data-filter per bucket, nsl-pools --unions all
# per budget (every parameter per bucket; then a and d shared across the
# buckets, as the paper fits them, at the medians of the free fits);
# against the truth, a brute force over every union with the true laws
# in python.  Prints, per budget, the true best union, nsl's
# pick from the fitted laws and its regret (the true y of the pick over
# the true best, minus 1), then the times of nsl-pools and of the python
# brute force over the same unions with the fitted laws (the same
# answer, checked).  M=k buckets (default 10, 2^k - 1 unions).  Run from
# the top of the tree after `make`; needs python3 and jq.
set -e
M=${M:-10}
T=${TMPDIR:-/tmp}/nsl-bench-pools.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
bin=${NSL_BIN:-bin}
echo "load: $(uptime)"
/usr/bin/python3 - "$T" "$M" <<'PY'
import json, math, random, sys
T, M = sys.argv[1], int(sys.argv[2])
rng = random.Random(11)
# bucket i of M, best first: steeper utility, faster decay
B = [(-0.65 + 0.45 * i / (M - 1), 0.4 * 20 ** (i / (M - 1))) for i in range(M)]
def one(b, tau, P, n):
    v = 0.1 + min(P, n) ** b
    k = 1
    while P * k < n:
        v *= (min(P * (k + 1), n) / (P * k)) ** (b * 0.5 ** (k / tau))
        k += 1
    return v
with open(T + "/runs.jsonl", "w") as f, open(T + "/table.jsonl", "w") as t, \
        open(T + "/truth.json", "w") as g:
    for i, (b, tau) in enumerate(B):
        t.write(json.dumps({"bucket": i, "P": 1000}) + "\n")
        for n in (300, 1000, 2000, 4000, 8000, 16000, 32000):
            f.write(json.dumps({"bucket": i, "n": n, "P": 1000,
                "y": one(b, tau, 1000, n) * math.exp(rng.gauss(0, 0.01))})
                + "\n")
    json.dump(B, g)
with open(T + "/budgets.jsonl", "w") as f:
    for e in range(6, 15):
        f.write(json.dumps({"n": round(10 ** (e / 2))}) + "\n")
PY
# variant 1: every parameter per bucket; variant 2: the paper shares a
# and d across pools, here at the medians of variant 1's fits, then b
# and tau per bucket
s=$(date +%s.%N)
"$bin"/nsl-fit -q --law data-filter --loss log-ls --by bucket "$T/runs.jsonl" > "$T/fits1.jsonl"
e=$(date +%s.%N)
echo "nsl-fit, $M buckets, all free: $(echo "$e - $s" | bc)s"
shared=$(jq -rs '[map(.params.a), map(.params.d)] | map(sort | .[length / 2 | floor]) | "a=\(.[0]),d=\(.[1])"' "$T/fits1.jsonl")
"$bin"/nsl-fit -q --law data-filter --loss log-ls --by bucket --fix "$shared" "$T/runs.jsonl" > "$T/fits2.jsonl"
echo "shared: $shared"
for v in 1 2; do
	s=$(date +%s.%N)
	"$bin"/nsl-pools --fit "$T/fits$v.jsonl" --pools "$T/table.jsonl" "$T/budgets.jsonl" > "$T/picks$v.jsonl"
	e=$(date +%s.%N)
	echo "variant $v: nsl-pools --unions all, $(wc -l < "$T/budgets.jsonl") budgets x $(( (1 << M) - 1 )) unions: $(echo "$e - $s" | bc)s"
	/usr/bin/python3 - "$T" "$v" <<'PY'
import itertools, json, sys, time
T, v = sys.argv[1], sys.argv[2]
B = json.load(open(T + "/truth.json"))
fits = {}
for l in open(T + "/fits%s.jsonl" % v):
    r = json.loads(l)
    p = r["params"]
    fits[r["by"]["bucket"]] = (p["a"], p["b"], p["tau"], p["d"])
def mix(rows, n, P):
    m = len(rows)
    a = sum(r[0] for r in rows) / m
    d = sum(r[3] for r in rows) / m
    v = d + (a * min(P, n)) ** (sum(r[1] for r in rows) / m)
    k = 1
    while P * k < n:
        v *= (min(P * (k + 1), n) / (P * k)) ** (
            sum(r[1] * 0.5 ** (k / r[2]) for r in rows) / m)
        k += 1
    return v
M = len(B)
unions = [c for k in range(1, M + 1) for c in itertools.combinations(range(M), k)]
true = lambda c, n: mix([(1, B[i][0], B[i][1], 0.1) for i in c], n, 1000 * len(c))
worst = 0
print("%10s  %-24s %-24s %s" % ("n", "true best", "nsl from fits", "regret"))
picks = [json.loads(l) for l in open(T + "/picks%s.jsonl" % v)]
for r in picks:
    n = r["n"]
    best = min(unions, key=lambda c: true(c, n))
    pick = tuple(r["pools"])
    reg = true(pick, n) / true(best, n) - 1
    worst = max(worst, reg)
    print("%10d  %-24s %-24s %.2e" % (n, "+".join(map(str, best)),
                                     "+".join(map(str, pick)), reg))
print("largest regret: %.3g%%" % (100 * worst))
if v == "1":
    t0 = time.time()
    agree = 0
    for r in picks:
        n = r["n"]
        c = min(unions, key=lambda c: mix([fits[i] for i in c], n,
                                          1000 * len(c)))
        agree += list(c) == r["pools"]
    print("python brute force with the fitted laws: %.2fs, same pick on "
          "%d of %d" % (time.time() - t0, agree, len(picks)))
PY
done
