#!/usr/bin/env bats
# nsl-convert and safetensors checkpoints: rows in (one record per row of
# a tensor), checkpoints out, and the malformed files (each a clean 65).
#
# The checkpoints are written by numpy from the format's description
# (tests/fixtures/quantize-safetensors/make.py, st.py); the expected
# records and bytes come from there too, never from nsl's output.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/quantize-safetensors"
BAD="$TESTS_DIR/fixtures/safetensors/bad"

setup() {
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
}

fails_cleanly() {
	nsl_fails_cleanly nsl-convert out.jsonl "$@"
}

# ---- safetensors in ----

@test "rows: one record per row of every tensor, file order, values as stored" {
	# rows are the last dimension: pos [4] is one row, w1 [4,8] four;
	# I64, F32, BF16 and F16 decoded and compared by check.py
	nsl-convert "$FIX/model.safetensors" > "$T/rows.jsonl"
	assert_strict_jsonl "$T/rows.jsonl"
	run /usr/bin/python3 "$FIX/check.py" rows "$T/rows.jsonl"
	assert_success
	assert_output ok
	run head -c 42 "$T/rows.jsonl"
	assert_output '{"id":0,"tensor":"pos","row":0,"embedding"'
}

@test "every dtype in: the rows of ok.safetensors hold the values its generator put in" {
	# tests/fixtures/safetensors/make.py wrote ok.expect: each tensor's
	# values (float.hex) as numpy put them in, F8_E4M3 and F8_E5M2 codes
	# decoded from the bit layout; 32 bits and less print as float32
	nsl-convert --allow-nonfinite "$TESTS_DIR/fixtures/safetensors/ok.safetensors" > "$T/rows.jsonl"
	run /usr/bin/python3 -c '
import json, math, struct, sys
f32 = lambda v: v if math.isnan(v) or math.isinf(v) else struct.unpack("<f", struct.pack("<f", v))[0]
want = {}
for line in open(sys.argv[1]):
    w = line.split()
    want[w[0]] = (w[1], [float(v) if v in ("nan", "inf", "-inf") else float.fromhex(v) for v in w[3:]])
got = {}
for line in open(sys.argv[2]):
    r = json.loads(line, parse_int=float)    # "-0" is -0.0
    got.setdefault(r["tensor"], []).extend(r["embedding"])
bad = []
for k, (dt, vals) in want.items():
    g = got.get(k, [])
    small = dt in ("F32", "F16", "BF16", "F8_E4M3", "F8_E5M2")
    same = len(g) == len(vals) and all((math.isnan(a) and math.isnan(b)) or
        ((f32(a) if small else a) == b and math.copysign(1, a) == math.copysign(1, b))
        for a, b in zip(g, vals))
    if not same:
        bad.append(k)
# a tensor of no values gives no rows
print(sorted(k for k in want if want[k][1]) == sorted(got) or "tensors differ", bad)' \
	    "$TESTS_DIR/fixtures/safetensors/ok.expect" "$T/rows.jsonl"
	assert_output "True []"
}

@test "--tensor NAME: that tensor's rows alone" {
	run --separate-stderr nsl-convert --tensor emb "$FIX/model.safetensors"
	assert_success
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[2]}" == '{"id":2,"tensor":"emb","row":2,"embedding":['* ]]
}

@test "--list-tensors: one record per tensor in file order (by offset)" {
	# make.py writes by alignment, largest first: I64, F32, BF16, F16
	run --separate-stderr nsl-convert --list-tensors "$FIX/model.safetensors"
	assert_success
	assert_output '{"tensor":"pos","dtype":"I64","shape":[4]}
{"tensor":"w1","dtype":"F32","shape":[4,8]}
{"tensor":"emb","dtype":"BF16","shape":[3,5]}
{"tensor":"b1","dtype":"F16","shape":[8]}'
}

@test "CSV from a tensor: tensor and row become columns" {
	run --separate-stderr nsl-convert --tensor b1 --to csv "$FIX/model.safetensors"
	assert_success
	assert_line --index 0 'id,tensor,row,embedding_0,embedding_1,embedding_2,embedding_3,embedding_4,embedding_5,embedding_6,embedding_7'
	[[ "${lines[1]}" == '0,"b1",0,'* ]]
}

# ---- safetensors out ----

@test "-o X.safetensors: every tensor as F32, shapes kept, numpy's bytes" {
	nsl-convert "$FIX/model.safetensors" -o "$T/out.safetensors"
	cmp "$T/out.safetensors" "$FIX/expect-f32.safetensors"
}

@test "--dtype float16 and bfloat16: rounded to nearest even as numpy does" {
	nsl-convert --dtype float16 "$FIX/model.safetensors" -o "$T/h.safetensors"
	cmp "$T/h.safetensors" "$FIX/expect-f16.safetensors"
	nsl-convert --dtype bfloat16 --to safetensors "$FIX/model.safetensors" > "$T/b.safetensors"
	cmp "$T/b.safetensors" "$FIX/expect-bf16.safetensors"
}

@test "row records to a checkpoint: one tensor per \"tensor\" value, [rows, length]" {
	nsl-convert --to safetensors "$FIX/rows.jsonl" > "$T/r.safetensors"
	cmp "$T/r.safetensors" "$FIX/rows.safetensors"
}

@test "records without a tensor field: one tensor named by --tensor" {
	printf '{"embedding":[1,2]}\n{"embedding":[3,4]}\n' > "$T/in.jsonl"
	nsl-convert --tensor m -o "$T/m.safetensors" "$T/in.jsonl"
	run /usr/bin/python3 "$FIX/check.py" dump "$T/m.safetensors"
	assert_output "m F32 [2, 2] [[1.0, 2.0], [3.0, 4.0]]"
}

@test "a checkpoint goes round through rows and back to the same bytes" {
	nsl-convert "$FIX/model.safetensors" | nsl-convert --to safetensors > "$T/back.safetensors"
	# rows lose the shapes of tensors of more than two dimensions only;
	# these are 1-d and 2-d, but a 1-d tensor comes back as [1, n]
	run /usr/bin/python3 "$FIX/check.py" shapes "$T/back.safetensors"
	assert_output "$(printf '%s\n' 'b1 F32 [1, 8]' 'emb F32 [3, 5]' 'pos F32 [1, 4]' 'w1 F32 [4, 8]')"
	# the same values: the bytes of each tensor as numpy wrote them
	run /usr/bin/python3 "$FIX/check.py" diff-bytes "$FIX/expect-f32.safetensors" "$T/back.safetensors"
	assert_output ""
}

# ---- bad input ----

@test "bad headers: each malformed file is a clean 65 naming the fault" {
	local name words
	while IFS=$'\t' read -r name words; do
		nsl_fails_cleanly nsl-convert out.jsonl 65 \
		    "^nsl-convert: .*$name\\.safetensors: .*$(printf '%s' "$words" | sed 's/[][\\.*^$()+?{}|]/\\&/g')" \
		    "$BAD/$name.safetensors"
	done < "$TESTS_DIR/fixtures/safetensors/bad.txt"
}

@test "rows out of order: 65 naming the row expected" {
	printf '{"tensor":"a","row":1,"embedding":[1]}\n' > "$T/in.jsonl"
	nsl_fails_cleanly nsl-convert out.safetensors 65 \
	    'in.jsonl:1: field "row": 1, but row 0 of tensor "a" comes next' "$T/in.jsonl"
}

@test "rows of one tensor must have one length" {
	printf '{"tensor":"a","embedding":[1]}\n{"tensor":"a","embedding":[1,2]}\n' > "$T/in.jsonl"
	nsl_fails_cleanly nsl-convert out.safetensors 65 \
	    'in.jsonl:2: field "embedding": 2 values, expected 1 as in row 0 of tensor "a"' "$T/in.jsonl"
}

@test "NaN in a tensor: 65 naming tensor, row and element; --allow-nonfinite passes it" {
	fails_cleanly 65 'nan.safetensors: tensor "x" row 1: element 0: NaN \(see --allow-nonfinite\)' \
	    "$FIX/nan.safetensors"
	run --separate-stderr nsl-convert --allow-nonfinite "$FIX/nan.safetensors"
	assert_success
	assert_line --index 1 '{"id":1,"tensor":"x","row":1,"embedding":[NaN,4]}'
}

@test "a value beyond the output dtype: 65 naming the tensor" {
	printf '{"embedding":[70000]}\n' > "$T/in.jsonl"
	nsl_fails_cleanly nsl-convert out.safetensors 65 \
	    'tensor "embedding": row 0: value 70000 is out of the range of F16' --dtype float16 "$T/in.jsonl"
}

@test "-o x.safetensors.gz is refused (64): loaders map the file" {
	nsl_fails_cleanly nsl-convert out.safetensors.gz 64 'not gzipped' "$FIX/model.safetensors"
}

@test "a gzipped checkpoint is refused (65): it is mapped" {
	gzip -c "$FIX/model.safetensors" > "$T/m.safetensors.gz"
	fails_cleanly 65 'm.safetensors.gz: .*gunzip it first' "$T/m.safetensors.gz"
}

@test "--tensor naming no tensor: 65" {
	fails_cleanly 65 'no tensor "nope"' --tensor nope "$FIX/model.safetensors"
}

@test "usage: --dtype float16 is for safetensors output, --list-tensors writes JSONL (64)" {
	fails_cleanly 64 'for safetensors output only' --dtype float16 "$FIX/model.safetensors"
	fails_cleanly 64 'list-tensors' --list-tensors --to csv "$FIX/model.safetensors"
	fails_cleanly 64 'not a safetensors file' --list-tensors "$FIX/rows.jsonl"
}

@test "a missing checkpoint is 66, a write error 74" {
	fails_cleanly 66 'nope.safetensors' "$T/nope.safetensors"
	run --separate-stderr bash -c 'nsl-convert --to safetensors "$1" >/dev/full' _ "$FIX/rows.jsonl"
	assert_failure 74
	[[ "$stderr" == "nsl-convert: "*"write error"* ]]
}
