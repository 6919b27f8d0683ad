#!/bin/sh
# Time and peak memory of nsl-prune's coreset strategies beside random:
# N records (default 20000) of a D-dimensional (default 32) 10-class
# Gaussian mixture (nsl-synth), keeping a fraction F (default 0.1) of
# each class.  Each strategy runs R times (default 3), interleaved; prints
# the median wall time, the peak resident size (GNU time -v) and the
# load average.  (random reads a score: the records' id.)  nsl-synth
# prints doubles, so these rows are held as doubles; bench/coreset-f32.sh
# measures float32 rows against the doubles of an earlier build.
#
#	sh bench/coreset.sh          N=60000 F=0.5 sh bench/coreset.sh
set -eu
cd "$(dirname "$0")/.."
bin=${NSL_BIN:-$PWD/bin}
N=${N:-20000}
D=${D:-32}
F=${F:-0.1}
R=${R:-3}
out=bench/out/coreset
mkdir -p "$out"
data="$out/gm-$N-$D.jsonl"
[ -f "$data" ] || "$bin/nsl-synth" --n "$N" --dim "$D" --classes 10 \
    --seed 1 gaussian-mixture >"$data"
rm -f "$out/times"
S="random k-center herding facility-location facility-stochastic"
for r in $(seq "$R"); do
	for s in $S; do
		/usr/bin/time -f "$s %e %M" -a -o "$out/times" "$bin/nsl-prune" \
		    --strategy "$s" --by label --keep-fraction "$F" --seed "$r" \
		    --score-field id \
		    "$data" >/dev/null
	done
done
echo "N=$N D=$D F=$F, median of $R runs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $S; do
	grep "^$s " "$out/times" | sort -k2 -n |
	    awk -v r="$R" '{ t[NR] = $2; m = $3 } END {
		printf "%-20s %8.2f s %8.1f MB\n", $1, t[int((NR + 1) / 2)], m / 1024 }'
done
rm -f "$out/times"
