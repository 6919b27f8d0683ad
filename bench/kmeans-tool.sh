#!/bin/sh
# k-means end to end, the tool against faiss: nsl-score --metric prototype
# (spherical k-means, k-means++ seeding, at most ITERS Lloyd steps, then
# each record's cosine distance to its centroid), reading the numbers
# itself -- from JSONL text (every number parsed) and from a float32 .npy
# beside a JSONL of ids (--vectors) -- against a Python process that loads
# the .npy with numpy, trains faiss.Kmeans(spherical=True, niter=ITERS)
# with its own seeding, assigns every row and writes the same records.
# faiss trains on at most 256 points a centroid by default (a seeded
# sample); nsl's counterpart is --max-per-centroid 256 (a seeded sample of
# k 256 records fitted, every record scored by the fit, in one run): from
# JSONL to /dev/null (nsl-j-samp: its objective is nsl-samp's, the same
# numbers read from the .npy, as tests/vectors.bats checks) and from the
# .npy (nsl-samp).  faiss-all lifts faiss's cap so that it fits every
# point, as nsl's whole-set run does.  Each is timed as a whole process
# (wall and CPU, /usr/bin/time), seeds SEEDS interleaved; the objective
# is the mean score over every record (the mean cosine distance to the
# assigned centroid: lower is better), so "counting nsl's parse" are the
# rows from JSONL: nsl-j-samp against faiss, nsl-jsonl and nsl-j-null
# against faiss-all.  nsl-jsonl
# writes every record back (the whole text, with the score and cluster
# added), where faiss's script writes ids and scores; the nsl-j-null row
# is the same run writing to /dev/null (no objective: nothing is kept),
# which tells the writing apart from the rest.
#
# Data: N x D float32 points from a mixture of K Gaussians (numpy, seed
# 0), written once to bench/out as x.npy, ids.jsonl and x.jsonl, the JSONL
# numbers as Python prints the float32 values (json.dumps of .tolist(),
# as embeddings are usually written), so nsl holds them as float32.
#
# DATA=1 writes the data and stops (bench/score-model.sh reads it).
#
#	sh bench/kmeans-tool.sh
#	N=30000 D=768 sh bench/kmeans-tool.sh
#	N=50000 D=2048 SEEDS="1 2 3" sh bench/kmeans-tool.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-128}
K=${K:-100}
ITERS=${ITERS:-20}
SEEDS=${SEEDS:-1 2 3}
BIN=${BIN:-bin}
out=bench/out/kmeans-tool-$N-$D
mkdir -p "$out"

/usr/bin/python3 - "$N" "$D" "$K" "$out" <<'PY'
import json, os, sys
import numpy as np
n, d, k, out = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
if not os.path.exists(out + "/x.jsonl"):
    rng = np.random.default_rng(0)
    cen = rng.normal(size=(k, d)) * 2
    x = (cen[rng.integers(0, k, n)] + rng.normal(size=(n, d)) * 3).astype(np.float32)
    np.save(out + "/x.npy", x)
    with open(out + "/ids.jsonl", "w") as f:
        for i in range(n):
            f.write('{"id":%d}\n' % i)
    with open(out + "/x.jsonl.tmp", "w") as f:
        for i in range(n):
            f.write('{"id":%d,"embedding":%s}\n' % (i, json.dumps(x[i].tolist(), separators=(",", ":"))))
    os.rename(out + "/x.jsonl.tmp", out + "/x.jsonl")
PY
[ "${DATA:-0}" != 1 ] || exit 0

cat >"$out/faiss_kmeans.py" <<'PY'
import sys
import numpy as np
import faiss
path, k, iters, seed, dst = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
cap = int(sys.argv[6]) if len(sys.argv) > 6 else 256
x = np.load(path)
faiss.normalize_L2(x)
km = faiss.Kmeans(x.shape[1], k, niter=iters, seed=seed, spherical=True,
                  max_points_per_centroid=max(cap, 1))
km.train(x)
dist, idx = km.index.search(x, 1)
# spherical: the index is inner product, unit centroids: dist = cos
score = 1 - dist[:, 0].astype(np.float64)
with open(dst, "w") as f:
    for i in range(x.shape[0]):
        f.write('{"id":%d,"score":%r,"cluster":%d}\n' % (i, float(score[i]), int(idx[i, 0])))
PY

# label=NAME; run CMD...: wall and CPU seconds, peak MB, into $out/NAME.time
run() {
	/usr/bin/time -f '%e %U %S %M' -o "$out/$label.time" "$@"
}
mean_score() { awk '{ if (match($0, /"score":[-+0-9.eE]+/)) { s += substr($0, RSTART + 8, RLENGTH - 8); n++ } } END { printf "%.6f", s / n }' "$1"; }

echo "load: $(uptime)"
echo "data: $N x $D float32, k = $K, at most $ITERS iterations; text $(du -m "$out/x.jsonl" | cut -f1) MB"
printf '%-6s %-10s %8s %8s %8s %10s\n' seed tool wall cpu peakMB objective
for s in $SEEDS; do
	label=nsl-jsonl
	run "$BIN/nsl-score" -q --metric prototype --k "$K" \
	    --iters "$ITERS" --seed "$s" -o "$out/nsl-jsonl.out" "$out/x.jsonl"
	label=nsl-j-null
	run "$BIN/nsl-score" -q --metric prototype --k "$K" \
	    --iters "$ITERS" --seed "$s" -o /dev/null "$out/x.jsonl"
	label=nsl-npy
	run "$BIN/nsl-score" -q --metric prototype --k "$K" \
	    --iters "$ITERS" --seed "$s" --vectors "$out/x.npy" \
	    -o "$out/nsl-npy.out" "$out/ids.jsonl"
	label=nsl-j-samp
	run "$BIN/nsl-score" -q --metric prototype --k "$K" \
	    --iters "$ITERS" --seed "$s" --max-per-centroid 256 \
	    -o /dev/null "$out/x.jsonl"
	label=nsl-samp
	run "$BIN/nsl-score" -q --metric prototype --k "$K" \
	    --iters "$ITERS" --seed "$s" --max-per-centroid 256 \
	    --vectors "$out/x.npy" -o "$out/nsl-samp.out" "$out/ids.jsonl"
	label=faiss
	run /usr/bin/python3 "$out/faiss_kmeans.py" "$out/x.npy" "$K" \
	    "$ITERS" "$s" "$out/faiss.out"
	label=faiss-all
	run /usr/bin/python3 "$out/faiss_kmeans.py" "$out/x.npy" \
	    "$K" "$ITERS" "$s" "$out/faiss-all.out" $((N / K + 1))
	for t in nsl-jsonl nsl-j-null nsl-npy nsl-j-samp nsl-samp faiss \
	    faiss-all; do
		set -- $(cat "$out/$t.time")
		case $t in
		nsl-j-null) obj=- ;;
		nsl-j-samp) obj=$(mean_score "$out/nsl-samp.out") ;;
		*) obj=$(mean_score "$out/$t.out") ;;
		esac
		printf '%-6s %-10s %8s %8s %8s %10s\n' "$s" "$t" "$1" \
		    "$(echo "$2 + $3" | bc)" "$(($4 / 1024))" "$obj"
		echo "$t $1 $(echo "$2 + $3" | bc) $obj" >>"$out/all.$$"
	done
done
echo "means over seeds ($SEEDS):"
awk '{ w[$1] += $2; c[$1] += $3; o[$1] += $4; n[$1]++; none[$1] = $4 == "-" }
    END { for (t in n) printf "  %-10s wall %.2f s  cpu %.2f s  objective %s\n",
      t, w[t] / n[t], c[t] / n[t], none[t] ? "-" : sprintf("%.6f", o[t] / n[t]) }' \
    "$out/all.$$" | sort
rm -f "$out/all.$$"
echo "load: $(uptime)"
