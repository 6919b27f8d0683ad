#!/bin/sh
# bench/intrinsic-dim.sh - nsl-intrinsic-dim on manifolds of known
# dimension d in {2, 5, 10, 20}, embedded by a random rotation into 64
# dimensions: uniform in a d-cube, uniform on a d-sphere (in d + 1
# coordinates), a d-dimensional swiss roll (one side of a d-cube rolled
# up as sklearn's swiss roll, the other d - 1 sides straight) and a
# standard Gaussian in a d-dimensional linear subspace plus isotropic
# noise of standard deviation NOISE (default 0.01) in all 64.  Then the
# estimates against n on the cube and the Gaussian for d = 10 and 20.
# Run from the top of the tree after `make`; N (default 4000) points each.
set -e
T=${TMPDIR:-/tmp}/nsl-bench-intdim.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
N=${N:-4000}
NOISE=${NOISE:-0.01}
SIZES=${SIZES:-500,1000,2000,4000,8000,16000,32000}
echo "load: $(uptime)"
/usr/bin/python3 - "$T" "$N" "$NOISE" <<'PY'
import json, sys
import numpy as np
out, n, noise = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
D = 64
def save(name, x, rng):
    q, _ = np.linalg.qr(rng.standard_normal((D, D)))
    y = x @ q[:x.shape[1]]
    with open(f"{out}/{name}.jsonl", "w") as f:
        for row in y:
            f.write(json.dumps({"embedding": [round(float(v), 12) for v in row]}) + "\n")
for d in (2, 5, 10, 20):
    rng = np.random.default_rng(d)
    m = n if d < 10 else 32000
    save(f"cube-{d}", rng.random((m, d)), rng)
    g = rng.standard_normal((n, d + 1))
    save(f"sphere-{d}", g / np.linalg.norm(g, axis=1, keepdims=True), rng)
    t = 1.5 * np.pi * (1 + 2 * rng.random(n))
    rest = 21 * rng.random((n, d - 1))
    save(f"swiss-{d}", np.column_stack([t * np.cos(t), t * np.sin(t), rest]), rng)
    z = np.zeros((m, D))
    z[:, :d] = rng.standard_normal((m, d))
    z += noise * rng.standard_normal((m, D))
    save(f"linear-{d}", z, rng)
PY
printf '%-8s %3s  %-22s  %-22s  %s\n' manifold d twonn mle seconds
for m in cube sphere swiss linear; do
	for d in 2 5 10 20; do
		f=$T/$m-$d.jsonl
		[ "$d" -lt 10 ] || [ "$m" = sphere ] || [ "$m" = swiss ] ||
		    { head -n "$N" "$f" > "$T/head.jsonl"; f=$T/head.jsonl; }
		s=$(date +%s.%N)
		bin/nsl-intrinsic-dim "$f" > "$T/est.jsonl"
		e=$(date +%s.%N)
		jq -r -s --arg m "$m" --arg d "$d" --arg t "$(echo "$e - $s" | bc)" \
		    'map("\(.d * 100 | round / 100) [\(.interval[0] * 100 | round / 100), \(.interval[1] * 100 | round / 100)]") as $v |
		     "\($m)\t\($d)\t\($v[0])\t\($v[1])\t\($t)"' "$T/est.jsonl" |
		    awk -F '\t' '{ printf "%-8s %3s  %-22s  %-22s  %.2f\n", $1, $2, $3, $4, $5 }'
	done
done
echo
echo "d against n (one subset per size; twonn | mle):"
for f in cube-10 linear-10 cube-20 linear-20; do
	s=$(date +%s.%N)
	bin/nsl-intrinsic-dim --sizes "$SIZES" "$T/$f.jsonl" > "$T/n.jsonl"
	e=$(date +%s.%N)
	echo "$f ($(echo "$e - $s" | bc)s for sizes $SIZES):"
	jq -r -s 'group_by(.n)[] | "  n=\(.[0].n)\t" + (map("\(.d * 100 | round / 100)") | join("\t"))' "$T/n.jsonl"
done
