#!/usr/bin/env bats
# The pipelines (pipelines/*.mk) on tiny inputs: they run, JOBS=1 and
# JOBS=2 give the same bytes, a second run does no work, and a changed knob
# reruns only what depends on it.

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

# perceptron.mk with 2 seeds x 5 alphas x 2 fractions, N = 10.
perceptron() {
	make --no-print-directory -f "$PIPES/perceptron.mk" DIM=10 \
	    FRACTIONS='1 0.5' ALPHAS='1 2 3 4 6' ANGLES=0 "$@"
}

@test "perceptron.mk: runs, averages over seeds, fits both laws per f, draws the figure" {
	run --separate-stderr perceptron OUT=p SEEDS='1 2' JOBS=2
	assert_success
	assert_output --partial "RUN     20 of 20 runs"
	[ "$(wc -l < p/results.jsonl)" -eq 20 ]
	[ "$(wc -l < p/mean.jsonl)" -eq 10 ]
	# Each mean is the average of its two seeds' exact errors.
	want=$(jq -s '[.[] | select(.f == 0.5 and .alpha == 3) | .gen_error] | add / 2' p/results.jsonl)
	got=$(jq 'select(.f == 0.5 and .alpha == 3) | .error' p/mean.jsonl)
	[ "$want" = "$got" ]
	# Kept = alpha N, drawn P = alpha N / f.
	run jq -c 'select(.f == 0.5 and .alpha == 3 and .seed == 1) | [.n_train, .P]' p/results.jsonl
	assert_output '[30,60]'
	run jq -r '"\(.by.f) \(.law)"' p/fits-t0.jsonl
	assert_line '1 power-offset'
	assert_line '1 exp-offset'
	assert_line '0.5 power-offset'
	assert_line '0.5 exp-offset'
	[ "$(head -c 4 p/perceptron-t0.png | tail -c 3)" = PNG ]
	# The frontier: at each alpha the lower of the two means
	want=$(jq -s -c 'group_by(.alpha) | map(min_by(.error) | [.alpha, .error])' p/mean.jsonl)
	got=$(jq -s -c 'map([.alpha, .error])' p/frontier-points-t0.jsonl)
	[ "$want" = "$got" ]
	[ "$(head -c 4 p/frontier-t0.png | tail -c 3)" = PNG ]
	run perceptron OUT=p SEEDS='1 2' table
	assert_success
	assert_line --regexp '^ +f=0.5 +0\.[0-9]+ +0\.[0-9]+'
	assert_line --regexp '^  verdict: [a-z-]+ \(the frontier (beats|does not beat) the unpruned power law\)$'
}

@test "perceptron.mk: JOBS=1 and JOBS=2 give byte-identical results" {
	perceptron OUT=a SEEDS='1 2' JOBS=1 a/fits-t0.jsonl
	perceptron OUT=b SEEDS='1 2' JOBS=2 b/fits-t0.jsonl
	cmp a/results.jsonl b/results.jsonl
	cmp a/mean.jsonl b/mean.jsonl
	cmp a/fits-t0.jsonl b/fits-t0.jsonl
}

@test "perceptron.mk: a second run does no work; a new seed runs only its runs" {
	perceptron OUT=p SEEDS='1 2' JOBS=2 2>/dev/null
	before=$(ls -l --time-style=+%s.%N p p/runs | md5sum)
	run perceptron OUT=p SEEDS='1 2' JOBS=2
	assert_success
	assert_output ''
	[ "$(ls -l --time-style=+%s.%N p p/runs | md5sum)" = "$before" ]
	run perceptron OUT=p SEEDS='1 2 3' JOBS=2
	assert_success
	assert_output --partial "RUN     10 of 30 runs"
	[ "$(wc -l < p/results.jsonl)" -eq 30 ]
	# The old runs were kept, not redone.
	[ "$(find p/runs -newer p/jobs.txt -name '*-s1.json' | wc -l)" -eq 0 ]
}

# pruning-curve.mk on a 3-class Gaussian mixture (5 dimensions).
pruning() {
	make --no-print-directory -f "$PIPES/pruning-curve.mk" TRAIN=train.jsonl \
	    TEST=test.jsonl SIZES='200 300 400 500 600' FRACTIONS=0.5 \
	    STRATEGIES='easy hard random stratified' DYN_EPOCHS=3 DYN_HIDDEN=8 "$@"
}

mixture() {
	nsl-synth gaussian-mixture --classes 3 --dim 5 --n 800 --separation 3 --seed 1 -o train.jsonl
	nsl-synth gaussian-mixture --classes 3 --dim 5 --n 500 --separation 3 --seed 1 --test -o test.jsonl
}

@test "pruning-curve.mk: scores, prunes per strategy and size, probes, fits, plots" {
	mixture
	run --separate-stderr pruning OUT=c JOBS=2
	assert_success
	assert_output --partial "RUN     25 of 25 runs"
	# The pool keeps every record and adds the three scores.
	[ "$(wc -l < c/pool.jsonl)" -eq 800 ]
	run jq -c '[has("embedding", "label", "prototype", "el2n", "forgetting")] | all' c/pool.jsonl
	refute_output false
	# Half of each size is kept, rounded in each of the 3 classes (--by
	# label): within 1.5 of size / 2.
	run jq -c 'select(.series == "hard f=0.5") | [.size, (.n_train - .size / 2 | fabs <= 1.5)]' c/results.jsonl
	assert_output "$(printf '[%s,true]\n' 200 300 400 500 600)"
	run jq -c 'select(.series == "none f=1") | [.size, .n_train]' c/results.jsonl
	assert_line '[200,200]'
	assert_line '[600,600]'
	run jq -r '.by.series' c/fits.jsonl
	assert_line 'none f=1'
	assert_line 'easy f=0.5'
	assert_line 'stratified f=0.5'
	[ "$(head -c 4 c/pruning-f0.5.png | tail -c 3)" = PNG ]
	# The frontier: the best run at each nominal kept size f x size
	want=$(jq -s -c 'group_by(.f * .size) | map(min_by(.test_error) | .test_error)' c/results.jsonl)
	got=$(jq -s -c 'map(.test_error)' c/frontier-points.jsonl)
	[ "$want" = "$got" ]
	run jq -r '.verdict' c/frontier.jsonl
	assert_output --regexp '^(none|exponential|broken-power|steeper-power|lower)$'
	[ "$(head -c 4 c/frontier.png | tail -c 3)" = PNG ]
	run pruning OUT=c table
	assert_success
	assert_line --regexp '^ +hard f=0.5 +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+$'
	assert_line --partial 'x pool size, easy hard stratified by el2n'
	assert_line --regexp '^  verdict: [a-z-]+ '
}

@test "pruning-curve.mk: JOBS=1 = JOBS=2; second run does no work; a new input reruns" {
	mixture
	pruning OUT=a JOBS=1 a/fits.jsonl
	pruning OUT=b JOBS=2 b/fits.jsonl
	cmp a/pool.jsonl b/pool.jsonl
	cmp a/results.jsonl b/results.jsonl
	cmp a/fits.jsonl b/fits.jsonl
	run pruning OUT=b JOBS=2 b/fits.jsonl
	assert_success
	assert_output ''
	# A changed test set reruns every probe, but not the scores.
	sleep 1
	nsl-synth gaussian-mixture --classes 3 --dim 5 --n 400 --separation 3 --seed 2 --test -o test.jsonl
	run pruning OUT=b JOBS=2 b/fits.jsonl
	assert_success
	assert_output --partial "RUN     25 of 25 runs"
	refute_output --partial "SCORE"
}

@test "pruning-curve.mk: without TRAIN, a clear error" {
	run make --no-print-directory -f "$PIPES/pruning-curve.mk" OUT=x
	assert_failure
	assert_output --partial "set TRAIN="
}

@test "scaling-law.mk: laws ranked on held-out points, compute-optimal table of the best" {
	run --separate-stderr make --no-print-directory -f "$PIPES/scaling-law.mk" OUT=s \
	    LAWS='chinchilla chinchilla-tied' BOOTSTRAP=20 COMPUTE='1e20 1e22 1e24' JOBS=2
	assert_success
	# Epoch's digitised Chinchilla points, 245 of them.
	[ "$(wc -l < s/points.jsonl)" -eq 245 ]
	# Ranked by held-out RMSLE, best first, each scored on the same points.
	run jq -s '(.[0].holdout.rmsle <= .[1].holdout.rmsle) and (map(.holdout.n) | unique | length == 1)' s/ranking.jsonl
	assert_output true
	# Compute-optimal: 6 N_opt D_opt = C (the constraint), one row per C.
	run jq -c '[.C, (6 * .N_opt * .D_opt / .C - 1 | fabs < 1e-9)]' s/optimal.jsonl
	assert_output "$(printf '[%s,true]\n' 1e+20 1e+22 1e+24)"
	[ "$(head -c 4 s/scaling-law.png | tail -c 3)" = PNG ]
	run make --no-print-directory -f "$PIPES/scaling-law.mk" OUT=s \
	    LAWS='chinchilla chinchilla-tied' BOOTSTRAP=20 COMPUTE='1e20 1e22 1e24' table
	assert_success
	assert_line --partial 'laws ranked by held-out RMSLE'
}

@test "scaling-law.mk: chinchilla-tied gives a constant D_opt / N_opt" {
	make --no-print-directory -f "$PIPES/scaling-law.mk" OUT=s LAWS=chinchilla-tied \
	    BOOTSTRAP=10 COMPUTE='1e18 1e21 1e24' s/optimal.jsonl
	# With alpha = beta, N_opt and D_opt both grow as C^(1/2).
	run jq -s 'map(.D_opt / .N_opt) | (max / min - 1) < 1e-9' s/optimal.jsonl
	assert_output true
}

@test "scaling-law.mk: a changed COMPUTE redoes the table, a changed BOOTSTRAP the refit, not the fits" {
	local sl=(make --no-print-directory -f "$PIPES/scaling-law.mk" OUT=s LAWS=chinchilla-tied)
	"${sl[@]}" BOOTSTRAP=2 COMPUTE='1e20 1e22' s/optimal.jsonl >/dev/null
	[ "$(wc -l < s/optimal.jsonl)" -eq 2 ]
	run --separate-stderr "${sl[@]}" BOOTSTRAP=2 COMPUTE='1e20 1e22 1e24' s/optimal.jsonl
	assert_success
	refute_output --partial RUN
	refute_output --partial FIT
	[ "$(wc -l < s/optimal.jsonl)" -eq 3 ]
	run --separate-stderr "${sl[@]}" BOOTSTRAP=3 COMPUTE='1e20 1e22 1e24' s/optimal.jsonl
	assert_success
	refute_output --partial RUN
	assert_output --partial 'FIT     chinchilla-tied on all points, 3 bootstrap resamples'
	[ "$(jq .bootstrap.B s/best.json)" -eq 3 ]
}

mixture8() {
	nsl-synth gaussian-mixture --classes 3 --dim 8 --n "$1" --separation 3 --seed 1 -o train.jsonl
	nsl-synth gaussian-mixture --classes 3 --dim 8 --n 400 --separation 3 --seed 1 --test -o test.jsonl
}

@test "precision.mk: one record per format, bits per value, OT distance 0 at full precision" {
	mixture8 300
	run --separate-stderr make --no-print-directory -f "$PIPES/precision.mk" OUT=q \
	    TRAIN=train.jsonl TEST=test.jsonl FORMATS='int8 int4 mxfp4' TRAIN_N=200 OT_N=100 JOBS=2
	assert_success
	# bits: int8 8 + a 32-bit row scale over 8 values = 12; int4 4 + 4 = 8;
	# mxfp4 4 + an 8-bit scale per block of 32 = 4.25.
	run jq -c '[.format, .bits]' q/results.jsonl
	assert_output "$(printf '%s\n' '["none",32]' '["int8",12]' '["int4",8]' '["mxfp4",4.25]')"
	run jq -c 'select(.format == "none") | [.ot < 1e-6, .mse]' q/results.jsonl
	assert_output '[true,0]'
	run jq -s '(.[1].ot < .[2].ot) and (.[1].mse < .[2].mse)' q/results.jsonl
	assert_output true
	[ "$(head -c 4 q/precision-ot.png | tail -c 3)" = PNG ]
	[ "$(head -c 4 q/precision-error.png | tail -c 3)" = PNG ]
	[ "$(head -c 4 q/precision-sqnr.png | tail -c 3)" = PNG ]
}

@test "precision.mk with CHECKPOINT alone: the per-tensor table, its sums per format, the SQNR figure" {
	local ck="$TESTS_DIR/fixtures/quantize-safetensors/model.safetensors"
	run --separate-stderr make --no-print-directory -f "$PIPES/precision.mk" OUT=c \
	    CHECKPOINT="$ck" FORMATS='int8 fp8-e4m3'
	assert_success
	# the float tensors in file order, per format; bits 8 + 32/d for
	# int8's row scales (w1 [4,8], emb [3,5], b1 [8])
	run jq -c '[.format, .tensor, .bits]' c/tensors.jsonl
	assert_output "$(printf '%s\n' '["int8","w1",12]' '["int8","emb",14.4]' '["int8","b1",12]' \
	    '["fp8-e4m3","w1",8]' '["fp8-e4m3","emb",8]' '["fp8-e4m3","b1",8]')"
	# 55 values; int8's bits weighted by them: (32*12 + 15*14.4 + 8*12)/55
	run jq -c 'select(.format == "int8") | [.n, (.bits * 55 | round)]' c/checkpoint.jsonl
	assert_output '[55,696]'
	# fp8-e4m3 saturates w1's 1000 at 448: far lower SQNR than int8
	run jq -s '.[0].format == "fp8-e4m3" and .[0].sqnr_db < 10 and .[1].sqnr_db > 40' c/checkpoint.jsonl
	assert_output true
	[ "$(head -c 4 c/checkpoint-sqnr.png | tail -c 3)" = PNG ]
	run --separate-stderr make --no-print-directory -f "$PIPES/precision.mk" OUT=c \
	    CHECKPOINT="$ck" FORMATS='int8 fp8-e4m3' tensor-table
	assert_line --index 1 --regexp '^  int8 +w1 +F32 +4x8 +12 '
}

@test "projektor.mk: OT per candidate, probes, fit, predicted best and the check runs" {
	mixture8 3000
	run --separate-stderr make --no-print-directory -f "$PIPES/projektor.mk" OUT=j \
	    TRAIN=train.jsonl TEST=test.jsonl SOURCES='0 1 2' STEP=0.5 \
	    PROBE_MIXTURES='1_0_0 0_1_0 0.5_0.5_0 0.34_0.33_0.33' PROBE_SIZES='60 90 120' \
	    BUDGET=200 VAL_N=100 OT_N=60 SEARCH_N=60 JOBS=2
	assert_success
	# Every training record with id mod 3 = s - 1 goes to source s when its
	# label is s - 1 or, for one id in 5, any label.
	want=$(jq -s '[.[] | select(.id % 3 == 0 and (.label == 0 or ((.id / 3 | floor) % 5 == 0)))] | length' train.jsonl)
	[ "$(wc -l < j/source-1.jsonl)" -eq "$want" ]
	# The grid of step 1/2 over 3 sources (6 points, 3 of them probed) and
	# the other probe mixture.
	[ "$(wc -l < j/candidates.jsonl)" -eq 7 ]
	[ "$(wc -l < j/probes.jsonl)" -eq 12 ]
	run jq -s 'map(.n_train) == [60,60,60,60,90,90,90,90,120,120,120,120]' j/probes.jsonl
	assert_output true
	run jq -s '. == sort_by(.pred)' j/predictions.jsonl
	assert_output true
	run jq -c '[.role, .n_train]' j/check.jsonl
	assert_line '["predicted-best",200]'
	assert_line '["best-probed",200]'
	assert_line '["search",200]'
	# The search's weights, rounded to 0.01, name its mixture; its OT
	# distance is measured as the candidates' are
	run jq -r '[.search_weights["1"], .search_weights["2"], .search_weights["3"]] |
	    (add - 1 | fabs) < 1e-9 and .[0] >= 0 and .[1] >= 0 and .[2] >= 0' j/search-mixture.jsonl
	assert_output true
	run jq -r '(.w | add) == 1 and (.ot > 0) and (.mixture | split("_") | length) == 3' j/search-mixture.jsonl
	assert_output true
	[ "$(head -c 4 j/projektor.png | tail -c 3)" = PNG ]
}

@test "intrinsic-dim.mk: PCA widths, d against n, the prediction, curves, regimes and figures; a second run does no work" {
	nsl-synth gaussian-mixture --classes 3 --dim 10 --n 800 --separation 3 --seed 1 -o train.jsonl
	nsl-synth gaussian-mixture --classes 3 --dim 10 --n 200 --separation 3 --seed 1 --test -o test.jsonl
	id() {
		make --no-print-directory -f "$PIPES/intrinsic-dim.mk" OUT=i TRAIN=train.jsonl \
		    TEST=test.jsonl WIDTHS='3 6' SIZES='100 200 300 400 500' PROBES=linear \
		    ID_SIZES=200,400,5000 BOOTSTRAP=20 JOBS=2 "$@"
	}
	run --separate-stderr id
	assert_success
	assert_output --partial "RUN     10 of 10 runs"
	# width 3 is the first 3 coordinates of the width-6 PCA
	[ "$(jq -c '.embedding[0:3]' <(head -n 1 i/train-6.jsonl))" = "$(jq -c .embedding <(head -n 1 i/train-3.jsonl))" ]
	# d against n: 200, 400 and the whole 800 (5000 is more than the set)
	[ "$(jq -s -c 'map([.estimator, .n])' i/id-6.jsonl)" = \
	    '[["twonn",200],["mle",200],["twonn",400],["mle",400],["twonn",800],["mle",800]]' ]
	# the prediction: 4 / d of twonn on the whole set, its interval inverted
	run jq -c --slurpfile id i/id-3.jsonl '($id | map(select(.estimator == "twonn" and .n == 800))[0]) as $e |
	    [(.alpha * $e.d | . * 1e9 | round), (.alpha_interval[0] * $e.interval[1] | . * 1e9 | round)]' \
	    i/pred-3.json
	assert_output '[4000000000,4000000000]'
	# 3 parts per curve and width, against each width's prediction
	[ "$(wc -l < i/regime.jsonl)" -eq 6 ]
	run jq -s -c 'map(select(.width == 6)) | map(.predicted) | unique' i/regime.jsonl
	assert_output "[$(jq .alpha i/pred-6.json)]"
	[ "$(jq -r 'select(.part == "predicted") | .by.series' i/fits.jsonl | sort | tr '\n' ' ')" = 'linear w=3 linear w=6 ' ]
	[ "$(head -c 4 i/curves-linear.png | tail -c 3)" = PNG ]
	[ "$(head -c 4 i/d-vs-n.png | tail -c 3)" = PNG ]
	run id table
	assert_success
	assert_line --regexp '^ +6 +linear +all +100-500 '
	before=$(ls -l --time-style=+%s.%N i i/runs | md5sum)
	run id
	assert_success
	assert_output ''
	[ "$(ls -l --time-style=+%s.%N i i/runs | md5sum)" = "$before" ]
}
