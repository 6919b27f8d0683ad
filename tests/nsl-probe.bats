#!/usr/bin/env bats
# nsl-probe: the linear probe against scikit-learn's LogisticRegression on
# the same objective (fixtures/probe/make-ref.py; C = 1/(l2 n)), the
# teacher-student angle against numpy on sklearn's student, the MLP's
# determinism and learning, --dynamics into nsl-score, and bad inputs.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/probe"
GTR="$FIX/gm_train.jsonl"
GTE="$FIX/gm_test.jsonl"
PY=/usr/bin/python3

setup() {
	T=$BATS_TEST_TMPDIR
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-probe o.json "$@"
}

# near RESULT REFKEY: the result record's losses within 1e-4 and error
# rates equal to ref.json's entry REFKEY (sklearn stops a little short of
# the optimum; nsl-probe's objective is lower or equal).
near() {
	run $PY -c '
import json, sys
got = json.loads(sys.argv[1]); ref = json.load(open(sys.argv[2]))[sys.argv[3]]
for k in ("train_loss", "test_loss", "gen_error"):
    if k in ref:
        assert abs(got[k] - ref[k]) < 1e-4, (k, got[k], ref[k])
for k in ("train_error", "test_error"):
    assert abs(got[k] - ref[k]) < 1e-12, (k, got[k], ref[k])
' "$1" "$FIX/ref.json" "$2"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "linear: sklearn's LogisticRegression at C = 1/(l2 n), standardised" {
	require_prog /usr/bin/python3 python3
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --l2 1e-2 --tol 1e-8
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^\{\"model\":\"linear\",\"n_train\":300,\"d\":8,\"classes\":3,\"n_test\":200,\"test_error\": ]]
	[[ "$output" =~ \"converged\":true ]]
	near "$output" default
}

@test "linear --no-intercept and --no-standardize: sklearn's fits of the same" {
	require_prog /usr/bin/python3 python3
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --l2 1e-2 --tol 1e-8 --no-intercept
	[ "$status" -eq 0 ]
	near "$output" no_intercept
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --l2 1e-2 --tol 1e-8 --no-standardize --max-iter 5000
	[ "$status" -eq 0 ]
	near "$output" no_standardize
}

@test "--max-iter stops L-BFGS early (converged false), --tol loose stops sooner" {
	run --separate-stderr nsl-probe --train "$GTR" --l2 1e-2 --max-iter 2
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"epochs\":2,.*\"converged\":false ]]
	run --separate-stderr nsl-probe --train "$GTR" --l2 1e-2 --tol 1
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"epochs\":([0-9]+) ]]
	[ "${BASH_REMATCH[1]}" -lt 5 ]
}

@test "--ftol 1 stops after one step (a loss >= 0 never falls by more than 1 relative); the default is 2^-46" {
	run --separate-stderr nsl-probe --train "$GTR" --l2 1e-2 --tol 1e-12 --ftol 1
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"epochs\":1,.*\"converged\":true ]]
	run --separate-stderr nsl-probe --train "$GTR" --l2 1e-2 --tol 1e-12 --ftol 0 --max-iter 3
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"epochs\":3,.*\"converged\":false ]]
	nsl-probe --train "$GTR" --l2 1e-2 > "$T/default.json"
	nsl-probe --train "$GTR" --l2 1e-2 --ftol 1.4210854715202004e-14 > "$T/explicit.json"
	cmp "$T/default.json" "$T/explicit.json"
}

@test "--teacher-file: gen_error = angle(student, teacher)/pi as numpy on sklearn's student" {
	require_prog /usr/bin/python3 python3
	run --separate-stderr nsl-probe --train "$FIX/ts_train.jsonl" --test "$FIX/ts_test.jsonl" \
	    --l2 1e-2 --tol 1e-8 --no-intercept --teacher-file "$FIX/ts_teacher.json"
	[ "$status" -eq 0 ]
	near "$output" teacher
}

@test "--teacher FIELD reads the teacher from the first training record" {
	require_prog /usr/bin/python3 python3
	# the teacher (1, 0): label = [x1 > 0]; the student's angle to (1, 0)
	# and to (0, 1) add up to pi/2 in the plane, so gen errors sum to 1/2
	printf '%s\n' '{"embedding":[1,0.3],"label":1,"t":[1,0],"u":[0,1]}' \
	    '{"embedding":[-1,0.2],"label":0}' '{"embedding":[2,-0.5],"label":1}' \
	    '{"embedding":[-0.5,-0.4],"label":0}' > "$T/tt.jsonl"
	run --separate-stderr nsl-probe --train "$T/tt.jsonl" --no-intercept --teacher t
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"gen_error\":([0-9.e-]+) ]]
	a=${BASH_REMATCH[1]}
	run --separate-stderr nsl-probe --train "$T/tt.jsonl" --no-intercept --teacher u
	[[ "$output" =~ \"gen_error\":([0-9.e-]+) ]]
	b=${BASH_REMATCH[1]}
	run $PY -c 'import sys; a, b = map(float, sys.argv[1:]); assert 0 < a < 0.25 and abs(a + b - 0.5) < 1e-12, (a, b)' "$a" "$b"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--l2 0 on separable data stops at the tolerance with zero training error" {
	run --separate-stderr nsl-probe --train "$FIX/ts_train.jsonl" --test "$FIX/ts_test.jsonl" \
	    --l2 0 --no-intercept --teacher-file "$FIX/ts_teacher.json" --max-iter 100000
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"train_error\":0, ]] || fail "$output"
	[[ "$output" =~ \"converged\":true ]] || fail "$output"
	[[ "$output" =~ \"gen_error\":0\.0[0-9] ]] || fail "$output"
}

@test "mlp: learns the mixture; same seed same bytes with 1 or 2 threads; seed matters" {
	require_prog /usr/bin/python3 python3
	OMP_NUM_THREADS=1 nsl-probe --train "$GTR" --test "$GTE" --model mlp --hidden 16 \
	    --epochs 30 --batch 32 --seed 3 --predict "$T/p1.jsonl" --dynamics "$T/d1.jsonl" > "$T/r1.json"
	OMP_NUM_THREADS=2 nsl-probe --train "$GTR" --test "$GTE" --model mlp --hidden 16 \
	    --epochs 30 --batch 32 --seed 3 --predict "$T/p2.jsonl" --dynamics "$T/d2.jsonl" > "$T/r2.json"
	cmp "$T/p1.jsonl" "$T/p2.jsonl"
	cmp "$T/d1.jsonl" "$T/d2.jsonl"
	nsl-probe --train "$GTR" --model mlp --hidden 16 --epochs 30 --batch 32 --seed 4 \
	    --dynamics "$T/d4.jsonl" > /dev/null
	! cmp -s "$T/d1.jsonl" "$T/d4.jsonl"
	run $PY -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["model"] == "mlp" and r["epochs"] == 30 and r["hidden"] == 16 and r["seed"] == 3
assert r["test_error"] < 0.12, r      # the linear probe makes 0.055
' "$T/r1.json"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "the same seed gives the same result bytes: no wall-clock field unless --timing" {
	require_prog jq jq
	for model in linear mlp; do
		for i in 1 2; do
			nsl-probe --train "$GTR" --test "$GTE" --model $model \
			    --epochs 3 --seed 5 --tag run=1 -o "$T/$model$i.json"
		done
		cmp "$T/${model}1.json" "$T/${model}2.json"
		! grep -q seconds "$T/${model}1.json" || fail "$(cat "$T/${model}1.json")"
		# --timing adds "seconds" (a number >= 0) before the tags, and
		# nothing else changes
		nsl-probe --train "$GTR" --test "$GTE" --model $model --epochs 3 \
		    --seed 5 --tag run=1 --timing -o "$T/${model}t.json"
		run jq -c '.seconds >= 0, (.seconds | type), (keys_unsorted[-2:])' "$T/${model}t.json"
		assert_output $'true\n"number"\n["seconds","run"]'
		[ "$(jq -c 'del(.seconds)' "$T/${model}t.json")" = "$(cat "$T/${model}1.json")" ]
	done
}

@test "mlp --optimizer sgd --lr --batch: trains; an absurd --lr does not learn" {
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --model mlp --hidden 16 \
	    --epochs 20 --batch 16 --optimizer sgd --lr 0.02
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"test_error\":0\.0[0-9] ]] || fail "$output"
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --model mlp --hidden 16 \
	    --epochs 1 --batch 300 --optimizer sgd --lr 1e-12
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"test_error\":0\.[2-9] ]] || fail "$output"
}

@test "--dynamics: epochs x classes logits per example, fed to nsl-score el2n,forgetting" {
	require_py numpy python3-numpy
	[ -x "$NSL_BIN/nsl-score" ] || skip "nsl-score not built"
	nsl-probe --train "$GTR" --model mlp --hidden 8 --epochs 5 --batch 50 \
	    --dynamics "$T/dyn.jsonl" > /dev/null
	run --separate-stderr nsl-score --metric el2n,forgetting "$T/dyn.jsonl"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" > "$T/scored.jsonl"
	run $PY -c '
import json, sys, numpy as np
train = [json.loads(l) for l in open(sys.argv[1])]
dyn = [json.loads(l) for l in open(sys.argv[2])]
sc = [json.loads(l) for l in open(sys.argv[3])]
assert len(dyn) == len(train) == len(sc) == 300
for t, d, s in zip(train, dyn, sc):
    assert d["id"] == t["id"] and d["label"] == t["label"] == s["label"]
    z = np.array(d["logits"]); assert z.shape == (5, 3)
    p = np.exp(z - z.max(1, keepdims=True)); p /= p.sum(1, keepdims=True)
    e = np.eye(3)[d["label"]]
    assert abs(s["score_el2n"] - np.linalg.norm(p - e, axis=1).mean()) < 1e-12
    ok = z.argmax(1) == d["label"]
    f = sum(1 for a, b in zip(ok, ok[1:]) if a and not b) if ok.any() else 5
    assert s["score_forgetting"] == f, (s, f)
' "$GTR" "$T/dyn.jsonl" "$T/scored.jsonl"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--predict: one record per test example; wrong ones make test_error" {
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --l2 1e-2 --predict "$T/p.jsonl"
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"test_error\":0\.055, ]] || fail "$output"
	[ "$(wc -l < "$T/p.jsonl")" -eq 200 ]
	[ "$(grep -c '"correct":false' "$T/p.jsonl")" -eq 11 ]    # 0.055 * 200
	run head -1 "$T/p.jsonl"
	[[ "$output" =~ ^\{\"id\":\"gm0\",\"label\":[0-2],\"pred\":[0-2],\"correct\":(true|false),\"logits\":\[[^]]*\]\}$ ]] || fail "$output"
}

@test "--float32 logits; --tag adds numbers, strings and JSON" {
	require_py numpy python3-numpy
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --predict "$T/p.jsonl" --float32 \
	    --tag f=0.5 --tag name=run-1 --tag 'obj={"a":[1,2]}'
	[ "$status" -eq 0 ]
	[[ "$output" =~ \"f\":0\.5,\"name\":\"run-1\",\"obj\":\{\"a\":\[1,2\]\}\}$ ]] || fail "$output"
	run $PY -c '
import json, re, sys, numpy as np
for l in open(sys.argv[1]):
    for t in re.search(r"\"logits\":\[([^]]*)\]", l).group(1).split(","):
        assert str(np.float32(float(t))) == t or repr(float(np.float32(float(t)))) == t, t
' "$T/p.jsonl"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "--tag: a key given twice or naming a field of the result is refused" {
	fails_cleanly 64 "^nsl-probe: --tag a: given twice$" --train "$GTR" --tag a=1 --tag a=2
	fails_cleanly 64 "^nsl-probe: --tag model: the result has a field of that name$" \
	    --train "$GTR" --tag model=x
	fails_cleanly 64 "--tag test_error: the result has" --train "$GTR" \
	    --test "$GTE" --tag test_error=0
	fails_cleanly 64 "--tag seed: the result has" --train "$GTR" --model mlp \
	    --epochs 1 --tag seed=3
	fails_cleanly 64 "--tag gen_error: the result has" --train "$GTR" \
	    --teacher-file "$FIX/gm_train.jsonl" --teacher embedding --tag gen_error=1
	# a linear probe writes no seed and no test fields without --test
	run -0 --separate-stderr nsl-probe --train "$GTR" --tag seed=3 --tag test_error=x --tag ab=1 \
	    --tag big=123456789012345678901234
	printf '%s\n' "$output" >"$T/r.json"
	assert_strict_jsonl "$T/r.json"
	# an integer past 64 bits is a number still, written as a double
	[[ "$output" == *',"seed":3,"test_error":"x","ab":1,"big":1.2345678901234569e+23}' ]] ||
		fail "$output"
}

@test "--field and --label-field; string labels map test onto train" {
	require_prog /usr/bin/python3 python3
	sed 's/"embedding"/"x"/; s/"label":0/"cls":"cat"/; s/"label":1/"cls":"dog"/; s/"label":2/"cls":"eel"/' "$GTR" > "$T/tr.jsonl"
	sed 's/"embedding"/"x"/; s/"label":0/"cls":"cat"/; s/"label":1/"cls":"dog"/; s/"label":2/"cls":"eel"/' "$GTE" > "$T/te.jsonl"
	run --separate-stderr nsl-probe --train "$T/tr.jsonl" --test "$T/te.jsonl" --field x \
	    --label-field cls --l2 1e-2 --tol 1e-8 --predict "$T/p.jsonl"
	[ "$status" -eq 0 ]
	near "$output" default
	run head -1 "$T/p.jsonl"
	[[ "$output" =~ \"label\":\"(cat|dog|eel)\",\"pred\":\"(cat|dog|eel)\" ]] || fail "$output"
}

@test "bad input: a test label outside the training labels names the test file:line" {
	{ head -3 "$GTE"; echo '{"id":"x","embedding":[1,2,3,4,5,6,7,8],"label":7}'; } > "$T/te.jsonl"
	fails_cleanly 65 "^nsl-probe: $T/te.jsonl:4: label 7 is not in the training set's labels\$" \
	    --train "$GTR" --test "$T/te.jsonl"
}

@test "bad input: embeddings of different widths, empty and one-label training sets" {
	head -3 "$GTE" | sed 's/"embedding":\[/"embedding":[0,/' > "$T/wide.jsonl"
	fails_cleanly 65 "wide.jsonl:1: field \"embedding\": 9 numbers, the training set has 8" \
	    --train "$GTR" --test "$T/wide.jsonl"
	{ head -2 "$GTR"; echo '{"embedding":[1],"label":1}'; } > "$T/ragged.jsonl"
	fails_cleanly 65 "ragged.jsonl:3: field \"embedding\"" --train "$T/ragged.jsonl"
	: > "$T/empty.jsonl"
	fails_cleanly 65 "empty.jsonl: no records" --train "$T/empty.jsonl" --test "$GTE"
	grep '"label":1' "$GTR" > "$T/one.jsonl"
	fails_cleanly 65 "only one label" --train "$T/one.jsonl"
	echo '{"teacher":[1,2]}' > "$T/t.json"
	fails_cleanly 65 "t.json:1: field \"teacher\": 2 numbers, the embeddings have 10" \
	    --train "$FIX/ts_train.jsonl" --teacher-file "$T/t.json"
	echo '{"embedding":[1,2],"label":1}' > "$T/nolabel.jsonl"; echo '{"embedding":[1,2]}' >> "$T/nolabel.jsonl"
	fails_cleanly 65 "nolabel.jsonl:2: .*label" --train "$T/nolabel.jsonl"
}

@test "usage errors: no --train, --dynamics with linear, teacher with mlp or 3 classes, bad values" {
	fails_cleanly 64 "--train FILE is required" --test "$GTE"
	fails_cleanly 64 "dynamics needs minibatch" --train "$GTR" --dynamics "$T/out/d.jsonl"
	fails_cleanly 64 "teacher needs --model linear" --train "$GTR" --model mlp --teacher t
	echo '{"teacher":[1,0,0,0,0,0,0,0]}' > "$T/t8.json"
	fails_cleanly 64 "two classes, the training set has 3" --train "$GTR" --teacher-file "$T/t8.json"
	fails_cleanly 64 "predict needs --test" --train "$GTR" --predict "$T/out/p"
	fails_cleanly 64 "unknown model" --train "$GTR" --model svm
	fails_cleanly 64 "unknown" --train "$GTR" --optimizer rmsprop
	fails_cleanly 64 "l2" --train "$GTR" --l2 -1
	fails_cleanly 64 "ftol" --train "$GTR" --ftol -1
	fails_cleanly 64 "tag" --train "$GTR" --tag novalue
	fails_cleanly 64 "no-intercept applies to --model linear" --train "$GTR" --model mlp --no-intercept
	fails_cleanly 64 "" --train "$GTR" --bogus
}

@test "missing file 66, --help 0, /dev/full 74" {
	fails_cleanly 66 "nope.jsonl" --train "$T/nope.jsonl"
	fails_cleanly 66 "nope.jsonl" --train "$GTR" --test "$T/nope.jsonl"
	run --separate-stderr nsl-probe --help
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^usage:\ nsl-probe ]]
	run --separate-stderr nsl-probe --train "$GTR" -o /dev/full
	[ "$status" -eq 74 ]
	run --separate-stderr nsl-probe --train "$GTR" --test "$GTE" --predict /dev/full
	[ "$status" -eq 74 ]
}

# ---- numbers near the ends of the double range ----

# scaled FILE E OUT: FILE with every embedding times 2^E (exact)
scaled() {
	$PY - "$@" <<'PY'
import json, math, sys
src, e, dst = sys.argv[1], int(sys.argv[2]), sys.argv[3]
with open(dst, "w") as f:
    for line in open(src):
        r = json.loads(line)
        r["embedding"] = [math.ldexp(v, e) for v in r["embedding"]]
        f.write(json.dumps(r) + "\n")
PY
}

@test "features near 1e308, 1e160 and 1e-301 standardize to the model of the unscaled features" {
	# standardizing removes the scale, and a power of two scales exactly:
	# the same record as on the fixture, which matches scikit-learn
	nsl-probe --train "$GTR" --test "$GTE" --l2 1e-2 | jq -c 'del(.seconds)' > "$T/want"
	nsl-probe --train "$GTR" --test "$GTE" --model mlp --epochs 3 | jq -c 'del(.seconds)' > "$T/want-mlp"
	for e in 1020 530 -1000; do
		scaled "$GTR" $e "$T/tr.jsonl"
		scaled "$GTE" $e "$T/te.jsonl"
		run --separate-stderr nsl-probe --train "$T/tr.jsonl" --test "$T/te.jsonl" --l2 1e-2
		[ "$status" -eq 0 ] || fail "2^$e: $stderr"
		[ "$(jq -c 'del(.seconds)' <<<"$output")" = "$(cat "$T/want")" ] ||
			fail "2^$e: $output"
		run --separate-stderr nsl-probe --train "$T/tr.jsonl" --test "$T/te.jsonl" --model mlp --epochs 3
		[ "$(jq -c 'del(.seconds)' <<<"$output")" = "$(cat "$T/want-mlp")" ] ||
			fail "2^$e mlp: $output"
	done
}

@test "--no-standardize on features of 1e40: not converged at the start (was objective ln 2, converged)" {
	scaled "$GTR" 133 "$T/tr.jsonl"
	run --separate-stderr nsl-probe --train "$T/tr.jsonl" --no-standardize
	[ "$status" -eq 0 ]
	[ "$(jq .converged <<<"$output")" = false ]
	scaled "$GTR" 1020 "$T/tr.jsonl"
	run --separate-stderr nsl-probe --train "$T/tr.jsonl" --no-standardize
	[ "$(jq .converged <<<"$output")" = false ]
}

@test "the teacher angle of a teacher near 1e308 or 1e-301 is the angle, not 'the zero vector'" {
	run --separate-stderr nsl-probe --train "$FIX/ts_train.jsonl" --l2 1e-2 \
	    --no-intercept --teacher-file "$FIX/ts_teacher.json"
	want=$(jq .gen_error <<<"$output")
	for e in 1020 -1000; do
		jq -c --argjson e $e '.teacher |= map(. * pow(2; $e))' "$FIX/ts_teacher.json" > "$T/t.json"
		run --separate-stderr nsl-probe --train "$FIX/ts_train.jsonl" --l2 1e-2 \
		    --no-intercept --teacher-file "$T/t.json"
		[ "$status" -eq 0 ] || fail "2^$e: $stderr"
		$PY -c 'import sys; a, b = map(float, sys.argv[1:]); assert abs(a - b) <= 1e-12, (a, b)' \
		    "$(jq .gen_error <<<"$output")" "$want"
	done
}

@test "--list-models prints the catalogue; the man page and --model take every row" {
	run --separate-stderr nsl-probe --list-models
	assert_success
	[ "${#lines[@]}" -ge 2 ]
	assert_line --index 0 --regexp $'^linear\t.'
	for name in $(nsl-probe --list-models | cut -f1); do
		grep -qx "\.It Cm $name" "$TESTS_DIR/../man/nsl-probe.1" ||
		    { echo "man page lacks $name"; false; }
		nsl-probe --train "$GTR" --model "$name" --epochs 1 --hidden 2 > "$T/r.json" ||
		    { echo "$name refused"; false; }
		grep -q "\"model\":\"$name\"" "$T/r.json"
	done
	fails_cleanly 64 'unknown model "svm" \(linear or mlp\)' --train "$GTR" --model svm
}
