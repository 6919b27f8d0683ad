# pipelines/fashion-mnist.mk - Fashion-MNIST as PCA embeddings, the input
# of `make demo` (pruning-curve.mk) and of the other pipelines' examples.
#
#   make -f pipelines/fashion-mnist.mk [OUT=out/fashion-mnist] [PCA_DIM=32]
#        [FMNIST=/usr/share/datasets/fashion-mnist]
#
# Debian's dataset-fashion-mnist IDX files -> records {"id","label",
# "embedding"} with pixels in [0, 1] (nsl-convert) -> the PCA map fitted on
# the 60000 training images (nsl-embed --save) -> $(OUT)/train.jsonl and
# $(OUT)/test.jsonl with PCA_DIM-dimensional float32 embeddings.  The
# 784-pixel records are intermediate files: make deletes them at the end
# and does not remake them while the embeddings are up to date.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

OUT ?= out/fashion-mnist
PCA_DIM ?= 32
FMNIST ?= /usr/share/datasets/fashion-mnist

all: $(OUT)/train.jsonl $(OUT)/test.jsonl

$(OUT)/pixels-train.jsonl: $(FMNIST)/train-images-idx3-ubyte.gz $(FMNIST)/train-labels-idx1-ubyte.gz
$(OUT)/pixels-test.jsonl: $(FMNIST)/t10k-images-idx3-ubyte.gz $(FMNIST)/t10k-labels-idx1-ubyte.gz
$(OUT)/pixels-%.jsonl:
	@mkdir -p $(@D)
	@echo "  CONVERT $< -> $@"
	@nsl-convert -q --scale 0.00392156862745098 --labels $(word 2,$^) $< -o $@

$(OUT)/pca.json: $(OUT)/pixels-train.jsonl $(OUT)/pca-dim
	@echo "  PCA     $(PCA_DIM) dimensions -> $@"
	@nsl-embed -q --fit $< --dim $(PCA_DIM) --save $@ < /dev/null

$(OUT)/pca-dim: FORCE
	$(call write-if-changed,$@,$(PCA_DIM))

$(OUT)/%.jsonl: $(OUT)/pixels-%.jsonl $(OUT)/pca.json
	@echo "  EMBED   $< -> $@"
	@nsl-embed -q --load $(OUT)/pca.json --float32 $< -o $@

.INTERMEDIATE: $(OUT)/pixels-train.jsonl $(OUT)/pixels-test.jsonl

clean:
	rm -rf $(OUT)

FORCE:
.PHONY: all clean FORCE
