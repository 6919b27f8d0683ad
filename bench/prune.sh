#!/bin/sh
# nsl-prune memory and speed: N records (default 200000) with D-number
# embeddings (default 768) and a score, piped through standard input
# (so nsl-prune spills to $TMPDIR), class-balanced hard pruning to half.
# Reports the input's bytes, nsl-prune's peak resident size (GNU time -v)
# as a share of them (the goal: under 10%), wall time, and the same for a
# Python peer that keeps (score, label, offset) per record and re-reads
# the file.  Both outputs are compared byte for byte.
#
#	sh bench/prune.sh            N=20000 sh bench/prune.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-200000}
D=${D:-768}
out=bench/out
mkdir -p "$out"
data="$out/prune-$N-$D.jsonl"
bin=${NSL_BIN:-bin}

if [ ! -f "$data" ]; then
	echo "generating $data ..." >&2
	/usr/bin/python3 - "$N" "$D" "$data" <<'PY'
import random, sys
n, d, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(1)
# 500 distinct embeddings (float32-like, 8 significant digits), cycled:
# the bytes per record are what matters here, not the values
embs = [",".join("%.8g" % rng.gauss(0, 0.05) for _ in range(d))
        for _ in range(500)]
with open(path, "w") as f:
    for i in range(n):
        f.write('{"id":%d,"label":%d,"score":%r,"embedding":[%s]}\n'
                % (i, i % 10, rng.random(), embs[i % 500]))
PY
fi
bytes=$(wc -c <"$data")
echo "input: $N records x $D numbers, $bytes bytes; load: $(uptime | sed 's/.*load/load/')"

measure() {	# label command...
	label=$1
	shift
	cat "$data" | /usr/bin/time -v "$@" >"$out/prune-$label.out" \
	    2>"$out/prune-$label.time"
	rss=$(awk -F': ' '/Maximum resident/ { print $2 }' "$out/prune-$label.time")
	wall=$(awk -F': ' '/Elapsed/ { print $2 }' "$out/prune-$label.time")
	awk -v l="$label" -v r="$rss" -v b="$bytes" -v w="$wall" 'BEGIN {
		printf "%-10s peak RSS %8.1f MB = %5.2f%% of input, wall %s\n",
		    l, r / 1024, 100 * r * 1024 / b, w }'
}

measure nsl "$bin/nsl-prune" --keep-fraction 0.5 --by label
measure python /usr/bin/python3 -c '
import json, sys, tempfile
# the same selection: per label, the highest round(n/2) scores, ties to
# the earlier record; stdin spilled to a temporary file, then re-read
spill = tempfile.TemporaryFile()
recs = []
for i, line in enumerate(sys.stdin.buffer):
    r = json.loads(line)
    recs.append((r["label"], -r["score"], i))
    spill.write(line)
keep = set()
groups = {}
for g, s, i in recs:
    groups.setdefault(g, []).append((s, i))
for g, v in groups.items():
    v.sort()
    keep.update(i for _, i in v[:int(len(v) / 2 + 0.5)])
spill.seek(0)
out = sys.stdout.buffer
for i, line in enumerate(spill):
    if i in keep:
        out.write(line)
'
if cmp -s "$out/prune-nsl.out" "$out/prune-python.out"; then
	echo "outputs identical ($(wc -l <"$out/prune-nsl.out") records)"
else
	echo "outputs DIFFER" >&2
	exit 1
fi
