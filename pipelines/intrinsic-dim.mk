# pipelines/intrinsic-dim.mk - the data-scaling exponent predicted from the
# intrinsic dimension of the data, against learning curves measured on it
# (Sharma and Kaplan 2022; Bahri et al., "Explaining Neural Scaling Laws").
#
#   make -f pipelines/intrinsic-dim.mk [OUT=out/intrinsic-dim] [WIDTHS='8 16 32 64']
#        [SIZES='250 500 1000 2000 4000 8000 16000 32000 60000']
#        [PROBES='mlp linear'] [ID_SIZES=1000,2000,4000,8000,16000,32000,60000]
#        [ESTIMATOR=twonn] [NUMERATOR=4] [SEED=0] [BOOTSTRAP=1000]
#        [MLP_HIDDEN=256] [MLP_PASSES=300000] [PROBE_L2=0.0001]
#        [TRAIN=pixels.jsonl TEST=pixels.jsonl | FMNIST=/usr/share/datasets/fashion-mnist]
#        [JOBS=2] [SSHLOGINFILE=hosts] [PLOT_FORMAT=png]
#
# TRAIN and TEST hold records {"id", "label", "embedding"} of raw vectors
# (default: Debian's Fashion-MNIST pixels in [0, 1], by nsl-convert).
#  1. For each width W in WIDTHS: PCA to W dimensions fitted on TRAIN
#     (nsl-embed, once to the largest width, then truncated), applied to
#     both: $(OUT)/train-W.jsonl, test-W.jsonl.
#  2. nsl-intrinsic-dim on each train-W: both estimators at the sizes of
#     ID_SIZES (d against n; a size above the set's is left out):
#     $(OUT)/id-W.jsonl; the prediction, ESTIMATOR's record at the largest
#     size: $(OUT)/pred-W.json (alpha = NUMERATOR / d).
#  3. For each width, probe and size n in SIZES (at most the training
#     set's): a random subset of n training records (nsl-prune, SEED),
#     nsl-probe trains on it and measures the test error:
#     $(OUT)/results.jsonl, one record per run with series ("PROBE w=W"),
#     probe, width, size, n_train, test_error.  The MLP runs about
#     MLP_PASSES example passes (epochs = MLP_PASSES / n, 10 to 600) so
#     that small sets are not left undertrained.
#  4. nsl-intrinsic-dim --regime per width: power-offset on each curve's
#     halves and whole, against the width's prediction:
#     $(OUT)/regime.jsonl, and the fit records $(OUT)/fits.jsonl.
#  5. nsl-plot: per probe, error against n per width with the curve of
#     the predicted exponent (a fixed at alpha, E and A fitted):
#     $(OUT)/curves-PROBE.$(PLOT_FORMAT); d against n per width and
#     estimator: $(OUT)/d-vs-n.$(PLOT_FORMAT).
# `make -f ... table` prints d, the predictions and the measured exponents.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

OUT ?= out/intrinsic-dim
FMNIST ?= /usr/share/datasets/fashion-mnist
TRAIN ?= $(OUT)/pixels-train.jsonl
TEST ?= $(OUT)/pixels-test.jsonl
WIDTHS ?= 8 16 32 64
SIZES ?= 250 500 1000 2000 4000 8000 16000 32000 60000
PROBES ?= mlp linear
ID_SIZES ?= 1000,2000,4000,8000,16000,32000,60000
ESTIMATOR ?= twonn
NUMERATOR ?= 4
SEED ?= 0
BOOTSTRAP ?= 1000
MLP_HIDDEN ?= 256
MLP_PASSES ?= 300000
PROBE_L2 ?= 0.0001
PLOT_FORMAT ?= png

$(call check-names,TRAIN TEST OUT PLOT_FORMAT FMNIST)
$(call check-words,WIDTHS PROBES SIZES)

FIGS = $(PROBES:%=$(OUT)/curves-%.$(PLOT_FORMAT)) $(OUT)/d-vs-n.$(PLOT_FORMAT)

all: $(FIGS) $(OUT)/regime.jsonl

# -- 0. Fashion-MNIST pixels, unless TRAIN and TEST are given ---------------
$(OUT)/pixels-train.jsonl: $(FMNIST)/train-images-idx3-ubyte.gz $(FMNIST)/train-labels-idx1-ubyte.gz
$(OUT)/pixels-test.jsonl: $(FMNIST)/t10k-images-idx3-ubyte.gz $(FMNIST)/t10k-labels-idx1-ubyte.gz
$(OUT)/pixels-%.jsonl:
	@mkdir -p $(call q,$(@D))
	@printf '  CONVERT %s -> %s\n' $(call q,$<) $(call q,$@)
	@nsl-convert -q --scale 0.00392156862745098 --labels $(call q,$(word 2,$^)) $(call q,$<) -o $(call q,$@)

# -- 1. PCA per width ---------------------------------------------------------
# One PCA to the widest width; a narrower width's embedding is the first
# W coordinates of it (principal components nest, so this is the PCA to
# W dimensions).  (The widths reach sort as quoted words, not as code.)
WMAX := $(lastword $(shell printf '%s\n' $(call qw,$(WIDTHS)) | sort -n))

$(OUT)/pca.json: $(TRAIN) $(OUT)/pca-knobs
	@mkdir -p $(call q,$(@D))
	@printf '  PCA     %s dimensions -> %s\n' $(call q,$(WMAX)) $(call q,$@)
	@nsl-embed -q --fit $(call q,$<) --dim $(call q,$(WMAX)) --save $(call q,$@)

$(OUT)/pca-knobs: FORCE
	$(call write-if-changed,$@,$(WMAX))

$(OUT)/train-pca.jsonl: $(TRAIN) $(OUT)/pca.json
	@printf '  EMBED   %s -> %s\n' $(call q,$<) $(call q,$@)
	@nsl-embed -q --load $(call q,$(OUT)/pca.json) --float32 $(call q,$<) -o $(call q,$@)

$(OUT)/test-pca.jsonl: $(TEST) $(OUT)/pca.json
	@printf '  EMBED   %s -> %s\n' $(call q,$<) $(call q,$@)
	@nsl-embed -q --load $(call q,$(OUT)/pca.json) --float32 $(call q,$<) -o $(call q,$@)

# The first W coordinates (W a width: jq gets it as a value, not as code).
TRUNCATE = jq -c --argjson w $(call q,$*) '.embedding |= .[:$$w]' $(call q,$<) > $(call q,$@.tmp) && \
	mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/train-%.jsonl: $(OUT)/train-pca.jsonl
	@$(TRUNCATE)

$(OUT)/test-%.jsonl: $(OUT)/test-pca.jsonl
	@$(TRUNCATE)

# -- 2. intrinsic dimension and the prediction --------------------------------
$(OUT)/id-knobs: FORCE
	$(call write-if-changed,$@,$(ID_SIZES) $(SEED))

# The sizes of ID_SIZES that the set has, and the set's own size.
$(OUT)/id-%.jsonl: $(OUT)/train-%.jsonl $(OUT)/id-knobs
	@printf '  ID      %s -> %s\n' $(call q,$<) $(call q,$@)
	@n=$$(wc -l < $(call q,$<)); s=$$(printf '%s\n' $(call q,$(ID_SIZES)) | tr ',' '\n' | \
	    awk -v n="$$n" '$$1 < n { printf "%s%s", c, $$1; c = "," } END { printf "%s%s", c, n }'); \
	nsl-intrinsic-dim -q --sizes "$$s" --seed $(call q,$(SEED)) -o $(call q,$@) $(call q,$<)

$(OUT)/pred-knobs: FORCE
	$(call write-if-changed,$@,$(ESTIMATOR) $(NUMERATOR))

PRED_JQ = map(select(.estimator == $$e)) | max_by(.n) | .c = $$c | .alpha = $$c / .d | \
  .alpha_interval = [$$c / .interval[1], $$c / .interval[0]]

$(OUT)/pred-%.json: $(OUT)/id-%.jsonl $(OUT)/pred-knobs
	@jq -c -s --arg e $(call q,$(ESTIMATOR)) --argjson c $(call q,$(NUMERATOR)) '$(PRED_JQ)' \
	    $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# -- 3. learning curves ------------------------------------------------------
$(OUT)/jobs.txt: FORCE
	$(call write-if-changed,$@,$(foreach w,$(WIDTHS),$(foreach p,$(PROBES),$(foreach n,$(SIZES),$(w):$(p):$(n)))))

# One run: $1 width w, $2 probe p, $3 size n (skipped, as an empty record file,
# when the training set is smaller).  The epochs are computed by awk from
# MLP_PASSES as a value: bash arithmetic would evaluate a knob as code.
RUN = o=$(call q,$(OUT)); w=$$1 p=$$2 n=$$3; f="$$o/runs/w$$w-$$p-n$$n.json"; tr="$$o/train-$$w.jsonl"; \
  if [ "$$n" -gt "$$(wc -l < "$$tr")" ]; then : > "$$f"; exit 0; fi; \
  probe() { nsl-prune -q --strategy random --keep "$$n" --score-field id --seed $(call q,$(SEED)) "$$tr" | \
    nsl-probe -q --train - --test "$$o/test-$$w.jsonl" "$$@" --l2 $(call q,$(PROBE_L2)) \
      --tag "series=$$p w=$$w" --tag "probe=$$p" --tag "width=$$w" --tag "size=$$n" -o "$$f"; }; \
  if [ "$$p" = mlp ]; then \
    e=$$(awk -v p=$(call q,$(MLP_PASSES)) -v n="$$n" 'BEGIN { e = int(p / n); \
      print (e < 10 ? 10 : (e > 600 ? 600 : e)) }'); \
    probe --model mlp --hidden $(call q,$(MLP_HIDDEN)) --epochs "$$e" --seed $(call q,$(SEED)); \
  else probe --model linear; fi

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(SEED) $(MLP_HIDDEN) $(MLP_PASSES) $(PROBE_L2))

$(OUT)/results.jsonl: $(OUT)/jobs.txt $(OUT)/knobs $(WIDTHS:%=$(OUT)/train-%.jsonl) $(WIDTHS:%=$(OUT)/test-%.jsonl)
	$(call run-missing,$<,$(OUT)/runs,w{1}-{2}-n{3},$(RUN))
	@$(call gather,$<,$(OUT)/runs,w{1}-{2}-n{3}) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# -- 4. regimes -------------------------------------------------------------
$(OUT)/regime-knobs: FORCE
	$(call write-if-changed,$@,$(BOOTSTRAP) $(SEED))

$(OUT)/regime.jsonl: $(OUT)/results.jsonl $(WIDTHS:%=$(OUT)/pred-%.json) $(OUT)/regime-knobs
	@printf '  REGIME  %s\n' $(call q,$@)
	@o=$(call q,$(OUT)); t=$(call q,$@.tmp); rm -f "$$t" "$$o/fits.jsonl.tmp"; \
	for w in $(call qw,$(WIDTHS)); do \
	  jq -c --argjson w "$$w" 'select(.width == $$w)' $(call q,$<) > "$$o/curve.tmp"; \
	  nsl-intrinsic-dim -q --regime --by series --predict "$$o/pred-$$w.json" \
	    --bootstrap $(call q,$(BOOTSTRAP)) --seed $(call q,$(SEED)) --fits "$$o/fits-w.tmp" "$$o/curve.tmp" \
	    | jq -c --argjson w "$$w" '{width: $$w} + .' >> "$$t"; \
	  cat "$$o/fits-w.tmp" >> "$$o/fits.jsonl.tmp"; \
	done; rm -f "$$o/curve.tmp" "$$o/fits-w.tmp"; \
	mv "$$o/fits.jsonl.tmp" "$$o/fits.jsonl" && mv "$$t" $(call q,$@)

# -- 5. figures -------------------------------------------------------------
CURVES_TITLE = $* probe on PCA widths; curves: a fixed at $(NUMERATOR)/d ($(ESTIMATOR))$(nsl-comma) E and A fitted

$(OUT)/curves-%.$(PLOT_FORMAT): $(OUT)/regime.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@o=$(call q,$(OUT)); p=$(call q,$*); \
	jq -c --arg p "$$p" 'select(.probe == $$p)' "$$o/results.jsonl" > "$$o/points-$$p.tmp"; \
	jq -c --arg p "$$p" 'select(.part == "predicted" and (.by.series | startswith($$p + " ")))' \
	    "$$o/fits.jsonl" > "$$o/pfits-$$p.tmp"; \
	nsl-plot --x n_train --y test_error --group series --logx --logy \
	    --fit "$$o/pfits-$$p.tmp" --xlabel 'training examples' --ylabel 'test error' \
	    --title $(call q,$(CURVES_TITLE)) -o $(call q,$@) "$$o/points-$$p.tmp"; \
	rm -f "$$o/points-$$p.tmp" "$$o/pfits-$$p.tmp"

$(OUT)/d-vs-n.$(PLOT_FORMAT): $(WIDTHS:%=$(OUT)/id-%.jsonl)
	@printf '  PLOT    %s\n' $(call q,$@)
	@o=$(call q,$(OUT)); for w in $(call qw,$(WIDTHS)); do \
	    jq -c --arg w "$$w" '{series: "\(.estimator) w=\($$w)", n, d}' "$$o/id-$$w.jsonl"; \
	done > "$$o/dn.tmp"; \
	nsl-plot --x n --y d --group series --logx --xmax 1000000 --xlabel 'points' \
	    --ylabel 'intrinsic dimension' --title 'd against n per PCA width' \
	    -o $(call q,$@) "$$o/dn.tmp"; \
	rm -f "$$o/dn.tmp"

ID_JQ = group_by(.estimator) | map({(.[0].estimator): (max_by(.n) | \
  "\(.d * 10 | round / 10) [\(.interval[0] * 10 | round / 10), \(.interval[1] * 10 | round / 10)]")}) | add
REGIME_JQ = "  \(.width)\t\(.by.series | split(" ")[0])\t\(.part)\t\(.from)-\(.to)\t" + \
  "\(.a * 1000 | round / 1000) [\(.interval[0] // "-" | if type == "number" then . * 1000 | round / 1000 else . end), " + \
  "\(.interval[1] // "-" | if type == "number" then . * 1000 | round / 1000 else . end)]\t" + \
  "\(.predicted * 1000 | round / 1000)\t\(.regime)"

table: $(OUT)/regime.jsonl
	@echo "intrinsic dimension of the training set per PCA width (largest n, 95% interval):"
	@o=$(call q,$(OUT)); { printf '  width\ttwonn\tmle\tpredicted alpha = %s/d (%s)\n' \
	    $(call q,$(NUMERATOR)) $(call q,$(ESTIMATOR)); \
	  for w in $(call qw,$(WIDTHS)); do \
	    jq -r -s --arg w "$$w" '$(ID_JQ) as $$v | "  \($$w)\t\($$v.twonn)\t\($$v.mle)"' "$$o/id-$$w.jsonl" | tr -d '\n'; \
	    jq -r '"\t\(.alpha * 1000 | round / 1000) [\(.alpha_interval[0] * 1000 | round / 1000), \(.alpha_interval[1] * 1000 | round / 1000)]"' "$$o/pred-$$w.json"; \
	  done; } | $(COLUMN)
	@echo "measured exponent a of test error = E + A n^-a (bootstrap 95%), against the prediction:"
	@{ printf '  width\tprobe\tpart\tn\ta [interval]\tpredicted\tregime\n'; \
	  jq -r '$(REGIME_JQ)' $(call q,$<); } | $(COLUMN)
	@printf 'figure: %s\n' $(call qw,$(FIGS))

clean:
	rm -rf $(call q,$(OUT))

.SECONDARY: $(OUT)/pca.json $(WIDTHS:%=$(OUT)/train-%.jsonl) \
	$(WIDTHS:%=$(OUT)/test-%.jsonl) $(WIDTHS:%=$(OUT)/id-%.jsonl) $(WIDTHS:%=$(OUT)/pred-%.json)
# The 784-pixel records are deleted once embedded (as fashion-mnist.mk does).
.INTERMEDIATE: $(OUT)/pixels-train.jsonl $(OUT)/pixels-test.jsonl $(OUT)/train-pca.jsonl $(OUT)/test-pca.jsonl

FORCE:
.PHONY: all table clean FORCE
