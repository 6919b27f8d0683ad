"""probe_peers.py linear|mlp SRC L2 - scikit-learn's fits for bench/probe.sh.

linear: LogisticRegression(C = 1/(L2 n), lbfgs, tol 1e-4) on standardised
Fashion-MNIST; prints its test error, iterations, seconds and objective
on nsl's scale (mean log-loss + L2/2 ||W||^2), then a last line
"matched TOL FTOL": nsl-probe's --tol and --ftol that stop where this
sklearn's scipy L-BFGS-B stops.  Up to 1.2 sklearn minimised n times
nsl's objective (gtol on the summed gradient, scipy's default ftol
2.2e-9 relative to max(|F|, 1), F = n f); later versions minimise the
mean with ftol 64 epsilons, nsl's defaults.
mlp: MLPClassifier(256 ReLU units, adam, lr 1e-3, batch 128, 10 epochs).
"""
import gzip
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

what, src, l2 = sys.argv[1], sys.argv[2], float(sys.argv[3])


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
warnings.simplefilter("ignore")
if what == "linear":
    C = 1.0 / (l2 * n)
    t = time.time()
    lr = LogisticRegression(C=C, solver="lbfgs", tol=1e-4,
                            max_iter=1000).fit(xtr, ytr)
    s = time.time() - t
    lp = lr.predict_log_proba(xtr)
    f = -lp[np.arange(n), ytr].mean() + l2 / 2 * float((lr.coef_ ** 2).sum())
    print(f"sklearn {sklearn.__version__} LogisticRegression C={C:.6g}: "
          f"test_error {1 - lr.score(xte, yte):.4f} iterations "
          f"{int(lr.n_iter_[0])} seconds {s:.1f} objective {f:.17g}")
    ver = tuple(int(v) for v in sklearn.__version__.split(".")[:2])
    if ver < (1, 3):
        tol, ftol = 1e-4 / n, 2.220446049250313e-09 * max(f, 1 / n) / max(f, 1)
    else:
        tol, ftol = 1e-4, 64 * np.finfo(float).eps
    print(f"matched {tol!r} {ftol!r}")
else:
    t = time.time()
    mlp = MLPClassifier(hidden_layer_sizes=(256,), solver="adam",
                        learning_rate_init=1e-3, batch_size=128, max_iter=10,
                        alpha=l2, random_state=0).fit(xtr, ytr)
    s = time.time() - t
    print(f"sklearn MLPClassifier: test_error {1 - mlp.score(xte, yte):.4f} "
          f"epochs 10 seconds {s:.1f}")
