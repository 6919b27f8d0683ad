#!/usr/bin/env bats
# nsl-score: every metric and flag, record splicing, determinism, and the
# bad inputs (one line "nsl-score: FILE:LINE: ...", the documented exit
# code, no output file left).
#
# Expected values are closed forms worked out by hand in the comments: the
# fixtures' logits are 0, ln 2, ln 3 so that softmax gives (1, 2, 3) / 6.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/score"

setup() {
	require_prog jq jq
	require_prog /usr/bin/python3 python3
	T=$BATS_TEST_TMPDIR
}

# close FILE ID FIELD EXPR [ID FIELD EXPR ...]: the record with that id has
# FIELD within 1e-12 (relative) of the Python expression EXPR (math names).
close() {
	/usr/bin/python3 - "$@" <<'EOF'
import json, math, sys
from math import *
path, args = sys.argv[1], sys.argv[2:]
recs = {str(r["id"]): r for r in map(json.loads, open(path))}
bad = 0
for i in range(0, len(args), 3):
    rid, field, expr = args[i:i + 3]
    want, got = eval(expr), recs[rid][field]
    if not abs(got - want) <= 1e-12 * max(1.0, abs(want)):
        print(f"id {rid} {field}: got {got!r}, want {expr} = {want!r}")
        bad = 1
sys.exit(bad)
EOF
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-score out.jsonl "$@"
}

# ---- logits metrics ----

@test "one metric adds 'score' and keeps every byte of the record" {
	run --separate-stderr nsl-score --metric least-confidence "$FIX/logits.jsonl"
	[ "$status" -eq 0 ]
	# a: p = (1/6, 1/3, 1/2): 1 - 1/2
	[ "${lines[0]}" = '{"id":"a","logits":[0,0.6931471805599453,1.0986122886681098],"label":0,"embedding":[1,2],"score":0.5}' ]
	[ "${#lines[@]}" -eq 3 ]
}

@test "el2n, margin, entropy, least-confidence, aum, grand match closed forms" {
	nsl-score --metric el2n,margin,entropy,least-confidence,aum,grand \
	    -o "$T/o.jsonl" "$FIX/logits.jsonl"
	# a: p = (1/6, 1/3, 1/2), y = 0, h = (1, 2).
	# b: rows p = (1/6, 1/3, 1/2) and (1/2, 1/3, 1/6), y = 0, h = 0:
	#    errors sqrt(38)/6 and sqrt(1/4 + 1/9 + 1/36) = sqrt(14)/6;
	#    aum margins 0 - ln 3 and ln 3 - ln 2: -(mean) = ln(2)/2.
	# c: logits (1000, 1000 + ln 2): p = (1/3, 2/3), y = 1, h = (3, 4).
	E='log(6)/6 + log(3)/3 + log(2)/2'
	run close "$T/o.jsonl" \
	    a score_el2n 'sqrt(38)/6' \
	    a score_grand 'sqrt(38)/6 * sqrt(6)' \
	    a score_margin '5/6' \
	    a score_entropy "$E" \
	    a score_least-confidence '1/2' \
	    a score_aum 'log(3)' \
	    b score_el2n '(sqrt(38) + sqrt(14))/12' \
	    b score_grand '(sqrt(38) + sqrt(14))/12' \
	    b score_margin '5/6' \
	    b score_entropy "$E" \
	    b score_aum 'log(2)/2' \
	    c score_el2n 'sqrt(2)/3' \
	    c score_grand 'sqrt(2)/3 * sqrt(26)' \
	    c score_margin '2/3' \
	    c score_entropy 'log(3)/3 + 2/3*log(3/2)' \
	    c score_least-confidence '1/3' \
	    c score_aum '-log(2)'
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--probs, --logits-field, --label-field, --out-field, --window" {
	nsl-score --metric el2n --probs --logits-field p --label-field y \
	    --out-field hard -o "$T/a.jsonl" "$FIX/probs.jsonl"
	# b's rows are 2-class; a is the (1/6, 1/3, 1/2) row: el2n sqrt(38)/6;
	# b: errors ||(.5-1, .5)|| = sqrt(.5), ||(-.75, .75)|| = .75 sqrt 2,
	#    ||(-.25, .25)|| = .25 sqrt 2: mean (.5 + .75 + .25) sqrt(2) / 3
	run close "$T/a.jsonl" a hard 'sqrt(38)/6' b hard '1.5*sqrt(2)/3'
	[ "$status" -eq 0 ] || fail "$output"
	# dynamic uncertainty of b, P_y = .5 .25 .75: J = 2 windows sd
	# sqrt(1/32), sqrt(1/8): mean 3 sqrt(2)/16; J = 3: sd .25
	grep '"b"' "$FIX/probs.jsonl" > "$T/b.jsonl"
	nsl-score --metric dynamic-uncertainty --probs --window 2 \
	    --logits-field p --label-field y -o "$T/d2.jsonl" "$T/b.jsonl"
	nsl-score --metric dynamic-uncertainty --probs --window 3 \
	    --logits-field p --label-field y -o "$T/d3.jsonl" "$T/b.jsonl"
	run close "$T/d2.jsonl" b score '3*sqrt(2)/16'
	[ "$status" -eq 0 ] || fail "$output"
	run close "$T/d3.jsonl" b score '0.25'
	[ "$status" -eq 0 ] || fail "$output"
}

@test "forgetting and aum over epochs" {
	# 1: correct 1 0 1 0 1 -> 2 forgetting events; 2: never correct ->
	# 2 epochs; 3: correct then not -> 1.  aum of 3: margins 1, -3 -> 1.
	nsl-score --metric forgetting,aum -o "$T/f.jsonl" "$FIX/epochs.jsonl"
	run close "$T/f.jsonl" 1 score_forgetting 2 2 score_forgetting 2 \
	    3 score_forgetting 1 3 score_aum 1
	[ "$status" -eq 0 ] || fail "$output"
}

@test "an existing score field is replaced, not duplicated" {
	printf '{"score":7,"logits":[0,0],"label":0}\n' > "$T/s.jsonl"
	run --separate-stderr nsl-score --metric least-confidence "$T/s.jsonl"
	[ "$status" -eq 0 ]
	[ "$output" = '{"logits":[0,0],"label":0,"score":0.5}' ]
}

@test "--cluster-field naming a score field is refused; over an input field it replaces it" {
	printf '{"id":"a","logits":[0,1],"label":1,"embedding":[1,0]}\n{"id":"b","logits":[1,0],"label":1,"embedding":[0,1]}\n' >"$T/p.jsonl"
	fails_cleanly 64 "^nsl-score: --cluster-field score_el2n: a score is written to that field$" \
	    --metric prototype,el2n --k 1 --cluster-field score_el2n "$T/p.jsonl"
	fails_cleanly 64 "--cluster-field score_el2n: a score" \
	    --metric el2n,prototype --k 1 --cluster-field score_el2n "$T/p.jsonl"
	fails_cleanly 64 "--cluster-field score: a score" \
	    --metric prototype --k 1 --cluster-field score "$T/p.jsonl"
	nsl-score --metric prototype,el2n --k 1 --cluster-field id "$T/p.jsonl" >"$T/o.jsonl"
	assert_strict_jsonl "$T/o.jsonl"
	run jq -c '[keys_unsorted, .id]' "$T/o.jsonl"
	assert_line --index 0 '[["logits","label","embedding","score_prototype","score_el2n","id"],0]'
}

@test "--float32 prints scores as float32" {
	run --separate-stderr nsl-score --metric margin --float32 "$FIX/logits.jsonl"
	[ "$status" -eq 0 ]
	# 5/6 as float32 is 0.8333333
	[[ "${lines[0]}" == *'"score":0.8333333}' ]]
}

@test "streams standard input" {
	run --separate-stderr sh -c "nsl-score --metric entropy < '$FIX/logits.jsonl'"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
}

# ---- whole-set metrics ----

@test "class-prototype: distance to the class mean and median" {
	# x: {0, 1, 5} mean 2 median 1; y: {10}
	nsl-score --metric class-prototype -o "$T/m.jsonl" "$FIX/points.jsonl"
	run close "$T/m.jsonl" 0 score 2 1 score 1 2 score 3 3 score 0
	[ "$status" -eq 0 ] || fail "$output"
	nsl-score --metric class-prototype --center median -o "$T/d.jsonl" \
	    "$FIX/points.jsonl"
	run close "$T/d.jsonl" 0 score 1 1 score 0 2 score 4 3 score 0
	[ "$status" -eq 0 ] || fail "$output"
}

@test "knn: mean distance to the nearest neighbours" {
	# 0 1 5 10: k = 2 -> (1+5)/2, (1+4)/2, (4+5)/2, (5+9)/2
	nsl-score --metric knn --neighbours 2 -o "$T/k.jsonl" "$FIX/points.jsonl"
	run close "$T/k.jsonl" 0 score 3 1 score 2.5 2 score 4.5 3 score 7
	[ "$status" -eq 0 ] || fail "$output"
}

@test "prototype: cosine distance to the centroid, cluster field, default k" {
	# {0, 45 deg} share a centroid on the 22.5 degree bisector; {180 deg}
	# is exact.  k defaults to the 2 labels.
	nsl-score --metric prototype --cluster-field c -o "$T/p.jsonl" \
	    "$FIX/directions.jsonl"
	run close "$T/p.jsonl" 0 score '1 - cos(pi/8)' 1 score '1 - cos(pi/8)' \
	    2 score 0 3 score 0
	[ "$status" -eq 0 ] || fail "$output"
	run /usr/bin/python3 -c "import json,sys
r=[json.loads(l) for l in open('$T/p.jsonl')]
sys.exit(not (r[0]['c']==r[1]['c'] and r[2]['c']==r[3]['c'] and r[0]['c']!=r[2]['c']))"
	[ "$status" -eq 0 ]
	# with two metrics: score_prototype, score_knn and the cluster
	run --separate-stderr nsl-score --metric prototype,knn --k 2 \
	    --neighbours 1 --iters 5 "$FIX/directions.jsonl"
	[ "$status" -eq 0 ]
	[[ "${lines[3]}" == '{"id":3,"embedding":[-3,0],"label":1,"score_prototype":0,"score_knn":2,"cluster":'[01]'}' ]]
}

@test "several whole-set metrics do not disturb each other's rows: prototype normalises them in place only when it reads them last" {
	# numbers with 9 decimals are not float32 values, so the rows are
	# held in double; the scores of knn and prototype together, in
	# either order, are those of each alone
	awk 'BEGIN { for (i = 0; i < 300; i++) { printf "{\"id\":%d,\"embedding\":[", i
	    for (k = 0; k < 5; k++) printf "%s%.9f", k ? "," : "", 3 * sin(i * (k + 1.7))
	    print "]}" } }' > "$T/e.jsonl"
	nsl-score --metric knn --neighbours 3 "$T/e.jsonl" | jq -c .score > "$T/knn"
	nsl-score --metric prototype --k 4 "$T/e.jsonl" | jq -c .score > "$T/proto"
	for order in prototype,knn knn,prototype; do
		nsl-score --metric $order --k 4 --neighbours 3 "$T/e.jsonl" > "$T/both"
		jq -c .score_knn "$T/both" | cmp - "$T/knn"
		jq -c .score_prototype "$T/both" | cmp - "$T/proto"
	done
}

@test "prototype is deterministic: same seed, any thread count" {
	awk 'BEGIN { for (i = 0; i < 600; i++) { a = i * 2.399963; r = 1 + (i % 7) / 3
	    printf "{\"id\":%d,\"embedding\":[%.6f,%.6f,%.6f]}\n", i, r * cos(a), r * sin(a), (i % 5) - 2 } }' > "$T/e.jsonl"
	OMP_NUM_THREADS=1 nsl-score --metric prototype --k 7 --seed 3 -o "$T/1.jsonl" "$T/e.jsonl"
	OMP_NUM_THREADS=2 nsl-score --metric prototype --k 7 --seed 3 -o "$T/2.jsonl" "$T/e.jsonl"
	OMP_NUM_THREADS=4 nsl-score --metric prototype --k 7 --seed 3 -o "$T/4.jsonl" "$T/e.jsonl"
	cmp "$T/1.jsonl" "$T/2.jsonl"
	cmp "$T/1.jsonl" "$T/4.jsonl"
	nsl-score --metric prototype --k 7 --seed 4 -o "$T/s4.jsonl" "$T/e.jsonl"
	! cmp -s "$T/1.jsonl" "$T/s4.jsonl"
}

@test "prototype and class-prototype: float32 numbers held in float32 score as in double" {
	# multiples of 1/64 are float32 numbers: held in float32 alone, in
	# double beside knn (which reads doubles); the scores are the same
	awk 'BEGIN { for (i = 0; i < 600; i++) { a = i * 2.399963; r = 1 + (i % 7) / 3
	    printf "{\"id\":%d,\"label\":%d,\"embedding\":[%.6f,%.6f,%.6f]}\n", i, i % 3,
	    int(64 * r * cos(a)) / 64, int(64 * r * sin(a)) / 64, (i % 5) - 2 } }' > "$T/e.jsonl"
	nsl-score --metric prototype --k 7 --seed 3 -o "$T/f.jsonl" "$T/e.jsonl"
	nsl-score --metric prototype,knn --k 7 --seed 3 "$T/e.jsonl" |
	    sed 's/"score_knn":[^,]*,//; s/"score_prototype"/"score"/' > "$T/d.jsonl"
	cmp "$T/f.jsonl" "$T/d.jsonl"
	nsl-score --metric class-prototype --center median -o "$T/f.jsonl" "$T/e.jsonl"
	nsl-score --metric class-prototype,knn --center median "$T/e.jsonl" |
	    sed 's/,"score_knn":[^,}]*//; s/"score_class-prototype"/"score"/' \
	    > "$T/d.jsonl"
	cmp "$T/f.jsonl" "$T/d.jsonl"
}

@test "knn: float32 numbers held in float32 score as in double, whole set and model" {
	# multiples of 1/64 are float32 numbers: exact knn holds them in
	# float32; --index ivf with every list probed is the exact search;
	# the scores are the same bytes (float32 rows against the same rows
	# in double: tests/unit/test_score.c)
	awk 'BEGIN { for (i = 0; i < 600; i++) { a = i * 2.399963; r = 1 + (i % 7) / 3
	    printf "{\"id\":%d,\"embedding\":[%.6f,%.6f,%.6f]}\n", i,
	    int(64 * r * cos(a)) / 64, int(64 * r * sin(a)) / 64, (i % 5) - 2 } }' > "$T/e.jsonl"
	nsl-score --metric knn --neighbours 4 -o "$T/f.jsonl" "$T/e.jsonl"
	nsl-score -q --metric knn --neighbours 4 --index ivf --lists 3 \
	    --nprobe 3 -o "$T/d.jsonl" "$T/e.jsonl"
	cmp "$T/f.jsonl" "$T/d.jsonl"
	# the model holds them in float32 too: its rows are the numbers
	# read, and a row that is not a float32 (0.1) after them widens
	# the rest to double, the scores of the others unchanged
	nsl-score --metric knn --neighbours 4 --save-model "$T/m" "$T/e.jsonl"
	sed -n 's/.*"embedding":\(\[[^]]*\]\).*/{"row":\1}/p' "$T/e.jsonl" |
	    sed 's/\.000000//g; s/\([0-9]\)0*\([],]\)/\1\2/g; s/\.\([],]\)/\1/g' > "$T/rows"
	tail -n +2 "$T/m" | cmp - "$T/rows"
	{ head -n 1 "$T/m" | sed 's/"rows":600/"rows":601/'; tail -n +2 "$T/m"
	    echo '{"row":[0.1,5,5]}'; } > "$T/m2"
	nsl-score --metric knn --model "$T/m" "$T/e.jsonl" > "$T/a"
	nsl-score --metric knn --model "$T/m2" "$T/e.jsonl" > "$T/b"
	[ "$(wc -l < "$T/a")" -eq 600 ]
	cmp "$T/a" "$T/b"
}

# ---- errors ----

@test "--help, bad option, missing --metric, unknown metric" {
	run --separate-stderr nsl-score --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "usage: nsl-score "* ]]
	run --separate-stderr nsl-score --bogus
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-score "$FIX/logits.jsonl"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--metric is required"* ]]
	run --separate-stderr nsl-score --metric nope "$FIX/logits.jsonl"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"unknown metric 'nope'"* ]]
	run --separate-stderr nsl-score --metric aum --probs "$FIX/logits.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-score --metric prototype --k 0 "$FIX/logits.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-score --metric class-prototype --center mode "$FIX/points.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-score --metric dynamic-uncertainty --window 1 "$FIX/logits.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-score --metric el2n --iters x "$FIX/logits.jsonl"
	[ "$status" -eq 64 ]
}

@test "missing file is 66, /dev/full is 74" {
	fails_cleanly 66 "nsl-score: .*nothere" --metric el2n "$T/nothere.jsonl"
	run --separate-stderr sh -c "nsl-score --metric el2n '$FIX/logits.jsonl' > /dev/full"
	[ "$status" -eq 74 ]
}

@test "bad records: file:line, field, exit 65, nothing written" {
	printf '{"logits":[0,1],"label":0}\n{"logits":[0,1],"label":2}\n' > "$T/l.jsonl"
	fails_cleanly 65 'l.jsonl:2: field "label": 2 is not a class index' --metric el2n "$T/l.jsonl"
	printf '{"logits":[0,1],"label":0}\n{"logits":[0,1]}\n' > "$T/m.jsonl"
	fails_cleanly 65 'm.jsonl:2: .*"label"' --metric el2n "$T/m.jsonl"
	printf '{"logits":[[0,1],[0]],"label":0}\n' > "$T/r.jsonl"
	fails_cleanly 65 'r.jsonl:1: .*"logits"' --metric el2n "$T/r.jsonl"
	printf '{"logits":[0,NaN],"label":0}\n' > "$T/n.jsonl"
	fails_cleanly 65 'n.jsonl:1: ' --metric entropy "$T/n.jsonl"
	printf '{"logits":[0,1],"label":0.5}\n' > "$T/f.jsonl"
	fails_cleanly 65 'f.jsonl:1: .*"label".*class index' --metric el2n "$T/f.jsonl"
	printf '{"logits":[0,1],"label":0}\n{"logits":[0,1],\n' > "$T/j.jsonl"
	fails_cleanly 65 'j.jsonl:2: ' --metric margin "$T/j.jsonl"
	printf '{"logits":[0.5,0.6],"label":0}\n' > "$T/p.jsonl"
	fails_cleanly 65 'p.jsonl:1: .*sum to' --metric entropy --probs "$T/p.jsonl"
	fails_cleanly 65 'epochs.jsonl:2: .*window' --metric dynamic-uncertainty --window 3 "$FIX/epochs.jsonl"
	fails_cleanly 65 'logits.jsonl:1: missing field "embedding2"' --metric grand --field embedding2 "$FIX/logits.jsonl"
}

@test "whole-set errors: k > n, no labels without --k, missing embedding" {
	fails_cleanly 65 'k = 9 is larger than the number of records \(4\)' \
	    --metric prototype --k 9 "$FIX/directions.jsonl"
	printf '{"embedding":[1,0]}\n{"embedding":[0,1]}\n' > "$T/nl.jsonl"
	fails_cleanly 65 'nl.jsonl:1: .*"label".*--k is required' --metric prototype "$T/nl.jsonl"
	fails_cleanly 65 'nl.jsonl:1: .*"label"' --metric class-prototype "$T/nl.jsonl"
	fails_cleanly 65 'knn: k = 10 neighbours' --metric knn "$T/nl.jsonl"
	printf '{"embedding":[1,0]}\n{"embedding":[0,Infinity]}\n' > "$T/inf.jsonl"
	fails_cleanly 65 'inf.jsonl:2: ' --metric knn --neighbours 1 "$T/inf.jsonl"
	printf '{"embedding":[1,0]}\n{"embedding":[0]}\n' > "$T/rag.jsonl"
	fails_cleanly 65 'rag.jsonl:2: ' --metric knn --neighbours 1 "$T/rag.jsonl"
	printf '{"embedding":[1,0],"label":0}\n{"embedding":[0,1],"label":0,"logits":[0,1]}\n' > "$T/mix.jsonl"
	fails_cleanly 65 'mix.jsonl:1: .*"logits"' --metric knn,el2n --neighbours 1 "$T/mix.jsonl"
}

@test "the man page's examples run" {
	cd "$TESTS_DIR/.."
	run --separate-stderr sh -c 'nsl-score --metric el2n,forgetting tests/fixtures/score/epochs.jsonl'
	[ "$status" -eq 0 ]
	run --separate-stderr sh -c 'nsl-score --metric prototype --k 2 --seed 1 tests/fixtures/score/directions.jsonl'
	[ "$status" -eq 0 ]
	run --separate-stderr sh -c 'nsl-score --metric class-prototype --center median tests/fixtures/score/points.jsonl'
	[ "$status" -eq 0 ]
	run --separate-stderr sh -c 'nsl-score --metric entropy --probs --logits-field p --label-field y tests/fixtures/score/probs.jsonl'
	[ "$status" -eq 0 ]
}

@test "--list-metrics prints the catalogue; the man page and --help name every metric" {
	run --separate-stderr nsl-score --list-metrics
	assert_success
	[ "${#lines[@]}" -ge 11 ]
	assert_line --index 0 --regexp $'^prototype\tembeddings\t.'
	assert_line --index 3 --regexp $'^el2n\toutputs\t.'
	help=$(nsl-score --help | tr -s ' \n' '  ')
	for name in $(nsl-score --list-metrics | cut -f1); do
		grep -qx "\.It Cm $name" "$TESTS_DIR/../man/nsl-score.1" ||
		    { echo "man page lacks $name"; false; }
		[[ "$help" == *" $name,"* || "$help" == *" $name ("* ]] ||
		    { echo "--help lacks $name"; false; }
		# each name the catalogue lists is one --metric takes
		printf '{"logits":[1,2],"label":0,"embedding":[1,0],"loss":1,"loss_masked":2,"loss_holdout":0.5}\n{"logits":[2,1],"label":1,"embedding":[0,1],"loss":2,"loss_masked":2,"loss_holdout":1}\n' |
		    nsl-score --metric "$name" --k 2 --neighbours 1 --window 2 \
		    --valid "$TESTS_DIR/fixtures/score/lava-valid.jsonl" > /dev/null ||
		    [ "$name" = dynamic-uncertainty ] || { echo "$name refused"; false; }
	done
}

# ---- numbers near the ends of the double range ----

@test "knn and class-prototype of embeddings near 1e200: the distances, not Infinity" {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":0,"embedding":[1e200,0],"label":0}' \
	    '{"id":1,"embedding":[-1e200,1e200],"label":0}' \
	    '{"id":2,"embedding":[1e200,-1e200],"label":1}' \
	    '{"id":3,"embedding":[-1e200,0],"label":1}' > "$T/e.jsonl"
	nsl-score --metric knn,class-prototype --neighbours 2 "$T/e.jsonl" > "$T/o.jsonl"
	# in units of 1e200: distances 0-1 sqrt(5), 0-2 1, 0-3 2, 1-2 sqrt(8),
	# 1-3 1, 2-3 sqrt(5); class means (0, 0.5) and (0, -0.5)
	close "$T/o.jsonl" 0 score_knn '(1 + 2) / 2 * 1e200' \
	    1 score_knn '(1 + sqrt(5)) / 2 * 1e200' \
	    2 score_knn '(1 + sqrt(5)) / 2 * 1e200' \
	    3 score_knn '(1 + 2) / 2 * 1e200' \
	    0 score_class-prototype 'sqrt(1.25) * 1e200' \
	    1 score_class-prototype 'sqrt(1.25) * 1e200' \
	    2 score_class-prototype 'sqrt(1.25) * 1e200' \
	    3 score_class-prototype 'sqrt(1.25) * 1e200'
}

@test "class-prototype --center median and knn of subnormal embeddings keep their digits" {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":0,"embedding":[5e-324,0],"label":0}' \
	    '{"id":1,"embedding":[0,1.5e-323],"label":0}' \
	    '{"id":2,"embedding":[2e-323,1e-323],"label":0}' > "$T/e.jsonl"
	nsl-score --metric knn,class-prototype --center median --neighbours 1 "$T/e.jsonl" > "$T/o.jsonl"
	# in units of 5e-324: points (1,0), (0,3), (4,2); median (1, 2)
	close "$T/o.jsonl" 0 score_knn 'sqrt(10) * 5e-324' \
	    2 score_knn 'sqrt(13) * 5e-324' \
	    0 score_class-prototype '2 * 5e-324' \
	    1 score_class-prototype 'sqrt(2) * 5e-324' \
	    2 score_class-prototype '3 * 5e-324'
}

@test "prototype scores do not change when the embeddings are scaled by 2^1000 or 2^-1070" {
	T=$BATS_TEST_TMPDIR
	# cosine distances do not see the scale; a power of two scales exactly
	/usr/bin/python3 - "$T" <<'PY'
import math, random, sys
random.seed(3)
pts = [[random.gauss(0, 1) for _ in range(3)] for _ in range(20)]
for name, e in (("ref", 0), ("big", 1000), ("tiny", -1070 + 60)):
    with open(f"{sys.argv[1]}/{name}.jsonl", "w") as f:
        for i, p in enumerate(pts):
            f.write('{"id":%d,"embedding":[%s]}\n' % (i, ",".join(repr(math.ldexp(v, e)) for v in p)))
PY
	nsl-score --metric prototype --k 2 "$T/ref.jsonl" | jq -c '[.score, .cluster]' > "$T/want"
	for s in big tiny; do
		nsl-score --metric prototype --k 2 "$T/$s.jsonl" | jq -c '[.score, .cluster]' > "$T/got"
		cmp "$T/want" "$T/got" || fail "$s: $(paste "$T/want" "$T/got")"
	done
}

@test "grand with an embedding near 1e200 and aum with margins past 1e308: finite answers" {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":"g","logits":[0,0],"label":0,"embedding":[3e200,4e200]}' > "$T/g.jsonl"
	# p = (1/2, 1/2): |p - e_0| = sqrt(1/2); sqrt(1 + |h|^2) = 5e200
	nsl-score --metric grand "$T/g.jsonl" > "$T/o.jsonl"
	close "$T/o.jsonl" g score 'sqrt(0.5) * 5e200'
	printf '%s\n' '{"id":"a","logits":[[1e308,-1e308],[-1e308,1e308]],"label":0}' \
	    '{"id":"b","logits":[[1e308,-1e308],[1e308,0]],"label":0}' > "$T/a.jsonl"
	# margins 2e308 and -2e308 (mean 0); 2e308 and 1e308 (mean 1.5e308)
	nsl-score --metric aum "$T/a.jsonl" > "$T/o.jsonl"
	close "$T/o.jsonl" a score '0' b score '-1.5e308'
}

@test "a score beyond the double range: exit 65 naming the field and record" {
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":0,"embedding":[1.5e308],"label":0}' \
	    '{"id":1,"embedding":[-1.5e308],"label":0}' > "$T/e.jsonl"
	# the two points are 3e308 apart
	fails_cleanly 65 '^nsl-score: .*:1: field "score": value out of range' \
	    --metric knn --neighbours 1 "$T/e.jsonl"
}

@test "golden cases: the streamed metrics of hand-worked records (tests/fixtures/score/metrics.test)" {
	golden "$TESTS_DIR/fixtures/score/metrics.test"
}

# ---- knn over the inverted-file index ----
# ivf-points.jsonl and ivf-knn5.txt (numpy's brute-force scores) are made
# by fixtures/score/make-ivf-ref.py.

# ivf_vs_ref OUT MODE: MODE "equal": every score within 1e-12 of the brute
# force's; "above": none below it (an index can only miss neighbours).
ivf_vs_ref() {
	/usr/bin/python3 - "$1" "$FIX/ivf-knn5.txt" "$2" <<'PYEOF'
import json, sys
got = {r["id"]: r["score"] for r in map(json.loads, open(sys.argv[1]))}
ref = {int(a): float(b) for a, b in (l.split() for l in open(sys.argv[2]))}
assert len(got) == len(ref) == 300, len(got)
tol = lambda r: 1e-12 * max(1.0, abs(r))
if sys.argv[3] == "equal":
    bad = [i for i in ref if abs(got[i] - ref[i]) > tol(ref[i])]
else:
    bad = [i for i in ref if got[i] < ref[i] - tol(ref[i])]
    # and the index is approximate here: some record lost a neighbour
    assert any(got[i] > ref[i] + tol(ref[i]) for i in ref), "all exact"
assert not bad, [(i, got[i], ref[i]) for i in bad[:5]]
PYEOF
}

@test "knn --index ivf: nprobe = lists is the exact search, byte for byte" {
	nsl-score --metric knn --neighbours 5 "$FIX/ivf-points.jsonl" > "$T/exact.jsonl"
	run --separate-stderr nsl-score --metric knn --neighbours 5 --index ivf \
	    --lists 6 --nprobe 6 -o "$T/ivf.jsonl" "$FIX/ivf-points.jsonl"
	[ "$status" -eq 0 ]
	cmp "$T/exact.jsonl" "$T/ivf.jsonl"
	# every list probed: recall 1, said so
	[[ "$stderr" == *"found 100.0% of the exact 5 nearest"* ]]
	ivf_vs_ref "$T/ivf.jsonl" equal
}

@test "knn --index ivf: with fewer lists probed no score is below the exact one" {
	run --separate-stderr nsl-score --metric knn --neighbours 5 --index ivf \
	    --lists 12 --nprobe 1 --seed 3 -o "$T/ivf.jsonl" "$FIX/ivf-points.jsonl"
	[ "$status" -eq 0 ]
	ivf_vs_ref "$T/ivf.jsonl" above
	# the recall against exact search is reported, below 100%
	[[ "$stderr" =~ found\ [0-9]+\.[0-9]%\ of\ the\ exact\ 5 ]]
	[[ "$stderr" != *"found 100.0%"* ]]
	# the record's other fields are kept: id, embedding, then the score
	run jq -c 'keys_unsorted' "$T/ivf.jsonl"
	assert_line -n 0 '["id","embedding","score"]'
	# -q: no note
	run --separate-stderr nsl-score -q --metric knn --neighbours 5 --index ivf \
	    --lists 12 --nprobe 1 --seed 3 "$FIX/ivf-points.jsonl"
	[ -z "$stderr" ]
}

@test "knn --index ivf: the seed fixes the coarse k-means: same seed, same bytes" {
	nsl-score -q --metric knn --neighbours 5 --index ivf --lists 12 --nprobe 2 \
	    --seed 9 "$FIX/ivf-points.jsonl" > "$T/a"
	OMP_NUM_THREADS=1 nsl-score -q --metric knn --neighbours 5 --index ivf \
	    --lists 12 --nprobe 2 --seed 9 "$FIX/ivf-points.jsonl" > "$T/b"
	cmp "$T/a" "$T/b"
}

@test "knn --index ivf: a copy is its twin's neighbour, not itself" {
	# rows 41 and 42 are equal: 0 is among each one's 5 distances, so
	# with 1 neighbour both score exactly 0
	nsl-score -q --metric knn --neighbours 1 --index ivf --lists 12 \
	    --nprobe 1 "$FIX/ivf-points.jsonl" > "$T/o"
	run jq -c 'select(.id == 41 or .id == 42) | .score' "$T/o"
	assert_output $'0\n0'
}

@test "knn --index ivf: bad parameters are usage or data errors" {
	fails_cleanly 65 'knn: --lists 301 exceeds the 300 records' \
	    --metric knn --index ivf --lists 301 "$FIX/ivf-points.jsonl"
	fails_cleanly 64 'nprobe' --metric knn --index ivf --nprobe 0 \
	    "$FIX/ivf-points.jsonl"
	fails_cleanly 64 'lists' --metric knn --index ivf --lists 0 \
	    "$FIX/ivf-points.jsonl"
	fails_cleanly 64 'index' --metric knn --index hnsw "$FIX/ivf-points.jsonl"
	# the index's knobs without the index would be silently unused
	fails_cleanly 64 '--lists and --nprobe go with --index ivf' \
	    --metric knn --nprobe 4 "$FIX/ivf-points.jsonl"
	fails_cleanly 64 '--lists and --nprobe go with --index ivf' \
	    --metric knn --lists 4 "$FIX/ivf-points.jsonl"
}

@test "knn --index ivf --save-model: the index is saved once and applied per shard" {
	nsl-score -q --metric knn --neighbours 5 --index ivf --lists 12 \
	    --nprobe 2 "$FIX/ivf-points.jsonl" > "$T/whole"
	nsl-score -q --metric knn --neighbours 5 --index ivf --lists 12 \
	    --nprobe 2 --save-model "$T/m" "$FIX/ivf-points.jsonl"
	# the header names the index; 12 centroid lines; each row its list
	run jq -c 'select(.nsl) | [.index, .lists, .nprobe]' "$T/m"
	assert_output '["ivf",12,2]'
	run jq -s '[.[] | select(.centroid)] | length' "$T/m"
	assert_output 12
	run jq -s '[.[] | select(.row) | .list | select(. >= 0 and . < 12)] | length' "$T/m"
	assert_output 300
	# two shards scored by the model: the whole run's neighbours, the
	# same distances summed in the same order, so the same bytes
	head -n 150 "$FIX/ivf-points.jsonl" > "$T/s1"
	tail -n +151 "$FIX/ivf-points.jsonl" > "$T/s2"
	nsl-score --metric knn --model "$T/m" "$T/s1" > "$T/sharded"
	nsl-score --metric knn --model "$T/m" "$T/s2" >> "$T/sharded"
	cmp "$T/whole" "$T/sharded"
	# a list number out of range is bad data, at its line
	sed '14s/"list":[0-9]*/"list":12/' "$T/m" > "$T/bad"
	fails_cleanly 65 'bad:14: field "list"' --metric knn --model "$T/bad" \
	    "$FIX/ivf-points.jsonl"
}

@test "whole-set scores read their inputs again for the output: named files (blank lines, CRLF, .gz), a redirect, a pipe's copy in memory or TMPDIR" {
	# the points of the class-prototype test over two files, with a blank
	# line, a CRLF line and the second file gzipped: means x 2, y 10
	{ sed -n 1p "$FIX/points.jsonl"; echo; sed -n 2p "$FIX/points.jsonl" |
	    sed 's/$/\r/'; } > "$T/a.jsonl"
	sed -n '3,4p' "$FIX/points.jsonl" | gzip > "$T/b.jsonl.gz"
	nsl-score --metric class-prototype -o "$T/m.jsonl" "$T/a.jsonl" \
	    "$T/b.jsonl.gz"
	run close "$T/m.jsonl" 0 score 2 1 score 1 2 score 3 3 score 0
	[ "$status" -eq 0 ] || fail "$output"
	run jq -c '[.id, .label]' "$T/m.jsonl"
	assert_output "$(printf '[0,"x"]\n[1,"x"]\n[2,"x"]\n[3,"y"]')"
	# a pipe cannot be read twice: it is copied as it is read, past
	# NSL_SPOOL_MEMORY to TMPDIR, and the copy (unlinked at once) read
	# back: same bytes, nothing left; within the budget, from memory
	mkdir "$T/spill"
	{ cat "$T/a.jsonl"; gzip -dc "$T/b.jsonl.gz"; } |
	    NSL_SPOOL_MEMORY=0 TMPDIR="$T/spill" \
	    nsl-score --metric class-prototype > "$T/p.jsonl"
	cmp "$T/m.jsonl" "$T/p.jsonl"
	[ -z "$(ls -A "$T/spill")" ]
	{ cat "$T/a.jsonl"; gzip -dc "$T/b.jsonl.gz"; } |
	    TMPDIR=/nonexistent nsl-score --metric class-prototype |
	    cmp - "$T/m.jsonl"
	nsl-score --metric class-prototype <(cat "$T/a.jsonl") \
	    "$T/b.jsonl.gz" > "$T/q.jsonl"
	cmp "$T/m.jsonl" "$T/q.jsonl"
	# a redirected file is read again from where it began: a first line
	# already read by the shell is not part of the input
	{ cat "$T/a.jsonl"; gzip -dc "$T/b.jsonl.gz"; } > "$T/all.jsonl"
	{ read -r skip; nsl-score --metric class-prototype > "$T/r.jsonl"; } \
	    < "$T/all.jsonl"
	sed -n '2,$p' "$T/all.jsonl" | grep . |
	    nsl-score --metric class-prototype | cmp - "$T/r.jsonl"
	# with no temporary directory a pipe past the budget is an I/O
	# error, a file is not
	run --separate-stderr sh -c "cat '$T/all.jsonl' | NSL_SPOOL_MEMORY=10 TMPDIR=/nonexistent nsl-score --metric class-prototype"
	[ "$status" -eq 74 ] || fail "status $status: $stderr"
	[[ "$stderr" == "nsl-score: /nonexistent: cannot make a temporary file"* ]] ||
	    fail "$stderr"
	[ -z "$output" ]
	TMPDIR=/nonexistent nsl-score --metric class-prototype "$T/all.jsonl" |
	    cmp - "$T/m.jsonl"
}

@test "whole-set reads parse lines on several threads: the first bad line in the file is still the one reported, from a file, a pipe and .gz" {
	# 200 records of 64 numbers (past one batch of lines, and enough
	# text that the batch is parsed in parallel); record 100 has 63
	# numbers and record 110 (in the same batch) a malformed number at
	# its sixth element
	awk 'BEGIN { for (i = 1; i <= 200; i++) {
		printf "{\"id\":%d,\"embedding\":[", i
		n = i == 100 ? 63 : 64
		for (j = 0; j < n; j++) {
			v = sprintf("%.17g", ((i * 64 + j) % 97) / 97 - 0.5)
			if (i == 110 && j == 5)
				v = "1.2.3"
			printf "%s%s", (j ? "," : ""), v
		}
		printf "]}\n" } }' >"$T/bad.jsonl"
	fails_cleanly 65 "^nsl-score: $T/bad.jsonl:100: field \"embedding\": 63 numbers, but $T/bad.jsonl:1 has 64\$" \
	    --metric prototype --k 3 "$T/bad.jsonl"
	# without record 100, the malformed number is on line 109
	awk 'NR != 100' "$T/bad.jsonl" >"$T/bad2.jsonl"
	gzip -c "$T/bad2.jsonl" >"$T/bad2.jsonl.gz"
	fails_cleanly 65 "^nsl-score: $T/bad2.jsonl:109: invalid JSON at column [0-9]+: " \
	    --metric prototype --k 3 "$T/bad2.jsonl"
	fails_cleanly 65 "^nsl-score: $T/bad2.jsonl.gz:109: invalid JSON at column [0-9]+: " \
	    --metric prototype --k 3 "$T/bad2.jsonl.gz"
	run --separate-stderr sh -c "cat '$T/bad2.jsonl' | nsl-score --metric prototype --k 3 -"
	[ "$status" -eq 65 ] || fail "status $status"
	[[ "$stderr" =~ ^nsl-score:\ \<stdin\>:109:\ invalid\ JSON ]] || fail "$stderr"
	# and with both fixed, every record is scored, in order
	awk 'NR != 100 && NR != 110' "$T/bad.jsonl" >"$T/good.jsonl"
	nsl-score --metric prototype --k 3 "$T/good.jsonl" >"$T/out.jsonl"
	[ "$(wc -l <"$T/out.jsonl")" -eq 198 ]
	jq -r .id "$T/out.jsonl" | cmp - <(jq -r .id "$T/good.jsonl")
}

@test "streamed metrics made on several threads: by-hand values in order, and the first bad record is the one reported" {
	# 3000 records of 100 equal logits (uniform probabilities: entropy
	# ln 100 = 4.605170185988091, el2n sqrt(1 - 1/100) = 0.99498743710662),
	# wide enough that batches are parsed and scored on the helpers;
	# record 2500's label is past the 100 classes, record 2600 is cut
	awk 'BEGIN { for (i = 1; i <= 3000; i++) {
		printf "{\"id\":%d,\"label\":%d,\"logits\":[", i,
		    i == 2500 ? 500 : i % 100
		for (c = 0; c < 100; c++)
			printf "%s%.3f", (c ? "," : ""), i / 7
		if (i == 2600)
			printf ",\n"
		else
			printf "]}\n" } }' >"$T/lg.jsonl"
	run --separate-stderr nsl-score --metric entropy,el2n "$T/lg.jsonl"
	[ "$status" -eq 65 ] || fail "status $status: $stderr"
	[[ "$stderr" == "nsl-score: $T/lg.jsonl:2500: field \"label\": 500 is not a class index for the 100 classes of \"logits\"" ]] ||
	    fail "$stderr"
	# what was written before the error: records 1, 2, ... in order
	# (whole buffers of them: the writer's last one is dropped)
	[ "${#lines[@]}" -gt 1000 ] && [ "${#lines[@]}" -lt 2500 ] ||
	    fail "${#lines[@]} lines"
	printf '%s\n' "${lines[@]}" | jq -r '[.id, .score_entropy, .score_el2n] | @tsv' |
	    awk '$1 != NR || ($2 - 4.605170185988091)^2 > 1e-24 ||
	        ($3 - 0.99498743710662)^2 > 1e-24 { print; bad = 1 } END { exit bad }'
	# without record 2500, the cut line 2600 is reported, from a pipe too
	awk 'NR != 2500' "$T/lg.jsonl" >"$T/lg2.jsonl"
	fails_cleanly 65 "^nsl-score: $T/lg2.jsonl:2599: invalid JSON at column [0-9]+: " \
	    --metric entropy,el2n "$T/lg2.jsonl"
	run --separate-stderr sh -c "cat '$T/lg2.jsonl' | nsl-score --metric entropy -"
	[ "$status" -eq 65 ] || fail "status $status"
	[[ "$stderr" =~ ^nsl-score:\ \<stdin\>:2599:\ invalid\ JSON ]] || fail "$stderr"
}
