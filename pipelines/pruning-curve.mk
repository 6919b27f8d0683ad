# pipelines/pruning-curve.mk - test error against dataset size under data
# pruning, per strategy (Sorscher et al. 2022 on your own embeddings).
#
#   make -f pipelines/pruning-curve.mk TRAIN=train.jsonl TEST=test.jsonl
#        [OUT=out/pruning-curve] [SCORE=el2n] [STRATEGIES='easy hard random stratified']
#        [FRACTIONS='0.25 0.5'] [SIZES='1000 2000 4000 8000 16000 32000']
#        [SEED=0] [BY=label] [DYN_EPOCHS=5] [DYN_HIDDEN=64] [JOBS=2]
#        [PROBE_L2=0.0001] [FIT_LOSS=log-ls] [SSHLOGINFILE=hosts] [PLOT_FORMAT=png]
#
# TRAIN and TEST hold records {"id", "label", "embedding"}.
#  1. Scores of every training example ($(OUT)/pool.jsonl): "prototype"
#     (nsl-score: cosine distance to the nearest k-means centroid of the
#     normalised embeddings, self-supervised) and "el2n" and "forgetting"
#     (nsl-score on the per-epoch logits of a small MLP trained on TRAIN
#     with nsl-probe --dynamics).  Higher = harder.
#  2. For each size n in SIZES: a random subset of n examples of the pool;
#     for each keep fraction f in FRACTIONS and strategy: nsl-prune keeps
#     round(f n) of them by SCORE (class-balanced with BY=label; BY= for
#     none); plus the unpruned subset (series "none").
#  3. nsl-probe (linear, L2 1e-4) trains on each pruned subset and
#     measures the error on TEST: $(OUT)/results.jsonl, one record per run
#     with series ("STRATEGY f=F"), strategy, f, size, n_train, test_error.
#  4. nsl-fit power-offset and exp-offset of test_error against n_train
#     per series (the largest size held out): $(OUT)/fits.jsonl.
#  5. nsl-plot: one figure per keep fraction, error against kept examples,
#     the series of each strategy and "none", log-log, with the fit of the
#     smaller held-out error: $(OUT)/pruning-fF.$(PLOT_FORMAT).
#  6. The pruning frontier (nsl-frontier, Sorscher et al. Fig. 1): at each
#     nominal kept size f x size, the best run over every strategy and
#     keep fraction ("none" included); power-offset, exp-offset and BNSL
#     fitted to it (the largest held out, bootstrap), the best compared
#     with the power law of the unpruned runs: $(OUT)/frontier.jsonl (the
#     verdict), frontier-points.jsonl, frontier-fits.jsonl and the figure
#     $(OUT)/frontier.$(PLOT_FORMAT).
# `make -f ... table` prints the error table, the fits and the frontier.
# Strategies: hard, easy and stratified rank by SCORE; random draws;
# k-center, herding and facility-location choose on the embeddings.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

TRAIN ?= $(error set TRAIN=records.jsonl (embedding, label, id))
TEST ?= $(error set TEST=records.jsonl (embedding, label))
OUT ?= out/pruning-curve
SCORE ?= el2n
STRATEGIES ?= easy hard random stratified
FRACTIONS ?= 0.25 0.5
SIZES ?= 1000 2000 4000 8000 16000 32000
SEED ?= 0
BY ?= label
DYN_EPOCHS ?= 5
DYN_HIDDEN ?= 64
PROBE_L2 ?= 0.0001
PLOT_FORMAT ?= png
FIT_LOSS ?= log-ls
$(call check-names,TRAIN TEST OUT PLOT_FORMAT)
$(call check-words,FRACTIONS SIZES)

FIGS = $(FRACTIONS:%=$(OUT)/pruning-f%.$(PLOT_FORMAT))
FRONTIER_FIG = $(OUT)/frontier.$(PLOT_FORMAT)
# the strategies that read SCORE, for the titles
SCORED = $(filter hard easy stratified,$(STRATEGIES))
BY_SCORE = $(if $(SCORED),$(nsl-comma) $(SCORED) by $(SCORE))

all: $(FIGS) $(OUT)/fits.jsonl $(FRONTIER_FIG)

# -- 1. scores ------------------------------------------------------------
$(OUT)/dynamics.jsonl: $(TRAIN) $(OUT)/dyn-knobs
	@mkdir -p $(call q,$(@D))
	@printf '  DYNAMICS mlp, %s epochs -> %s\n' $(call q,$(DYN_EPOCHS)) $(call q,$@)
	@nsl-probe -q --train $(call q,$(TRAIN)) --model mlp --hidden $(call q,$(DYN_HIDDEN)) \
	    --epochs $(call q,$(DYN_EPOCHS)) --seed $(call q,$(SEED)) --dynamics $(call q,$@) \
	    -o $(call q,$(OUT)/dynamics-probe.json)

$(OUT)/dyn-knobs: FORCE
	$(call write-if-changed,$@,$(DYN_EPOCHS) $(DYN_HIDDEN) $(SEED))

# One record per line, [id, el2n, forgetting], in training order.
$(OUT)/dyn-scores.jsonl: $(OUT)/dynamics.jsonl
	@nsl-score --metric el2n,forgetting --out-field s $(call q,$<) | \
	    jq -c '[.id, .s_el2n, .s_forgetting]' > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

POOL_JQ = input as $$s | if .id != $$s[0] then error("id \(.id) != \($$s[0])") \
  else . + {el2n: $$s[1], forgetting: $$s[2]} end

$(OUT)/pool.jsonl: $(TRAIN) $(OUT)/dyn-scores.jsonl
	@printf '  SCORE   prototype, el2n, forgetting -> %s\n' $(call q,$@)
	@nsl-score -q --metric prototype --out-field prototype --seed $(call q,$(SEED)) $(call q,$(TRAIN)) | \
	    paste -d '\n' - $(call q,$(OUT)/dyn-scores.jsonl) | jq -c '$(POOL_JQ)' > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

# -- 2./3. subsets and probes ----------------------------------------------
$(OUT)/pool-%.jsonl: $(OUT)/pool.jsonl
	@nsl-prune -q --strategy random --keep $(call q,$*) --score-field prototype --seed $(call q,$(SEED)) \
	    -o $(call q,$@) $(call q,$<)

$(OUT)/jobs.txt: FORCE
	$(call write-if-changed,$@,$(foreach n,$(SIZES),none:1:$(n) \
	  $(foreach f,$(filter-out 1,$(FRACTIONS)),$(foreach s,$(STRATEGIES),$(s):$(f):$(n)))))

# One run: $1 strategy (none: the whole subset), $2 keep fraction, $3 size.
RUN = if [ "$$1" = none ]; then cat $(call q,$(OUT))/pool-"$$3".jsonl; else \
  nsl-prune -q --strategy "$$1" --keep-fraction "$$2" --score-field $(call q,$(SCORE)) \
    $(if $(BY),--by $(call q,$(BY))) --seed $(call q,$(SEED)) $(call q,$(OUT))/pool-"$$3".jsonl; fi | \
  nsl-probe -q --train - --test $(call q,$(TEST)) --l2 $(call q,$(PROBE_L2)) \
    --tag "series=$$1 f=$$2" --tag strategy="$$1" --tag score=$(call q,$(SCORE)) \
    --tag f="$$2" --tag size="$$3" -o $(call q,$(OUT))/runs/"$$1"-f"$$2"-n"$$3".json

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(SCORE) $(BY) $(SEED) $(PROBE_L2))

$(OUT)/results.jsonl: $(OUT)/jobs.txt $(OUT)/knobs $(TEST) $(SIZES:%=$(OUT)/pool-%.jsonl)
	$(call run-missing,$<,$(OUT)/runs,{1}-f{2}-n{3},$(RUN))
	@$(call gather,$<,$(OUT)/runs,{1}-f{2}-n{3}) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# -- 4./5. fits and figures -------------------------------------------------
$(OUT)/fits.jsonl: $(OUT)/results.jsonl
	@printf '  FIT     %s\n' $(call q,$@)
	@nsl-fit -q --loss $(call q,$(FIT_LOSS)) --law power-offset,exp-offset --x n_train --y test_error \
	    --by series --holdout-largest n_train -o $(call q,$@) $(call q,$<)

# Per series, the law with the smaller held-out error.
$(OUT)/best.jsonl: $(OUT)/fits.jsonl
	@jq -c -s 'group_by(.by.series)[] | min_by(.holdout.rmsle)' $(call q,$<) > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/points-f%.jsonl: $(OUT)/results.jsonl
	@jq -c --argjson f $(call q,$*) 'select(.f == $$f or .strategy == "none")' $(call q,$<) > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/pruning-f%.$(PLOT_FORMAT): $(OUT)/points-f%.jsonl $(OUT)/best.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x n_train --y test_error --group series --logx --logy \
	    --fit $(call q,$(OUT)/best.jsonl) --xlabel 'examples kept' --ylabel 'test error' \
	    --title $(call q,pruned subsets: keep fraction $* of each size$(BY_SCORE)) -o $(call q,$@) $(call q,$<)

# -- 6. the frontier ----------------------------------------------------------
# Grouped by the nominal kept size f x size: the runs with class-balanced
# rounding keep a few more or fewer, and would never meet at one n_train.
$(OUT)/frontier.jsonl: $(OUT)/results.jsonl
	@printf '  FRONTIER %s\n' $(call q,$@)
	@jq -c '. + {kept: (.f * .size)}' $(call q,$<) | \
	    nsl-frontier -q --loss $(call q,$(FIT_LOSS)) --x n_train --y test_error --fraction f \
	    --group kept --seed $(call q,$(SEED)) --points $(call q,$(OUT)/frontier-points.jsonl) \
	    --fits $(call q,$(OUT)/frontier-fits.jsonl) -o $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

FRONTIER_PTS_JQ = select(.f == 1) | .series = "unpruned"

$(FRONTIER_FIG): $(OUT)/frontier.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@jq -c --slurpfile s $(call q,$<) 'select(.by.series == "unpruned" or .law == $$s[0].best_law)' \
	    $(call q,$(OUT)/frontier-fits.jsonl) > $(call q,$(OUT)/frontier-best.jsonl)
	@{ jq -c '.series = "frontier"' $(call q,$(OUT)/frontier-points.jsonl); \
	   jq -c '$(FRONTIER_PTS_JQ)' $(call q,$(OUT)/results.jsonl); } | \
	  nsl-plot --x n_train --y test_error --group series --logx --logy \
	    --fit $(call q,$(OUT)/frontier-best.jsonl) --xlabel 'examples kept' --ylabel 'test error' \
	    --title "the pruning frontier (best of every strategy and keep fraction), verdict: $$(jq -r .verdict $(call q,$<))" \
	    -o $(call q,$@)

TABLE_JQ = group_by(.series) | sort_by(.[0].f, .[0].strategy) | reverse[] | \
  "  \(.[0].series)\t" + (sort_by(.size) | map(.test_error * 1e4 | round / 1e2 | tostring) | join("\t"))
FITTAB_JQ = "  \(.by.series)\t\(.law)\t" + \
  (if .law == "exp-offset" then "b=\(.params.b * 1e7 | round / 1e7)" \
   else "a=\(.params.a * 1e4 | round / 1e4)" end) + \
  "\tE=\(.params.E * 1e4 | round / 1e4)\theld-out rmsle=\(.holdout.rmsle * 1e4 | round / 1e4)"

FRONTAB_JQ = "  \(.n_train)\t\(.test_error * 1e4 | round / 1e2)\t\(.strategy)\t\(.f)\t\(.size)"

table: $(OUT)/results.jsonl $(OUT)/fits.jsonl $(OUT)/frontier.jsonl
	@printf 'test error (%%): series (strategy, keep fraction) x pool size%s\n' $(call q,$(BY_SCORE))
	@{ printf '  series'; printf '\t%s' $(call qw,$(SIZES)); printf '\n'; \
	  jq -r -s '$(TABLE_JQ)' $(call q,$(OUT)/results.jsonl); } | $(COLUMN)
	@printf 'fits of test error against examples kept (held out: size %s):\n' $(call q,$(lastword $(SIZES)))
	@jq -r '$(FITTAB_JQ)' $(call q,$(OUT)/fits.jsonl) | $(COLUMN)
	@printf 'the pruning frontier: the best run at each kept size, over every strategy and keep fraction:\n'
	@{ printf '  kept\terror (%%)\tstrategy\tf\tpool\n'; \
	   jq -r '$(FRONTAB_JQ)' $(call q,$(OUT)/frontier-points.jsonl); } | $(COLUMN)
	@jq -r -f $(call q,$(NSL_ROOT)/pipelines/frontier-table.jq) $(call q,$(OUT)/frontier.jsonl)
	@for f in $(call qw,$(FIGS) $(FRONTIER_FIG)); do printf 'figure: %s\n' "$$f"; done

clean:
	rm -rf $(call q,$(OUT))

.SECONDARY: $(SIZES:%=$(OUT)/pool-%.jsonl) $(OUT)/best.jsonl $(FRACTIONS:%=$(OUT)/points-f%.jsonl)

FORCE:
.PHONY: all table clean FORCE
