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

@test "laws of N and D along a path: --fix D (closed form) and --compute-optimal (golden section, make-paths.py)" {
	golden "$F/paths.test"
	assert_success
}

@test "path errors: --fix syntax is usage; a name of neither law, every variable fixed, N or D fixed along compute, a law without N and D are bad data" {
	T=$BATS_TEST_TMPDIR
	c='{"law":"chinchilla","x":["N","D"],"y":"loss","params":{"A":400,"B":400,"E":1.7,"alpha":0.34,"beta":0.28},"range":{"N":[1e7,1e10],"D":[1e9,1e12]},"bootstrap":{"B":1,"samples":[[400,400,1.7,0.34,0.28]]}}'
	echo "$c" > "$T/c.fit"
	nsl_fails_cleanly nsl-compare o.jsonl 64 "expected NAME=V, got 'D'" --a "$T/c.fit" --b "$T/c.fit" --fix D
	nsl_fails_cleanly nsl-compare o.jsonl 64 "expected NAME=V, got 'D=1e10x'" --a "$T/c.fit" --b "$T/c.fit" --fix D=1e10x
	nsl_fails_cleanly nsl-compare o.jsonl 65 '--fix U: no variable of either fit' --a "$T/c.fit" --b "$T/c.fit" --fix U=1e9
	nsl_fails_cleanly nsl-compare o.jsonl 65 '--fix gives every variable of law chinchilla: leave one free' \
	    --a "$T/c.fit" --b "$T/c.fit" --fix N=1e9,D=1e10
	nsl_fails_cleanly nsl-compare o.jsonl 65 '--fix N: --compute-optimal chooses N and D' \
	    --a "$T/c.fit" --b "$T/c.fit" --fix N=1e9 --compute-optimal
	fit "$F/synth-a.jsonl" > "$T/p.fit"
	nsl_fails_cleanly nsl-compare o.jsonl 65 'law power-offset has no N and D: --compute-optimal needs both' \
	    --a "$T/p.fit" --b "$T/p.fit" --compute-optimal
	# one law over N (D fixed), the other over x: different variables
	nsl_fails_cleanly nsl-compare o.jsonl 65 'fits of different variables: .*c.fit is over "N", .*p.fit over "x"' \
	    --a "$T/c.fit" --b "$T/p.fit" --fix D=1e10
}
