#!/usr/bin/env bats
# The Makefile's own targets: install and uninstall put in place and take
# away exactly the programs and man pages, and man-lint fails on a
# warning.  They run on the tree's already built programs (make -o all),
# so that no test rebuilds anything.

bats_require_minimum_version 1.5.0

load helper

TOP="$TESTS_DIR/.."

setup() {
	require_prog make make
	require_prog mandoc mandoc
	T=$BATS_TEST_TMPDIR
	B=$(cd "$NSL_BIN/.." && pwd)
}

# mk ARGS...: make in the tree with the build tree of the programs under
# test, without remaking them
mk() {
	make --no-print-directory -s -C "$TOP" -o all B="$B" "$@"
}

@test "make install puts every program and man page in place; uninstall removes exactly those" {
	mk install DESTDIR="$T/root" PREFIX=/opt/nsl
	# what should be there, from the source tree: nsl, nsl-TOOL per
	# tools/nsl-TOOL.c, every man/*.1 and man/*.7
	want=$(cd "$TOP" && { echo opt/nsl/bin/nsl
	    for t in tools/nsl-*.c; do t=${t#tools/}; echo "opt/nsl/bin/${t%.c}"; done
	    for m in man/*.1; do echo "opt/nsl/share/man/man1/${m#man/}"; done
	    for m in man/*.7; do echo "opt/nsl/share/man/man7/${m#man/}"; done
	    } | sort)
	got=$(cd "$T/root" && find . -type f | sed 's|^\./||' | sort)
	assert_equal "$got" "$want"
	# nsl.1 and nsl.7 are among them
	[[ "$got" == *man1/nsl.1* && "$got" == *man7/nsl.7* ]] || fail "$got"
	[ -x "$T/root/opt/nsl/bin/nsl-fit" ]
	run "$T/root/opt/nsl/bin/nsl-fit" --version
	assert_success

	# a file of the user's beside them is not the Makefile's to remove
	echo mine > "$T/root/opt/nsl/bin/other"
	mk uninstall DESTDIR="$T/root" PREFIX=/opt/nsl
	got=$(cd "$T/root" && find . -type f | sed 's|^\./||')
	assert_equal "$got" "opt/nsl/bin/other"
	# and the build tree is untouched
	for t in "$TOP"/tools/nsl-*.c; do
		t=${t##*/}
		[ -x "$NSL_BIN/${t%.c}" ] || fail "uninstall removed $NSL_BIN/${t%.c}"
	done
	[ -x "$NSL_BIN/nsl" ]
}

@test "make man-lint passes on the man pages, and fails on a mandoc warning" {
	run mk man-lint
	assert_success
	assert_output ""
	# the same Makefile on a copy of the pages with one warning planted
	mkdir "$T/tree"
	cp "$TOP/Makefile" "$T/tree/"
	cp -r "$TOP/man" "$T/tree/"
	sed -i 's/^\.Bl -tag -width .*/.Bl -tag/' "$T/tree/man/nsl-probe.1"
	! cmp -s "$TOP/man/nsl-probe.1" "$T/tree/man/nsl-probe.1"
	run make --no-print-directory -s -C "$T/tree" man-lint
	assert_failure
	assert_output --partial "nsl-probe.1"
	assert_output --partial "WARNING"
}
