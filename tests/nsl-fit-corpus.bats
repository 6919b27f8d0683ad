#!/usr/bin/env bats
# nsl-fit never ends worse than a plain least-squares fit from the same
# start: on a corpus of published laws on published data, laws on data
# synthesized from published constants and synthetic laws of 5 to 8
# parameters, nsl-fit from the case's --param start must reach an
# objective no higher than scipy.optimize.least_squares from that start
# (1e-6 relative slack for the last digits).  scipy's objectives are
# computed once by tests/fixtures/fit/make-ref.py into corpus.jsonl.

load helper

# programs and modules the tests below run
setup_file() {
	require_prog jq jq
}

FIX="$TESTS_DIR/fixtures/fit"

# corpus CASE: fit it, compare with scipy's objective.
corpus() {
	local c args
	c=$(jq -c --arg n "$1" 'select(.case == $n)' "$FIX/corpus.jsonl")
	[ -n "$c" ] || fail "no case $1"
	mapfile -t args < <(jq -r '.args[]' <<<"$c")
	run --separate-stderr nsl-fit "${args[@]}" "$FIX/$(jq -r .data <<<"$c")"
	[ "$status" -eq 0 ] || fail "exit $status: $stderr"
	f=$(jq .objective <<<"$output")
	s=$(jq .scipy_objective <<<"$c")
	awk -v f="$f" -v s="$s" 'BEGIN { exit !(f <= s * (1 + 1e-6)) }' ||
		fail "nsl objective $f > scipy's $s"
}

@test "chinchilla-epoch: no worse than scipy from the same start" {
	corpus chinchilla-epoch
}

@test "chinchilla-epoch-ls: no worse than scipy from the same start" {
	corpus chinchilla-epoch-ls
}

@test "dc-datablations: no worse than scipy from the same start" {
	corpus dc-datablations
}

@test "chinchilla-datablations: no worse than scipy from the same start" {
	corpus chinchilla-datablations
}

@test "chinchilla-opt: no worse than scipy from the same start" {
	corpus chinchilla-opt
}

@test "moe-krajewski: no worse than scipy from the same start" {
	corpus moe-krajewski
}

@test "moe-krajewski-ls: no worse than scipy from the same start" {
	corpus moe-krajewski-ls
}

@test "moe-clark: no worse than scipy from the same start" {
	corpus moe-clark
}

@test "vocab-tao: no worse than scipy from the same start" {
	corpus vocab-tao
}

@test "lr-bs-deepseek: no worse than scipy from the same start" {
	corpus lr-bs-deepseek
}

@test "two-exp-5: no worse than scipy from the same start" {
	corpus two-exp-5
}

@test "bnsl-6: no worse than scipy from the same start" {
	corpus bnsl-6
}

@test "interaction-6: no worse than scipy from the same start" {
	corpus interaction-6
}

@test "two-n-terms-7: no worse than scipy from the same start" {
	corpus two-n-terms-7
}

@test "two-logistic-8: no worse than scipy from the same start" {
	corpus two-logistic-8
}

@test "data-constrained on datablations ends no worse than its nested chinchilla fit" {
	mapfile -t args < <(jq -r 'select(.case == "dc-datablations") | .args[]' "$FIX/corpus.jsonl")
	run --separate-stderr nsl-fit "${args[@]}" "$FIX/corpus/dc-datablations.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -r .nested.law <<<"$output")" = chinchilla ]
	awk -v f="$(jq .objective <<<"$output")" -v n="$(jq .nested.objective <<<"$output")" \
	    'BEGIN { exit !(f <= n) }'
	# and that nested objective is chinchilla's own fit on (N, D)
	c=$(nsl-fit -q --law chinchilla "$FIX/corpus/dc-datablations.jsonl" | jq .objective)
	awk -v n="$(jq .nested.objective <<<"$output")" -v c="$c" \
	    'BEGIN { d = n - c; if (d < 0) d = -d; exit !(d <= 1e-9 * c) }'
}
