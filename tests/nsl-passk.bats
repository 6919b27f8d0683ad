#!/usr/bin/env bats
# nsl-passk: the estimator against enumeration (golden), counts, groups,
# the bootstrap's determinism, the coverage law on its output, error paths.

load helper

setup() {
	require_prog jq jq
	S="$TESTS_DIR/fixtures/passk/samples.jsonl"
}

fails_cleanly() {
	nsl_fails_cleanly nsl-passk out.jsonl "$@"
}

@test "golden cases: pass@k against enumeration of every k-subset, per sample and from counts (tests/fixtures/passk/passk.test)" {
	golden "$TESTS_DIR/fixtures/passk/passk.test"
}

@test "pass@1 is the mean of c/n: 0, 1, 2, 3 correct of 10 give 0.15; pass@5 the mean of 0, 1/2, 7/9, 11/12" {
	run --separate-stderr bash -c "jq -nc 'range(0;4) as \$p | range(0;10) as \$i | {problem: \$p, correct: (\$i < \$p)}' | nsl-passk --k 1,5 --bootstrap 0"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.k, (.pass_at_k * 1e12 | round / 1e12), .problems, .samples]' <<<"$output")" = "$(printf '%s\n' '[1,0.15,4,40]' "[5,$(awk 'BEGIN { printf "%.12g", (0 + 1/2 + 7/9 + 11/12) / 4 }'),4,40]")" ]
}

@test "the bootstrap interval: the same seed gives the same bytes in any record order, brackets the estimate, narrows with the level" {
	nsl-passk --k 1,5 --seed 7 "$S" > "$BATS_TEST_TMPDIR/a"
	awk '{ a[NR] = $0 } END { for (i = NR; i > 0; i--) print a[i] }' "$S" | nsl-passk --k 1,5 --seed 7 > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	nsl-passk --k 1,5 --seed 8 "$S" > "$BATS_TEST_TMPDIR/c"
	! cmp -s "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/c"
	jq -e '.pass_at_k_lo < .pass_at_k and .pass_at_k < .pass_at_k_hi' "$BATS_TEST_TMPDIR/a"
	nsl-passk --k 1 --seed 7 --level 0.5 "$S" > "$BATS_TEST_TMPDIR/d"
	w95=$(head -1 "$BATS_TEST_TMPDIR/a" | jq '.pass_at_k_hi - .pass_at_k_lo')
	w50=$(jq '.pass_at_k_hi - .pass_at_k_lo' "$BATS_TEST_TMPDIR/d")
	awk -v a="$w50" -v b="$w95" 'BEGIN { exit !(a < b) }'
}

@test "--by reports each group apart, in value order, keeping the value" {
	run --separate-stderr bash -c "printf '%s\n' '{\"m\":\"b\",\"problem\":1,\"correct\":1}' '{\"m\":2,\"problem\":1,\"correct\":0}' '{\"m\":\"b\",\"problem\":1,\"correct\":0}' '{\"m\":2.0,\"problem\":1,\"correct\":1}' '{\"m\":\"b\",\"problem\":2,\"correct\":0}' | nsl-passk --by m --bootstrap 0"
	[ "$status" -eq 0 ]
	# group 2 (2 and 2.0 are one value): one problem, 1 of 2; group "b":
	# problems 1 (1 of 2) and 2 (0 of 1)
	[ "$output" = "$(printf '%s\n' '{"m":2,"k":1,"pass_at_k":0.5,"problems":1,"samples":2}' '{"m":"b","k":1,"pass_at_k":0.25,"problems":2,"samples":3}')" ]
}

@test "the output fits the coverage law: exp(-(k0/k)^b) through pass@k of problems whose rates spread" {
	# 40 problems of 64 draws each, problem p correct on the first p^2/25
	# draws: pass@k rises from 0.3 towards 1 as k grows
	jq -nc 'range(0;40) as $p | range(0;64) as $i | {problem: $p, correct: ($i < ($p * $p / 25 | floor))}' |
	    nsl-passk --k 1,2,4,8,16,32,64 --bootstrap 0 > "$BATS_TEST_TMPDIR/p"
	run --separate-stderr nsl-fit -q --law coverage --y pass_at_k "$BATS_TEST_TMPDIR/p"
	[ "$status" -eq 0 ]
	jq -e '.law == "coverage" and .params.k0 > 0 and .params.b > 0 and .rmsle < 0.1' <<<"$output"
}

@test "bad input: fewer samples than k, c > n, a result that is no boolean, no problem field, no record (65)" {
	fails_cleanly 65 'nsl-passk: .*samples.jsonl: problem "task/[0-9]+": [0-9]+ samples, fewer than k = 20$' --k 1,20 "$S"
	echo '{"problem":1,"n":3,"c":4}' > "$BATS_TEST_TMPDIR/c.jsonl"
	fails_cleanly 65 'c\.jsonl:1: 4 correct of 3 samples$' --counts "$BATS_TEST_TMPDIR/c.jsonl"
	echo '{"problem":1,"n":3.5,"c":1}' > "$BATS_TEST_TMPDIR/c.jsonl"
	fails_cleanly 65 'c\.jsonl:1: field "n": expected a whole number of samples, not 3.5$' --counts "$BATS_TEST_TMPDIR/c.jsonl"
	printf '%s\n' '{"problem":1,"correct":true}' '{"problem":1,"correct":"yes"}' > "$BATS_TEST_TMPDIR/y.jsonl"
	fails_cleanly 65 'y\.jsonl:2: field "correct": expected true, false, 1 or 0$' "$BATS_TEST_TMPDIR/y.jsonl"
	echo '{"correct":true}' > "$BATS_TEST_TMPDIR/n.jsonl"
	fails_cleanly 65 'n\.jsonl:1: missing field "problem"$' "$BATS_TEST_TMPDIR/n.jsonl"
	fails_cleanly 65 'nsl-passk: /dev/null: no record$' /dev/null
	echo '{"problem":1,' > "$BATS_TEST_TMPDIR/m.jsonl"
	fails_cleanly 65 'm\.jsonl:1: ' "$BATS_TEST_TMPDIR/m.jsonl"
}

@test "bad command lines (64), a missing file (66), --help (0), /dev/full (74)" {
	fails_cleanly 64 "nsl-passk: --k: '0' is not a list of positive integers" --k 0 "$S"
	fails_cleanly 64 "nsl-passk: --k: '1,,2' is not a list" --k 1,,2 "$S"
	fails_cleanly 64 'nsl-passk: --k: 5 is given twice' --k 5,5 "$S"
	fails_cleanly 64 'nsl-passk: --level: 1 is outside' --level 1 "$S"
	fails_cleanly 64 'nsl-passk: unrecognized option|nsl-passk: unknown option' --nope "$S"
	fails_cleanly 66 'nsl-passk: .*nope\.jsonl' "$BATS_TEST_TMPDIR/nope.jsonl"
	run nsl-passk --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: nsl-passk "* ]]
	run --separate-stderr bash -c "nsl-passk '$S' > /dev/full"
	[ "$status" -eq 74 ]
}
