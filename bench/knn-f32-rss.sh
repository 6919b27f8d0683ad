#!/bin/sh
# Peak memory and time of the exact knn metric on float32 rows with two
# builds' binaries (BEFORE_BIN, AFTER_BIN): N x D rows (default 50000 x
# 128), a mixture of 100 Gaussians rounded to float32, in a float32 .npy
# beside an id-only JSONL (written by the standard library alone), k = 10.
# Each build runs RUNS times (default 2), interleaved, under
# /usr/bin/time -v; prints each run's wall seconds and peak RSS, checks
# that both builds write the same scores (cmp), and the load (`uptime`).
# The rows are N D 8 bytes in double (51 MB at the default), N D 4 in
# float32.
#
#	sh bench/knn-f32-rss.sh BEFORE_BIN AFTER_BIN
set -eu
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
cd "$(dirname "$0")/.."
N=${N:-50000}
D=${D:-128}
RUNS=${RUNS:-2}
out=bench/out/knn-f32-rss
mkdir -p "$out"
[ -f "$out/x-$N-$D.npy" ] || /usr/bin/python3 - "$out" "$N" "$D" <<'PY'
import array, random, sys
out, n, d = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
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
PY
x="$out/x-$N-$D.npy" ids="$out/ids-$N.jsonl"
# timed NAME BIN CMD...: one timed run, "NAME wall_s peak_kb"
timed() {
	name=$1 bin=$2
	shift 2
	PATH="$bin:$PATH" /usr/bin/time -v "$@" 2>"$out/time" \
	    >"$out/scores-$name.jsonl"
	printf '%-8s %8s s %9s kB\n' "$name" \
	    "$(sed -n 's/.*Elapsed (wall clock) time.*: //p' "$out/time")" \
	    "$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$out/time")"
}
echo "N=$N D=$D k=10 exact; load: $(uptime)"
i=0
while [ $i -lt "$RUNS" ]; do
	for b in before after; do
		eval bin=\$$b
		timed "$b" "$bin" nsl-score -q --metric knn --neighbours 10 \
		    --vectors "$x" "$ids"
	done
	i=$((i + 1))
done
cmp "$out/scores-before.jsonl" "$out/scores-after.jsonl" &&
    echo "scores: the same bytes"
echo "load: $(uptime)"
