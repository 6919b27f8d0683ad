#!/usr/bin/env bats
# nsl-prune's coreset strategies (k-center, herding, facility-location,
# facility-stochastic): hand-worked cases, the selections of an
# independent numpy reference (fixtures/prune/coreset_ref.py, which also
# checks the greedy guarantees against brute-force optima), determinism
# per seed, lazy greedy = plain greedy when the similarities are not
# stored, and the bad inputs.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/prune"
IN="$FIX/coreset-in.jsonl"

setup() {
	T=$BATS_TEST_TMPDIR
}

# ids FILE: the "id" values of the records, sorted numerically, one line
ids() {
	sed 's/.*"id":\([0-9]*\).*/\1/' "$1" | sort -n | tr '\n' ' ' |
	    sed 's/ $//'
}

# line1d V...: records {"id":i,"embedding":[V_i]}
line1d() {
	local i=0 v
	for v in "$@"; do
		echo "{\"id\":$i,\"embedding\":[$v]}"
		i=$((i + 1))
	done
}

fails_cleanly() {
	nsl_fails_cleanly nsl-prune o.jsonl "$@"
}

@test "herding, hand-worked: 0..4 keeps 2, then 1 (tie with 3: the earlier), then 3" {
	line1d 0 1 2 3 4 >"$T/in"
	# mean 2: t=0 nearest 2 is id 2; t=1 r = 2*2 - 2 = 2: ids 1 and 3 at
	# distance 1, the earlier; t=2 r = 3*2 - 3 = 3: id 3
	nsl-prune --strategy herding --keep 1 "$T/in" >"$T/o"
	assert_equal "$(ids "$T/o")" "2"
	nsl-prune --strategy herding --keep 2 "$T/in" >"$T/o"
	assert_equal "$(ids "$T/o")" "1 2"
	nsl-prune --strategy herding --keep 3 "$T/in" >"$T/o"
	assert_equal "$(ids "$T/o")" "1 2 3"
}

@test "k-center, hand-worked: three clusters on a line, one centre each, whatever the seed" {
	line1d 0 1 2 10 11 20 >"$T/in"
	for seed in 1 2 3 4 5 6 7 8; do
		nsl-prune --strategy k-center --keep 3 --seed $seed "$T/in" >"$T/o"
		run ids "$T/o"
		[[ "$output" =~ ^[012]\ (3|4)\ 5$ ]] ||
			fail "seed $seed: kept $output, not one of {0,1,2}, {3,4}, {5}"
	done
	# from id 3 (10): 0 and 20 tie at distance 10, the earlier (id 0),
	# then 20; from id 1 (x = 1): 20, then 10 (9 from 1, tie with 11: the
	# earlier): among the seeds both occur or the rule is not per start
	for seed in $(seq 1 40); do
		nsl-prune --strategy k-center --keep 3 --seed $seed "$T/in" |
		    sed 's/.*"id":\([0-9]*\).*/\1/' | tr '\n' ' '
		echo
	done | sort -u >"$T/all"
	grep -qx '0 3 5 ' "$T/all"
	grep -qx '1 3 5 ' "$T/all"
	grep -qx '2 4 5 ' "$T/all"
}

@test "herding --keep 8 and --by label: the numpy reference's rows" {
	nsl-prune --strategy herding --keep 8 "$IN" >"$T/o"
	assert_equal "$(ids "$T/o")" "$(cat "$FIX/coreset-herding-8.ids")"
	nsl-prune --strategy herding --by label --keep-fraction 0.25 "$IN" >"$T/o"
	assert_equal "$(ids "$T/o")" "$(cat "$FIX/coreset-herding-by.ids")"
}

@test "facility-location (lazy greedy) --keep 6 and --by label: plain greedy's rows" {
	nsl-prune --strategy facility-location --keep 6 "$IN" >"$T/o"
	assert_equal "$(ids "$T/o")" "$(cat "$FIX/coreset-facility-6.ids")"
	nsl-prune --strategy facility-location --by label --keep-fraction 0.25 \
	    "$IN" >"$T/o"
	assert_equal "$(ids "$T/o")" "$(cat "$FIX/coreset-facility-by.ids")"
}

@test "facility-stochastic with a sample of every row left is plain greedy" {
	# (n/m) ln(1/1e-300) = 6 x 690.8: more than the 36 rows
	nsl-prune --strategy facility-stochastic --eps 1e-300 --keep 6 --seed 9 \
	    "$IN" >"$T/o"
	assert_equal "$(ids "$T/o")" "$(cat "$FIX/coreset-facility-6.ids")"
}

@test "k-center --keep 5: the reference's selection from some start; each seed the same bytes" {
	for seed in 0 1 2 3; do
		nsl-prune --strategy k-center --keep 5 --seed $seed "$IN" >"$T/o"
		grep -qxF "$(ids "$T/o")" "$FIX/coreset-kcenter-5.ids" ||
			fail "seed $seed: $(ids "$T/o") is no start's selection"
		nsl-prune --strategy k-center --keep 5 --seed $seed "$IN" >"$T/o2"
		cmp "$T/o" "$T/o2"
	done
}

@test "k-center --by label: each class's rows are the reference's from a start in it" {
	nsl-prune --strategy k-center --by label --keep-fraction 0.25 --seed 4 \
	    "$IN" >"$T/o"
	for c in 0 1 2; do
		got=$(grep "\"label\":$c," "$T/o" | sed 's/.*"id":\([0-9]*\).*/\1/' |
		    sort -n | tr '\n' ' ' | sed 's/ $//')
		grep -qxF "$c: $got" "$FIX/coreset-kcenter-by.ids" ||
			fail "class $c: $got is no start's selection"
	done
}

@test "a float32 .npy through --vectors (rows held as float32): the numpy reference's rows" {
	# the fixture's numbers are multiples of 1/1024 below 16, float32
	# exactly: the .npy holds the very numbers the reference read
	nsl-convert --to npy --float32 --field embedding -o "$T/x.npy" "$IN"
	sed 's/,"embedding":\[[^]]*\]//' "$IN" >"$T/ids.jsonl"
	cd "$T"
	nsl-prune --strategy herding --keep 8 --vectors x.npy ids.jsonl >o
	assert_equal "$(ids o)" "$(cat "$FIX/coreset-herding-8.ids")"
	nsl-prune --strategy herding --by label --keep-fraction 0.25 \
	    --vectors x.npy ids.jsonl >o
	assert_equal "$(ids o)" "$(cat "$FIX/coreset-herding-by.ids")"
	nsl-prune --strategy facility-location --keep 6 --vectors x.npy \
	    ids.jsonl >o
	assert_equal "$(ids o)" "$(cat "$FIX/coreset-facility-6.ids")"
	nsl-prune --strategy facility-location --by label --keep-fraction 0.25 \
	    --vectors x.npy ids.jsonl >o
	assert_equal "$(ids o)" "$(cat "$FIX/coreset-facility-by.ids")"
	nsl-prune --strategy facility-stochastic --eps 1e-300 --keep 6 --seed 9 \
	    --vectors x.npy ids.jsonl >o
	assert_equal "$(ids o)" "$(cat "$FIX/coreset-facility-6.ids")"
	for seed in 0 1 2 3; do
		nsl-prune --strategy k-center --keep 5 --seed $seed \
		    --vectors x.npy ids.jsonl >o
		grep -qxF "$(ids o)" "$FIX/coreset-kcenter-5.ids" ||
			fail "seed $seed: $(ids o) is no start's selection"
	done
}

@test "facility-stochastic: the same seed the same bytes, the budget exactly, near the greedy value" {
	nsl-prune --strategy facility-stochastic --keep 6 --seed 1 "$IN" >"$T/a"
	nsl-prune --strategy facility-stochastic --keep 6 --seed 1 "$IN" >"$T/b"
	cmp "$T/a" "$T/b"
	run grep -c . "$T/a"
	assert_output 6
	# other seeds draw other samples: some selection differs
	for seed in 2 3 4 5 6 7 8 9; do
		nsl-prune --strategy facility-stochastic --keep 6 --eps 0.5 \
		    --seed $seed "$IN" | cmp -s - "$T/a" || return 0
	done
	fail "eight seeds chose the same rows"
}

@test "facility-location without the stored similarities (n = 6000) chooses as plain greedy" {
	# 6000 rows: 288 MB of similarities, over the 256 MB that are
	# stored, so gains are computed on the fly; lazy greedy must choose
	# what every-candidate greedy (stochastic with a full sample) does
	awk 'BEGIN { for (i = 0; i < 6000; i++) printf "{\"id\":%d,\"embedding\":[%.6f,%.6f]}\n", i, sin(i * 1.7), cos(i * 0.31) + i / 6000 }' >"$T/in"
	nsl-prune --strategy facility-location --keep 3 "$T/in" >"$T/a"
	nsl-prune --strategy facility-stochastic --eps 1e-300 --keep 3 "$T/in" >"$T/b"
	cmp "$T/a" "$T/b"
	run grep -c . "$T/a"
	assert_output 3
}

@test "--report: kept counts per group, no score range" {
	run --separate-stderr nsl-prune --strategy herding --by label --keep 9 \
	    --report "$IN"
	assert_success
	[[ "$stderr" == *"group 0: kept "*" of "* ]] || fail "$stderr"
	[[ "$stderr" != *score* ]] || fail "$stderr"
}

@test "bad input: missing or uneven vectors 65 at file:line; budget and --eps 64" {
	line1d 0 1 2 >"$T/in"
	echo '{"id":3}' >>"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:4: missing field \"embedding\"\$" \
	    --strategy herding --keep 1 "$T/in"
	line1d 0 1 >"$T/in"
	echo '{"id":2,"embedding":[1,2]}' >>"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:3: field \"embedding\": 2 numbers, expected 1" \
	    --strategy k-center --keep 1 "$T/in"
	echo '{"id":0,"embedding":[1e999]}' >"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:1: " --strategy facility-location \
	    --keep 1 "$T/in"
	line1d 0 1 2 >"$T/in"
	fails_cleanly 65 '^nsl-prune: .*--keep 4: only 3 records$' \
	    --strategy facility-location --keep 4 "$T/in"
	fails_cleanly 64 '^nsl-prune: how many to keep' --strategy herding "$T/in"
	fails_cleanly 64 '^nsl-prune: --eps must be in \(0, 1\)' \
	    --strategy facility-stochastic --eps 1 --keep 1 "$T/in"
	fails_cleanly 66 '^nsl-prune: ' --strategy herding --keep 1 "$T/nope"
}

@test "--field names the vectors; every other byte of a kept line is kept" {
	echo '{"v":[0],"x":"a"}' >"$T/in"
	echo '{"v":[5],"x":"b"}' >>"$T/in"
	echo '{"v":[10],"x":"c"}' >>"$T/in"
	run -0 nsl-prune --strategy herding --field v --keep 1 "$T/in"
	assert_output '{"v":[5],"x":"b"}'
}
