#!/bin/sh
# JSONL pass-through throughput: N records (default 100000) with 768-number
# embeddings, through `cat`, `nsl-convert` (jsonl to jsonl: every line
# validated and the vector read into doubles, bytes passed through),
# `nsl-convert --float32` (every number re-printed) and Python's json
# module doing the same parse-and-write.  Prints MB/s of input for each.
#
#	sh bench/io.sh            N=20000 sh bench/io.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-768}
out=bench/out
mkdir -p "$out"
data="$out/io-$N-$D.jsonl"
bin=${NSL_BIN:-bin}

sh bench/gen-embeddings.sh "$N" "$D" "$data"
bytes=$(stat -c %s "$data")
mb=$(awk "BEGIN { print $bytes / 1e6 }")

rate() {
	# $1 label, rest: command reading $data, writing to /dev/null
	label=$1
	shift
	start=$(date +%s.%N)
	"$@" < "$data" > /dev/null
	end=$(date +%s.%N)
	awk -v l="$label" -v s="$start" -v e="$end" -v mb="$mb" \
	    'BEGIN { printf "%-28s %8.2f s %9.1f MB/s\n", l, e - s, mb / (e - s) }'
}

cat "$data" > /dev/null		# warm the page cache
printf 'input: %s, %d records x %d numbers, %.1f MB\n' "$data" "$N" "$D" "$mb"
rate "cat" cat
rate "nsl-convert" "$bin/nsl-convert"
rate "nsl-convert --float32" "$bin/nsl-convert" --float32
rate "python3 json (loads+dumps)" /usr/bin/python3 -c '
import sys, json
w = sys.stdout.write
for line in sys.stdin:
    w(json.dumps(json.loads(line), separators=(",", ":")) + "\n")
'
