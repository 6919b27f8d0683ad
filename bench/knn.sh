#!/bin/sh
# Exact k nearest neighbours: `nsl-score --metric knn` (lib/score.c,
# nsl_score_knn_neighbours: float64 BLAS distance blocks, row blocks over
# OpenMP threads) against faiss's IndexFlatL2 (python3-faiss, float32),
# bench/knn_peers.py, on N x D points (default N = "20000 50000", D = 128)
# with K = 10 neighbours.  Runs are interleaved (nsl, faiss, nsl, faiss,
# ...) RUNS times (default 3); prints every run and the best of each, nsl's
# wall time being the whole command (JSON parse and write included) and
# faiss's the index build and search alone.  Also prints peak RSS, how many
# scores disagree, and the load average (the machine is shared).
# NSL_BIN=DIR times another build's nsl-score (e.g. one from before a
# change) beside faiss.
#
#	sh bench/knn.sh        N=50000 RUNS=5 sh bench/knn.sh
set -eu
cd "$(dirname "$0")/.."
NS=${N:-20000 50000}
D=${D:-128}
K=${K:-10}
RUNS=${RUNS:-3}
BIN=${NSL_BIN:-bin}
out=bench/out
mkdir -p "$out"

echo "load: $(uptime)"
echo "nsl-score: $BIN/nsl-score (OMP_NUM_THREADS=${OMP_NUM_THREADS:-all})"
for n in $NS; do
	x="$out/knn-x-$n-$D.f64" j="$out/knn-x-$n-$D.jsonl"
	[ -f "$x" ] && [ -f "$j" ] ||
	    /usr/bin/python3 bench/knn_peers.py gen "$n" "$D" "$x" "$j"
	echo "data: $n x $D, k = $K"
	best_n= best_f=
	r=1
	while [ "$r" -le "$RUNS" ]; do
		/usr/bin/time -f "%e %U %S %M" -o "$out/knn.time" \
		    "$BIN/nsl-score" -q --metric knn --neighbours "$K" \
		    -o "$out/knn-nsl.jsonl" "$j"
		set -- $(cat "$out/knn.time")
		cpu=$(echo "$2 + $3" | bc)
		echo "nsl:     $1 s wall, $cpu s cpu  peak $(($4 / 1024)) MB  (run $r)"
		best_n=$(echo "$1 ${best_n:-$1}" | awk '{ print $1 < $2 ? $1 : $2 }')
		f=$(/usr/bin/python3 bench/knn_peers.py faiss "$n" "$D" "$K" "$x")
		echo "$f  (run $r)"
		t=$(echo "$f" | awk '{ print $2 }')
		best_f=$(echo "$t ${best_f:-$t}" | awk '{ print $1 < $2 ? $1 : $2 }')
		r=$((r + 1))
	done
	echo "best of $RUNS: nsl $best_n s, faiss $best_f s"
	/usr/bin/python3 bench/knn_peers.py faiss "$n" "$D" "$K" "$x" \
	    "$out/knn-nsl.jsonl" | tail -n 1
done
echo "load: $(uptime)"
