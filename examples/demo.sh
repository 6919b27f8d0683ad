#!/bin/sh
# make demo: the longest end-to-end path the finished tools cover.
# Until the pipelines land: Debian's Fashion-MNIST (IDX files) -> JSONL
# records with labels -> a NumPy matrix and back, checked byte for byte.
set -eu
cd "$(dirname "$0")/.."
PATH="$PWD/bin:$PATH"
src=/usr/share/datasets/fashion-mnist
out=examples/out
mkdir -p "$out"

start=$(date +%s)
for split in train t10k; do
	echo "== nsl-convert $split images + labels -> $out/$split.jsonl.gz"
	nsl-convert --scale 0.00392156862745098 \
	    --labels "$src/$split-labels-idx1-ubyte.gz" \
	    "$src/$split-images-idx3-ubyte.gz" -o "$out/$split.jsonl.gz"
done

echo "== records and labels per class (test set)"
zcat "$out/t10k.jsonl.gz" | jq -r .label | sort -n | uniq -c |
    awk '{ printf "  label %s: %s\n", $2, $1 }'
echo "== first record, shortened"
zcat "$out/t10k.jsonl.gz" | head -1 |
    jq -c '{id: .id, label: .label, dim: (.embedding | length),
        pixels_400_403: .embedding[400:404]}'

echo "== round trip: JSONL -> .npy (vectors + labels) -> JSONL, compared byte for byte"
nsl-convert --to npy --labels "$out/t10k-labels.npy" "$out/t10k.jsonl.gz" \
    -o "$out/t10k.npy"
zcat "$out/t10k.jsonl.gz" > "$out/t10k.jsonl"
nsl-convert --labels "$out/t10k-labels.npy" "$out/t10k.npy" \
    -o "$out/t10k-roundtrip.jsonl"
cmp "$out/t10k.jsonl" "$out/t10k-roundtrip.jsonl" && echo "  identical"
ls -l "$out"
echo "demo done in $(( $(date +%s) - start )) s"
