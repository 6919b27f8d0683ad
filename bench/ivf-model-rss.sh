#!/bin/sh
# Peak memory of a saved knn --index ivf model, fitted and applied, with
# two builds' binaries (BEFORE_BIN, AFTER_BIN): N x D reference rows
# (default 100000 x 128, float64, a mixture of 100 Gaussians drawn by
# numpy, given as a .npy beside an id-only JSONL), LISTS lists (default
# ceil(sqrt(N))), NPROBE 8, applied to Q = 1000 query records (JSONL
# embeddings).  Each step runs RUNS times (default 3), the two builds
# interleaved, under /usr/bin/time -v; prints each run's wall seconds
# and peak RSS, checks that both builds write the same model and scores
# (cmp), and the load (`uptime`).  The rows alone are N D 8 bytes
# (102 MB at the default).
#
#	sh bench/ivf-model-rss.sh BEFORE_BIN AFTER_BIN
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-128}
Q=${Q:-1000}
RUNS=${RUNS:-3}
LISTS=${LISTS:-$(/usr/bin/python3 -c "import math; print(math.isqrt($N - 1) + 1)")}
out=bench/out/ivf-model-rss
mkdir -p "$out"
[ -f "$out/x-$N-$D.npy" ] || /usr/bin/python3 - "$out" "$N" "$D" "$Q" <<'PY'
import json, sys
import numpy as np
out, n, d, q = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(7)
centres = 4 * rng.standard_normal((100, d))
x = centres[rng.integers(0, 100, n)] + rng.standard_normal((n, d))
np.save("%s/x-%d-%d.npy" % (out, n, d), x)
with open("%s/ids-%d.jsonl" % (out, n), "w") as f:
    for i in range(n):
        f.write('{"id":%d}\n' % i)
y = centres[rng.integers(0, 100, q)] + rng.standard_normal((q, d))
with open("%s/q-%d-%d.jsonl" % (out, q, d), "w") as f:
    for i in range(q):
        f.write(json.dumps({"id": i, "embedding": [float(v) for v in y[i]]}) + "\n")
PY
x="$out/x-$N-$D.npy" ids="$out/ids-$N.jsonl" qs="$out/q-$Q-$D.jsonl"
# timed NAME BIN CMD...: one timed run, "NAME wall_s peak_kb"
timed() {
	name=$1 bin=$2
	shift 2
	PATH="$bin:$PATH" /usr/bin/time -v "$@" 2>"$out/time" >/dev/null
	printf '%-14s %8s s %9s kB\n' "$name" \
	    "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$out/time")" \
	    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time")"
}
echo "N=$N D=$D lists=$LISTS nprobe=8 Q=$Q; load: $(uptime)"
for b in before after; do
	eval bin=\$$b
	PATH="$bin:$PATH" nsl-score -q --metric knn --index ivf --lists "$LISTS" \
	    --nprobe 8 --vectors "$x" --save-model "$out/model-$b.jsonl" "$ids"
	PATH="$bin:$PATH" nsl-score -q --metric knn --model "$out/model-$b.jsonl" \
	    "$qs" >"$out/scores-$b.jsonl"
done
cmp "$out/model-before.jsonl" "$out/model-after.jsonl" && echo "models: the same bytes"
cmp "$out/scores-before.jsonl" "$out/scores-after.jsonl" && echo "scores: the same bytes"
i=0
while [ $i -lt "$RUNS" ]; do
	for b in before after; do
		eval bin=\$$b
		timed "fit $b" "$bin" nsl-score -q --metric knn --index ivf \
		    --lists "$LISTS" --nprobe 8 --vectors "$x" \
		    --save-model "$out/m.jsonl" "$ids"
		timed "apply $b" "$bin" nsl-score -q --metric knn \
		    --model "$out/model-after.jsonl" "$qs"
	done
	i=$((i + 1))
done
echo "load: $(uptime)"
