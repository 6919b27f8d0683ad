#!/usr/bin/env bats
# Sharded data: a whole-set metric fitted once (nsl-score --save-model)
# and applied per shard (--model) gives the whole-set run's scores; a
# selection plan (nsl-prune --save-plan) applied per shard (--plan) keeps
# exactly the records of the whole set, the same for any order and any
# split of the shards, against a reference written from the header's
# description (fixtures/shards/plan_ref.py); and the bad inputs.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/shards"
EMB="$FIX/emb.jsonl"
TIES="$FIX/ties.jsonl"
PY=/usr/bin/python3

setup() {
	require_py json python3
	T=$BATS_TEST_TMPDIR
	# five shards of 24 records, and the same records in 3 other shards
	split -l 24 "$EMB" "$T/e."
	split -l 50 "$EMB" "$T/f."
	split -l 37 "$TIES" "$T/t."
	split -l 80 "$TIES" "$T/u."
}

# per_shard TOOL-ARGS...: run nsl-score/nsl-prune on each $T/e.* alone
per_shard() {
	local f
	for f in "$T"/e.*; do "$@" "$f" || return 1; done
}

@test "prototype: the model applied shard by shard gives the whole-set bytes" {
	nsl-score --metric prototype --k 3 --seed 7 "$EMB" >"$T/whole"
	nsl-score --metric prototype --k 3 --seed 7 --save-model "$T/m" "$T"/e.*
	per_shard nsl-score --metric prototype --model "$T/m" >"$T/sharded"
	cmp "$T/whole" "$T/sharded"
	# the model: a header and k rows of d numbers
	run sed -n 1p "$T/m"
	assert_output --partial '"metric":"prototype","d":4,"rows":3'
	[ "$(wc -l <"$T/m")" -eq 4 ]
}

@test "class-prototype: mean and median models give the whole-set bytes" {
	for c in mean median; do
		nsl-score --metric class-prototype --center $c "$EMB" >"$T/w.$c"
		nsl-score --metric class-prototype --center $c \
		    --save-model "$T/m.$c" "$T"/f.*
		per_shard nsl-score --metric class-prototype --model "$T/m.$c" \
		    >"$T/s.$c"
		cmp "$T/w.$c" "$T/s.$c"
	done
}

@test "class-prototype: the saved centres are the class means, by hand" {
	printf '%s\n' '{"label":1,"embedding":[1,2]}' \
	    '{"label":0,"embedding":[0,0]}' '{"label":1,"embedding":[3,6]}' \
	    '{"label":0,"embedding":[2,0]}' >"$T/in"
	nsl-score --metric class-prototype --save-model "$T/m" "$T/in"
	# classes sorted by label: 0 -> (1, 0), 1 -> (2, 4)
	run sed -n '2,$p' "$T/m"
	assert_output '{"label":0,"row":[1,0]}
{"label":1,"row":[2,4]}'
	# |(0,0)-(1,0)| = 1; |(3,6)-(2,4)| = sqrt(5)
	run nsl-score --metric class-prototype --model "$T/m" "$T/in"
	assert_line -n 1 '{"label":0,"embedding":[0,0],"score":1}'
	assert_line -n 2 '{"label":1,"embedding":[3,6],"score":2.23606797749979}'
}

@test "knn: the reference set applied per shard gives the whole-set scores" {
	nsl-score --metric knn --neighbours 5 "$EMB" >"$T/whole"
	nsl-score --metric knn --neighbours 5 --save-model "$T/m" "$EMB"
	per_shard nsl-score --metric knn --model "$T/m" >"$T/sharded"
	# sums of the same 5 distances, nearest first: within 1e-12
	$PY - "$T/whole" "$T/sharded" <<'PYEOF'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1])]
b = [json.loads(l) for l in open(sys.argv[2])]
assert len(a) == len(b) == 120
for x, y in zip(a, b):
    assert x["id"] == y["id"]
    assert abs(x["score"] - y["score"]) <= 1e-12 * abs(x["score"]), (x, y)
PYEOF
}

@test "prototype sample: --max-per-centroid is the same for any order and split" {
	nsl-score --metric prototype --k 3 --max-per-centroid 10 --seed 3 \
	    --save-model "$T/m1" "$T"/e.*
	nsl-score --metric prototype --k 3 --max-per-centroid 10 --seed 3 \
	    --save-model "$T/m2" "$T/f.ac" "$T/f.aa" "$T/f.ab"
	cmp "$T/m1" "$T/m2"
	# a sample of every record (k P >= n) clusters the same rows
	nsl-score --metric prototype --k 3 --max-per-centroid 1000 --seed 3 \
	    --save-model "$T/m3" "$EMB"
	[ "$(wc -l <"$T/m3")" -eq 4 ]
}

# one_run_is_model K P FILE: prototype sampled in one run (seed 3) gives
# the bytes of --save-model then --model; the run's output left in $T/one
one_run_is_model() {
	nsl-score --metric prototype --k "$1" --max-per-centroid "$2" \
	    --seed 3 --save-model "$T/m" "$3" || return 1
	nsl-score --metric prototype --model "$T/m" "$3" >"$T/two" || return 1
	nsl-score --metric prototype --k "$1" --max-per-centroid "$2" \
	    --seed 3 "$3" >"$T/one" || return 1
	cmp "$T/two" "$T/one"
}

@test "prototype --max-per-centroid in one run: the bytes of --save-model then --model, file or pipe" {
	one_run_is_model 3 10 "$EMB"
	nsl-score --metric prototype --k 3 --max-per-centroid 10 --seed 3 \
	    <"$EMB" >"$T/redir"
	cmp "$T/one" "$T/redir"
	cat "$EMB" | nsl-score --metric prototype --k 3 --max-per-centroid 10 \
	    --seed 3 >"$T/pipe"
	cmp "$T/one" "$T/pipe"
	# a sample of 30 of the 120 records is not the whole-set fit
	nsl-score --metric prototype --k 3 --seed 3 "$EMB" >"$T/whole"
	! cmp -s "$T/one" "$T/whole"
	# each record: its nearest saved centroid, 1 - cosine to it
	"$PY" - "$T/m" "$T/one" <<'PYEOF'
import json, math, sys
lines = open(sys.argv[1]).read().splitlines()
cen = [json.loads(l)["row"] for l in lines[1:]]
n = 0
for line in open(sys.argv[2]):
    r = json.loads(line)
    x = r["embedding"]
    nx = math.sqrt(sum(v * v for v in x))
    u = [v / nx for v in x]
    d = [sum((a - b) ** 2 for a, b in zip(u, c)) for c in cen]
    best = min(range(len(cen)), key=lambda j: (d[j], j))
    gap = min(d[j] - d[best] for j in range(len(cen)) if j != best)
    assert gap < 1e-12 or r["cluster"] == best, (r["id"], d, r["cluster"])
    c = cen[r["cluster"]]
    cos = sum(a * b for a, b in zip(u, c)) / math.sqrt(sum(v * v for v in c))
    assert abs(r["score"] - (1 - cos)) <= 1e-12, (r["id"], r["score"], cos)
    n += 1
assert n == 120
PYEOF
}

@test "prototype --model over more records than one batch holds: the one-run bytes, records in order" {
	# 40,000 records of 4 numbers: --model assigns them in batches of
	# at most 16,384 (lib/score_model.c), the whole-set run all at once
	awk 'BEGIN { s = 12345; for (i = 0; i < 40000; i++) {
	    printf "{\"id\":%d,\"embedding\":[", i
	    for (t = 0; t < 4; t++) { s = (s * 1103515245 + 12345) % 2147483648
	        printf "%s%.6f", t ? "," : "", s / 2147483648 - 0.5 }
	    print "]}" } }' >"$T/big.jsonl"
	one_run_is_model 5 40 "$T/big.jsonl"
	[ "$(wc -l <"$T/one")" -eq 40000 ]
	# the ids in the order read, across the batches' seams
	awk '!match($0, /"id":[0-9]+/) ||
	    substr($0, RSTART + 5, RLENGTH - 5) != NR - 1 { exit 1 }' "$T/two"
}

@test "prototype --max-per-centroid: ids that repeat rank in the order read, in one run and in the model" {
	# 40 ids, each three times: the 20 records sampled are the first six
	# ids' three records and two of the seventh's, in the order read
	awk '{ sub(/"id":[0-9]+/, "\"id\":" (NR - 1) % 40); print }' "$EMB" \
	    >"$T/dup"
	one_run_is_model 4 5 "$T/dup"
}

@test "prototype --max-per-centroid: k = 2, P = 1 clusters the two records of smallest id hash (by hand)" {
	nsl-score --metric prototype --k 2 --max-per-centroid 1 --seed 5 \
	    "$EMB" >"$T/out"
	# two points, two centres: the centres are the two (unit) points
	# themselves, whatever the seeding picks first; every record goes
	# to the nearer, its score 1 - its cosine to it
	# the two records of smallest id hash, seed 5: the reference's
	# random plan keeps them (round(0.0167 x 120) = 2, hash ascending;
	# it reads a score, which random does not order by)
	sed 's/^{/{"score":0,/' "$EMB" >"$T/scored"
	"$PY" "$FIX/plan_ref.py" "$T/scored" random 0.0167 5 >"$T/two"
	[ "$(wc -l <"$T/two")" -eq 2 ]
	"$PY" - "$EMB" "$T/out" "$T/two" <<'PYEOF'
import json, math, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
out = [json.loads(l) for l in open(sys.argv[2])]
ids = [int(l) for l in open(sys.argv[3])]
def unit(x):
    n = math.sqrt(sum(v * v for v in x))
    return [v / n for v in x]
two = [r for r in recs if r["id"] in ids]
cen = [unit(r["embedding"]) for r in two]
# the two sampled records are in clusters of their own
by_id = {r["id"]: r for r in out}
a, b = (by_id[r["id"]]["cluster"] for r in two)
assert a != b, (a, b)
assert by_id[two[0]["id"]]["score"] <= 1e-15
for r in out:
    u = unit(r["embedding"])
    d = [sum((p - q) ** 2 for p, q in zip(u, c)) for c in cen]
    near = 0 if d[0] <= d[1] else 1
    if abs(d[0] - d[1]) > 1e-12:
        assert r["cluster"] == (a, b)[near], r
    cos = sum(p * q for p, q in zip(u, cen[near]))
    assert abs(r["score"] - (1 - cos)) <= 1e-12, (r, cos)
PYEOF
}

@test "prototype --max-per-centroid with knn: knn's scores are knn's alone" {
	# the numbers as read (double rows) and rounded to float32 (float32
	# rows, moved for the sample and put back for knn)
	"$PY" - "$EMB" >"$T/f32" <<'PYEOF'
import json, struct, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    r["embedding"] = [struct.unpack("f", struct.pack("f", v))[0]
                      for v in r["embedding"]]
    print(json.dumps(r))
PYEOF
	for f in "$EMB" "$T/f32"; do
		nsl-score --metric prototype,knn --k 3 --max-per-centroid 10 \
		    --seed 3 --neighbours 4 "$f" >"$T/both"
		nsl-score --metric knn --neighbours 4 "$f" >"$T/knn"
		nsl-score --metric prototype --k 3 --max-per-centroid 10 \
		    --seed 3 "$f" >"$T/proto"
		"$PY" - "$T/both" "$T/knn" "$T/proto" <<'PYEOF' || return 1
import json, sys
both, knn, proto = ([json.loads(l) for l in open(p)] for p in sys.argv[1:])
for x, k, p in zip(both, knn, proto):
    assert x["score_knn"] == k["score"], (x, k)
    assert x["score_prototype"] == p["score"] and x["cluster"] == p["cluster"]
assert len(both) == len(knn) == len(proto) == 120
PYEOF
	done
}

@test "plan: hard, easy, random keep the reference's records, any order or split" {
	for s in hard easy random; do
		$PY "$FIX/plan_ref.py" "$TIES" $s 0.3 11 label >"$T/ref.$s"
		nsl-prune --strategy $s --keep-fraction 0.3 --by label \
		    --seed 11 --save-plan "$T/p.$s" "$T"/t.*
		nsl-prune --strategy $s --keep-fraction 0.3 --by label \
		    --seed 11 --save-plan "$T/q.$s" "$T/u.ac" "$T/u.aa" "$T/u.ab"
		cmp "$T/p.$s" "$T/q.$s"
		for f in "$T"/t.*; do nsl-prune --plan "$T/p.$s" "$f"; done |
		    sed 's/.*"id":"\([^"]*\)".*/\1/' >"$T/got.$s"
		cmp "$T/ref.$s" "$T/got.$s"
	done
}

@test "plan: exact counts per group: round(0.3 n_g) of each label" {
	nsl-prune --strategy hard --keep-fraction 0.3 --by label \
	    --save-plan "$T/p" "$T"/t.*
	for f in "$T"/t.*; do nsl-prune --plan "$T/p" "$f"; done >"$T/o"
	for l in 0 1 '"b"'; do
		n=$(grep -c "\"label\":$l," "$TIES")
		k=$(grep -c "\"label\":$l," "$T/o")
		[ "$k" -eq $(( (3 * n + 5) / 10 )) ] || fail "label $l: $k of $n"
	done
}

@test "plan: with distinct scores, hard is the single-file selection" {
	# emb.jsonl's first coordinate as the score: no ties
	sed 's/"embedding":\[\([^,]*\),.*\]/"score":\1/' "$EMB" >"$T/s.jsonl"
	nsl-prune --keep-fraction 0.25 --by label "$T/s.jsonl" >"$T/whole"
	split -l 33 "$T/s.jsonl" "$T/g."
	nsl-prune --keep-fraction 0.25 --by label --save-plan "$T/p" "$T"/g.*
	for f in "$T"/g.*; do nsl-prune --plan "$T/p" "$f"; done >"$T/sharded"
	cmp "$T/whole" "$T/sharded"
}

@test "plan: wide records (parsed on every thread): hard keeps the top half by score, in order; the first bad line named, from a pipe too" {
	# 3000 records of 200 numbers (about 1.8 KB a line), score a
	# permutation of 0..2999: hard, 0.5, keeps the 1500 of score >= 1500
	awk 'BEGIN { for (i = 0; i < 3000; i++) {
	    printf "{\"id\":%d,\"score\":%d,\"embedding\":[", i, (i * 7919) % 3000
	    for (k = 0; k < 200; k++) printf "%s%d.125", k ? "," : "", k
	    print "]}" } }' >"$T/w.jsonl"
	awk -F'"score":' '{ split($2, a, ","); if (a[1] + 0 >= 1500) print }' \
	    "$T/w.jsonl" >"$T/want"
	[ "$(wc -l <"$T/want")" -eq 1500 ]
	split -l 1100 "$T/w.jsonl" "$T/w."
	nsl-prune --keep-fraction 0.5 --save-plan "$T/p" "$T"/w.a?
	for f in "$T"/w.a?; do cat "$f" | nsl-prune --plan "$T/p"; done >"$T/got"
	cmp "$T/want" "$T/got"
	# line 2500 bad, and 2510 (the same batch): 2500 is the one named
	awk 'NR == 2500 { sub(/"score":[0-9]+/, "\"score\":\"x\"") }
	    NR == 2510 { $0 = "{" } { print }' "$T/w.jsonl" >"$T/bad.jsonl"
	nsl_fails_cleanly nsl-prune o 65 'bad.jsonl:2500: field "score"' \
	    --keep-fraction 0.5 --save-plan "$T/p2" "$T/bad.jsonl"
	[ ! -e "$T/p2" ]
	run --separate-stderr sh -c "cat '$T/bad.jsonl' | nsl-prune --plan '$T/p' > '$T/o'"
	[ "$status" -eq 65 ]
	[[ "$stderr" == 'nsl-prune: <stdin>:2500: field "score"'* ]]
}

@test "plan: stratified keeps each stratum's CCS allocation of the single-file run" {
	nsl-prune --strategy stratified --keep 60 --strata 5 --cutoff 0.1 \
	    --report "$TIES" 2>"$T/report" >/dev/null
	nsl-prune --strategy stratified --keep 60 --strata 5 --cutoff 0.1 \
	    --save-plan "$T/p" "$T"/u.*
	for f in "$T"/t.*; do nsl-prune --plan "$T/p" "$f"; done >"$T/o"
	[ "$(wc -l <"$T/o")" -eq 60 ]
	want=$(sed -n 's/.*stratum [0-9]*: kept \([0-9]*\) of.*/\1/p' \
	    "$T/report" | paste -sd,)
	run sed -n 's/.*"bin_keep":\[\([0-9,]*\)\].*/\1/p' "$T/p"
	assert_output "$want"
}

@test "bad input: clean failures of models and plans" {
	nsl_fails_cleanly nsl-score o 64 'one whole-set metric' \
	    --metric el2n --model "$T/none"
	nsl-score --metric prototype --k 3 --save-model "$T/m" "$EMB"
	nsl_fails_cleanly nsl-score o 64 'holds a prototype model, not knn' \
	    --metric knn --model "$T/m" "$EMB"
	echo '{"id":1,"embedding":[1,2]}' >"$T/short"
	nsl_fails_cleanly nsl-score o 65 'short:1: field "embedding": 2 numbers' \
	    --metric prototype --model "$T/m" "$T/short"
	echo '{"nsl":"score-model"}' >"$T/badm"
	nsl_fails_cleanly nsl-score o 65 'badm:1: .*metric' \
	    --metric prototype --model "$T/badm" "$EMB"
	nsl_fails_cleanly nsl-score o 66 'nsl-score: .*nothere' \
	    --metric prototype --model "$T/nothere" "$EMB"
	nsl_fails_cleanly nsl-score o 64 'max-per-centroid' \
	    --metric prototype --max-per-centroid 5 "$EMB"
	nsl_fails_cleanly nsl-score o 64 'max-per-centroid.*--model' \
	    --metric prototype --k 3 --max-per-centroid 5 --model "$T/m" "$EMB"
	nsl_fails_cleanly nsl-score o 64 'max-per-centroid samples for prototype' \
	    --metric knn --k 3 --max-per-centroid 5 "$EMB"
	sed '7s/"id":6,//' "$EMB" >"$T/noid"
	nsl_fails_cleanly nsl-score o 65 'noid:7: missing field "id"' \
	    --metric prototype --k 3 --max-per-centroid 5 "$T/noid"
	nsl_fails_cleanly nsl-score o 65 'noid:7: missing field "id"' \
	    --metric prototype --k 3 --max-per-centroid 5 --id-field id "$T/noid"
	nsl-score --metric prototype --k 3 --max-per-centroid 5 \
	    --id-field label "$T/noid" >/dev/null
	nsl_fails_cleanly nsl-prune o 64 'dedup has no plan' \
	    --strategy dedup --eps 0.1 --k 2 --save-plan "$T/p" "$EMB"
	nsl_fails_cleanly nsl-prune o 64 'plan is for hard, easy, random and stratified' \
	    --strategy k-center --keep 2 --save-plan "$T/p" "$EMB"
	printf '%s\n' '{"id":"a","score":1}' '{"id":"a","score":1}' >"$T/dup"
	nsl_fails_cleanly nsl-prune o 65 'share an id' \
	    --keep 1 --save-plan "$T/p" "$T/dup"
	nsl-prune --keep 1 --by label --save-plan "$T/p" "$TIES"
	echo '{"id":"z","label":7,"score":1}' >"$T/new"
	nsl_fails_cleanly nsl-prune o 65 'new:1: field "label": group 7 is not in the plan' \
	    --plan "$T/p" "$T/new"
	echo '{"nsl":"prune-plan","strategy":"hard"}' >"$T/badp"
	nsl_fails_cleanly nsl-prune o 65 'badp:1: .*seed' --plan "$T/badp" "$TIES"
	nsl_fails_cleanly nsl-prune o 66 'nothere' --plan "$T/nothere" "$TIES"
}

@test "shards.mk: the same bytes for JOBS=1 and JOBS=2, and the whole-set results" {
	require_prog make make
	require_prog parallel parallel
	cd "$T"
	split -l 30 --additional-suffix=.jsonl "$EMB" s.
	mk() {
		make -s -f "$TESTS_DIR/../pipelines/shards.mk" \
		    SHARDS="$(echo s.*)" K=3 BY=label FRACTION=0.3 SEED=5 "$@"
	}
	mk OUT=one JOBS=1 >/dev/null
	mk OUT=two JOBS=2 >/dev/null
	diff -r one/pruned two/pruned
	diff -r one/scored two/scored
	# scored shards = the whole-set scores (the model fitted on all)
	nsl-score --metric prototype --k 3 --seed 5 "$EMB" >whole
	cat one/scored/s.a?.jsonl | cmp - whole
	# kept = the reference's choice from the whole scored set
	$PY "$FIX/plan_ref.py" whole hard 0.3 5 label >ref
	cat one/pruned/s.a?.jsonl | sed 's/.*"id":\([0-9]*\),.*/\1/' | cmp - ref
	run mk OUT=one table
	assert_line -p 'total  120      36'
}

@test "dedup at scale: per-cluster parts keep what the one-process dedup keeps" {
	require_prog make make
	require_prog parallel parallel
	cd "$T"
	DUPS="$FIX/dups.jsonl"
	nsl-prune --strategy dedup --k 5 --eps 0.01 --seed 3 "$DUPS" |
	    sed 's/.*"id":\([0-9]*\),.*/\1/' >want
	[ "$(wc -l <want)" -lt 240 ]	# near-duplicates were dropped
	split -l 70 --additional-suffix=.jsonl "$DUPS" d.
	make -s -f "$TESTS_DIR/../pipelines/shards.mk" SHARDS="$(echo d.*)" \
	    STRATEGY=dedup K=5 SEED=3 EPS=0.01 JOBS=2 OUT=pl >/dev/null
	[ "$(ls pl/parts | wc -l)" -eq 5 ]
	cat pl/pruned/d.a?.jsonl | sed 's/.*"id":\([0-9]*\),.*/\1/' |
	    cmp - want
	# a part alone: the plan is the prototype model
	nsl-prune --plan pl/model.jsonl --eps 0.01 \
	    pl/parts/0.jsonl | cmp - pl/kept/0.jsonl
	nsl_fails_cleanly nsl-prune o 64 'dedup needs --eps' \
	    --plan pl/model.jsonl "$DUPS"
	nsl-score --metric knn --save-model knn.jsonl "$DUPS"
	nsl_fails_cleanly nsl-prune o 65 'a knn model is not a dedup plan' \
	    --plan knn.jsonl --eps 0.1 "$DUPS"
}
