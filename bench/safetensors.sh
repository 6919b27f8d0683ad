#!/bin/sh
# nsl-quantize on a safetensors checkpoint: time and peak memory against
# the file's size (issue 21's acceptance: a 100 MB checkpoint quantized
# tensor by tensor, peak RSS well under the file size).
#  1. numpy writes a synthetic checkpoint of about MB megabytes (default
#     100; tests/fixtures/quantize-safetensors/checkpoint.py): embed.weight
#     F32 [8000, 1024]; for 8 layers attn.weight F32 [1024, 1024],
#     mlp.weight BF16 [2048, 1024], norm.weight F32 [1024]; kept in
#     bench/out for the next run.
#  2. Each command runs REPS times (default 3), taking turns, under
#     /usr/bin/time: the best wall time and the largest peak RSS count.
#     `cat` is the floor: reading the file once.
# Timings on a shared machine are noisy: the load average is printed.
#
#	sh bench/safetensors.sh            MB=400 REPS=1 sh bench/safetensors.sh
set -eu
cd "$(dirname "$0")/.."
MB=${MB:-100}
REPS=${REPS:-3}
out=bench/out
mkdir -p "$out"
ck="$out/checkpoint-$MB.safetensors"
bin=${NSL_BIN:-bin}

if [ ! -f "$ck" ]; then
	/usr/bin/python3 tests/fixtures/quantize-safetensors/checkpoint.py "$ck" "$MB"
fi
size=$(stat -c %s "$ck")
echo "load: $(uptime)"
echo "checkpoint: $ck, $(awk "BEGIN { printf \"%.1f\", $size / 1e6 }") MB"

set -- \
    "cat (read the file once)|cat $ck" \
    "nsl-convert --list-tensors|$bin/nsl-convert --list-tensors $ck" \
    "nsl-quantize --format int8 (per row), table|$bin/nsl-quantize --format int8 --stats-file $out/table.jsonl $ck" \
    "nsl-quantize --format int8 --scale-by tensor|$bin/nsl-quantize --format int8 --scale-by tensor $ck" \
    "nsl-quantize --format fp8-e4m3 --saturate|$bin/nsl-quantize --format fp8-e4m3 --saturate $ck" \
    "nsl-quantize --format mxfp4 --emit codes|$bin/nsl-quantize --format mxfp4 --emit codes $ck" \
    "nsl-convert --dtype bfloat16 (holds the rows)|$bin/nsl-convert --dtype bfloat16 --to safetensors $ck"

rm -f "$out"/st-*.time
r=0
while [ "$r" -lt "$REPS" ]; do
	i=0
	for c in "$@"; do
		i=$((i + 1))
		/usr/bin/time -f "%e %M" -a -o "$out/st-$i.time" \
		    sh -c "${c#*|} > $out/st-out.bin"
	done
	r=$((r + 1))
done
printf '%-46s %9s %12s %8s\n' command "wall s" "peak RSS MB" "of file"
i=0
for c in "$@"; do
	i=$((i + 1))
	awk -v name="${c%%|*}" -v size="$size" '
	    NR == 1 || $1 < best { best = $1 }
	    $2 > rss { rss = $2 }
	    END { printf "%-46s %9.2f %12.1f %7.0f%%\n", name, best,
		rss / 1024, 100 * rss * 1024 / size }' "$out/st-$i.time"
done
echo "table: $out/table.jsonl ($(wc -l < "$out/table.jsonl") tensors)"
head -n 2 "$out/table.jsonl"
rm -f "$out/st-out.bin" "$out"/st-*.time
