#!/bin/sh
# knn --index ivf on float32 rows with two builds' binaries (BEFORE_BIN,
# AFTER_BIN): N x D rows (default 100000 x 128), a mixture of 100
# Gaussians rounded to float32, in a float32 .npy beside an id-only JSONL,
# and Q = 1000 float32 query records (JSONL), all written by the standard
# library alone; LISTS lists (default ceil(sqrt(N))), k = 10.
#  1. the whole set at each nprobe of NPROBES (default "1 4 16 64"): both
#     builds' scores compared (cmp) and the recall each reports;
#  2. a model fitted (--save-model, nprobe 8) and applied to the queries
#     by each build: models and scores compared;
#  3. RUNS times (default 2), the builds interleaved, under /usr/bin/time
#     -v: the whole set (nprobe 8), the fit and the apply, each run's wall
#     seconds and peak RSS.
# The rows are N D 8 bytes in double (102 MB at the default), N D 4 in
# float32.  The load (`uptime`) is printed before and after.
#
#	sh bench/ivf-f32-rss.sh BEFORE_BIN AFTER_BIN
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-128}
Q=${Q:-1000}
RUNS=${RUNS:-2}
NPROBES=${NPROBES:-1 4 16 64}
LISTS=${LISTS:-$(/usr/bin/python3 -c "import math; print(math.isqrt($N - 1) + 1)")}
out=bench/out/ivf-f32-rss
mkdir -p "$out"
[ -f "$out/x-$N-$D.npy" ] || /usr/bin/python3 - "$out" "$N" "$D" "$Q" <<'PY'
import array, random, struct, sys
out, n, d, q = (sys.argv[1],) + tuple(int(a) for a in sys.argv[2:5])
r = random.Random(7)
centres = [[4 * r.gauss(0, 1) for _ in range(d)] for _ in range(100)]
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, d)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open("%s/x-%d-%d.npy" % (out, n, d), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr.encode())
    for i in range(n):
        c = centres[r.randrange(100)]
        a = array.array("f", [c[j] + r.gauss(0, 1) for j in range(d)])
        if sys.byteorder != "little":
            a.byteswap()
        f.write(a.tobytes())
with open("%s/ids-%d.jsonl" % (out, n), "w") as f:
    for i in range(n):
        f.write('{"id":%d}\n' % i)
# queries: float32 numbers printed in full (the shortest double text)
f32 = lambda v: struct.unpack("f", struct.pack("f", v))[0]
with open("%s/q-%d-%d.jsonl" % (out, q, d), "w") as f:
    for i in range(q):
        c = centres[r.randrange(100)]
        f.write('{"id":%d,"embedding":[%s]}\n' % (i, ",".join(
            repr(f32(c[j] + r.gauss(0, 1))) for j in range(d))))
PY
x="$out/x-$N-$D.npy" ids="$out/ids-$N.jsonl" qs="$out/q-$Q-$D.jsonl"
# timed NAME BIN CMD...: one timed run, "NAME wall_s peak_kb"
timed() {
	name=$1 bin=$2
	shift 2
	PATH="$bin:$PATH" /usr/bin/time -v "$@" 2>"$out/time" >/dev/null
	printf '%-14s %8s s %9s kB\n' "$name" \
	    "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$out/time")" \
	    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time")"
}
echo "N=$N D=$D lists=$LISTS k=10 Q=$Q; load: $(uptime)"
for p in $NPROBES; do
	for b in before after; do
		eval bin=\$$b
		PATH="$bin:$PATH" nsl-score --metric knn --index ivf \
		    --lists "$LISTS" --nprobe "$p" --vectors "$x" "$ids" \
		    >"$out/whole-$b.jsonl" 2>"$out/note-$b"
		printf 'nprobe %-3s %-6s %s\n' "$p" "$b" \
		    "$(grep -o 'found [0-9.]*%' "$out/note-$b")"
	done
	cmp "$out/whole-before.jsonl" "$out/whole-after.jsonl" &&
	    echo "nprobe $p: whole-set scores the same bytes"
done
for b in before after; do
	eval bin=\$$b
	PATH="$bin:$PATH" nsl-score -q --metric knn --index ivf --lists "$LISTS" \
	    --nprobe 8 --vectors "$x" --save-model "$out/model-$b.jsonl" "$ids"
	PATH="$bin:$PATH" nsl-score -q --metric knn --model "$out/model-$b.jsonl" \
	    "$qs" >"$out/scores-$b.jsonl"
done
cmp "$out/model-before.jsonl" "$out/model-after.jsonl" && echo "models: the same bytes"
cmp "$out/scores-before.jsonl" "$out/scores-after.jsonl" && echo "applied scores: the same bytes"
i=0
while [ $i -lt "$RUNS" ]; do
	for b in before after; do
		eval bin=\$$b
		timed "whole $b" "$bin" nsl-score -q --metric knn --index ivf \
		    --lists "$LISTS" --nprobe 8 --vectors "$x" "$ids"
		timed "fit $b" "$bin" nsl-score -q --metric knn --index ivf \
		    --lists "$LISTS" --nprobe 8 --vectors "$x" \
		    --save-model "$out/m.jsonl" "$ids"
		timed "apply $b" "$bin" nsl-score -q --metric knn \
		    --model "$out/model-after.jsonl" "$qs"
	done
	i=$((i + 1))
done
echo "load: $(uptime)"
