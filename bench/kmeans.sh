#!/bin/sh
# k-means: nsl's library k-means (lib/kmeans.c, through bench/kmeans.c)
# against faiss's Kmeans (python3-faiss) and scikit-learn's
# KMeans(algorithm="lloyd") (python3-sklearn), bench/kmeans_peers.py,
# on N x D points (default 200000 x 128) from a mixture of K Gaussians,
# K = 100 clusters, ITERS = 20 Lloyd iterations (tol 0), both from the same
# initial centres.  Prints each one's seconds (the fit alone, data already
# in memory; wall and CPU time of the process), inertia (exact, float64),
# iterations, peak RSS, how many assignments differ from nsl's, and the
# machine's load (`uptime`): the machine is shared, so timings are noisy.
# PEERS="faiss" runs one peer only.  Then, for each seed in SEEDS (default
# "1 2 3"), interleaved: nsl with its greedy k-means++ seeding and faiss
# with its own random seeding, each timed with its seeding, and the mean
# CPU time and inertia of each over the seeds (init noise is ~1% at one
# seed).  SEEDS="" skips them.
# F32=1 draws the points as float32 numbers (kept in the .f64 file as
# their exact doubles, so every tool fits the same points) and runs nsl
# twice, on the doubles (nsl_kmeans_fit) and on the float32 numbers
# (nsl_kmeans_fit_f32): the peak RSS of each, and a check that the
# assignments and inertia are the same.
#
#	sh bench/kmeans.sh        N=100000 D=768 sh bench/kmeans.sh
#	F32=1 PEERS=faiss SEEDS= D=2048 N=50000 sh bench/kmeans.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
D=${D:-128}
K=${K:-100}
ITERS=${ITERS:-20}
F32=${F32:-0}
out=bench/out
mkdir -p "$out"
sfx=
[ "$F32" -eq 1 ] && sfx=-f32
x="$out/kmeans-x-$N-$D$sfx.f64"
init="$out/kmeans-init-$N-$D-$K$sfx.f64"

${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Ilib -fopenmp bench/kmeans.c \
    lib/libnsl.a -lgsl -lopenblas -ljansson -lz -lm -o "$out/kmeans"

/usr/bin/python3 - "$N" "$D" "$K" "$x" "$init" "$F32" <<'PY'
import os, sys
import numpy as np
n, d, k, xpath, ipath = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
f32 = sys.argv[6] == "1"
if not (os.path.exists(xpath) and os.path.exists(ipath)):
    rng = np.random.default_rng(0)
    cen = rng.normal(size=(k, d)) * 2
    x = cen[rng.integers(0, k, n)] + rng.normal(size=(n, d)) * 3
    if f32:
        x = x.astype(np.float32)
        x.tofile(xpath[:-4] + ".f32")
        x = x.astype(np.float64)
    x.tofile(xpath)
    x[rng.choice(n, k, replace=False)].tofile(ipath)
PY

echo "load: $(uptime)"
echo "data: $N x $D, k = $K, $ITERS iterations, same initial centres"
# peak RSS of each process too (data held + work space)
rss() { awk '/Maximum resident/ { printf "%.0f MB", $6 / 1024 }' "$1"; }
/usr/bin/time -v "$out/kmeans" "$x" "$N" "$D" "$init" "$K" "$ITERS" \
    "$out/kmeans-assign.i32" >"$out/kmeans.res" 2>"$out/kmeans.time"
set -- $(cat "$out/kmeans.res")
echo "nsl:     $1 s wall, $4 s cpu  inertia $2  iterations $3  peak $(rss "$out/kmeans.time")  (OMP_NUM_THREADS=${OMP_NUM_THREADS:-all})"
if [ "$F32" -eq 1 ]; then
	/usr/bin/time -v "$out/kmeans" "${x%.f64}.f32" "$N" "$D" "$init" "$K" \
	    "$ITERS" "$out/kmeans-assign-f32.i32" >"$out/kmeans-f32.res" \
	    2>"$out/kmeans-f32.time"
	set -- $(cat "$out/kmeans-f32.res")
	echo "nsl f32: $1 s wall, $4 s cpu  inertia $2  iterations $3  peak $(rss "$out/kmeans-f32.time")  (the float32 rows as held)"
	if cmp -s "$out/kmeans-assign.i32" "$out/kmeans-assign-f32.i32" &&
	    [ "$(cut -d' ' -f2,3 "$out/kmeans.res")" = \
	    "$(cut -d' ' -f2,3 "$out/kmeans-f32.res")" ]; then
		echo "check: float32 and double fits give the same assignments and inertia"
	else
		echo "check FAILED: float32 and double fits differ"
	fi
fi
for peer in ${PEERS:-faiss sklearn}; do
	/usr/bin/python3 bench/kmeans_peers.py "$peer" "$N" "$D" "$K" \
	    "$ITERS" "$x" "$init" "$out/kmeans-assign.i32"
done
# each with its own seeding timed too (the prototype and dedup runs)
for s in ${SEEDS-1 2 3}; do
	set -- $("$out/kmeans" "$x" "$N" "$D" "-$s" "$K" "$ITERS")
	echo "nsl, k-means++ seeding included, seed $s: $1 s wall, $4 s cpu  inertia $2  iterations $3"
	echo "nsl $4 $2" >>"$out/kmeans-seeds.$$"
	/usr/bin/python3 bench/kmeans_peers.py faiss "$N" "$D" "$K" "$ITERS" \
	    "$x" "-$s" | sed -n "s/^faiss:/faiss, own random seeding, seed $s:/p" |
	    tee -a "$out/kmeans-seeds.$$"
done
if [ -s "$out/kmeans-seeds.$$" ]; then
	awk '$1 == "nsl" { nc += $2; ni += $3; n++ }
	    $1 == "faiss," { fc += $(NF - 6); fi += $(NF - 2); f++ }
	    END { printf "mean over %d seeds: nsl %.3f s cpu inertia %.6g; faiss %.3f s cpu inertia %.6g\n", n, nc / n, ni / n, fc / f, fi / f }' \
	    "$out/kmeans-seeds.$$"
	rm -f "$out/kmeans-seeds.$$"
fi
echo "load: $(uptime)"
