#!/usr/bin/env bats
# The pipelines' knobs (pipelines/*.mk) are data, never code: every knob
# set to a value holding shell and make syntax, run with stand-in tools,
# runs nothing it holds (split from pipelines.bats so that the two run
# side by side).

load helper

PIPES="$TESTS_DIR/../pipelines"

setup() {
	require_prog make make
	require_prog jq jq
	require_prog parallel parallel
	require_prog gnuplot gnuplot-nox	# nsl-plot runs it
	export NSL_BIN
	cd "$BATS_TEST_TMPDIR"
}

# A knob value that runs `touch PWNED` wherever it reaches a shell as code:
# unquoted, in double quotes, or in single quotes (it closes them).  On
# make's command line '$$' is a '$'; PWNV is the value make then holds.
PWN='$$(touch$${IFS}PWNED)'"'"'$$(touch$${IFS}PWNED)'"'"
PWNV='$(touch${IFS}PWNED)'"'"'$(touch${IFS}PWNED)'"'"

# standin_tools: stand-ins for the nsl tools in ./standin (NSL_BIN) that only
# write a record to each output they are named, so that a pipeline under
# make -i runs every one of its recipes in a moment, whatever the knobs.
standin_tools() {
	mkdir -p standin
	cat >standin/nsl <<'SH'
#!/bin/sh
# writes R to every output it is given, and to stdout without -o; reads
# all of standard input when an argument is "-" (so that what feeds it is
# not cut short by SIGPIPE, which would fail the job and make parallel
# stop its others); logs each call, a line, in $STANDIN_CALLS
R='{"law":"chinchilla","mixture":"1_0","n":1,"C":1,"L_opt":1}'
echo "${0##*/} $*" >>"$STANDIN_CALLS"
out= drain=
while [ $# -gt 0 ]; do
	case $1 in
	-) drain=1 ;;
	-o | --output | --dynamics | --stats-file | --emit-teacher | --save | --predict | --fits)
		[ "$1" = -o ] && out=1
		[ $# -gt 1 ] && { printf '%s\n' "$R" >"$2"; } 2>/dev/null
		shift ;;
	--list-formats) printf 'int8 8 integer\n' ;;
	esac
	shift
done
[ -z "$drain" ] || cat >/dev/null
[ -n "$out" ] || printf '%s\n' "$R"
exit 0
SH
	chmod +x standin/nsl
	local t
	for t in "$NSL_BIN"/nsl-*; do
		ln -sf nsl "standin/${t##*/}"
	done
}

# no_code PIPELINE KNOB=VALUE...: run PIPELINE's all, table and clean with
# the stand-in tools and make -i (every recipe runs, failing or not); no
# file PWNED may appear anywhere.  Each run starts from nothing, in ./run
# with the inputs of pwn_inputs, so that what one run left (clean does not
# take all of it) does not change which recipes the next runs.  CALLS is
# then how many times the stand-in tools ran, and $STANDIN_CALLS.all their
# calls, sorted.
no_code() {
	local mk=$1 run="$BATS_TEST_TMPDIR/run" hit
	shift
	export STANDIN_CALLS="$BATS_TEST_TMPDIR/standin-calls"
	: >"$STANDIN_CALLS"
	rm -f "$STANDIN_CALLS.all"
	rm -rf "$run" && mkdir "$run" || fail "cannot make $run"
	(
		cd "$run" && pwn_inputs
		make --no-print-directory -i -f "$PIPES/$mk" NSL_BIN="$BATS_TEST_TMPDIR/standin" "$@" all table >/dev/null 2>&1
		sort "$STANDIN_CALLS" >"$STANDIN_CALLS.all"
		make --no-print-directory -i -f "$PIPES/$mk" NSL_BIN="$BATS_TEST_TMPDIR/standin" "$@" clean >/dev/null 2>&1
	) || true
	[ -f "$STANDIN_CALLS.all" ] || fail "$mk $*: did not run"
	CALLS=$(wc -l <"$STANDIN_CALLS.all")
	hit=$(find "$BATS_TEST_TMPDIR" -name PWNED)
	[ -z "$hit" ] || { rm -f $hit; fail "$mk $*: a knob ran as code ($hit)"; }
}

# each_knob PIPELINE BASE... -- KNOB... [-- VALUE_KNOB...]: no_code for
# each KNOB set to PWN alone (its value one word; a name knob gets a
# prefix), BASE the other knobs, then for all of them at once.
#
# A VALUE_KNOB only goes into recipes' commands: it names no target and
# stops no recipe, so the pipeline runs the same recipes with it set to
# PWN as with BASE alone.  The VALUE_KNOBs are set to PWN together, in one
# run instead of one each (a run is a few seconds of processes), and that
# run must call the stand-in tools as often as BASE alone does: a knob
# that cut the pipeline short would hide the others, and fails the test
# here (it belongs among the KNOBs).
each_knob() {
	local mk=$1 k base all values base_calls
	base=()
	all=()
	values=()
	shift
	while [ "$1" != -- ]; do base+=("$1"); shift; done
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		no_code "$mk" "${base[@]}" "$1=x$PWN"
		all+=("$1=x$PWN")
		shift
	done
	if [ $# -gt 0 ]; then
		shift
		for k in "$@"; do values+=("$k=x$PWN"); done
		# one job at a time: a job that fails (the stand-ins' records
		# are not what the next step wants) stops the jobs after it,
		# not whichever of its siblings had started, so the calls are
		# the same from run to run
		no_code "$mk" "${base[@]}" JOBS=1
		base_calls=$CALLS
		[ "$base_calls" -gt 0 ] || fail "$mk ${base[*]}: no tool ran"
		mv "$STANDIN_CALLS.all" "$STANDIN_CALLS.base"
		no_code "$mk" "${base[@]}" JOBS=1 "${values[@]}"
		[ "$CALLS" -eq "$base_calls" ] ||
			fail "$mk $*: the tools ran $CALLS times, $base_calls without these knobs; without them, then with them: $(diff "$STANDIN_CALLS.base" "$STANDIN_CALLS.all")"
		all+=("${values[@]}")
	fi
	no_code "$mk" "${base[@]}" "${all[@]}"
}

# pwn_inputs: input files and a Fashion-MNIST directory named x$PWNV...,
# which the knobs below name, so that make finds them.
pwn_inputs() {
	local f
	: >"x${PWNV}"
	mkdir -p "x${PWNV}.d"
	for f in train-images-idx3-ubyte train-labels-idx1-ubyte \
	    t10k-images-idx3-ubyte t10k-labels-idx1-ubyte; do
		: >"x${PWNV}.d/$f.gz"
	done
	: >tr.jsonl
	: >te.jsonl
}

@test "knobs are data: no knob of scaling-law.mk runs as code" {
	standin_tools
	each_knob scaling-law.mk OUT=o LAWS=chinchilla BOOTSTRAP=2 -- \
	    OUT LAWS JOBS -- HOLDOUT FIT_ARGS BOOTSTRAP SEED COMPUTE PLOT_FORMAT
	no_code scaling-law.mk OUT=o "CSV=x$PWN"
	no_code scaling-law.mk OUT=o "MEASUREMENTS=x$PWN"
	# the report of the issue: COMPUTE=1e20 $(touch PWNED), real tools
	run --separate-stderr make --no-print-directory -f "$PIPES/scaling-law.mk" OUT=r \
	    LAWS=chinchilla-tied BOOTSTRAP=2 'COMPUTE=1e20 $$(touch PWNED)' r/optimal.jsonl
	[ "$status" -ne 0 ]
	[ ! -e PWNED ] || fail "PWNED"
	[[ "$stderr" == *'nsl-extrapolate: <stdin>:2: invalid JSON'* ]] || fail "$stderr"
}

@test "knobs are data: no knob of perceptron.mk runs as code" {
	standin_tools
	each_knob perceptron.mk OUT=o DIM=4 FRACTIONS=1 ALPHAS=1 SEEDS=1 ANGLES=0 -- \
	    OUT DIM FRACTIONS ALPHAS SEEDS ANGLES PLOT_FORMAT FIT_LOSS JOBS
}

@test "knobs are data: no knob of pruning-curve.mk runs as code" {
	standin_tools
	each_knob pruning-curve.mk OUT=o TRAIN=tr.jsonl TEST=te.jsonl SIZES=10 \
	    FRACTIONS=0.5 STRATEGIES=hard -- \
	    TRAIN TEST OUT STRATEGIES FRACTIONS SIZES JOBS -- SCORE SEED BY \
	    DYN_EPOCHS DYN_HIDDEN PROBE_L2 PLOT_FORMAT FIT_LOSS
}

@test "knobs are data: no knob of projektor.mk runs as code" {
	standin_tools
	each_knob projektor.mk OUT=o TRAIN=tr.jsonl TEST=te.jsonl SOURCES='0 1' \
	    STEP=0.5 PROBE_MIXTURES=1_0 PROBE_SIZES=10 -- \
	    TRAIN TEST OUT SOURCES PROBE_MIXTURES PROBE_SIZES JOBS BUDGET OT_N \
	    OT_ARGS SEARCH_N -- MINOR VAL_N SEED SEARCH_ITERS PLOT_FORMAT
	# STEP feeds the grid's awk at parse time; FMNIST_OUT a sub-make
	no_code projektor.mk OUT=o TRAIN=tr.jsonl TEST=te.jsonl "STEP=0.5$PWN"
	no_code projektor.mk OUT=o SOURCES='0 1' STEP=0.5 PROBE_MIXTURES=1_0 \
	    PROBE_SIZES=10 "FMNIST_OUT=x$PWN"
}

@test "knobs are data: no knob of precision.mk or fashion-mnist.mk runs as code" {
	standin_tools
	each_knob precision.mk OUT=o TRAIN=tr.jsonl TEST=te.jsonl FORMATS=int8 -- \
	    TRAIN TEST OUT FORMATS TRAIN_N OT_N PLOT_FORMAT JOBS CHECKPOINT
	each_knob fashion-mnist.mk OUT=o "FMNIST=x$PWN.d" -- OUT PCA_DIM
	no_code fashion-mnist.mk OUT=o "FMNIST=x$PWN.d"
}

@test "knobs are data: no knob of intrinsic-dim.mk runs as code" {
	standin_tools
	each_knob intrinsic-dim.mk OUT=o TRAIN=tr.jsonl TEST=te.jsonl WIDTHS=2 \
	    SIZES=10 PROBES=mlp -- \
	    TRAIN TEST OUT WIDTHS SIZES PROBES ID_SIZES JOBS -- ESTIMATOR NUMERATOR \
	    SEED BOOTSTRAP MLP_HIDDEN MLP_PASSES PROBE_L2 PLOT_FORMAT
	no_code intrinsic-dim.mk OUT=o "FMNIST=x$PWN.d"
}

@test "knob values holding quotes, '\$' or shell operators reach the tools as given" {
	# real tools: OUT holding quotes and '$' (make reads '$$' as '$'),
	# HOLDOUT the operator '>=', FIT_ARGS two arguments
	local out="s'q\"\$x"
	run --separate-stderr make --no-print-directory -f "$PIPES/scaling-law.mk" \
	    "OUT=s'q\"\$\$x" LAWS=chinchilla-tied BOOTSTRAP=2 COMPUTE=1e20 \
	    'HOLDOUT=C>=1e21' 'FIT_ARGS=--drop-top 5' JOBS=1
	assert_success
	[ "$(jq -r .holdout.n "$out/fits/chinchilla-tied.json")" -eq 23 ]
	[ "$(wc -l < "$out/optimal.jsonl")" -eq 1 ]
	[ "$(head -c 4 "$out/scaling-law.png" | tail -c 3)" = PNG ]
	[ ! -e C ] && [ ! -e '=1e21' ] || fail "HOLDOUT was a redirection"
}

@test "a path knob make cannot take (white space, ':', ...) is refused with a clear error" {
	local mk knob
	for mk in scaling-law perceptron precision projektor pruning-curve fashion-mnist intrinsic-dim; do
		run --separate-stderr make --no-print-directory -f "$PIPES/$mk.mk" \
		    'OUT=out dir' TRAIN=t.jsonl TEST=t.jsonl
		assert_equal "$status" 2
		[[ "$stderr" == *"OUT='out dir' holds white space: make cannot take it in a file name; choose another."* ]] ||
			fail "$mk: $stderr"
	done
	for knob in 'MEASUREMENTS=my runs.jsonl' 'CSV=a:b.csv' 'OUT=o;x' 'OUT=' 'OUT=-o' 'PLOT_FORMAT=p%g'; do
		run --separate-stderr make --no-print-directory -f "$PIPES/scaling-law.mk" "$knob"
		assert_equal "$status" 2
		[[ "$stderr" == *"${knob%%=*}='${knob#*=}' "*": make cannot take it in a file name"* ]] ||
			fail "$knob: $stderr"
	done
	run --separate-stderr make --no-print-directory -f "$PIPES/pruning-curve.mk" \
	    'TRAIN=my train.jsonl' TEST=t.jsonl
	assert_equal "$status" 2
	[[ "$stderr" == *"TRAIN='my train.jsonl' holds white space"* ]] || fail "$stderr"
	run --separate-stderr make --no-print-directory -f "$PIPES/perceptron.mk" 'ANGLES=0 1:5'
	assert_equal "$status" 2
	[[ "$stderr" == *"ANGLES: '1:5' holds ':'"* ]] || fail "$stderr"
	[ ! -e out ] && [ ! -e "out dir" ] || fail "something was made"
}
