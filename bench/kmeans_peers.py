"""Peer k-means runs for bench/kmeans.sh (not used by any tool or test).

    kmeans_peers.py TOOL N D K ITERS X.f64 INIT.f64 [ASSIGN.i32]

TOOL is sklearn (KMeans, algorithm="lloyd", tol=0, Debian python3-sklearn)
or faiss (faiss.Kmeans, every point used: max_points_per_centroid = N,
Debian python3-faiss).  Both start from the centres in INIT.f64 and run
ITERS Lloyd iterations; INIT "-S" lets faiss seed itself (its random
initial centres, seed S, timed with the fit: faiss counting its seeding); the data is read as float64 and, for faiss,
converted to float32 outside the timed part (its native type).  Prints
"TOOL: S s wall, C s cpu  inertia I  iterations T" where I is the exact
float64 sum of squared distances of every point to its nearest final
centre (so the three tools' objectives are computed alike), and, given
ASSIGN.i32 (nsl's assignments), how many points each assigns differently,
and the process's peak RSS (the interpreter and libraries included).
"""
import resource
import sys
import time

import numpy as np


def inertia(x, c):
    """Exact nearest-centre objective in float64, in blocks."""
    total, labels = 0.0, np.empty(len(x), dtype=np.int64)
    csq = (c * c).sum(1)
    for i in range(0, len(x), 8192):
        b = x[i:i + 8192]
        d2 = (b * b).sum(1)[:, None] - 2 * b @ c.T + csq[None, :]
        lab = d2.argmin(1)
        labels[i:i + 8192] = lab
        total += float(((b - c[lab]) ** 2).sum())
    return total, labels


def main():
    tool = sys.argv[1]
    n, d, k, iters = map(int, sys.argv[2:6])
    x = np.fromfile(sys.argv[6]).reshape(n, d)
    own = sys.argv[7].startswith("-")
    init = None if own else np.fromfile(sys.argv[7]).reshape(k, d)
    if tool == "sklearn":
        from sklearn.cluster import KMeans
        km = KMeans(n_clusters=k, init=init, n_init=1, max_iter=iters,
                    tol=0, algorithm="lloyd")
        t, c = time.perf_counter(), time.process_time()
        km.fit(x)
        t, c = time.perf_counter() - t, time.process_time() - c
        cen, it = km.cluster_centers_, km.n_iter_
    else:
        import faiss
        xf = np.ascontiguousarray(x, dtype=np.float32)
        km = faiss.Kmeans(d, k, niter=iters, max_points_per_centroid=n,
                          verbose=False,
                          seed=int(sys.argv[7][1:]) if own else 1234)
        t, c = time.perf_counter(), time.process_time()
        km.train(xf, init_centroids=None if own else
                 init.astype(np.float32))
        t, c = time.perf_counter() - t, time.process_time() - c
        cen, it = km.centroids.astype(np.float64), iters
    obj, labels = inertia(x, cen)
    print(f"{tool}: {t:.3f} s wall, {c:.3f} s cpu  inertia {obj!r}  "
          f"iterations {it}")
    if len(sys.argv) > 8:
        a = np.fromfile(sys.argv[8], dtype=np.int32)
        print(f"  {tool} assignments that differ from nsl's: "
              f"{int((a != labels).sum())} of {n}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {tool} peak {peak:.0f} MB (the interpreter and libraries "
          "included)")


main()
