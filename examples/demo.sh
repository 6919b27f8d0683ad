#!/bin/sh
# make demo: the data-pruning scaling study, end to end, in two parts.
#  1. Fashion-MNIST (Debian's dataset-fashion-mnist): PCA embeddings
#     (pipelines/fashion-mnist.mk), then pipelines/pruning-curve.mk: scores
#     (prototype; EL2N and forgetting from a small MLP's training
#     dynamics), pruning by EL2N with each strategy, a linear probe on every
#     subset, power-offset and exp-offset fits, figures.
#  2. The teacher-student perceptron of Sorscher et al. 2022
#     (pipelines/perceptron.mk): keep the hardest, exact error, fits, figures.
# Each part ends with the pruning frontier (nsl-frontier): the best run at
# each kept size, its laws, and whether it beats the unpruned power law.
# Everything goes under examples/out/ (OUT=...); make's dependencies make a
# second run do no work.  JOBS (default: the number of cores) and
# SSHLOGINFILE are passed on to the pipelines.
set -eu
cd "$(dirname "$0")/.."
out=${OUT:-examples/out}
export JOBS="${JOBS:-$(nproc)}"
m="make --no-print-directory -f"
start=$(date +%s)

echo "== 1. Fashion-MNIST: PCA embeddings -> $out/fashion-mnist"
$m pipelines/fashion-mnist.mk OUT="$out/fashion-mnist"
echo "== pruning curves -> $out/pruning-curve"
$m pipelines/pruning-curve.mk OUT="$out/pruning-curve" \
    TRAIN="$out/fashion-mnist/train.jsonl" TEST="$out/fashion-mnist/test.jsonl"
echo "== 2. teacher-student perceptron -> $out/perceptron"
$m pipelines/perceptron.mk OUT="$out/perceptron"

echo
$m pipelines/pruning-curve.mk OUT="$out/pruning-curve" \
    TRAIN="$out/fashion-mnist/train.jsonl" TEST="$out/fashion-mnist/test.jsonl" table
echo
$m pipelines/perceptron.mk OUT="$out/perceptron" table
echo
echo "the pruning frontier against the unpruned power law (nsl-frontier):"
printf '  Fashion-MNIST, best of every strategy and keep fraction: %s\n' \
    "$(jq -r '"\(.verdict), P(frontier lower at \(.at)) = \(.p_frontier_lower)"' "$out/pruning-curve/frontier.jsonl")"
for f in "$out"/perceptron/frontier-t*.jsonl; do
	[ -e "$f" ] || continue		# FRACTIONS without 1: no frontier
	t=${f##*/frontier-t}
	printf '  perceptron, probe angle %s deg: %s\n' "${t%.jsonl}" \
	    "$(jq -r '"\(.verdict), P(frontier lower at alpha \(.at)) = \(.p_frontier_lower)"' "$f")"
done
echo
echo "demo done in $(( $(date +%s) - start )) s (examples/pruning-curve/README.md" \
    "and examples/perceptron/README.md explain the tables and figures)"
