#!/bin/sh
# coreset-f32.sh BEFORE_BIN AFTER_BIN: nsl-prune's coreset strategies on
# float32 rows held as float32 (after) against doubles (before).
#
# Writes N x D float32 embeddings (default 20000 x 768, Gaussian, a fifth
# near-copies of others) as a .npy beside id-only JSONL with a group
# field g (G groups, default 40), then times with both builds, interleaved
# R times (default 2), GNU time -v (peak RSS, wall):
#   k-center and herding on the whole set (--keep K, default 20),
#   all four coresets --by g (--keep-fraction F, default 0.02),
#   facility-stochastic on the first N2 rows (default 6000: past the
#   stored similarities, so computed on the fly) with --eps 0.9,
# and checks each pair of outputs byte for byte.  Then a small
# float32-exact JSONL set (1500 x 40, numbers printed from float32, 15%
# near-copies, some exact duplicates) and its .npy run every coreset with
# and without --by with both builds, each output compared.  Prints the
# load average.  Run from the repository top.
#
#	sh bench/coreset-f32.sh /work/wt/before-bin bin
#	N=50000 D=256 R=3 sh bench/coreset-f32.sh /tmp/before-bin bin
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
N=${N:-20000}
D=${D:-768}
G=${G:-40}
K=${K:-20}
F=${F:-0.02}
N2=${N2:-6000}
R=${R:-2}
dir=bench/out/coreset-f32-$N-$D-$G-$N2
mkdir -p "$dir"
if [ ! -f "$dir/done" ]; then
	/usr/bin/python3 - "$dir" "$N" "$D" "$G" "$N2" <<'PY'
import sys
import numpy as np
dir, n, d, g, n2 = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5])
rng = np.random.default_rng(1)
x = rng.standard_normal((n, d)).astype(np.float32)
dup = rng.permutation(n)[: n // 5]
x[dup] = x[rng.integers(0, n, len(dup))] + \
    np.float32(1e-3) * rng.standard_normal((len(dup), d)).astype(np.float32)
np.save(dir + "/x.npy", x)
np.save(dir + "/x2.npy", x[:n2])
with open(dir + "/ids.jsonl", "w") as f:
    f.writelines('{"id":%d,"g":%d}\n' % (i, i % g) for i in range(n))
with open(dir + "/ids2.jsonl", "w") as f:
    f.writelines('{"id":%d,"g":%d}\n' % (i, i % g) for i in range(n2))
# small JSONL: each number is a float32's value printed as the shortest
# double (repr), so it parses back to that float32 exactly
m, e = 1500, 40
y = rng.standard_normal((m, e)).astype(np.float32)
dup = rng.permutation(m)[: m * 15 // 100]
y[dup] = y[rng.integers(0, m, len(dup))] + \
    np.float32(1e-3) * rng.standard_normal((len(dup), e)).astype(np.float32)
y[dup[:20]] = y[dup[20:40]]          # exact duplicates: ties
y[dup[40]] = 0                       # a zero row
y[dup[41]] *= np.float32(2.0 ** 60)  # a row far from 1 in scale
np.save(dir + "/small.npy", y)
with open(dir + "/small.jsonl", "w") as f:
    for i in range(m):
        f.write('{"id":%d,"g":%d,"v":[%s]}\n' % (i, i % 3,
            ",".join(repr(float(t)) for t in y[i])))
with open(dir + "/small-ids.jsonl", "w") as f:
    f.writelines('{"id":%d,"g":%d}\n' % (i, i % 3) for i in range(m))
PY
	touch "$dir/done"
fi
load() { sed 's/^\([^ ]* [^ ]* [^ ]*\).*/load \1/' /proc/loadavg; }
measure() {	# label bin out command...
	label=$1 bin=$2 out=$3
	shift 3
	PATH="$bin:$PATH" /usr/bin/time -v "$@" 2>"$dir/$label.time" >"$out"
	awk -F': ' -v l="$label" '/Maximum resident/ { r = $2 }
	    /Elapsed/ { w = $2 }
	    END { printf "%-34s peak RSS %8.1f MB, wall %s\n", l, r / 1024, w }' \
	    "$dir/$label.time"
}
echo "input: $N x $D float32 (.npy), $G groups; whole-set facility on" \
    "$N2 rows; $(load)"
bad=0
while read -r name args; do
	i=0
	while [ $i -lt "$R" ]; do
		for b in before after; do
			eval bin=\$$b
			# shellcheck disable=SC2086
			measure "$name-$b" "$bin" "$dir/$name-$b.out" \
			    nsl-prune -q $args
		done
		i=$((i + 1))
	done
	if cmp -s "$dir/$name-before.out" "$dir/$name-after.out"; then
		echo "  same output ($(wc -l <"$dir/$name-after.out") kept); $(load)"
	else
		echo "  DIFF $name"
		bad=1
	fi
done <<LIST
k-center --strategy k-center --keep $K --seed 1 --vectors $dir/x.npy $dir/ids.jsonl
herding --strategy herding --keep $K --vectors $dir/x.npy $dir/ids.jsonl
k-center-by --strategy k-center --keep-fraction $F --by g --vectors $dir/x.npy $dir/ids.jsonl
herding-by --strategy herding --keep-fraction $F --by g --vectors $dir/x.npy $dir/ids.jsonl
facility-by --strategy facility-location --keep-fraction $F --by g --vectors $dir/x.npy $dir/ids.jsonl
facility-stochastic-by --strategy facility-stochastic --keep-fraction $F --by g --seed 2 --vectors $dir/x.npy $dir/ids.jsonl
facility-stochastic-fly --strategy facility-stochastic --keep $K --eps 0.9 --seed 2 --vectors $dir/x2.npy $dir/ids2.jsonl
LIST
# the small float32-exact JSONL and its .npy: every coreset, by and not
s=$dir/small.jsonl
v=$dir/small.npy
ids=$dir/small-ids.jsonl
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
--strategy k-center --keep-fraction 0.2 --seed 4 --field v $s
--strategy k-center --keep-fraction 0.2 --seed 4 --field v --by g --report $s
--strategy k-center --keep-fraction 0.2 --seed 4 --vectors $v $ids
--strategy k-center --keep-fraction 0.2 --seed 4 --vectors $v --by g $ids
--strategy herding --keep-fraction 0.2 --field v $s
--strategy herding --keep-fraction 0.2 --field v --by g --report $s
--strategy herding --keep-fraction 0.2 --vectors $v $ids
--strategy herding --keep-fraction 0.2 --vectors $v --by g $ids
--strategy facility-location --keep-fraction 0.1 --field v $s
--strategy facility-location --keep-fraction 0.1 --field v --by g --report $s
--strategy facility-location --keep-fraction 0.1 --vectors $v $ids
--strategy facility-location --keep-fraction 0.1 --vectors $v --by g $ids
--strategy facility-stochastic --keep-fraction 0.1 --seed 3 --field v $s
--strategy facility-stochastic --keep-fraction 0.1 --seed 3 --eps 0.2 --field v --by g --report $s
--strategy facility-stochastic --keep-fraction 0.1 --seed 3 --vectors $v $ids
--strategy facility-stochastic --keep-fraction 0.1 --seed 3 --vectors $v --by g $ids
LIST
echo "$n small runs; $(load)"
[ $bad -eq 0 ] && echo "all outputs the same" || { echo "outputs differ"; exit 1; }
