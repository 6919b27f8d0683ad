#!/usr/bin/env bats
# The golden-case runner (tests/golden.py) itself: a case that differs
# from its expectation in any of the ways the format states fails.

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	require_prog /usr/bin/python3 python3
}

@test "golden.py: matching cases pass; numbers compare as JSON within the tolerance" {
	cat > "$T/ok.test" <<'CASES'
# echo as a tool
$ cat
< {"a":1,"b":[0.5,2]}
> {"a":1.0,"b":[0.5,2]}

# a tolerance
$ echo '{"x":1.0000000001}'
~ 1e-9
> {"x":1}

# a failure with its message
$ echo oops >&2; exit 65
? 65
! oops
CASES
	run /usr/bin/python3 "$TESTS_DIR/golden.py" "$T/ok.test"
	assert_success
	assert_output "3 golden cases, 0 failed"
}

@test "golden.py: a wrong value, status, message, line count or field order fails, naming the line" {
	for c in \
	    '$ echo "{\"x\":1.5}"|> {"x":1.25}|x: 1.5, expected 1.25' \
	    '$ echo "{\"x\":1.0001}"|~ 1e-9|> {"x":1}|x: 1.0001' \
	    '$ exit 3|exit 3, expected 0' \
	    '$ exit 65|? 65|! bad line|stderr lacks' \
	    '$ printf "a\nb\n"|> a|2 lines on stdout, expected 1' \
	    '$ echo "{\"b\":1,\"a\":2}"|> {"a":2,"b":1}|fields' \
	    '$ echo text|> other|line 1'; do
		IFS='|' read -r -a parts <<<"$c"
		n=${#parts[@]}
		printf '# case\n' > "$T/bad.test"
		printf '%s\n' "${parts[@]:0:n-1}" >> "$T/bad.test"
		run /usr/bin/python3 "$TESTS_DIR/golden.py" "$T/bad.test"
		[ "$status" -eq 1 ] || fail "passed: $c"
		[[ "$output" == *"bad.test:2: case"* ]] || fail "no line: $output"
		[[ "$output" == *"${parts[n-1]}"* ]] || fail "$c: $output"
	done
}

@test "golden.py: a line without a known mark is a malformed file" {
	printf '$ true\nxyz\n' > "$T/m.test"
	run /usr/bin/python3 "$TESTS_DIR/golden.py" "$T/m.test"
	[ "$status" -eq 2 ]
	[[ "$output" == *"m.test:2: unknown mark"* ]]
}
