#!/bin/sh
# bench/ot-gaussian.sh - nsl-ot-distance --method gaussian on samples of
# two known Gaussians (d = 8, means and covariances fixed below) against
# the closed-form W2^2 of the true distributions, as n grows.  The fitted
# means and covariances converge at rate 1/sqrt(n), and so should the
# error; three seeds per n.
# Needs /usr/bin/python3 with numpy and scipy (python3-scipy).
#	sh bench/ot-gaussian.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/bin/nsl-ot-distance"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

# the true parameters, and the closed form
$py - "$tmp" <<'PY'
import sys, numpy as np, scipy.linalg as la
d = 8
r = np.random.default_rng(12345)
ma, mb = r.normal(size=d), r.normal(size=d) + 0.5
L = r.normal(size=(d, d)); Sa = L @ L.T / d + 0.5 * np.eye(d)
L = r.normal(size=(d, d)); Sb = L @ L.T / d + 0.2 * np.eye(d)
rs = la.sqrtm(Sa).real
w2 = np.sum((ma - mb) ** 2) + np.trace(Sa + Sb - 2 * la.sqrtm(rs @ Sb @ rs).real)
np.savez(sys.argv[1] + "/truth.npz", ma=ma, mb=mb, Sa=Sa, Sb=Sb)
open(sys.argv[1] + "/w2", "w").write("%.17g\n" % w2)
PY
truth=$(cat "$tmp/w2")
echo "closed form W2^2 of the true Gaussians: $truth"
printf '%8s %5s %22s %12s\n' n seed "W2^2 of the fits" "rel. error"
for n in 100 1000 10000 100000; do
	for seed in 1 2 3; do
		$py - "$tmp" "$n" "$seed" <<'PY'
import sys, numpy as np
t = np.load(sys.argv[1] + "/truth.npz")
n, seed = int(sys.argv[2]), int(sys.argv[3])
r = np.random.default_rng(seed)
for name, m, S in (("a", t["ma"], t["Sa"]), ("b", t["mb"], t["Sb"])):
    x = r.multivariate_normal(m, S, size=n)
    with open(sys.argv[1] + "/" + name, "w") as f:
        for v in x:
            f.write('{"embedding":[' + ",".join(repr(float(u)) for u in v) + "]}\n")
PY
		v=$("$bin" --method gaussian "$tmp/a" "$tmp/b" | $py -c \
		    'import json,sys; print(json.load(sys.stdin)["value"])')
		$py -c "import sys; v, t = float(sys.argv[1]), float(sys.argv[2]); print('%8d %5d %22.17g %12.3e' % ($n, $seed, v, abs(v - t) / t))" "$v" "$truth"
	done
done
