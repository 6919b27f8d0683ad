#!/bin/sh
# nsl-prune on many short records, the shape of web-scale score files
# ({"id":"doc-N","score":X,"tokens":T}, about 60 bytes a line): N records
# (default 5000000), hard pruning to half from the file and from a pipe,
# a plan built (--save-plan) and applied (--plan), and a Python peer
# (json.loads each line, sort by score then position, write the kept
# lines in input order) -- each a whole process, wall and CPU seconds and
# peak MB (GNU time), R rounds (default 3) in turn, medians printed.
# Every output is compared with the file run's, and the peer's with it.
# BEFORE=DIR (another build's bin) adds its hard and --save-plan runs to
# each round, and compares their outputs too.  GEN_ONLY=1 writes the data
# and the peer's script, and stops (bench/summary.sh).
#
#	sh bench/prune-short.sh            N=1000000 R=5 sh bench/prune-short.sh
#	BEFORE=/tmp/old/bin sh bench/prune-short.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-5000000}
R=${R:-3}
BEFORE=${BEFORE:-}
out=bench/out/prune-short
mkdir -p "$out"
data="$out/short-$N.jsonl"
bin=${NSL_BIN:-bin}

if [ ! -f "$data" ]; then
	echo "generating $data ..." >&2
	/usr/bin/python3 - "$N" "$data" <<'PY'
import random, sys
n, path = int(sys.argv[1]), sys.argv[2]
rng = random.Random(3)
with open(path + ".tmp", "w") as f:
    for i in range(n):
        f.write('{"id":"doc-%d","score":%r,"tokens":%d}\n'
                % (i, rng.random(), rng.randint(10, 5000)))
PY
	mv "$data.tmp" "$data"
fi
cat >"$out/peer.py" <<'PY'
import json, sys
path, frac = sys.argv[1], float(sys.argv[2])
keys = []
with open(path) as f:
    for i, line in enumerate(f):
        keys.append((-json.loads(line)["score"], i))
m = max(1, int(frac * len(keys) + 0.5))
keep = bytearray(len(keys))
for _, i in sorted(keys)[:m]:
    keep[i] = 1
w = sys.stdout.write
with open(path) as f:
    for i, line in enumerate(f):
        if keep[i]:
            w(line)
PY
[ -z "${GEN_ONLY:-}" ] || exit 0	# the data and the peer only
cat "$data" >/dev/null
echo "input: $N records, $(wc -c <"$data") bytes; load: $(uptime | sed 's/.*load average: //')"

# name=NAME; run command...: one timed run into $out/NAME.times (wall
# cpu peakMB)
run() {
	/usr/bin/time -f '%e %U %S %M' -o "$out/t" "$@"
	awk '{ printf "%s %.2f %d\n", $1, $2 + $3, $4 / 1024 }' "$out/t" \
	    >>"$out/$name.times"
}
rm -f "$out"/*.times
hard="--strategy hard --keep-fraction 0.5"
for r in $(seq "$R"); do
	name=hard
	run "$bin/nsl-prune" --strategy hard --keep-fraction 0.5 \
	    -o "$out/hard.out" "$data"
	name=hard-pipe
	run sh -c "cat '$data' | '$bin/nsl-prune' $hard > '$out/pipe.out'"
	name=save-plan
	run "$bin/nsl-prune" --strategy hard --keep-fraction 0.5 \
	    --save-plan "$out/plan.json" "$data"
	name=apply-plan
	run "$bin/nsl-prune" --plan "$out/plan.json" \
	    -o "$out/plan.out" "$data"
	if [ -n "$BEFORE" ]; then
		name=before-hard
		run "$BEFORE/nsl-prune" --strategy hard \
		    --keep-fraction 0.5 -o "$out/before.out" "$data"
		name=before-save-plan
		run "$BEFORE/nsl-prune" --strategy hard \
		    --keep-fraction 0.5 --save-plan "$out/before-plan.json" \
		    "$data"
	fi
	if [ "$r" -eq 1 ]; then
		name=python
		run /usr/bin/python3 "$out/peer.py" "$data" 0.5 \
		    >"$out/python.out"
	fi
done
printf '%-18s %8s %8s %8s\n' run wall cpu peakMB
for t in hard hard-pipe save-plan apply-plan before-hard before-save-plan \
    python; do
	[ -f "$out/$t.times" ] || continue
	sort -n "$out/$t.times" | awk -v t="$t" '{ w[NR] = $1 } END {
	    printf "%-18s %8.2f", t, w[int((NR + 1) / 2)] }'
	sort -n -k2 "$out/$t.times" | awk '{ c[NR] = $2 } END {
	    printf " %8.2f", c[int((NR + 1) / 2)] }'
	sort -n -k3 "$out/$t.times" | awk '{ m[NR] = $3 } END {
	    printf " %8d\n", m[int((NR + 1) / 2)] }'
done
for f in pipe plan python ${BEFORE:+before}; do
	if cmp -s "$out/hard.out" "$out/$f.out"; then
		echo "$f: the same bytes as hard"
	else
		echo "$f: DIFFERS from hard"
	fi
done
[ -z "$BEFORE" ] || if cmp -s "$out/plan.json" "$out/before-plan.json"; then
	echo "plan: the same bytes as before's"
else
	echo "plan: DIFFERS from before's"
fi
echo "load: $(uptime | sed 's/.*load average: //')"
