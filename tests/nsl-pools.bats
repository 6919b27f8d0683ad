#!/usr/bin/env bats
# nsl-pools: the mixed-pool law worked by hand, the union per budget
# against a brute force written apart, the choice from fitted small
# runs, bad input.

load helper

setup() {
	require_prog jq jq
	F="$TESTS_DIR/fixtures/pools"
}

@test "golden cases: two pools mixed by hand; the best union, prefix and single pool per budget match make-pools.py's brute force" {
	golden "$F/pools.test"
	assert_success
}

@test "from small runs: data-filter fitted per bucket picks the union the true laws pick (q1 at 1e3, q1+q2+q4 at 1e5)" {
	nsl-fit -q --law data-filter --loss log-ls --by bucket "$F/runs.jsonl" > "$BATS_TEST_TMPDIR/f.fit"
	run nsl-pools --fit "$BATS_TEST_TMPDIR/f.fit" --pools "$F/buckets.jsonl" <<<'{"n":1e3}
{"n":1e5}'
	assert_success
	run jq -sc 'map(.pools)' <<<"$output"
	assert_output '[["q1"],["q1","q2","q4"]]'
}

@test "input records keep their fields; the answer's fields are replaced, not doubled" {
	run nsl-pools --fit "$F/buckets.fit" --pools "$F/buckets.jsonl" --unions single <<<'{"id":7,"pred":1,"n":1000,"pools":0}'
	assert_success
	run jq -c 'keys_unsorted' <<<"$output"
	assert_output '["id","n","pools","P","pred"]'
}

@test "bad input: another law, a pool without a fit or twice, bad sizes and budgets, too many pools, usage, missing file, /dev/full" {
	T=$BATS_TEST_TMPDIR
	echo '{"n":1000}' > "$T/q.jsonl"
	echo '{"law":"power","x":["x"],"y":"y","params":{"A":1,"a":0.5}}' > "$T/power.fit"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'power.fit:1: law "power": expected data-filter' \
	    --fit "$T/power.fit" --pools "$F/buckets.jsonl" "$T/q.jsonl"
	echo '{"bucket":"q9","P":10}' > "$T/q9.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'q9.jsonl:1: no fit for this pool' \
	    --fit "$F/buckets.fit" --pools "$T/q9.jsonl" "$T/q.jsonl"
	printf '%s\n' '{"bucket":"q1","P":10}' '{"bucket":"q1","P":10}' > "$T/twice.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'twice.jsonl:2: pool listed twice' \
	    --fit "$F/buckets.fit" --pools "$T/twice.jsonl" "$T/q.jsonl"
	echo '{"bucket":"q1","P":0}' > "$T/zero.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'zero.jsonl:1: field "P": expected a positive number' \
	    --fit "$F/buckets.fit" --pools "$T/zero.jsonl" "$T/q.jsonl"
	echo '{"bucket":"q1"}' > "$T/nosize.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'nosize.jsonl:1: .*"P"' \
	    --fit "$F/buckets.fit" --pools "$T/nosize.jsonl" "$T/q.jsonl"
	echo '{"n":-5}' > "$T/neg.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'neg.jsonl:1: field "n": expected a positive number' \
	    --fit "$F/buckets.fit" --pools "$F/buckets.jsonl" "$T/neg.jsonl"
	echo '{"m":5}' > "$T/nobudget.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'nobudget.jsonl:1: .*"n"' \
	    --fit "$F/buckets.fit" --pools "$F/buckets.jsonl" "$T/nobudget.jsonl"
	for i in $(seq 21); do echo "{\"law\":\"data-filter\",\"x\":[\"n\",\"P\"],\"y\":\"y\",\"by\":{\"bucket\":$i},\"params\":{\"a\":1,\"b\":-0.5,\"tau\":1,\"d\":0.1}}"; done > "$T/21.fit"
	for i in $(seq 21); do echo "{\"bucket\":$i,\"P\":10}"; done > "$T/21.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 65 '21 pools: --unions all takes at most 20' \
	    --fit "$T/21.fit" --pools "$T/21.jsonl" "$T/q.jsonl"
	run nsl-pools --fit "$T/21.fit" --pools "$T/21.jsonl" --unions prefix "$T/q.jsonl"
	assert_success
	printf '{"law":\n' > "$T/bad.fit"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'bad.fit:1:' \
	    --fit "$T/bad.fit" --pools "$F/buckets.jsonl" "$T/q.jsonl"
	: > "$T/empty.fit"
	nsl_fails_cleanly nsl-pools o.jsonl 65 'no fit record' \
	    --fit "$T/empty.fit" --pools "$F/buckets.jsonl" "$T/q.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 66 'nope' \
	    --fit "$T/nope.fit" --pools "$F/buckets.jsonl" "$T/q.jsonl"
	nsl_fails_cleanly nsl-pools o.jsonl 64 'required' --fit "$F/buckets.fit"
	nsl_fails_cleanly nsl-pools o.jsonl 64 'unions' \
	    --fit "$F/buckets.fit" --pools "$F/buckets.jsonl" --unions some
	nsl_fails_cleanly nsl-pools o.jsonl 64 'one input file' \
	    --fit "$F/buckets.fit" --pools "$F/buckets.jsonl" "$T/q.jsonl" "$T/q.jsonl"
	run bash -c "nsl-pools --fit '$F/buckets.fit' --pools '$F/buckets.jsonl' '$T/q.jsonl' > /dev/full"
	[ "$status" -eq 74 ]
	run nsl-pools --help
	assert_success
	assert_output --partial 'usage: nsl-pools'
}
