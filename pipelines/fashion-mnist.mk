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
$(call check-names,OUT FMNIST)

all: $(OUT)/train.jsonl $(OUT)/test.jsonl

$(OUT)/pixels-train.jsonl: $(FMNIST)/train-images-idx3-ubyte.gz $(FMNIST)/train-labels-idx1-ubyte.gz
$(OUT)/pixels-test.jsonl: $(FMNIST)/t10k-images-idx3-ubyte.gz $(FMNIST)/t10k-labels-idx1-ubyte.gz
$(OUT)/pixels-%.jsonl:
	@mkdir -p $(call q,$(@D))
	@printf '  CONVERT %s -> %s\n' $(call q,$<) $(call q,$@)
	@nsl-convert -q --scale 0.00392156862745098 --labels $(call q,$(word 2,$^)) $(call q,$<) -o $(call q,$@)

$(OUT)/pca.json: $(OUT)/pixels-train.jsonl $(OUT)/pca-dim
	@printf '  PCA     %s dimensions -> %s\n' $(call q,$(PCA_DIM)) $(call q,$@)
	@nsl-embed -q --fit $(call q,$<) --dim $(call q,$(PCA_DIM)) --save $(call q,$@) < /dev/null

$(OUT)/pca-dim: FORCE
	$(call write-if-changed,$@,$(PCA_DIM))

$(OUT)/%.jsonl: $(OUT)/pixels-%.jsonl $(OUT)/pca.json
	@printf '  EMBED   %s -> %s\n' $(call q,$<) $(call q,$@)
	@nsl-embed -q --load $(call q,$(OUT)/pca.json) --float32 $(call q,$<) -o $(call q,$@)

.INTERMEDIATE: $(OUT)/pixels-train.jsonl $(OUT)/pixels-test.jsonl

clean:
	rm -rf $(call q,$(OUT))

FORCE:
.PHONY: all clean FORCE
