#!/bin/sh
# The `make bench` summary: nsl against a peer doing the same job on the
# same input, one row each: both times (median of R alternating rounds,
# default 3; wall seconds, and CPU seconds of the command alone), the
# ratio peer / nsl, and whether the answers agree (checked, not assumed).
# Inputs: N records (default 5000) of D-number embeddings (default 768),
# bench/gen-embeddings.sh's, with a score added for pruning, and as many
# of the float32 reprs Python's json writes; SHORT_N short score records
# (web-scale score files, bench/prune-short.sh); then the models (k-means against faiss, exact knn against faiss, exact OT
# against POT) on their own data, sizes below.
#
#	sh bench/summary.sh          N=20000 R=5 sh bench/summary.sh
#	KM_N=50000 KM_D=2048 sh bench/summary.sh
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

# Python's json reading and writing every line, as nsl-convert does
py_rw="/usr/bin/python3 -c '
import sys, json
w = sys.stdout.write
for line in sys.stdin:
    w(json.dumps(json.loads(line), separators=(\",\", \":\")) + \"\\n\")'"
row "JSONL read+write (pipe)" "python json" "$same_vectors" \
    "cat $emb | $bin/nsl-convert" "cat $emb | $py_rw"
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

# The same pass-through on the text Python's json writes for float32
# values (16-17 significant digits: 3.8421523571014404), N x D of them.
reprs="$out/summary-reprs-$N-$D.jsonl"
[ -f "$reprs" ] || /usr/bin/python3 - "$N" "$D" "$reprs" <<'PY'
import json, random, struct, sys
n, d, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(4)
f32 = lambda x: struct.unpack("f", struct.pack("f", x))[0]
with open(path + ".tmp", "w") as f:
    for i in range(n):
        v = [f32(rng.gauss(0, 1)) for _ in range(d)]
        f.write('{"id":%d,"embedding":%s}\n' % (i, json.dumps(v,
            separators=(",", ":"))))
PY
[ -f "$reprs" ] || mv "$reprs.tmp" "$reprs"
row "JSONL float32 reprs (pipe)" "python json" "$same_vectors" \
    "cat $reprs | $bin/nsl-convert" "cat $reprs | $py_rw"

# Gzip: writing -o FILE.gz (BGZF blocks, libdeflate, every thread)
# against gzip at its default level, then reading each file back (nsl's
# blocks inflated on every thread, every line validated) against zcat
# inflating gzip's, and gzip's file on a pipe; the texts checked against
# the input.
gz_same="gzip -dc $out/summary-n.jsonl.gz | cmp -s - $emb && gzip -dc $out/summary-p.jsonl.gz | cmp -s - $emb && echo \"same text; \$(du -m $out/summary-n.jsonl.gz | cut -f1) against \$(du -m $out/summary-p.jsonl.gz | cut -f1) MB\" || echo DIFFER"
row "JSONL to .gz" "gzip -6" "$gz_same" \
    "$bin/nsl-convert -o $out/summary-n.jsonl.gz $emb" \
    "gzip -6 -c $emb > $out/summary-p.jsonl.gz"
row ".gz JSONL read" "zcat" \
    "cmp -s $out/summary-nsl.out $emb && cmp -s $out/summary-peer.out $emb && echo 'same text' || echo DIFFER" \
    "$bin/nsl-convert $out/summary-n.jsonl.gz" "zcat $out/summary-p.jsonl.gz"
# gzip's own file (one member: ISA-L, one thread) on a pipe, against zcat
row "gzip's .gz read (pipe)" "zcat" \
    "cmp -s $out/summary-nsl.out $emb && cmp -s $out/summary-peer.out $emb && echo 'same text' || echo DIFFER" \
    "cat $out/summary-p.jsonl.gz | $bin/nsl-convert" "zcat $out/summary-p.jsonl.gz"
rm -f "$out/summary-n.jsonl.gz" "$out/summary-p.jsonl.gz"

# Web-scale score files: SHORT_N short records (default 1000000,
# bench/prune-short.sh's data and Python peer), hard pruning to half.
SHORT_N=${SHORT_N:-1000000}
N=$SHORT_N GEN_ONLY=1 sh bench/prune-short.sh
short=bench/out/prune-short/short-$SHORT_N.jsonl
row "prune hard, $SHORT_N short" "python json" \
    "cmp -s $out/summary-nsl.out $out/summary-peer.out && echo \"identical bytes (\$(wc -l < $out/summary-nsl.out) kept)\" || echo DIFFER" \
    "$bin/nsl-prune --keep-fraction 0.5 $short" \
    "/usr/bin/python3 bench/out/prune-short/peer.py $short 0.5"

# The models: each peer as a whole Python process (start-up and imports
# counted, as nsl's reading of its JSONL is).  KM_N x KM_D points for
# k-means (k = 100, 20 iterations, seed 1; bench/kmeans-tool.sh's data:
# every point against faiss fitting every point, and a seeded sample of
# 256 a centre against faiss's own default sample of as many),
# KNN_N x 128 for knn (k = 10, bench/knn_peers.py), OT_N x 64 for exact
# OT (POT's emd2): by default the sizes the performance goals name;
# KM_N=50000 KM_D=2048 the widest.
KM_N=${KM_N:-100000}
KM_D=${KM_D:-128}
KNN_N=${KNN_N:-50000}
OT_N=${OT_N:-4000}
py=/usr/bin/python3

km=bench/out/kmeans-tool-$KM_N-$KM_D
N=$KM_N D=$KM_D SEEDS=1 BIN=$bin sh bench/kmeans-tool.sh > /dev/null
objectives="awk '{ if (match(\$0, /\"score\":[-+0-9.eE]+/)) { s[FILENAME] += substr(\$0, RSTART + 8, RLENGTH - 8); n[FILENAME]++ } }
    END { a = s[ARGV[1]] / n[ARGV[1]]; b = s[ARGV[2]] / n[ARGV[2]]
      printf \"objective nsl %.4f, peer %.4f (%s)\\n\", a, b, a <= b ? \"nsl lower or equal\" : \"PEER LOWER\" }' \
    $out/summary-nsl.out $out/summary-peer.out"
row "k-means $KM_N x $KM_D (JSONL)" "faiss .npy" "$objectives" \
    "$bin/nsl-score -q --metric prototype --k 100 --iters 20 --seed 1 $km/x.jsonl" \
    "$py $km/faiss_kmeans.py $km/x.npy 100 20 1 /dev/stdout $((KM_N / 100 + 1))"
row "k-means 256/centre (JSONL)" "faiss .npy" \
    "$objectives" \
    "$bin/nsl-score -q --metric prototype --k 100 --iters 20 --seed 1 --max-per-centroid 256 $km/x.jsonl" \
    "$py $km/faiss_kmeans.py $km/x.npy 100 20 1 /dev/stdout"
row "k-means $KM_N x $KM_D (.npy)" "faiss .npy" "$objectives" \
    "$bin/nsl-score -q --metric prototype --k 100 --iters 20 --seed 1 --vectors $km/x.npy $km/ids.jsonl" \
    "$py $km/faiss_kmeans.py $km/x.npy 100 20 1 /dev/stdout $((KM_N / 100 + 1))"

kx=$out/knn-x-$KNN_N-128.f64 kj=$out/knn-x-$KNN_N-128.jsonl
[ -f "$kx" ] && [ -f "$kj" ] || $py bench/knn_peers.py gen "$KNN_N" 128 "$kx" "$kj"
row "exact knn $KNN_N x 128, k 10" "faiss FlatL2" \
    "$py bench/knn_peers.py faiss $KNN_N 128 10 $kx $out/summary-nsl.out | tail -n 1 | sed 's/^ *//'" \
    "$bin/nsl-score -q --metric knn --neighbours 10 $kj" \
    "$py bench/knn_peers.py faiss $KNN_N 128 10 $kx"

oa=$out/summary-ot-a-$OT_N.jsonl ob=$out/summary-ot-b-$OT_N.jsonl
[ -f "$oa" ] && [ -f "$ob" ] || $py - "$OT_N" "$oa" "$ob" <<'PY'
import sys, numpy as np
n = int(sys.argv[1])
for seed, shift, path in ((1, 0.0, sys.argv[2]), (2, 0.5, sys.argv[3])):
    x = np.random.default_rng(seed).random((n, 64)) + shift
    with open(path, "w") as f:
        for r in x:
            f.write('{"embedding":[' + ",".join(repr(float(v)) for v in r) + "]}\n")
PY
row "exact OT $OT_N x 64" "POT emd2" \
    "$py -c '
import json, sys
a = json.loads(open(sys.argv[1]).readline())[\"value\"]
b = float(open(sys.argv[2]).read())
r = abs(a - b) / abs(b)
print(\"values differ by %.1e relative (%s)\" % (r, \"agree\" if r < 1e-12 else \"DIFFER\"))' $out/summary-nsl.out $out/summary-peer.out" \
    "$bin/nsl-ot-distance --method exact $oa $ob" \
    "$py -c '
import json, sys, numpy as np, ot
X = np.array([json.loads(l)[\"embedding\"] for l in open(sys.argv[1])])
Y = np.array([json.loads(l)[\"embedding\"] for l in open(sys.argv[2])])
a = np.ones(len(X)) / len(X); b = np.ones(len(Y)) / len(Y)
print(\"%.17g\" % ot.emd2(a, b, ot.dist(X, Y), numItermax=10**9))' $oa $ob"
echo "(the linear probe against sklearn: sh bench/probe.sh, minutes on Fashion-MNIST)"
rm -f "$out/summary-time.$$"
echo "load: $(uptime | sed 's/.*load average: //')"
