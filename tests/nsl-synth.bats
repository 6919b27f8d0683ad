#!/usr/bin/env bats
# nsl-synth: every relation the records promise is recomputed here from
# the emitted data alone (jq, awk, numpy), never from the tool's own
# numbers: label = [margin > 0], margin = w.x from the emitted teacher,
# |w| = 1, cos(v, w) = cos(theta), score = -|v.x|, the label-noise rate,
# the mixture's means recovered by class averages; then determinism and
# the bad inputs (exit 64, one message, nothing left behind).

bats_require_minimum_version 1.5.0

load helper

PY=/usr/bin/python3

setup() {
	require_prog jq jq
	T=$BATS_TEST_TMPDIR
}

# jq helpers: dot product, and pi
JQDEFS='def dot(a; b): a as $a | b as $b
  | reduce range(0; $a | length) as $i (0; . + $a[$i] * $b[$i]);
def pi: 1 | atan * 4;
def abs: if . < 0 then -. else . end;'

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-synth o.jsonl "$@"
}

@test "teacher-student: ids 0..P-1, label = [margin > 0] on every record" {
	nsl-synth teacher-student --n 1000 --dim 7 --seed 3 >"$T/d"
	run jq -s -c '[length, (map(.id) == [range(0; 1000)]),
	    all(.[]; .label == (if .margin > 0 then 1 else 0 end)),
	    (map(.label) | add), (map(keys_unsorted) | unique)]' "$T/d"
	# both labels occur (about 500 each); no score or flipped by default
	[[ "$output" =~ ^\[1000,true,true,([0-9]+),\[\[\"id\",\"embedding\",\"label\",\"margin\"\]\]\]$ ]] ||
		fail "$output"
	n1=${BASH_REMATCH[1]}
	[ "$n1" -gt 400 ] && [ "$n1" -lt 600 ]
}

@test "margin = w.x with the emitted teacher, |w| = 1" {
	nsl-synth teacher-student --n 500 --dim 20 --seed 8 \
	    --emit-teacher "$T/w.json" -o "$T/d"
	run jq -c 'keys_unsorted' "$T/w.json"
	assert_output '["model","dim","seed","teacher"]'
	run jq -r "$JQDEFS"' (dot(.teacher; .teacher) | sqrt - 1 | abs) < 1e-12' "$T/w.json"
	assert_output true
	run jq -s -r --slurpfile t "$T/w.json" "$JQDEFS"'
	    ($t[0].teacher) as $w
	    | map((.margin - dot($w; .embedding)) | abs) | max < 1e-12' "$T/d"
	assert_output true
}

@test "--probe-angle: cos(v, w) = cos(theta), |v| = 1, score = -|v.x|" {
	for th in 15 37.5 90; do
		nsl-synth teacher-student --n 300 --dim 12 --seed 2 \
		    --probe-angle $th --emit-teacher "$T/w.json" -o "$T/d"
		run jq -r --argjson th $th "$JQDEFS"'
		    [(.probe_angle == $th),
		     ((dot(.probe; .teacher) / (dot(.probe; .probe) | sqrt)
		       - ($th * pi / 180 | cos)) | abs < 1e-12),
		     ((dot(.probe; .probe) | sqrt) - 1 | abs < 1e-12)] | all' \
		    "$T/w.json"
		assert_output true
		run jq -s -r --slurpfile t "$T/w.json" "$JQDEFS"'
		    ($t[0].probe) as $v
		    | all(.[]; (.score + (dot($v; .embedding) | abs) | abs)
		      < 1e-12 and .score <= 0)' "$T/d"
		assert_output true
	done
}

@test "--probe-angle 0 is the perfect metric: score = -|margin| exactly" {
	nsl-synth teacher-student --n 400 --dim 9 --probe-angle 0 >"$T/d"
	run jq -s -r 'all(.[]; .score == -(.margin | if . < 0 then -. else . end))' "$T/d"
	assert_output true
	# and higher score = smaller |margin|: the hardest by score are the
	# records nearest the teacher's boundary
	run jq -s -r '(sort_by(-.score) | .[0:10] | map(.id)) ==
	    (sort_by(.margin | if . < 0 then -. else . end) | .[0:10] | map(.id))' "$T/d"
	assert_output true
}

@test "--test: the same teacher, other points, labels from that teacher" {
	nsl-synth teacher-student --n 300 --dim 6 --seed 4 \
	    --emit-teacher "$T/w1.json" -o "$T/train"
	nsl-synth teacher-student --n 300 --dim 6 --seed 4 --test \
	    --emit-teacher "$T/w2.json" -o "$T/test"
	cmp "$T/w1.json" "$T/w2.json"
	run jq -s -r --slurpfile a "$T/train" '
	    ($a | map(.embedding[0]) ) as $tr
	    | [.[] | .embedding[0]] as $te
	    | ([$tr[], $te[]] | unique | length) == 600' "$T/test"
	assert_output true
	run jq -s -r --slurpfile t "$T/w1.json" "$JQDEFS"'
	    ($t[0].teacher) as $w
	    | all(.[]; .label == (if dot($w; .embedding) > 0 then 1 else 0 end)
	      and (.margin - dot($w; .embedding) | abs) < 1e-12)' "$T/test"
	assert_output true
	# another seed, another teacher
	nsl-synth teacher-student --n 1 --dim 6 --seed 5 \
	    --emit-teacher "$T/w3.json" >/dev/null
	! cmp -s "$T/w1.json" "$T/w3.json"
}

@test "--label-noise: flip rate within 4 standard errors; label = [margin > 0] xor flipped" {
	# p = 0.2, n = 20000: SE = sqrt(0.2 * 0.8 / 20000) = 0.002828, so
	# 4 SE is 0.01131 of n = 226.3 records around 4000
	nsl-synth teacher-student --n 20000 --dim 2 --seed 6 \
	    --label-noise 0.2 >"$T/d"
	run jq -s -r '[(map(select(.flipped)) | length),
	    all(.[]; .label == (if (.margin > 0) != .flipped then 1 else 0 end)),
	    all(.[]; .flipped | type == "boolean")] | @tsv' "$T/d"
	read -r k ok1 ok2 <<<"$output"
	[ "$ok1" = true ] && [ "$ok2" = true ] || fail "$output"
	[ "$k" -ge 3774 ] && [ "$k" -le 4226 ] || fail "flipped $k of 20000"
	# the noise leaves points and margins as they are
	nsl-synth teacher-student --n 20000 --dim 2 --seed 6 >"$T/clean"
	run jq -s -r --slurpfile a "$T/clean" '
	    [.[] | [.embedding, .margin]] == [$a[] | [.embedding, .margin]]' "$T/d"
	assert_output true
	# p = 0 flips nothing, p = 1 everything
	run jq -s -r '[.[] | .flipped] | unique' \
	    <(nsl-synth teacher-student --n 500 --dim 3 --label-noise 0)
	assert_output '[
  false
]'
	run jq -s -r 'all(.[]; .flipped and .label == (if .margin > 0 then 0 else 1 end))' \
	    <(nsl-synth teacher-student --n 500 --dim 3 --label-noise 1)
	assert_output true
}

@test "gaussian-mixture: class averages recover the emitted means" {
	# n = 3000, K = 3: 1000 per class, so each coordinate of a class
	# average has SE 1/sqrt(1000) = 0.0316; 0.15 is 4.7 SE
	nsl-synth gaussian-mixture --n 3000 --dim 4 --classes 3 \
	    --separation 5 --seed 1 --emit-means "$T/m.json" -o "$T/d"
	run jq -c '[.model, .classes, .separation, .counts]' "$T/m.json"
	assert_output '["gaussian-mixture",3,5,[1000,1000,1000]]'
	run jq -s -r --slurpfile m "$T/m.json" "$JQDEFS"'
	    ($m[0].means) as $mu
	    | group_by(.label)
	    | map(. as $g | ($g[0].label) as $k
	      | [range(0; 4) as $j | ($g | map(.embedding[$j]) | add / length)
	         - $mu[$k][$j] | abs] | max)
	    | [length == 3, max < 0.15] | all' "$T/d"
	assert_output true
	# the means: pairwise distance S = 5, centred at 0
	run jq -r "$JQDEFS"'
	    .means as $mu
	    | [range(0; 3) as $a | range($a + 1; 3) as $b
	       | [range(0; 4) as $j | $mu[$a][$j] - $mu[$b][$j]] as $d
	       | (dot($d; $d) | sqrt) - 5 | abs] | max < 1e-12' "$T/m.json"
	assert_output true
	run jq -r '[range(0; 4) as $j | [.means[][$j]] | add | if . < 0 then -. else . end] | max < 1e-12' "$T/m.json"
	assert_output true
}

@test "gaussian-mixture --weights: class sizes by largest remainder" {
	# 1,2,1 of 10: 2.5, 5, 2.5 -> 2, 5, 2, the one left to the lower of
	# the tied remainders (class 0): 3, 5, 2
	nsl-synth gaussian-mixture --n 10 --dim 3 --weights 1,2,1 \
	    --emit-means "$T/m.json" >"$T/d"
	run jq -s -c 'group_by(.label) | map(length)' "$T/d"
	assert_output '[3,5,2]'
	run jq -c '[.classes, .counts]' "$T/m.json"
	assert_output '[3,[3,5,2]]'
	# default: 2 classes, equal
	run jq -s -c 'group_by(.label) | map(length)' \
	    <(nsl-synth gaussian-mixture --n 7 --dim 2)
	assert_output '[4,3]'
	# --test: the same means and sizes, other points
	nsl-synth gaussian-mixture --n 10 --dim 3 --weights 1,2,1 --test \
	    --emit-means "$T/m2.json" >"$T/t"
	cmp "$T/m.json" "$T/m2.json"
	! cmp -s "$T/d" "$T/t"
}

@test "numpy: x ~ N(0, I) and the margins are N(0, 1)" {
	require_py numpy python3-numpy
	# an independent check of the distribution: mean, covariance and the
	# fraction beyond 1.96 (0.05) over 40000 records of dim 3
	nsl-synth teacher-student --n 40000 --dim 3 --seed 21 \
	    --emit-teacher "$T/w.json" -o "$T/d"
	run $PY - "$T/d" "$T/w.json" <<'EOF'
import json, sys
import numpy as np
rows = [json.loads(l) for l in open(sys.argv[1])]
w = np.array(json.load(open(sys.argv[2]))["teacher"])
x = np.array([r["embedding"] for r in rows])
m = np.array([r["margin"] for r in rows])
n = len(rows)
se = 1 / np.sqrt(n)
ok = [np.all(np.abs(x.mean(0)) < 4 * se),
      np.all(np.abs(np.cov(x.T) - np.eye(3)) < 4 * np.sqrt(2) * se),
      np.max(np.abs(m - x @ w)) < 1e-12,
      abs(np.mean(np.abs(m) > 1.959963984540054) - 0.05) <
          4 * np.sqrt(0.05 * 0.95 / n)]
print(all(ok), ok)
EOF
	[[ "$output" == True* ]] || fail "$output"
}

@test "determinism: the same bytes for a seed, whatever the threads" {
	nsl-synth teacher-student --n 1000 --dim 5 --seed 9 --probe-angle 20 \
	    --label-noise 0.1 >"$T/a"
	nsl-synth teacher-student --n 1000 --dim 5 --seed 9 --probe-angle 20 \
	    --label-noise 0.1 >"$T/b"
	cmp "$T/a" "$T/b"
	OMP_NUM_THREADS=1 nsl-synth teacher-student --n 1000 --dim 5 --seed 9 \
	    --probe-angle 20 --label-noise 0.1 >"$T/c"
	cmp "$T/a" "$T/c"
	OMP_NUM_THREADS=3 nsl-synth teacher-student --n 1000 --dim 5 --seed 9 \
	    --probe-angle 20 --label-noise 0.1 >"$T/c"
	cmp "$T/a" "$T/c"
	nsl-synth teacher-student --n 1000 --dim 5 --seed 10 --probe-angle 20 \
	    --label-noise 0.1 >"$T/d"
	! cmp -s "$T/a" "$T/d"
	# a shorter data set is the head of a longer one
	nsl-synth teacher-student --n 10 --dim 5 --seed 9 --probe-angle 20 \
	    --label-noise 0.1 >"$T/e"
	head -n 10 "$T/a" | cmp - "$T/e"
	# the mixture too
	nsl-synth gaussian-mixture --n 600 --dim 4 --classes 4 --seed 9 >"$T/a"
	OMP_NUM_THREADS=1 nsl-synth gaussian-mixture --n 600 --dim 4 \
	    --classes 4 --seed 9 >"$T/b"
	cmp "$T/a" "$T/b"
	nsl-synth gaussian-mixture --n 600 --dim 4 --classes 4 --seed 8 >"$T/c"
	! cmp -s "$T/a" "$T/c"
}

@test "--float32: every number is a float32, margin from the rounded point" {
	require_py numpy python3-numpy
	nsl-synth teacher-student --n 200 --dim 8 --seed 2 --probe-angle 10 \
	    --float32 --emit-teacher "$T/w.json" -o "$T/d"
	run $PY - "$T/d" "$T/w.json" <<'EOF'
import json, re, sys
import numpy as np
w = np.array(json.load(open(sys.argv[2]))["teacher"])
ok = True
for line in open(sys.argv[1]):
    # every number has at most 9 significant digits (float32 shortest)
    for t in re.findall(r"-?[0-9][0-9.]*(?:e-?[0-9]+)?", line):
        ok &= len(t.split("e")[0].replace("-", "").replace(".", "").lstrip("0")) <= 9
    r = json.loads(line)
    # the float32 values themselves; x.w summed in another order may
    # round to the neighbouring float
    x = np.array(r["embedding"], dtype=np.float32).astype(np.float64)
    m = x @ w
    ok &= abs(r["margin"] - m) <= 2.0**-23 * abs(m) + 1e-15
    ok &= r["label"] == (1 if r["margin"] > 0 else 0)
print(ok)
EOF
	assert_output True
	# the model record stays in double
	run jq -r '[.teacher[] | tostring | length] | max > 12' "$T/w.json"
	assert_output true
}

@test "--field names the vector; -o writes atomically, .gz compressed" {
	nsl-synth gaussian-mixture --n 3 --dim 2 --field x >"$T/a"
	run jq -c keys_unsorted "$T/a"
	assert_line --index 0 '["id","x","label"]'
	nsl-synth gaussian-mixture --n 300 --dim 2 -o "$T/b.jsonl.gz"
	nsl-synth gaussian-mixture --n 300 --dim 2 >"$T/b"
	zcat "$T/b.jsonl.gz" | cmp - "$T/b"
	nsl-synth gaussian-mixture --n 300 --dim 2 -q -o "$T/c"
	cmp "$T/b" "$T/c"
}

@test "bad command lines: exit 64, one message, nothing written" {
	fails_cleanly 64 "unknown model 'perceptron'" perceptron --n 5 --dim 2
	fails_cleanly 64 "give a model" --n 5 --dim 2
	fails_cleanly 64 "unexpected argument 'extra'" teacher-student extra --n 5 --dim 2
	fails_cleanly 64 "needs --n and --dim" teacher-student --dim 2
	fails_cleanly 64 "needs --n and --dim" gaussian-mixture --n 2
	fails_cleanly 64 "^nsl-synth: --n: 0 is outside" teacher-student --n 0 --dim 2
	fails_cleanly 64 "^nsl-synth: --dim: 0 is outside" teacher-student --n 5 --dim 0
	fails_cleanly 64 "^nsl-synth: --n: " teacher-student --n 5x --dim 2
	fails_cleanly 64 "^nsl-synth: --probe-angle: 90.5 is outside \[0, 90\]" \
	    teacher-student --n 5 --dim 2 --probe-angle 90.5
	fails_cleanly 64 "^nsl-synth: --probe-angle: -1 is outside" \
	    teacher-student --n 5 --dim 2 --probe-angle -1
	fails_cleanly 64 "^nsl-synth: --probe-angle: " \
	    teacher-student --n 5 --dim 2 --probe-angle nan
	fails_cleanly 64 "needs --dim 2 or more" \
	    teacher-student --n 5 --dim 1 --probe-angle 10
	fails_cleanly 64 "^nsl-synth: --label-noise: 1.5 is outside \[0, 1\]" \
	    teacher-student --n 5 --dim 2 --label-noise 1.5
	fails_cleanly 64 "^nsl-synth: --label-noise: -0.1 is outside" \
	    teacher-student --n 5 --dim 2 --label-noise -0.1
	fails_cleanly 64 "are for gaussian-mixture" \
	    teacher-student --n 5 --dim 2 --classes 3
	fails_cleanly 64 "are for gaussian-mixture" \
	    teacher-student --n 5 --dim 2 --separation 3
	fails_cleanly 64 "and --emit-teacher are for teacher-student" \
	    gaussian-mixture --n 5 --dim 2 --emit-teacher "$T/out/w"
	fails_cleanly 64 "are for teacher-student" \
	    gaussian-mixture --n 5 --dim 2 --probe-angle 3
	fails_cleanly 64 "--classes must not exceed --dim" \
	    gaussian-mixture --n 5 --dim 2 --classes 3
	fails_cleanly 64 "^nsl-synth: --classes: 0 is outside" \
	    gaussian-mixture --n 5 --dim 2 --classes 0
	fails_cleanly 64 "--weights has 3 numbers for --classes 2" \
	    gaussian-mixture --n 5 --dim 3 --classes 2 --weights 1,1,1
	fails_cleanly 64 "--weights must not all be 0" \
	    gaussian-mixture --n 5 --dim 3 --weights 0,0
	fails_cleanly 64 "^nsl-synth: --weights: " \
	    gaussian-mixture --n 5 --dim 3 --weights 1,x
	fails_cleanly 64 "^nsl-synth: --separation: -1 is outside" \
	    gaussian-mixture --n 5 --dim 3 --separation -1
	fails_cleanly 64 "give a file name, not -" \
	    teacher-student --n 5 --dim 2 --emit-teacher -
	fails_cleanly 64 "unrecognized option|unknown option" \
	    teacher-student --n 5 --dim 2 --bogus
}

@test "--field naming another field of the record is refused, not doubled" {
	local f
	for f in id label margin; do
		fails_cleanly 64 "^nsl-synth: --field: the records already have" \
		    teacher-student --n 3 --dim 2 --field "$f"
	done
	fails_cleanly 64 "already have" gaussian-mixture --n 3 --dim 2 --field id
	fails_cleanly 64 "already have" teacher-student --n 3 --dim 2 \
	    --probe-angle 10 --field score
	fails_cleanly 64 "already have" teacher-student --n 3 --dim 2 \
	    --label-noise 0.1 --field flipped
	# the names the records do not have stay free
	nsl-synth gaussian-mixture --n 3 --dim 2 --field margin >"$T/g"
	assert_strict_jsonl "$T/g"
	nsl-synth teacher-student --n 3 --dim 2 --field score >"$T/t"
	assert_strict_jsonl "$T/t"
	run jq -c keys_unsorted "$T/t"
	assert_line --index 0 '["id","score","label","margin"]'
}

@test "--emit-teacher into a missing directory: 74, no output left" {
	fails_cleanly 74 "^nsl-synth: .*nope" teacher-student --n 5 --dim 2 \
	    --emit-teacher "$T/nope/w.json"
}

@test "--help exits 0; /dev/full is an I/O error (74)" {
	run --separate-stderr nsl-synth --help
	assert_success
	[[ "${lines[0]}" == "usage: nsl-synth "* ]]
	[ -z "$stderr" ]
	run --separate-stderr nsl-synth -V
	assert_success
	run --separate-stderr nsl-synth teacher-student --n 2000 --dim 10 -o /dev/full
	assert_equal "$status" 74
	run --separate-stderr sh -c 'nsl-synth teacher-student --n 2000 --dim 10 >/dev/full'
	assert_equal "$status" 74
	[[ "$stderr" == nsl-synth:* ]]
}

@test "man page EXAMPLES run" {
	require_prog mandoc mandoc
	cd "$T"
	sed -n '/^\.Sh EXAMPLES/,/^\.Sh /s/^\.Dl \$ //p' \
	    "$TESTS_DIR/../man/nsl-synth.1" >examples.sh
	[ "$(wc -l <examples.sh)" -eq 4 ]
	run --separate-stderr sh -e examples.sh
	assert_success
	[ -s train.jsonl ] && [ -s teacher.json ] && [ -s means.json ]
	[ "$(zcat test.jsonl.gz | wc -l)" -eq 5000 ]
	# the flip rate (0.1 +- 4 SE = 0.012) and the sizes 500, 250, 250
	awk 'NR == 1 && $1 > 0.088 && $1 < 0.112 { ok = 1 } END { exit !ok }' \
	    <<<"${lines[0]}"
	run jq -s -c 'group_by(.label) | map(length)' \
	    <(nsl-synth gaussian-mixture --n 1000 --dim 10 --weights 2,1,1 --separation 6)
	assert_output '[500,250,250]'
	mandoc -Tlint -Wwarning "$TESTS_DIR/../man/nsl-synth.1"
}

@test "--list-models prints the catalogue; the man page and the model operand take every row" {
	run --separate-stderr nsl-synth --list-models
	assert_success
	[ "${#lines[@]}" -ge 2 ]
	assert_line --index 0 --regexp $'^teacher-student\t.'
	for name in $(nsl-synth --list-models | cut -f1); do
		grep -qx "\.Ss $name" "$TESTS_DIR/../man/nsl-synth.1" ||
		    { echo "man page lacks $name"; false; }
		nsl-synth "$name" --n 2 --dim 2 > /dev/null || { echo "$name refused"; false; }
	done
	fails_cleanly 64 "give a model: teacher-student or gaussian-mixture" --n 2 --dim 2
}
