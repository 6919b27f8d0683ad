#!/usr/bin/env bats
# nsl-fit on the NIST StRD nonlinear regression suite: from each of NIST's
# two starts, the fitted parameters must agree with the certified ones to
# at least 6 significant digits (log relative error >= 6, the usual bar
# of a good solver; under any of the model's exact symmetries), and the
# record must say the fit converged and is not degenerate.  The certified
# values are NIST's, in tests/data/nist/problems.jsonl.

load helper

# programs and modules the tests below run
setup_file() {
	require_prog /usr/bin/python3 python3
	require_prog jq jq
}

NIST="$DATA/nist"
LRE="$TESTS_DIR/fixtures/fit/lre.py"

# nist NAME: fit NAME from start1 and start2 (NIST's loss, the problem's
# formula and variables), check LRE >= 6, converged, not degenerate.
nist() {
	local name=$1 s p
	p=$(jq -c --arg n "$name" 'select(.name == $n)' "$NIST/problems.jsonl")
	[ -n "$p" ] || fail "no problem $name"
	for s in start1 start2; do
		run --separate-stderr nsl-fit --loss "$(jq -r .loss <<<"$p")" \
		    --formula "$(jq -r .formula <<<"$p")" \
		    --param "$(jq -r --arg s "$s" '.[$s] | to_entries | map("\(.key)=\(.value)") | join(",")' <<<"$p")" \
		    --x "$(jq -r '.x | join(",")' <<<"$p")" --y "$(jq -r .y <<<"$p")" \
		    "$NIST/$name.jsonl"
		[ "$status" -eq 0 ] || fail "$name $s: exit $status: $stderr"
		lre=$(/usr/bin/python3 "$LRE" "$NIST/problems.jsonl" "$name" <<<"$output")
		awk -v l="$lre" 'BEGIN { exit !(l >= 6) }' ||
			fail "$name from $s: LRE $lre < 6 ($output)"
		[ "$(jq .converged <<<"$output")" = true ] ||
			fail "$name from $s: not converged"
		[ "$(jq 'has("degenerate")' <<<"$output")" = false ] ||
			fail "$name from $s: degenerate: $(jq -c .degenerate <<<"$output")"
		[ -z "$stderr" ] || fail "$name from $s: warnings: $stderr"
	done
}

@test "Misra1a (lower difficulty): 6 correct digits from both NIST starts" {
	nist Misra1a
}

@test "Chwirut2 (lower difficulty): 6 correct digits from both NIST starts" {
	nist Chwirut2
}

@test "Chwirut1 (lower difficulty): 6 correct digits from both NIST starts" {
	nist Chwirut1
}

@test "Lanczos3 (lower difficulty): 6 correct digits from both NIST starts" {
	nist Lanczos3
}

@test "Gauss1 (lower difficulty): 6 correct digits from both NIST starts" {
	nist Gauss1
}

@test "Gauss2 (lower difficulty): 6 correct digits from both NIST starts" {
	nist Gauss2
}

@test "DanWood (lower difficulty): 6 correct digits from both NIST starts" {
	nist DanWood
}

@test "Misra1b (lower difficulty): 6 correct digits from both NIST starts" {
	nist Misra1b
}

@test "Kirby2 (average difficulty): 6 correct digits from both NIST starts" {
	nist Kirby2
}

@test "Hahn1 (average difficulty): 6 correct digits from both NIST starts" {
	nist Hahn1
}

@test "Nelson (average difficulty): 6 correct digits from both NIST starts" {
	nist Nelson
}

@test "MGH17 (average difficulty): 6 correct digits from both NIST starts" {
	nist MGH17
}

@test "Lanczos1 (average difficulty): 6 correct digits from both NIST starts" {
	nist Lanczos1
}

@test "Lanczos2 (average difficulty): 6 correct digits from both NIST starts" {
	nist Lanczos2
}

@test "Gauss3 (average difficulty): 6 correct digits from both NIST starts" {
	nist Gauss3
}

@test "Misra1c (average difficulty): 6 correct digits from both NIST starts" {
	nist Misra1c
}

@test "Misra1d (average difficulty): 6 correct digits from both NIST starts" {
	nist Misra1d
}

@test "Roszman1 (average difficulty): 6 correct digits from both NIST starts" {
	nist Roszman1
}

@test "ENSO (average difficulty): 6 correct digits from both NIST starts" {
	nist ENSO
}

@test "MGH09 (higher difficulty): 6 correct digits from both NIST starts" {
	nist MGH09
}

@test "Thurber (higher difficulty): 6 correct digits from both NIST starts" {
	nist Thurber
}

@test "BoxBOD (higher difficulty): 6 correct digits from both NIST starts" {
	nist BoxBOD
}

@test "Rat42 (higher difficulty): 6 correct digits from both NIST starts" {
	nist Rat42
}

@test "MGH10 (higher difficulty): 6 correct digits from both NIST starts" {
	nist MGH10
}

@test "Eckerle4 (higher difficulty): 6 correct digits from both NIST starts" {
	nist Eckerle4
}

@test "Rat43 (higher difficulty): 6 correct digits from both NIST starts" {
	nist Rat43
}

@test "Bennett5 (higher difficulty): 6 correct digits from both NIST starts" {
	nist Bennett5
}
