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
# may be shared: timings are noisy).  Needs python3-sklearn and Debian's
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

s=$(t)
"$bin/nsl-probe" -q --train "$dir/train.jsonl.gz" --test "$dir/t10k.jsonl.gz" \
    --l2 "$L2" --tag tool=nsl-probe > "$dir/linear.json"
e=$(t)
echo "nsl-probe linear (wall incl. reading JSONL $(/usr/bin/python3 -c "print(round($e-$s,1))") s): $(cat "$dir/linear.json")"

s=$(t)
"$bin/nsl-probe" -q --train "$dir/train.jsonl.gz" --test "$dir/t10k.jsonl.gz" \
    --model mlp --hidden 256 --epochs 10 --batch 128 --l2 "$L2" \
    --tag tool=nsl-probe > "$dir/mlp.json"
e=$(t)
echo "nsl-probe mlp (wall incl. reading JSONL $(/usr/bin/python3 -c "print(round($e-$s,1))") s): $(cat "$dir/mlp.json")"

/usr/bin/python3 - "$src" "$L2" <<'PY'
import gzip, sys, time, warnings
import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
src, l2 = sys.argv[1], float(sys.argv[2])
def idx(name, off):
    with gzip.open(f"{src}/{name}", "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=off)
xtr = idx("train-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
ytr = idx("train-labels-idx1-ubyte.gz", 8)
xte = idx("t10k-images-idx3-ubyte.gz", 16).reshape(-1, 784) / 255.0
yte = idx("t10k-labels-idx1-ubyte.gz", 8)
sc = StandardScaler().fit(xtr)
xtr, xte = sc.transform(xtr), sc.transform(xte)
n = len(ytr)
C = 1.0 / (l2 * n)
warnings.simplefilter("ignore")
t = time.time()
lr = LogisticRegression(C=C, solver="lbfgs", tol=1e-4, max_iter=1000).fit(xtr, ytr)
s = time.time() - t
print(f"sklearn LogisticRegression C={C:.6g}: test_error "
      f"{1 - lr.score(xte, yte):.4f} iterations {int(lr.n_iter_[0])} seconds {s:.1f}")
t = time.time()
mlp = MLPClassifier(hidden_layer_sizes=(256,), solver="adam", learning_rate_init=1e-3,
                    batch_size=128, max_iter=10, alpha=l2, random_state=0).fit(xtr, ytr)
s = time.time() - t
print(f"sklearn MLPClassifier: test_error {1 - mlp.score(xte, yte):.4f} "
      f"epochs 10 seconds {s:.1f}")
PY
echo "uptime: $(uptime)"
