#!/bin/sh
# Pruning a sharded set by fraction with exact counts: N small records
# (default 10 000 000: an id, one of 1000 labels as ImageNet's classes,
# a score with 3 decimals, so ties are many) in S shards (default 16).
# nsl-prune --save-plan reads every shard once and writes the plan; then
# each shard is pruned alone (nsl-prune --plan, 2 at a time with GNU
# parallel).  Reports each step's wall time and peak resident size (GNU
# time -v), the one-file run's (nsl-prune over all shards) for
# comparison, the load average, and checks the kept count of every label
# against round(F n_label) counted here with awk.
#
#	sh bench/imagenet-shards.sh          N=1000000 S=8 sh bench/imagenet-shards.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-10000000}
S=${S:-16}
F=${F:-0.3}
bin=${NSL_BIN:-bin}
dir=bench/out/shards-$N-$S
mkdir -p "$dir"

if [ ! -f "$dir/done" ]; then
	echo "generating $N records in $S shards under $dir ..." >&2
	rm -f "$dir"/s.*.jsonl
	awk -v n="$N" -v s="$S" -v dir="$dir" 'BEGIN {
		srand(1)
		for (i = 0; i < n; i++) {
			f = sprintf("%s/s.%03d.jsonl", dir, i % s)
			printf("{\"id\":%d,\"label\":%d,\"score\":%.3f}\n",
			    i, (i * 7919) % 1000, rand()) > f
		}
	}'
	touch "$dir/done"
fi
echo "input: $N records in $S shards, $(cat "$dir"/s.*.jsonl | wc -c) bytes; $(uptime | sed 's/.*load/load/')"

measure() {	# label command...
	label=$1
	shift
	/usr/bin/time -v "$@" 2>"$dir/$label.time"
	awk -F': ' -v l="$label" '/Maximum resident/ { r = $2 }
	    /Elapsed/ { w = $2 }
	    END { printf "%-12s peak RSS %8.1f MB, wall %s\n", l, r / 1024, w }' \
	    "$dir/$label.time"
}

measure plan "$bin/nsl-prune" --keep-fraction "$F" --by label --seed 1 \
    --save-plan "$dir/plan.jsonl" "$dir"/s.*.jsonl
rm -rf "$dir/kept" && mkdir "$dir/kept"
measure apply-all sh -c 'ls "$1"/s.*.jsonl | parallel --will-cite -j 2 \
    "$2/nsl-prune" --plan "$1/plan.jsonl" -o "$1/kept/{/}" {}' _ "$dir" "$bin"
# one shard alone, for its peak size (the parallel run's is parallel's)
measure apply-one "$bin/nsl-prune" --plan "$dir/plan.jsonl" \
    -o "$dir/kept-one.jsonl" "$dir/s.000.jsonl"
measure one-file "$bin/nsl-prune" --keep-fraction "$F" --by label \
    -o "$dir/one-file.jsonl" "$dir"/s.*.jsonl
echo "load after: $(uptime | sed 's/.*load/load/')"

# exact counts: per label round(F n), halves up, at least 1
cat "$dir"/s.*.jsonl | awk -F'"label":' -v f="$F" '
	{ split($2, a, ","); n[a[1]]++ }
	END { for (l in n) { k = int(f * n[l] + 0.5); if (k < 1) k = 1; t += k }
	    print t }' >"$dir/want"
got=$(cat "$dir"/kept/*.jsonl | wc -l)
one=$(wc -l <"$dir/one-file.jsonl")
want=$(cat "$dir/want")
echo "kept: sharded $got, one-file $one, expected $want"
[ "$got" -eq "$want" ] && [ "$one" -eq "$want" ] || { echo "COUNTS DIFFER" >&2; exit 1; }
# and the per-label counts of the sharded run
cat "$dir"/kept/*.jsonl | awk -F'"label":' '{ split($2, a, ","); k[a[1]]++ }
	END { for (l in k) print l, k[l] }' | sort -n >"$dir/kept-per-label"
cat "$dir"/s.*.jsonl | awk -F'"label":' -v f="$F" '{ split($2, a, ","); n[a[1]]++ }
	END { for (l in n) { k = int(f * n[l] + 0.5); if (k < 1) k = 1; print l, k } }' |
    sort -n | cmp - "$dir/kept-per-label" && echo "per-label counts exact"
