#!/bin/sh
# compare-outputs-tools.sh BEFORE_BIN AFTER_BIN
#
# Run a broad set of nsl-score, nsl-prune, nsl-synth, nsl-probe, nsl-embed
# and nsl-intrinsic-dim commands (every metric, strategy, generator, model
# and flag, the man pages' examples, error cases) with the binaries of two
# builds, and report every command whose standard output, standard error,
# exit status or written files differ.  Run from the repository top.
# --help differs by design when a usage text becomes generated; it is run
# and reported like the rest.  A written .gz file is compared by its text
# (gzip -d): its compressed bytes are not part of the output (they became
# BGZF, libdeflate's, from zlib's single member).
#
# Exit status: 0 when all agree, 1 when any differ.
set -u
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd) top=$(pwd)
work=$(mktemp -d) || exit 70
trap 'rm -rf "$work"' EXIT
F=$top/tests/fixtures
export F LC_ALL=C

# one command a line; $F is tests/fixtures; each runs in a fresh directory
# holding copies of a few inputs
cat > "$work/cmds" <<'EOF'
nsl-score --help
nsl-score --version
nsl-score --summary
nsl-score
nsl-score --bogus
nsl-score --metric
nsl-score --metric nope $F/score/logits.jsonl
nsl-score --metric el2n,el2n $F/score/logits.jsonl
nsl-score --metric , $F/score/logits.jsonl
nsl-score --metric el2n $F/score/logits.jsonl
nsl-score --metric grand $F/score/logits.jsonl
nsl-score --metric margin $F/score/logits.jsonl
nsl-score --metric entropy $F/score/logits.jsonl
nsl-score --metric least-confidence $F/score/logits.jsonl
nsl-score --metric aum $F/score/logits.jsonl
nsl-score --metric el2n,margin,entropy --out-field s $F/score/logits.jsonl
nsl-score --metric el2n --float32 $F/score/logits.jsonl
nsl-score --metric el2n,forgetting $F/score/epochs.jsonl
nsl-score --metric forgetting,aum $F/score/epochs.jsonl
nsl-score --metric dynamic-uncertainty --window 2 $F/score/epochs.jsonl
nsl-score --metric dynamic-uncertainty --window 1 $F/score/epochs.jsonl
nsl-score --metric dynamic-uncertainty $F/score/epochs.jsonl
nsl-score --metric prototype --k 2 --seed 1 $F/score/directions.jsonl
nsl-score --metric prototype $F/score/directions.jsonl
nsl-score --metric prototype --k 2 --iters 1 --cluster-field c $F/score/directions.jsonl
nsl-score --metric prototype --k 0 $F/score/directions.jsonl
nsl-score --metric prototype --k x $F/score/directions.jsonl
nsl-score --metric prototype --iters 0 $F/score/directions.jsonl
nsl-score --metric class-prototype $F/score/points.jsonl
nsl-score --metric class-prototype --center median $F/score/points.jsonl
nsl-score --metric class-prototype --center mode $F/score/points.jsonl
nsl-score --metric knn --neighbours 1 $F/score/points.jsonl
nsl-score --metric knn --neighbours 0 $F/score/points.jsonl
nsl-score --metric knn,prototype,class-prototype --neighbours 2 --k 2 $F/score/directions.jsonl
nsl-score --metric entropy --probs --logits-field p --label-field y $F/score/probs.jsonl
nsl-score --metric el2n --probs --logits-field p --label-field y $F/score/probs.jsonl
nsl-score --metric aum --probs $F/score/logits.jsonl
nsl-score --metric el2n --field e --label-field lab $F/score/logits.jsonl
nsl-score --metric el2n missing.jsonl
nsl-score --metric el2n $F/score/logits.jsonl -o out.jsonl
nsl-score --metric el2n $F/score/logits.jsonl -o out.jsonl.gz; gzip -dc out.jsonl.gz
nsl-score --metric el2n $F/score/logits.jsonl > /dev/full
printf '{"logits":[1,2],"label":0}\n{bad\n' | nsl-score --metric el2n
printf '{"logits":[1,2],"label":5}\n' | nsl-score --metric el2n
nsl-score --metric prototype --k 2 -q $F/score/directions.jsonl
nsl-prune --help
nsl-prune --version
nsl-prune
nsl-prune --keep-fraction 0.5 $F/prune/small.jsonl
nsl-prune --keep-fraction 0.5 --by label $F/prune/small.jsonl
nsl-prune --keep 2 --strategy easy $F/prune/small.jsonl
nsl-prune --keep 2 --strategy random --seed 3 $F/prune/small.jsonl
nsl-prune --keep-fraction 0.5 --strategy stratified --cutoff 0.1 --strata 2 --report $F/prune/small.jsonl
nsl-prune --keep-fraction 0.5 --strategy stratified --report --by label $F/prune/small.jsonl
nsl-prune --keep-fraction 0.6 --report $F/prune/small.jsonl
nsl-prune --keep-fraction 0 $F/prune/small.jsonl
nsl-prune --keep-fraction 1.5 $F/prune/small.jsonl
nsl-prune --keep-fraction x $F/prune/small.jsonl
nsl-prune --keep -1 $F/prune/small.jsonl
nsl-prune --keep 1 --keep-fraction 0.5 $F/prune/small.jsonl
nsl-prune --keep 1 --keep 2 $F/prune/small.jsonl
nsl-prune --strategy nope --keep 1 $F/prune/small.jsonl
nsl-prune --strategy stratified --keep 1 --cutoff 2 $F/prune/small.jsonl
nsl-prune --strategy stratified --keep 1 --strata 0 $F/prune/small.jsonl
nsl-prune --strategy dedup --k 3 --eps 0.05 $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --k 3 --eps 0.05 --iters 2 --seed 4 --report $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --k 3 --eps 0.05 --by label $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --k 3 --eps 3 $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --eps 0.1 $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --k 3 $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --k 3 --eps 0.1 --keep 2 $F/prune/dedup-small.jsonl
nsl-prune --strategy dedup --k 3 --eps 0.1 --field v $F/prune/dedup-small.jsonl
nsl-prune --keep 1 --score-field s $F/prune/small.jsonl
nsl-prune --keep 1 --score-field '' $F/prune/small.jsonl
nsl-prune --keep 1 --by '' $F/prune/small.jsonl
nsl-prune --keep 1 --iters 0 $F/prune/small.jsonl
nsl-prune --keep 1 missing.jsonl
nsl-prune --keep 1 $F/prune/small.jsonl > /dev/full
nsl-prune --keep 1 -o kept.jsonl.gz $F/prune/small.jsonl; gzip -dc kept.jsonl.gz
gzip -c $F/prune/small.jsonl | nsl-prune --strategy random --keep 3 --seed 1 -o kept.jsonl.gz
printf '{"score":1}\n{"score":NaN}\n' | nsl-prune --keep 1
printf '{"score":1}\n{"score":NaN}\n' | nsl-prune --keep 1 --allow-nonfinite
printf '{"score":1}\n{"x":2}\n' | nsl-prune --keep 1
printf '{"score":1}\n' | nsl-prune --keep-fraction 0.1
nsl-prune --keep 1 $F/prune/small.jsonl $F/prune/small.jsonl
nsl-synth --help
nsl-synth --version
nsl-synth
nsl-synth nope --n 3 --dim 2
nsl-synth teacher-student
nsl-synth teacher-student --n 3
nsl-synth teacher-student --n 5 --dim 3
nsl-synth teacher-student --n 5 --dim 3 --seed 9 --float32
nsl-synth teacher-student --n 5 --dim 3 --probe-angle 15 --label-noise 0.3 --test --field x
nsl-synth teacher-student --n 5 --dim 3 --probe-angle 91
nsl-synth teacher-student --n 5 --dim 3 --label-noise 2
nsl-synth teacher-student --n 0 --dim 3
nsl-synth teacher-student --n 5 --dim 0
nsl-synth teacher-student --n 5 --dim 3 --classes 2
nsl-synth teacher-student --n 5 --dim 3 --emit-means m.json
nsl-synth teacher-student --n 5 --dim 3 --emit-teacher -
nsl-synth teacher-student --n 5 --dim 3 --probe-angle 10 --emit-teacher t.json; cat t.json
nsl-synth teacher-student --n 5 --dim 3 extra
nsl-synth gaussian-mixture --n 7 --dim 3
nsl-synth gaussian-mixture --n 7 --dim 3 --classes 3 --separation 6 --test
nsl-synth gaussian-mixture --n 7 --dim 3 --weights 2,1,1 --emit-means m.json; cat m.json
nsl-synth gaussian-mixture --n 7 --dim 3 --weights 2,1 --classes 3
nsl-synth gaussian-mixture --n 7 --dim 3 --weights 2,x
nsl-synth gaussian-mixture --n 7 --dim 3 --weights ,
nsl-synth gaussian-mixture --n 7 --dim 3 --weights 0,0
nsl-synth gaussian-mixture --n 7 --dim 3 --classes 4
nsl-synth gaussian-mixture --n 7 --dim 3 --classes 0
nsl-synth gaussian-mixture --n 7 --dim 3 --separation -1
nsl-synth gaussian-mixture --n 7 --dim 3 --emit-teacher t.json
nsl-synth gaussian-mixture --n 7 --dim 3 --probe-angle 3
nsl-synth gaussian-mixture --n 7 --dim 3 -o g.jsonl.gz; gzip -dc g.jsonl.gz
nsl-synth gaussian-mixture --n 7 --dim 3 > /dev/full
nsl-synth teacher-student --n 10000 --dim 5 --label-noise 0.1 | grep -c flipped.:true
nsl-probe --help
nsl-probe --version
nsl-probe
nsl-probe --train $F/probe/gm_train.jsonl
nsl-probe --train $F/probe/gm_train.jsonl --test $F/probe/gm_test.jsonl --l2 0.01 --tag run=1
nsl-probe --train $F/probe/gm_train.jsonl --test $F/probe/gm_test.jsonl --model mlp --hidden 8 --epochs 3 --batch 4 --seed 2
nsl-probe --train $F/probe/gm_train.jsonl --model mlp --hidden 4 --epochs 2 --optimizer sgd --lr 0.05
nsl-probe --train $F/probe/gm_train.jsonl --model mlp --hidden 4 --epochs 2 --optimizer adagrad
nsl-probe --train $F/probe/gm_train.jsonl --model tree
nsl-probe --train $F/probe/gm_train.jsonl --model mlp --hidden 16 --epochs 5 --dynamics dyn.jsonl; cat dyn.jsonl
nsl-probe --train $F/probe/gm_train.jsonl --test $F/probe/gm_test.jsonl --predict p.jsonl --float32; cat p.jsonl
nsl-probe --train $F/probe/gm_train.jsonl --predict p.jsonl
nsl-probe --train $F/probe/gm_train.jsonl --no-intercept --no-standardize --tol 1e-3 --max-iter 5
nsl-probe --train $F/probe/gm_train.jsonl --tol 0
nsl-probe --train $F/probe/gm_train.jsonl --max-iter 0
nsl-probe --train $F/probe/gm_train.jsonl --l2 -1
nsl-probe --train $F/probe/gm_train.jsonl --tag a=1 --tag b=x --tag 'c={"y":[1]}'
nsl-probe --train $F/probe/gm_train.jsonl --tag a=1 --tag a=2
nsl-probe --train $F/probe/gm_train.jsonl --tag noeq
nsl-probe --train $F/probe/gm_train.jsonl --tag =1
nsl-probe --train $F/probe/gm_train.jsonl --tag l2=1
nsl-probe --train $F/probe/gm_train.jsonl --tag n_test=1
nsl-probe --train $F/probe/gm_train.jsonl --test $F/probe/gm_test.jsonl --tag n_test=1
nsl-probe --train $F/probe/gm_train.jsonl --model mlp --tag seed=1
nsl-probe --train $F/probe/gm_train.jsonl --tag seed=1
nsl-probe --train $F/probe/ts_train.jsonl --no-intercept --l2 0 --teacher-file $F/probe/ts_teacher.json
nsl-probe --train $F/probe/ts_train.jsonl --test $F/probe/ts_test.jsonl --no-intercept --l2 0 --teacher-file $F/probe/ts_teacher.json --tag gen_error=1
nsl-probe --train $F/probe/ts_train.jsonl --teacher teacher
nsl-probe --train $F/probe/ts_train.jsonl --model mlp --teacher-file $F/probe/ts_teacher.json
nsl-probe --train $F/probe/gm_train.jsonl --label-field nope
nsl-probe --train $F/probe/gm_train.jsonl --field nope
nsl-probe --train missing.jsonl
nsl-probe --train $F/probe/gm_train.jsonl --test $F/score/directions.jsonl
nsl-probe --train $F/probe/gm_train.jsonl operand
nsl-probe --train $F/probe/gm_train.jsonl -o r.json; cat r.json
nsl-probe --train $F/probe/gm_train.jsonl > /dev/full
nsl-probe --train $F/probe/gm_train.jsonl --timing | sed 's/"seconds":[0-9.e-]*/"seconds":T/'
nsl-embed --help
nsl-embed --version
nsl-embed
nsl-embed --fit $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 3 $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 3 --whiten --float32 $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 3 --save pca.json $F/embed/data.jsonl > train3.jsonl; cat pca.json train3.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 3 --save pca.json < /dev/null; nsl-embed --load pca.json < $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 3 --save pca.json < /dev/null; nsl-embed --load pca.json --dim 2 < $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 3 --save pca.json < /dev/null; nsl-embed --load pca.json --out-field low $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --method random --dim 4 --seed 7 $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --method random --dim 4 --whiten $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --method ica --dim 4 $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 0 $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 1000 $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --load x.json
nsl-embed --load missing.json
nsl-embed --load /dev/null
nsl-embed --load $F/embed/data.jsonl < $F/embed/data.jsonl
nsl-embed --fit - --dim 2 < $F/embed/data.jsonl
nsl-embed --fit - --dim 2 - < $F/embed/data.jsonl
nsl-embed --fit - --dim 2 $F/embed/data.jsonl < $F/embed/data.jsonl
nsl-embed --fit - --dim 2 --save s.json < $F/embed/data.jsonl; cat s.json
nsl-embed --fit $F/embed/data.jsonl --dim 2 --field nope $F/embed/data.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 2 $F/score/directions.jsonl
nsl-embed --fit $F/embed/data.jsonl --dim 2 -o o.jsonl.gz $F/embed/data.jsonl; gzip -dc o.jsonl.gz
nsl-embed --fit $F/embed/data.jsonl --dim 2 $F/embed/data.jsonl > /dev/full
nsl-intrinsic-dim --help
nsl-intrinsic-dim $F/intdim/torus.jsonl
nsl-intrinsic-dim --estimator twonn --by label $F/intdim/torus.jsonl
nsl-intrinsic-dim --estimator mle --k 5 --numerator 2 --level 0.9 $F/intdim/torus.jsonl
nsl-intrinsic-dim --estimator twonn --discard 0.1 --sizes 50,100 --repeats 2 --seed 3 $F/intdim/torus.jsonl
nsl-intrinsic-dim --estimator nope $F/intdim/torus.jsonl
nsl-intrinsic-dim --duplicates error $F/intdim/dups.jsonl
nsl-intrinsic-dim --duplicates drop $F/intdim/dups.jsonl
nsl-intrinsic-dim --estimator mle $F/intdim/torus.jsonl > pred.json; printf '{"n_train":100,"test_error":0.5}\n{"n_train":200,"test_error":0.3}\n{"n_train":400,"test_error":0.2}\n{"n_train":800,"test_error":0.15}\n' | nsl-intrinsic-dim --regime --predict pred.json
printf '{"n":100,"e":0.5}\n{"n":200,"e":0.3}\n{"n":400,"e":0.2}\n{"n":800,"e":0.15}\n' | nsl-intrinsic-dim --regime --x n --y e --alpha 0.25,0.2,0.3 --loss ls --bootstrap 20 --fits f.jsonl; cat f.jsonl
nsl-intrinsic-dim --regime
nsl-intrinsic-dim --regime --alpha 0.2 --k 3
nsl-intrinsic-dim --alpha 0.2
nsl-intrinsic-dim missing.jsonl
EOF

run() {	# run BIN CMD OUTDIR
	mkdir -p "$3/d"
	(cd "$3/d" && PATH="$1:$PATH" sh -c "$2" > ../stdout 2> ../stderr
	echo $? > ../status)
	sed "s#$1#BIN#g" "$3/stderr" > "$3/stderr.n"
}

n=0 bad=0
while IFS= read -r cmd; do
	n=$((n + 1))
	rm -rf "$work/a" "$work/b"
	run "$before" "$cmd" "$work/a"
	run "$after" "$cmd" "$work/b"
	what=
	cmp -s "$work/a/stdout" "$work/b/stdout" || what="$what stdout"
	cmp -s "$work/a/stderr.n" "$work/b/stderr.n" || what="$what stderr"
	cmp -s "$work/a/status" "$work/b/status" || what="$what status"
	for f in $(find "$work/a/d" "$work/b/d" -name '*.gz'); do
		gzip -dc "$f" > "$f.text" 2>&1 && rm -f "$f"
	done
	diff -r "$work/a/d" "$work/b/d" > /dev/null 2>&1 || what="$what files"
	if [ -n "$what" ]; then
		bad=$((bad + 1))
		echo "DIFFERS ($what ): $cmd"
		case $what in *stderr*)
			diff "$work/a/stderr.n" "$work/b/stderr.n" | sed 's/^/    /' | head -8;;
		esac
		case $what in *status*)
			echo "    status $(cat "$work/a/status") -> $(cat "$work/b/status")";;
		esac
	fi
done < "$work/cmds"
echo "$n commands, $((n - bad)) identical, $bad differ"
[ "$bad" -eq 0 ]
