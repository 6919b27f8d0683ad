#!/bin/sh
# SemDeDup at scale on .npy shards: N x D float32 embeddings (default
# 200000 x 256; a fifth of the rows are near-copies of others, noise
# 1e-3) in S shards (default 8) of id-only JSONL beside a .npy each,
# K clusters (default 100), EPS 0.01.  The chain of pipelines/shards.mk
# STRATEGY=dedup VECTORS=..., step by step so each is measured (GNU time
# -v: wall and peak RSS): fit (nsl-score --save-model --vectors), score
# each shard (2 at a time), partition (nsl-prune --partition --vectors),
# dedup each cluster (2 at a time; the peak is the largest cluster's),
# then the one-process nsl-prune --strategy dedup --vectors on all the
# shards, and checks that both keep the same ids.  Prints the load.
#
#	sh bench/dedup-npy.sh        N=1000000 D=512 K=1000 sh bench/dedup-npy.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
D=${D:-256}
S=${S:-8}
K=${K:-100}
EPS=${EPS:-0.01}
bin=$(cd "${NSL_BIN:-bin}" && pwd)
PATH="$bin:$PATH"
dir=bench/out/dedup-npy-$N-$D-$S
mkdir -p "$dir"
if [ ! -f "$dir/done" ]; then
	/usr/bin/python3 - "$dir" "$N" "$D" "$S" <<'PY'
import sys
import numpy as np
dir, n, d, s = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
x = rng.standard_normal((n, d)).astype(np.float32)
dup = rng.permutation(n)[: n // 5]          # these rows copy another
src = rng.integers(0, n, len(dup))
x[dup] = x[src] + 1e-3 * rng.standard_normal((len(dup), d)).astype(np.float32)
for k in range(s):
    lo, hi = k * n // s, (k + 1) * n // s
    np.save("%s/shard-%02d.npy" % (dir, k), x[lo:hi])
    with open("%s/shard-%02d.jsonl" % (dir, k), "w") as f:
        f.writelines('{"id":%d}\n' % i for i in range(lo, hi))
PY
	touch "$dir/done"
fi
echo "input: $N x $D float32 in $S shards, k = $K, eps $EPS; $(uptime | sed 's/.*load/load/')"
measure() {	# label command...
	label=$1
	shift
	/usr/bin/time -v "$@" 2>"$dir/$label.time" >/dev/null
	awk -F': ' -v l="$label" '/Maximum resident/ { r = $2 }
	    /Elapsed/ { w = $2 }
	    END { printf "%-12s peak RSS %8.1f MB, wall %s\n", l, r / 1024, w }' \
	    "$dir/$label.time"
}
npys=$(ls "$dir"/shard-*.npy | paste -sd, -)
measure fit nsl-score -q --metric prototype --k "$K" --seed 1 --iters 100 \
    --vectors "$npys" --save-model "$dir/model.jsonl" "$dir"/shard-*.jsonl
rm -rf "$dir/scored" "$dir/parts" "$dir/kept" && mkdir "$dir/scored" "$dir/kept"
measure score sh -c 'for f in "$1"/shard-*.jsonl; do b=${f##*/}; echo "$f ${f%.jsonl}.npy $1/scored/$b"; done |
    parallel --will-cite -j 2 --colsep " " nsl-score -q --metric prototype \
    --model "$1/model.jsonl" --vectors {2} -o {3} {1}' _ "$dir"
measure score-one nsl-score -q --metric prototype --model "$dir/model.jsonl" \
    --vectors "$dir/shard-00.npy" -o "$dir/scored-one.jsonl" "$dir/shard-00.jsonl"
measure partition nsl-prune -q --plan "$dir/model.jsonl" --partition "$dir/parts" \
    --vectors "$npys" "$dir"/scored/shard-*.jsonl
measure dedup sh -c 'ls "$1"/parts | sed -n "s/\.jsonl$//p" | parallel --will-cite -j 2 \
    nsl-prune -q --plan "$1/model.jsonl" --eps "$2" --vectors "$1/parts/{}.npy" \
    -o "$1/kept/{}.jsonl" "$1/parts/{}.jsonl"' _ "$dir" "$EPS"
big=$(ls -S "$dir"/parts/*.npy | head -1)
measure dedup-big nsl-prune -q --plan "$dir/model.jsonl" --eps "$EPS" \
    --vectors "$big" "${big%.npy}.jsonl"
measure one-process nsl-prune -q --strategy dedup --k "$K" --seed 1 \
    --eps "$EPS" --vectors "$npys" -o "$dir/one.jsonl" "$dir"/shard-*.jsonl
echo "largest cluster: $(wc -l <"${big%.npy}.jsonl") of $N rows"
echo "load after: $(uptime | sed 's/.*load/load/')"
sed 's/.*"id":\([0-9]*\).*/\1/' "$dir"/kept/*.jsonl | sort -n >"$dir/ids-sharded"
sed 's/.*"id":\([0-9]*\).*/\1/' "$dir/one.jsonl" | sort -n >"$dir/ids-one"
echo "kept: sharded $(wc -l <"$dir/ids-sharded"), one-process $(wc -l <"$dir/ids-one") of $N"
cmp "$dir/ids-sharded" "$dir/ids-one" && echo "the same ids"
