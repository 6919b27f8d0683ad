#!/usr/bin/env bats
# nsl-score's valuation metrics: lava (OT data values against a
# validation set) against POT and scipy (fixtures/score/lava_ref.py), its
# detection of flipped labels on two synthetic sets, the loss metrics
# (attention-influence, reducible-loss, perplexity) on hand-worked
# records, and the bad inputs.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/score"

setup() {
	require_prog /usr/bin/python3 python3
	T=$BATS_TEST_TMPDIR
}

fails_cleanly() {
	nsl_fails_cleanly nsl-score o.jsonl "$@"
}

# precision FILE: of the k records with the highest "score", k the number
# with "flipped" true, the fraction flipped
precision() {
	/usr/bin/python3 -c '
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
k = sum(1 for x in r if x["flipped"])
top = sorted(range(len(r)), key=lambda i: (-r[i]["score"], i))[:k]
print("%.3f" % (sum(r[i]["flipped"] for i in top) / k))' "$1"
}

@test "golden: the loss metrics by hand, and their bad records (fixtures/score/losses.test)" {
	golden "$FIX/losses.test"
}

@test "golden: lava against POT's exact duals and Sinkhorn potentials (fixtures/score/lava.test)" {
	golden "$FIX/lava.test"
}

@test "lava finds flipped labels: teacher-student, 10% flipped, precision at 10% over 3x random" {
	nsl-synth --n 400 --dim 5 --label-noise 0.1 --seed 1 teacher-student >"$T/tr"
	nsl-synth --n 400 --dim 5 --seed 1 --test teacher-student >"$T/va"
	nsl-score --metric lava --valid "$T/va" "$T/tr" >"$T/s"
	p=$(precision "$T/s")
	# measured 0.375 (random: 0.1); flips near the teacher's boundary
	# look like clean points
	awk -v p="$p" 'BEGIN { exit !(p >= 0.3) }' || fail "precision $p"
}

@test "lava finds flipped labels: 3 Gaussian classes, every 10th label moved on, precision over 6x random" {
	nsl-synth --n 600 --dim 5 --classes 3 --seed 2 gaussian-mixture |
	    awk '{ match($0, /"id":[0-9]+/); id = substr($0, RSTART + 5, RLENGTH - 5) + 0
		f = id % 10 == 3
		if (f) { match($0, /"label":[0-9]+/); l = substr($0, RSTART + 8, RLENGTH - 8) + 0
			sub(/"label":[0-9]+/, "\"label\":" (l + 1) % 3) }
		sub(/}$/, ",\"flipped\":" (f ? "true" : "false") "}"); print }' >"$T/tr"
	nsl-synth --n 300 --dim 5 --classes 3 --seed 2 --test gaussian-mixture >"$T/va"
	nsl-score --metric lava --valid "$T/va" "$T/tr" >"$T/s"
	p=$(precision "$T/s")
	# measured 0.767 (sinkhorn) and 0.733 (exact); random: 0.1
	awk -v p="$p" 'BEGIN { exit !(p >= 0.6) }' || fail "precision $p"
	nsl-score --metric lava --lava-inner exact --valid "$T/va" "$T/tr" >"$T/s"
	p=$(precision "$T/s")
	awk -v p="$p" 'BEGIN { exit !(p >= 0.6) }' || fail "exact: precision $p"
}

@test "lava feeds nsl-prune: --strategy easy keeps the lowest values, dropping the flipped" {
	nsl-synth --n 300 --dim 4 --classes 2 --separation 6 --seed 5 gaussian-mixture |
	    awk '{ match($0, /"id":[0-9]+/); id = substr($0, RSTART + 5, RLENGTH - 5) + 0
		if (id % 10 == 0) { match($0, /"label":[0-9]+/); l = substr($0, RSTART + 8, RLENGTH - 8) + 0
			sub(/"label":[0-9]+/, "\"label\":" 1 - l) }
		print }' >"$T/tr"
	nsl-synth --n 200 --dim 4 --classes 2 --separation 6 --seed 5 --test gaussian-mixture >"$T/va"
	nsl-score --metric lava --valid "$T/va" "$T/tr" |
	    nsl-prune --strategy easy --keep-fraction 0.9 >"$T/o"
	# separation 6: the 30 flipped records sit among the other class
	n=$(grep -c '"id":[0-9]*0,' "$T/o" || true)
	[ "$n" -le 3 ] || fail "$n of the 30 flipped records kept"
}

@test "--list-metrics says what each reads" {
	run -0 nsl-score --list-metrics
	assert_line --regexp $'^lava\tembeddings\t'
	assert_line --regexp $'^perplexity\tlosses\t'
	assert_line --regexp $'^attention-influence\tlosses\t'
	assert_line --regexp $'^reducible-loss\tlosses\t'
}

@test "bad input: lava without --valid or with an inner it cannot use is 64; bad validation data 65/66" {
	L="$FIX/lava-train.jsonl"
	V="$FIX/lava-valid.jsonl"
	fails_cleanly 64 '^nsl-score: lava needs --valid FILE' --metric lava "$L"
	fails_cleanly 64 '^nsl-score: --lava-inner: ' --metric lava \
	    --lava-inner sliced --valid "$V" "$L"
	fails_cleanly 66 '^nsl-score: ' --metric lava --valid "$T/nope" "$L"
	echo '{"embedding":[1,2,3],"label":0}' >"$T/v3"
	fails_cleanly 65 '^nsl-score: --valid .*: vectors of 3 numbers, the records. have 2$' \
	    --metric lava --valid "$T/v3" "$L"
	echo '{"embedding":[1,2]}' >"$T/vl"
	fails_cleanly 65 "^nsl-score: $T/vl:1: .*label" --metric lava \
	    --valid "$T/vl" "$L"
	head -1 "$L" >"$T/one"
	fails_cleanly 65 '^nsl-score: lava: the calibrated gradient needs at least 2 records' \
	    --metric lava --valid "$V" "$T/one"
	printf '{"embedding":[1,2],"label":0}\n{"embedding":[1],"label":1}\n' >"$T/tr"
	fails_cleanly 65 "^nsl-score: $T/tr:2: " --metric lava --valid "$V" "$T/tr"
}

@test "bad input: loss fields missing, not numbers, out of range; a missing file" {
	printf '{"loss":1}\n{"loss":1,"loss_masked":2}\n{"loss_masked":2}\n' >"$T/in"
	fails_cleanly 65 "^nsl-score: $T/in:1: missing field \"loss_masked\"\$" \
	    --metric attention-influence "$T/in"
	printf '{"loss":1e999}\n' >"$T/in"
	fails_cleanly 65 "^nsl-score: $T/in:1: field \"loss\": " --metric perplexity "$T/in"
	printf '{"loss":1,"loss_holdout":NaN}\n' >"$T/in"
	fails_cleanly 65 "^nsl-score: $T/in:1: " --metric reducible-loss "$T/in"
	printf '{"loss":1e308,"loss_holdout":-1e308}\n' >"$T/in"
	fails_cleanly 65 "^nsl-score: $T/in:1: reducible-loss: the difference overflows\$" \
	    --metric reducible-loss "$T/in"
	fails_cleanly 66 '^nsl-score: ' --metric perplexity "$T/nope"
}
