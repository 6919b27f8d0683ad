#!/bin/sh
# LAVA (nsl-score --metric lava) as a label-noise detector: on sets with a
# known fraction of flipped labels, the precision at the noise rate (of
# the k records with the highest value, k the number flipped, the share
# flipped) against random selection (the noise rate itself).
#
#  teacher-student  nsl-synth --label-noise 0.1, 400 records in 5 dims,
#                   validation: 400 clean test records
#  gaussian-mixture 600 records, 3 classes in 5 dims; every record with
#                   id mod 10 = 3 has its label moved on (l + 1 mod 3);
#                   validation: 300 clean test records
#  fashion-mnist    the first N (default 2000) training images as PCA-32
#                   embeddings (pipelines/fashion-mnist.mk, FMNIST_OUT),
#                   id mod 10 = 3 relabelled l + 1 mod 10; validation: the
#                   first 1000 test images
# Each with both inner solvers (sinkhorn, exact).  Prints one line per
# case with the time taken and the load average.
#
#	sh bench/lava-noise.sh       N=5000 FMNIST_OUT=out/fashion-mnist sh bench/lava-noise.sh
set -eu
cd "$(dirname "$0")/.."
bin=${NSL_BIN:-$PWD/bin}
PATH=$bin:$PATH
N=${N:-2000}
FMNIST_OUT=${FMNIST_OUT:-bench/out/sel/fmnist}
out=bench/out/lava
mkdir -p "$out"

flip() {	# K: relabel id mod 10 = 3 to (l + 1) mod K, mark "flipped"
	awk -v K="$1" '{ match($0, /"id":[0-9]+/); id = substr($0, RSTART + 5, RLENGTH - 5) + 0
		f = id % 10 == 3
		if (f) { match($0, /"label":[0-9]+/); l = substr($0, RSTART + 8, RLENGTH - 8) + 0
			sub(/"label":[0-9]+/, "\"label\":" (l + 1) % K) }
		sub(/}$/, ",\"flipped\":" (f ? "true" : "false") "}"); print }'
}

precision() {
	/usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
k = sum(1 for x in r if x["flipped"])
top = sorted(range(len(r)), key=lambda i: (-r[i]["score"], i))[:k]
print("n %d flipped %d precision@k %.3f random %.3f" % (len(r), k,
    sum(r[i]["flipped"] for i in top) / k, k / len(r)))' "$1"
}

measure() {	# NAME TRAIN VALID
	for inner in sinkhorn exact; do
		t0=$(date +%s.%N)
		nsl-score --metric lava --lava-inner $inner --valid "$3" "$2" >"$out/s.jsonl"
		t1=$(date +%s.%N)
		printf '%-17s %-8s %s  %.2fs  load %s\n' "$1" $inner \
		    "$(precision "$out/s.jsonl")" "$(echo "$t1 - $t0" | bc)" \
		    "$(cut -d' ' -f1-3 /proc/loadavg)"
	done
}

nsl-synth --n 400 --dim 5 --label-noise 0.1 --seed 1 teacher-student >"$out/ts.jsonl"
nsl-synth --n 400 --dim 5 --seed 1 --test teacher-student >"$out/ts-val.jsonl"
measure teacher-student "$out/ts.jsonl" "$out/ts-val.jsonl"

nsl-synth --n 600 --dim 5 --classes 3 --seed 2 gaussian-mixture | flip 3 >"$out/gm.jsonl"
nsl-synth --n 300 --dim 5 --classes 3 --seed 2 --test gaussian-mixture >"$out/gm-val.jsonl"
measure gaussian-mixture "$out/gm.jsonl" "$out/gm-val.jsonl"

if [ -f "$FMNIST_OUT/train.jsonl" ]; then
	head -n "$N" "$FMNIST_OUT/train.jsonl" | flip 10 >"$out/fm.jsonl"
	head -n 1000 "$FMNIST_OUT/test.jsonl" >"$out/fm-val.jsonl"
	measure fashion-mnist "$out/fm.jsonl" "$out/fm-val.jsonl"
else
	echo "fashion-mnist: no $FMNIST_OUT/train.jsonl (make -f pipelines/fashion-mnist.mk OUT=$FMNIST_OUT)" >&2
fi
