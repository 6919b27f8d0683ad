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
