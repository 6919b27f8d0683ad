#!/bin/sh
# knn's inverted-file index (lib/ivf.c, through bench/ivf.c) against
# faiss IndexIVFFlat (python3-faiss, bench/ivf_peers.py) with the same
# lists and nprobe, on N x D points (default 100000 x 128; N=1000000 for
# the large case) from a mixture of 1000 Gaussians.  Q query rows
# (default 2000) are searched for K = 10 neighbours, their own row left
# out; recall@K is against numpy's exact float64 neighbours.  Lists:
# ceil(sqrt(N)) unless LISTS is set; NPROBE the list of nprobe values.
# Prints each tool's build and search seconds (wall and CPU), recall,
# faiss's exact IndexFlatL2 time on the same queries, nsl's exact
# all-pairs search over all N points when EXACT=1 (hours at N = 1e6:
# default 1 only for N <= 200000), and the machine's load (`uptime`):
# the machine is shared, so timings are noisy.
#
#	sh bench/ivf.sh        N=1000000 sh bench/ivf.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-128}
Q=${Q:-2000}
K=${K:-10}
NPROBE=${NPROBE:-1 4 16 64}
if [ -z "${LISTS:-}" ]; then
	LISTS=$(/usr/bin/python3 -c "import math; print(math.isqrt($N - 1) + 1)")
fi
if [ -z "${EXACT:-}" ]; then
	EXACT=0
	[ "$N" -le 200000 ] && EXACT=1
fi
out=bench/out
mkdir -p "$out"
x="$out/ivf-x-$N-$D.f64"
qi="$out/ivf-q-$N-$D-$Q.i64"
gt="$out/ivf-gt-$N-$D-$Q-$K.i64"

${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Ilib -fopenmp bench/ivf.c \
    lib/libnsl.a -lgsl -lopenblas -ljansson -lz -lm -o "$out/ivf"
[ -f "$gt" ] || /usr/bin/python3 bench/ivf_peers.py gen "$N" "$D" "$x" "$Q" \
    "$qi" "$gt" "$K"

echo "N=$N D=$D lists=$LISTS Q=$Q K=$K nprobe: $NPROBE"
echo "load: $(uptime)"
EXACT=$EXACT /usr/bin/time -f "nsl peak RSS: %M KB" "$out/ivf" "$x" "$N" \
    "$D" "$LISTS" "$qi" "$gt" "$Q" "$K" $NPROBE
echo "load: $(uptime)"
# shellcheck disable=SC2086
/usr/bin/python3 bench/ivf_peers.py faiss "$N" "$D" "$x" "$LISTS" "$Q" \
    "$qi" "$gt" "$K" $NPROBE
echo "load: $(uptime)"
