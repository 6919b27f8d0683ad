"""Peer and ground truth of bench/ivf.sh (not used by any tool or test).

    ivf_peers.py gen N D X.f64 Q QIDX.i64 GT.i64 K
    ivf_peers.py faiss N D X.f64 LISTS Q QIDX.i64 GT.i64 K NPROBE...

gen writes N points in D dimensions (a mixture of 1000 unit Gaussians around N(0, I) centres, numpy
seed 0) as raw float64, Q query rows drawn without replacement
(int64), and each query's K exact nearest other rows (int64, Q x K) by
numpy in float64: squared distances by the expansion in blocks, the
query's own row left out.

faiss runs IndexIVFFlat (IndexFlatL2 coarse quantizer, float32: its native
type; Debian python3-faiss) with LISTS lists, trained with 25 k-means
iterations (nsl's NSL_IVF_ITERS) on at most 256 rows a list, and searches
the Q query rows for K + 1 neighbours at each NPROBE, dropping the query's
own row; it prints the train+add time and each search's time and
recall@K against GT, as bench/ivf.c does for nsl.
"""
import resource
import sys
import time

import numpy as np


def gen(n, d, xpath, q, qpath, gpath, k):
    rng = np.random.default_rng(0)
    cen = rng.normal(size=(1000, d))
    x = cen[rng.integers(0, 1000, n)] + rng.normal(size=(n, d))
    x.tofile(xpath)
    qi = np.sort(rng.choice(n, q, replace=False)).astype(np.int64)
    qi.tofile(qpath)
    sq = (x * x).sum(axis=1)
    gt = np.empty((q, k), dtype=np.int64)
    for a in range(0, q, 64):
        b = min(q, a + 64)
        dd = sq[qi[a:b], None] - 2 * x[qi[a:b]] @ x.T + sq[None, :]
        dd[np.arange(b - a), qi[a:b]] = np.inf
        part = np.argpartition(dd, k, axis=1)[:, :k]
        order = np.take_along_axis(dd, part, axis=1).argsort(axis=1)
        gt[a:b] = np.take_along_axis(part, order, axis=1)
    gt.tofile(gpath)


def run_faiss(n, d, xpath, lists, q, qpath, gpath, k, probes):
    import faiss
    x = np.fromfile(xpath).reshape(n, d).astype(np.float32)
    qi = np.fromfile(qpath, dtype=np.int64)
    gt = np.fromfile(gpath, dtype=np.int64).reshape(q, k)
    xq = np.ascontiguousarray(x[qi])
    t0, c0 = time.perf_counter(), time.process_time()
    quant = faiss.IndexFlatL2(d)
    index = faiss.IndexIVFFlat(quant, d, lists)
    index.cp.niter = 25
    index.cp.max_points_per_centroid = 256
    index.train(x)
    index.add(x)
    print("faiss build: %.2f s wall, %.2f s cpu" %
          (time.perf_counter() - t0, time.process_time() - c0))
    for p in probes:
        index.nprobe = p
        t0, c0 = time.perf_counter(), time.process_time()
        _, I = index.search(xq, k + 1)
        w, c = time.perf_counter() - t0, time.process_time() - c0
        hit = 0
        for j in range(q):
            row = [i for i in I[j] if i != qi[j] and i >= 0][:k]
            hit += len(set(row) & set(gt[j].tolist()))
        print("faiss nprobe %d: %.2f s wall, %.2f s cpu, recall@%d %.4f" %
              (p, w, c, k, hit / (q * k)))
    flat = faiss.IndexFlatL2(d)
    flat.add(x)
    t0, c0 = time.perf_counter(), time.process_time()
    flat.search(xq, k + 1)
    print("faiss exact (IndexFlatL2, the %d queries): %.2f s wall, "
          "%.2f s cpu" % (q, time.perf_counter() - t0,
                          time.process_time() - c0))
    print("faiss peak RSS: %d MiB" %
          (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024))


if __name__ == "__main__":
    a = sys.argv
    if a[1] == "gen":
        gen(int(a[2]), int(a[3]), a[4], int(a[5]), a[6], a[7], int(a[8]))
    else:
        run_faiss(int(a[2]), int(a[3]), a[4], int(a[5]), int(a[6]), a[7],
                  a[8], int(a[9]), [int(p) for p in a[10:]])
