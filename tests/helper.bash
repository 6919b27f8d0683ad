bats_require_minimum_version 1.5.0
# Shared set-up for the Bats tests: the built tools first on PATH, the C
# locale, bats-support and bats-assert.
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

export LC_ALL=C
TESTS_DIR="$(cd "$(dirname "$BATS_TEST_FILENAME")" && pwd)"
NSL_BIN="${NSL_BIN:-$TESTS_DIR/../bin}"
export PATH="$NSL_BIN:$PATH"
DATA="$TESTS_DIR/data"

# Assert that no file other than the listed ones exists in directory $1
# (an atomic write leaves neither output nor temporary file on failure).
assert_dir_empty() {
	local left
	left=$(ls -A "$1")
	[ -z "$left" ] || fail "files left behind in $1: $left"
}

# nsl_fails_cleanly TOOL OUTNAME STATUS REGEX ARGS...: run TOOL with
# -o OUTNAME in an empty directory and expect exit STATUS, one message on
# stderr matching REGEX (a usage error, 64, may add the line "Try 'TOOL
# --help' ..."), nothing on stdout and nothing left in the directory: the
# common contract of every tool's bad-input path.
nsl_fails_cleanly() {
	local tool=$1 outname=$2 want=$3 re=$4
	local dir="$BATS_TEST_TMPDIR/out"
	shift 4
	rm -rf "$dir" && mkdir "$dir"
	run --separate-stderr "$tool" -o "$dir/$outname" "$@"
	[ "$status" -eq "$want" ] ||
		fail "status $status, expected $want; stderr: $stderr"
	[ "${#stderr_lines[@]}" -eq 1 ] || { [ "$want" -eq 64 ] &&
	    [ "${#stderr_lines[@]}" -eq 2 ] &&
	    [[ "${stderr_lines[1]}" == "Try '$tool --help'"* ]]; } ||
		fail "stderr is not one message: $stderr"
	[[ "${stderr_lines[0]}" =~ $re ]] ||
		fail "stderr '$stderr' does not match '$re'"
	[ -z "$output" ] || fail "output: $output"
	assert_dir_empty "$dir"
}

# require_prog PROGRAM PACKAGE: a test that runs PROGRAM (itself, or
# through a tool: nsl-plot runs gnuplot) calls this first, so that on a
# machine without it the test fails naming the Debian package to install
# (scripts/install-deps installs them all), not with "command not found"
# halfway through.  tests/deps.bats checks that every test file does.
require_prog() {
	command -v "$1" >/dev/null 2>&1 ||
		fail "$1 is missing: install the Debian package $2 (scripts/install-deps installs it)"
}

# require_py MODULE PACKAGE: likewise for a module of /usr/bin/python3,
# the Python the tests run (another python3 first on PATH may lack the
# module); checked once per test file.
require_py() {
	local mark="$BATS_FILE_TMPDIR/.require-py-$1"
	[ -e "$mark" ] && return 0
	require_prog /usr/bin/python3 python3 || return 1
	if ! /usr/bin/python3 -c "import $1" 2>/dev/null; then
		fail "Python module $1 is missing from /usr/bin/python3: install the Debian package $2 (scripts/install-deps installs it)"
		return 1
	fi
	: >"$mark"
}

# assert_strict_jsonl FILE: every line of FILE is one JSON object with no
# duplicate key at any depth and no NaN or Infinity, as a strict reader
# (every nsl tool's) requires.  Python's json module, told to refuse both.
assert_strict_jsonl() {
	local msg
	msg=$(/usr/bin/python3 -c '
import json, sys
def pairs(p):
    keys = [k for k, _ in p]
    dup = {k for k in keys if keys.count(k) > 1}
    if dup:
        raise ValueError("duplicate key %s" % sorted(dup))
    return dict(p)
def const(c):
    raise ValueError("not JSON: " + c)
for n, line in enumerate(open(sys.argv[1]), 1):
    try:
        if not isinstance(json.loads(line, object_pairs_hook=pairs,
                                     parse_constant=const), dict):
            raise ValueError("not an object")
    except ValueError as e:
        sys.exit("line %d: %s" % (n, e))
' "$1" 2>&1) || fail "$1 is not strict JSONL: $msg"
}

# golden FILE.test ...: run the golden cases of tests/golden.py (a tool's
# behaviour as data: command, input, expected output, status, message)
golden() {
	require_prog /usr/bin/python3 python3
	run /usr/bin/python3 "$TESTS_DIR/golden.py" "$@"
	[ "$status" -eq 0 ] || fail "$output"
}
