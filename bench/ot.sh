#!/bin/sh
# bench/ot.sh - nsl-ot-distance against POT (python3-pot), same data, same
# machine, one run each.  Prints the load (uptime) with the figures: on a
# shared machine timings are noisy.
#   sinkhorn  n = m = 2000, d = 64, eps = 0.05 x mean cost, both to a
#             marginal error of 1e-9 (POT: L2 of the column error,
#             checked every 10 iterations; nsl: L1 of the row error)
#   exact     n = m = 2000 and 4000, d = 64 (POT's emd2, numItermax 1e9),
#             RUNS (default 3) runs of each, interleaved.  POT is timed in
#             process: ot.dist and emd2 apart; nsl as a whole process
#             (reading, cost matrix and solve), its reading alone by a
#             sliced run of two projections.  CPU seconds are the figure to
#             quote on a loaded machine: both solves are single-threaded.
#   sns       against plain sinkhorn at eps-rel 0.01 and 0.001, n = 2000
#             (at most 100000 iterations: at 0.001 Sinkhorn stops short
#             of 1e-9), both against a dense Newton solve in NumPy
# Needs /usr/bin/python3 with numpy and ot (apt-get install python3-pot).
# BIG=1 also runs sinkhorn on n = m = 100000, d = 64 and reports peak RSS.
# PARTS picks the parts (default "sinkhorn exact sns"; the sns part takes
# about half an hour, most of it plain Sinkhorn at eps-rel 0.001).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/bin/nsl-ot-distance"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=/usr/bin/python3

gen() {	# n d seed shift file
	$py - "$@" <<'PY'
import sys, numpy as np
n, d, seed, shift, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
x = np.random.default_rng(seed).random((n, d)) + shift
with open(out, "w") as f:
    for r in x:
        f.write('{"embedding":[' + ",".join(repr(float(v)) for v in r) + "]}\n")
PY
}

pot() {	# method a b [eps]
	$py - "$@" <<'PY'
import sys, time, json, numpy as np, ot
meth, fa, fb = sys.argv[1:4]
X = np.array([json.loads(l)["embedding"] for l in open(fa)])
Y = np.array([json.loads(l)["embedding"] for l in open(fb)])
t = time.time(); c = time.process_time()
M = ot.dist(X, Y)
a = np.ones(len(X)) / len(X); b = np.ones(len(Y)) / len(Y)
if meth == "exact":
    t1 = time.time(); c1 = time.process_time()
    v = ot.emd2(a, b, M, numItermax=10**9)
    # it: the emd2 solve's CPU milliseconds (ot.dist's are the rest)
    it = int(round(1000 * (time.process_time() - c1)))
else:
    eps = float(sys.argv[4])
    G, log = ot.sinkhorn(a, b, M, eps, method="sinkhorn_log", stopThr=1e-9,
                         numItermax=10**6, log=True)
    v = float(np.sum(G * M)); it = log["niter"]
print("%.17g %d %.3f %.3f" % (v, it, time.time() - t, time.process_time() - c))
PY
}

# run nsl, print its record (with --timing: wall seconds); its CPU seconds (user + sys) go to $tmp/cpu
nsl() { /usr/bin/time -f "%U %S" -o "$tmp/time" "$bin" --timing "$@"; awk '{ print $1 + $2 }' "$tmp/time" > "$tmp/cpu"; }
cpu() { cat "$tmp/cpu"; }

PARTS=${PARTS:-sinkhorn exact sns}
part() { case " $PARTS " in *" $1 "*) return 0 ;; esac; return 1; }

field() { $py -c 'import json,sys; r=json.loads(sys.stdin.read()); print(r.get(sys.argv[1]))' "$1"; }

echo "load: $(uptime)"
gen 2000 64 1 0 "$tmp/a2k"; gen 2000 64 2 0.1 "$tmp/b2k"
if part sinkhorn; then
	nsl --method sinkhorn --eps-rel 0.05 --tol 1e-9 "$tmp/a2k" "$tmp/b2k" > "$tmp/r"
	r=$(cat "$tmp/r"); c=$(cpu)
	eps=$(echo "$r" | field epsilon)
	set -- $(pot sinkhorn "$tmp/a2k" "$tmp/b2k" "$eps")
	echo "sinkhorn n=m=2000 d=64 eps=$eps"
	echo "  nsl: value $(echo "$r" | field value) iterations $(echo "$r" | field iterations) wall $(echo "$r" | field seconds) s cpu $c s"
	echo "  POT: value $1 iterations $2 wall $3 s cpu $4 s"
	echo "  speed-up (POT/nsl): wall $($py -c "print('%.2f' % ($3 / $(echo "$r" | field seconds)))")x, cpu $($py -c "print('%.2f' % ($4 / $c))")x"
fi

if part exact; then
	for n in 2000 4000; do
		if [ "$n" = 4000 ]; then gen 4000 64 3 0 "$tmp/a"; gen 4000 64 4 0.1 "$tmp/b"
		else cp "$tmp/a2k" "$tmp/a"; cp "$tmp/b2k" "$tmp/b"; fi
		echo "exact n=m=$n d=64 (cpu = user + sys seconds)"
		run=1
		while [ "$run" -le "${RUNS:-3}" ]; do
			nsl --method exact "$tmp/a" "$tmp/b" > "$tmp/r"
			r=$(cat "$tmp/r"); c=$(cpu)
			nsl --method sliced --projections 2 "$tmp/a" "$tmp/b" > /dev/null
			rd=$(cpu)
			set -- $(pot exact "$tmp/a" "$tmp/b")
			pe=$($py -c "print('%.3f' % ($2 / 1000))")
			echo "  run $run nsl: value $(echo "$r" | field value) pivots $(echo "$r" | field iterations) wall $(echo "$r" | field seconds) s cpu $c s (reading alone: cpu $rd s)"
			echo "  run $run POT: value $1 wall $3 s cpu $4 s (emd2 alone: cpu $pe s)"
			echo "  run $run nsl whole / POT emd2 alone, cpu: $($py -c "print('%.2f' % ($c / $pe))")"
			run=$((run + 1))
		done
	done
fi

# <P, C> at eps by a dense Newton solve in NumPy (make-ref.py's), the
# reference for both at small eps, where plain Sinkhorn may not converge
newton_ref() {	# a b eps
	$py - "$top/tests/fixtures/ot/make-ref.py" "$@" <<'PY'
import importlib.util, json, sys, numpy as np
from scipy.spatial.distance import cdist
spec = importlib.util.spec_from_file_location("make_ref", sys.argv[1])
mr = importlib.util.module_from_spec(spec); spec.loader.exec_module(mr)
X = np.array([json.loads(l)["embedding"] for l in open(sys.argv[2])])
Y = np.array([json.loads(l)["embedding"] for l in open(sys.argv[3])])
a = np.ones(len(X)) / len(X); b = np.ones(len(Y)) / len(Y)
print("%.17g" % mr.entropic_newton(a, b, cdist(X, Y, "sqeuclidean"), float(sys.argv[4])))
PY
}
relerr() { $py -c "print('%.2g' % abs(($1 - $2) / $2))"; }

if part sns; then
	for rel in 0.01 0.001; do
		r1=$("$bin" --timing --method sinkhorn --eps-rel $rel --tol 1e-9 "$tmp/a2k" "$tmp/b2k" 2>/dev/null || true)
		r2=$("$bin" --timing --method sns --eps-rel $rel --tol 1e-9 "$tmp/a2k" "$tmp/b2k")
		eps=$(echo "$r2" | field epsilon)
		ref=$(newton_ref "$tmp/a2k" "$tmp/b2k" "$eps" 2>/dev/null)
		v1=$(echo "$r1" | field value); v2=$(echo "$r2" | field value)
		echo "sns vs sinkhorn, eps-rel $rel (eps $eps), n=m=2000 d=64, tol 1e-9"
		echo "  sinkhorn: value $v1 iterations $(echo "$r1" | field iterations) seconds $(echo "$r1" | field seconds) converged $(echo "$r1" | field converged) error $(echo "$r1" | field marginal_error)"
		echo "  sns:      value $v2 sinkhorn $(echo "$r2" | field sinkhorn_iterations) newton $(echo "$r2" | field newton_iterations) seconds $(echo "$r2" | field seconds) converged $(echo "$r2" | field converged)"
		echo "  dense Newton (NumPy): $ref; relative difference sinkhorn $(relerr "$v1" "$ref"), sns $(relerr "$v2" "$ref"), sns-sinkhorn $(relerr "$v2" "$v1")"
	done
fi

if [ "${BIG:-0}" = 1 ]; then
	gen 100000 64 5 0 "$tmp/A"; gen 100000 64 6 0.1 "$tmp/B"
	/usr/bin/time -f "  peak RSS %M KB, wall %e s" "$bin" --method sinkhorn \
	    --eps-rel 0.5 --tol 1e-4 "$tmp/A" "$tmp/B"
fi
echo "load: $(uptime)"
