#!/usr/bin/env bats
# Empty vectors ([]) through every tool that reads vectors: an answer (for
# what is defined on zero dimensions) or one clean message with exit 65,
# never a crash.  Run against the sanitizer build (make check-asan) these
# also catch undefined behaviour: a memcpy from the NULL buffer that []
# left (lib/dataset.c, lib/quant_filter.c) aborted those runs, and a row
# of none left its codes record's scale unset (lib/quant.c).

bats_require_minimum_version 1.5.0

load helper

setup() {
	require_prog /usr/bin/python3 python3
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
	printf '%s\n' '{"id":0,"embedding":[],"label":0,"logits":[]}' \
	    '{"id":1,"embedding":[],"label":1,"logits":[]}' >"$T/e.jsonl"
}

# answers TOOL ARGS...: exit 0 and strict JSONL on stdout
answers() {
	run --separate-stderr "$@"
	[ "$status" -eq 0 ] || fail "$*: status $status: $stderr"
	printf '%s\n' "$output" >"$T/out.jsonl"
	assert_strict_jsonl "$T/out.jsonl"
}

# refuses REGEX TOOL ARGS...: exit 65, one line on stderr, nothing out
refuses() {
	local re=$1
	shift
	run --separate-stderr "$@"
	[ "$status" -eq 65 ] || fail "$*: status $status: $stderr"
	[ "${#stderr_lines[@]}" -eq 1 ] || fail "$*: stderr: $stderr"
	[[ "$stderr" =~ $re ]] || fail "$*: '$stderr' does not match '$re'"
	[ -z "$output" ] || fail "$*: output: $output"
}

@test "nsl-quantize: [] stays [] in every scaling; its codes carry the scale of a zero row" {
	local a
	for a in '--format int8' '--format int8 --scale-by tensor' \
	    '--format int8 --asymmetric' '--format fp8-e4m3' \
	    '--format fp8-e4m3 --search' '--format mxfp8-e4m3' '--format nf4' \
	    '--format int4 --block 4 --rotate hadamard' \
	    '--format int8 --rounding stochastic'; do
		# shellcheck disable=SC2086
		answers nsl-quantize $a "$T/e.jsonl"
		assert_line --index 0 '{"id":0,"embedding":[],"label":0,"logits":[]}'
	done
	# a row of zeros and a row of none: scale 1 (their range is [0, 0])
	answers nsl-quantize --format int8 --emit codes "$T/e.jsonl"
	assert_line --index 0 '{"id":0,"embedding":{"format":"int8","n":0,"scale":"row","codes":"","scales":[1]},"label":0,"logits":[]}'
	printf '%s\n' "$output" >"$T/codes.jsonl"
	answers nsl-quantize --decode "$T/codes.jsonl"
	assert_line --index 1 '{"id":1,"embedding":[],"label":1,"logits":[]}'
	# a tensor scale from the other records: 1/127 of the largest |x|
	printf '{"embedding":[127]}\n{"embedding":[]}\n' >"$T/t.jsonl"
	answers nsl-quantize --format int8 --scale-by tensor --emit codes "$T/t.jsonl"
	assert_line --index 1 '{"embedding":{"format":"int8","n":0,"scale":"tensor","codes":"","scales":[1]}}'
}

@test "nsl-score: distances on zero dimensions are 0; prototype and logits metrics refuse" {
	answers nsl-score --metric class-prototype "$T/e.jsonl"
	assert_line --index 0 '{"id":0,"embedding":[],"label":0,"logits":[],"score":0}'
	answers nsl-score --metric knn --neighbours 1 "$T/e.jsonl"
	assert_line --index 1 '{"id":1,"embedding":[],"label":1,"logits":[],"score":0}'
	refuses 'no data' nsl-score --metric prototype --k 1 "$T/e.jsonl"
	refuses '0 classes' nsl-score --metric el2n "$T/e.jsonl"
	refuses 'at least 2 classes' nsl-score --metric margin "$T/e.jsonl"
}

@test "nsl-probe, nsl-embed, nsl-ot-distance, nsl-prune dedup: [] is a data error" {
	refuses '^nsl-probe: .*e.jsonl: empty feature vectors$' nsl-probe --train "$T/e.jsonl"
	refuses 'empty feature vectors' nsl-probe --train "$T/e.jsonl" --model mlp --epochs 1
	refuses '^nsl-embed: .*e.jsonl: empty vectors: nothing to project$' \
	    nsl-embed --fit "$T/e.jsonl" --dim 1 "$T/e.jsonl"
	refuses 'empty vectors' nsl-embed --fit "$T/e.jsonl" --method random --dim 1 "$T/e.jsonl"
	local m
	for m in exact sinkhorn divergence sns sliced gaussian; do
		refuses 'vectors of length 0' nsl-ot-distance --method $m "$T/e.jsonl" "$T/e.jsonl"
	done
	refuses 'vectors of length 0' nsl-ot-distance --method otdd --label-field label \
	    "$T/e.jsonl" "$T/e.jsonl"
	refuses 'field "embedding": empty vector' nsl-prune --strategy dedup --eps 0.1 --k 1 "$T/e.jsonl"
}

@test "nsl-convert: [] rows go to .npy as shape (n, 0) and back" {
	answers nsl-convert "$T/e.jsonl"
	assert_line --index 0 '{"id":0,"embedding":[],"label":0,"logits":[]}'
	run -0 nsl-convert --to npy -o "$T/e.npy" "$T/e.jsonl"
	run -0 /usr/bin/python3 -c 'import numpy, sys; print(numpy.load(sys.argv[1]).shape)' "$T/e.npy"
	assert_output '(2, 0)'
	answers nsl-convert "$T/e.npy"
	assert_output "$(printf '{"id":0,"embedding":[]}\n{"id":1,"embedding":[]}')"
}
