#!/bin/sh
# bench/probe.sh - nsl-probe against scikit-learn on Fashion-MNIST (60000 x
# 784 training images, 10000 test images, pixels scaled to [0, 1]).
#
#   linear: nsl-probe --l2 L          vs  LogisticRegression(C = 1/(L*n),
#           lbfgs, tol 1e-4), both on standardised features: the same
#           objective, mean log-loss + L/2 ||W||^2 (intercept unpenalised)
#   mlp:    nsl-probe --model mlp     vs  MLPClassifier(256 ReLU units,
#           adam, lr 1e-3, batch 128, 10 epochs)
#
# Prints test error and wall seconds of each, and `uptime` (the machine
# may be shared: timings are noisy).  The linear probe runs twice: at
# nsl's own stop (max |grad| <= 1e-4 of the mean objective, relative
# decrease <= 64 epsilons) and at sklearn's.  sklearn before 1.3
# minimised n times that objective and left scipy's ftol at 2.2e-9: the
# same stop is --tol 1e-4/n and --ftol 2.2e-9 * max(f, 1/n) / max(f, 1),
# f sklearn's final objective (the denominator scipy saw).  Needs python3-sklearn and Debian's
# dataset-fashion-mnist.  BENCH_DIR keeps the converted JSONL between runs.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
bin=$here/bin
src=/usr/share/datasets/fashion-mnist
dir=${BENCH_DIR:-/tmp/nsl-bench-probe}
L2=${L2:-1e-4}
mkdir -p "$dir"
for s in train t10k; do
	[ -s "$dir/$s.jsonl.gz" ] ||
	    "$bin/nsl-convert" --scale 0.00392156862745098 \
	    --labels "$src/$s-labels-idx1-ubyte.gz" \
	    "$src/$s-images-idx3-ubyte.gz" -o "$dir/$s.jsonl.gz"
done
echo "uptime: $(uptime)"
echo "nproc: $(nproc)"
t() { /usr/bin/python3 -c 'import time;print(time.time())'; }

# sklearn's linear fit first: its objective sets the matched --ftol
/usr/bin/python3 "$here/bench/probe_peers.py" linear "$src" "$L2" > "$dir/sk.txt"
cat "$dir/sk.txt"
set -- $(tail -1 "$dir/sk.txt")	# matched: TOL FTOL
s=$(t)
"$bin/nsl-probe" -q --train "$dir/train.jsonl.gz" --test "$dir/t10k.jsonl.gz" \
    --l2 "$L2" --tag tool=nsl-probe > "$dir/linear.json"
e=$(t)
echo "nsl-probe linear (wall incl. reading JSONL $(/usr/bin/python3 -c "print(round($e-$s,1))") s): $(cat "$dir/linear.json")"
s=$(t)
"$bin/nsl-probe" -q --train "$dir/train.jsonl.gz" --test "$dir/t10k.jsonl.gz" \
    --l2 "$L2" --tol "$2" --ftol "$3" --tag tool=nsl-probe \
    > "$dir/linear-matched.json"
e=$(t)
echo "nsl-probe linear at sklearn's stop, --tol $2 --ftol $3 (wall incl. reading JSONL $(/usr/bin/python3 -c "print(round($e-$s,1))") s): $(cat "$dir/linear-matched.json")"

s=$(t)
"$bin/nsl-probe" -q --train "$dir/train.jsonl.gz" --test "$dir/t10k.jsonl.gz" \
    --model mlp --hidden 256 --epochs 10 --batch 128 --l2 "$L2" \
    --tag tool=nsl-probe > "$dir/mlp.json"
e=$(t)
echo "nsl-probe mlp (wall incl. reading JSONL $(/usr/bin/python3 -c "print(round($e-$s,1))") s): $(cat "$dir/mlp.json")"

/usr/bin/python3 "$here/bench/probe_peers.py" mlp "$src" "$L2"
echo "uptime: $(uptime)"
