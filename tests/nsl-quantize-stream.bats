#!/usr/bin/env bats
# nsl-quantize's tensor and column scales read their input twice (the
# extremes, then the values) without holding it: files are reopened,
# standard input read again when it is a file and spilled to a temporary
# file when it is a pipe.  The values against the formula worked out by
# numpy (tests/fixtures/quantize/stream.py), from a pipe, a redirected
# file, two files and gzip; errors of either pass at their file:line; no
# output file and no temporary file left after an error.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/quantize"

setup() {
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
	/usr/bin/python3 "$FIX/stream.py" prepare "$T"
}

# modes_against_formula: in $T, the runs stream.py check reads (tensor
# and column scales from a pipe, a redirect, two files, gzip), checked
modes_against_formula() {
	cat all.jsonl | nsl-quantize --format int8 --scale-by tensor > int8-tensor.out
	nsl-quantize --format int4 --scale-by column a.jsonl b.jsonl > int4-column.out
	nsl-quantize --format uint4 --scale-by tensor - < all.jsonl > uint4-tensor.out
	gzip -c b.jsonl > b.jsonl.gz
	cat a.jsonl | nsl-quantize --format int8 --scale-by column - b.jsonl.gz > int8-column.out
	run /usr/bin/python3 "$FIX/stream.py" check "$T"
	assert_success
	assert_output ''
}

@test "tensor and column scales over a pipe, a redirect, two files and gzip equal the formula" {
	cd "$T"
	modes_against_formula
}

@test "tensor and column scales over 2000 wide records (batches parsed on every thread), both passes, equal the formula" {
	cd "$T"
	# rows of up to 128 numbers, about 1.7 KB a line on average: 64 lines a batch,
	# past the size that is parsed beside the reading
	/usr/bin/python3 "$FIX/stream.py" prepare "$T" 2000 16
	[ "$(stat -c %s all.jsonl)" -gt 3000000 ]
	modes_against_formula
}

@test "the first bad line of a wide input's first pass is the one named, from a file and a pipe" {
	cd "$T"
	/usr/bin/python3 "$FIX/stream.py" prepare "$T" 2000 16
	# line 1500 bad, and line 1510 (the same batch) too: 1500 is named
	awk 'NR == 1500 { print "{\"embedding\":[1,\"x\"]}"; next }
	    NR == 1510 { print "{"; next } { print }' all.jsonl > bad.jsonl
	run --separate-stderr nsl-quantize --format int8 --scale-by tensor bad.jsonl -o out.jsonl
	[ "$status" -eq 65 ]
	[[ "$stderr" == "nsl-quantize: bad.jsonl:1500: "*"element 1"* ]]
	[ ! -e out.jsonl ]
	run --separate-stderr sh -c 'cat bad.jsonl | nsl-quantize --format int8 --scale-by column -o out.jsonl'
	[ "$status" -eq 65 ]
	[[ "$stderr" == "nsl-quantize: <stdin>:1500: "*"element 1"* ]]
	[ ! -e out.jsonl ]
}

@test "the scale is over every input: two files give the bytes of their concatenation" {
	cd "$T"
	nsl-quantize --format int8 --scale-by tensor --emit codes all.jsonl > one
	cat b.jsonl | nsl-quantize --format int8 --scale-by tensor --emit codes a.jsonl - > two
	cmp one two
	# and not each input's own: b alone has a smaller amax
	nsl-quantize --format int8 --scale-by tensor b.jsonl > b.out
	tail -n 15 two > two.b
	run cmp -s b.out two.b
	[ "$status" -eq 1 ]
}

@test "an error of the first pass (a bad record in the second input) names its file and line" {
	cd "$T"
	printf '{"embedding":[1]}\n\n{"embedding":[1,"x"]}\n' > bad.jsonl
	run --separate-stderr nsl-quantize --format int8 --scale-by column a.jsonl bad.jsonl -o out.jsonl
	[ "$status" -eq 65 ]
	[[ "$stderr" == "nsl-quantize: bad.jsonl:3: "* ]]
	[ ! -e out.jsonl ]
}

@test "an error of the second pass (a value with no code) names its file and line, from a pipe too" {
	cd "$T"
	# fp8-e8m0fnu has no negative values: -1 becomes NaN once scaled
	printf '{"embedding":[1,2]}\n\n{"embedding":[-1]}\n' > neg.jsonl
	printf '{"embedding":[3]}\n' > pos.jsonl
	run --separate-stderr nsl-quantize --format fp8-e8m0fnu --scale-by tensor pos.jsonl neg.jsonl -o out.jsonl
	[ "$status" -eq 65 ]
	[[ "$stderr" == "nsl-quantize: neg.jsonl:3: "*"becomes NaN"* ]]
	[ ! -e out.jsonl ]
	mkdir spill
	run --separate-stderr sh -c 'cat neg.jsonl | TMPDIR=spill nsl-quantize --format fp8-e8m0fnu --scale-by tensor -o out.jsonl'
	[ "$status" -eq 65 ]
	[[ "$stderr" == "nsl-quantize: <stdin>:3: "* ]]
	[ ! -e out.jsonl ]
	[ -z "$(ls -A spill)" ]
}

@test "a pipe past NSL_SPOOL_MEMORY needs a temporary directory: none is an I/O error (74), a file or a pipe within it does not" {
	cd "$T"
	run --separate-stderr sh -c 'cat all.jsonl | NSL_SPOOL_MEMORY=0 TMPDIR=/nonexistent nsl-quantize --format int8 --scale-by tensor'
	[ "$status" -eq 74 ]
	[[ "$stderr" == *"temporary file"* ]]
	TMPDIR=/nonexistent nsl-quantize --format int8 --scale-by tensor all.jsonl > file.out
	cat all.jsonl | TMPDIR=/nonexistent nsl-quantize --format int8 --scale-by tensor | cmp - file.out
}
