#!/usr/bin/env bats
# nsl-intrinsic-dim: estimates against SciPy's reference
# (tests/fixtures/intdim/make-ref.py: k-d tree neighbours, the estimators
# from their papers), the known dimensions of synthetic sets, duplicates
# and other degenerate input, subsets, the regime of curves whose
# exponent is known, and the common error contract.

load helper

FIX="$TESTS_DIR/fixtures/intdim"

setup() {
	require_prog /usr/bin/python3 python3
	require_prog jq jq
	require_prog mandoc mandoc
	require_prog gnuplot gnuplot-nox
	require_py numpy python3-numpy
	T="$BATS_TEST_TMPDIR"
}

# close GOT WANT TOL: |got - want| <= tol |want|
close() {
	awk -v g="$1" -v w="$2" -v t="$3" 'BEGIN {
		d = g - w; if (d < 0) d = -d; a = w < 0 ? -w : w
		exit !(d <= t * a) }' || fail "$1 is not $2 within $3 relative"
}

# check_case RECORD CASE: d, interval, alpha, alpha_interval, n, duplicates
# and censored of RECORD (JSON text) against ref.json's CASE.
check_case() {
	local rec=$1 ref i
	ref=$(jq -c --arg c "$2" '.[$c]' "$FIX/ref.json")
	[ "$ref" != null ] || fail "no case $2"
	for i in '.d' '.interval[0]' '.interval[1]' '.alpha' \
	    '.alpha_interval[0]' '.alpha_interval[1]'; do
		close "$(jq "$i" <<<"$rec")" "$(jq "$i" <<<"$ref")" 1e-9
	done
	for i in '.n' '.duplicates' '.censored'; do
		[ "$(jq "$i" <<<"$rec")" = "$(jq "$i" <<<"$ref")" ] ||
			fail "$2: $i is $(jq "$i" <<<"$rec"), not $(jq "$i" <<<"$ref")"
	done
}

@test "twonn and mle match the SciPy reference on a flat torus" {
	run --separate-stderr nsl-intrinsic-dim --k 5 "$FIX/torus.jsonl"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	check_case "${lines[0]}" torus-twonn
	check_case "${lines[1]}" torus-mle-k5
	[ "$(jq -r .estimator <<<"${lines[1]}")" = mle ]
	[ "$(jq .k <<<"${lines[1]}")" = 5 ]
}

@test "--discard censors the largest ratios (type II), as the reference's likelihood" {
	run --separate-stderr nsl-intrinsic-dim --estimator twonn --discard 0.1 "$FIX/torus.jsonl"
	assert_success
	check_case "$output" torus-twonn-discard
	[ "$(jq .discard <<<"$output")" = 0.1 ]
}

@test "--level and --numerator set the interval and alpha = C/d" {
	run --separate-stderr nsl-intrinsic-dim --estimator mle --k 20 --level 0.9 \
	    --numerator 2 "$FIX/torus.jsonl"
	assert_success
	check_case "$output" torus-mle-k20-level0.9-c2
	[ "$(jq -c '[.level, .c]' <<<"$output")" = '[0.9,2]' ]
}

@test "--by label: one estimate per class, in label order, with by" {
	run --separate-stderr nsl-intrinsic-dim --estimator twonn --by label "$FIX/torus.jsonl"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -c .by <<<"${lines[0]}")" = '{"label":0}' ]
	[ "$(jq -c .by <<<"${lines[1]}")" = '{"label":1}' ]
	check_case "${lines[0]}" torus-twonn-label0
	check_case "${lines[1]}" torus-twonn-label1
}

@test "duplicate points (r1 = 0) are kept once and counted; --duplicates error refuses them at the first repeat" {
	run --separate-stderr nsl-intrinsic-dim --k 10 "$FIX/dups.jsonl"
	assert_success
	check_case "${lines[0]}" dups-twonn
	check_case "${lines[1]}" dups-mle-k10
	# 105 distinct rows, then row 0 again: line 106 is the first repeat
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    'dups.jsonl:106: 16 duplicate points \(r1 = 0' \
	    --duplicates error "$FIX/dups.jsonl"
}

@test "constant vectors are an error: one point, no dimension" {
	for i in 1 2 3 4 5; do echo '{"embedding":[1,2,3]}'; done >"$T/const.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    'all 5 points are one vector: no dimension to estimate' "$T/const.jsonl"
}

@test "fewer distinct points than neighbours is an error naming the estimator" {
	head -n 10 "$FIX/torus.jsonl" >"$T/ten.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    '^nsl-intrinsic-dim: mle needs at least 21 distinct points \(20 neighbours each\), have 10$' \
	    "$T/ten.jsonl"
	head -n 2 "$FIX/torus.jsonl" >"$T/two.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    'twonn needs at least 3 distinct points' --estimator twonn "$T/two.jsonl"
	# a group with too few points is named
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    '^nsl-intrinsic-dim: label 0: twonn needs' --estimator twonn --by label "$T/two.jsonl"
}

@test "equidistant neighbours (a lattice) carry no dimension: an error, not infinity" {
	# a 3 x 3 grid: every point's two nearest neighbours are 1 away
	for i in 0 1 2; do for j in 0 1 2; do echo "{\"embedding\":[$i,$j,5]}"; done; done >"$T/grid.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    'twonn: every point.s two nearest neighbours are equally far \(r2/r1 = 1\)' \
	    --estimator twonn "$T/grid.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    'mle: every point.s 2 nearest neighbours are equally far' \
	    --estimator mle --k 2 "$T/grid.jsonl"
	# with 3 neighbours the corners see sqrt 2 and 2: finite
	run --separate-stderr nsl-intrinsic-dim --estimator mle --k 3 "$T/grid.jsonl"
	assert_success
}

@test "known dimensions: a 3-sphere and a 5-d Gaussian subspace in 12 dimensions, the perceptron's 6-d inputs" {
	/usr/bin/python3 -c '
import json, numpy as np
r = np.random.default_rng(5)
q, _ = np.linalg.qr(r.standard_normal((12, 12)))
g = r.standard_normal((3000, 4)); s = g / np.linalg.norm(g, axis=1, keepdims=True)
for v in s @ q[:4]: print(json.dumps({"embedding": v.tolist(), "m": "sphere3"}))
for v in r.standard_normal((3000, 5)) @ q[:5]: print(json.dumps({"embedding": v.tolist(), "m": "gauss5"}))
' >"$T/m.jsonl"
	run --separate-stderr nsl-intrinsic-dim --by m "$T/m.jsonl"
	assert_success
	# within 10 %: the bias of either estimator at n = 3000, d <= 5
	for l in 0 1 2 3; do
		m=$(jq -r .by.m <<<"${lines[$l]}")
		want=${m#gauss}; want=${want#sphere}
		close "$(jq .d <<<"${lines[$l]}")" "$want" 0.1
	done
	run --separate-stderr sh -c 'nsl-synth teacher-student --n 3000 --dim 6 --seed 3 |
	    nsl-intrinsic-dim --estimator twonn'
	assert_success
	close "$(jq .d <<<"$output")" 6 0.1
}

@test "--sizes: repeats per size from the group's distinct points, the same bytes for the same seed, other sizes' subsets unchanged" {
	run --separate-stderr nsl-intrinsic-dim --estimator twonn --sizes 50,105 "$FIX/dups.jsonl"
	assert_success
	[ "$(jq -s -c 'map([.n, .sample, .of, .duplicates])' <<<"$output")" = '[[50,0,105,0],[105,0,105,0]]' ]
	check_case "$(sed -n 2p <<<"$output" | jq -c '.duplicates = 16')" dups-twonn
	# the sizes must be at most the distinct points
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    '--sizes 200: more than the 105 distinct points' --sizes 50,200 "$FIX/dups.jsonl"
	run --separate-stderr nsl-intrinsic-dim --sizes 50,100 --repeats 2 "$FIX/torus.jsonl"
	assert_success
	[ "$(jq -s -c 'map([.estimator, .n, .sample, .of])' <<<"$output")" = \
	    '[["twonn",50,0,400],["mle",50,0,400],["twonn",50,1,400],["mle",50,1,400],["twonn",100,0,400],["mle",100,0,400],["twonn",100,1,400],["mle",100,1,400]]' ]
	a=$output
	run --separate-stderr nsl-intrinsic-dim --sizes 50,100 --repeats 2 "$FIX/torus.jsonl"
	[ "$output" = "$a" ]
	run --separate-stderr nsl-intrinsic-dim --sizes 100 --repeats 1 "$FIX/torus.jsonl"
	[ "$output" = "$(sed -n 5,6p <<<"$a")" ]
	run --separate-stderr nsl-intrinsic-dim --sizes 50,100 --repeats 2 --seed 1 "$FIX/torus.jsonl"
	[ "$output" != "$a" ]
	# the whole set as its one subset is the plain estimate
	run --separate-stderr nsl-intrinsic-dim --estimator twonn --sizes 400 "$FIX/torus.jsonl"
	check_case "$output" torus-twonn
}

# curve A E ALPHA: sizes 250 * 2^i, i < 8, y = E + A D^-ALPHA
curve() {
	jq -n -c --argjson a "$1" --argjson e "$2" --argjson p "$3" --arg s "$4" \
	    'range(8) | pow(2; .) * 250 | {series: $s, n_train: ., test_error: ($e + $a * pow(.; -$p))}'
}

@test "--regime: a 1/D curve is variance-limited, a D^-0.25 one resolution-limited, a D^-0.6 one neither" {
	{ curve 30 0.1 1 var; curve 2 0.05 0.25 res; curve 3 0.02 0.6 far; } >"$T/c.jsonl"
	run --separate-stderr nsl-intrinsic-dim --regime --by series --alpha 0.25,0.23,0.27 \
	    --bootstrap 200 --fits "$T/fits.jsonl" "$T/c.jsonl"
	assert_success
	[ "${#lines[@]}" -eq 9 ]
	out=$output
	run jq -r '"\(.by.series) \(.part) \(.regime)"' <<<"$out"
	assert_line 'var all variance-limited'
	assert_line 'res all resolution-limited'
	assert_line 'far all neither'
	assert_line 'var large variance-limited'
	assert_line 'res small resolution-limited'
	# halves of 8 sizes: 4 each, 250..2000 and 4000..32000
	run jq -s -c 'map(select(.by.series == "var" and .part != "all")) | map([.part, .from, .to, .points])' <<<"$out"
	assert_output '[["small",250,2000,4],["large",4000,32000,4]]'
	# exact curves: the exponents are recovered
	run jq -r 'select(.part == "all") | "\(.by.series) \(.params.a) \(.params.E)"' "$T/fits.jsonl"
	for l in 0 1 2; do
		set -- ${lines[$l]}
		case $1 in var) close "$2" 1 1e-3; close "$3" 0.1 1e-3 ;;
		res) close "$2" 0.25 1e-3 ;; far) close "$2" 0.6 1e-3 ;; esac
	done
	# four fit records per curve; "predicted" fixes a at alpha
	[ "$(wc -l <"$T/fits.jsonl")" -eq 12 ]
	run jq -c 'select(.part == "predicted" and .by.series == "res") | [.params.a, .fixed, .law]' "$T/fits.jsonl"
	assert_output '[0.25,["a"],"power-offset"]'
	# nsl-plot draws them
	run --separate-stderr nsl-plot --x n_train --y test_error --group series --logx --logy \
	    --fit "$T/fits.jsonl" --script -o "$T/c.png" "$T/c.jsonl"
	assert_success
}

@test "--regime --predict reads the prediction from an estimate record" {
	# the torus predicts alpha = 4/2; a curve with a = 2 above its floor
	curve 200000 0.05 2.0 res >"$T/c.jsonl"
	nsl-intrinsic-dim --estimator mle --k 5 "$FIX/torus.jsonl" >"$T/pred.json"
	run --separate-stderr nsl-intrinsic-dim --regime --predict "$T/pred.json" --bootstrap 100 "$T/c.jsonl"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	want=$(jq .alpha "$T/pred.json")
	[ "$(jq -s 'map(.predicted) | unique | .[0]' <<<"$output")" = "$want" ]
	[ "$(jq -r 'select(.part == "all") | .regime' <<<"$output")" = resolution-limited ]
	echo '{"d":2}' >"$T/bad.json"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 'bad.json:1: field "interval": missing' \
	    --regime --predict "$T/bad.json" "$T/c.jsonl"
}

@test "--regime: a curve of fewer than 5 sizes, or a loss that is not positive, is bad data" {
	curve 2 0.05 0.5 s | head -n 4 >"$T/c4.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 \
	    '4 distinct values of "n_train": the halves need at least 5' --regime --alpha 0.5 "$T/c4.jsonl"
	printf '{"n_train":10,"test_error":0}\n' >"$T/z.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 'z.jsonl:1: field "test_error": must be positive' \
	    --regime --alpha 0.5 "$T/z.jsonl"
}

@test "usage errors: options of the other mode, a missing prediction, bad lists and numbers" {
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--k does not go with --regime' --regime --alpha 1 --k 5
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--x needs --regime' --x D "$FIX/torus.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--regime needs --predict FILE or --alpha A' --regime
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--predict and --alpha cannot be used together' \
	    --regime --alpha 1 --predict x
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 "--alpha: expected A or A,LO,HI" --regime --alpha 0.5,0.6,0.7
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 "--estimator: unknown 'pca' \\(twonn or mle\\)" --estimator twonn,pca
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--sizes: expected sizes of at least 3' --sizes 100,2
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--k: 1 is outside \[2, 100000\]' --k 1
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--discard: 1 is outside \[0, 1\)' --discard 1
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 '--repeats goes with --sizes' --repeats 2
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 "unknown option '--bogus'" --bogus
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 64 "--duplicates: unknown 'keep'" --duplicates keep
}

@test "common errors: missing file 66, malformed line 65 with file:line, a short vector 65, /dev/full 74, --help 0" {
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 66 'nope.jsonl' "$T/nope.jsonl"
	{ head -n 3 "$FIX/torus.jsonl"; echo '{"embedding":[1,'; } >"$T/bad.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 'bad.jsonl:4: ' "$T/bad.jsonl"
	{ head -n 3 "$FIX/torus.jsonl"; echo '{"embedding":[1,2]}'; } >"$T/short.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 'short.jsonl:4: ' "$T/short.jsonl"
	{ head -n 3 "$FIX/torus.jsonl"; echo '{"embedding":[1,2,NaN,4,5,6,7]}'; } >"$T/nan.jsonl"
	nsl_fails_cleanly nsl-intrinsic-dim out.jsonl 65 'nan.jsonl:4: ' "$T/nan.jsonl"
	run --separate-stderr sh -c "nsl-intrinsic-dim '$FIX/torus.jsonl' >/dev/full"
	[ "$status" -eq 74 ]
	run --separate-stderr nsl-intrinsic-dim --help
	assert_success
	[[ "${lines[0]}" == "usage: nsl-intrinsic-dim "* ]]
	# -o is atomic and reads standard input
	run --separate-stderr sh -c "nsl-intrinsic-dim --estimator twonn -o '$T/o.jsonl' < '$FIX/torus.jsonl'"
	assert_success
	check_case "$(cat "$T/o.jsonl")" torus-twonn
}

@test "man page: lint clean, and its EXAMPLES run" {
	local man="$TESTS_DIR/../man/nsl-intrinsic-dim.1"
	cd "$T"
	ln -s "$TESTS_DIR" tests
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /s/^\.Dl \$ //p' "$man" | sed 's/\\e/\\/g' >examples.sh
	[ "$(wc -l <examples.sh)" -eq 6 ]
	run --separate-stderr sh -e examples.sh
	assert_success
	# the torus is 2-d: the reference's estimates; the 8-d Gaussian's
	# estimate at n = 4000 within 10 %; the 1/D curve is variance-limited
	close "$(jq '.[1]' <<<"${lines[0]}")" "$(jq '.["torus-twonn"].d' "$FIX/ref.json")" 1e-9
	close "$(jq '.[1]' <<<"${lines[1]}")" "$(jq '.["torus-mle-k20-level0.9-c2"].d' "$FIX/ref.json")" 1e-9
	close "$(jq '.[1]' <<<"${lines[6]}")" 8 0.1
	[ "$(jq -c '.[0]' <<<"${lines[6]}")" = 4000 ]
	assert_line 'all	1	variance-limited'
	close "${lines[10]#a=}" "$(jq '4 / .["torus-mle-k20-level0.9-c2"].d' "$FIX/ref.json")" 1e-9
	run mandoc -Tlint -Wwarning "$man"
	assert_output ''
}
