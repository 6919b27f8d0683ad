#!/usr/bin/env bats
# nsl-quantize on a safetensors checkpoint: tensor by tensor into a
# checkpoint of values or of codes and scales, with the per-tensor table.
#
# Expected values and statistics are worked out by
# tests/fixtures/quantize-safetensors/check.py from the format
# definitions (its own e4m3 and int8 encoders, numpy's float16, bfloat16
# by rounding the float32 bits), and the outputs are read back with its
# reader written from the format's description (st.py).

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/quantize-safetensors"
BAD="$TESTS_DIR/fixtures/safetensors/bad"

setup() {
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
}

fails_cleanly() {
	nsl_fails_cleanly nsl-quantize out.safetensors "$@"
}

@test "fp8-e4m3 cast: values stored in each tensor's dtype, table as worked out" {
	# w1's 1000 saturates (> 448 + 16), its 1e-4 flushes (< 2^-10)
	nsl-quantize --format fp8-e4m3 --saturate --stats-file "$T/s.jsonl" \
	    -o "$T/q.safetensors" "$FIX/model.safetensors"
	run /usr/bin/python3 "$FIX/check.py" values "$T/q.safetensors" "$T/s.jsonl" fp8-e4m3
	assert_output ok
	run grep -c '"saturated":0.03125,"flushed":0.03125' "$T/s.jsonl"
	assert_output 1
}

@test "int8 per row: values rounded to F16 and BF16 where the tensor was" {
	nsl-quantize --format int8 --stats -o "$T/q.safetensors" \
	    "$FIX/model.safetensors" 2> "$T/s.jsonl"
	run /usr/bin/python3 "$FIX/check.py" values "$T/q.safetensors" "$T/s.jsonl" int8
	assert_output ok
}

@test "the table: strict JSONL, one record per quantized tensor, file order" {
	nsl-quantize --format int8 --stats-file "$T/s.jsonl" -o /dev/null "$FIX/model.safetensors"
	assert_strict_jsonl "$T/s.jsonl"
	run cut -d, -f1-4 "$T/s.jsonl"
	assert_output '{"tensor":"w1","dtype":"F32","shape":[4,8]
{"tensor":"emb","dtype":"BF16","shape":[3,5]
{"tensor":"b1","dtype":"F16","shape":[8],"n":8'
}

@test "--emit codes: fp8-e4m3 codes as F8_E4M3, no scales" {
	nsl-quantize --format fp8-e4m3 --saturate --emit codes -o "$T/c.safetensors" "$FIX/model.safetensors"
	run /usr/bin/python3 "$FIX/check.py" codes "$T/c.safetensors" fp8-e4m3
	assert_output ok
}

@test "--emit codes: int8 codes as I8 with NAME.scales [rows, 1] in F32" {
	nsl-quantize --format int8 --emit codes -o "$T/c.safetensors" "$FIX/model.safetensors"
	run /usr/bin/python3 "$FIX/check.py" codes "$T/c.safetensors" int8
	assert_output ok
}

@test "--scale-by tensor: one scale, the tensor's amax / 127 in float32" {
	nsl-quantize --format int8 --scale-by tensor --emit codes -o "$T/c.safetensors" "$FIX/model.safetensors"
	run /usr/bin/python3 "$FIX/check.py" tensor-scale "$T/c.safetensors"
	assert_output '(1,) True'
}

@test "MX: codes with NAME.e8m0, one byte per block of 32 along a row" {
	nsl-quantize --format mxfp4 --emit codes -o "$T/c.safetensors" "$FIX/model.safetensors"
	run /usr/bin/python3 "$FIX/check.py" shapes "$T/c.safetensors"
	assert_output "$(printf '%s\n' 'b1 U8 [8]' 'b1.e8m0 U8 [1, 1]' 'emb U8 [3, 5]' 'emb.e8m0 U8 [3, 1]' \
	    'pos I64 [4]' 'w1 U8 [4, 8]' 'w1.e8m0 U8 [4, 1]')"
}

@test "--tensor: that tensor alone is quantized; the rest are copied byte for byte" {
	nsl-quantize --format fp8-e4m3 --saturate --tensor emb --stats-file "$T/s.jsonl" \
	    -o "$T/q.safetensors" "$FIX/model.safetensors"
	run cut -d, -f1 "$T/s.jsonl"
	assert_output '{"tensor":"emb"'
	run /usr/bin/python3 "$FIX/check.py" diff "$FIX/model.safetensors" "$T/q.safetensors"
	assert_output emb
}

@test "--dtype F16: values stored as F16 whatever the input's dtype" {
	nsl-quantize --format fp8-e4m3 --saturate --dtype F16 -o "$T/q.safetensors" "$FIX/model.safetensors"
	run /usr/bin/python3 "$FIX/check.py" shapes "$T/q.safetensors"
	assert_output "$(printf '%s\n' 'b1 F16 [8]' 'emb F16 [3, 5]' 'pos I64 [4]' 'w1 F16 [4, 8]')"
}

@test "stochastic rounding: same seed same bytes, another seed other bytes" {
	nsl-quantize --format int4 --rounding stochastic --seed 3 -o "$T/a.safetensors" "$FIX/model.safetensors"
	nsl-quantize --format int4 --rounding stochastic --seed 3 -o "$T/b.safetensors" "$FIX/model.safetensors"
	nsl-quantize --format int4 --rounding stochastic --seed 4 -o "$T/c.safetensors" "$FIX/model.safetensors"
	cmp "$T/a.safetensors" "$T/b.safetensors"
	! cmp -s "$T/a.safetensors" "$T/c.safetensors"
}

# ---- bad input ----

@test "usage: .gz output, an integer --dtype, --search, two inputs (64)" {
	fails_cleanly 64 'not gzipped' --format int8 -o "$T/x.safetensors.gz" "$FIX/model.safetensors"
	fails_cleanly 64 'dtype: not a floating-point' --format int8 --dtype I8 "$FIX/model.safetensors"
	fails_cleanly 64 'comes alone' --format int4 --search "$FIX/model.safetensors"
	fails_cleanly 64 'comes alone' --format int8 "$FIX/model.safetensors" "$FIX/model.safetensors"
	fails_cleanly 64 'values, not of codes' --format int8 --emit codes --dtype F16 "$FIX/model.safetensors"
}

@test "scales the tensor pass cannot make are refused, not half made: column scales, NVFP4's tensor-wide second scale, its codes (64)" {
	fails_cleanly 64 'scale-by column: not with a .safetensors' --format fp8-e4m3 --scale-by column "$FIX/model.safetensors"
	fails_cleanly 64 'second scale over a whole checkpoint tensor' --format nvfp4 "$FIX/model.safetensors"
	fails_cleanly 64 'emit codes: a block format with a second scale' --format nvfp4 --scale-by row --emit codes "$FIX/model.safetensors"
	nsl-quantize --format nvfp4 --scale-by row -o "$T/q.safetensors" "$FIX/model.safetensors"
	[ -s "$T/q.safetensors" ]
}

@test "NaN in a tensor: 65 naming tensor, row and element" {
	fails_cleanly 65 '^nsl-quantize: .*nan.safetensors: tensor "x" row 1: element 0: NaN' \
	    --format int8 "$FIX/nan.safetensors"
}

@test "fp8 overflow without --saturate: 65 (NaN, as ml_dtypes gives)" {
	fails_cleanly 65 'tensor "w1" row 0: element 0 becomes NaN in fp8-e4m3' \
	    --format fp8-e4m3 "$FIX/model.safetensors"
}

@test "--tensor naming an integer tensor or none: 65" {
	fails_cleanly 65 'tensor "pos": I64 is not a floating-point dtype' --format int8 --tensor pos "$FIX/model.safetensors"
	fails_cleanly 65 'no tensor "nope"' --format int8 --tensor nope "$FIX/model.safetensors"
}

@test "malformed checkpoints: a clean 65 each" {
	local f
	for f in hlen-past-end overlap offsets-out-of-range size-mismatch not-json; do
		fails_cleanly 65 "^nsl-quantize: .*$f.safetensors: " --format int8 "$BAD/$f.safetensors"
	done
}

@test "a missing checkpoint is 66, a write error 74" {
	fails_cleanly 66 'nope.safetensors' --format int8 "$T/nope.safetensors"
	run --separate-stderr bash -c 'nsl-quantize --format int8 "$1" >/dev/full' _ "$FIX/model.safetensors"
	assert_failure 74
	[[ "$stderr" == "nsl-quantize: "*"write error"* ]]
}
