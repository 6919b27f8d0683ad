#!/usr/bin/env bats
# -o FILE (lib/io.c's writer, shared by every tool): the output is written
# to a temporary file beside the target and renamed over it, and ends up
# as a shell's '>' would leave it: an existing file keeps its mode (and
# owner, where we may), a new one gets 0666 less the umask, and a symbolic
# link is written through, not replaced by a file.

bats_require_minimum_version 1.5.0

load helper

setup() {
	T=$BATS_TEST_TMPDIR
	printf '{"embedding":[1,2]}\n' >"$T/in.jsonl"
	WANT='{"id":0,"embedding":[1,2]}'
}

@test "-o over an existing file keeps its mode (0600 stays 0600, 0755 stays 0755)" {
	local m
	for m in 600 640 755 444; do
		echo old >"$T/o.jsonl"
		chmod "$m" "$T/o.jsonl"
		[ "$m" != 444 ] || [ "$(id -u)" -eq 0 ] || continue
		run -0 nsl-convert -o "$T/o.jsonl" "$T/in.jsonl"
		assert_equal "$(stat -c %a "$T/o.jsonl")" "$m"
		assert_equal "$(cat "$T/o.jsonl")" "$WANT"
	done
	# and in a .gz output, through another tool
	echo old >"$T/s.jsonl.gz"
	chmod 600 "$T/s.jsonl.gz"
	run -0 nsl-prune --keep 1 --score-field id -o "$T/s.jsonl.gz" \
	    <<<'{"id":3}'
	assert_equal "$(stat -c %a "$T/s.jsonl.gz")" 600
	assert_equal "$(zcat "$T/s.jsonl.gz")" '{"id":3}'
}

@test "-o makes a new file 0666 less the umask, as '>' does" {
	(umask 077 && nsl-convert -o "$T/a.jsonl" "$T/in.jsonl")
	(umask 022 && nsl-convert -o "$T/b.jsonl" "$T/in.jsonl")
	(umask 002 && nsl-convert -o "$T/c.jsonl" "$T/in.jsonl")
	(umask 077 && : >"$T/shell")
	assert_equal "$(stat -c %a "$T/a.jsonl")" 600
	assert_equal "$(stat -c %a "$T/b.jsonl")" 644
	assert_equal "$(stat -c %a "$T/c.jsonl")" 664
	assert_equal "$(stat -c %a "$T/shell")" 600
}

@test "-o over a file of another owner keeps owner and group (as root)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root to give a file away"
	echo old >"$T/o.jsonl"
	chown 65534:65534 "$T/o.jsonl"
	chmod 640 "$T/o.jsonl"
	run -0 nsl-convert -o "$T/o.jsonl" "$T/in.jsonl"
	assert_equal "$(stat -c '%u:%g %a' "$T/o.jsonl")" '65534:65534 640'
}

@test "-o over a file we may not write fails as '>' does (74), leaving it" {
	local d=$T/ro as=()
	mkdir "$d"
	if [ "$(id -u)" -eq 0 ]; then
		# root may write any file: run as nobody, who needs a way in
		command -v setpriv >/dev/null || skip "no setpriv to drop root"
		as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
		local p=$d
		while [ "$p" != / ] && [ "$p" != "$(dirname "$BATS_RUN_TMPDIR")" ]; do
			chmod o+x "$p"
			p=$(dirname "$p")
		done
		chmod 777 "$d"
		chmod o+r "$T/in.jsonl"
	fi
	echo old >"$d/o.jsonl"
	chmod 444 "$d/o.jsonl"
	[ "$(id -u)" -ne 0 ] || chown 65534 "$d/o.jsonl"
	run --separate-stderr "${as[@]}" "$NSL_BIN/nsl-convert" -o "$d/o.jsonl" "$T/in.jsonl"
	assert_equal "$status" 74
	assert_equal "$stderr" "nsl-convert: $d/o.jsonl: cannot open output: Permission denied"
	assert_equal "$(cat "$d/o.jsonl")" old
	assert_equal "$(ls -A "$d")" o.jsonl
}

@test "-o through a symbolic link writes its target and keeps the link" {
	mkdir "$T/d"
	echo old >"$T/d/target.jsonl"
	chmod 640 "$T/d/target.jsonl"
	ln -s d/target.jsonl "$T/rel"		# relative to the link's directory
	ln -s "$T/rel" "$T/abs"			# a chain: abs -> rel -> target
	run -0 nsl-convert -o "$T/abs" "$T/in.jsonl"
	[ -L "$T/abs" ] && [ -L "$T/rel" ] || fail "a link was replaced"
	assert_equal "$(readlink "$T/rel")" d/target.jsonl
	assert_equal "$(cat "$T/d/target.jsonl")" "$WANT"
	assert_equal "$(stat -c %a "$T/d/target.jsonl")" 640
	# no temporary file left beside the link or the target
	assert_equal "$(ls -A "$T/d")" target.jsonl
	# a dangling link: its target is created, as '>' creates it
	ln -s d/new.jsonl "$T/dangling"
	run -0 nsl-convert -o "$T/dangling" "$T/in.jsonl"
	[ -L "$T/dangling" ] || fail "the dangling link was replaced"
	assert_equal "$(cat "$T/d/new.jsonl")" "$WANT"
	# a link to a device is written directly
	ln -s /dev/null "$T/null"
	run -0 nsl-convert -o "$T/null" "$T/in.jsonl"
	[ -L "$T/null" ] || fail "the link to /dev/null was replaced"
}

@test "-o through a loop of links: 74 naming the loop, nothing left" {
	mkdir "$T/d"
	ln -s l2 "$T/d/l1"
	ln -s l1 "$T/d/l2"
	run --separate-stderr nsl-convert -o "$T/d/l1" "$T/in.jsonl"
	assert_equal "$status" 74
	assert_equal "$stderr" "nsl-convert: $T/d/l1: cannot create output: Too many levels of symbolic links"
	assert_equal "$(ls -A "$T/d" | tr '\n' ' ')" 'l1 l2 '
}

@test "a failed run leaves the file behind a link untouched" {
	mkdir "$T/d"
	echo old >"$T/d/target.jsonl"
	ln -s target.jsonl "$T/d/link"
	run --separate-stderr nsl-convert -o "$T/d/link" <<<'{"embedding":[1,'
	assert_equal "$status" 65
	assert_equal "$(cat "$T/d/target.jsonl")" old
	[ -L "$T/d/link" ] || fail "the link was replaced"
	assert_equal "$(ls -A "$T/d" | tr '\n' ' ')" 'link target.jsonl '
}

# Standard output (and a pipe or device named by -o) is read as it is
# written: a failed run must not end it part way through a line, where a
# reader down the pipe would find a cut record.

# wide N: N records of 300 numbers (about 2.4 KB a line: N = 3000 makes
# 7 MB, many times the writer's 256 KB buffer), then a line that is not
# JSON
wide_then_bad() {
	awk -v n="$1" 'BEGIN { for (i = 0; i < n; i++) {
	    printf "{\"id\":%d,\"embedding\":[", i
	    for (k = 0; k < 300; k++) printf "%s%d.0625", k ? "," : "", i + k
	    print "]}" } print "{\"id\":" }'
}

# whole_lines FILE: every line of FILE is a JSON object and FILE ends in
# a newline; prints the number of lines
whole_lines() {
	/usr/bin/python3 -c '
import json, sys
data = open(sys.argv[1], "rb").read()
assert data == b"" or data.endswith(b"\n"), "a cut last line"
for line in data.splitlines():
    assert isinstance(json.loads(line), dict)
print(len(data.splitlines()))' "$1"
}

@test "a failed run's standard output ends at a whole line: tools streaming, two-pass and whole-set" {
	require_prog /usr/bin/python3 python3
	wide_then_bad 3000 >"$T/bad.jsonl"
	head -n 20 "$T/bad.jsonl" >"$T/fit.jsonl"
	for cmd in "nsl-convert" "nsl-convert --float32" \
	    "nsl-quantize --format int8" "nsl-quantize --format int8 --scale-by tensor" \
	    "nsl-embed --fit $T/fit.jsonl --method random --dim 16 --seed 1" \
	    "nsl-score -q --metric prototype --k 3" \
	    "nsl-prune --keep-fraction 0.5 --score-field id"; do
		run --separate-stderr sh -c "$cmd '$T/bad.jsonl' > '$T/out'"
		[ "$status" -eq 65 ] || fail "$cmd: exit $status"
		[[ "$stderr" == *"bad.jsonl:3001: invalid JSON"* ]] || fail "$cmd: $stderr"
		n=$(whole_lines "$T/out") || fail "$cmd: $n"
		[ "$n" -le 3000 ] || fail "$cmd: $n lines"
	done
	# through a pipe too
	run --separate-stderr sh -c "nsl-quantize --format int8 '$T/bad.jsonl' | cat > '$T/out'"
	[ "$status" -eq 0 ]	# cat's
	n=$(whole_lines "$T/out")
	[ "$n" -gt 0 ] && [ "$n" -le 3000 ]
}

@test "a line longer than the writer's buffer is never cut: held whole, a failure after it leaves no part of it" {
	require_prog /usr/bin/python3 python3
	# one record of 60,000 numbers (about 600 KB), then a bad line
	awk 'BEGIN { printf "{\"id\":0,\"embedding\":["
	    for (k = 0; k < 60000; k++) printf "%s%d.5", k ? "," : "", k
	    print "]}"; print "{\"id\":" }' >"$T/long.jsonl"
	run --separate-stderr sh -c "nsl-quantize --format int8 '$T/long.jsonl' > '$T/out'"
	[ "$status" -eq 65 ]
	n=$(whole_lines "$T/out")
	[ "$n" -le 1 ]
	# and -o naming a pipe's end is streamed the same way
	run --separate-stderr sh -c "nsl-quantize --format int8 -o /dev/stdout '$T/long.jsonl' | cat > '$T/out2'"
	cmp "$T/out" "$T/out2"
	# a run that succeeds writes the long line as it is (nsl-convert
	# passes a valid line through byte for byte)
	head -n 1 "$T/long.jsonl" >"$T/one.jsonl"
	nsl-convert "$T/one.jsonl" | cmp - "$T/one.jsonl"
}
