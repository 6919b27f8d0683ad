#!/usr/bin/env bats
# nsl-quantize: the formats through the command line, every flag, the
# codes layout and --decode, and the bad inputs (one line
# "nsl-quantize: FILE:LINE: ...", the documented exit code, no output).
#
# Expected values are worked out by hand in the comments from the format
# definitions (OCP 8-bit FP, OCP MX v1.0, QLoRA's NF4 table); the C unit
# test (tests/unit/test_quant.c) covers every code exhaustively.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/quantize"

setup() {
	require_prog /usr/bin/python3 python3
	T=$BATS_TEST_TMPDIR
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-quantize out.jsonl "$@"
}

# ---- values ----

@test "fp8-e4m3 cast keeps every other byte of the record" {
	# 1 -> 1; 0.3 = 1.2*2^-2 -> 1.25*2^-2 = 0.3125 (mantissa 010);
	# 1e-9 < 2^-10 (half the smallest subnormal 2^-9) -> 0; -0 stays -0;
	# 240 = 1.875*2^7 exact
	run --separate-stderr nsl-quantize --format fp8-e4m3 "$FIX/spacing.jsonl"
	[ "$status" -eq 0 ]
	assert_output "$(cat "$FIX/spacing.e4m3.jsonl")"
}

@test "fp8 overflow is NaN by default (ml_dtypes): an error without --allow-nonfinite" {
	fails_cleanly 65 '^nsl-quantize: .*overflow.jsonl:2: field "embedding": element 1: 500 becomes NaN in fp8-e4m3' \
	    --format fp8-e4m3 "$FIX/overflow.jsonl"
}

@test "--allow-nonfinite writes NaN for e4m3 and Infinity for e5m2" {
	# 464 = 448 + 16 is the tie between 448 (mantissa 110, even) and the
	# NaN slot 480: it goes to 448; 500 -> NaN
	run --separate-stderr nsl-quantize --format fp8-e4m3 --allow-nonfinite "$FIX/overflow.jsonl"
	[ "$status" -eq 0 ]
	# -440 is nearer -448 than -416
	assert_line --index 1 '{"embedding":[448,NaN,-448,448]}'
	# e5m2: max 57344; 61440 = 57344 + 4096 ties to the even 65536 -> inf
	echo '{"embedding":[57344,61440,61439,-1e6]}' > "$T/in.jsonl"
	run --separate-stderr nsl-quantize --format fp8-e5m2 --allow-nonfinite "$T/in.jsonl"
	assert_output '{"embedding":[57344,Infinity,57344,-Infinity]}'
}

@test "--saturate clamps to +-max" {
	run --separate-stderr nsl-quantize --format fp8-e4m3 --saturate "$FIX/overflow.jsonl"
	[ "$status" -eq 0 ]
	assert_line --index 1 '{"embedding":[448,448,-448,448]}'
}

@test "inputs are rounded to float32 first unless --no-f32" {
	# 1.0625 + 2^-30: float32 drops the 2^-30, leaving the tie 1.0625
	# between 1 and 1.125, which goes to the even 1; as a double it is just
	# above the tie and goes to 1.125
	echo '{"embedding":[1.0625000009313226]}' > "$T/in.jsonl"
	run nsl-quantize --format fp8-e4m3 "$T/in.jsonl"
	assert_output '{"embedding":[1]}'
	run nsl-quantize --format fp8-e4m3 --no-f32 "$T/in.jsonl"
	assert_output '{"embedding":[1.125]}'
}

@test "fp6 and fp4 formats and eXmY" {
	echo '{"embedding":[7.4,7.8,100,0.1,-2.6]}' > "$T/in.jsonl"
	# e2m3: step 0.5 in [4,8): 7.4 -> 7.5; 7.8 saturates to 7.5; 0.1 ->
	# 0.125 (subnormal step 1/8); -2.6 -> -2.5 (step 0.25 in [2,4))
	run nsl-quantize --format fp6-e2m3 "$T/in.jsonl"
	assert_output '{"embedding":[7.5,7.5,7.5,0.125,-2.5]}'
	# e3m2: 7.4 -> 7 (step 1 in [4,8)), 7.8 -> 8, 100 -> 28 (max), 0.1 ->
	# 0.125 (step 1/16), -2.6 -> -2.5
	run nsl-quantize --format fp6-e3m2 "$T/in.jsonl"
	assert_output '{"embedding":[7,8,28,0.125,-2.5]}'
	# e2m1: {0,.5,1,1.5,2,3,4,6}: 7.4 -> 6, 0.1 -> 0, -2.6 -> -3
	run nsl-quantize --format fp4-e2m1 "$T/in.jsonl"
	assert_output '{"embedding":[6,6,6,0,-3]}'
	# e3m0 (no mantissa bits): bias 3, exponent field 0 is zero, the
	# others 2^-2 .. 2^4 = 16; ties at 1.5*2^k: 7.4 and 7.8 -> 8 (above
	# the tie 6), 100 -> 16, 0.1 -> 0 (below the tie 0.125), -2.6 -> -2
	run nsl-quantize --format e3m0 "$T/in.jsonl"
	assert_output '{"embedding":[8,8,16,0,-2]}'
}

@test "int8 and int4, symmetric per row and asymmetric" {
	require_prog jq jq
	# int8: amax 15.875 = 127/8, scale 1/8: round(8x) half to even
	echo '{"embedding":[15.875,-7.9375,0.0625,0.1875]}' > "$T/in.jsonl"
	run nsl-quantize --format int8 "$T/in.jsonl"
	assert_output '{"embedding":[15.875,-8,0,0.25]}'
	# int4: amax 3.5, scale 0.5: 1.25 -> 2.5 -> 2 -> 1
	echo '{"embedding":[3.5,1.25,-0.75,0.2]}' > "$T/in.jsonl"
	run nsl-quantize --format int4 "$T/in.jsonl"
	assert_output '{"embedding":[3.5,1,-1,0]}'
	# asymmetric int8: lo -1, hi 3, scale 4/255 (float32 0.01568627543),
	# zero point round(63.75) = 64; codes 0, 96, 255 as the unit test
	echo '{"embedding":[-1,0.5,3]}' > "$T/in.jsonl"
	run nsl-quantize --format int8 --asymmetric --emit codes "$T/in.jsonl"
	[ "$(echo "$output" | jq -c '.embedding.zero_points')" = "[64]" ]
	[ "$(echo "$output" | jq -r '.embedding.codes' | base64 -d | od -An -tu1 | tr -s ' ')" = " 0 96 255" ]
}

@test "--scale-by tensor shares one scale over all records" {
	require_prog jq jq
	# amax over both records 12.7: scale 0.1 (float32); 1.27 -> 12.7
	printf '%s\n' '{"embedding":[1.27,0.05]}' '{"embedding":[12.7]}' > "$T/in.jsonl"
	run nsl-quantize --format int8 --scale-by tensor --emit codes "$T/in.jsonl"
	[ "$(echo "$output" | jq -c '.embedding.scales' | head -1)" = "$(echo "$output" | jq -c '.embedding.scales' | tail -1)" ]
	[ "$(echo "$output" | head -1 | jq -r '.embedding.codes' | base64 -d | od -An -tu1 | tr -s ' ')" = " 13 0" ]
}

@test "nf4 uses the QLoRA levels with absmax blocks" {
	# absmax 1; 0.5 -> level 12 (0.4407...), 0.25 -> level 10 (0.2461...)
	echo '{"embedding":[0.5,-1,0.25,0]}' > "$T/in.jsonl"
	run nsl-quantize --format nf4 "$T/in.jsonl"
	assert_output '{"embedding":[0.44070982933044434,-1,0.24611230194568634,0]}'
}

@test "MX: outlier block, partial last block, --block and --scale-mode" {
	require_prog jq jq
	# mxfp4, block 4: [1000, .001, .001, .001] E = 9 - 2 = 7: 1000/128
	# saturates to 6 -> 768, the rest flush; last block [3, 0.5]: E =
	# 1 - 2 = -1, elements 6 and 1 -> 3, 0.5
	echo '{"embedding":[1000,0.001,0.001,0.001,3,0.5]}' > "$T/in.jsonl"
	run nsl-quantize --format mxfp4 --block 4 --emit codes "$T/in.jsonl"
	[ "$(echo "$output" | jq -c '.embedding.e8m0')" = "[134,126]" ]
	run nsl-quantize --format mxfp4 --block 4 "$T/in.jsonl"
	assert_output '{"embedding":[768,0,0,0,3,0.5]}'
	# ceil: E = 10 - 2 = 8, 1000/256 = 3.906 -> 4 -> 1024
	run nsl-quantize --format mxfp4 --block 4 --scale-mode ceil "$T/in.jsonl"
	assert_output '{"embedding":[1024,0,0,0,3,0.5]}'
	# rceil: smallest E with 6*2^E >= 1000 is 8 -> 1024; [3,.5]: 6*2^-1
	# = 3 -> E -1
	run nsl-quantize --format mxfp4 --block 4 --scale-mode rceil "$T/in.jsonl"
	assert_output '{"embedding":[1024,0,0,0,3,0.5]}'
}

@test "--emit codes: 4-bit codes two per byte, low nibble first" {
	# fp4 codes of 1, 6, -0.5: 0x2, 0x7, 0x9 -> bytes 0x72 0x09 -> "cgk="
	echo '{"id":"a","embedding":[1,6,-0.5]}' > "$T/in.jsonl"
	run nsl-quantize --format fp4-e2m1 --emit codes "$T/in.jsonl"
	assert_output '{"id":"a","embedding":{"format":"fp4-e2m1","n":3,"scale":"none","codes":"cgk="}}'
}

@test "--decode inverts --emit codes for every kind of format" {
	for args in "--format fp8-e5m2" "--format mxfp6-e3m2" "--format nf4" \
	    "--format int4 --asymmetric" "--format int8 --scale-by tensor" \
	    "--format mxint8 --rotate hadamard --seed 3" \
	    "--format fp4-e2m1 --block 8" "--format e3m4-ieee --saturate" \
	    "--format nf4 --no-f32"; do
		nsl-quantize $args "$FIX/gauss.jsonl" > "$T/values.jsonl"
		nsl-quantize $args --emit codes "$FIX/gauss.jsonl" > "$T/codes.jsonl"
		nsl-quantize --decode "$T/codes.jsonl" > "$T/back.jsonl"
		cmp "$T/values.jsonl" "$T/back.jsonl" || fail "round trip of $args"
	done
}

@test "--decode refuses codes of another format and bad codes" {
	nsl-quantize --format mxfp4 --emit codes "$FIX/gauss.jsonl" > "$T/codes.jsonl"
	fails_cleanly 65 'codes.jsonl:1: field "embedding": codes of format mxfp4, not nf4' \
	    --decode --format nf4 "$T/codes.jsonl"
	echo '{"embedding":{"format":"fp4-e2m1","n":3,"scale":"none","codes":"cg=="}}' > "$T/bad.jsonl"
	fails_cleanly 65 'bad.jsonl:1: field "embedding": bad codes object: "codes" is not base64 of n codes' \
	    --decode "$T/bad.jsonl"
	fails_cleanly 65 'gauss.jsonl:1: field "embedding": expected a codes object' \
	    --decode "$FIX/gauss.jsonl"
}

@test "--rounding stochastic: reproducible with --seed, values are neighbours" {
	require_prog jq jq
	echo '{"embedding":[1.0375,1.0375,1.0375,1.0375,1.0375,1.0375,1.0375,1.0375]}' > "$T/in.jsonl"
	run nsl-quantize --format fp8-e4m3 --rounding stochastic --seed 9 "$T/in.jsonl"
	a=$output
	run nsl-quantize --format fp8-e4m3 --rounding stochastic --seed 9 "$T/in.jsonl"
	[ "$output" = "$a" ]
	[ "$(echo "$a" | jq -c '.embedding | map(select(. != 1 and . != 1.125))')" = "[]" ]
	nsl-quantize --format fp8-e4m3 --rounding stochastic --seed 1 "$FIX/gauss.jsonl" > "$T/s1"
	nsl-quantize --format fp8-e4m3 --rounding stochastic --seed 2 "$FIX/gauss.jsonl" > "$T/s2"
	! cmp -s "$T/s1" "$T/s2"
}

@test "--stats writes one record to stderr, --stats-file to a file" {
	require_prog jq jq
	# fp4 of (3, 4, 0.1, 0): 0.1 flushes; mse 0.01/4; sqnr
	# 10 log10(25.01 / 0.01) = 33.98 dB
	echo '{"embedding":[3,4,0.1,0]}' > "$T/in.jsonl"
	run --separate-stderr nsl-quantize --format fp4-e2m1 --stats "$T/in.jsonl"
	[ "$status" -eq 0 ]
	assert_output '{"embedding":[3,4,0,0]}'
	[ "$(echo "$stderr" | jq -c '[.count, .rows, .flushed, .saturated, .nan]')" = "[4,1,1,0,0]" ]
	[ "$(echo "$stderr" | jq '.sqnr_db * 100 | round')" = "3398" ]
	[ "$(echo "$stderr" | jq '.mse * 1e6 | round')" = "2500" ]
	run --separate-stderr nsl-quantize --format fp4-e2m1 --stats-file "$T/st.json" "$T/in.jsonl"
	[ -z "$stderr" ]
	[ "$(jq -r .format "$T/st.json")" = "fp4-e2m1" ]
}

@test "--search picks the split and clipping, and reports it" {
	require_prog jq jq
	# values on the e2m1 grid: e2m1 with no clipping is exact
	echo '{"embedding":[0,0.5,1,1.5,2,3,4,-6]}' > "$T/in.jsonl"
	run --separate-stderr nsl-quantize --format fp4-e2m1 --search "$T/in.jsonl"
	[ "$status" -eq 0 ]
	assert_output '{"embedding":[0,0.5,1,1.5,2,3,4,-6]}'
	[[ "$stderr" =~ "search: e2m1, clip 1 (mse 0)" ]]
	run --separate-stderr nsl-quantize --format fp4-e2m1 --search --stats "$FIX/gauss.jsonl"
	[ "$(echo "$stderr" | jq -r '.search_format | test("^e[1-3]m[0-2]$")')" = true ]
}

@test "--rotate hadamard needs power-of-two blocks" {
	fails_cleanly 64 'power-of-two' --format mxfp4 --block 24 --rotate hadamard "$FIX/gauss.jsonl"
	fails_cleanly 64 'per-block scales' --format int8 --rotate hadamard "$FIX/gauss.jsonl"
	run nsl-quantize --format mxfp4 --rotate hadamard --stats "$FIX/gauss.jsonl"
	[ "$status" -eq 0 ]
}

@test "--list-formats, --field, --float32, -o" {
	run nsl-quantize --list-formats
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 27 ]
	[[ "${lines[0]}" =~ ^fp8-e4m3.*max\ 448 ]]
	echo '{"w":[0.3],"embedding":"not touched"}' > "$T/in.jsonl"
	run nsl-quantize --format e5m10-x --field w "$T/in.jsonl"
	[ "$status" -eq 64 ]
	# int8 of 0.1: scale 0.1/127 in float32, 127 * scale in float32 is
	# 0.1f, printed as float32 "0.1" (as a double "0.10000000149011612")
	echo '{"w":[0.1],"embedding":"not touched"}' > "$T/in.jsonl"
	run nsl-quantize --format int8 --field w --float32 "$T/in.jsonl"
	assert_output '{"w":[0.1],"embedding":"not touched"}'
	run nsl-quantize --format int8 --field w "$T/in.jsonl"
	assert_output '{"w":[0.10000000149011612],"embedding":"not touched"}'
	nsl-quantize --format int8 --field w -o "$T/o.jsonl" "$T/in.jsonl"
	[ "$(cat "$T/o.jsonl")" = '{"w":[0.10000000149011612],"embedding":"not touched"}' ]
}

@test "the man page examples run and give the documented values" {
	run bash -c "echo '{\"id\":1,\"embedding\":[0.3,500]}' | nsl-quantize --format fp8-e4m3 --saturate"
	assert_output '{"id":1,"embedding":[0.3125,448]}'
	run bash -c "echo '{\"embedding\":[1000,0.5,-3,2]}' | nsl-quantize --format mxfp4 --stats 2>/dev/null"
	assert_output '{"embedding":[768,0,-0,0]}'
	run bash -c "echo '{\"embedding\":[1,6,-0.5]}' | nsl-quantize --format fp4-e2m1 --emit codes | nsl-quantize --decode"
	assert_output '{"embedding":[1,6,-0.5]}'
}

# ---- errors ----

@test "an unknown format is a usage error" {
	fails_cleanly 64 "^nsl-quantize: --format: unknown format 'fp7'" --format fp7 "$FIX/gauss.jsonl"
}

@test "a block size that is not a positive integer is a usage error" {
	fails_cleanly 64 'block' --format nf4 --block 0 "$FIX/gauss.jsonl"
	fails_cleanly 64 'block' --format nf4 --block -3 "$FIX/gauss.jsonl"
	fails_cleanly 64 'block' --format nf4 --block 2.5 "$FIX/gauss.jsonl"
	fails_cleanly 64 'block' --format nf4 --block x "$FIX/gauss.jsonl"
}

@test "a non-number in the vector names file, line, field and element" {
	fails_cleanly 65 '^nsl-quantize: .*bad-element.jsonl:2: field "embedding": element 1: expected a number, got a string$' \
	    --format int8 "$FIX/bad-element.jsonl"
	fails_cleanly 65 '^nsl-quantize: .*bad-element.jsonl:2: field "embedding": element 1: expected a number' \
	    --format int8 --scale-by tensor "$FIX/bad-element.jsonl"
}

@test "a missing field and malformed JSON are data errors" {
	echo '{"x":1}' > "$T/in.jsonl"
	fails_cleanly 65 'in.jsonl:1: missing field "embedding"' --format int8 "$T/in.jsonl"
	printf '{"embedding":[1]}\n{"embedding":[1,}\n' > "$T/in.jsonl"
	fails_cleanly 65 'in.jsonl:2: invalid JSON' --format int8 "$T/in.jsonl"
}

@test "bad options, missing format, missing file, --help, /dev/full" {
	fails_cleanly 64 'unrecognized|unknown' --format int8 --bogus "$FIX/gauss.jsonl"
	fails_cleanly 64 'format is required' "$FIX/gauss.jsonl"
	fails_cleanly 64 "--rounding: unknown 'sideways'" --format int8 --rounding sideways "$FIX/gauss.jsonl"
	fails_cleanly 64 'asymmetric' --format nf4 --asymmetric "$FIX/gauss.jsonl"
	fails_cleanly 66 'no-such' --format int8 "$T/no-such.jsonl"
	run nsl-quantize --help
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" =~ ^usage:\ nsl-quantize ]]
	run nsl-quantize --format int8 "$FIX/gauss.jsonl" -o /dev/full
	[ "$status" -eq 74 ]
	run bash -c "nsl-quantize --format int8 '$FIX/gauss.jsonl' > /dev/full"
	[ "$status" -eq 74 ]
}

# ---- numbers near the ends of the double range ----

@test "a value beyond float32 (1e39) is refused as the formats' overflows are, not quantized to 127" {
	printf '%s\n' '{"embedding":[1,1,-2]}' '{"embedding":[1e39,1,-2]}' > "$BATS_TEST_TMPDIR/x.jsonl"
	for args in "--format int8" "--format int8 --scale-by tensor" "--format nf4" \
	    "--format int4 --asymmetric" "--format int8 --saturate"; do
		# shellcheck disable=SC2086
		nsl_fails_cleanly nsl-quantize o.jsonl 65 \
		    'x.jsonl:2: field "embedding": element 0: 9.9999999999999994e\+38 is beyond float32' \
		    $args "$BATS_TEST_TMPDIR/x.jsonl"
	done
}

@test "--no-f32 quantizes 1e39 and 1e300 in doubles: int8 codes 127, 0, 0 at scale max/127" {
	for v in 1e39 1e300; do
		run --separate-stderr nsl-quantize --format int8 --no-f32 <<<"{\"embedding\":[$v,1,-2]}"
		[ "$status" -eq 0 ]
		# scale = v / 127; 1 and -2 round to code 0; 127 scale = v
		/usr/bin/python3 -c '
import json, sys
v = float(sys.argv[2]); e = json.loads(sys.argv[1])["embedding"]
assert abs(e[0] - v) <= 1e-15 * v and e[1] == 0 and e[2] == 0, e' "$output" "$v"
	done
}

# ---- golden cases (tests/golden.py): one file per catalogue row ----

@test "golden: every format's values from its published definition (tests/fixtures/quantize/formats/*.test)" {
	golden "$FIX"/formats/*.test
}

@test "golden: the usage and data errors with their messages (tests/fixtures/quantize/errors.test)" {
	golden "$FIX/errors.test"
}

@test "golden: per-column scales, worked by hand (tests/fixtures/quantize/column.test)" {
	golden "$FIX/column.test"
}

@test "--search --scale-by column: no worse than the per-tensor search, and its choice reproduces its MSE" {
	run --separate-stderr nsl-quantize --format fp6-e3m2 --scale-by column --search --stats "$FIX/gauss.jsonl"
	[ "$status" -eq 0 ]
	col=$(printf '%s\n' "$stderr" | sed 's/.*"search_mse":\([^,}]*\).*/\1/')
	mse=$(printf '%s\n' "$stderr" | sed 's/.*"mse":\([^,}]*\).*/\1/')
	run --separate-stderr nsl-quantize --format fp6-e3m2 --scale-by tensor --search --stats "$FIX/gauss.jsonl"
	[ "$status" -eq 0 ]
	ten=$(printf '%s\n' "$stderr" | sed 's/.*"search_mse":\([^,}]*\).*/\1/')
	# the search scores the doubles, the output is float32: close, not equal
	awk -v c="$col" -v t="$ten" -v m="$mse" 'BEGIN { exit !(c <= t && m <= c * 1.01 + 1e-12 && m >= c * 0.99) }'
}

@test "--list-formats: E8M0 (exponent only, every code normal) shows no minimum subnormal" {
	run nsl-quantize --list-formats
	assert_success
	line=$(echo "$output" | grep '^fp8-e8m0fnu ')
	[[ "$line" == *"min normal 2^-127  no subnormals"* ]]
	[[ "$line" != *"min subnormal"* ]]
	# a format with subnormals still shows its least: e4m3 2^(-6-3)
	echo "$output" | grep -q '^fp8-e4m3 .*min subnormal 2^-9 '
}
