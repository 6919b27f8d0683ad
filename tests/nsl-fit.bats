#!/usr/bin/env bats
# nsl-fit: Epoch AI's Chinchilla replication, the BNSL check, every flag,
# the error paths.

load helper

setup() {
	require_prog mandoc mandoc
	require_prog jq jq
}

FIX="$TESTS_DIR/fixtures/fit"

# Epoch's set: D = C/(6N) (Besiroglu et al. 2024).
chin() {
	nsl-convert "$DATA/svg_extracted_data.csv" |
	    jq -c '{N: .["Model Size"], D: (.["Training FLOP"]/(6*.["Model Size"])), loss}' \
	    > "$BATS_TEST_TMPDIR/chin.jsonl"
}

# Within tol of want: within VALUE WANT TOL
within() {
	awk -v v="$1" -v w="$2" -v t="$3" 'BEGIN { d = v - w; if (d < 0) d = -d; exit !(d <= t) }' ||
	    fail "$1 is not within $3 of $2"
}

@test "chinchilla on Epoch's 240 points reaches Epoch's optimum" {
	chin
	run --separate-stderr nsl-fit --drop-top 5 "$BATS_TEST_TMPDIR/chin.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq .n <<<"$output")" -eq 240 ]
	# Besiroglu et al. 2024: objective 1.0183e-3 (summed Huber, delta 1e-3),
	# alpha 0.3478, beta 0.3658, E 1.8172
	awk -v f="$(jq .objective <<<"$output")" 'BEGIN { exit !(f <= 1.0183e-3) }'
	within "$(jq .params.alpha <<<"$output")" 0.348 0.003
	within "$(jq .params.beta <<<"$output")" 0.366 0.004
	within "$(jq .params.E <<<"$output")" 1.817 0.01
	[ "$(jq -r .loss <<<"$output")" = huber ]
}

@test "--bootstrap intervals agree with Epoch's within 10%" {
	chin
	run --separate-stderr nsl-fit --drop-top 5 --bootstrap 1000 --seed 1 \
	    "$BATS_TEST_TMPDIR/chin.jsonl"
	[ "$status" -eq 0 ]
	# Epoch (4000 resamples): alpha 0.317-0.373, beta 0.331-0.415,
	# E 1.769-1.871; 10% of each interval's width
	within "$(jq '.intervals.alpha[0]' <<<"$output")" 0.317 0.0056
	within "$(jq '.intervals.alpha[1]' <<<"$output")" 0.373 0.0056
	within "$(jq '.intervals.beta[0]' <<<"$output")" 0.331 0.0084
	within "$(jq '.intervals.beta[1]' <<<"$output")" 0.415 0.0084
	within "$(jq '.intervals.E[0]' <<<"$output")" 1.769 0.0102
	within "$(jq '.intervals.E[1]' <<<"$output")" 1.871 0.0102
	[ "$(jq '.bootstrap.samples | length' <<<"$output")" -eq 1000 ]
	[ "$(jq '.level' <<<"$output")" = 0.95 ]
}

@test "the same seed gives the same bytes; --cluster resamples groups" {
	chin
	jq -c '.run = ((.N|log) * 10 | floor)' "$BATS_TEST_TMPDIR/chin.jsonl" > "$BATS_TEST_TMPDIR/r.jsonl"
	nsl-fit --bootstrap 50 --seed 3 "$BATS_TEST_TMPDIR/r.jsonl" > "$BATS_TEST_TMPDIR/a"
	OMP_NUM_THREADS=1 nsl-fit --bootstrap 50 --seed 3 "$BATS_TEST_TMPDIR/r.jsonl" > "$BATS_TEST_TMPDIR/b"
	cmp "$BATS_TEST_TMPDIR/a" "$BATS_TEST_TMPDIR/b"
	run --separate-stderr nsl-fit --bootstrap 50 --seed 3 --cluster run "$BATS_TEST_TMPDIR/r.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -r .bootstrap.cluster <<<"$output")" = run ]
	[ "$output" != "$(cat "$BATS_TEST_TMPDIR/a")" ]
}

@test "BNSL (1 break) extrapolates 4-digit addition better than power-offset" {
	# 17 points from ethancaballero/broken_neural_scaling_laws; fit the
	# first 14, score the last 3 (the paper's split)
	run --separate-stderr nsl-fit --law bnsl,power-offset --breaks 1 \
	    --holdout 'i>=14' "$FIX/bnsl-4digit.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 2 ]
	b=$(jq -s '.[] | select(.law == "bnsl") | .holdout.rmsle' <<<"$output")
	p=$(jq -s '.[] | select(.law == "power-offset") | .holdout.rmsle' <<<"$output")
	awk -v b="$b" -v p="$p" 'BEGIN { exit !(b < 0.05 && b < p) }'
	[ "$(jq -s '.[0].holdout.n' <<<"$output")" -eq 3 ]
	# best AIC first
	[ "$(jq -s -r '.[0].law' <<<"$output")" = bnsl ]
	[[ "$stderr" == *"spans less than a decade"* ]]
}

@test "--list-laws names every law" {
	run nsl-fit --list-laws
	[ "$status" -eq 0 ]
	for l in power power-offset chinchilla chinchilla-tied kaplan data-constrained bnsl exp-offset downstream lr-anneal; do
		[[ "$output" == *"$l "* ]] || fail "missing $l"
	done
}

# Noiseless data from a law with known parameters.
synth() {
	jq -n -c 'range(0;6) as $i | range(0;6) as $j |
	    {g: (if $i < 3 then "a" else "b" end), N: (1e8 * pow(10; $i/2)), D: (1e9 * pow(10; $j/2))} |
	    .loss = 1.69 + 406.4/pow(.N; 0.34) + 410.7/pow(.D; 0.28) | .w = 1' > "$BATS_TEST_TMPDIR/s.jsonl"
}

@test "--by fits each group; --fix holds a parameter; --weight-field" {
	synth
	run --separate-stderr nsl-fit --by g --fix E=1.69 --weight-field w "$BATS_TEST_TMPDIR/s.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 2 ]
	[ "$(jq -s -r '.[0].by.g' <<<"$output")" = a ]
	[ "$(jq -s '.[1].params.E' <<<"$output")" = 1.69 ]
	[ "$(jq -s -r '.[1].fixed[0]' <<<"$output")" = E ]
	within "$(jq -s '.[1].params.alpha' <<<"$output")" 0.34 1e-4
}

@test "--min and --holdout-largest; --loss ls and log-ls; --law kaplan, chinchilla-tied" {
	synth
	run --separate-stderr nsl-fit --min D=3e9 --holdout-largest N "$BATS_TEST_TMPDIR/s.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq .n <<<"$output")" -eq 25 ]
	[ "$(jq .holdout.n <<<"$output")" -eq 5 ]
	awk -v a="$(jq .holdout.are <<<"$output")" 'BEGIN { exit !(a < 1e-6) }'
	for l in ls log-ls; do
		run --separate-stderr nsl-fit --loss $l "$BATS_TEST_TMPDIR/s.jsonl"
		[ "$status" -eq 0 ]
		within "$(jq .params.beta <<<"$output")" 0.28 1e-4
	done
	run --separate-stderr nsl-fit --law chinchilla-tied,kaplan -q "$BATS_TEST_TMPDIR/s.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -s length <<<"$output")" -eq 2 ]
	[ -z "$stderr" ]
}

@test "--formula with --param fits a user's law" {
	run --separate-stderr nsl-fit --formula 'E + A*x^-a' --param E=0.5,A=1,a=0.5 \
	    --x x --y y "$FIX/bnsl-4digit.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -r .law <<<"$output")" = formula ]
	# the same law as power-offset: its objective cannot be much worse
	po=$(nsl-fit --law power-offset -q "$FIX/bnsl-4digit.jsonl" | jq .objective)
	awk -v f="$(jq .objective <<<"$output")" -v p="$po" 'BEGIN { exit !(f <= p * 1.01) }'
}

@test "--param gives a catalogue law's start; a wrong name or a non-positive coefficient is a usage error" {
	chin
	run --separate-stderr nsl-fit --drop-top 5 --param A=400,alpha=0.3 \
	    --grid 1 --starts 1 --restarts 0 "$BATS_TEST_TMPDIR/chin.jsonl"
	[ "$status" -eq 0 ]
	# from that start alone (B, E, beta from Hoffmann's row), Epoch's optimum
	awk -v f="$(jq .objective <<<"$output")" 'BEGIN { exit !(f <= 1.0183e-3) }'
	nsl_fails_cleanly nsl-fit f.json 64 "no parameter 'Z'" --param Z=1 \
	    "$BATS_TEST_TMPDIR/chin.jsonl"
	nsl_fails_cleanly nsl-fit f.json 64 "A must be positive" --param A=0 \
	    "$BATS_TEST_TMPDIR/chin.jsonl"
	nsl_fails_cleanly nsl-fit f.json 64 "goes with --formula or one --law" \
	    --law chinchilla,kaplan --param A=1 "$BATS_TEST_TMPDIR/chin.jsonl"
}

@test "a degenerate fit is reported in the record and on stderr; -q keeps stderr quiet" {
	# y = 3 x^-0.5 exactly: power-offset's best E is 0, its bound
	jq -n -c 'range(1;21) as $i | {x: ($i * 5)} | .y = 3 * pow(.x; -0.5)' > "$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr nsl-fit --law power-offset --loss ls "$BATS_TEST_TMPDIR/p.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -c .degenerate <<<"$output")" = '[{"reason":"bound","params":["E"]}]' ]
	within "$(jq .params.a <<<"$output")" 0.5 1e-6
	[[ "$stderr" == *"degenerate fit: parameter E sits at its bound 0"* ]]
	run --separate-stderr nsl-fit -q --law power-offset --loss ls "$BATS_TEST_TMPDIR/p.jsonl"
	[ "$status" -eq 0 ]
	[ -z "$stderr" ]
	# the same record read back by nsl-extrapolate keeps its law
	echo '{"x": 4}' | nsl-extrapolate --fit <(echo "$output") > "$BATS_TEST_TMPDIR/e.jsonl"
	within "$(jq .pred "$BATS_TEST_TMPDIR/e.jsonl")" 1.5 1e-6
}

@test "a fit that stops at a kink is flagged converged:false, with a warning" {
	# least squares of A |x - c|: the minimum sits where c crosses a point
	jq -n -c 'range(0;11) as $i | {x: $i, y: (2 * (($i - 5) | fabs) + (if $i % 2 == 0 then 0.3 else -0.2 end))}' > "$BATS_TEST_TMPDIR/k.jsonl"
	run --separate-stderr nsl-fit --loss ls --formula 'A*abs(x - c)' --param A=1,c=4 --x x --y y "$BATS_TEST_TMPDIR/k.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq .converged <<<"$output")" = false ]
	[[ "$stderr" == *"did not converge"* ]]
	within "$(jq .params.c <<<"$output")" 5 1e-9
}

@test "formulas take erf, atan, lgamma and pi; the same bytes for any seed-free thread count" {
	# y = 3 erf(x/2) + atan(x)/pi - lgamma(2) exactly (lgamma(2) = 0)
	jq -n -c 'range(1;40) as $i | {x: ($i/4)} | .y = 3 * ((.x/2) | erf) + (.x | atan) / 3.141592653589793' > "$BATS_TEST_TMPDIR/f.jsonl"
	run --separate-stderr nsl-fit --loss ls --formula 'A*erf(x/s) + atan(x)/pi - lgamma(2)' \
	    --param A=1,s=1 --x x --y y "$BATS_TEST_TMPDIR/f.jsonl"
	[ "$status" -eq 0 ]
	within "$(jq .params.A <<<"$output")" 3 1e-9
	within "$(jq .params.s <<<"$output")" 2 1e-9
	OMP_NUM_THREADS=1 nsl-fit --loss ls --formula 'A*erf(x/s) + atan(x)/pi - lgamma(2)' \
	    --param A=1,s=1 --x x --y y "$BATS_TEST_TMPDIR/f.jsonl" > "$BATS_TEST_TMPDIR/one"
	[ "$output" = "$(cat "$BATS_TEST_TMPDIR/one")" ]
}

@test "--seed moves the perturbed restarts, not a well-posed optimum; --restarts 0 turns them off" {
	chin
	a=$(nsl-fit --drop-top 5 --seed 1 "$BATS_TEST_TMPDIR/chin.jsonl" | jq .objective)
	b=$(nsl-fit --drop-top 5 --seed 2 --restarts 0 "$BATS_TEST_TMPDIR/chin.jsonl" | jq .objective)
	awk -v a="$a" -v b="$b" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1e-12 * a) }'
	run --separate-stderr nsl-fit --restarts -1 "$BATS_TEST_TMPDIR/chin.jsonl"
	[ "$status" -eq 64 ]
}

@test "data-constrained, exp-offset, downstream and lr-anneal fit noiseless data" {
	jq -n -c 'range(0;20) as $i | {x: ($i * 10 + 5)} | .y = 0.5 + 2 * ((-0.03 * .x) | exp)' > "$BATS_TEST_TMPDIR/e.jsonl"
	run --separate-stderr nsl-fit --law exp-offset "$BATS_TEST_TMPDIR/e.jsonl"
	[ "$status" -eq 0 ]
	within "$(jq .params.b <<<"$output")" 0.03 1e-5
	jq -n -c 'range(0;20) as $i | {loss: (2 + $i * 0.1)} | .error = 0.9 - 2 * ((-1.5 * .loss) | exp)' > "$BATS_TEST_TMPDIR/d.jsonl"
	run --separate-stderr nsl-fit --law downstream "$BATS_TEST_TMPDIR/d.jsonl"
	[ "$status" -eq 0 ]
	within "$(jq .params.gamma <<<"$output")" 1.5 1e-4
	# lr-anneal on a cosine-free step schedule: predicted by the law itself
	jq -n -c 'range(1;301) as $s | {step: $s, lr: (if $s <= 200 then 1 else 0.5 end)}' |
	    nsl-extrapolate --fit <(echo '{"law":"lr-anneal","x":["step","lr"],"y":"loss","params":{"L0":2,"A":3,"C":0.002,"alpha":0.5}}') --pred-field loss \
	    > "$BATS_TEST_TMPDIR/l.jsonl"
	run --separate-stderr nsl-fit --law lr-anneal "$BATS_TEST_TMPDIR/l.jsonl"
	[ "$status" -eq 0 ]
	within "$(jq .params.alpha <<<"$output")" 0.5 1e-3
	nsl-convert "$DATA/svg_extracted_data.csv" |
	    jq -c '{N: .["Model Size"], D: (.["Training FLOP"]/(6*.["Model Size"]))} | .U = .D / 2 | .loss = 2' > "$BATS_TEST_TMPDIR/u.jsonl"
	run --separate-stderr nsl-fit --law data-constrained --grid 256 --starts 2 -q "$BATS_TEST_TMPDIR/u.jsonl"
	[ "$status" -eq 0 ]
	[ "$(jq -r .law <<<"$output")" = data-constrained ]
}

@test "bad input: clear errors, exit 65, no output file" {
	d="$BATS_TEST_TMPDIR/out"; mkdir "$d"
	printf '{"N":1e9,"D":1e10,"loss":3}\n{"N":1e9,"loss":3}\n' > "$BATS_TEST_TMPDIR/m.jsonl"
	run --separate-stderr nsl-fit -o "$d/f.json" "$BATS_TEST_TMPDIR/m.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"m.jsonl:2: "*'"D"'* ]]
	printf '{"N":1e9,"D":0,"loss":3}\n' > "$BATS_TEST_TMPDIR/z.jsonl"
	run --separate-stderr nsl-fit -o "$d/f.json" "$BATS_TEST_TMPDIR/z.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"z.jsonl:1: "*'"D"'*positive* ]]
	printf '{"N":1e9,"D":1e10,"loss":3}\n{"N":2e9,"D":1e10,"loss":2.9}\n' > "$BATS_TEST_TMPDIR/f.jsonl"
	run --separate-stderr nsl-fit -o "$d/f.json" "$BATS_TEST_TMPDIR/f.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"2 points for 5 free parameters"* ]]
	printf '{"N":1e9,"D":1e10,"loss":NaN}\n' > "$BATS_TEST_TMPDIR/n.jsonl"
	run --separate-stderr nsl-fit -o "$d/f.json" "$BATS_TEST_TMPDIR/n.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"n.jsonl:1: "* ]]
	assert_dir_empty "$d"
}

@test "usage errors, missing file, --help, /dev/full" {
	run --separate-stderr nsl-fit --bogus
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-fit --law nope /dev/null
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-fit --fix zz=1 /dev/null
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-fit --loss abs /dev/null
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-fit --holdout 'N' /dev/null
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-fit "$BATS_TEST_TMPDIR/none.jsonl"
	[ "$status" -eq 66 ]
	run nsl-fit --help
	[ "$status" -eq 0 ]
	[[ "$output" == usage:* ]]
	synth
	run --separate-stderr nsl-fit -o /dev/full "$BATS_TEST_TMPDIR/s.jsonl"
	[ "$status" -eq 74 ]
	run bash -c "nsl-fit '$BATS_TEST_TMPDIR/s.jsonl' > /dev/full"
	[ "$status" -eq 74 ]
}

@test "--by groups equal values: 2, 2.0 and 2e0 are one group, \"a\" and \"\\u0061\" too, null its own; an array is refused" {
	# y = c x^-0.5 with c = 1 for g = 2 (written three ways), 3 for "a"
	# (written two ways), 5 for null
	{
		for x in 1 2 4 8; do
			echo "{\"x\":$x,\"y\":$(calc "1 / sqrt($x)"),\"g\":2}"
			echo "{\"x\":$((x * 3)),\"y\":$(calc "1 / sqrt($x * 3)"),\"g\":2.0}"
			echo "{\"x\":$((x * 5)),\"y\":$(calc "1 / sqrt($x * 5)"),\"g\":2e0}"
			echo "{\"x\":$x,\"y\":$(calc "3 / sqrt($x)"),\"g\":\"a\"}"
			echo "{\"x\":$((x * 3)),\"y\":$(calc "3 / sqrt($x * 3)"),\"g\":\"\\u0061\"}"
			echo "{\"x\":$x,\"y\":$(calc "5 / sqrt($x)"),\"g\":null}"
		done
	} > "$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr nsl-fit -q --law power --x x --y y --by g "$BATS_TEST_TMPDIR/p.jsonl"
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	assert_equal "$(jq -c '[.by, .n]' <<<"$output" | tr '\n' ' ')" '[{"g":2},12] [{"g":"a"},8] [{"g":null},4] '
	within "$(jq -s '.[0].params.A' <<<"$output")" 1 1e-9
	within "$(jq -s '.[1].params.A' <<<"$output")" 3 1e-9
	within "$(jq -s '.[2].params.A' <<<"$output")" 5 1e-9
	echo '{"x":1,"y":1,"g":[2]}' >> "$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr nsl-fit -q --law power --x x --y y --by g "$BATS_TEST_TMPDIR/p.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *'p.jsonl:25: field "g": expected a number, string, true, false or null to group by' ]]
}

@test "the fit record's range is the fitted points' range, held-out points excluded" {
	jq -n -c 'range(1; 9) | {x: ., y: (2 * pow(.; -0.5))}' > "$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr nsl-fit -q --law power --x x --y y --holdout 'x>=7' "$BATS_TEST_TMPDIR/p.jsonl"
	[ "$status" -eq 0 ]
	assert_equal "$(jq -c .range <<<"$output")" '{"x":[1,6]}'
}

# awk's arithmetic for expected values: calc EXPR
calc() {
	awk "BEGIN { printf \"%.17g\", $1 }"
}

@test "a --holdout that matches nothing is an error; a group it misses gets a warning and no \"holdout\"" {
	jq -n -c 'range(1; 9) | {x: ., y: (2 * pow(.; -0.5)), g: (if . < 5 then 1 else 2 end)}' > "$BATS_TEST_TMPDIR/h.jsonl"
	run --separate-stderr nsl-fit -q --law power --x x --holdout 'x>=100' "$BATS_TEST_TMPDIR/h.jsonl"
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "nsl-fit: $BATS_TEST_TMPDIR/h.jsonl: --holdout 'x>=100' matches no record"
	[ -z "$output" ]
	# x = 8 passes the test but --min drops it
	run --separate-stderr nsl-fit -q --law power --x x --holdout 'x>=8' --min 'x<=7' < "$BATS_TEST_TMPDIR/h.jsonl"
	[ "$status" -eq 65 ]
	assert_equal "$stderr" "nsl-fit: <stdin>: --holdout 'x>=8' matches no record kept by --min and --drop-top"
	run --separate-stderr nsl-fit --law power --x x --holdout 'x>=7' --by g "$BATS_TEST_TMPDIR/h.jsonl"
	[ "$status" -eq 0 ]
	[[ "$stderr" == *"nsl-fit: warning: group 1: --holdout 'x>=7' matches no record: its fit has no \"holdout\""* ]] ||
		fail "$stderr"
	assert_equal "$(jq -c '[.by.g, .holdout.n]' <<<"$output" | tr '\n' ' ')" '[1,null] [2,2] '
	# -q: no warnings at all (errors are still printed)
	run --separate-stderr nsl-fit -q --law power --x x --holdout 'x>=7' --by g "$BATS_TEST_TMPDIR/h.jsonl"
	[ "$status" -eq 0 ]
	assert_equal "$stderr" ""
	assert_equal "$(jq -c '[.by.g, .holdout.n]' <<<"$output" | tr '\n' ' ')" '[1,null] [2,2] '
}

@test "several laws from standard input name it <stdin>, not the copy's /dev/fd path" {
	jq -n -c 'range(1; 9) | {x: ., y: (2 * pow(.; -0.5))}' > "$BATS_TEST_TMPDIR/p.jsonl"
	echo '{"x":9}' >> "$BATS_TEST_TMPDIR/p.jsonl"
	run --separate-stderr nsl-fit -q --law power,power-offset --x x --y y < "$BATS_TEST_TMPDIR/p.jsonl"
	[ "$status" -eq 65 ]
	assert_equal "$stderr" 'nsl-fit: <stdin>:9: missing field "y"'
}

@test "--level takes 0 < L < 1 and says so" {
	for l in 0 1 1.5 -0.1; do
		run --separate-stderr nsl-fit --level "$l" < /dev/null
		[ "$status" -eq 64 ]
		[ "${stderr_lines[0]}" = "nsl-fit: --level: $l is outside (0, 1)" ]
	done
}

@test "a fit record always reads back: a parameter the data leave free is refused, not written null" {
	# k = 0 fits best, which leaves gamma free (found by fuzz_fit)
	printf '%s\n' '{"loss":3,"error":0.2,"w":1}' '{"loss":2.5,"error":0.45,"w":2}' \
	    '{"loss":3,"error":0.62,"w":1}' '{"loss":3.5,"error":0.71,"w":0.5}' > "$BATS_TEST_TMPDIR/d.jsonl"
	run --separate-stderr nsl-fit -q --law downstream --loss log-ls --weight-field w "$BATS_TEST_TMPDIR/d.jsonl"
	if [ "$status" -eq 0 ]; then
		# a finite fit is fine too: then it must read back
		jq -e '.params | map_values(type == "number") | all' <<<"$output"
		nsl-extrapolate --fit <(echo "$output") <<<'{"loss":3}' >/dev/null
	else
		[ "$status" -eq 65 ]
		assert_equal "$stderr" 'nsl-fit: parameter gamma of law downstream does not converge to a number: the data do not determine it'
		[ -z "$output" ]
	fi
}

@test "man page: lint clean; its NIST example gives the certified Misra1a" {
	run mandoc -Tlint -Wwarning "$TESTS_DIR/../man/nsl-fit.1"
	assert_success
	cd "$TESTS_DIR/.."
	run --separate-stderr nsl-fit --loss ls --formula 'b1*(1 - exp(-b2*x))' \
	    --param b1=500,b2=0.0001 --x x --y y tests/data/nist/Misra1a.jsonl
	[ "$status" -eq 0 ]
	# NIST: b1 = 2.3894212918E+02, b2 = 5.5015643181E-04, RSS 1.2455138894E-01
	within "$(jq .params.b1 <<<"$output")" 238.94212918 2.4e-6
	within "$(jq .params.b2 <<<"$output")" 5.5015643181e-4 5.5e-12
	within "$(jq .objective <<<"$output")" 0.12455138894 1.3e-9
}

@test "golden cases: --list-laws is the catalogue; exact data give back their known parameters (tests/fixtures/fit/catalogue.test)" {
	require_prog jq jq
	golden "$TESTS_DIR/fixtures/fit/catalogue.test"
}
