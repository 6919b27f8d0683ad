#!/usr/bin/env bats
# Every man page's EXAMPLES run as tests, so the pages cannot drift from
# the tools (git's t0450 checks its documentation likewise).  A page opts
# in with the roff comment
#	.\" examples-dir: .
# meaning: the commands run as written from the repository top (here in a
# scratch directory that links the top's entries, so that files an
# example writes land there).  A command is a ".Dl" line (a leading "$ "
# dropped) or a line of a ".Bd -literal" block (a line ending in "\e"
# continues on the next).  Each must exit 0 with pipefail (or 141, a
# stage stopped by SIGPIPE when a later "head" has read enough).
#
# NOT_YET lists the pages not yet runnable; it must shrink to nothing:
# a page both listed and marked, or neither, fails the first test.

load helper

TOP="$TESTS_DIR/.."
NOT_YET=""

# examples PAGE: its EXAMPLES commands, one a line, roff escapes undone.
examples() {
	awk '
	/^\.Sh / { inex = ($2 == "EXAMPLES"); next }
	!inex { next }
	/^\.Bd -literal/ { lit = 1; next }
	/^\.Ed/ { lit = 0; next }
	/^\.Dl / { sub(/^\.Dl /, ""); sub(/^\$ /, ""); print; next }
	lit && /^\.\\"/ { next }
	lit {
		if (sub(/\\e$/, "")) { cont = cont $0; next }
		print cont $0; cont = ""
	}' "$1" | sed -e 's/\\e/\\/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" \
	    -e 's/\\&//g'
}

# commands PAGE: its EXAMPLES as whole shell commands, NUL-terminated: a
# line that does not complete a command (it ends in "|", or a quote is
# still open) joins the next, as the shell would read them.
commands() {
	local line acc=
	while IFS= read -r line; do
		acc=${acc:+$acc$'\n'}$line
		if bash -n -c "$acc" 2>/dev/null; then
			printf '%s\0' "$acc"
			acc=
		fi
	done < <(examples "$1")
	[ -z "$acc" ] || printf '%s\0' "$acc"
}

marked() {
	grep -q '^\.\\" examples-dir: \.$' "$1"
}

@test "every man page either runs its examples or is listed as not yet runnable" {
	for page in "$TOP"/man/*.1; do
		name=${page##*/}
		case " $NOT_YET " in
		*" $name "*)
			! marked "$page" || fail "$name is marked: drop it from NOT_YET";;
		*)
			marked "$page" || fail "$name has no '.\\\" examples-dir: .' line and is not in NOT_YET";;
		esac
	done
}

@test "the extraction reads .Dl lines and continued literal blocks" {
	printf '%s\n' '.Sh EXAMPLES' '.Dl $ echo a \e| tr a b' '.Bd -literal' \
	    'printf x \e' "    \\(aqy\\(aq" '.Ed' '.Sh SEE ALSO' '.Dl $ not-this' > "$BATS_TEST_TMPDIR/p.1"
	run examples "$BATS_TEST_TMPDIR/p.1"
	assert_output $'echo a \\| tr a b\nprintf x     \'y\''
}

@test "a command that goes on past its line (a pipe, an open quote) is one command" {
	cat > "$BATS_TEST_TMPDIR/p.1" <<'PAGE'
.Sh EXAMPLES
.Bd -literal
echo a |
    tr a b
echo 'one
    two'
echo c
.Ed
PAGE
	out=$(commands "$BATS_TEST_TMPDIR/p.1" | tr '\0\n' '#~')
	[ "$out" = "echo a |~    tr a b#echo 'one~    two'#echo c#" ] || fail "$out"
}

@test "the marked pages' EXAMPLES run from the repository top" {
	require_prog jq jq
	require_prog gzip gzip
	require_prog gnuplot gnuplot-nox	# nsl-plot.1
	n=0
	for page in "$TOP"/man/*.1; do
		marked "$page" || continue
		dir="$BATS_TEST_TMPDIR/${page##*/}"
		mkdir -p "$dir"
		for entry in "$TOP"/*; do
			ln -s "$entry" "$dir/${entry##*/}"
		done
		m=0
		while IFS= read -r -d '' cmd; do
			m=$((m + 1))
			n=$((n + 1))
			# 141: a stage killed by SIGPIPE when "head" has
			# read enough, as in any shell pipeline
			rc=0
			(cd "$dir" && bash -o pipefail -c "$cmd") > "$dir.out" 2>&1 || rc=$?
			[ "$rc" -eq 0 ] || [ "$rc" -eq 141 ] ||
			    fail "${page##*/}: '$cmd' exited $rc: $(head -5 "$dir.out")"
		done < <(commands "$page")
		[ "$m" -gt 0 ] || fail "${page##*/}: no commands in EXAMPLES"
	done
	[ "$n" -gt 0 ]
}
