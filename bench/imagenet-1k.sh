#!/bin/sh
# The ImageNet-1k-shaped run of whole-set pruning in bounded memory: N
# records (default 1281167, ImageNet-1k's training set) of D = 2048 float32
# numbers (a ResNet-50's pooled features), C = 1000 classes (a Gaussian
# blob a class: centre N(0, 1), spread SIGMA), in S shards of .npy vectors
# beside JSONL ids and labels (generated here with numpy, ~10.5 GB at the
# full size: under bench/out/, git-ignored; KEEP=0 deletes them after).
#
# Steps, each timed with GNU time -v (wall, peak RSS):
#  fit    nsl-score --metric prototype --k K --save-model, k-means on the
#         K P records of smallest seeded id hash (--max-per-centroid P),
#         read from the mapped shards: memory ~ 4 K P D bytes (the sample
#         in float32, its numbers being float32) + 4 K P D (k-means's
#         float32 copy of the normalised rows) + the work space, not the
#         whole set.  With BEFORE=DIR (another build's bin, e.g. main's)
#         the fit is also run with DIR/nsl-score, the two interleaved
#         (before, after, before, after when RUNS=2), and the models
#         compared byte for byte
#  apply  nsl-score --model per shard (2 at a time): memory ~ 8 K D (the
#         centroids) + 512 rows; the shard's mapped pages are given back
#         as they are read
#  plan   nsl-prune --save-plan over the scored shards, --by label,
#         --keep-fraction F (class-balanced), then --plan per shard
#  faiss  faiss.Kmeans on the same number of rows (K P, a uniform sample
#         read from the same shards), L2-normalised like nsl's, ITERS
#         Lloyd steps, its own (random) seeding; and both tools'
#         centroids' mean squared distance on a common held-out sample of
#         20000 rows (the objective, equal footing)
# With N <= CHECK (default 20000) it also runs the whole-set nsl-score
# over all shards at once and checks that the sharded scores are the
# same bytes (the model then fitted on every record: P = 0).
#
#	N=20000 S=4 sh bench/imagenet-1k.sh      (a minute)
#	N=128000 S=4 BEFORE=../main/bin FITONLY=1 sh bench/imagenet-1k.sh
#	                                         (the 64000-row fit, before
#	                                         and after; FITONLY=1 stops
#	                                         after the fits)
#	sh bench/imagenet-1k.sh                  (the full size)
set -eu
cd "$(dirname "$0")/.."
N=${N:-1281167}
D=${D:-2048}
C=${C:-1000}
S=${S:-16}
K=${K:-1000}
P=${P:-64}
ITERS=${ITERS:-10}
F=${F:-0.3}
SIGMA=${SIGMA:-0.7}
CHECK=${CHECK:-20000}
KEEP=${KEEP:-1}
BEFORE=${BEFORE:-}
RUNS=${RUNS:-1}
FITONLY=${FITONLY:-0}
bin=${NSL_BIN:-bin}
PY=/usr/bin/python3
dir=bench/out/imagenet-$N-$D-$S
mkdir -p "$dir"

if [ ! -f "$dir/done" ]; then
	echo "generating $N x $D float32 in $S shards under $dir ..." >&2
	/usr/bin/time -f "generate: %e s wall, %M KB peak" \
	    $PY - "$N" "$D" "$C" "$S" "$SIGMA" "$dir" <<'PY'
import sys
import numpy as np
n, d, c, s, sigma, out = (int(sys.argv[1]), int(sys.argv[2]),
    int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]), sys.argv[6])
rng = np.random.default_rng(0)
centre = rng.standard_normal((c, d), dtype=np.float32)
rows = [n // s + (i < n % s) for i in range(s)]
first = 0
for i, m in enumerate(rows):
    x = np.lib.format.open_memmap("%s/s.%03d.npy" % (out, i), mode="w+",
                                  dtype=np.float32, shape=(m, d))
    label = rng.integers(0, c, m)
    for a in range(0, m, 8192):
        b = min(m, a + 8192)
        x[a:b] = centre[label[a:b]] + sigma * rng.standard_normal(
            (b - a, d), dtype=np.float32)
    x.flush()
    del x
    with open("%s/s.%03d.jsonl" % (out, i), "w") as f:
        f.writelines('{"id":%d,"label":%d}\n' % (first + j, label[j])
                     for j in range(m))
    first += m
PY
	touch "$dir/done"
fi
shards=$(ls "$dir"/s.*.jsonl)
npys=$(ls "$dir"/s.*.npy | paste -sd, -)
echo "input: $N x $D float32 in $S shards, $(du -sh "$dir" | cut -f1); k = $K, P = $P, $ITERS iterations"
echo "load: $(uptime | sed 's/.*load/load/')"

measure() {	# label command...
	label=$1
	shift
	/usr/bin/time -v "$@" 2>"$dir/$label.time" || {
		cat "$dir/$label.time" >&2
		exit 1
	}
	awk -F': ' -v l="$label" '/Maximum resident/ { r = $2 }
	    /Elapsed/ { w = $2 }
	    END { printf "%-14s peak RSS %8.1f MB, wall %s\n", l, r / 1024, w }' \
	    "$dir/$label.time"
}

fit() {	# label bin model
	measure "$1" "$2/nsl-score" --metric prototype --k "$K" --iters \
	    "$ITERS" --seed 1 --max-per-centroid "$P" --save-model "$3" \
	    --vectors "$npys" $shards
}
run=1
while [ "$run" -le "$RUNS" ]; do
	if [ -n "$BEFORE" ]; then
		fit fit-before "$BEFORE" "$dir/model-before.jsonl"
		echo "load: $(uptime | sed 's/.*load/load/')"
	fi
	fit fit "$bin" "$dir/model.jsonl"
	echo "load: $(uptime | sed 's/.*load/load/')"
	run=$((run + 1))
done
if [ -n "$BEFORE" ]; then
	cmp "$dir/model-before.jsonl" "$dir/model.jsonl" &&
	    echo "check: the model is the same bytes as $BEFORE's"
fi
[ "$FITONLY" -eq 1 ] && exit 0
rm -rf "$dir/scored" && mkdir "$dir/scored"
first=$(echo "$shards" | head -1)
# one shard alone for its peak size, then the others 2 at a time
measure apply-one "$bin/nsl-score" --metric prototype --model \
    "$dir/model.jsonl" --vectors "${first%.jsonl}.npy" \
    -o "$dir/scored/${first##*/}" "$first"
measure apply-rest sh -c 'for f in $(echo "$2" | tail -n +2); do
		echo "$f"
	done | parallel --will-cite -j 2 "$1/nsl-score" --metric prototype \
	    --model "$3/model.jsonl" --vectors "{.}.npy" -o "$3/scored/{/}" {}' \
    _ "$bin" "$shards" "$dir"
measure plan "$bin/nsl-prune" --keep-fraction "$F" --by label --seed 1 \
    --save-plan "$dir/plan.jsonl" "$dir"/scored/s.*.jsonl
rm -rf "$dir/kept" && mkdir "$dir/kept"
measure prune-apply sh -c 'ls "$1"/scored/s.*.jsonl | parallel --will-cite \
    -j 2 "$2/nsl-prune" --plan "$1/plan.jsonl" -o "$1/kept/{/}" {}' _ \
    "$dir" "$bin"
echo "kept: $(cat "$dir"/kept/*.jsonl | wc -l) of $N"

# faiss on the same number of rows, and both objectives on a held-out set
$PY - "$dir" "$K" "$P" "$ITERS" <<'PY'
import glob, json, resource, sys, time
import numpy as np
import faiss
out, k, p, iters = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4])
maps = [np.load(f, mmap_mode="r") for f in sorted(glob.glob(out + "/s.*.npy"))]
sizes = np.array([len(m) for m in maps])
starts = np.concatenate([[0], np.cumsum(sizes)])
n, d = int(starts[-1]), maps[0].shape[1]
rng = np.random.default_rng(5)

def rows(idx):
    idx = np.sort(idx)
    x = np.empty((len(idx), d), dtype=np.float32)
    f = np.searchsorted(starts, idx, side="right") - 1
    for s in np.unique(f):
        sel = f == s
        x[sel] = maps[s][idx[sel] - starts[s]]
    return x / np.linalg.norm(x, axis=1, keepdims=True)

m = min(n, k * p)
t = time.perf_counter()
x = rows(rng.choice(n, m, replace=False))
load = time.perf_counter() - t
km = faiss.Kmeans(d, k, niter=iters, seed=1, max_points_per_centroid=p,
                  verbose=False)
t, c = time.perf_counter(), time.process_time()
km.train(x)
t, c = time.perf_counter() - t, time.process_time() - c
del x
held = rows(rng.choice(n, min(n, 20000), replace=False)).astype(np.float64)
nsl = np.array([json.loads(l)["row"] for l in
                open(out + "/model.jsonl").readlines()[1:]])

def obj(cen):
    d2 = ((held * held).sum(1)[:, None] - 2 * held @ cen.T +
          (cen * cen).sum(1)[None, :])
    return float(np.maximum(d2.min(1), 0).mean())

peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"faiss fit      {m} rows: {t:.1f} s wall, {c:.1f} s cpu (+ {load:.1f} s "
      f"reading), peak RSS {peak:.0f} MB (python and numpy included)")
print(f"held-out objective (mean squared distance, 20000 rows): "
      f"nsl {obj(nsl):.6f}  faiss {obj(km.centroids.astype(np.float64)):.6f}")
PY

if [ "$N" -le "$CHECK" ]; then
	# the whole set at once against the model fitted on every record
	"$bin/nsl-score" --metric prototype --k "$K" --iters "$ITERS" --seed 1 \
	    --vectors "$npys" $shards >"$dir/whole.jsonl"
	"$bin/nsl-score" --metric prototype --k "$K" --iters "$ITERS" --seed 1 \
	    --save-model "$dir/model-all.jsonl" --vectors "$npys" $shards
	for f in $shards; do
		"$bin/nsl-score" --metric prototype --model "$dir/model-all.jsonl" \
		    --vectors "${f%.jsonl}.npy" "$f"
	done | cmp - "$dir/whole.jsonl" &&
	    echo "check: sharded scores are the whole-set run's bytes"
fi
echo "load after: $(uptime | sed 's/.*load/load/')"
[ "$KEEP" -eq 1 ] || rm -rf "$dir"
