#!/usr/bin/env bats
# nsl-embed: PCA against sklearn's PCA (fixtures/embed/make-ref.py: full
# SVD of the centred data, an independent route to the components), the
# random projection against numpy's matrix product with the saved map,
# save/load round trips, and the bad inputs.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/embed"
PY=/usr/bin/python3

setup() {
	require_prog jq jq
	T=$BATS_TEST_TMPDIR
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-embed o.jsonl "$@"
}

@test "pca: components, mean and variances equal sklearn's up to sign (1e-8)" {
	require_py numpy python3-numpy
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 5 \
	    --save "$T/map.json" < /dev/null
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	run $PY -c '
import json, sys, numpy as np
m = json.load(open(sys.argv[1])); r = json.load(open(sys.argv[2]))
c, rc = np.array(m["components"]), np.array(r["components"])
assert m["method"] == "pca" and m["d"] == 12 and m["dim"] == 5
for a, b in zip(c, rc):
    assert min(abs(a - b).max(), abs(a + b).max()) < 1e-8, (a, b)
assert abs(np.array(m["mean"]) - r["mean"]).max() < 1e-10
ev = np.array(r["explained_variance"])
assert (abs(np.array(m["explained_variance"]) - ev) / ev).max() < 1e-10
# our sign convention: the largest-magnitude entry of each row is positive
assert all(row[abs(row).argmax()] > 0 for row in c)
' "$T/map.json" "$FIX/ref.json"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "pca: projections (and --whiten) equal sklearn's transform up to column sign" {
	require_py numpy python3-numpy
	head -3 "$FIX/data.jsonl" > "$T/three.jsonl"
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 5 -o "$T/p.jsonl" "$T/three.jsonl"
	[ "$status" -eq 0 ]
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 5 --whiten "$T/three.jsonl" -o "$T/w.jsonl"
	[ "$status" -eq 0 ]
	run $PY -c '
import json, sys, numpy as np
r = json.load(open(sys.argv[3]))
for f, key in ((sys.argv[1], "transform3"), (sys.argv[2], "whiten3")):
    recs = [json.loads(l) for l in open(f)]
    assert [x["id"] for x in recs] == [0, 1, 2] and [x["label"] for x in recs] == [0, 1, 2]
    y, ref = np.array([x["embedding"] for x in recs]), np.array(r[key])
    for j in range(5):
        assert min(abs(y[:, j] - ref[:, j]).max(), abs(y[:, j] + ref[:, j]).max()) < 1e-8
' "$T/p.jsonl" "$T/w.jsonl" "$FIX/ref.json"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--load applies the saved map: the same bytes as fitting again" {
	nsl-embed --fit "$FIX/data.jsonl" --dim 4 --whiten --save "$T/map.json" \
	    "$FIX/data.jsonl" > "$T/a.jsonl"
	run --separate-stderr nsl-embed --load "$T/map.json" -o "$T/b.jsonl" < "$FIX/data.jsonl"
	[ "$status" -eq 0 ]
	cmp "$T/a.jsonl" "$T/b.jsonl"
	[ "$(wc -l < "$T/b.jsonl")" -eq 200 ]
}

@test "random: y = C x with the saved C (numpy), seeded, N(0, 1/K) scale" {
	require_py numpy python3-numpy
	nsl-embed --method random --dim 3 --seed 5 --fit "$FIX/data.jsonl" \
	    --save "$T/m5.json" "$FIX/data.jsonl" > "$T/r5.jsonl"
	nsl-embed --method random --dim 3 --seed 5 --fit "$FIX/data.jsonl" \
	    "$FIX/data.jsonl" > "$T/r5b.jsonl"
	nsl-embed --method random --dim 3 --seed 6 --fit "$FIX/data.jsonl" \
	    "$FIX/data.jsonl" > "$T/r6.jsonl"
	cmp "$T/r5.jsonl" "$T/r5b.jsonl"
	! cmp -s "$T/r5.jsonl" "$T/r6.jsonl"
	run $PY -c '
import json, sys, numpy as np
m = json.load(open(sys.argv[1]))
C = np.array(m["components"]); assert C.shape == (3, 12) and m["seed"] == 5
x = np.array([json.loads(l)["embedding"] for l in open(sys.argv[2])])
y = np.array([json.loads(l)["embedding"] for l in open(sys.argv[3])])
assert abs(y - x @ C.T).max() < 1e-9
# 36 draws of N(0, 1/3): the sample variance is within a factor 2.5 of 1/3
assert 1 / 7.5 < C.var() < 2.5 / 3
' "$T/m5.json" "$FIX/data.jsonl" "$T/r5.jsonl"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--out-field keeps the input vector, --field picks another, --float32 rounds" {
	require_py numpy python3-numpy
	head -2 "$FIX/data.jsonl" | sed 's/"embedding"/"v"/' > "$T/v.jsonl"
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 2 \
	    --save "$T/m.json" < /dev/null
	run --separate-stderr nsl-embed --load "$T/m.json" --field v --out-field pc "$T/v.jsonl"
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^\{\"id\":0,\"v\":\[.*\],\"label\":0,\"pc\":\[-?[0-9.]+,-?[0-9.e-]+\]\}$ ]] || fail "${lines[0]}"
	nsl-embed --load "$T/m.json" --field v "$T/v.jsonl" > "$T/d.jsonl"
	nsl-embed --load "$T/m.json" --field v --float32 "$T/v.jsonl" > "$T/f.jsonl"
	run $PY -c '
import json, re, sys, numpy as np
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    want = [str(np.float32(t)) for t in json.loads(a)["v"]]
    got = re.search(r"\"v\":\[([^]]*)\]", b).group(1).split(",")
    assert got == want, (got, want)
' "$T/d.jsonl" "$T/f.jsonl"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--out-field naming an input field replaces it, once" {
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 2 --out-field label \
	    -o "$T/o.jsonl" "$FIX/data.jsonl"
	[ "$status" -eq 0 ]
	assert_strict_jsonl "$T/o.jsonl"
	run jq -c keys_unsorted "$T/o.jsonl"
	assert_line --index 0 '["id","embedding","label"]'
	run jq -c '.label | length' "$T/o.jsonl"
	assert_line --index 0 2
}

@test "with --save and no operands the records to map come from standard input, as for any filter" {
	nsl-embed --fit "$FIX/data.jsonl" --dim 2 --save "$T/m.json" -o "$T/o.jsonl" < "$FIX/data.jsonl"
	[ -s "$T/m.json" ]
	nsl-embed --load "$T/m.json" "$FIX/data.jsonl" > "$T/want.jsonl"
	cmp "$T/o.jsonl" "$T/want.jsonl"
	[ "$(wc -l < "$T/o.jsonl")" -eq "$(grep -c . "$FIX/data.jsonl")" ]
	# no records: only the map
	rm "$T/m.json"
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 2 --save "$T/m.json" < /dev/null
	[ "$status" -eq 0 ]
	[ -s "$T/m.json" ]
	[ -z "$output" ]
}

@test "--fit - takes standard input: the records to map are the operands; with none, --save alone" {
	nsl-embed --fit - --dim 2 --save "$T/m.json" "$FIX/data.jsonl" < "$FIX/data.jsonl" > "$T/o.jsonl"
	nsl-embed --fit "$FIX/data.jsonl" --dim 2 "$FIX/data.jsonl" > "$T/want.jsonl"
	cmp "$T/o.jsonl" "$T/want.jsonl"
	run --separate-stderr nsl-embed --fit - --dim 2 --save "$T/m2.json" < "$FIX/data.jsonl"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
	cmp "$T/m.json" "$T/m2.json"
	fails_cleanly 64 '^nsl-embed: --fit - takes standard input: name the records to map as operands, or --save MAP$' \
	    --fit - --dim 2
	fails_cleanly 64 '^nsl-embed: standard input cannot be both --fit and the records to map$' \
	    --fit - --dim 2 -
}

@test "bad input: embeddings of another width than the map name file:line" {
	nsl-embed --fit "$FIX/data.jsonl" --dim 2 --save "$T/m.json" < /dev/null
	{ head -2 "$FIX/data.jsonl"; echo '{"id":9,"embedding":[1,2,3]}'; } > "$T/bad.jsonl"
	fails_cleanly 65 "^nsl-embed: $T/bad.jsonl:3: field \"embedding\": 3 numbers, the map takes 12\$" \
	    --load "$T/m.json" "$T/bad.jsonl"
	{ head -2 "$FIX/data.jsonl"; echo '{"id":9,"embedding":[1,2,3]}'; } > "$T/badfit.jsonl"
	fails_cleanly 65 "badfit.jsonl:3: field \"embedding\"" --fit "$T/badfit.jsonl" --dim 2 "$FIX/data.jsonl"
}

@test "bad input: empty fit set, too few records, malformed map" {
	: > "$T/empty.jsonl"
	fails_cleanly 65 "empty.jsonl: no records" --fit "$T/empty.jsonl" --dim 2 "$FIX/data.jsonl"
	head -1 "$FIX/data.jsonl" > "$T/one.jsonl"
	fails_cleanly 65 "PCA needs at least 2 records" --fit "$T/one.jsonl" --dim 2 "$FIX/data.jsonl"
	echo '{"method":"pca","d":2,"dim":1,"whiten":false,"mean":[0,0],"components":[[1,0,0]],"explained_variance":[1]}' > "$T/map.json"
	fails_cleanly 65 "map.json:1: field \"components\": 1 x 3, expected dim x d = 1 x 2" --load "$T/map.json" "$FIX/data.jsonl"
	echo '{"method":"tsne","d":2,"dim":1}' > "$T/map2.json"
	fails_cleanly 65 "map2.json:1: field \"method\": unknown method" --load "$T/map2.json" "$FIX/data.jsonl"
}

@test "usage errors: --dim beyond d, no map source, --whiten with random, bad option" {
	fails_cleanly 64 "dim 13 exceeds the embeddings' 12 numbers" --fit "$FIX/data.jsonl" --dim 13 "$FIX/data.jsonl"
	fails_cleanly 64 "exactly one of --fit" "$FIX/data.jsonl"
	fails_cleanly 64 "needs --dim" --fit "$FIX/data.jsonl" "$FIX/data.jsonl"
	fails_cleanly 64 "whiten applies to --method pca" --fit "$FIX/data.jsonl" --dim 2 --method random --whiten
	fails_cleanly 64 "unknown method" --fit "$FIX/data.jsonl" --dim 2 --method umap
	fails_cleanly 64 "" --bogus
}

@test "missing file 66, --help 0, /dev/full 74" {
	fails_cleanly 66 "nope.jsonl" --fit "$T/nope.jsonl" --dim 2 "$FIX/data.jsonl"
	run --separate-stderr nsl-embed --help
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^usage:\ nsl-embed ]]
	run --separate-stderr nsl-embed --fit "$FIX/data.jsonl" --dim 2 -o /dev/full "$FIX/data.jsonl"
	[ "$status" -eq 74 ]
}

# ---- numbers near the ends of the double range ----

@test "PCA of points at 1e160 projects to +-sqrt(2) 5e159, not 5e159" {
	printf '%s\n' '{"embedding":[1e160,0]}' '{"embedding":[0,1e160]}' > "$T/p.jsonl"
	# centred: +-(5e159, -5e159); the component +-(1, -1)/sqrt(2)
	run --separate-stderr nsl-embed --fit "$T/p.jsonl" --dim 1 "$T/p.jsonl"
	[ "$status" -eq 0 ]
	/usr/bin/python3 -c '
import json, math, sys
y = [json.loads(l)["embedding"][0] for l in sys.argv[1].splitlines()]
w = math.sqrt(2) * 5e159
assert all(abs(abs(v) - w) <= 1e-12 * w for v in y) and y[0] == -y[1], y' "$output"
}

@test "PCA of random points scaled by 2^600 and 2^-1000 agrees with numpy's on the unscaled points" {
	/usr/bin/python3 - "$T" <<'PY'
import json, math, sys
import numpy as np
rng = np.random.default_rng(7)
x = rng.normal(size=(30, 4)) @ np.diag([5, 3, 1, 0.5])
xc = x - x.mean(0)
_, sv, vt = np.linalg.svd(xc, full_matrices=False)
y = xc @ vt[:2].T                      # numpy's projections, unscaled
var = sv[:2] ** 2 / (len(x) - 1)
for e in (600, -1000):
    with open(f"{sys.argv[1]}/x{e}.jsonl", "w") as f:
        for r in x:
            f.write(json.dumps({"embedding": [math.ldexp(v, e) for v in r]}) + "\n")
np.savetxt(f"{sys.argv[1]}/y.txt", y)
np.savetxt(f"{sys.argv[1]}/w.txt", y / np.sqrt(var))
PY
	for e in 600 -1000; do
		nsl-embed --fit "$T/x$e.jsonl" --dim 2 "$T/x$e.jsonl" > "$T/o.jsonl"
		nsl-embed --fit "$T/x$e.jsonl" --dim 2 --whiten "$T/x$e.jsonl" > "$T/w.jsonl"
		/usr/bin/python3 - "$T" "$e" <<'PY'
import json, math, sys
import numpy as np
T, e = sys.argv[1], int(sys.argv[2])
for out, ref, scale in (("o", "y", e), ("w", "w", 0)):
    got = np.array([[math.ldexp(v, -scale) for v in json.loads(l)["embedding"]]
                    for l in open(f"{T}/{out}.jsonl")])
    want = np.loadtxt(f"{T}/{ref}.txt")
    want *= np.sign(want[0]) * np.sign(got[0])     # up to sign
    assert np.allclose(got, want, rtol=1e-9, atol=1e-9 * abs(want).max()), (e, out, got[:3], want[:3])
PY
	done
}

@test "--whiten of points near 1e308, whose variance is beyond the double range: +-1/sqrt(2)" {
	printf '%s\n' '{"embedding":[1e308,-1e308]}' '{"embedding":[-1e308,1e308]}' > "$T/q.jsonl"
	# projections +-sqrt(2) 1e308; variance 2 (sqrt(2) 1e308)^2 = 4e616,
	# deviation 2e308: both beyond the range, their ratio is not
	run --separate-stderr nsl-embed --fit "$T/q.jsonl" --dim 1 --whiten "$T/q.jsonl"
	[ "$status" -eq 0 ]
	/usr/bin/python3 -c '
import json, math, sys
y = [json.loads(l)["embedding"][0] for l in sys.argv[1].splitlines()]
assert all(abs(abs(v) - math.sqrt(0.5)) <= 1e-12 for v in y) and y[0] == -y[1], y' "$output"
	# the map itself cannot be written: its variance is 4e616
	fails_cleanly 65 'field "explained_variance": value out of range' \
	    --fit "$T/q.jsonl" --dim 1 --save "$T/out/map.json"
}
