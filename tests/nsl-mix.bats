#!/usr/bin/env bats
# nsl-mix: counts by proportion and by temperature worked out by hand,
# each mode (repeat, lines, weight), the draw per seed, sources grouped
# as every tool groups, and the bad inputs (one line "nsl-mix: ...", the
# documented exit code, no output file left).

bats_require_minimum_version 1.5.0

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	# sources: a has 4 records, b 2, c 1
	for i in 1 2 3 4; do echo "{\"id\":$i,\"source\":\"a\"}"; done >"$T/m"
	echo '{"id":5,"source":"b"}' >>"$T/m"
	echo '{"id":6,"source":"b"}' >>"$T/m"
	echo '{"id":7,"source":"c"}' >>"$T/m"
}

# per_source FILE FIELD: "a=SUM b=SUM ..." of FIELD over each source
per_source() {
	sed 's/.*"source":"\([^"]*\)".*"'"$2"'":\([0-9.e+-]*\).*/\1 \2/' "$1" |
	    awk '{ s[$1] += $2 } END { for (k in s) printf "%s=%s\n", k, s[k] }' |
	    sort | tr '\n' ' '
}

fails_cleanly() {
	nsl_fails_cleanly nsl-mix o.jsonl "$@"
}

@test "--weights 0.5,0.3,0.2 of 10: repeats sum to 5, 3, 2; b and c upsampled evenly" {
	nsl-mix --weights a=0.5,b=0.3,c=0.2 --keep 10 --seed 3 "$T/m" >"$T/o"
	assert_equal "$(per_source "$T/o" repeat)" "a=5 b=3 c=2 "
	# a: 5 of 4, each once and one twice; b: 3 of 2: 1 and 2; c: 2
	assert_equal "$(grep -c '"repeat":2' "$T/o")" 3
	assert_equal "$(grep -c . "$T/o")" 7
	grep -qx '{"id":7,"source":"c","repeat":2}' "$T/o"
}

@test "--temperature 2 of 7: p = 2, sqrt 2, 1 over 4.414; largest remainders give 3, 2, 2" {
	# shares 7 p = 3.172, 2.243, 1.586: floors 3 2 1 (6), the largest
	# remainder (c, 0.586) gets the 7th
	run --separate-stderr nsl-mix --temperature 2 --report "$T/m"
	assert_success
	printf '%s\n' "${lines[@]}" >"$T/o"
	assert_equal "$(per_source "$T/o" repeat)" "a=3 b=2 c=2 "
	[[ "$stderr" == *'source "c": 1 records, proportion 0.2265409196609'*', count 2, 1 kept'* ]] ||
		fail "$stderr"
}

@test "--temperature 1 keeps the data's proportions; --keep 3 drops c (remainders 0.714, 0.857, 0.429)" {
	nsl-mix "$T/m" >"$T/o"
	assert_equal "$(per_source "$T/o" repeat)" "a=4 b=2 c=1 "
	cmp <(sed 's/,"repeat":1}/}/' "$T/o") "$T/m"
	nsl-mix --keep 3 "$T/m" >"$T/o"
	assert_equal "$(per_source "$T/o" repeat)" "a=2 b=1 "
}

@test "a large temperature is uniform: 9 records, 3 a source; --mode lines repeats lines" {
	nsl-mix --temperature 1e9 --mode lines --keep 9 "$T/m" >"$T/o"
	assert_equal "$(grep -c '"source":"a"' "$T/o")" 3
	assert_equal "$(grep -c '"source":"b"' "$T/o")" 3
	assert_equal "$(grep -c '"source":"c"' "$T/o")" 3
	# the lines are the input's, byte for byte, c's three times running
	assert_equal "$(tail -3 "$T/o" | sort -u)" '{"id":7,"source":"c"}'
	run grep -c repeat "$T/o"
	assert_output 0
}

@test "--mode weight: no copies; each source's weights sum to its count" {
	nsl-mix --weights a=0.5,b=0.3,c=0.2 --keep 10 --mode weight "$T/m" >"$T/o"
	assert_equal "$(per_source "$T/o" weight)" "a=5 b=3 c=2 "
	# a: 5 of 4 kept records: 1.25 each; b 1.5; c 2
	assert_equal "$(grep -c . "$T/o")" 7
	grep -qx '{"id":1,"source":"a","weight":1.25}' "$T/o"
	grep -qx '{"id":5,"source":"b","weight":1.5}' "$T/o"
	nsl-mix --weights a=0.5,b=0.3,c=0.2 --keep 4 --mode weight --out-field w "$T/m" >"$T/o"
	assert_equal "$(per_source "$T/o" w)" "a=2 b=1 c=1 "
}

@test "the same seed gives the same bytes; other seeds other draws" {
	nsl-mix --keep 3 --seed 1 "$T/m" >"$T/a"
	nsl-mix --keep 3 --seed 1 "$T/m" >"$T/b"
	cmp "$T/a" "$T/b"
	for s in 2 3 4 5 6 7 8 9; do
		nsl-mix --keep 3 --seed $s "$T/m" | cmp -s - "$T/a" || return 0
	done
	fail "eight seeds drew the same records"
}

@test "upsampling 1000 of 400: every record twice, and 200 drawn for a third time" {
	for i in $(seq 400); do echo "{\"id\":$i,\"source\":1}"; done >"$T/in"
	nsl-mix --keep 1000 --seed 7 "$T/in" >"$T/o"
	run sh -c "grep -o '\"repeat\":[0-9]*' '$T/o' | sort | uniq -c | awk '{ print \$1, \$2 }'"
	assert_output $'200 "repeat":2\n200 "repeat":3'
	# 1000 = 2 x 400 + 200
}

@test "sources group as every tool groups: 2 and 2.0 are one; --weights names numbers and strings" {
	printf '{"s":2}\n{"s":2.0}\n{"s":"x"}\n{"s":true}\n' >"$T/in"
	nsl-mix --source-field s --weights 2=2,x=1,true=1 --keep 8 "$T/in" >"$T/o"
	assert_equal "$(grep -o '"repeat":[0-9]*' "$T/o" | tr '\n' ' ')" \
	    '"repeat":2 "repeat":2 "repeat":2 "repeat":2 '
}

@test "a repeat field in the input is replaced; stdin and gzip" {
	printf '{"source":"a","repeat":9}\n' | gzip -c >"$T/in.gz"
	run -0 nsl-mix --keep 2 "$T/in.gz"
	assert_output '{"source":"a","repeat":2}'
	run -0 nsl-mix --keep 2 - <"$T/m"
	[ "${#lines[@]}" -ge 1 ]
}

@test "bad input: a missing source 65 at file:line; weights that do not fit the sources 65" {
	echo '{"id":8}' >>"$T/m"
	fails_cleanly 65 "^nsl-mix: $T/m:8: missing field \"source\"\$" "$T/m"
	sed -i '$d' "$T/m"
	fails_cleanly 65 '^nsl-mix: --weights: no record has source "d"$' \
	    --weights a=1,b=1,c=1,d=1 "$T/m"
	fails_cleanly 65 '^nsl-mix: source "c" has no weight' --weights a=1,b=1 "$T/m"
	: >"$T/empty"
	fails_cleanly 65 '^nsl-mix: --keep 3: no records$' --keep 3 "$T/empty"
	fails_cleanly 66 '^nsl-mix: ' "$T/nope"
}

@test "bad command lines exit 64" {
	fails_cleanly 64 '^nsl-mix: ' --weights a=1 --temperature 2 "$T/m"
	fails_cleanly 64 '^nsl-mix: ' --temperature 0 "$T/m"
	fails_cleanly 64 '^nsl-mix: --weights' --weights a=x "$T/m"
	fails_cleanly 64 '^nsl-mix: --weights' --weights a "$T/m"
	fails_cleanly 64 '^nsl-mix: --weights: the weights sum to 0' --weights a=0,b=0,c=0 "$T/m"
	fails_cleanly 64 '^nsl-mix: --weights: source "a" given twice' --weights a=1,a=2,b=1,c=1 "$T/m"
	fails_cleanly 64 '^nsl-mix: ' --mode copies "$T/m"
	run -0 nsl-mix --help
	[[ "$output" == "usage: nsl-mix "* ]]
}

@test "a write error exits 74" {
	run --separate-stderr sh -c "nsl-mix '$T/m' >/dev/full"
	[ "$status" -eq 74 ] || fail "status $status"
	[[ "$stderr" == nsl-mix:* ]] || fail "$stderr"
}

# ---- the mixture search ----

# ot_at W0 TRAIN VALID: the exact OT cost of the 2-source mixture (w0 on
# label 0, 1 - w0 on label 1, 200 records each) to VALID, by
# nsl-ot-distance with record weights
ot_at() {
	awk -v w="$1" '{ match($0, /"label":[0-9]+/); l = substr($0, RSTART + 8, RLENGTH - 8) + 0
		sub(/}$/, ",\"w\":" sprintf("%.17g", (l == 0 ? w : 1 - w) / 200) "}"); print }' \
	    "$2" >"$T/trw"
	sed 's/}$/,"w":1}/' "$3" >"$T/vaw"
	nsl-ot-distance --weight-field w "$T/trw" "$T/vaw" |
	    sed 's/.*"value":\([0-9.e+-]*\).*/\1/'
}

@test "--search: off the grid, the searched mixture's OT cost is below every point of the 0.1 grid" {
	nsl-synth --n 400 --dim 2 --classes 2 --separation 4 --seed 1 gaussian-mixture >"$T/tr"
	nsl-synth --n 300 --dim 2 --classes 2 --separation 4 --weights 35,65 \
	    --seed 1 --test gaussian-mixture >"$T/va"
	nsl-mix --search --source-field label --valid "$T/va" "$T/tr" >"$T/s"
	w0=$(sed 's/.*"weights":{"0":\([0-9.e-]*\),.*/\1/' "$T/s")
	cost=$(sed 's/.*"cost":\([0-9.e+-]*\),.*/\1/' "$T/s")
	# the record's cost is the OT cost of its weights
	at=$(ot_at "$w0" "$T/tr" "$T/va")
	awk -v a="$at" -v c="$cost" 'BEGIN { exit !(a - c < 1e-9 * c && c - a < 1e-9 * c) }' ||
		fail "cost $cost, nsl-ot-distance at $w0: $at"
	# and below the grid's best by a margin (here 0.3 or 0.4)
	best=1e300
	for g in 0 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1; do
		v=$(ot_at $g "$T/tr" "$T/va")
		best=$(awk -v a="$v" -v b="$best" 'BEGIN { print (a < b ? a : b) }')
	done
	awk -v c="$cost" -v b="$best" 'BEGIN { exit !(c < 0.97 * b) }' ||
		fail "search cost $cost (w0 $w0), grid best $best"
	awk -v w="$w0" 'BEGIN { exit !(w > 0.3 && w < 0.4) }' || fail "w0 $w0"
}

@test "--search: three sources, the validation set drawn like one of them: nearly all its weight" {
	nsl-synth --n 600 --dim 3 --classes 3 --separation 5 --seed 2 gaussian-mixture >"$T/tr"
	nsl-synth --n 300 --dim 3 --classes 3 --separation 5 --seed 2 --test \
	    gaussian-mixture | grep '"label":1[,}]' >"$T/va"
	run -0 nsl-mix --search --source-field label --valid "$T/va" "$T/tr"
	w1=$(echo "$output" | sed 's/.*"1":\([0-9.e-]*\).*/\1/')
	awk -v w="$w1" 'BEGIN { exit !(w > 0.9) }' || fail "$output"
	[[ "$output" == '{"search":"frank-wolfe","weights":{"0":'*',"2":'*'},"cost":'*',"gap":'*',"iterations":'* ]] ||
		fail "$output"
}

@test "--search: bad command lines 64, bad data 65" {
	fails_cleanly 64 '^nsl-mix: --search needs --valid FILE$' --search "$T/m"
	fails_cleanly 64 '^nsl-mix: --ot-method: the search needs a method that gives potentials$' \
	    --search --ot-method sliced --valid "$T/m" "$T/m"
	printf '{"source":"a","embedding":[1,2]}\n{"source":"b","embedding":[2,1]}\n' >"$T/in"
	printf '{"embedding":[1,2,3]}\n' >"$T/v"
	fails_cleanly 65 '^nsl-mix: --valid .*: vectors of 3 numbers, the records. have 2$' \
	    --search --valid "$T/v" "$T/in"
	fails_cleanly 65 "^nsl-mix: $T/m:1: " --search --valid "$T/v" "$T/m"
}
