#!/bin/sh
# k-means: nsl's library k-means (lib/kmeans.c, through bench/kmeans.c)
# against scikit-learn's KMeans(algorithm="lloyd") (Debian python3-sklearn)
# on N x D points (default 200000 x 128) from a mixture of K Gaussians,
# K = 100 clusters, ITERS = 20 Lloyd iterations (tol 0), both from the same
# initial centres.  Prints each one's seconds (the fit alone, data already
# in memory; wall and CPU time of the process), inertia and iterations, the relative inertia difference and
# how many assignments differ, and the machine's load (`uptime`): the
# machine is shared, so timings are noisy.
#
#	sh bench/kmeans.sh        N=50000 sh bench/kmeans.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
D=${D:-128}
K=${K:-100}
ITERS=${ITERS:-20}
out=bench/out
mkdir -p "$out"
x="$out/kmeans-x-$N-$D.f64"
init="$out/kmeans-init-$N-$D-$K.f64"

${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Ilib -fopenmp bench/kmeans.c \
    lib/libnsl.a -lgsl -lopenblas -ljansson -lz -lm -o "$out/kmeans"

/usr/bin/python3 - "$N" "$D" "$K" "$x" "$init" <<'PY'
import os, sys
import numpy as np
n, d, k, xpath, ipath = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
if not (os.path.exists(xpath) and os.path.exists(ipath)):
    rng = np.random.default_rng(0)
    cen = rng.normal(size=(k, d)) * 2
    x = cen[rng.integers(0, k, n)] + rng.normal(size=(n, d)) * 3
    x.tofile(xpath)
    x[rng.choice(n, k, replace=False)].tofile(ipath)
PY

echo "load: $(uptime)"
echo "data: $N x $D, k = $K, $ITERS iterations, same initial centres"
set -- $("$out/kmeans" "$x" "$N" "$D" "$init" "$K" "$ITERS" "$out/kmeans-assign.i32")
nsl_s=$1 nsl_inertia=$2 nsl_it=$3 nsl_cpu=$4
echo "nsl:     ${nsl_s} s wall, ${nsl_cpu} s cpu  inertia $nsl_inertia  iterations $nsl_it  (OMP_NUM_THREADS=${OMP_NUM_THREADS:-all})"

/usr/bin/python3 - "$N" "$D" "$K" "$ITERS" "$x" "$init" "$nsl_inertia" \
    "$out/kmeans-assign.i32" <<'PY'
import sys, time
import numpy as np
from sklearn.cluster import KMeans
n, d, k, iters = map(int, sys.argv[1:5])
x = np.fromfile(sys.argv[5]).reshape(n, d)
init = np.fromfile(sys.argv[6]).reshape(k, d)
km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iters, tol=0,
            algorithm="lloyd")
t, c = time.perf_counter(), time.process_time()
km.fit(x)
t, c = time.perf_counter() - t, time.process_time() - c
print(f"sklearn: {t:.3f} s wall, {c:.3f} s cpu  inertia {km.inertia_!r}  iterations {km.n_iter_}")
rel = abs(km.inertia_ - float(sys.argv[7])) / km.inertia_
print(f"relative inertia difference: {rel:.3g}")
a = np.fromfile(sys.argv[8], dtype=np.int32)
print(f"assignments that differ: {int((a != km.labels_).sum())} of {n}")
PY
echo "load: $(uptime)"
