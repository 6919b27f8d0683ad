# pipelines/scaling-law.mk - measurements -> several laws fitted and scored
# on held-out points -> the best law extrapolated: a compute-optimal table
# over a compute grid -> a figure.
#
#   make -f pipelines/scaling-law.mk [OUT=out/scaling-law]
#        [MEASUREMENTS=runs.jsonl | CSV=tests/data/svg_extracted_data.csv]
#        [LAWS='chinchilla chinchilla-tied kaplan'] [HOLDOUT='C>=1e21']
#        [FIT_ARGS='--drop-top 5'] [BOOTSTRAP=200] [COMPUTE='1e18 1e19 ...']
#        [JOBS=2] [SSHLOGINFILE=hosts] [PLOT_FORMAT=png]
#
# MEASUREMENTS: records with N (parameters), D (training tokens) and loss
# (C = 6 N D is added when missing).  By default they come from the
# Chinchilla (Hoffmann et al. 2022, Fig. 4) points digitised by Epoch AI,
# tests/data/svg_extracted_data.csv, with D = C / 6N as in Besiroglu et al.
#  1. Each law of LAWS is fitted (nsl-fit, one parallel job per law) on the
#     points failing HOLDOUT and scored on those passing it:
#     $(OUT)/fits/LAW.json, and $(OUT)/ranking.jsonl best first.
#  2. The best law by held-out RMSLE among those nsl-extrapolate can solve
#     for compute-optimal allocation (chinchilla, chinchilla-tied) is refit
#     on all points with BOOTSTRAP resamples: $(OUT)/best.json.
#  3. nsl-extrapolate --compute-optimal over COMPUTE: $(OUT)/optimal.jsonl
#     (N_opt, D_opt, L_opt with intervals).
#  4. nsl-plot: loss against compute, the measurements and the compute-
#     optimal frontier: $(OUT)/scaling-law.$(PLOT_FORMAT).
# `make -f ... table` prints the ranking and the compute-optimal table.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

OUT ?= out/scaling-law
CSV ?= $(NSL_ROOT)/tests/data/svg_extracted_data.csv
MEASUREMENTS ?= $(OUT)/measurements.jsonl
LAWS ?= chinchilla chinchilla-tied kaplan
HOLDOUT ?= C>=1e21
FIT_ARGS ?= --drop-top 5
BOOTSTRAP ?= 200
SEED ?= 0
COMPUTE ?= 1e18 1e19 1e20 1e21 1e22 1e23 1e24 1e25
PLOT_FORMAT ?= png
$(call check-names,OUT CSV MEASUREMENTS PLOT_FORMAT)

all: $(OUT)/scaling-law.$(PLOT_FORMAT) $(OUT)/optimal.jsonl

# Epoch AI's reading of the Chinchilla figure: N, C given; D = C / 6N.
EPOCH_JQ = {N: .["Model Size"], D: (.["Training FLOP"] / (6 * .["Model Size"])), \
  C: .["Training FLOP"], loss}
$(OUT)/measurements.jsonl: $(CSV)
	@mkdir -p $(call q,$(@D))
	@nsl-convert -q $(call q,$<) | jq -c '$(EPOCH_JQ)' > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/points.jsonl: $(MEASUREMENTS)
	@mkdir -p $(call q,$(@D))
	@jq -c 'if has("C") then . else . + {C: (6 * .N * .D)} end' $(call q,$<) > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/jobs.txt: FORCE
	$(call write-if-changed,$@,$(LAWS))

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(subst $(space),:,$(HOLDOUT) $(FIT_ARGS)))

space := $(subst ,, )

# One job per law ($1).
RUN = nsl-fit -q --law "$$1" $(call qw,$(FIT_ARGS)) --holdout $(call q,$(HOLDOUT)) \
  -o $(call q,$(OUT))/fits/"$$1".json $(call q,$(OUT)/points.jsonl)

$(OUT)/ranking.jsonl: $(OUT)/jobs.txt $(OUT)/knobs $(OUT)/points.jsonl
	$(call run-missing,$<,$(OUT)/fits,{1},$(RUN))
	@cat $(call qw,$(addprefix $(OUT)/fits/,$(addsuffix .json,$(LAWS)))) | \
	    jq -c -s 'sort_by(.holdout.rmsle)[]' > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# BOOTSTRAP and SEED for the refit, COMPUTE for the table: a change reruns them.
$(OUT)/refit-knobs: FORCE
	$(call write-if-changed,$@,$(BOOTSTRAP) $(SEED))

$(OUT)/compute: FORCE
	$(call write-if-changed,$@,$(COMPUTE))

$(OUT)/best.json: $(OUT)/ranking.jsonl $(OUT)/refit-knobs
	@law=$$(jq -r 'select(.law == "chinchilla" or .law == "chinchilla-tied") | .law' $(call q,$<) | head -1); \
	  [ -n "$$law" ] || { echo "scaling-law.mk: no chinchilla or chinchilla-tied law in LAWS" >&2; exit 1; }; \
	  printf '  FIT     %s on all points, %s bootstrap resamples -> %s\n' "$$law" $(call q,$(BOOTSTRAP)) $(call q,$@); \
	  nsl-fit -q --law "$$law" $(call qw,$(FIT_ARGS)) --bootstrap $(call q,$(BOOTSTRAP)) --seed $(call q,$(SEED)) \
	    -o $(call q,$@) $(call q,$(OUT)/points.jsonl)

$(OUT)/optimal.jsonl: $(OUT)/best.json $(OUT)/compute
	@printf '{"C":%s}\n' $(call qw,$(COMPUTE)) | nsl-extrapolate -q --fit $(call q,$<) --compute-optimal -o $(call q,$@)

$(OUT)/plot-points.jsonl: $(OUT)/points.jsonl $(OUT)/optimal.jsonl $(OUT)/best.json
	@{ jq -c '{C, loss, series: "measured"}' $(call q,$(OUT)/points.jsonl); \
	   law=$$(jq -r .law $(call q,$(OUT)/best.json)); \
	   jq -c --arg s "compute-optimal ($$law)" '{C, loss: .L_opt, series: $$s}' $(call q,$(OUT)/optimal.jsonl); \
	 } > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/scaling-law.$(PLOT_FORMAT): $(OUT)/plot-points.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x C --y loss --group series --logx --logy \
	    --xlabel 'training compute C = 6 N D (FLOP)' --ylabel loss \
	    --title 'measurements and the compute-optimal frontier of the best law' -o $(call q,$@) $(call q,$<)

SHORT_JQ = if . >= 1e4 then (log10 | floor) as $$e | "\(. / pow(10; $$e) * 1000 | round / 1000)e\($$e)" \
  else (. * 1e4 | round / 1e4 | tostring) end
RANK_JQ = "  \(.law)\t\(.n) fitted\trmsle \(.rmsle * 1e4 | round / 1e4)\t" + \
  "held-out n=\(.holdout.n) rmsle \(.holdout.rmsle * 1e4 | round / 1e4)\t" + \
  (.params | to_entries | map("\(.key)=\(.value | $(SHORT_JQ))") | join(" "))
OPT_JQ = "  \(.C)\t\(.N_opt / 1e9 * 100 | round / 100)\t\(.D_opt / 1e9 * 10 | round / 10)\t" + \
  "\(.D_opt / .N_opt * 10 | round / 10)\t\(.L_opt * 1000 | round / 1000) [\(.L_opt_lo * 1000 | round / 1000), \(.L_opt_hi * 1000 | round / 1000)]"

table: $(OUT)/ranking.jsonl $(OUT)/optimal.jsonl
	@printf 'laws ranked by held-out RMSLE (held out: %s):\n' $(call q,$(HOLDOUT))
	@jq -r '$(RANK_JQ)' $(call q,$(OUT)/ranking.jsonl) | $(COLUMN)
	@printf 'compute-optimal allocation, %s refit on all points (%s bootstrap resamples, %s%% intervals):\n' \
	    "$$(jq -r .law $(call q,$(OUT)/best.json))" $(call q,$(BOOTSTRAP)) \
	    "$$(jq -r '.level * 100' $(call q,$(OUT)/best.json))"
	@{ printf '  C\tN_opt (B)\tD_opt (B tokens)\tD/N\tL_opt [interval]\n'; \
	  jq -r '$(OPT_JQ)' $(call q,$(OUT)/optimal.jsonl); } | $(COLUMN)
	@printf 'figure: %s\n' $(call q,$(OUT)/scaling-law.$(PLOT_FORMAT))

clean:
	rm -rf $(call q,$(OUT))

FORCE:
.PHONY: all table clean FORCE
