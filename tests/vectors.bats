#!/usr/bin/env bats
# nsl-score --vectors and nsl-prune --vectors: the whole-set metrics and
# the strategies of vectors read their embeddings from
# .npy files beside the JSONL (row i of the f-th .npy is record i of the
# f-th input) instead of a vector field.  The JSONL path is the reference
# (its values are tested in nsl-score.bats and nsl-shards.bats): the same
# numbers given as .npy rows must give the same bytes, float64 or float32
# (a float32 widens exactly, so the JSONL holding the widened doubles is
# the same input); plus one case by hand, and the bad inputs.

bats_require_minimum_version 1.5.0

load helper

EMB="$TESTS_DIR/fixtures/shards/emb.jsonl"
PY=/usr/bin/python3

# once for the file: the records without their vectors, and the vectors
# as .npy
setup_file() {
	D=$BATS_FILE_TMPDIR
	jq -c 'del(.embedding)' "$EMB" >"$D/ids.jsonl"
	nsl-convert --to npy --field embedding -o "$D/e.npy" "$EMB"
}

setup() {
	require_prog jq jq
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
	cp "$BATS_FILE_TMPDIR/ids.jsonl" "$BATS_FILE_TMPDIR/e.npy" "$T/"
}

fails_cleanly() {
	nsl_fails_cleanly nsl-score out.jsonl "$@"
}

# strip FILE: its records without the embedding field
strip() {
	jq -c 'del(.embedding)' "$1"
}

# T/e32.npy: the embeddings as float32; T/e32.jsonl: the records with
# each float32 widened to double, printed by Python's repr (round-trip
# exact), the JSONL reference of the same numbers
make_e32() {
	$PY - "$EMB" "$T" <<'EOF'
import json, sys
import numpy as np
recs = [json.loads(l) for l in open(sys.argv[1])]
x = np.array([r["embedding"] for r in recs], dtype=np.float32)
np.save(sys.argv[2] + "/e32.npy", x)
with open(sys.argv[2] + "/e32.jsonl", "w") as f:
    for r, row in zip(recs, x):
        r["embedding"] = [float(v) for v in row]
        f.write(json.dumps(r, separators=(",", ":")) + "\n")
EOF
}

@test "class-prototype from a .npy: the distances to the class means, by hand" {
	printf '%s\n' '{"id":"a","label":0}' '{"id":"b","label":0}' \
	    '{"id":"c","label":1}' '{"id":"d","label":0}' \
	    '{"id":"e","label":1}' >"$T/in"
	# class 0: (0,0) (3,0) (0,0), mean (1,0): distances 1, 2, 1;
	# class 1: (0,1) (0,5), mean (0,3): distances 2, 2
	$PY -c 'import numpy as np; np.save("'"$T"'/v.npy", np.array(
	    [[0, 0], [3, 0], [0, 1], [0, 0], [0, 5]], dtype=np.float32))'
	run --separate-stderr nsl-score --metric class-prototype \
	    --vectors "$T/v.npy" "$T/in"
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = '{"id":"a","label":0,"score":1}' ]
	[ "${lines[1]}" = '{"id":"b","label":0,"score":2}' ]
	[ "${lines[2]}" = '{"id":"c","label":1,"score":2}' ]
	[ "${lines[3]}" = '{"id":"d","label":0,"score":1}' ]
	[ "${lines[4]}" = '{"id":"e","label":1,"score":2}' ]
}

@test "prototype, class-prototype, knn: float64 .npy rows give the vector field's bytes" {
	for m in prototype class-prototype knn; do
		nsl-score --metric $m --k 3 --seed 7 "$EMB" | strip /dev/stdin \
		    >"$T/field.$m"
		nsl-score --metric $m --k 3 --seed 7 --vectors "$T/e.npy" \
		    "$T/ids.jsonl" >"$T/npy.$m"
		cmp "$T/field.$m" "$T/npy.$m" || fail "$m differs"
	done
}

@test "float32 .npy rows: the same bytes as the widened doubles in the field" {
	make_e32
	for m in prototype class-prototype knn; do
		nsl-score --metric $m --k 3 --seed 7 "$T/e32.jsonl" |
		    strip /dev/stdin >"$T/field.$m"
		nsl-score --metric $m --k 3 --seed 7 --vectors "$T/e32.npy" \
		    "$T/ids.jsonl" >"$T/npy.$m"
		cmp "$T/field.$m" "$T/npy.$m" || fail "$m differs"
	done
}

@test "float32 .npy rows read in place: the field's bytes with a sample and beside knn, the file unchanged" {
	make_e32
	sum=$(md5sum <"$T/e32.npy")
	# a sample of more than half the rows (3 x 30 of 120) is moved in
	# a copy of the rows instead: the same bytes
	for args in "--max-per-centroid 5" "--max-per-centroid 2" \
	    "--max-per-centroid 30" \
	    "--metric prototype,knn --max-per-centroid 5" \
	    "--metric prototype,knn" "--metric knn,prototype"; do
		nsl-score --metric prototype --k 3 --seed 7 $args \
		    "$T/e32.jsonl" | strip /dev/stdin >"$T/field"
		nsl-score --metric prototype --k 3 --seed 7 $args \
		    --vectors "$T/e32.npy" "$T/ids.jsonl" >"$T/npy"
		cmp "$T/field" "$T/npy" || fail "$args differs"
	done
	[ "$(md5sum <"$T/e32.npy")" = "$sum" ]
	# the counts checked as for copied rows (a record past the last
	# row once aborted: the rows in place cannot grow)
	head -119 "$T/ids.jsonl" >"$T/short.jsonl"
	cat "$T/ids.jsonl" "$T/ids.jsonl" | head -121 >"$T/long.jsonl"
	for m in prototype knn class-prototype; do
		fails_cleanly 65 'long.jsonl:121: record 121, but .*e32.npy has 120 rows' \
		    --metric $m --k 3 --vectors "$T/e32.npy" "$T/long.jsonl"
		fails_cleanly 65 'short.jsonl: 119 records, but .*e32.npy has 120 rows' \
		    --metric $m --k 3 --vectors "$T/e32.npy" "$T/short.jsonl"
	done
}

@test "shards: --save-model over .npy shards, --model per shard, give the whole-set bytes" {
	split -l 50 "$T/ids.jsonl" "$T/s."
	$PY -c 'import numpy as np; x = np.load("'"$T"'/e.npy")
for i, (a, b) in enumerate([(0, 50), (50, 100), (100, 120)]):
    np.save("'"$T"'/s.%d.npy" % i, x[a:b])'
	for m in prototype class-prototype knn; do
		nsl-score --metric $m --k 3 --seed 7 --vectors "$T/e.npy" \
		    "$T/ids.jsonl" >"$T/whole"
		nsl-score --metric $m --k 3 --seed 7 --save-model "$T/m" \
		    --vectors "$T/s.0.npy,$T/s.1.npy" --vectors "$T/s.2.npy" \
		    "$T/s.aa" "$T/s.ab" "$T/s.ac"
		for i in 0 1 2; do
			f=$(ls "$T"/s.a? | sed -n "$((i + 1))p")
			nsl-score --metric $m --model "$T/m" \
			    --vectors "$T/s.$i.npy" "$f" || return 1
		done >"$T/sharded"
		cmp "$T/whole" "$T/sharded" || fail "$m differs"
	done
}

@test "--max-per-centroid over .npy rows: the same sample and model as the vector field" {
	nsl-score --metric prototype --k 3 --seed 7 --max-per-centroid 5 \
	    --save-model "$T/m.field" "$EMB"
	nsl-score --metric prototype --k 3 --seed 7 --max-per-centroid 5 \
	    --save-model "$T/m.npy" --vectors "$T/e.npy" "$T/ids.jsonl"
	cmp "$T/m.field" "$T/m.npy"
	# and in one run: the same scores and clusters
	nsl-score --metric prototype --k 3 --seed 7 --max-per-centroid 5 \
	    "$EMB" | jq -c '{id, score, cluster}' >"$T/s.field"
	nsl-score --metric prototype --k 3 --seed 7 --max-per-centroid 5 \
	    --vectors "$T/e.npy" "$T/ids.jsonl" |
	    jq -c '{id, score, cluster}' >"$T/s.npy"
	cmp "$T/s.field" "$T/s.npy"
	[ "$(wc -l <"$T/s.npy")" -eq 120 ]
}

@test "bad --vectors: counts and widths, unreadable and malformed files, NaN, Fortran order" {
	head -119 "$T/ids.jsonl" >"$T/short.jsonl"
	cat "$T/ids.jsonl" "$T/ids.jsonl" | head -121 >"$T/long.jsonl"
	fails_cleanly 64 'one beside each' --metric knn \
	    --vectors "$T/e.npy,$T/e.npy" "$T/ids.jsonl"
	fails_cleanly 64 'not el2n' --metric el2n --vectors "$T/e.npy" \
	    "$T/ids.jsonl"
	fails_cleanly 66 'nope.npy: cannot open' --metric knn \
	    --vectors "$T/nope.npy" "$T/ids.jsonl"
	fails_cleanly 65 'short.jsonl: 119 records, but .*e.npy has 120 rows' \
	    --metric knn --vectors "$T/e.npy" "$T/short.jsonl"
	fails_cleanly 65 'long.jsonl:121: record 121, but .*e.npy has 120 rows' \
	    --metric knn --vectors "$T/e.npy" "$T/long.jsonl"
	fails_cleanly 65 'ids.jsonl: not a .npy file' --metric knn \
	    --vectors "$T/ids.jsonl" "$T/ids.jsonl"
	gzip -c "$T/e.npy" >"$T/e.npy.gz"
	fails_cleanly 65 'gzip-compressed' --metric knn \
	    --vectors "$T/e.npy.gz" "$T/ids.jsonl"
	head -c 1000 "$T/e.npy" >"$T/cut.npy"
	fails_cleanly 65 'cut.npy: 120 rows of 4 need 3968 bytes, the file has 1000' \
	    --metric knn --vectors "$T/cut.npy" "$T/ids.jsonl"
	$PY -c 'import numpy as np; x = np.load("'"$T"'/e.npy")
x[6, 2] = np.nan; np.save("'"$T"'/nan.npy", x)
np.save("'"$T"'/f.npy", np.asfortranarray(np.load("'"$T"'/e.npy")))
np.save("'"$T"'/w.npy", np.zeros((120, 3)))'
	fails_cleanly 65 'ids.jsonl:7: .*nan.npy: row 6, column 2: nan is not a finite number' \
	    --metric class-prototype --vectors "$T/nan.npy" "$T/ids.jsonl"
	# float32 rows are copied as stored, and checked as they are
	$PY -c 'import numpy as np; x = np.load("'"$T"'/e.npy").astype(np.float32)
x[6, 2] = np.nan; np.save("'"$T"'/nan32.npy", x)
x[6, 2] = 0; x[9, 0] = -np.inf; np.save("'"$T"'/inf32.npy", x)'
	fails_cleanly 65 'ids.jsonl:7: .*nan32.npy: row 6, column 2: nan is not a finite number' \
	    --metric prototype --k 3 --vectors "$T/nan32.npy" "$T/ids.jsonl"
	fails_cleanly 65 'ids.jsonl:10: .*inf32.npy: row 9, column 0: -inf is not a finite number' \
	    --metric knn --vectors "$T/inf32.npy" "$T/ids.jsonl"
	fails_cleanly 65 'f.npy: Fortran-order array' --metric knn \
	    --vectors "$T/f.npy" "$T/ids.jsonl"
	cp "$T/ids.jsonl" "$T/b.jsonl"
	fails_cleanly 65 'w.npy: rows of 3 numbers, but .*e.npy has 4' \
	    --metric knn --vectors "$T/e.npy,$T/w.npy" "$T/ids.jsonl" "$T/b.jsonl"
	# and the model's width against the rows given
	nsl-score --metric knn --save-model "$T/m" --vectors "$T/e.npy" \
	    "$T/ids.jsonl"
	fails_cleanly 65 'ids.jsonl:1: .*w.npy: rows of 3 numbers, expected 4' --metric knn \
	    --model "$T/m" --vectors "$T/w.npy" "$T/ids.jsonl"
}

@test "prototype --model over more records than one batch of assignments (1200)" {
	# the apply assigns 512 rows at a time; a whole-set run, one
	for i in 1 2 3 4 5 6 7 8 9 10; do cat "$EMB"; done >"$T/big.jsonl"
	nsl-convert --to npy --field embedding -o "$T/big.npy" "$T/big.jsonl"
	jq -c 'del(.embedding)' "$T/big.jsonl" >"$T/big.ids"
	nsl-score --metric prototype --k 5 --seed 3 --vectors "$T/big.npy" \
	    "$T/big.ids" >"$T/whole"
	nsl-score --metric prototype --k 5 --seed 3 --save-model "$T/m" \
	    --vectors "$T/big.npy" "$T/big.ids"
	nsl-score --metric prototype --model "$T/m" --vectors "$T/big.npy" \
	    "$T/big.ids" >"$T/applied"
	[ "$(wc -l <"$T/applied")" -eq 1200 ]
	cmp "$T/whole" "$T/applied"
}

@test "nsl-prune --vectors: dedup and the coresets keep the records the vector field keeps" {
	for s in "dedup --eps 0.3 --k 3" "k-center --keep 10" \
	    "herding --keep 10" "facility-location --keep 10"; do
		nsl-prune --strategy $s --seed 2 "$EMB" | strip /dev/stdin \
		    >"$T/field"
		nsl-prune --strategy $s --seed 2 --vectors "$T/e.npy" \
		    "$T/ids.jsonl" >"$T/npy"
		cmp "$T/field" "$T/npy" || fail "$s differs"
	done
}

@test "nsl-prune --vectors over one float32 .npy (read in place): the field's records, counts checked, the file unchanged" {
	make_e32
	sum=$(md5sum <"$T/e32.npy")
	for s in "dedup --eps 0.3 --k 3" "k-center --keep 10" \
	    "herding --keep 10" "facility-location --keep 10" \
	    "dedup --eps 0.3 --k 3 --by label"; do
		nsl-prune --strategy $s --seed 2 "$T/e32.jsonl" |
		    strip /dev/stdin >"$T/field"
		nsl-prune --strategy $s --seed 2 --vectors "$T/e32.npy" \
		    "$T/ids.jsonl" >"$T/npy"
		cmp "$T/field" "$T/npy" || fail "$s differs"
	done
	[ "$(md5sum <"$T/e32.npy")" = "$sum" ]
	head -119 "$T/ids.jsonl" >"$T/short.jsonl"
	cat "$T/ids.jsonl" "$T/ids.jsonl" | head -121 >"$T/long.jsonl"
	nsl_fails_cleanly nsl-prune out.jsonl 65 \
	    'long.jsonl:121: record 121, but .*e32.npy has 120 rows' \
	    --strategy dedup --eps 0.3 --k 3 --vectors "$T/e32.npy" \
	    "$T/long.jsonl"
	nsl_fails_cleanly nsl-prune out.jsonl 65 \
	    'short.jsonl: 119 records, but .*e32.npy has 120 rows' \
	    --strategy dedup --eps 0.3 --k 3 --vectors "$T/e32.npy" \
	    "$T/short.jsonl"
}

@test "nsl-prune --vectors: a strategy of scores, a plan, a count that differs" {
	nsl_fails_cleanly nsl-prune out.jsonl 64 'hard reads no vectors' \
	    --strategy hard --keep 3 --vectors "$T/e.npy" "$T/ids.jsonl"
	nsl_fails_cleanly nsl-prune out.jsonl 64 'not with --save-plan' \
	    --strategy dedup --eps 0.3 --k 3 --vectors "$T/e.npy" \
	    --save-plan "$T/p" "$T/ids.jsonl"
	head -5 "$T/ids.jsonl" >"$T/five.jsonl"
	nsl_fails_cleanly nsl-prune out.jsonl 65 \
	    'five.jsonl: 5 records, but .*e.npy has 120 rows' --strategy dedup \
	    --eps 0.3 --k 3 --vectors "$T/e.npy" "$T/five.jsonl"
}
