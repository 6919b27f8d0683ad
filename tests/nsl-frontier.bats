#!/usr/bin/env bats
# nsl-frontier: the frontier of a synthetic study and its verdict, both
# known by formula (tests/fixtures/frontier/gen.py): an exponential
# frontier that beats the unpruned power law, and a power law where
# pruning never wins; the records read back; bad input.

load helper

setup() {
	require_prog jq jq
	F="$TESTS_DIR/fixtures/frontier"
}

@test "the frontier is the best run at each kept size: the formula's points, fractions and run counts" {
	run nsl-frontier -q --bootstrap 50 --points "$BATS_TEST_TMPDIR/p.jsonl" "$F/exp.jsonl"
	assert_success
	run jq -s -e --slurpfile e "$F/expected.json" '
	    length == 6 and ([.[] | [.n_train, .test_error, .f]] == $e[0].exp) and
	    all(.[]; .frontier_runs == 3 and .strategy == "hard" and
	        .size == (.n_train / .f))' "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
}

@test "an exponential frontier: exp-offset fits it exactly, it beats the unpruned power law, f* shrinks" {
	run nsl-frontier -q --fits "$BATS_TEST_TMPDIR/f.jsonl" "$F/exp.jsonl"
	assert_success
	# F(x) = 0.02 + 0.2 exp(-x/800), U(x) = 0.05 + 2 x^-0.5 (gen.py)
	run jq -e '.verdict == "exponential" and .beats and .best_law == "exp-offset" and
	    .holdout_rmsle["exp-offset"] < 1e-6 and .holdout_rmsle["power-offset"] > 0.1 and
	    .holdout_rmsle.bnsl == null and .points == 6 and .unpruned == 6 and
	    .at == 3200 and .p_frontier_lower == 1 and
	    (.delta_at - ((0.02 + 0.2 * (-4 | exp)) - (0.05 + 2 / (3200 | sqrt))) | fabs) < 1e-6 and
	    (.a_unpruned - 0.5 | fabs) < 1e-6 and .best_f_slope < 0 and
	    .best_f == [[100,0.5],[200,0.5],[400,0.5],[800,0.25],[1600,0.25],[3200,0.25]]' <<<"$output"
	assert_success
	run jq -s -e 'length == 3 and
	    (map(select(.by.series == "frontier" and .law == "exp-offset"))[0].params |
	        ((.E - 0.02 | fabs) < 1e-6 and (.A - 0.2 | fabs) < 1e-6 and
	         (.b - 1 / 800 | fabs) < 1e-8)) and
	    (map(select(.by.series == "unpruned"))[0] | .law == "power-offset" and
	        (.params.E - 0.05 | fabs) < 1e-6 and (.params.A - 2 | fabs) < 1e-5)' \
	    "$BATS_TEST_TMPDIR/f.jsonl"
	assert_success
}

@test "a plain power law where every pruned run is worse: the frontier is the baseline, verdict none" {
	run nsl-frontier -q --bootstrap 50 --points "$BATS_TEST_TMPDIR/p.jsonl" "$F/power.jsonl"
	assert_success
	run jq -e '.verdict == "none" and (.beats | not) and .best_law == "power-offset" and
	    .p_frontier_lower == 0 and .delta_at == 0 and .best_f_slope == 0 and
	    (.a_frontier - 0.5 | fabs) < 1e-6 and (.a_unpruned - 0.5 | fabs) < 1e-6' <<<"$output"
	assert_success
	run jq -s -e --slurpfile e "$F/expected.json" '
	    [.[] | [.n_train, .test_error, .f]] == $e[0].power and all(.[]; .strategy == "none")' \
	    "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
}

@test "--group size: one point per pool size; a second run gives the same bytes" {
	run nsl-frontier -q --bootstrap 50 --group size --holdout 0 --law exp-offset,power-offset \
	    --points "$BATS_TEST_TMPDIR/p.jsonl" "$F/exp.jsonl"
	assert_success
	a=$output
	# pool sizes 100 .. 12800: each of 100, 200, 400 has its one unpruned
	# run; the pruned winners sit at 2x (f 0.5) or 4x (f 0.25) their kept
	run jq -s -e 'map(.size) == [100,200,400,800,1600,3200,6400,12800]' "$BATS_TEST_TMPDIR/p.jsonl"
	assert_success
	run nsl-frontier -q --bootstrap 50 --group size --holdout 0 --law exp-offset,power-offset "$F/exp.jsonl"
	[ "$output" = "$a" ]
}

@test "bad input: fields, fractions, too few points, usage, missing file, /dev/full, --help" {
	nsl_fails_cleanly nsl-frontier o.jsonl 65 'exp.jsonl:1: .*"n_kept"' --x n_kept "$F/exp.jsonl"
	printf '{"n_train":10,"f":1.5,"test_error":0.1}\n' > "$BATS_TEST_TMPDIR/f.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 65 'f.jsonl:1: field "f": expected a keep fraction in \(0, 1\]' \
	    "$BATS_TEST_TMPDIR/f.jsonl"
	printf '{"n_train":0,"f":1,"test_error":0.1}\n' > "$BATS_TEST_TMPDIR/z.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 65 'z.jsonl:1: field "n_train": expected a positive' \
	    "$BATS_TEST_TMPDIR/z.jsonl"
	printf '{"n_train":10,"f":1,"test_error":NaN}\n' > "$BATS_TEST_TMPDIR/n.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 65 'n.jsonl:1:' "$BATS_TEST_TMPDIR/n.jsonl"
	head -9 "$F/exp.jsonl" > "$BATS_TEST_TMPDIR/few.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 65 '3 frontier points and 3 unpruned x values' \
	    "$BATS_TEST_TMPDIR/few.jsonl"
	grep -v '"none"' "$F/exp.jsonl" > "$BATS_TEST_TMPDIR/nobase.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 65 '0 unpruned x values' "$BATS_TEST_TMPDIR/nobase.jsonl"
	printf '{"n_train":\n' > "$BATS_TEST_TMPDIR/bad.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 65 'bad.jsonl:1:' "$BATS_TEST_TMPDIR/bad.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 66 'nope' "$BATS_TEST_TMPDIR/nope.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 64 "unknown law 'powr'" --law powr "$F/exp.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 64 'bootstrap' --bootstrap 1 "$F/exp.jsonl"
	nsl_fails_cleanly nsl-frontier o.jsonl 64 'one input file' "$F/exp.jsonl" "$F/exp.jsonl"
	run bash -c "nsl-frontier -q --bootstrap 2 '$F/exp.jsonl' > /dev/full"
	[ "$status" -eq 74 ]
	run nsl-frontier --help
	assert_success
	assert_output --partial 'usage: nsl-frontier'
}
