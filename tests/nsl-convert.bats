#!/usr/bin/env bats
# nsl-convert: every input and output format, the flags, round trips,
# Fashion-MNIST, and the bad inputs, each of which must give one line
# "nsl-convert: FILE:LINE: ..." (or FILE: ... for binary files), the
# documented exit code, and no output file.
#
# Expected outputs are worked out by hand from the fixtures, which
# tests/fixtures/convert/make-fixtures.py made with numpy; .npy output is
# compared byte for byte with numpy's own files.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/convert"
FMNIST=/usr/share/datasets/fashion-mnist

setup() {
	require_prog /usr/bin/python3 python3
	require_prog jq jq
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-convert "${OUTNAME:-out.jsonl}" "$@"
}

# ---- JSONL in, JSONL out ----

@test "jsonl: members pass through byte for byte, id added first" {
	printf '%s\n' '{"name":"a\u00e9\"x","embedding":[1.50,-0,2e3],"meta":{"k":[1, 2]}}' \
	    '{"name":"b","embedding":[ 1 , 2 , 3 ],"meta":null}' >"$T/in.jsonl"
	run --separate-stderr nsl-convert "$T/in.jsonl"
	assert_success
	assert_equal "${lines[0]}" '{"id":0,"name":"a\u00e9\"x","embedding":[1.50,-0,2e3],"meta":{"k":[1, 2]}}'
	assert_equal "${lines[1]}" '{"id":1,"name":"b","embedding":[ 1 , 2 , 3 ],"meta":null}'
	assert_equal "${#lines[@]}" 2
}

@test "jsonl: an id of its own is kept; --id-field names the row number" {
	printf '%s\n' '{"id":"doc-7","embedding":[1]}' '{"embedding":[2]}' >"$T/in.jsonl"
	run --separate-stderr nsl-convert "$T/in.jsonl"
	assert_success
	assert_equal "${lines[0]}" '{"id":"doc-7","embedding":[1]}'
	assert_equal "${lines[1]}" '{"id":1,"embedding":[2]}'
	run --separate-stderr nsl-convert --id-field row "$T/in.jsonl"
	assert_equal "${lines[0]}" '{"row":0,"id":"doc-7","embedding":[1]}'
}

@test "--id-field, --field and --label-field naming one field twice are refused" {
	fails_cleanly 64 "^nsl-convert: the id, vector and label fields must have different names" \
	    --id-field embedding "$FIX/f8.npy"
	fails_cleanly 64 "must have different names" --label-field id \
	    --labels "$FIX/labels.npy" "$FIX/f8.npy"
	fails_cleanly 64 "must have different names" --field label "$FIX/f8.npy"
	fails_cleanly 64 "must have different names" --field x --id-field x \
	    "$FIX/f8.npy"
	# the rows of a .npy with labels: three distinct fields, each once
	nsl-convert --id-field n --field v --label-field y \
	    --labels "$FIX/labels.npy" "$FIX/f8.npy" >"$T/o.jsonl"
	assert_strict_jsonl "$T/o.jsonl"
	run jq -c keys_unsorted "$T/o.jsonl"
	assert_line --index 0 '["n","v","y"]'
}

@test "jsonl: --float32 prints the vector as float32, --scale multiplies" {
	printf '%s\n' '{"embedding":[0.1,0.30000000000000004,1.00000001,3.4e38],"x":0.30000000000000004}' >"$T/in.jsonl"
	run --separate-stderr nsl-convert --float32 "$T/in.jsonl"
	assert_success
	assert_output '{"id":0,"embedding":[0.1,0.3,1,3.4e+38],"x":0.30000000000000004}'
	run --separate-stderr nsl-convert --scale 0.5 --field v "$FIX/f8.npy"
	assert_success
	assert_equal "${lines[0]}" '{"id":0,"v":[0.25,0.625,-1]}'
}

@test "jsonl: --float32 refuses a value float32 cannot hold" {
	printf '%s\n' '{"embedding":[1]}' '{"embedding":[3.5e38]}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: field \"embedding\": value 3.5e\+38 is too large for float32$" \
	    --float32 "$T/in.jsonl"
}

@test "jsonl: several inputs are numbered as one; stdin and gzip work" {
	printf '%s\n' '{"embedding":[9,9,9]}' >"$T/a.jsonl"
	gzip -c "$T/a.jsonl" >"$T/b.jsonl.gz"
	run --separate-stderr nsl-convert "$FIX/f8.npy" "$T/a.jsonl" - "$T/b.jsonl.gz" <"$T/a.jsonl"
	assert_success
	assert_equal "${lines[1]}" '{"id":1,"embedding":[3,4.5,1e-7]}'
	assert_equal "${lines[2]}" '{"id":2,"embedding":[9,9,9]}'
	assert_equal "${lines[3]}" '{"id":3,"embedding":[9,9,9]}'
	assert_equal "${lines[4]}" '{"id":4,"embedding":[9,9,9]}'
	assert_equal "${#lines[@]}" 5
}

@test "jsonl: -o writes atomically, gzip when the name ends in .gz" {
	mkdir "$T/o"
	run --separate-stderr nsl-convert -o "$T/o/x.jsonl.gz" "$FIX/f8.npy"
	assert_success
	assert_output ''
	run gzip -dc "$T/o/x.jsonl.gz"
	assert_equal "${lines[0]}" '{"id":0,"embedding":[0.5,1.25,-2]}'
	run ls -A "$T/o"
	assert_output 'x.jsonl.gz'
}

@test "jsonl: a .gz output is BGZF, read back whole from a file (blocks inflated on every thread), a pipe, and before a plain gzip file" {
	# 3000 records of 100 numbers (about 1 MB): sixteen blocks and more
	awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "{\"id\":%d,\"embedding\":[", i
	    for (k = 0; k < 100; k++) printf "%s%d.25", k ? "," : "", i * k % 9973
	    print "]}" } }' >"$T/x.jsonl"
	nsl-convert -o "$T/x.jsonl.gz" "$T/x.jsonl"
	gzip -t "$T/x.jsonl.gz"
	gzip -dc "$T/x.jsonl.gz" | cmp - "$T/x.jsonl"
	# BGZF: the first member has the BC extra field (bytes 12-13), and
	# the file ends in the specification's 28-byte end block
	[ "$(od -An -tx1 -j12 -N2 "$T/x.jsonl.gz" | tr -d ' ')" = 4243 ]
	[ "$(tail -c 28 "$T/x.jsonl.gz" | od -An -tx1 | tr -d ' \n')" = 1f8b08040000000000ff0600424302001b0003000000000000000000 ]
	for th in 1 2 3; do
		OMP_NUM_THREADS=$th nsl-convert "$T/x.jsonl.gz" | cmp - "$T/x.jsonl"
		OMP_NUM_THREADS=$th nsl-convert -o "$T/x$th.jsonl.gz" "$T/x.jsonl"
		cmp "$T/x.jsonl.gz" "$T/x$th.jsonl.gz"
	done
	cat "$T/x.jsonl.gz" | nsl-convert | cmp - "$T/x.jsonl"
	head -n 7 "$T/x.jsonl" | gzip -c >"$T/plain.gz"
	cat "$T/x.jsonl.gz" "$T/plain.gz" >"$T/both.jsonl.gz"
	nsl-convert "$T/both.jsonl.gz" >"$T/both"
	{ cat "$T/x.jsonl"; head -n 7 "$T/x.jsonl"; } | cmp - "$T/both"
}

@test "bad input: a BGZF .gz cut short or corrupt is an I/O error naming the file and line" {
	awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "{\"id\":%d,\"embedding\":[", i
	    for (k = 0; k < 100; k++) printf "%s%d.25", k ? "," : "", i * k % 9973
	    print "]}" } }' | nsl-convert -o "$T/x.jsonl.gz"
	size=$(stat -c %s "$T/x.jsonl.gz")
	head -c $((size / 2)) "$T/x.jsonl.gz" >"$T/cut.jsonl.gz"
	fails_cleanly 74 "^nsl-convert: $T/cut.jsonl.gz:[0-9]+: truncated gzip data" "$T/cut.jsonl.gz"
	# a byte of the third block's deflate data changed
	{ head -c $((size / 3)) "$T/x.jsonl.gz"; printf '\377'; tail -c +$((size / 3 + 2)) "$T/x.jsonl.gz"; } >"$T/bad.jsonl.gz"
	fails_cleanly 74 "^nsl-convert: $T/bad.jsonl.gz:[0-9]+: corrupt gzip data \\(" "$T/bad.jsonl.gz"
}

@test "jsonl: gzip on a pipe (blocks inflated on every thread): BGZF and zlib's members in any order read whole; cut short or corrupt, an I/O error naming <stdin> and the line" {
	require_prog gzip gzip
	awk 'BEGIN { for (i = 0; i < 3000; i++) { printf "{\"id\":%d,\"embedding\":[", i
	    for (k = 0; k < 100; k++) printf "%s%d.25", k ? "," : "", i * k % 9973
	    print "]}" } }' >"$T/x.jsonl"
	nsl-convert -o "$T/x.jsonl.gz" "$T/x.jsonl"
	head -n 7 "$T/x.jsonl" | gzip -c >"$T/plain.gz"
	# gzip's member, the blocks, gzip's member again
	for th in 1 2 3; do
		cat "$T/plain.gz" "$T/x.jsonl.gz" "$T/plain.gz" |
		    OMP_NUM_THREADS=$th nsl-convert >"$T/out"
		{ head -n 7 "$T/x.jsonl"; cat "$T/x.jsonl"; head -n 7 "$T/x.jsonl"; } |
		    cmp - "$T/out"
	done
	# gzip's own stream of the whole text; the text itself
	gzip -c "$T/x.jsonl" | nsl-convert | cmp - "$T/x.jsonl"
	cat "$T/x.jsonl" | nsl-convert | cmp - "$T/x.jsonl"
	# cut short, and a byte of the deflate data changed: BGZF, gzip's
	size=$(stat -c %s "$T/x.jsonl.gz")
	head -c $((size / 2)) "$T/x.jsonl.gz" |
	    fails_cleanly 74 "^nsl-convert: <stdin>:[0-9]+: truncated gzip data \\(unexpected end of file\\)$" -
	{ head -c $((size / 3)) "$T/x.jsonl.gz"; printf '\377'; tail -c +$((size / 3 + 2)) "$T/x.jsonl.gz"; } |
	    fails_cleanly 74 "^nsl-convert: <stdin>:[0-9]+: corrupt gzip data \\(" -
	gzip -c "$T/x.jsonl" >"$T/g.gz"
	size=$(stat -c %s "$T/g.gz")
	head -c $((size / 2)) "$T/g.gz" |
	    fails_cleanly 74 "^nsl-convert: <stdin>:[0-9]+: truncated gzip data \\(unexpected end of file\\)$" -
	# the last byte of the CRC-32: zlib's own words for it
	{ head -c $((size - 5)) "$T/g.gz"; tail -c 5 "$T/g.gz" | tr '\000-\377' '\001-\377\000'; } |
	    fails_cleanly 74 "^nsl-convert: <stdin>:3001: corrupt gzip data \\(incorrect data or length check\\)$" -
}

# ---- npy in ----

@test "npy: float64, float32, Fortran order, big-endian, integers, 3-D" {
	run --separate-stderr nsl-convert "$FIX/f8.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"embedding":[0.5,1.25,-2]}' '{"id":1,"embedding":[3,4.5,1e-7]}')"
	run --separate-stderr nsl-convert "$FIX/f4.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"embedding":[0.1,0.2]}' '{"id":1,"embedding":[0.3,1.5]}')"
	run --separate-stderr nsl-convert "$FIX/fortran.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"embedding":[0,1.5,3]}' '{"id":1,"embedding":[4.5,6,7.5]}')"
	run --separate-stderr nsl-convert "$FIX/be.npy"
	assert_output '{"id":0,"embedding":[1.5,-2.25]}'
	run --separate-stderr nsl-convert "$FIX/i2.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"embedding":[-300,7]}' '{"id":1,"embedding":[0,32767]}')"
	run --separate-stderr nsl-convert "$FIX/u1_3d.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"embedding":[0,1,2,3,4,5]}' '{"id":1,"embedding":[6,7,8,9,10,11]}')"
}

@test "npy: format versions 2.0 and 3.0, and .npy.gz" {
	run --separate-stderr nsl-convert "$FIX/v2.npy" "$FIX/v3.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"embedding":[1,2]}' '{"id":1,"embedding":[1,2]}')"
	gzip -c "$FIX/f8.npy" >"$T/f8.npy.gz"
	run --separate-stderr nsl-convert "$T/f8.npy.gz"
	assert_success
	assert_equal "${lines[1]}" '{"id":1,"embedding":[3,4.5,1e-7]}'
}

@test "npy: --labels adds the label field; a 1-D array alone gives labels" {
	run --separate-stderr nsl-convert --labels "$FIX/labels.npy" "$FIX/f8.npy"
	assert_success
	assert_equal "${lines[0]}" '{"id":0,"embedding":[0.5,1.25,-2],"label":3}'
	assert_equal "${lines[1]}" '{"id":1,"embedding":[3,4.5,1e-7],"label":-1}'
	run --separate-stderr nsl-convert --labels "$FIX/labels_u1.npy" --label-field y "$FIX/f4.npy"
	assert_equal "${lines[1]}" '{"id":1,"embedding":[0.3,1.5],"y":200}'
	run --separate-stderr nsl-convert "$FIX/labels.npy"
	assert_equal "$output" "$(printf '%s\n' '{"id":0,"label":3}' '{"id":1,"label":-1}')"
}

@test "npy: a labels file of another length names both files" {
	fails_cleanly 65 "^nsl-convert: $FIX/labels3.npy: 3 labels, but $FIX/f8.npy has 2 rows$" \
	    --labels "$FIX/labels3.npy" "$FIX/f8.npy"
	printf '%s\n' '{"embedding":[1]}' '{"embedding":[2]}' '{"embedding":[3]}' >"$T/three.jsonl"
	fails_cleanly 65 "^nsl-convert: $FIX/labels.npy: 2 labels, fewer than the rows of the input \($T/three.jsonl:3 is row 2\)$" \
	    --labels "$FIX/labels.npy" "$T/three.jsonl"
}

@test "npy: a truncated file names the row and byte offset" {
	head -c 170 "$FIX/f8.npy" >"$T/cut.npy"
	fails_cleanly 65 "^nsl-convert: $T/cut.npy: truncated file: row 1 of 2 ends at byte 170$" "$T/cut.npy"
	printf 'not numpy' >"$T/bad.npy"
	fails_cleanly 65 "^nsl-convert: $T/bad.npy: not a .npy file" "$T/bad.npy"
}

# ---- npy out ----

@test "npy out: float64 and float32 byte for byte as numpy writes them" {
	printf '%s\n' '{"embedding":[0.5,1.25,-2]}' '{"embedding":[3,4.5,1e-07]}' >"$T/f8.jsonl"
	run --separate-stderr nsl-convert -o "$T/x.npy" "$T/f8.jsonl"
	assert_success
	cmp "$T/x.npy" "$FIX/f8.npy"
	printf '%s\n' '{"embedding":[0.1,0.2]}' '{"embedding":[0.3,1.5]}' >"$T/f4.jsonl"
	run --separate-stderr nsl-convert --dtype float32 -o "$T/x4.npy" "$T/f4.jsonl"
	cmp "$T/x4.npy" "$FIX/f4.npy"
	run --separate-stderr nsl-convert --float32 --to npy -o "$T/y4" "$T/f4.jsonl"
	cmp "$T/y4" "$FIX/f4.npy"
}

@test "npy out: --labels writes the label field as int64" {
	printf '%s\n' '{"embedding":[0.5,1.25,-2],"label":3}' '{"label":-1,"embedding":[3,4.5,1e-7]}' >"$T/in.jsonl"
	run --separate-stderr nsl-convert --labels "$T/y.npy" -o "$T/x.npy" "$T/in.jsonl"
	assert_success
	cmp "$T/x.npy" "$FIX/f8.npy"
	cmp "$T/y.npy" "$FIX/labels.npy"
}

@test "npy out: a label that is not an integer leaves neither file" {
	printf '%s\n' '{"embedding":[1],"label":3}' '{"embedding":[2],"label":2.5}' >"$T/in.jsonl"
	OUTNAME=x.npy fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: field \"label\": 2.5 is not an integer label$" \
	    --labels "$T/out/y.npy" "$T/in.jsonl"
	printf '%s\n' '{"embedding":[1]}' >"$T/nolabel.jsonl"
	OUTNAME=x.npy fails_cleanly 65 "^nsl-convert: $T/nolabel.jsonl:1: field \"label\" missing" \
	    --labels "$T/out/y.npy" "$T/nolabel.jsonl"
}

@test "round trip: jsonl -> npy -> jsonl is the identity" {
	printf '%s\n' '{"id":0,"embedding":[0.5,1.25,-2,1e-7,123456789.125],"label":3}' \
	    '{"id":1,"embedding":[3,4.5,-0.001,5e-324,1.7976931348623157e+308],"label":-1}' >"$T/in.jsonl"
	nsl-convert --labels "$T/y.npy" -o "$T/x.npy" "$T/in.jsonl"
	run --separate-stderr nsl-convert --labels "$T/y.npy" "$T/x.npy"
	assert_success
	assert_equal "$output" "$(cat "$T/in.jsonl")"
}

# ---- CSV ----

@test "csv in: columns become fields in order, typed by their text" {
	local csv=/work/shared/data/scaling/svg_extracted_data.csv
	[ -f "$csv" ] || skip "no scaling-law CSV here"
	run --separate-stderr nsl-convert "$csv"
	assert_success
	assert_equal "${lines[0]}" '{"id":0,"x":154.03592,"y":140.63364,"color":"#faebdd","Model Size":6795600349.289497,"Training FLOP":9.993852799709755e+18,"hex_color":"#faebdd","loss":5.005581996196243}'
	assert_equal "${#lines[@]}" 245
}

@test "csv in: vector columns gathered in index order, quotes, null, booleans" {
	printf 'name,embedding_1,score,embedding_0,flag\r\n"a, ""b""",2,,1,true\r\nc,4.5,0.25,3,"false"\r\n' >"$T/in.csv"
	run --separate-stderr nsl-convert "$T/in.csv"
	assert_success
	assert_equal "${lines[0]}" '{"id":0,"name":"a, \"b\"","embedding":[1,2],"score":null,"flag":true}'
	assert_equal "${lines[1]}" '{"id":1,"name":"c","embedding":[3,4.5],"score":0.25,"flag":"false"}'
	printf 'id,v,f1,f0\n"7",007,1e2,-0\n' >"$T/q.txt"
	run --separate-stderr nsl-convert --from csv --vector-columns f "$T/q.txt"
	assert_success
	assert_output '{"id":"7","v":"007","embedding":[-0,1e2]}'
}

@test "csv out: header from the first record, strings quoted, vector columns" {
	printf '%s\n' '{"id":"a","embedding":[1,2.5],"label":3,"note":"say \"hi\", ok","n":null}' \
	    '{"note":"x","id":"b","embedding":[0,-1],"label":4,"n":true}' >"$T/in.jsonl"
	run --separate-stderr nsl-convert -o "$T/out.csv" "$T/in.jsonl"
	assert_success
	run cat "$T/out.csv"
	assert_equal "${lines[0]}" 'id,embedding_0,embedding_1,label,note,n'
	assert_equal "${lines[1]}" '"a",1,2.5,3,"say ""hi"", ok",'
	assert_equal "${lines[2]}" '"b",0,-1,4,"x",true'
}

@test "csv out: a record with other fields names its line" {
	printf '%s\n' '{"embedding":[1],"a":1}' '{"embedding":[2],"b":1}' >"$T/in.jsonl"
	OUTNAME=x.csv fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: field \"b\" is not a CSV column \(the columns are those of $T/in.jsonl:1\)$" \
	    "$T/in.jsonl"
	printf '%s\n' '{"embedding":[1],"a":[1,2]}' >"$T/nested.jsonl"
	OUTNAME=x.csv fails_cleanly 65 "^nsl-convert: $T/nested.jsonl:1: field \"a\": an array cannot go into a CSV cell$" \
	    "$T/nested.jsonl"
}

@test "round trip: jsonl -> csv -> jsonl is the identity" {
	printf '%s\n' '{"id":0,"embedding":[0.5,-2,1e-7],"name":"a,b \"c\"\nd","ok":true,"n":null,"s":"12"}' \
	    '{"id":1,"embedding":[3,4.5,1E+300],"name":"","ok":false,"n":1.5,"s":"x"}' >"$T/in.jsonl"
	nsl-convert --to csv -o "$T/t.csv" "$T/in.jsonl"
	run --separate-stderr nsl-convert "$T/t.csv"
	assert_success
	assert_equal "$output" "$(cat "$T/in.jsonl")"
}

@test "csv in: bad cells and rows name their line" {
	printf 'embedding_0,embedding_1\n1,2\nx,3\n' >"$T/a.csv"
	fails_cleanly 65 "^nsl-convert: $T/a.csv:3: column \"embedding_0\": expected a number, got \"x\"$" "$T/a.csv"
	printf 'a,b\n1,2\n3\n' >"$T/b.csv"
	fails_cleanly 65 "^nsl-convert: $T/b.csv:3: 1 field, expected 2 as in the header$" "$T/b.csv"
	printf 'a,b\n1,"open\n2,3\n' >"$T/c.csv"
	fails_cleanly 65 "^nsl-convert: $T/c.csv:2: field 2: quoted field not closed before the end of the file$" "$T/c.csv"
	printf 'embedding_0,embedding_2\n1,2\n' >"$T/d.csv"
	fails_cleanly 65 "^nsl-convert: $T/d.csv:1: header: vector columns embedding_0..embedding_2 lack embedding_1$" "$T/d.csv"
}

# ---- IDX ----

@test "idx: images flattened, labels, gzip, --scale" {
	run --separate-stderr nsl-convert --labels "$FIX/tiny-labels-idx1-ubyte" "$FIX/tiny-images-idx3-ubyte"
	assert_success
	assert_equal "${lines[0]}" '{"id":0,"embedding":[0,1,2,3],"label":9}'
	assert_equal "${lines[2]}" '{"id":2,"embedding":[255,128,64,0],"label":5}'
	gzip -c "$FIX/tiny-images-idx3-ubyte" >"$T/tiny-images-idx3-ubyte.gz"
	gzip -c "$FIX/tiny-labels-idx1-ubyte" >"$T/tiny-labels-idx1-ubyte.gz"
	run --separate-stderr nsl-convert --scale 0.5 --labels "$T/tiny-labels-idx1-ubyte.gz" "$T/tiny-images-idx3-ubyte.gz"
	assert_success
	assert_equal "${lines[2]}" '{"id":2,"embedding":[127.5,64,32,0],"label":5}'
	run --separate-stderr nsl-convert "$FIX/float-idx2"
	assert_output '{"id":0,"embedding":[0.5,-0.25]}'
}

@test "idx: Fashion-MNIST train and test, counts, a known pixel and label" {
	[ -d "$FMNIST" ] || skip "dataset-fashion-mnist is not installed"
	nsl-convert -o "$T/train.jsonl" --labels "$FMNIST/train-labels-idx1-ubyte.gz" \
	    "$FMNIST/train-images-idx3-ubyte.gz"
	nsl-convert -o "$T/test.jsonl" --labels "$FMNIST/t10k-labels-idx1-ubyte.gz" \
	    "$FMNIST/t10k-images-idx3-ubyte.gz"
	run wc -l <"$T/train.jsonl"
	assert_output 60000
	run wc -l <"$T/test.jsonl"
	assert_output 10000
	# first training image: an ankle boot (label 9) whose pixel 99 is 13
	run awk -F'[][]' 'NR == 1 { n = split($2, a, ","); print n, a[100], $3; exit }' "$T/train.jsonl"
	assert_output '784 13 ,"label":9}'
	run tail -n 1 "$T/train.jsonl"
	assert_output --regexp '^\{"id":59999,"embedding":\[0,.*\],"label":5\}$'
}

@test "idx: images and labels of different sets name both files at once" {
	[ -d "$FMNIST" ] || skip "dataset-fashion-mnist is not installed"
	fails_cleanly 65 "^nsl-convert: $FMNIST/t10k-labels-idx1-ubyte.gz: 10000 labels, but $FMNIST/train-images-idx3-ubyte.gz has 60000 rows$" \
	    --labels "$FMNIST/t10k-labels-idx1-ubyte.gz" "$FMNIST/train-images-idx3-ubyte.gz"
}

# ---- bad input ----

@test "bad input: invalid JSON names file and line" {
	printf '%s\n' '{"embedding":[1]}' '{"embedding":[2],}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: invalid JSON" "$T/in.jsonl"
}

@test "bad input: a non-number inside the vector" {
	printf '%s\n' '{"embedding":[1,2]}' '{"embedding":[1,"2"]}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: field \"embedding\"" "$T/in.jsonl"
}

@test "bad input: vectors of different lengths name both lengths" {
	printf '%s\n' '{"embedding":[1,2]}' '{"embedding":[1,2]}' '{"embedding":[1,2,3]}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:3: field \"embedding\": 3 values, expected 2 as in $T/in.jsonl:1$" "$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:1: field \"embedding\": 2 values, expected 3 as in $FIX/f8.npy row 0$" \
	    "$FIX/f8.npy" "$T/in.jsonl"
}

@test "bad input: an empty file has no records" {
	: >"$T/empty.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/empty.jsonl: no records$" "$T/empty.jsonl"
	: >"$T/empty.csv"
	fails_cleanly 65 "^nsl-convert: $T/empty.csv: no records$" "$T/empty.csv"
	fails_cleanly 65 "^nsl-convert: <stdin>: no records$" </dev/null
}

@test "bad input: a missing vector field" {
	printf '%s\n' '{"embedding":[1]}' '{"vec":[1]}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: missing field \"embedding\"" "$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:1: missing field \"vec\"" --field vec "$T/in.jsonl"
}

@test "bad input: a truncated .gz is an I/O error" {
	seq 1 20000 | sed 's/.*/{"embedding":[&,&.5]}/' | gzip -c >"$T/full.jsonl.gz"
	head -c 20000 "$T/full.jsonl.gz" >"$T/cut.jsonl.gz"
	fails_cleanly 74 "^nsl-convert: $T/cut.jsonl.gz:[0-9]+: truncated gzip data" "$T/cut.jsonl.gz"
	gzip -c "$FIX/f8.npy" | head -c 60 >"$T/cut.npy.gz"
	fails_cleanly 74 "^nsl-convert: $T/cut.npy.gz: truncated gzip data" "$T/cut.npy.gz"
}

@test "bad input: corrupt .gz names the file and line, not zlib's <fd:N>" {
	seq 1 20000 | sed 's/.*/{"embedding":[&,&.5]}/' | gzip -c >"$T/full.jsonl.gz"
	# flip the last byte of the length check in the gzip trailer
	size=$(stat -c %s "$T/full.jsonl.gz")
	{ head -c $((size - 1)) "$T/full.jsonl.gz"; printf '\001'; } >"$T/bad.jsonl.gz"
	fails_cleanly 74 "^nsl-convert: $T/bad.jsonl.gz:[0-9]+: corrupt gzip data \\(incorrect data or length check\\)\$" "$T/bad.jsonl.gz"
	gzip -c "$FIX/f8.npy" >"$T/f8.npy.gz"
	size=$(stat -c %s "$T/f8.npy.gz")
	{ head -c $((size - 1)) "$T/f8.npy.gz"; printf '\001'; } >"$T/bad.npy.gz"
	fails_cleanly 74 "^nsl-convert: $T/bad.npy.gz: corrupt gzip data \\(incorrect data or length check\\) after byte [0-9]+ of the data" "$T/bad.npy.gz"
}

@test "bad input: an unreadable file" {
	# Tests run as root, for whom chmod 000 does not stop reading; a
	# directory and a missing path are inputs that cannot be read.
	mkdir "$T/dir.jsonl"
	fails_cleanly 66 "^nsl-convert: $T/dir.jsonl: cannot open: is a directory$" "$T/dir.jsonl"
	fails_cleanly 66 "^nsl-convert: $T/nope.jsonl: cannot open: No such file or directory$" "$T/nope.jsonl"
	fails_cleanly 66 "^nsl-convert: $T/nope.npy: cannot open" --labels "$T/nope.npy" "$FIX/f8.npy"
}

@test "bad input: a 50 MB line passes through intact, or names line 1" {
	awk 'BEGIN { printf "{\"id\":0,\"embedding\":["
	    for (i = 0; i < 4200000; i++) printf "0.123456789,"
	    print "1]}" }' >"$T/big.jsonl"
	run --separate-stderr nsl-convert -o "$T/big.out" "$T/big.jsonl"
	assert_success
	cmp "$T/big.jsonl" "$T/big.out"
	rm "$T/big.out"
	sed -i 's/1]}$/1]x}/' "$T/big.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/big.jsonl:1: invalid JSON" "$T/big.jsonl"
}

# ---- the error paths every tool shares ----

@test "common: a bad option is a usage error (64)" {
	run --separate-stderr nsl-convert --bogus
	assert_failure 64
	[[ "$stderr" == *"unknown option '--bogus'"* ]]
	run --separate-stderr nsl-convert --to xml "$FIX/f8.npy"
	assert_failure 64
	run --separate-stderr nsl-convert --dtype int8 "$FIX/f8.npy"
	assert_failure 64
	run --separate-stderr nsl-convert --scale abc "$FIX/f8.npy"
	assert_failure 64
}

@test "common: a missing file (66)" {
	run --separate-stderr nsl-convert "$T/missing.jsonl"
	assert_failure 66
	assert_equal "$stderr" "nsl-convert: $T/missing.jsonl: cannot open: No such file or directory"
}

@test "common: a malformed line names file:line (65)" {
	printf '%s\n' '{"embedding":[1]}' '{"embedding":[1]}' 'oops' >"$T/in.jsonl"
	run --separate-stderr nsl-convert "$T/in.jsonl"
	assert_failure 65
	[[ "$stderr" == "nsl-convert: $T/in.jsonl:3: "* ]]
}

@test "common: --help to stdout (0), --version" {
	run --separate-stderr nsl-convert --help
	assert_success
	assert_line --index 0 --partial 'usage: nsl-convert'
	assert_equal "$stderr" ''
	run --separate-stderr nsl-convert -V
	assert_success
	assert_output --regexp '^nsl-convert [0-9]'
}

@test "common: a write error (/dev/full) is 74" {
	run --separate-stderr bash -c 'nsl-convert "$1" >/dev/full' _ "$FIX/f8.npy"
	assert_failure 74
	[[ "$stderr" == "nsl-convert: "*"write error"* ]]
}

@test "man page: lint clean, and its EXAMPLES run from the repository top" {
	require_prog mandoc mandoc
	local man="$TESTS_DIR/../man/nsl-convert.1" cmd n=0
	run mandoc -Tlint -Wwarning "$man"
	assert_success
	cd "$TESTS_DIR/.."
	while IFS= read -r cmd; do
		run --separate-stderr sh -c "$cmd"
		[ "$status" -eq 0 ] || fail "example failed: $cmd: $stderr"
		n=$((n + 1))
	done < <(sed -n 's/^\.Dl \$ //p' "$man")
	# IDX, scaled IDX, npy, the npy round trip, CSV in and out, a
	# checkpoint's tensors, one tensor's rows, the checkpoint in bfloat16
	[ "$n" -eq 9 ]
}

# ---- numbers near the ends of the double range ----

@test "npy --dtype float32 refuses a value float32 cannot hold (1e39), naming record and element" {
	printf '%s\n' '{"embedding":[1,2]}' '{"embedding":[3e38,1e39]}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: field \"embedding\": element 1: value 9.9999999999999994e\+38 is too large for float32$" \
	    --to npy --dtype float32 "$T/in.jsonl"
}

@test "--scale that takes a value past the double range is exit 65, not Infinity" {
	printf '%s\n' '{"embedding":[1,2]}' '{"embedding":[3e38,1e308]}' >"$T/in.jsonl"
	fails_cleanly 65 "^nsl-convert: $T/in.jsonl:2: field \"embedding\": element 1: 1e\+308 times --scale 10 is beyond the double range$" \
	    --scale 10 "$T/in.jsonl"
}

@test "npy float64 keeps 1.7976931348623157e308 and 5e-324 bit for bit" {
	printf '%s\n' '{"embedding":[1.7976931348623157e308,5e-324,-2.2250738585072014e-308]}' >"$T/in.jsonl"
	nsl-convert --to npy -o "$T/x.npy" "$T/in.jsonl"
	run /usr/bin/python3 -c 'import numpy, sys; x = numpy.load(sys.argv[1]); print(x.tolist() == [[1.7976931348623157e308, 5e-324, -2.2250738585072014e-308]])' "$T/x.npy"
	assert_output True
}

# ---- golden cases (tests/golden.py) ----

@test "golden: every input kind to every output kind, and the errors (tests/fixtures/convert/convert.test)" {
	golden "$FIX/convert.test"
}

@test "records parsed on several threads: output in input order, the first bad line reported, from a file and a pipe" {
	local d=$BATS_TEST_TMPDIR
	# 300 records of 64 numbers (batches parsed in parallel)
	awk 'BEGIN { for (i = 1; i <= 300; i++) {
		printf "{\"id\":%d,\"embedding\":[", i
		for (j = 0; j < 64; j++)
			printf "%s%.17g", (j ? "," : ""), ((i * 64 + j) % 97) / 97 - 0.5
		printf "]}\n" } }' >"$d/good.jsonl"
	nsl-convert --to jsonl "$d/good.jsonl" | cmp - "$d/good.jsonl"
	cat "$d/good.jsonl" | nsl-convert --to jsonl - | cmp - "$d/good.jsonl"
	# record 110 without its vector, record 120 malformed: 110 is reported
	awk 'NR == 110 { print "{\"id\":110}"; next }
	    NR == 120 { sub(/,/, ",,") } { print }' "$d/good.jsonl" >"$d/bad.jsonl"
	fails_cleanly 65 "^nsl-convert: $d/bad.jsonl:110: missing field \"embedding\"\$" \
	    --to jsonl "$d/bad.jsonl"
	awk 'NR != 110' "$d/bad.jsonl" >"$d/bad2.jsonl"
	fails_cleanly 65 "^nsl-convert: $d/bad2.jsonl:119: invalid JSON at column [0-9]+: " \
	    --to jsonl "$d/bad2.jsonl"
	# short records are taken one at a time after a small batch, then in
	# a batch again: 40000 of them, long ones (a 2000-byte string) from
	# 20001, a bad one in each part
	awk 'BEGIN { pad = sprintf("%2000s", ""); gsub(/ /, "x", pad)
	    for (i = 1; i <= 40000; i++)
		printf "{\"id\":%d,\"embedding\":[%d,%d]%s}\n", i, i % 7,
		    i % 5, (i > 20000 ? ",\"pad\":\"" pad "\"" : "") }' >"$d/mixed.jsonl"
	nsl-convert --to jsonl "$d/mixed.jsonl" | cmp - "$d/mixed.jsonl"
	cat "$d/mixed.jsonl" | nsl-convert --to jsonl - | cmp - "$d/mixed.jsonl"
	awk 'NR == 17000 || NR == 35000 { sub(/\[/, "[,") } { print }' \
	    "$d/mixed.jsonl" >"$d/mixed-bad.jsonl"
	fails_cleanly 65 "^nsl-convert: $d/mixed-bad.jsonl:17000: invalid JSON at column [0-9]+: " \
	    --to jsonl "$d/mixed-bad.jsonl"
	awk 'NR != 17000' "$d/mixed-bad.jsonl" >"$d/mixed-bad2.jsonl"
	fails_cleanly 65 "^nsl-convert: $d/mixed-bad2.jsonl:34999: invalid JSON at column [0-9]+: " \
	    --to jsonl "$d/mixed-bad2.jsonl"
}
