#!/bin/sh
# examples/plot/run.sh - a pruning curve on Fashion-MNIST, end to end:
#
#   nsl-convert   IDX images -> JSONL (pixels / 255)
#   nsl-embed     PCA to 50 dimensions, fitted on 20000 training images,
#                 the same map applied to train and test
#   nsl-score     class-prototype score (distance to the own class mean;
#                 high = atypical = "hard")
#   nsl-prune     keep N = 500 .. 16000 examples, class-balanced (--by
#                 label), by strategy random, hard or easy
#   nsl-probe     linear probe on each subset, tested on all 10000 images
#   nsl-fit       power-offset law per strategy, 200 bootstrap resamples,
#                 the largest N held out
#   nsl-plot      test error against N, log-log, fits dashed beyond the
#                 data up to the full 60000
#
# Writes results.jsonl, fit.jsonl and expected.png next to this script
# (WORK keeps the intermediate files; default /tmp/nsl-example-plot).
# Needs Debian's dataset-fashion-mnist and gnuplot-nox.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
PATH=$here/../../bin:$PATH
src=/usr/share/datasets/fashion-mnist
w=${WORK:-/tmp/nsl-example-plot}
mkdir -p "$w"
for s in train t10k; do
	[ -s "$w/$s.jsonl.gz" ] || nsl-convert --scale 0.00392156862745098 \
	    --labels "$src/$s-labels-idx1-ubyte.gz" \
	    "$src/$s-images-idx3-ubyte.gz" -o "$w/$s.jsonl.gz"
done
zcat "$w/train.jsonl.gz" | head -20000 > "$w/fit20k.jsonl"
nsl-embed --fit "$w/fit20k.jsonl" --dim 50 --save "$w/pca50.json" < /dev/null
nsl-embed --load "$w/pca50.json" "$w/train.jsonl.gz" |
    nsl-score --metric class-prototype -o "$w/train50.jsonl.gz"
nsl-embed --load "$w/pca50.json" "$w/t10k.jsonl.gz" -o "$w/test50.jsonl.gz"
: > "$w/results.jsonl"
for strategy in random hard easy; do
	for n in 500 1000 2000 4000 8000 16000; do
		nsl-prune --strategy $strategy --keep $n --by label --seed 1 \
		    "$w/train50.jsonl.gz" -o "$w/sub.jsonl"
		nsl-probe --train "$w/sub.jsonl" --test "$w/test50.jsonl.gz" \
		    --l2 1e-3 --tag strategy=$strategy >> "$w/results.jsonl"
	done
done
cp "$w/results.jsonl" "$here/results.jsonl"
nsl-fit --law power-offset --x n_train --y test_error --by strategy \
    --bootstrap 200 --holdout-largest n_train --seed 1 \
    "$here/results.jsonl" > "$here/fit.jsonl"
nsl-plot --x n_train --y test_error --group strategy --logx --logy \
    --fit "$here/fit.jsonl" --xmax 60000 \
    --xlabel 'training examples kept (class-balanced)' \
    --ylabel 'test error (linear probe, PCA-50)' \
    --title 'Fashion-MNIST: pruning by class-prototype distance' \
    -o "$here/expected.png" "$here/results.jsonl"
