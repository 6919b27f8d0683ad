#!/usr/bin/env bats
# nsl-optimum: profile optima (golden cases), the bootstrap, Chinchilla's
# approach 2 on the Epoch points, bad input.

load helper

setup() {
	require_prog jq jq
}

@test "golden cases: vertices by hand and by numpy.polyfit, edge and concave profiles" {
	golden "$TESTS_DIR/fixtures/optimum/optimum.test"
	assert_success
}

chinchilla() {
	nsl-convert "$DATA/svg_extracted_data.csv" |
	    jq -c '{N: .["Model Size"], C: .["Training FLOP"], D: (.["Training FLOP"]/(6*.["Model Size"])), loss}'
}

# Hoffmann et al.'s nine IsoFLOP budgets (their Figure 3)
BUDGETS=6e18,1e19,3e19,6e19,1e20,3e20,6e20,1e21,3e21

@test "approach 2 on the Chinchilla points: N_opt and D_opt exponents near the paper's 0.49 and 0.51" {
	chinchilla > "$BATS_TEST_TMPDIR/c.jsonl"
	run nsl-optimum -q --x N --bin C --centers "$BUDGETS" --width 0.15 --bootstrap 100 \
	    --law-output "$BATS_TEST_TMPDIR/n.json" "$BATS_TEST_TMPDIR/c.jsonl"
	assert_success
	run nsl-optimum -q --x D --bin C --centers "$BUDGETS" --width 0.15 --bootstrap 100 \
	    --law-output "$BATS_TEST_TMPDIR/d.json" "$BATS_TEST_TMPDIR/c.jsonl"
	assert_success
	a=$(jq .params.a "$BATS_TEST_TMPDIR/n.json")
	b=$(jq .params.a "$BATS_TEST_TMPDIR/d.json")
	# the published values are 0.49 and 0.51 (Hoffmann et al. 2022,
	# Table 2); on the digitised points within 0.1, and a + b near 1
	# since D = C / 6N within a budget
	awk -v a="$a" -v b="$b" 'BEGIN { exit !(a > 0.39 && a < 0.59 && b > 0.41 && b < 0.61 && a + b > 0.9 && a + b < 1.1) }' ||
	    fail "a = $a, b = $b"
	# every interval holds its point value
	run jq -e '.intervals.a[0] <= .params.a and .params.a <= .intervals.a[1]' "$BATS_TEST_TMPDIR/n.json"
	assert_success
}

@test "the law record reads back: nsl-extrapolate predicts N_opt at a budget" {
	printf '%s\n' '{"C":1e18,"N":1e7,"loss":8.301898110478403}' \
	    '{"C":1e18,"N":3e7,"loss":4.449550513556467}' '{"C":1e18,"N":1e8,"loss":3}' \
	    '{"C":1e18,"N":3e8,"loss":4.206948960812577}' '{"C":1e18,"N":1e9,"loss":8.301898110478387}' \
	    '{"C":1e20,"N":1e8,"loss":8.301898110478403}' '{"C":1e20,"N":3e8,"loss":4.449550513556467}' \
	    '{"C":1e20,"N":1e9,"loss":3}' '{"C":1e20,"N":3e9,"loss":4.206948960812577}' \
	    '{"C":1e20,"N":1e10,"loss":8.301898110478387}' > "$BATS_TEST_TMPDIR/p.jsonl"
	nsl-optimum --x N --by C --law-output "$BATS_TEST_TMPDIR/l.json" "$BATS_TEST_TMPDIR/p.jsonl" > /dev/null
	# 0.1 * 1e22^0.5 = 1e10
	run nsl-extrapolate --fit "$BATS_TEST_TMPDIR/l.json" --pred-field N_opt <<<'{"C":1e22}'
	assert_success
	run jq -e '(.N_opt - 1e10) | fabs < 1e2' <<<"$output"
	assert_success
}

@test "same seed, same bytes; another seed, other intervals" {
	f="$TESTS_DIR/fixtures/optimum/noisy.jsonl"
	one=$(nsl-optimum --x N --by C --bootstrap 50 --seed 3 "$f")
	two=$(nsl-optimum --x N --by C --bootstrap 50 --seed 3 "$f")
	three=$(nsl-optimum --x N --by C --bootstrap 50 --seed 4 "$f")
	[ "$one" = "$two" ]
	[ "$one" != "$three" ]
	run jq -e 'select(.N_opt_lo <= .N_opt and .N_opt <= .N_opt_hi) | .valid > 40' <<<"$one"
	assert_success
	[ "${#lines[@]}" -eq 2 ]
}

@test "errors: usage 64, missing file 66, malformed line 65, /dev/full 74, --help 0" {
	f="$TESTS_DIR/fixtures/optimum/noisy.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'bad option|unknown option|unrecognized' --bogus "$f"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'required' "$f"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'exclude each other' --x N --by C --bin C "$f"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'group field is --x' --x N --by N "$f"
	nsl_fails_cleanly nsl-optimum o.jsonl 66 'nope' --x N "$BATS_TEST_TMPDIR/nope.jsonl"
	printf '{"N":1,"loss":2}\n{"N":2,\n' > "$BATS_TEST_TMPDIR/bad.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 65 'bad.jsonl:2:' --x N "$BATS_TEST_TMPDIR/bad.jsonl"
	printf '{"N":-1,"loss":2}\n' > "$BATS_TEST_TMPDIR/neg.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 65 'neg.jsonl:1: field "N": must be a positive' --x N "$BATS_TEST_TMPDIR/neg.jsonl"
	run bash -c "nsl-optimum --x N --by C '$f' > /dev/full"
	[ "$status" -eq 74 ]
	run nsl-optimum --help
	assert_success
	assert_output --partial 'usage: nsl-optimum'
}

@test "a profile with its minimum at the edge is an error naming the group; --skip leaves it out of the law" {
	f="$TESTS_DIR/fixtures/optimum/noisy.jsonl"
	# cut the C = 1e20 profile below its vertex (2e9): its minimum is at the edge
	jq -c 'select(.C == 1e18 or .N < 1.5e9)' "$f" > "$BATS_TEST_TMPDIR/cut.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 65 'group C=1e\+20: the parabola.s minimum N = .* is not inside the sampled range' \
	    --x N --by C "$BATS_TEST_TMPDIR/cut.jsonl"
	run --separate-stderr nsl-optimum --x N --by C --skip "$BATS_TEST_TMPDIR/cut.jsonl"
	assert_success
	[[ "$stderr" == *"C=1e+20"*"left out"* ]]
	[ "$(jq -r .status <<<"${lines[1]}")" = edge ]
	nsl_fails_cleanly nsl-optimum o.jsonl 65 'no power law' -q --x N --by C --skip \
	    --law-output "$BATS_TEST_TMPDIR/out/law.json" "$BATS_TEST_TMPDIR/cut.jsonl"
}

@test "lr_opt(N, D): --by N,D golden cases from a known law (make-lr2.py): vertices, k N^a D^b, read back, a collinear design" {
	golden "$TESTS_DIR/fixtures/optimum/lr2.test"
	assert_success
}

@test "--by N,D --bootstrap: the law's samples have k, a and b, its intervals hold the point values" {
	sed -n 's/^< //p' "$TESTS_DIR/fixtures/optimum/lr2.test" | head -63 > "$BATS_TEST_TMPDIR/lr.jsonl"
	run nsl-optimum -q --x lr --by N,D --bootstrap 20 --law-output "$BATS_TEST_TMPDIR/law.json" "$BATS_TEST_TMPDIR/lr.jsonl"
	assert_success
	groups=$output
	run jq -e '(.bootstrap.samples | length == 20 and all(length == 3)) and
	    (.params | keys_unsorted == ["k", "a", "b"]) and
	    (.intervals.b[0] <= .params.b + 1e-9 and .params.b - 1e-9 <= .intervals.b[1])' "$BATS_TEST_TMPDIR/law.json"
	assert_success
	# the group records parse back through the pair's two fields
	run jq -se 'length == 9 and all(.group == "N,D" and .B == 20 and .N > 0 and .D > 0)' <<<"$groups"
	assert_success
}

@test "--by N,D errors: malformed pairs are usage errors, a non-positive second field is bad data" {
	echo '{"N":1,"D":0,"lr":1,"loss":1}' > "$BATS_TEST_TMPDIR/d0.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'one field or two' --x lr --by N,D,E "$BATS_TEST_TMPDIR/d0.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'one field or two' --x lr --by N, "$BATS_TEST_TMPDIR/d0.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'two different fields' --x lr --by N,N "$BATS_TEST_TMPDIR/d0.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 64 'the group field is --x or --y' --x lr --by N,lr "$BATS_TEST_TMPDIR/d0.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 65 'd0.jsonl:1: field "D": must be a positive number' --x lr --by N,D "$BATS_TEST_TMPDIR/d0.jsonl"
	echo '{"N":1,"lr":1,"loss":1}' > "$BATS_TEST_TMPDIR/nod.jsonl"
	nsl_fails_cleanly nsl-optimum o.jsonl 65 'nod.jsonl:1: .*"D"' --x lr --by N,D "$BATS_TEST_TMPDIR/nod.jsonl"
}
