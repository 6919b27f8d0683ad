#!/usr/bin/env bats
# nsl-compare: a known crossover found within its interval, the pruning
# demo's keep-easy/keep-hard crossover, the grid, bad input.

load helper

setup() {
	require_prog jq jq
	F="$TESTS_DIR/fixtures/compare"
}

@test "golden cases: crossover, its interval, P(A < B) and the grid of laws written by hand" {
	golden "$F/compare.test"
	assert_success
}

fit() {
	nsl-fit -q --law power-offset --bootstrap 200 "$@"
}

@test "a synthetic pair with a known crossover (x = 625 by hand) is found within its interval" {
	fit "$F/synth-a.jsonl" > "$BATS_TEST_TMPDIR/a.json"
	fit "$F/synth-b.jsonl" > "$BATS_TEST_TMPDIR/b.json"
	run nsl-compare --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/b.json" --at 1e5
	assert_success
	run jq -e '.crossings == 1 and .crossover_lo < 625 and 625 < .crossover_hi and
	    .crossover_lo <= .crossover and .crossover <= .crossover_hi and
	    .p_crossover > 0.9 and .p_a_lower > 0.95 and .delta_at < 0' <<<"$output"
	assert_success
	# A is the higher one below the crossover: P(A < B) near 0 there
	run nsl-compare --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/b.json" --at 20
	run jq -e '.p_a_lower < 0.05 and .delta_at > 0' <<<"$output"
	assert_success
}

@test "the pruning demo: keep-easy and keep-hard halves cross between 2000 and 4000 examples kept" {
	# test errors of examples/pruning-curve's table (keep fraction 0.5)
	for s in easy hard; do
		jq -c "select(.series == \"$s f=0.5\")" "$F/pruning-f0.5.jsonl" |
		    fit --loss log-ls --x n_train --y test_error > "$BATS_TEST_TMPDIR/$s.json"
	done
	run nsl-compare --a "$BATS_TEST_TMPDIR/easy.json" --b "$BATS_TEST_TMPDIR/hard.json" --at 16000
	assert_success
	run jq -e '.crossings == 1 and .crossover > 2000 and .crossover < 4000 and
	    .crossover_lo < .crossover and .crossover < .crossover_hi and
	    .p_a_lower < 0.05' <<<"$output"
	assert_success
}

@test "--grid: points over the range, the band around the difference, log-spaced" {
	fit "$F/synth-a.jsonl" > "$BATS_TEST_TMPDIR/a.json"
	fit "$F/synth-b.jsonl" > "$BATS_TEST_TMPDIR/b.json"
	run nsl-compare --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/b.json" --grid 5 --from 10 --to 1e5
	assert_success
	[ "${#lines[@]}" -eq 5 ]
	run jq -s -e '. as $p | [10, 100, 1000, 10000, 100000] as $w |
	    all(range(5); ($p[.].x / $w[.] - 1 | fabs) < 1e-12) and
	    all(.[]; .delta_lo <= .delta and .delta <= .delta_hi and
	        ((.a - .b) - .delta | fabs) < 1e-12)' <<<"$output"
	assert_success
}

@test "bad input: fits of different variables, no bootstrap, two records, usage, missing file, /dev/full" {
	fit "$F/synth-a.jsonl" > "$BATS_TEST_TMPDIR/a.json"
	jq -c '.x = ["N"] | .range = {N: .range.x}' "$BATS_TEST_TMPDIR/a.json" > "$BATS_TEST_TMPDIR/n.json"
	nsl_fails_cleanly nsl-compare o.jsonl 65 'fits of different variables: .*a.json is over "x", .*n.json over "N"' \
	    --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/n.json"
	jq -c '.y = "loss"' "$BATS_TEST_TMPDIR/a.json" > "$BATS_TEST_TMPDIR/l.json"
	nsl_fails_cleanly nsl-compare o.jsonl 65 'fits of different measures' \
	    --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/l.json"
	jq -c 'del(.bootstrap)' "$BATS_TEST_TMPDIR/a.json" > "$BATS_TEST_TMPDIR/nb.json"
	nsl_fails_cleanly nsl-compare o.jsonl 65 'nb.json:1: the fit has no bootstrap samples' \
	    --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/nb.json"
	cat "$BATS_TEST_TMPDIR/a.json" "$BATS_TEST_TMPDIR/a.json" > "$BATS_TEST_TMPDIR/two.json"
	nsl_fails_cleanly nsl-compare o.jsonl 65 'two.json:2: more than one fit record' \
	    --a "$BATS_TEST_TMPDIR/two.json" --b "$BATS_TEST_TMPDIR/a.json"
	printf '{"law":\n' > "$BATS_TEST_TMPDIR/bad.json"
	nsl_fails_cleanly nsl-compare o.jsonl 65 'bad.json:1:' \
	    --a "$BATS_TEST_TMPDIR/bad.json" --b "$BATS_TEST_TMPDIR/a.json"
	nsl_fails_cleanly nsl-compare o.jsonl 66 'nope' \
	    --a "$BATS_TEST_TMPDIR/nope.json" --b "$BATS_TEST_TMPDIR/a.json"
	nsl_fails_cleanly nsl-compare o.jsonl 64 'required' --a "$BATS_TEST_TMPDIR/a.json"
	nsl_fails_cleanly nsl-compare o.jsonl 64 'below --to' \
	    --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/a.json" --from 10 --to 5
	nsl_fails_cleanly nsl-compare o.jsonl 65 'no range' \
	    --a "$BATS_TEST_TMPDIR/a.json" --b "$BATS_TEST_TMPDIR/a.json" --from 1e9 --to 1e10 --grid 2 --from -1
	run bash -c "nsl-compare --a '$BATS_TEST_TMPDIR/a.json' --b '$BATS_TEST_TMPDIR/a.json' > /dev/full"
	[ "$status" -eq 74 ]
	run nsl-compare --help
	assert_success
	assert_output --partial 'usage: nsl-compare'
}
