#!/bin/sh
# Write N records {"id","label","embedding"} with D float32-like numbers
# (8 significant digits, Gaussian, sd 0.05, seeded) to FILE, unless FILE
# exists: the input of the JSONL throughput benchmarks.
#
#	sh bench/gen-embeddings.sh N D FILE
set -eu
[ -f "$3" ] && exit 0
echo "generating $3 ..." >&2
/usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import random, sys
n, d, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(1)
with open(path + ".tmp", "w") as f:
    for i in range(n):
        v = ",".join("%.8g" % rng.gauss(0, 0.05) for _ in range(d))
        f.write('{"id":%d,"label":%d,"embedding":[%s]}\n' % (i, i % 10, v))
PY
mv "$3.tmp" "$3"
