"""Peer exact k-nearest-neighbour search for bench/knn.sh (not used by any
tool or test).

    knn_peers.py gen N D X.f64 X.jsonl
    knn_peers.py faiss N D K X.f64 [NSL_SCORES.jsonl]

gen writes N points in D dimensions (a mixture of 50 Gaussians, seed 0)
as raw float64 and as nsl-score input records {"id","embedding"}, the
numbers printed %.17g so both tools see the same points.

faiss runs IndexFlatL2 (exact, brute force, float32: its native type;
Debian python3-faiss) with every point as a query, K + 1 neighbours (the
point itself comes back first and is dropped), and prints
"faiss: S s wall, C s cpu" for the add and search alone (data already in
memory, converted to float32 outside the timed part).  Given nsl's output
it also prints how many points' mean neighbour distance (the knn score,
recomputed from faiss's neighbours in float64) differs from nsl's by more
than 1e-9 relative: float32 products can order near-ties differently.
"""
import json
import resource
import sys
import time

import numpy as np


def gen(n, d, xpath, jpath):
    rng = np.random.default_rng(0)
    cen = rng.normal(size=(50, d)) * 2
    x = cen[rng.integers(0, 50, n)] + rng.normal(size=(n, d))
    x.tofile(xpath)
    with open(jpath, "w") as f:
        for i in range(n):
            f.write('{"id":%d,"embedding":[%s]}\n' %
                    (i, ",".join("%.17g" % v for v in x[i])))


def main():
    if sys.argv[1] == "gen":
        gen(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
        return
    import faiss
    n, d, k = map(int, sys.argv[2:5])
    x = np.fromfile(sys.argv[5]).reshape(n, d)
    xf = np.ascontiguousarray(x, dtype=np.float32)
    t, c = time.perf_counter(), time.process_time()
    index = faiss.IndexFlatL2(d)
    index.add(xf)
    _, nb = index.search(xf, k + 1)
    t, c = time.perf_counter() - t, time.process_time() - c
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print("faiss:   %.3f s wall, %.3f s cpu  peak %.0f MB  (threads %d)" %
          (t, c, rss, faiss.omp_get_max_threads()))
    if len(sys.argv) > 6:
        # drop the point itself wherever it came back among the K + 1
        score = np.empty(n)
        for i in range(n):
            row = [j for j in nb[i] if j != i][:k]
            score[i] = np.sqrt(((x[row] - x[i]) ** 2).sum(1)).mean()
        with open(sys.argv[6]) as f:
            ours = np.array([json.loads(line)["score"] for line in f])
        bad = int((np.abs(ours - score) > 1e-9 * score).sum())
        print("         %d of %d knn scores differ from nsl's (> 1e-9 rel)"
              % (bad, n))


main()
