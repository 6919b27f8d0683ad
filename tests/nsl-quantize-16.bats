#!/usr/bin/env bats
# nsl-quantize's 16-bit formats, float16 and bfloat16: every code and
# every tie against references apart from nsl (numpy's float16; bfloat16
# rounded on float32 bits by its definition: tests/fixtures/quantize/
# check16.py), two-byte codes in the codes object and in safetensors.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/quantize"

setup() {
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
}

@test "every code decodes, and every value, tie and near-tie encodes, as the references say" {
	/usr/bin/python3 "$FIX/check16.py" prepare "$T"
	for f in float16 bfloat16; do
		nsl-quantize --decode --allow-nonfinite "$T/$f.dec.in" > "$T/$f.dec.out"
		nsl-quantize --format $f --allow-nonfinite --emit codes "$T/$f.enc.in" > "$T/$f.codes.out"
		nsl-quantize --format $f --allow-nonfinite --no-f32 --emit codes "$T/$f.enc.in" > "$T/$f.codes64.out"
		nsl-quantize --format $f --allow-nonfinite "$T/$f.enc.in" > "$T/$f.val.out"
	done
	run /usr/bin/python3 "$FIX/check16.py" check "$T"
	assert_success
	assert_output ''
}

@test "golden: float16 and bfloat16 extremes, ties, overflow, NaN" {
	golden "$FIX"/formats/float16.test "$FIX"/formats/bfloat16.test
}

@test "scaled: a row scale divides first, then the cast (general path)" {
	# amax 16376 over max 65504: scale 0.25 exactly; x / 0.25 is
	# 65504, 4.0004..., -12, and float16's step at 4 is 2^-8, so 4.0004
	# rounds to 4: the row comes back 16376, 1, -3 (and so through codes)
	run nsl-quantize --format float16 --scale-by row <<<'{"embedding":[16376,1.0001,-3]}'
	assert_success
	assert_output '{"embedding":[16376,1,-3]}'
	nsl-quantize --format float16 --scale-by row --emit codes <<<'{"embedding":[16376,1.0001,-3]}' |
	    nsl-quantize --decode > "$T/rt"
	run cat "$T/rt"
	assert_output '{"embedding":[16376,1,-3]}'
}

@test "safetensors: float16 codes are F16, bfloat16 codes BF16, the references' bytes" {
	S="$TESTS_DIR/fixtures/quantize-safetensors"
	nsl-quantize --format float16 --emit codes --allow-nonfinite -o "$T/h.safetensors" "$S/model.safetensors"
	nsl-quantize --format bfloat16 --emit codes --allow-nonfinite -o "$T/b.safetensors" "$S/model.safetensors"
	run /usr/bin/python3 "$FIX/check16.py" safetensors "$S/model.safetensors" "$T/h.safetensors" "$T/b.safetensors"
	assert_success
	assert_output "$(printf '%s\n' 'b1 F16 True' 'emb F16 True' 'w1 F16 True' \
	    'b1 BF16 True' 'emb BF16 True' 'w1 BF16 True')"
}

@test "--search takes no 16-bit format (64)" {
	echo '{"embedding":[1,2]}' > "$T/in.jsonl"
	nsl_fails_cleanly nsl-quantize out.jsonl 64 'needs a minifloat' --format bfloat16 --search "$T/in.jsonl"
}
