#!/usr/bin/env bats
# scripts/install-deps names everything the tests, the demo, the
# pipelines, the examples and the READMEs run or import, so that `make
# check` passes on a fresh Debian machine where nothing was installed by
# hand: tests/depscan.py reads their shell code (and Python) for the
# programs they run, the Python modules they import, the libraries the
# build links and the data files they read; the table below maps each one
# that is not in Debian's base system to its package; and the package
# must be in install-deps' list (--bench for bench/ and the fixture
# generators, --fuzz for make fuzz).  A program or module the table does
# not know fails the test by name: add it here with its package, and the
# package to scripts/install-deps.

bats_require_minimum_version 1.5.0

load helper

TOP="$TESTS_DIR/.."

setup() {
	require_prog /usr/bin/python3 python3
	T=$BATS_TEST_TMPDIR
	table > "$T/table"
}

# Everything outside Debian's base system, with its package:
#   prog NAME PACKAGE   a program run by name or path
#   py MODULE PACKAGE   a module of /usr/bin/python3
#   lib NAME PACKAGE    a library the build links (-lNAME, -fopenmp)
#   path PREFIX PACKAGE a data file read from under PREFIX
# and "base" rows: the programs of Debian's Essential and required
# packages (coreutils, dash, bash, grep, sed, gzip, findutils, diffutils,
# tar, mawk, dpkg, apt, util-linux, hostname), there on every install.
table() {
	cat <<'EOF'
prog cc gcc
prog gcc gcc
prog ar gcc			# binutils, a dependency of gcc
prog make make
prog jq jq
prog parallel parallel
prog gnuplot gnuplot-nox
prog nsl-plot gnuplot-nox		# runs gnuplot
prog mandoc mandoc
prog bats bats
prog python3 python3
prog /usr/bin/python3 python3
prog /usr/bin/time time
prog uptime procps
prog bc bc
prog ssh openssh-client
prog ssh-keygen openssh-client
prog /usr/sbin/sshd openssh-server
prog rsync rsync
prog clang clang
lib z zlib1g-dev
lib deflate libdeflate-dev
lib isal libisal-dev
lib jansson libjansson-dev
lib gsl libgsl-dev
lib gslcblas libgsl-dev
lib openblas libopenblas-dev
lib m libc6-dev
lib gomp libgomp1
lib fuzzer libclang-rt-dev
py numpy python3-numpy
py scipy python3-scipy
py sklearn python3-sklearn
py ot python3-pot
py faiss python3-faiss
path /usr/lib/bats/bats-support bats-support
path /usr/lib/bats/bats-assert bats-assert
path /usr/share/datasets/fashion-mnist dataset-fashion-mnist
base sh bash cat cp mv rm ln ls mkdir rmdir touch chmod head tail wc sort
base uniq cut tr paste seq date dirname basename pwd printf echo true
base false test env stat md5sum sha256sum base64 od tee mktemp sleep nproc chown setpriv
base taskset			# util-linux: bench/io.sh pins to one core
base id yes timeout expr comm join fold nl realpath readlink du df
base install split grep sed gzip gunzip zcat find xargs cmp diff tar awk
base mawk dpkg-query apt-get kill hostname uname
EOF
}

# files of the main list: the tests, the pipelines, the examples, the
# READMEs, the Makefile and the scripts make check and make demo run
main_files() {
	cd "$TOP" && printf '%s\n' tests/*.bats tests/helper.bash tests/run \
	    tests/depscan.py pipelines/*.mk pipelines/README.md README.md \
	    examples/demo.sh examples/*/*.sh examples/*/README.md Makefile \
	    scripts/install-deps
}

# check LIST_OPTIONS FILES...: depscan.py check against install-deps'
# list with LIST_OPTIONS ("" for the main list, "--bench", "--fuzz")
check() {
	local opts=$1
	shift
	"$TOP/scripts/install-deps" --list $opts > "$T/packages"
	(cd "$TOP" && /usr/bin/python3 tests/depscan.py check "$T/table" \
	    "$T/packages" "$@")
}

@test "install-deps --list: the main list, and --bench and --fuzz add to it" {
	run --separate-stderr "$TOP/scripts/install-deps" --list
	assert_success
	assert_line python3-numpy
	assert_line jq
	refute_line python3-sklearn
	main=$output
	run --separate-stderr "$TOP/scripts/install-deps" --list --bench
	assert_success
	assert_line python3-sklearn
	[[ "$output" == "$main"$'\n'* ]] || fail "--bench drops some of the main list"
	run --separate-stderr "$TOP/scripts/install-deps" --list --fuzz
	assert_line clang
	run --separate-stderr "$TOP/scripts/install-deps" --nonsense
	assert_equal "$status" 64
}

@test "tests, pipelines, examples, READMEs: every program, module, library and data file is installed by install-deps" {
	run --separate-stderr check "" $(main_files)
	[ "$status" -eq 0 ] || fail "$output$stderr"
}

@test "every Python the tests, pipelines and examples run is /usr/bin/python3" {
	# (a part of the check above; here on its own so its failure says so)
	(cd "$TOP" && /usr/bin/python3 tests/depscan.py scan $(main_files)) > "$T/scan"
	run awk -F'\t' '$1 == "python" && $2 != "/usr/bin/python3"' "$T/scan"
	assert_output ""
	# and there are some: the scan sees them
	[ "$(awk -F'\t' '$1 == "python"' "$T/scan" | wc -l)" -gt 10 ]
}

@test "make bench and the fixture generators: everything is in install-deps --bench" {
	cd "$TOP"
	gens=$(find tests -name '*.py' ! -name depscan.py | sort)
	[ -n "$gens" ]
	run --separate-stderr check --bench bench/*.sh $gens
	[ "$status" -eq 0 ] || fail "$output$stderr"
}

@test "make fuzz: clang and libFuzzer are in install-deps --fuzz" {
	run --separate-stderr check --fuzz scripts/fuzz
	[ "$status" -eq 0 ] || fail "$output$stderr"
}

@test "install-deps installs nothing that nothing uses" {
	"$TOP/scripts/install-deps" --list --bench --fuzz > "$T/all"
	(cd "$TOP" && /usr/bin/python3 tests/depscan.py check "$T/table" \
	    "$T/all" --used $(main_files) bench/*.sh \
	    $(find tests -name '*.py' ! -name depscan.py) scripts/fuzz) > "$T/used"
	run comm -23 <(sort -u "$T/all") <(sort -u "$T/used")
	assert_output ""
}

@test "a test file that runs a program or module outside the base system checks for it first" {
	cd "$TOP"
	run --separate-stderr check "" --require tests/*.bats tests/helper.bash
	[ "$status" -eq 0 ] || fail "$output$stderr"
}

@test "the check finds what install-deps misses: a program, a module, a Python, a missing require" {
	# a test file as someone might write it, in a directory of its own
	mkdir "$T/tests"
	cp "$TOP/tests/helper.bash" "$T/tests/"
	# ("@" is added by sed, or Bats would take the line for a test here)
	sed 's/^AT/@/' > "$T/tests/planted.bats" <<'EOF'
load helper
ATtest "planted" {
	frobnicate --now | jq .
	/usr/bin/python3 -c 'import yaml, json'
	python3 -c 'import numpy'
	run --separate-stderr convert in.png out.jpg
	nsl-plot --x n --y e -o f.png data.jsonl
}
EOF
	run --separate-stderr check "" --require "$T/tests/planted.bats" "$T/tests/helper.bash"
	assert_failure
	assert_line --partial "planted.bats:3: program frobnicate: not in Debian's base system"
	assert_line --partial "planted.bats:4: Python module yaml: not in Debian's base system"
	assert_line --partial "planted.bats:5: runs Python as python3: use /usr/bin/python3"
	assert_line --partial "planted.bats:6: program convert: not in Debian's base system"
	assert_line --partial "planted.bats: runs jq (Debian package jq) without require_prog"
	assert_line --partial "planted.bats: runs nsl-plot (Debian package gnuplot-nox) without require_prog"
	assert_line --partial "planted.bats: runs numpy (Debian package python3-numpy) without require_py"
	# a package the table knows but install-deps does not list
	grep -v '^jq$' <("$TOP/scripts/install-deps" --list) > "$T/nojq"
	run --separate-stderr bash -c 'cd "$1" && /usr/bin/python3 tests/depscan.py check "$2" "$3" "$4"' \
	    _ "$TOP" "$T/table" "$T/nojq" "$T/tests/planted.bats"
	assert_failure
	assert_line --partial "planted.bats:3: program jq needs the Debian package jq, which scripts/install-deps does not install"
	# none of these on a line of its own: json is the standard library's
	refute_line --partial "module json"
}

@test "require_prog and require_py fail naming the Debian package" {
	run require_prog no-such-program-nsl some-package
	assert_failure
	assert_output --partial "no-such-program-nsl is missing: install the Debian package some-package"
	run require_py no_such_module_nsl python3-no-such
	assert_failure
	assert_output --partial "Python module no_such_module_nsl is missing from /usr/bin/python3: install the Debian package python3-no-such"
	refute_output --partial "Traceback"
	run require_prog jq jq
	assert_success
	run require_py json python3
	assert_success
}
