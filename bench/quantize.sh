#!/bin/sh
# nsl-quantize throughput.
#  1. The kernel alone (bench/quant_kernel.c): a float32 array in memory
#     to fp8/fp4 codes, in GB/s of float32 input per core (thread CPU
#     time), plus the general encoder and MX/nf4 vectors for comparison.
#  2. The JSONL filter on N records (default 20000) of D numbers (768),
#     in MB/s of input, next to a plain `nsl-convert` jsonl -> jsonl pass
#     on the same file (the goal: the filter at >= 80% of it).
#  3. The scales over all records (tensor, column), which read the input
#     twice: a file, standard input redirected from it (read again) and a
#     pipe (spilled to $TMPDIR), each with its peak RSS.
# Timings on a shared machine are noisy: the load average is printed.
# ONLY=REGEX keeps the commands of part 2 whose label matches (and
# nsl-convert); KERNEL=0 skips part 1.
#
#	sh bench/quantize.sh            N=5000 sh bench/quantize.sh
#	REPS=3 KERNEL=0 ONLY='tensor|column' sh bench/quantize.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-20000}
D=${D:-768}
out=bench/out
mkdir -p "$out"
data="$out/quantize-$N-$D.jsonl"
bin=${NSL_BIN:-bin}

echo "load: $(uptime)"
if [ "${KERNEL:-1}" != 0 ]; then
	${CC:-cc} -std=c11 -O2 -Ilib -fopenmp bench/quant_kernel.c \
	    lib/libnsl.a -lgsl -lopenblas -lm -o "$out/quant_kernel"
	"$out/quant_kernel" 2>/dev/null
fi

sh bench/gen-embeddings.sh "$N" "$D" "$data"
bytes=$(stat -c %s "$data")
mb=$(awk "BEGIN { print $bytes / 1e6 }")

# Each command runs REPS times (default 5), the commands taking turns so
# that a change in the machine's speed falls on all of them alike; the
# best time counts.  The share is the filter's speed over nsl-convert's.
REPS=${REPS:-5}
set -- \
    "nsl-convert (jsonl -> jsonl)|$bin/nsl-convert" \
    "nsl-quantize --format fp8-e4m3|$bin/nsl-quantize --format fp8-e4m3 --saturate" \
    "nsl-quantize --format fp8-e5m2|$bin/nsl-quantize --format fp8-e5m2" \
    "nsl-quantize --format mxfp4|$bin/nsl-quantize --format mxfp4" \
    "nsl-quantize --format int8 (per row)|$bin/nsl-quantize --format int8" \
    "nsl-quantize --format int4 (per row)|$bin/nsl-quantize --format int4" \
    "nsl-quantize --format nf4|$bin/nsl-quantize --format nf4" \
    "nsl-quantize --format mxfp4 --emit codes|$bin/nsl-quantize --format mxfp4 --emit codes" \
    "nsl-quantize --format fp8-e4m3fnuz|$bin/nsl-quantize --format fp8-e4m3fnuz --saturate" \
    "nsl-quantize --format fp8-e3m4|$bin/nsl-quantize --format fp8-e3m4 --saturate" \
    "nsl-quantize --format fp8-e8m0fnu|$bin/nsl-quantize --format fp8-e8m0fnu --saturate" \
    "nsl-quantize --format int3 (per row)|$bin/nsl-quantize --format int3" \
    "nsl-quantize --format uint4 (per row)|$bin/nsl-quantize --format uint4" \
    "nsl-quantize --format fp8-e4m3 --scale-by tensor|$bin/nsl-quantize --format fp8-e4m3 --scale-by tensor" \
    "nsl-quantize --format nvfp4 (tensor scale)|$bin/nsl-quantize --format nvfp4" \
    "nsl-quantize --format nvfp4 --scale-by row|$bin/nsl-quantize --format nvfp4 --scale-by row" \
    "nsl-quantize --format int8 --scale-by column|$bin/nsl-quantize --format int8 --scale-by column" \
    "nsl-quantize --format float16|$bin/nsl-quantize --format float16 --saturate" \
    "nsl-quantize --format bfloat16|$bin/nsl-quantize --format bfloat16" \
    "nsl-quantize --format float16 --emit codes|$bin/nsl-quantize --format float16 --saturate --emit codes" \
    "nsl-quantize --format bfloat16 --emit codes|$bin/nsl-quantize --format bfloat16 --emit codes"
if [ -n "${ONLY:-}" ]; then
	first=$1
	for c in "$@"; do
		shift
		case $c in "$first") ;; *)
			echo "${c%%|*}" | grep -Eq -- "$ONLY" || continue ;;
		esac
		set -- "$@" "$c"
	done
fi
cat "$data" > /dev/null
printf 'input: %s, %d records x %d numbers, %.1f MB (best of %d)\n' \
    "$data" "$N" "$D" "$mb" "$REPS"
times="$out/quantize-times"
: > "$times"
rep=0
while [ "$rep" -lt "$REPS" ]; do
	k=0
	for c in "$@"; do
		start=$(date +%s.%N)
		${c#*|} < "$data" > /dev/null
		end=$(date +%s.%N)
		echo "$k $start $end" >> "$times"
		k=$((k + 1))
	done
	rep=$((rep + 1))
done
k=0
for c in "$@"; do
	awk -v k="$k" -v l="${c%%|*}" -v mb="$mb" '
	    { t = $3 - $2 }
	    $1 == 0 && (b0 == "" || t < b0) { b0 = t }
	    $1 == k && (b == "" || t < b) { b = t }
	    END { printf "%-40s %6.2f s %7.1f MB/s %5.0f%%\n", l, b, mb / b,
	        100 * b0 / b }' "$times"
	k=$((k + 1))
done
echo "load: $(uptime)"

# 3. The two-pass scales by input kind: best wall time and the peak RSS
# of that run (GNU time), the kinds taking turns.
[ -x /usr/bin/time ] || exit 0
echo "two passes, by input kind (best of $REPS; peak RSS):"
rss="$out/quantize-rss"
: > "$rss"
for scale in "--format fp8-e4m3 --scale-by tensor" \
    "--format int8 --scale-by column"; do
	rep=0
	while [ "$rep" -lt "$REPS" ]; do
		for kind in file redirect pipe; do
			case $kind in
			file) /usr/bin/time -f "$kind %e %M" $bin/nsl-quantize \
			    $scale "$data" ;;
			redirect) /usr/bin/time -f "$kind %e %M" \
			    $bin/nsl-quantize $scale < "$data" ;;
			pipe) cat "$data" | /usr/bin/time -f "$kind %e %M" \
			    $bin/nsl-quantize $scale ;;
			esac 2>> "$rss" > /dev/null
		done
		rep=$((rep + 1))
	done
	awk -v l="$scale" '
	    NF == 3 && (b[$1] == "" || $2 < b[$1]) { b[$1] = $2; m[$1] = $3 }
	    END { printf "  %-34s file %5.2f s %7.1f MB  stdin < %5.2f s %7.1f MB  pipe %5.2f s %7.1f MB\n",
	        l, b["file"], m["file"] / 1024, b["redirect"],
	        m["redirect"] / 1024, b["pipe"], m["pipe"] / 1024 }' "$rss"
	: > "$rss"
done
echo "load: $(uptime)"
