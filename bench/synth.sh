#!/bin/sh
# nsl-synth speed: N teacher-student records (default 100000) of dimension
# D (default 100) with a probe score, against a numpy peer that draws the
# same kind of data and writes it with Python's json (shortest round-trip
# floats, like nsl).  The draws differ (different generators), so only
# the sizes are compared.  Also nsl-synth with 1 thread and --float32.
#
#	sh bench/synth.sh            N=20000 D=768 sh bench/synth.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-100}
out=bench/out
mkdir -p "$out"
bin=${NSL_BIN:-bin}
echo "N=$N D=$D; load: $(uptime | sed 's/.*load/load/')"

measure() {	# label file command...
	label=$1 file=$2
	shift 2
	t0=$(date +%s.%N)
	"$@" >"$file"
	t1=$(date +%s.%N)
	printf '%-28s %7.2f s  %6.1f MB/s  %s bytes\n' "$label" \
	    "$(echo "$t1 - $t0" | bc)" \
	    "$(echo "$(wc -c <"$file") / ($t1 - $t0) / 1000000" | bc -l)" \
	    "$(wc -c <"$file")"
}

measure "nsl-synth" "$out/synth.jsonl" \
    "$bin/nsl-synth" teacher-student --n "$N" --dim "$D" --probe-angle 15
measure "nsl-synth (1 thread)" "$out/synth1.jsonl" \
    env OMP_NUM_THREADS=1 "$bin/nsl-synth" teacher-student --n "$N" \
    --dim "$D" --probe-angle 15
cmp "$out/synth.jsonl" "$out/synth1.jsonl"
measure "nsl-synth --float32" "$out/synth32.jsonl" \
    "$bin/nsl-synth" teacher-student --n "$N" --dim "$D" --probe-angle 15 \
    --float32
measure "python3 numpy + json" "$out/synth-py.jsonl" \
    /usr/bin/python3 - "$N" "$D" <<'PY'
import json, sys
import numpy as np
n, d = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
w = rng.standard_normal(d); w /= np.linalg.norm(w)
u = rng.standard_normal(d); u -= (u @ w) * w; u /= np.linalg.norm(u)
th = np.radians(15); v = np.cos(th) * w + np.sin(th) * u
out = sys.stdout
for start in range(0, n, 4096):
    x = rng.standard_normal((min(4096, n - start), d))
    m = x @ w; s = -np.abs(x @ v)
    for i in range(x.shape[0]):
        out.write(json.dumps({"id": start + i, "embedding": x[i].tolist(),
            "label": int(m[i] > 0), "margin": float(m[i]),
            "score": float(s[i])}, separators=(",", ":")) + "\n")
PY
rm -f "$out/synth.jsonl" "$out/synth1.jsonl" "$out/synth32.jsonl" "$out/synth-py.jsonl"
