#!/bin/sh
# dedup-f32.sh BEFORE_BIN AFTER_BIN: SemDeDup on float32 rows held as
# float32 (after) against doubles (before).  Writes N x D float32
# embeddings (default 50000 x 768, a fifth near-copies of others, noise
# 1e-3) as a .npy beside id-only JSONL, then times the one-process
# nsl-prune --strategy dedup --vectors and the --plan run (on a prototype
# model fitted once) with both builds, interleaved R times (default 2),
# GNU time -v: peak RSS and wall; and checks that both keep the same
# bytes.  Then a small float32-exact JSONL set (2000 x 48, numbers
# printed from float32, a label) runs dedup (with and without --by, and
# --plan) and every coreset with both builds, each output compared.
# Prints the load.  Run from the repository top.
#
#	sh bench/dedup-f32.sh /tmp/before-bin bin
#	N=200000 D=256 R=3 sh bench/dedup-f32.sh /tmp/before-bin bin
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
N=${N:-50000}
D=${D:-768}
K=${K:-100}
R=${R:-2}
EPS=${EPS:-0.01}
dir=bench/out/dedup-f32-$N-$D
mkdir -p "$dir"
if [ ! -f "$dir/done" ]; then
	/usr/bin/python3 - "$dir" "$N" "$D" <<'PY'
import sys
import numpy as np
dir, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
x = rng.standard_normal((n, d)).astype(np.float32)
dup = rng.permutation(n)[: n // 5]
src = rng.integers(0, n, len(dup))
x[dup] = x[src] + np.float32(1e-3) * rng.standard_normal((len(dup), d)).astype(np.float32)
np.save(dir + "/x.npy", x)
with open(dir + "/ids.jsonl", "w") as f:
    f.writelines('{"id":%d}\n' % i for i in range(n))
# small JSONL: each number is a float32's value printed as the shortest
# double (repr), so it parses back to that float32 exactly
m, e = 2000, 48
y = rng.standard_normal((m, e)).astype(np.float32)
dup = rng.permutation(m)[: m // 4]
y[dup] = y[rng.integers(0, m, len(dup))] + np.float32(1e-3) * rng.standard_normal((len(dup), e)).astype(np.float32)
np.save(dir + "/small.npy", y)
with open(dir + "/small.jsonl", "w") as f:
    for i in range(m):
        f.write('{"id":%d,"g":%d,"v":[%s]}\n' % (i, i % 3,
            ",".join(repr(float(t)) for t in y[i])))
PY
	touch "$dir/done"
fi
load() { uptime | sed 's/.*load/load/'; }
measure() {	# label bin command...
	label=$1 bin=$2
	shift 2
	PATH="$bin:$PATH" /usr/bin/time -v "$@" 2>"$dir/$label.time" >/dev/null
	awk -F': ' -v l="$label" '/Maximum resident/ { r = $2 }
	    /Elapsed/ { w = $2 }
	    END { printf "%-18s peak RSS %8.1f MB, wall %s\n", l, r / 1024, w }' \
	    "$dir/$label.time"
}
echo "input: $N x $D float32 (.npy), k = $K, eps $EPS; $(load)"
PATH="$after:$PATH" nsl-score -q --metric prototype --k "$K" --seed 1 \
    --iters 100 --vectors "$dir/x.npy" --save-model "$dir/model.jsonl" \
    "$dir/ids.jsonl"
bad=0
i=0
while [ $i -lt "$R" ]; do
	for b in before after; do
		eval bin=\$$b
		measure "dedup-$b" "$bin" nsl-prune -q --strategy dedup --k "$K" \
		    --seed 1 --eps "$EPS" --vectors "$dir/x.npy" \
		    -o "$dir/one-$b.jsonl" "$dir/ids.jsonl"
		measure "plan-$b" "$bin" nsl-prune -q --plan "$dir/model.jsonl" \
		    --eps "$EPS" --vectors "$dir/x.npy" -o "$dir/plan-$b.jsonl" \
		    "$dir/ids.jsonl"
	done
	i=$((i + 1))
done
echo "kept: one process $(wc -l <"$dir/one-after.jsonl"), plan $(wc -l <"$dir/plan-after.jsonl") of $N; $(load)"
cmp "$dir/one-before.jsonl" "$dir/one-after.jsonl" || bad=1
cmp "$dir/plan-before.jsonl" "$dir/plan-after.jsonl" || bad=1
# the small float32-exact JSONL (and its .npy): every strategy of rows
s=$dir/small.jsonl
PATH="$after:$PATH" nsl-score -q --metric prototype --k 8 --seed 1 \
    --field v --save-model "$dir/small-model.jsonl" "$s"
n=0
while read -r args; do
	n=$((n + 1))
	for b in before after; do
		eval bin=\$$b
		# shellcheck disable=SC2086
		PATH="$bin:$PATH" nsl-prune -q $args >"$dir/small-$b.out" 2>&1 ||
		    echo "exit $?" >>"$dir/small-$b.out"
	done
	if cmp -s "$dir/small-before.out" "$dir/small-after.out"; then
		echo "same  ($(wc -l <"$dir/small-after.out") lines) nsl-prune $args"
	else
		echo "DIFF  nsl-prune $args"
		bad=1
	fi
done <<LIST
--strategy dedup --k 8 --eps 0.01 --field v $s
--strategy dedup --k 4 --eps 0.05 --field v --by g --report $s
--plan $dir/small-model.jsonl --eps 0.01 --field v $s
--plan $dir/small-model.jsonl --eps 0.01 --vectors $dir/small.npy $s
--strategy dedup --k 8 --eps 0.01 --vectors $dir/small.npy $s
--strategy k-center --keep-fraction 0.1 --field v $s
--strategy herding --keep-fraction 0.1 --field v --by g $s
--strategy facility-location --keep-fraction 0.05 --field v $s
--strategy facility-stochastic --keep-fraction 0.05 --seed 3 --field v $s
--strategy k-center --keep-fraction 0.1 --vectors $dir/small.npy $s
LIST
echo "$n small runs; $(load)"
[ $bad -eq 0 ] && echo "all outputs the same" || { echo "outputs differ"; exit 1; }
