#!/bin/sh
# A saved model applied to records (nsl-score --model: the sharded
# workflow, one fit, then every shard scored by it), against faiss doing
# the same search from .npy:
#  - prototype: k = 100 spherical centroids fitted on a seeded sample (256
#    a centre, --max-per-centroid --save-model), then every one of N
#    records given its nearest centroid and 1 - cosine: from JSONL (every
#    number parsed; the records written whole, to /dev/null) and from the
#    float32 .npy beside a JSONL of ids (--vectors: id, score and cluster
#    written, as faiss's script does); faiss loads the model's centroids
#    and the .npy, normalises, and searches IndexFlatIP for the nearest.
#    Agreement: the share of records given the same centroid (the .npy
#    run's; the JSONL run's are the same numbers, tests/vectors.bats).
#  - knn: the first REF records saved as the reference set (k = 10
#    neighbours), the next Q records scored by their mean distance to the
#    10 nearest; faiss IndexFlatL2 on the same rows (float32).  Agreement:
#    the share of scores within 1e-6 relative (faiss's distances are
#    float32's).
# Each is a whole process (wall and CPU, /usr/bin/time; Python's start-up
# and imports counted, as nsl's parse of its JSONL is), the median of R
# alternating rounds (default 3).  Data: bench/kmeans-tool.sh's (N x D
# float32 points from 100 Gaussians, seed 0).
#
#	sh bench/score-model.sh        N=1000000 sh bench/score-model.sh
#	REF=20000 Q=20000 N=100000 sh bench/score-model.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
D=${D:-128}
R=${R:-3}
REF=${REF:-20000}
Q=${Q:-20000}
BIN=${BIN:-bin}
py=/usr/bin/python3
N=$N D=$D DATA=1 sh bench/kmeans-tool.sh
dir=bench/out/kmeans-tool-$N-$D
out=bench/out/score-model-$N-$D
mkdir -p "$out"
[ "$((REF + Q))" -le "$N" ] || { echo "REF + Q > N" >&2; exit 64; }
head -n "$REF" "$dir/x.jsonl" > "$out/ref.jsonl"
sed -n "$((REF + 1)),$((REF + Q))p" "$dir/x.jsonl" > "$out/q.jsonl"

cat > "$out/peer.py" <<'PY'
import json, sys
import numpy as np
import faiss
what = sys.argv[1]
if what == "prototype":
    model, npy, dst = sys.argv[2:5]
    lines = open(model).read().splitlines()
    cen = np.array([json.loads(l)["row"] for l in lines[1:]], dtype=np.float32)
    x = np.load(npy)
    faiss.normalize_L2(x)
    cn = cen / np.linalg.norm(cen, axis=1, keepdims=True)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(cn)
    dist, idx = index.search(x, 1)
    score = 1 - dist[:, 0].astype(np.float64)
    with open(dst, "w") as f:
        for i in range(x.shape[0]):
            f.write('{"id":%d,"score":%r,"cluster":%d}\n' % (i, float(score[i]), int(idx[i, 0])))
else:
    npy, ref, q, k, dst = sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
    x = np.load(npy, mmap_mode="r")
    r = np.ascontiguousarray(x[:ref])
    qq = np.ascontiguousarray(x[ref:ref + q])
    index = faiss.IndexFlatL2(x.shape[1])
    index.add(r)
    dist, idx = index.search(qq, k)
    score = np.sqrt(np.maximum(dist, 0)).mean(axis=1)
    with open(dst, "w") as f:
        for i in range(q):
            f.write('{"id":%d,"score":%r}\n' % (ref + i, float(score[i])))
PY

# time1 NAME command...: one run into $out/NAME.time (wall cpu)
time1() {
	n=$1
	shift
	/usr/bin/time -f '%e %U %S %M' -o "$out/t.$$" "$@"
	awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 / 1024 }' "$out/t.$$" \
	    >> "$out/$n.runs"
	rm -f "$out/t.$$"
}
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
col() { awk -v c="$2" '{ print $c }' "$out/$1.runs" | median; }

rm -f "$out"/*.runs
echo "load: $(uptime | sed 's/.*load average: //')"
echo "data: $N x $D float32 ($(du -m "$dir/x.jsonl" | cut -f1) MB of JSONL); knn: $REF reference rows, $Q records"
"$BIN/nsl-score" -q --metric prototype --k 100 --iters 20 --seed 1 \
    --max-per-centroid 256 --save-model "$out/proto.model" "$dir/x.jsonl"
"$BIN/nsl-score" -q --metric knn --neighbours 10 \
    --save-model "$out/knn.model" "$out/ref.jsonl"
i=0
while [ "$i" -lt "$R" ]; do
	time1 nsl-proto-jsonl "$BIN/nsl-score" -q --metric prototype \
	    --model "$out/proto.model" -o /dev/null "$dir/x.jsonl"
	time1 nsl-proto-npy "$BIN/nsl-score" -q --metric prototype \
	    --model "$out/proto.model" --vectors "$dir/x.npy" \
	    -o "$out/nsl-proto.out" "$dir/ids.jsonl"
	time1 faiss-proto $py "$out/peer.py" prototype "$out/proto.model" \
	    "$dir/x.npy" "$out/faiss-proto.out"
	time1 nsl-knn "$BIN/nsl-score" -q --metric knn \
	    --model "$out/knn.model" -o "$out/nsl-knn.out" "$out/q.jsonl"
	time1 faiss-knn $py "$out/peer.py" knn "$dir/x.npy" "$REF" "$Q" 10 \
	    "$out/faiss-knn.out"
	i=$((i + 1))
done
printf '%-28s %8s %8s %8s   %s\n' task wall cpu peakMB agreement
agree_proto=$(awk 'match($0, /"cluster":[0-9]+/) { c = substr($0, RSTART + 10, RLENGTH - 10)
    if (NR == FNR) a[FNR] = c; else { n++; s += (a[FNR] == c) } }
    END { printf "%.4f%% of records the same centroid", 100 * s / n }' \
    "$out/nsl-proto.out" "$out/faiss-proto.out")
agree_knn=$(awk 'match($0, /"score":[-+0-9.eE]+/) { v = substr($0, RSTART + 8, RLENGTH - 8)
    if (NR == FNR) a[FNR] = v; else { n++; d = a[FNR] - v; if (d < 0) d = -d
    s += (d <= 1e-6 * v) } }
    END { printf "%.4f%% of scores within 1e-6", 100 * s / n }' \
    "$out/nsl-knn.out" "$out/faiss-knn.out")
for t in nsl-proto-jsonl nsl-proto-npy faiss-proto nsl-knn faiss-knn; do
	case $t in *jsonl) a=- ;; *proto*) a=$agree_proto ;; *) a=$agree_knn ;; esac
	printf '%-28s %8s %8s %8s   %s\n' "$t" "$(col "$t" 1)" "$(col "$t" 2)" \
	    "$(col "$t" 3)" "$a"
done
echo "load: $(uptime | sed 's/.*load average: //')"
