#!/bin/sh
# The spool's packing of a pipe's copy (lib/pack.c, bench/pack.c): the
# packed share and GB/s each way, with AVX2 and without, on the
# embedding text bench/io.sh reads (N records of D numbers, default
# 100000 x 768, about 965 MB) or on FILE.
#
#	sh bench/pack.sh          sh bench/pack.sh FILE
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
N=${N:-100000}
D=${D:-768}
data=${1:-bench/out/io-$N-$D.jsonl}
[ $# -gt 0 ] || sh bench/gen-embeddings.sh "$N" "$D" "$data" 8g
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Ilib bench/pack.c lib/pack.c \
    -o bench/out/pack
echo "load: $(uptime | sed 's/.*load average: //')"
bench/out/pack "$data"
echo "load: $(uptime | sed 's/.*load average: //')"
