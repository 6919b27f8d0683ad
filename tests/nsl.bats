#!/usr/bin/env bats
# The nsl dispatcher (tools/nsl.c), the shared option handling every tool
# gets from lib/cli.c, and the overview man pages.

load helper

@test "nsl alone lists the tools with their summaries" {
	run --separate-stderr nsl
	assert_success
	assert_output --partial "usage: nsl TOOL"
	# the summary line is the tool's own --summary
	summary=$(nsl-convert --summary)
	assert_output --regexp "  convert +$summary"
}

@test "nsl TOOL runs nsl-TOOL with the arguments" {
	printf '{"embedding":[1,2]}\n' > "$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr nsl convert "$BATS_TEST_TMPDIR/in.jsonl"
	assert_success
	assert_output '{"id":0,"embedding":[1,2]}'
}

@test "nsl finds tools beside itself before PATH" {
	run --separate-stderr env PATH=/usr/bin:/bin "$NSL_BIN/nsl" convert --version
	assert_success
	assert_output --regexp '^nsl-convert [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "nsl --version and --help exit 0 on stdout" {
	run --separate-stderr nsl --version
	assert_success
	assert_output --regexp '^nsl [0-9]+\.[0-9]+\.[0-9]+$'
	run --separate-stderr nsl --help
	assert_success
	assert_output --partial "usage: nsl [-hV] TOOL"
}

@test "an unknown tool is a usage error (64)" {
	run --separate-stderr nsl no-such-tool
	assert_equal "$status" 64
	assert_equal "$stderr" "nsl: 'no-such-tool' is not an nsl tool; run 'nsl' for the list"
}

@test "an unknown option to nsl is a usage error (64)" {
	run --separate-stderr nsl --bogus
	assert_equal "$status" 64
	[[ "$stderr" == "nsl: unknown option '--bogus'"* ]]
}

@test "common options: unknown long and short options name themselves (64)" {
	run --separate-stderr nsl-convert --bogus
	assert_equal "$status" 64
	[[ "$stderr" == "nsl-convert: unknown option '--bogus'"* ]]
	run --separate-stderr nsl-convert -Z
	assert_equal "$status" 64
	[[ "$stderr" == "nsl-convert: unknown option '-Z'"* ]]
}

@test "common options: a missing argument is named (64)" {
	run --separate-stderr nsl-convert -o
	assert_equal "$status" 64
	[[ "$stderr" == "nsl-convert: option '-o' needs an argument"* ]]
	run --separate-stderr nsl-convert --field
	assert_equal "$status" 64
	[[ "$stderr" == "nsl-convert: option '--field' needs an argument"* ]]
}

@test "common options: options may follow operands" {
	printf '{"v":[0.1]}\n' > "$BATS_TEST_TMPDIR/in.jsonl"
	run --separate-stderr nsl-convert "$BATS_TEST_TMPDIR/in.jsonl" --field v
	assert_success
	assert_output '{"id":0,"v":[0.1]}'
}

@test "man pages nsl.1 and nsl.7 are lint clean" {
	require_prog mandoc mandoc
	run mandoc -Tlint -Wwarning "$TESTS_DIR/../man/nsl.1" "$TESTS_DIR/../man/nsl.7"
	assert_success
	assert_output ""
}

@test "every tool has a man page and answers --help, --version, --summary" {
	for t in "$NSL_BIN"/nsl-*; do
		name=${t##*/}
		[ -f "$TESTS_DIR/../man/$name.1" ] || fail "no man/$name.1"
		"$t" --help | grep -q "^usage: $name" || fail "$name --help"
		"$t" --version | grep -q "^$name " || fail "$name --version"
		[ -n "$("$t" --summary)" ] || fail "$name --summary"
	done
}

# ---- the shared error contract, for every tool in bin/ ----
#
# The tools are those the build put in bin/, so a new tool inherits these
# checks.  A tool that reads records from its operands is given the file
# as its only operand; one that needs more to read a file has its
# arguments here (FILE stands for the file), and one that reads no
# records says "none".  A tool missing from here whose plain operand is
# not read fails the test, naming itself.
contract_args() {
	case $1 in
	nsl-compare) echo "--a FILE --b FILE" ;;
	nsl-embed) echo "--fit FILE --dim 1" ;;
	nsl-extrapolate) echo "--fit FILE" ;;
	nsl-optimum) echo "--x N FILE" ;;
	nsl-ot-distance) echo "FILE FILE" ;;
	nsl-plot) echo "--x a --y b FILE" ;;
	nsl-pools) echo "--fit FILE --pools FILE" ;;
	nsl-probe) echo "--train FILE" ;;
	nsl-prune) echo "--keep 1 FILE" ;;
	nsl-quantize) echo "--format int8 FILE" ;;
	nsl-score) echo "--metric el2n FILE" ;;
	nsl-synth) echo "none" ;;
	*) echo "FILE" ;;
	esac
}

# the -o name each tool takes (nsl-plot writes figures)
contract_out() {
	case $1 in
	nsl-plot) echo out.png ;;
	*) echo out.jsonl ;;
	esac
}

tools() {
	local t
	for t in "$NSL_BIN"/nsl-*; do
		[ -x "$t" ] && echo "${t##*/}"
	done
}

@test "contract: the tool list comes from bin/ and holds the core tools" {
	run tools
	assert_line nsl-score
	assert_line nsl-prune
	assert_line nsl-fit
	[ "${#lines[@]}" -ge 10 ]
}

@test "contract: an unknown option or a missing argument is 64, one message, nothing written" {
	for t in $(tools); do
		nsl_fails_cleanly "$t" "$(contract_out "$t")" 64 "^$t: unknown option '--no-such-option'" --no-such-option
		nsl_fails_cleanly "$t" "$(contract_out "$t")" 64 "^$t: option '--output' needs an argument" --output
	done
}

@test "contract: --help is 0 with the usage on stdout alone; --help and --version into /dev/full are 74" {
	for t in $(tools); do
		run --separate-stderr "$t" --help
		[ "$status" -eq 0 ] && [ -z "$stderr" ] || fail "$t --help: $status $stderr"
		[[ "${lines[0]}" == "usage: $t "* ]] || fail "$t --help: ${lines[0]}"
		run --separate-stderr sh -c "$t --help > /dev/full"
		[ "$status" -eq 74 ] && [ "${#stderr_lines[@]}" -eq 1 ] || fail "$t --help > /dev/full: $status $stderr"
		run --separate-stderr sh -c "$t --version > /dev/full"
		[ "$status" -eq 74 ] || fail "$t --version > /dev/full: $status"
	done
}

@test "contract: a missing input is 66 and a malformed line 65 naming FILE:1, nothing written" {
	printf '{bad\n' > "$BATS_TEST_TMPDIR/bad.jsonl"
	for t in $(tools); do
		args=$(contract_args "$t")
		[ "$args" = none ] && continue
		out=$(contract_out "$t")
		# shellcheck disable=SC2086
		nsl_fails_cleanly "$t" "$out" 66 "^$t: $BATS_TEST_TMPDIR/nope.jsonl: cannot open" \
		    ${args//FILE/$BATS_TEST_TMPDIR/nope.jsonl}
		# shellcheck disable=SC2086
		nsl_fails_cleanly "$t" "$out" 65 "^$t: $BATS_TEST_TMPDIR/bad.jsonl:1: " \
		    ${args//FILE/$BATS_TEST_TMPDIR/bad.jsonl}
	done
}

@test "common options: a NAME (a field written into JSON) that is not UTF-8 text is a usage error (64), nothing written" {
	# found by fuzzing nsl-score: --out-field with 0xff bytes was written
	# into the output as a key that no JSON reader accepts
	require_prog jq jq
	local bad=$'g\xff\xff' t=$BATS_TEST_TMPDIR
	printf '{"id":1,"z":[1,2],"embedding":[0.5,0.5],"label":0,"score":1}\n' >"$t/in.jsonl"
	for cmd in "nsl-score --metric margin --logits-field z --out-field" \
	    "nsl-prune --keep-fraction 1 --score-field" \
	    "nsl-mix --source-field" "nsl-convert --to jsonl --id-field"; do
		run --separate-stderr $cmd "$bad" -o "$t/out.jsonl" "$t/in.jsonl"
		[ "$status" -eq 64 ] || fail "$cmd: status $status: $stderr"
		[[ "${stderr_lines[0]}" == *": the name is not valid UTF-8 text"* ]] ||
		    fail "$cmd: $stderr"
		[ ! -e "$t/out.jsonl" ] || fail "$cmd wrote $t/out.jsonl"
	done
	# RFC 3629: an overlong NUL, a surrogate, past U+10FFFF, a cut sequence
	for bad in $'\xc0\x80' $'\xed\xa0\x80' $'\xf4\x90\x80\x80' $'a\xe2\x82'; do
		run --separate-stderr nsl-score --metric margin --logits-field z \
		    --out-field "$bad" "$t/in.jsonl"
		[ "$status" -eq 64 ] || fail "status $status: $stderr"
	done
	# and well-formed names of two, three and four bytes are taken
	run -0 nsl-score --metric margin --logits-field z --out-field $'\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80' "$t/in.jsonl"
	jq -e 'has("\u00e9\u20ac\ud83d\ude00")' <<<"$output" >/dev/null ||
	    fail "$output"
}
