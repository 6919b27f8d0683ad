#!/bin/sh
# compare-outputs-ot.sh BEFORE_BIN AFTER_BIN
#
# Run a broad set of nsl-ot-distance commands (every method, cost and flag:
# weights, labels and otdd's inner solvers, potentials, plan and its
# threshold, blocked costs, the man page's examples, points near the ends
# of the double range, error cases) with the binaries of two builds, and
# report every command whose standard output, standard error, exit status
# or written files differ.  Run from the repository top.  --help differs
# by design when the usage text becomes generated; it is run and reported
# like the rest.
#
# Exit status: 0 when all agree, 1 when any differ.
set -u
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd) top=$(pwd)
work=$(mktemp -d) || exit 70
trap 'rm -rf "$work"' EXIT
F=$top/tests/fixtures/ot
export F LC_ALL=C

# one command a line; $F is tests/fixtures/ot; each runs in a fresh
# directory
cat > "$work/cmds" <<'EOF'
nsl-ot-distance --help
nsl-ot-distance --version
nsl-ot-distance --summary
nsl-ot-distance
nsl-ot-distance --bogus $F/a.jsonl $F/b.jsonl
nsl-ot-distance $F/a.jsonl
nsl-ot-distance $F/a.jsonl $F/b.jsonl $F/a.jsonl
nsl-ot-distance $F/a.jsonl $F/b.jsonl
nsl-ot-distance --weight-field w $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean --p 1.5 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean --p 2 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --p 1.5 --cost euclidean --weight-field w $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost cosine $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost cosine --weight-field w --potentials pot --plan plan $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --potentials pot --plan plan --plan-threshold 0 $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --potentials pot.gz $F/a.jsonl $F/b.jsonl; zcat pot.gz
nsl-ot-distance --plan plan --plan-threshold 0.01 --weight-field w $F/a.jsonl $F/b.jsonl; cat plan
nsl-ot-distance --method sinkhorn $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps 0.01 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.1 --weight-field w $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.01 --tol 1e-6 --eps-scaling 0.8 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.001 --max-iter 2 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.1 --max-memory 1K $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.1 --max-memory 2M $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.1 --max-memory 1G $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.1 --max-memory 5000 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --eps-rel 0.1 --max-memory 1K --potentials pot --plan plan $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --method sinkhorn --eps-rel 0.2 --potentials pot --plan plan --plan-threshold 1e-4 --weight-field w $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --method sinkhorn --cost euclidean --p 3 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sinkhorn --cost cosine $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method divergence --eps-rel 0.1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method divergence --eps-rel 0.1 $F/a.jsonl $F/a.jsonl
nsl-ot-distance --method divergence --eps 0.05 --weight-field w --potentials pot --plan plan $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --method divergence --eps-rel 0.1 --max-memory 1K $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method divergence --cost euclidean $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sns $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sns --eps-rel 0.005 --tol 1e-10 --eps-scaling 0.7 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sns --eps-rel 0.01 --max-memory 1K $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sns --eps-rel 0.01 --weight-field w --potentials pot --plan plan $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --method sns --cost cosine --max-iter 3 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --projections 500 --seed 3 --control-variate upper $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --projections 500 --seed 4 --control-variate lower $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --projections 2 --weight-field w $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --cost euclidean --p 1 --seed 9 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --cost euclidean --p 3 --control-variate upper $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --cost cosine $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --potentials pot $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --plan plan $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --projections 1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --projections 200 --control-variate upper $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method gaussian $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method gaussian --weight-field w $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method gaussian --cost euclidean $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method gaussian --potentials pot $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --label-field label --weight-field w --potentials pot --plan plan $F/a.jsonl $F/b.jsonl; cat pot plan
nsl-ot-distance --method otdd --inner sinkhorn --eps-rel 0.001 --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --inner sinkhorn --eps-rel 0.05 --max-memory 1K --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --inner exact --label-field id $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --inner sns --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --inner nope --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --label-field nolabel $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --cost euclidean --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --label-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --label-field nolabel $F/a.jsonl $F/b.jsonl
nsl-ot-distance --inner sinkhorn $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --seed 3 -o out.json $F/a.jsonl $F/b.jsonl; cat out.json
nsl-ot-distance -o out.json.gz $F/a.jsonl $F/b.jsonl; zcat out.json.gz
nsl-ot-distance --timing $F/a.jsonl $F/b.jsonl | sed 's/"seconds":[^,}]*/"seconds":T/'
nsl-ot-distance --field v $F/a.jsonl $F/b.jsonl
jq -c '{v: .embedding}' $F/a.jsonl > a; jq -c '{v: .embedding}' $F/b.jsonl > b; nsl-ot-distance --field v a b
nsl-ot-distance - $F/b.jsonl < $F/a.jsonl
gzip -c $F/a.jsonl > a.gz; nsl-ot-distance a.gz $F/b.jsonl
nsl-ot-distance --method nope $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost nope $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost cosine --p 2 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --p 3 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean --p 0.5 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean --p 101 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean --p x $F/a.jsonl $F/b.jsonl
nsl-ot-distance --cost euclidean --p nan $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps 1 --eps-rel 1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps 0 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps -1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps 1e400 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps-rel 0 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --tol 0 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --tol 11 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-iter 0 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-iter 1.5 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-iter 99999999999999999999 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps-scaling 1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --eps-scaling 0 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-memory 0 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-memory 1X $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-memory K $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method exact --max-memory 1K $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method otdd --label-field label --max-memory 1K $F/a.jsonl $F/b.jsonl
nsl-ot-distance --projections 1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --projections 100000001 --method sliced $F/a.jsonl $F/b.jsonl
nsl-ot-distance --control-variate lower $F/a.jsonl $F/b.jsonl
nsl-ot-distance --control-variate middle --method sliced $F/a.jsonl $F/b.jsonl
nsl-ot-distance --method sliced --cost euclidean --control-variate lower $F/a.jsonl $F/b.jsonl
nsl-ot-distance --plan-threshold 2 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --plan-threshold -1 $F/a.jsonl $F/b.jsonl
nsl-ot-distance --seed x $F/a.jsonl $F/b.jsonl
nsl-ot-distance --field '' $F/a.jsonl $F/b.jsonl
nsl-ot-distance --weight-field '' $F/a.jsonl $F/b.jsonl
nsl-ot-distance --weight-field nope $F/a.jsonl $F/b.jsonl
nsl-ot-distance --weight-field label $F/a.jsonl $F/b.jsonl
nsl-ot-distance --weight-field id $F/a.jsonl $F/b.jsonl
nsl-ot-distance --weight-field embedding $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-iter 2 --method sinkhorn --eps-rel 0.001 -o /nonexistent/x $F/a.jsonl $F/b.jsonl
nsl-ot-distance --max-iter 2 --method sinkhorn --eps-rel 0.001 --potentials /nonexistent/x $F/a.jsonl $F/b.jsonl
nsl-ot-distance --plan /nonexistent/x $F/a.jsonl $F/b.jsonl
nsl-ot-distance -o /nonexistent/x /nonexistent/a $F/b.jsonl
nsl-ot-distance $F/a.jsonl /nonexistent/b
nsl-ot-distance /nonexistent/a /nonexistent/b
nsl-ot-distance $F/a.jsonl $F/b.jsonl > /dev/full
nsl-ot-distance --potentials /dev/full $F/a.jsonl $F/b.jsonl
: > e; nsl-ot-distance e $F/b.jsonl
: > e; nsl-ot-distance $F/a.jsonl e
echo '{"embedding":[1,2]}' > x; nsl-ot-distance x $F/b.jsonl
echo '{"embedding":[1,2]}' > x; nsl-ot-distance -o out x $F/b.jsonl; ls
echo '{"embedding":[]}' > x; nsl-ot-distance x x
printf '{"embedding":[1]}\n{"embedding":[NaN]}\n' > x; nsl-ot-distance x $F/b.jsonl
printf '{"embedding":[1]}\n{"embedding":[1,2]}\n' > x; nsl-ot-distance x x
printf '{"embedding":[1]}\n{bad\n' > x; nsl-ot-distance x x
printf '{"embedding":[1],"w":1}\n{"embedding":[2],"w":-1}\n' > n; nsl-ot-distance --weight-field w n n
printf '{"embedding":[1],"w":0}\n{"embedding":[2],"w":0}\n' > z; nsl-ot-distance --weight-field w z z
printf '{"embedding":[1],"w":0}\n{"embedding":[2],"w":0}\n' > z; nsl-ot-distance --weight-field w $F/a.jsonl z
printf '{"embedding":[1]}\n' > m; nsl-ot-distance --weight-field w m m
printf '{"embedding":[1],"w":"x"}\n' > m; nsl-ot-distance --weight-field w m m
printf '{"embedding":[1],"w":NaN}\n' > m; nsl-ot-distance --weight-field w m m
printf '{"embedding":[1],"w":1e400}\n' > m; nsl-ot-distance --weight-field w m m
printf '{"embedding":[0],"w":1e308}\n{"embedding":[1],"w":1e308}\n' > big; echo '{"embedding":[0.5],"w":1}' > u; nsl-ot-distance --weight-field w big big; nsl-ot-distance --weight-field w big u
printf '{"embedding":[0],"w":1,"label":1}\n{"embedding":[1],"w":3,"label":"x"}\n' > l; nsl-ot-distance --method otdd --label-field label --weight-field w l l
printf '{"embedding":[0],"label":1}\n{"embedding":[1]}\n' > l; nsl-ot-distance --method otdd --label-field label l l
printf '{"embedding":[0],"label":[1]}\n' > l; nsl-ot-distance --method otdd --label-field label l l
printf '{"embedding":[0],"label":1}\n{"embedding":[1],"label":2}\n' > l; printf '{"embedding":[3],"label":5}\n' > k; nsl-ot-distance --method otdd --label-field label --inner sinkhorn l k
printf '{"embedding":[0],"label":1}\n{"embedding":[4],"label":2}\n' > l; printf '{"embedding":[3],"label":5}\n{"embedding":[1],"label":5}\n' > k; nsl-ot-distance --method otdd --label-field label --potentials pot --plan plan l k; cat pot plan
echo '{"embedding":[1e160,0,0]}' > a; echo '{"embedding":[1,2,3]}' > b; for m in exact sinkhorn divergence sns sliced gaussian; do nsl-ot-distance --method $m a b; done
echo '{"embedding":[1e160,0,0]}' > a; echo '{"embedding":[1,2,3]}' > b; for m in exact sinkhorn sns; do nsl-ot-distance --method $m --cost euclidean a b; nsl-ot-distance --method $m --cost cosine a b; done
echo '{"embedding":[1e160,0,0]}' > a; echo '{"embedding":[1,2,3]}' > b; nsl-ot-distance --method sinkhorn --eps 1e-300 a b
echo '{"embedding":[1e160,0,0]}' > a; echo '{"embedding":[1,2,3]}' > b; nsl-ot-distance --method sinkhorn --eps 1 --potentials pot a b; cat pot
echo '{"embedding":[5e-324,0]}' > a; echo '{"embedding":[0,0]}' > b; nsl-ot-distance --cost euclidean a b; nsl-ot-distance a b; nsl-ot-distance --method sinkhorn a b
echo '{"embedding":[1.7e308]}' > a; echo '{"embedding":[-1.7e308]}' > b; nsl-ot-distance --cost euclidean -o out a b; ls
echo '{"embedding":[1e-200,3e-200]}' > a; echo '{"embedding":[2e-200,1e-200]}' > b; for m in exact sinkhorn divergence sns sliced gaussian; do nsl-ot-distance --method $m a b; done
echo '{"embedding":[1,1]}' > a; nsl-ot-distance --method sinkhorn a a; nsl-ot-distance --method sinkhorn --eps 1 a a; nsl-ot-distance --method divergence a a
printf '{"embedding":[0,0]}\n{"embedding":[1,0]}\n' > a; printf '{"embedding":[0,1]}\n{"embedding":[1,1]}\n{"embedding":[2,2]}\n' > b; for m in exact sinkhorn divergence sns sliced gaussian; do nsl-ot-distance --method $m a b; done
cd $F && nsl-ot-distance a.jsonl b.jsonl
cd $F && nsl-ot-distance --method sinkhorn --eps-rel 0.05 --weight-field w a.jsonl b.jsonl
cd $F && nsl-ot-distance --method sliced --projections 200 --control-variate upper a.jsonl b.jsonl
cd $F && nsl-ot-distance --method otdd --label-field label a.jsonl b.jsonl
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
