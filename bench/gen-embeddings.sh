#!/bin/sh
# Write N records {"id","label","embedding"} with D Gaussian numbers (sd
# 0.05, seeded) to FILE, unless FILE exists: the input of the JSONL
# throughput benchmarks.  TEXT says how the numbers are written:
#   8g   8 significant digits, float32-like (%.8g; the default)
#   f32  float32 values as Python writes them (json or repr: the shortest
#        text of the double, up to 17 digits, 0.041234567230939865), as
#        embeddings saved from numpy's .tolist() are
#   f64  doubles, the same way
#   probs  a softmax over D Gaussian logits (sd 3), float32 values
#        written as f32: most of them below 1e-4, so with an exponent
#        (5.799035474041148e-09), as class probabilities are
#
#	sh bench/gen-embeddings.sh N D FILE [TEXT]
set -eu
case ${4:-8g} in
8g | f32 | f64 | probs) ;;
*) echo "gen-embeddings.sh: TEXT is 8g, f32, f64 or probs, not $4" >&2
	exit 64 ;;
esac
[ -f "$3" ] && exit 0
echo "generating $3 ..." >&2
/usr/bin/python3 - "$1" "$2" "$3" "${4:-8g}" <<'PY'
import math, random, struct, sys
n, d, path, text = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
rng = random.Random(1)
f32 = struct.Struct("f")
def f32_value(x):
    return f32.unpack(f32.pack(x))[0]
with open(path + ".tmp", "w") as f:
    for i in range(n):
        g = [rng.gauss(0, 0.05) for _ in range(d)]
        if text == "8g":
            v = ",".join("%.8g" % x for x in g)
        elif text == "f32":
            v = ",".join(repr(f32_value(x)) for x in g)
        elif text == "probs":
            top = max(g)
            e = [math.exp((x - top) * 60) for x in g]
            t = sum(e)
            v = ",".join(repr(f32_value(x / t)) for x in e)
        else:
            v = ",".join(repr(x) for x in g)
        f.write('{"id":%d,"label":%d,"embedding":[%s]}\n' % (i, i % 10, v))
PY
mv "$3.tmp" "$3"
