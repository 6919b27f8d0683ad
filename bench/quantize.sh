#!/bin/sh
# nsl-quantize throughput.
#  1. The kernel alone (bench/quant_kernel.c): a float32 array in memory
#     to fp8/fp4 codes, in GB/s of float32 input per core (thread CPU
#     time), plus the general encoder and MX/nf4 vectors for comparison.
#  2. The JSONL filter on N records (default 20000) of D numbers (768),
#     in MB/s of input, next to a plain `nsl-convert` jsonl -> jsonl pass
#     on the same file (the goal: the filter at >= 80% of it).
# Timings on a shared machine are noisy: the load average is printed.
#
#	sh bench/quantize.sh            N=5000 sh bench/quantize.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-20000}
D=${D:-768}
out=bench/out
mkdir -p "$out"
data="$out/quantize-$N-$D.jsonl"
bin=${NSL_BIN:-bin}

echo "load: $(uptime)"
${CC:-cc} -std=c11 -O2 -Ilib -fopenmp bench/quant_kernel.c lib/libnsl.a \
    -lgsl -lopenblas -lm -o "$out/quant_kernel"
"$out/quant_kernel" 2>/dev/null

sh bench/gen-embeddings.sh "$N" "$D" "$data"
bytes=$(stat -c %s "$data")
mb=$(awk "BEGIN { print $bytes / 1e6 }")

rate() {
	label=$1
	shift
	best=
	for rep in 1 2 3; do
		start=$(date +%s.%N)
		"$@" < "$data" > /dev/null
		end=$(date +%s.%N)
		t=$(awk -v s="$start" -v e="$end" 'BEGIN { print e - s }')
		best=$(awk -v a="${best:-1e9}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
	done
	awk -v l="$label" -v t="$best" -v mb="$mb" \
	    'BEGIN { printf "%-40s %8.2f s %9.1f MB/s\n", l, t, mb / t }'
}

cat "$data" > /dev/null
printf 'input: %s, %d records x %d numbers, %.1f MB (best of 3)\n' \
    "$data" "$N" "$D" "$mb"
rate "nsl-convert (jsonl -> jsonl)" "$bin/nsl-convert"
rate "nsl-quantize --format fp8-e4m3" "$bin/nsl-quantize" --format fp8-e4m3 --saturate
rate "nsl-quantize --format fp8-e5m2" "$bin/nsl-quantize" --format fp8-e5m2
rate "nsl-quantize --format mxfp4" "$bin/nsl-quantize" --format mxfp4
rate "nsl-quantize --format int8 (per row)" "$bin/nsl-quantize" --format int8
rate "nsl-quantize --format int4 (per row)" "$bin/nsl-quantize" --format int4
rate "nsl-quantize --format nf4" "$bin/nsl-quantize" --format nf4
rate "nsl-quantize --format mxfp4 --emit codes" "$bin/nsl-quantize" --format mxfp4 --emit codes
echo "load: $(uptime)"
