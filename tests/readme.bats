#!/usr/bin/env bats
# Every command README.md and examples/*/README.md show runs here, as a
# new user types it, with the Debian jq, parallel and gnuplot that
# scripts/install-deps installs, on data a fresh clone has: the repository
# (tests/data) and Debian's dataset-fashion-mnist.  The commands are read
# from the READMEs themselves (tests/depscan.py commands), so a command
# added to a README runs here without a word in this file.
#
# Where they run: a directory laid out like the top of the tree, whose bin/
# is the tools under test and whose examples/out/ starts empty ($S below).
# What a run changes, for a test's time:
#   - "/tmp/" in a command is $S/tmp/, so that parallel runs of the suite
#     do not share files;
#   - the pipelines' knobs come from the environment (every knob is a
#     "?=" make variable): the first 5000 training and 1000 test images of
#     Fashion-MNIST, fewer sizes, seeds and formats (setup_file);
#   - make demo runs with -o all: the build is the suite's own;
#   - make check is this suite: it is not run from inside itself, and a
#     bare "make" (build the tools) is the build the suite already has.
# What is checked: each command exits 0 (141, a writer stopped by "head",
# too); shows output where the README shows some (but for make, which
# says nothing when the demo made its targets); and the JSON records it
# prints have the README's fields in the README's order, with the README's
# values (to 1e-6) where the command reads the same data as the README
# (not the smaller examples/out/ of this run).

bats_require_minimum_version 1.5.0

load helper

TOP="$TESTS_DIR/.."

setup_file() {
	require_prog /usr/bin/python3 python3
	require_prog jq jq
	require_prog make make
	require_prog parallel parallel
	require_prog gnuplot gnuplot-nox	# nsl-plot runs it
	local f=/usr/share/datasets/fashion-mnist
	[ -r $f/train-images-idx3-ubyte.gz ] ||
		fail "$f is missing: install the Debian package dataset-fashion-mnist (scripts/install-deps installs it)"
	S=$BATS_FILE_TMPDIR/top
	mkdir -p "$S/examples/out" "$S/tmp" "$S/fmnist"
	ln -s "$NSL_BIN" "$S/bin"
	for d in Makefile pipelines scripts tests examples/demo.sh; do
		ln -s "$(cd "$TOP" && pwd)/$d" "$S/$d"
	done
	# the first images and labels of each IDX file, with its count
	/usr/bin/python3 - "$f" "$S/fmnist" <<'EOF'
import gzip, os, struct, sys
src, dst = sys.argv[1:3]
for name, n in (("train", 5000), ("t10k", 1000)):
    for kind, head, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
        f = "%s-%s-ubyte.gz" % (name, kind)
        with gzip.open(os.path.join(src, f)) as fp:
            h = fp.read(head)
            body = fp.read(n * size)
        with gzip.open(os.path.join(dst, f), "wb", compresslevel=1) as fp:
            fp.write(h[:4] + struct.pack(">I", n) + h[8:] + body)
EOF
	export S NSL_BIN
	export FMNIST=$S/fmnist JOBS=2
	# pruning-curve.mk and perceptron.mk (make demo)
	export SIZES='250 500 1000 2000 4000' FRACTIONS=0.5 STRATEGIES='easy hard'
	export DYN_EPOCHS=2 DYN_HIDDEN=16 DIM=10 ALPHAS='1 2 4 8' SEEDS='1 2'
	# precision.mk, projektor.mk, scaling-law.mk
	export FORMATS='int8 mxfp4' TRAIN_N=1000 OT_N=200
	export STEP=0.5 PROBE_SIZES='200 300 400' BUDGET=800 VAL_N=200 SEARCH_N=100 SEARCH_ITERS=5
	export BOOTSTRAP=20
}

setup() {
	T=$BATS_TEST_TMPDIR
}

# Commands whose shown inputs are not this run's: their values differ
SUBSET_RE='examples/out|/tmp/full\.jsonl|/tmp/mxfp4\.jsonl'

# compare SHOWN_JSON OUTPUT EXACT: the JSON records of OUTPUT against the
# lines the README shows (a JSON array of strings)
compare() {
	/usr/bin/python3 - "$@" <<'EOF'
import json, sys
shown, got, exact = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3] == "1"

def records(lines):
    out = []
    for l in lines:
        l = l.strip()
        if l.startswith("{") and l.endswith("}"):
            try:
                out.append(json.loads(l))
            except ValueError:
                pass
    return out

def same(a, b, where):
    if isinstance(a, dict):
        if not isinstance(b, dict) or list(a) != list(b):
            return "%s: fields %s, the README shows %s" % (
                where, list(b) if isinstance(b, dict) else b, list(a))
        for k in a:
            r = same(a[k], b[k], where + "." + k)
            if r:
                return r
        return None
    num = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
    if num(a):
        if not num(b):
            return "%s: %r, the README shows a number" % (where, b)
        if exact and abs(a - b) > 1e-6 * max(abs(a), abs(b)) + 1e-12:
            return "%s: %r, the README shows %r" % (where, b, a)
        return None
    if type(a) != type(b):
        return "%s: %r, the README shows %r" % (where, b, a)
    if exact and isinstance(a, list):
        if len(a) != len(b):
            return "%s: %d elements, the README shows %d" % (
                where, len(b), len(a))
        for i, (x, y) in enumerate(zip(a, b)):
            r = same(x, y, "%s[%d]" % (where, i))
            if r:
                return r
    elif exact and a != b:
        return "%s: %r, the README shows %r" % (where, b, a)
    return None

a, b = records(shown), records(got.split("\n"))
if len(a) != len(b):
    sys.exit("%d JSON records, the README shows %d" % (len(b), len(a)))
for i, (x, y) in enumerate(zip(a, b)):
    r = same(x, y, "record %d" % (i + 1))
    if r:
        sys.exit(r)
EOF
}

# run_doc DOC: run every command DOC shows, in order, in $S
run_doc() {
	local doc=$1 obj cmd line shown exact n=0
	local -a objs
	mapfile -t objs < <(/usr/bin/python3 "$TOP/tests/depscan.py" commands "$TOP/$doc")
	[ "${#objs[@]}" -gt 0 ] || fail "$doc shows no command"
	cd "$S"
	for obj in "${objs[@]}"; do
		cmd=$(jq -r .cmd <<<"$obj")
		line=$(jq -r .line <<<"$obj")
		shown=$(jq -c .out <<<"$obj")
		if [[ "${cmd%%#*}" =~ ^make\ *$ ]]; then
			continue
		fi
		case "$cmd" in
		"make check"*) continue ;;
		"make demo"*) cmd="make -o all demo${cmd#make demo}" ;;
		esac
		exact=1
		[[ "$cmd" =~ $SUBSET_RE ]] && exact=0
		cmd=${cmd//\/tmp\//$S/tmp/}
		if [[ "$cmd" == "export "* ]]; then
			eval "$cmd"
			continue
		fi
		run bash -o pipefail -c "$cmd" </dev/null
		[ "$status" -eq 0 ] || [ "$status" -eq 141 ] ||
			fail "$doc:$line: exit $status: $cmd"$'\n'"$output"
		if [ "$shown" != "[]" ]; then
			# (make prints nothing when its targets are up to date)
			[ -n "$output" ] || [[ "$cmd" == make* ]] ||
				fail "$doc:$line: no output: $cmd"
			run compare "$shown" "$output" "$exact"
			[ "$status" -eq 0 ] || fail "$doc:$line: $cmd"$'\n'"$output"
		fi
		n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "README.md: make demo (on a part of Fashion-MNIST) and the tour run with Debian's jq" {
	run_doc README.md
	# the demo's figures and the tour's file
	[ "$(head -c 4 "$S/examples/out/pruning-curve/pruning-f0.5.png" | tail -c 3)" = PNG ]
	[ "$(head -c 4 "$S/examples/out/perceptron/perceptron-t0.png" | tail -c 3)" = PNG ]
	[ "$(zcat "$S/train.jsonl.gz" | wc -l)" -eq 60000 ]
}

@test "README.md's tour: the jq line as printed runs with jq 1.6 (label is a keyword there)" {
	# the line from the README, on a record of the tour's shape
	cmd=$(/usr/bin/python3 "$TOP/tests/depscan.py" commands "$TOP/README.md" |
	    jq -r 'select(.cmd | startswith("zcat train.jsonl.gz")) | .cmd')
	[ -n "$cmd" ]
	printf '{"id":0,"label":9,"embedding":[0,0.5,1]}\n' | gzip > "$T/train.jsonl.gz"
	cd "$T"
	run bash -o pipefail -c "$cmd"
	assert_success
	assert_output '{"id":0,"label":9,"d":3}'
}

@test "README.md shows no path outside the repository and Debian's packages" {
	run grep -n '\.\./shared' "$TOP/README.md" "$TOP"/examples/*/README.md
	assert_failure
	assert_output ""
}

@test "examples/pruning-curve/README.md: every command runs" {
	[ -e "$S/examples/out/pruning-curve/pool-4000.jsonl" ] ||
		(cd "$S" && make -s -o all demo >/dev/null)
	run_doc examples/pruning-curve/README.md
}

@test "examples/perceptron/README.md: every command runs, the by-hand records as shown" {
	[ -e "$S/examples/out/perceptron/results.jsonl" ] ||
		(cd "$S" && make -s -o all demo >/dev/null)
	run_doc examples/perceptron/README.md
}

@test "examples/isoflop/README.md: every command runs, the records as shown" {
	run_doc examples/isoflop/README.md
}

@test "examples/crossover/README.md: every command runs, the comparison as shown" {
	run_doc examples/crossover/README.md
}

@test "examples/scaling-law/README.md: every command runs, the by-hand fit as shown" {
	run_doc examples/scaling-law/README.md
}

@test "examples/precision/README.md: every command runs" {
	[ -e "$S/examples/out/fashion-mnist/train.jsonl" ] ||
		(cd "$S" && make -s -o all demo >/dev/null)
	run_doc examples/precision/README.md
}

@test "examples/projektor/README.md: every command runs" {
	[ -e "$S/examples/out/fashion-mnist/train.jsonl" ] ||
		(cd "$S" && make -s -o all demo >/dev/null)
	run_doc examples/projektor/README.md
}

@test "every README with commands has a test here" {
	for doc in "$TOP"/README.md "$TOP"/examples/*/README.md; do
		rel=${doc#"$TOP"/}
		n=$(/usr/bin/python3 "$TOP/tests/depscan.py" commands "$doc" | wc -l)
		[ "$n" -eq 0 ] || grep -q "^	run_doc $rel\$" "$BATS_TEST_FILENAME" ||
			fail "$rel shows $n commands and no test runs them"
	done
}

@test "examples/intrinsic-dim/README.md: every command runs" {
	# two widths, small probes, d at two sizes: the README's commands on
	# the suite's 5000 images
	export WIDTHS='8 16' ID_SIZES=1000,2000 MLP_HIDDEN=16 MLP_PASSES=20000
	run_doc examples/intrinsic-dim/README.md
	[ -s "$S/out/intrinsic-dim/regime.jsonl" ]
	[ "$(head -c 4 "$S/out/intrinsic-dim/d-vs-n.png" | tail -c 3)" = PNG ]
}
