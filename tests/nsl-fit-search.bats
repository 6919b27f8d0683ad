#!/usr/bin/env bats
# nsl-fit --search: the law search (nsl/fit_search.h).  The synthetic data
# and their true forms and parameters are written by
# tests/fixtures/fit/search/make.py (truth.jsonl), never by nsl-fit.

load helper

setup_file() {
	require_prog jq jq
	require_prog gnuplot gnuplot-nox	# nsl-plot
}

FIX="$TESTS_DIR/fixtures/fit/search"

# recover FAMILY: the search over the family's variables, extrapolating
# along the first, finds the true form (the grammar's formula text for
# it) and every true parameter lies in its bootstrap interval.  The
# level, 0.998, is 95% for all 31 parameters of the 9 families together
# (Bonferroni: 1 - 0.05/31 rounded up), so that the check as a whole
# fails by chance at most 5% of the time for an unbiased fit.  The limit
# on parameters is the true form's: larger forms that nest it fit the
# noise of the held-out levels as well, to within it.
recover() {
	local t
	t=$(jq -c --arg f "$1" 'select(.family == $f)' "$FIX/truth.jsonl")
	[ -n "$t" ] || fail "no family $1"
	run --separate-stderr nsl-fit -q --search --loss log-ls \
	    --x "$(jq -r .x <<<"$t")" --extrapolate-along "$(jq -r .along <<<"$t")" \
	    --max-params "$(jq -r .max_params <<<"$t")" --bootstrap 400 \
	    --level 0.998 "$FIX/$(jq -r .data <<<"$t")"
	[ "$status" -eq 0 ] || fail "exit $status: $stderr"
	[ "$(jq -r .formula <<<"$output")" = "$(jq -r .formula <<<"$t")" ] ||
		fail "chose $(jq -r .formula <<<"$output"), want $(jq -r .formula <<<"$t")"
	jq -e --argjson t "$t" '. as $o | [$t.params | to_entries[] |
	    .value >= $o.intervals[.key][0] and
	    .value <= $o.intervals[.key][1]] | all' <<<"$output" >/dev/null ||
		fail "a true value outside its interval: $(jq -c .intervals <<<"$output") truth $(jq -c .params <<<"$t")"
}

@test "power family: E + A size^-a recovered, parameters in their intervals" {
	recover power
}

@test "power family over two variables: chinchilla's form recovered" {
	recover power2
}

@test "composite family: a product of variables as the term recovered" {
	recover composite-product
}

@test "composite family: a ratio with a negative exponent recovered" {
	recover composite-ratio
}

@test "log family: E + A log t recovered" {
	recover log
}

@test "quad family: an optimum in log lr recovered" {
	recover quad
}

@test "exp family: a saturating exponential recovered" {
	recover exp
}

@test "bnsl family: a broken power law recovered" {
	recover bnsl
}

@test "product family: a multiplicative law recovered" {
	recover product
}

@test "the count of candidates is the grammar's" {
	# one variable, at most 3 parameters: power with E (3) and without
	# (2), log (2), quad (3), exp (3); bnsl has 6
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 3 "$FIX/power.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(jq .search.tried <<<"$output")" -eq 5 ]
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 6 "$FIX/power.jsonl"
	[ "$(jq .search.tried <<<"$output")" -eq 6 ]
	# two variables, at most 3: power (E + one variable: 2; one
	# variable alone: 2), composite (size*toks or size/toks alone: 2,
	# with E: 2), log (each variable: 2, both: 1), quad (2), exp (2),
	# product without E (1)
	run --separate-stderr nsl-fit -q --search --x size,toks \
	    --extrapolate-along size --max-params 3 "$FIX/product.jsonl"
	[ "$(jq .search.tried <<<"$output")" -eq 16 ] ||
		fail "tried $(jq .search.tried <<<"$output")"
}

@test "the same bytes, record and report, for 1 and 2 threads" {
	for t in 1 2; do
		OMP_NUM_THREADS=$t nsl-fit -q --search --x size,toks \
		    --extrapolate-along size --max-params 5 \
		    --search-report "$BATS_TEST_TMPDIR/r$t" \
		    -o "$BATS_TEST_TMPDIR/o$t" "$FIX/power2.jsonl"
	done
	cmp "$BATS_TEST_TMPDIR/o1" "$BATS_TEST_TMPDIR/o2"
	cmp "$BATS_TEST_TMPDIR/r1" "$BATS_TEST_TMPDIR/r2"
}

@test "the report: --top rows, ranked, the first the chosen law" {
	run --separate-stderr nsl-fit -q --search --x size,toks \
	    --extrapolate-along size --max-params 4 --top 3 \
	    --search-report "$BATS_TEST_TMPDIR/r" "$FIX/product.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	r="$BATS_TEST_TMPDIR/r"
	[ "$(wc -l < "$r")" -eq 3 ]
	[ "$(jq -s -c 'map(.rank)' "$r")" = "[1,2,3]" ]
	[ "$(head -1 "$r" | jq -r .formula)" = "$(jq -r .formula <<<"$output")" ]
	[ "$(head -1 "$r" | jq .tried)" = "$(jq .search.tried <<<"$output")" ]
	[ "$(head -1 "$r" | jq .heldout.rms)" = "$(jq .search.rms <<<"$output")" ]
	# ranked by held-out error
	jq -s -e '.[0].heldout.rms <= .[1].heldout.rms and
	    .[1].heldout.rms <= .[2].heldout.rms' "$r" >/dev/null
}

@test "folds hold out whole levels: 2 folds of 4 points each" {
	# power.jsonl: 10 levels of size, 4 points at each
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 3 --top 1 \
	    --search-report "$BATS_TEST_TMPDIR/r" "$FIX/power.jsonl"
	[ "$(jq .heldout.n "$BATS_TEST_TMPDIR/r")" -eq 8 ]
	[ "$(jq '.heldout.folds | length' "$BATS_TEST_TMPDIR/r")" -eq 2 ]
	# the overall score pools the folds' squares
	jq -e '.heldout as $h | (($h.folds[0] * $h.folds[0] + $h.folds[1] *
	    $h.folds[1]) / 2 | sqrt) as $p | ($p - $h.rms) | fabs < 1e-12 * $p' \
	    "$BATS_TEST_TMPDIR/r" >/dev/null
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 3 --top 1 --folds 3 \
	    --search-report "$BATS_TEST_TMPDIR/r" "$FIX/power.jsonl"
	[ "$(jq .heldout.n "$BATS_TEST_TMPDIR/r")" -eq 12 ]
}

@test "--level-digits merges values into levels" {
	# sizes 1.01e9 and 1.04e9: two levels as they are, one (1e9) to 1
	# significant digit
	printf '{"s":%s,"y":%s}\n' 1e6 3 1e7 2.5 1e8 2.2 1.01e9 2.1 \
	    1.04e9 2.09 > "$BATS_TEST_TMPDIR/d"
	run --separate-stderr nsl-fit -q --search --x s --extrapolate-along s \
	    --max-params 2 --folds 1 --top 1 \
	    --search-report "$BATS_TEST_TMPDIR/r" "$BATS_TEST_TMPDIR/d"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(jq .heldout.n "$BATS_TEST_TMPDIR/r")" -eq 1 ]
	run --separate-stderr nsl-fit -q --search --x s --extrapolate-along s \
	    --max-params 2 --folds 1 --top 1 --level-digits 1 \
	    --search-report "$BATS_TEST_TMPDIR/r" "$BATS_TEST_TMPDIR/d"
	[ "$(jq .heldout.n "$BATS_TEST_TMPDIR/r")" -eq 2 ]
}

@test "--holdout points are never searched on, and scored in the record" {
	# the two largest sizes held out: 8 points; the search's folds are
	# the next two levels
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 3 --top 1 \
	    --holdout 'size>=3e9' --search-report "$BATS_TEST_TMPDIR/r" \
	    "$FIX/power.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(jq .holdout.n <<<"$output")" -eq 8 ]
	[ "$(jq .n <<<"$output")" -eq 32 ]
	[ "$(jq .heldout.n "$BATS_TEST_TMPDIR/r")" -eq 8 ]
}

@test "the chosen law is a fit record nsl-extrapolate and nsl-plot take" {
	nsl-fit -q --search --x size --extrapolate-along size --max-params 3 \
	    -o "$BATS_TEST_TMPDIR/fit" "$FIX/power.jsonl"
	run --separate-stderr nsl-extrapolate --fit "$BATS_TEST_TMPDIR/fit" \
	    <<<'{"size":1e12}'
	[ "$status" -eq 0 ] || fail "$stderr"
	# E + A1 size^-a1 by awk from the record's parameters
	want=$(jq -r '.params | "\(.E) \(.A1) \(.a1)"' "$BATS_TEST_TMPDIR/fit" |
	    awk '{ printf "%.12g", $1 + $2 * exp(-$3 * log(1e12)) }')
	got=$(jq .pred <<<"$output")
	awk -v a="$got" -v b="$want" 'BEGIN { d = a - b; if (d < 0) d = -d;
	    exit !(d <= 1e-9 * b) }' || fail "pred $got, want $want"
	run --separate-stderr nsl-plot --x size --y y --fit "$BATS_TEST_TMPDIR/fit" \
	    --script -o "$BATS_TEST_TMPDIR/p.png" "$FIX/power.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	[[ "$output" == *"title 'formula'"* ]]
}

@test "--by: one form shared by the groups, or each group its own" {
	d="$BATS_TEST_TMPDIR/d"
	{ jq -c '. + {g: "pow"}' "$FIX/power.jsonl"
	  jq -c '{size: .step, y, g: "exp"}' "$FIX/exp.jsonl"; } > "$d"
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 3 --by g --search-each "$d"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "$(jq -r -s -c 'map([.by.g, .formula])' <<<"$output")" = \
	    '[["pow","E + A1*size^-a1"],["exp","E + A1*exp(-r1*size)"]]' ] ||
		fail "$output"
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 3 --by g "$d"
	[ "$status" -eq 0 ] || fail "$stderr"
	[ "${#lines[@]}" -eq 2 ]
	[ "$(jq -r -s 'map(.formula) | unique | length' <<<"$output")" -eq 1 ]
	[ "$(jq -r -s 'map(.params | keys) | unique | length' <<<"$output")" -eq 1 ]
}

@test "bad input: --max-params 0 is a usage error" {
	nsl_fails_cleanly nsl-fit out 64 'max-params' --search --x size \
	    --extrapolate-along size --max-params 0 "$FIX/power.jsonl"
}

@test "bad input: an --extrapolate-along field not in the records" {
	nsl_fails_cleanly nsl-fit out 65 'power.jsonl:1: .*"nope"' --search \
	    --x size --extrapolate-along nope "$FIX/power.jsonl"
}

@test "bad input: too few levels to hold out" {
	printf '{"s":1,"y":3}\n{"s":10,"y":2}\n{"s":10,"y":2.1}\n' \
	    > "$BATS_TEST_TMPDIR/d"
	nsl_fails_cleanly nsl-fit out 65 '"s" has 2 levels: --folds 2 needs at least 3' \
	    --search --x s --extrapolate-along s "$BATS_TEST_TMPDIR/d"
}

@test "bad input: --search without --extrapolate-along, or with --law" {
	nsl_fails_cleanly nsl-fit out 64 'needs --extrapolate-along' --search \
	    --x size "$FIX/power.jsonl"
	nsl_fails_cleanly nsl-fit out 64 'excludes --law' --search --law power \
	    --x size --extrapolate-along size "$FIX/power.jsonl"
	nsl_fails_cleanly nsl-fit out 64 'go with --search' --x size \
	    --extrapolate-along size "$FIX/power.jsonl"
}

@test "bad input: a --x field that is no formula name" {
	nsl_fails_cleanly nsl-fit out 64 "'model size' is no formula name" \
	    --search --x 'model size' --extrapolate-along size "$FIX/power.jsonl"
}

@test "bad input: a malformed record names its line" {
	printf '{"size":1,"y":2}\n{"size":\n' > "$BATS_TEST_TMPDIR/d"
	nsl_fails_cleanly nsl-fit out 65 ':2: ' --search --x size \
	    --extrapolate-along size "$BATS_TEST_TMPDIR/d"
}

@test "a full disk is exit 74" {
	run --separate-stderr nsl-fit -q --search --x size \
	    --extrapolate-along size --max-params 2 \
	    --search-report "$BATS_TEST_TMPDIR/r" -o /dev/full "$FIX/power.jsonl"
	[ "$status" -eq 74 ]
}
