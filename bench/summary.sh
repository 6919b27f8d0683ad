#!/bin/sh
# The `make bench` summary: nsl against a peer doing the same job on the
# same input, one row each: both times (median of R alternating rounds,
# default 3; wall seconds, and CPU seconds of the command alone), the
# ratio peer / nsl, and whether the answers agree (checked, not assumed).
# Inputs: N records (default 5000) of D-number embeddings (default 768),
# bench/gen-embeddings.sh's, with a score added for pruning.
#
#	sh bench/summary.sh          N=20000 R=5 sh bench/summary.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-5000}
D=${D:-768}
R=${R:-3}
out=bench/out
mkdir -p "$out"
bin=${NSL_BIN:-bin}
emb="$out/io-$N-$D.jsonl"
sc="$out/summary-$N-$D.jsonl"
sh bench/gen-embeddings.sh "$N" "$D" "$emb"
if [ ! -f "$sc" ]; then
	# a score per record (seeded), before the embedding
	/usr/bin/python3 - "$emb" "$sc" <<'PY'
import random, sys
rng = random.Random(2)
with open(sys.argv[1]) as f, open(sys.argv[2] + ".tmp", "w") as g:
    for line in f:
        i = line.index(',"embedding"')
        g.write('%s,"score":%r%s' % (line[:i], rng.random(), line[i:]))
PY
	mv "$sc.tmp" "$sc"
fi

# time1 OUTFILE command...: run once, stdout to OUTFILE; prints "wall cpu"
time1() {
	o=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$out/summary-time.$$" "$@" > "$o"
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$out/summary-time.$$"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# row TASK PEERNAME AGREEMENT-CHECK NSL-CMD PEER-CMD (commands as strings
# for sh -c; outputs land in $out/summary-nsl.out and -peer.out)
row() {
	task=$1 peer=$2 check=$3 ncmd=$4 pcmd=$5
	: > "$out/summary-runs.$$"
	i=0
	while [ "$i" -lt "$R" ]; do
		echo "nsl $(time1 "$out/summary-nsl.out" sh -c "$ncmd")" \
		    >> "$out/summary-runs.$$"
		echo "peer $(time1 "$out/summary-peer.out" sh -c "$pcmd")" \
		    >> "$out/summary-runs.$$"
		i=$((i + 1))
	done
	nw=$(awk '$1 == "nsl" { print $2 }' "$out/summary-runs.$$" | median)
	nc=$(awk '$1 == "nsl" { print $3 }' "$out/summary-runs.$$" | median)
	pw=$(awk '$1 == "peer" { print $2 }' "$out/summary-runs.$$" | median)
	pc=$(awk '$1 == "peer" { print $3 }' "$out/summary-runs.$$" | median)
	agree=$(sh -c "$check" 2>&1 || true)
	awk -v t="$task" -v p="$peer" -v nw="$nw" -v nc="$nc" -v pw="$pw" \
	    -v pc="$pc" -v a="$agree" 'BEGIN {
		printf "%-28s %5.2f/%5.2f  %-12s %6.2f/%6.2f %6.1fx/%5.1fx  %s\n",
		    t, nw, nc, p, pw, pc, (nw > 0 ? pw / nw : 0),
		    (nc > 0 ? pc / nc : 0), a }'
	rm -f "$out/summary-runs.$$"
}

cat "$emb" "$sc" > /dev/null	# warm the page cache
mb=$(awk "BEGIN { printf \"%.0f\", $(stat -c %s "$emb") / 1e6 }")
echo "nsl against peers: $N records x $D numbers ($mb MB), median of $R rounds"
echo "load: $(uptime | sed 's/.*load average: //')"
printf '%-28s %-12s %-12s %-14s %-13s  %s\n' task 'nsl wall/cpu' peer \
    'wall/cpu' 'peer/nsl' agreement

# the vectors both wrote, compared as doubles record by record
same_vectors='/usr/bin/python3 -c "
import json, sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
ok = len(a) == len(b) and all(json.loads(x)[\"embedding\"] ==
    json.loads(y)[\"embedding\"] for x, y in zip(a, b))
print(\"vectors equal (%d records)\" % len(a) if ok else \"DIFFER\")
" '"$out/summary-nsl.out $out/summary-peer.out"

row "JSONL read+write (pipe)" "python json" "$same_vectors" \
    "cat $emb | $bin/nsl-convert" \
    "cat $emb | /usr/bin/python3 -c '
import sys, json
w = sys.stdout.write
for line in sys.stdin:
    w(json.dumps(json.loads(line), separators=(\",\", \":\")) + \"\\n\")'"
row "JSONL read+write (pipe)" "jq -c ." "$same_vectors" \
    "cat $emb | $bin/nsl-convert" "cat $emb | jq -c ."

row "prune hard by label (pipe)" "python json" \
    "cmp -s $out/summary-nsl.out $out/summary-peer.out && echo \"identical bytes (\$(wc -l < $out/summary-nsl.out) kept)\" || echo DIFFER" \
    "cat $sc | $bin/nsl-prune --keep-fraction 0.5 --by label" \
    "cat $sc | /usr/bin/python3 -c '
import json, sys, tempfile
# per label the highest round(n/2) scores, ties to the earlier record;
# standard input spilled to a temporary file, then read again
spill = tempfile.TemporaryFile()
recs = []
for i, line in enumerate(sys.stdin.buffer):
    r = json.loads(line)
    recs.append((r[\"label\"], -r[\"score\"], i))
    spill.write(line)
keep, groups = set(), {}
for g, s, i in recs:
    groups.setdefault(g, []).append((s, i))
for g, v in groups.items():
    v.sort()
    keep.update(i for _, i in v[:int(len(v) / 2 + 0.5)])
spill.seek(0)
out = sys.stdout.buffer
for i, line in enumerate(spill):
    if i in keep:
        out.write(line)'"
rm -f "$out/summary-time.$$"
echo "load: $(uptime | sed 's/.*load average: //')"
