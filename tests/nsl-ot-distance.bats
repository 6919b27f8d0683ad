#!/usr/bin/env bats
# nsl-ot-distance: values against POT / SciPy (tests/fixtures/ot/cli-ref.tsv,
# written by tests/fixtures/ot/make-ref.py), golden cases of every method
# worked out by hand (tests/fixtures/ot/methods.test), every flag, the
# error paths.

load helper

setup() {
	require_prog /usr/bin/python3 python3
	require_prog jq jq
}

FIX="$TESTS_DIR/fixtures/ot"

ref() { awk -F'\t' -v k="$1" -v c="${2:-2}" '$1 == k { print $c }' "$FIX/cli-ref.tsv"; }

# field NAME of the one record in $output
field() { printf '%s\n' "$output" | jq -r ".$1"; }

# assert |a - b| <= tol * |b|
close_to() {
	awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN {
		d = a - b; if (d < 0) d = -d; m = b < 0 ? -b : b;
		if (d <= t * m) exit 0; print a " vs " b " (tol " t ")"; exit 1 }'
}

@test "exact, weighted: equals POT's emd2" {
	run --separate-stderr nsl-ot-distance --weight-field w "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	close_to "$(field value)" "$(ref exact_weighted)" 1e-9
	[ "$(field method)" = exact ]
	[ "$(field n)" = 60 ] && [ "$(field m)" = 45 ] && [ "$(field d)" = 3 ]
	[ "$(field converged)" = true ]
	# distance = sqrt(value) for sqeuclidean
	close_to "$(field distance)" "$(awk -v v="$(ref exact_weighted)" 'BEGIN { printf "%.17g", sqrt(v) }')" 1e-12
}

@test "exact, uniform, euclidean and cosine costs: equal POT" {
	run --separate-stderr nsl-ot-distance "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref exact_uniform)" 1e-9
	run --separate-stderr nsl-ot-distance --cost euclidean "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref exact_euclidean)" 1e-9
	[ "$(field p)" = 1 ] && [ "$(field cost)" = euclidean ]
	run --separate-stderr nsl-ot-distance --cost cosine "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref exact_cosine)" 1e-9
}

@test "--cost euclidean --p 2 equals sqeuclidean" {
	run --separate-stderr nsl-ot-distance --cost euclidean --p 2 "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref exact_uniform)" 1e-9
}

@test "sinkhorn at POT's epsilon equals sinkhorn_log; --tol" {
	run --separate-stderr nsl-ot-distance --method sinkhorn --eps "$(ref sinkhorn_weighted 3)" \
	    --tol 1e-11 --weight-field w "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	close_to "$(field value)" "$(ref sinkhorn_weighted)" 1e-7
	awk -v e="$(field marginal_error)" 'BEGIN { exit !(e < 1e-11) }'
	[ "$(field converged)" = true ]
}

@test "--eps-rel is relative to the mean cost under a x b" {
	run --separate-stderr nsl-ot-distance --method sinkhorn --eps-rel 0.1 \
	    --weight-field w "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field epsilon)" "$(ref sinkhorn_weighted 3)" 1e-12
}

@test "--max-iter too small: warns, converged false" {
	run --separate-stderr nsl-ot-distance --method sinkhorn --eps-rel 0.001 --max-iter 2 \
	    "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	[ "$(field converged)" = false ]
	[[ "$stderr" == *"did not converge"* ]]
}

@test "-q: no warning (the record still says converged false)" {
	run --separate-stderr nsl-ot-distance -q --method sinkhorn --eps-rel 0.001 --max-iter 2 \
	    "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	[ "$(field converged)" = false ]
	[ -z "$stderr" ] || fail "stderr: $stderr"
}

@test "--max-memory forces on-the-fly cost blocks, same value" {
	run --separate-stderr nsl-ot-distance --method sinkhorn --eps-rel 0.1 "$FIX/a.jsonl" "$FIX/b.jsonl"
	v1=$(field value)
	run --separate-stderr nsl-ot-distance --method sinkhorn --eps-rel 0.1 --max-memory 1K \
	    "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$(field blocked)" = true ]
	close_to "$(field value)" "$v1" 1e-9
}

@test "sns: same value as sinkhorn, newton iterations reported; --eps-scaling" {
	run --separate-stderr nsl-ot-distance --method sinkhorn --eps-rel 0.005 --tol 1e-10 \
	    "$FIX/a.jsonl" "$FIX/b.jsonl"
	v1=$(field value)
	run --separate-stderr nsl-ot-distance --method sns --eps-rel 0.005 --tol 1e-10 --eps-scaling 0.7 \
	    "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	close_to "$(field value)" "$v1" 1e-8
	[ "$(field newton_iterations)" -ge 0 ]
	[ "$(field sinkhorn_iterations)" -gt 0 ]
}

@test "divergence of a set with itself is 0; of A and B positive" {
	run --separate-stderr nsl-ot-distance --method divergence --eps-rel 0.1 "$FIX/a.jsonl" "$FIX/a.jsonl"
	awk -v v="$(field value)" 'BEGIN { exit !(v < 1e-9 && v > -1e-9) }'
	run --separate-stderr nsl-ot-distance --method divergence --eps-rel 0.1 "$FIX/a.jsonl" "$FIX/b.jsonl"
	awk -v v="$(field value)" 'BEGIN { exit !(v > 0.1) }'
}

@test "gaussian: W2 of the fitted Gaussians (SciPy sqrtm)" {
	run --separate-stderr nsl-ot-distance --method gaussian "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref gaussian_uniform)" 1e-9
}

@test "otdd with --label-field: equals the Python construction; --inner sinkhorn" {
	run --separate-stderr nsl-ot-distance --method otdd --label-field label "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref otdd_uniform)" 1e-9
	[ "$(field inner)" = exact ]
	run --separate-stderr nsl-ot-distance --method otdd --inner sinkhorn --eps-rel 0.001 \
	    --label-field label "$FIX/a.jsonl" "$FIX/b.jsonl"
	close_to "$(field value)" "$(ref otdd_uniform)" 1e-2
}

@test "sliced: --projections, --seed, --control-variate; same seed same bytes" {
	run --separate-stderr nsl-ot-distance --method sliced --projections 500 --seed 3 \
	    --control-variate upper "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	[ "$(field projections)" = 500 ]
	a1=$(field value); se=$(field std_error)
	awk -v r="$(field variance_reduction)" 'BEGIN { exit !(r > 1) }'
	run --separate-stderr nsl-ot-distance --method sliced --projections 500 --seed 3 \
	    --control-variate upper "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$(field value)" = "$a1" ]
	run --separate-stderr nsl-ot-distance --method sliced --projections 500 --seed 4 \
	    --control-variate lower "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$(field value)" != "$a1" ]
	awk -v s="$se" 'BEGIN { exit !(s > 0) }'
}

@test "the same input and seed give the same bytes: no wall-clock field unless --timing" {
	local T=$BATS_TEST_TMPDIR m i
	for m in exact sinkhorn sliced; do
		for i in 1 2; do
			nsl-ot-distance --method $m --seed 3 -o "$T/$m$i.json" \
			    "$FIX/a.jsonl" "$FIX/b.jsonl"
		done
		cmp "$T/${m}1.json" "$T/${m}2.json"
		! grep -q seconds "$T/${m}1.json" || fail "$(cat "$T/${m}1.json")"
		nsl-ot-distance --method $m --seed 3 --timing -o "$T/${m}t.json" \
		    "$FIX/a.jsonl" "$FIX/b.jsonl"
		run jq -c '.seconds >= 0, (.seconds | type)' "$T/${m}t.json"
		assert_output $'true\n"number"'
		[ "$(jq -c 'del(.seconds)' "$T/${m}t.json")" = "$(cat "$T/${m}1.json")" ]
	done
}

@test "--potentials and --plan (exact): duals meet the value, plan sums to 1" {
	run --separate-stderr nsl-ot-distance --potentials "$BATS_TEST_TMPDIR/pot.jsonl" \
	    --plan "$BATS_TEST_TMPDIR/plan.jsonl" --plan-threshold 0 "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 0 ]
	v=$(field value)
	[ "$(wc -l < "$BATS_TEST_TMPDIR/pot.jsonl")" -eq 105 ]
	# uniform weights: <a,f> + <b,g> = value
	dual=$(jq -s '(map(select(.set == "a") | .potential) | add / 60) + (map(select(.set == "b") | .potential) | add / 45)' "$BATS_TEST_TMPDIR/pot.jsonl")
	close_to "$dual" "$v" 1e-9
	mass=$(jq -s 'map(.mass) | add' "$BATS_TEST_TMPDIR/plan.jsonl")
	close_to "$mass" 1 1e-12
	# a basic solution has at most n + m - 1 entries
	[ "$(wc -l < "$BATS_TEST_TMPDIR/plan.jsonl")" -le 104 ]
}

@test "--plan-threshold drops small entries (sinkhorn)" {
	run --separate-stderr nsl-ot-distance --method sinkhorn --plan "$BATS_TEST_TMPDIR/p1" \
	    --plan-threshold 0 "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/p1")" -eq 2700 ]
	run --separate-stderr nsl-ot-distance --method sinkhorn --plan "$BATS_TEST_TMPDIR/p2" \
	    --plan-threshold 1e-4 "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$(wc -l < "$BATS_TEST_TMPDIR/p2")" -lt 2700 ]
	[ "$(jq -s 'map(select(.mass <= 1e-4)) | length' "$BATS_TEST_TMPDIR/p2")" = 0 ]
}

@test "--field and -o" {
	jq -c '{v: .embedding}' "$FIX/a.jsonl" > "$BATS_TEST_TMPDIR/a.jsonl"
	jq -c '{v: .embedding}' "$FIX/b.jsonl" > "$BATS_TEST_TMPDIR/b.jsonl"
	run --separate-stderr nsl-ot-distance --field v -o "$BATS_TEST_TMPDIR/out.jsonl" \
	    "$BATS_TEST_TMPDIR/a.jsonl" "$BATS_TEST_TMPDIR/b.jsonl"
	[ "$status" -eq 0 ] && [ -z "$output" ]
	close_to "$(jq -r .value "$BATS_TEST_TMPDIR/out.jsonl")" "$(ref exact_uniform)" 1e-9
}

@test "bad input: different dimensions" {
	echo '{"embedding":[1,2]}' > "$BATS_TEST_TMPDIR/x.jsonl"
	mkdir "$BATS_TEST_TMPDIR/o"
	run --separate-stderr nsl-ot-distance -o "$BATS_TEST_TMPDIR/o/r" "$BATS_TEST_TMPDIR/x.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"different lengths (2 and 3)"* ]]
	assert_dir_empty "$BATS_TEST_TMPDIR/o"
}

@test "bad input: empty set" {
	: > "$BATS_TEST_TMPDIR/e.jsonl"
	run --separate-stderr nsl-ot-distance "$BATS_TEST_TMPDIR/e.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"no records"* ]]
}

@test "bad input: negative and all-zero weights name file:line" {
	printf '{"embedding":[1],"w":1}\n{"embedding":[2],"w":-1}\n' > "$BATS_TEST_TMPDIR/n.jsonl"
	run --separate-stderr nsl-ot-distance --weight-field w "$BATS_TEST_TMPDIR/n.jsonl" "$BATS_TEST_TMPDIR/n.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"n.jsonl:2: "*"negative weight"* ]]
	printf '{"embedding":[1],"w":0}\n{"embedding":[2],"w":0}\n' > "$BATS_TEST_TMPDIR/z.jsonl"
	run --separate-stderr nsl-ot-distance --weight-field w "$BATS_TEST_TMPDIR/z.jsonl" "$BATS_TEST_TMPDIR/z.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"all weights are zero"* ]]
	printf '{"embedding":[1]}\n' > "$BATS_TEST_TMPDIR/m.jsonl"
	run --separate-stderr nsl-ot-distance --weight-field w "$BATS_TEST_TMPDIR/m.jsonl" "$BATS_TEST_TMPDIR/m.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"m.jsonl:1: "*'"w"'* ]]
}

@test "bad input: NaN names file:line and field" {
	printf '{"embedding":[1]}\n{"embedding":[NaN]}\n' > "$BATS_TEST_TMPDIR/nan.jsonl"
	run --separate-stderr nsl-ot-distance "$BATS_TEST_TMPDIR/nan.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 65 ]
	[[ "$stderr" == *"nan.jsonl:2: "* ]]
}

@test "otdd without --label-field; bad --method, --cost, --p: exit 64" {
	run --separate-stderr nsl-ot-distance --method otdd "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance --method nope "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance --cost nope "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance --cost cosine --p 2 "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance --eps 1 --eps-rel 1 "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance --control-variate lower "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance "$FIX/a.jsonl"
	[ "$status" -eq 64 ]
}

@test "common error paths: bad option 64, missing file 66, --help 0, /dev/full 74" {
	run --separate-stderr nsl-ot-distance --bogus "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 64 ]
	run --separate-stderr nsl-ot-distance "$BATS_TEST_TMPDIR/none.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 66 ]
	run --separate-stderr nsl-ot-distance --help
	[ "$status" -eq 0 ]
	[[ "$output" == "usage: nsl-ot-distance"* ]]
	run --separate-stderr sh -c 'nsl-ot-distance "$1" "$2" > /dev/full' sh "$FIX/a.jsonl" "$FIX/b.jsonl"
	[ "$status" -eq 74 ]
}

@test "man page: lint clean, and its EXAMPLES run from the top" {
	local man="$TESTS_DIR/../man/nsl-ot-distance.1"
	require_prog mandoc mandoc
	cd "$BATS_TEST_TMPDIR"
	ln -s "$TESTS_DIR" tests
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /s/^\.Dl \$ //p' "$man" | sed 's/\\e/\\/g' > examples.sh
	[ "$(wc -l < examples.sh)" -eq 7 ]
	run --separate-stderr sh -e examples.sh
	assert_success
	# the list, four results (one per method named), three plan entries
	[ "$(grep -c '"distance"' <<< "$output")" -eq 4 ]
	[ "$(grep -c '"mass"' <<< "$output")" -eq 3 ]
	run mandoc -Tlint -Wwarning "$man"
	assert_output ''
}

@test "the methods: golden cases worked out by hand (tests/fixtures/ot/methods.test)" {
	golden "$FIX/methods.test"
}

@test "--list-methods lists the catalogue; the man page describes the same methods in the same order" {
	run --separate-stderr nsl-ot-distance --list-methods
	assert_success
	listed=$(printf '%s\n' "$output" | awk '/^[a-z]/ { print $1 }')
	[ "$(printf '%s\n' "$listed" | wc -l)" -ge 7 ]
	# each method's second line names its costs
	[ "$(printf '%s\n' "$output" | grep -c '^ *costs: ')" -eq "$(printf '%s\n' "$listed" | wc -l)" ]
	# the tag list after "Methods" in DESCRIPTION
	in_man=$(sed -n '/^Methods$/,/^\.El/s/^\.It Cm //p' "$TESTS_DIR/../man/nsl-ot-distance.1")
	[ "$listed" = "$in_man" ] || fail "listed: $listed; man page: $in_man"
	# and each one is accepted by --method
	for m in $listed; do
		run --separate-stderr nsl-ot-distance --method "$m" --label-field label \
		    "$FIX/a.jsonl" "$FIX/b.jsonl"
		[ "$status" -eq 0 ] || fail "$m: $stderr"
	done
}

# ---- numbers near the ends of the double range ----

@test "points 1e160 apart: distance 1e160 by every sqeuclidean method, not 0; value 1e320 is null" {
	T=$BATS_TEST_TMPDIR
	echo '{"embedding":[1e160,0,0]}' > "$T/a.jsonl"
	echo '{"embedding":[1,2,3]}' > "$T/b.jsonl"
	# sqrt((1e160 - 1)^2 + 2^2 + 3^2) = 1e160 in doubles; its square,
	# the value, is beyond the largest double (1.8e308): null
	for m in exact sinkhorn divergence sns gaussian; do
		run --separate-stderr nsl-ot-distance --method $m "$T/a.jsonl" "$T/b.jsonl"
		[ "$status" -eq 0 ] || fail "$m: status $status: $stderr"
		close_to "$(field distance)" 1e160 1e-12 || fail "$m: $output"
		[ "$(field value)" = null ] || fail "$m: $output"
		[ "$(field converged)" = true ]
	done
	run --separate-stderr nsl-ot-distance --method sinkhorn "$T/a.jsonl" "$T/b.jsonl"
	# epsilon = 0.05 x the mean cost, 5e318: null too
	[ "$(field epsilon)" = null ] && [ "$(field objective)" = null ]
}

@test "points 1e160 apart: euclidean cost 1e160, cosine cost 1 - 1/sqrt(14)" {
	T=$BATS_TEST_TMPDIR
	echo '{"embedding":[1e160,0,0]}' > "$T/a.jsonl"
	echo '{"embedding":[1,2,3]}' > "$T/b.jsonl"
	for m in exact sinkhorn sns; do
		run --separate-stderr nsl-ot-distance --method $m --cost euclidean "$T/a.jsonl" "$T/b.jsonl"
		close_to "$(field distance)" 1e160 1e-12 && close_to "$(field value)" 1e160 1e-12 ||
			fail "$m: $output"
		# cos = 1e160 / (1e160 sqrt(14))
		run --separate-stderr nsl-ot-distance --method $m --cost cosine "$T/a.jsonl" "$T/b.jsonl"
		close_to "$(field distance)" 0.73273875808757568 1e-12 || fail "$m: $output"
	done
}

@test "exact W2 of 8 points near 1e308 is the best assignment's, worked out scaled" {
	T=$BATS_TEST_TMPDIR
	/usr/bin/python3 - "$T" <<'PY'
import itertools, math, random, sys
random.seed(5)
T = sys.argv[1]
a = [[random.choice([-1, 1]) * random.uniform(0.1, 1.7) * 1e308 for _ in range(3)] for _ in range(6)]
b = [[random.choice([-1, 1]) * random.uniform(0.1, 1.7) * 1e308 for _ in range(3)] for _ in range(6)]
for name, pts in (("a", a), ("b", b)):
    with open(f"{T}/{name}.jsonl", "w") as f:
        for p in pts:
            f.write('{"embedding":[%s]}\n' % ",".join(repr(v) for v in p))
# uniform weights, equal sizes: the optimum is a permutation; in units
# of 2^1024 no square overflows
s = lambda v: math.ldexp(v, -1024)
cost = lambda p, q: sum((s(x) - s(y)) ** 2 for x, y in zip(p, q))
best = min(sum(cost(a[i], b[j]) for i, j in enumerate(perm)) / 6
           for perm in itertools.permutations(range(6)))
open(f"{T}/want", "w").write(repr(math.ldexp(math.sqrt(best), 1024)))
PY
	run --separate-stderr nsl-ot-distance "$T/a.jsonl" "$T/b.jsonl"
	[ "$status" -eq 0 ]
	close_to "$(field distance)" "$(cat "$T/want")" 1e-12
	[ "$(field value)" = null ]
}

@test "subnormal points: the distance 5e-324 is exact, its square underflows to 0" {
	T=$BATS_TEST_TMPDIR
	echo '{"embedding":[5e-324,0]}' > "$T/a.jsonl"
	echo '{"embedding":[0,0]}' > "$T/b.jsonl"
	run --separate-stderr nsl-ot-distance --cost euclidean "$T/a.jsonl" "$T/b.jsonl"
	[ "$(field distance)" = 5e-324 ] && [ "$(field value)" = 5e-324 ]
	run --separate-stderr nsl-ot-distance "$T/a.jsonl" "$T/b.jsonl"
	[ "$(field distance)" = 5e-324 ] && [ "$(field value)" = 0 ]
}

@test "a distance beyond the double range: exit 65 naming the field, no output" {
	T=$BATS_TEST_TMPDIR
	echo '{"embedding":[1.7e308]}' > "$T/a.jsonl"
	echo '{"embedding":[-1.7e308]}' > "$T/b.jsonl"
	nsl_fails_cleanly nsl-ot-distance out.json 65 'field "distance": value out of range' \
	    --cost euclidean "$T/a.jsonl" "$T/b.jsonl"
}
