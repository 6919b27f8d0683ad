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
