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

all: $(OUT)/scaling-law.$(PLOT_FORMAT) $(OUT)/optimal.jsonl

# Epoch AI's reading of the Chinchilla figure: N, C given; D = C / 6N.
EPOCH_JQ = {N: .["Model Size"], D: (.["Training FLOP"] / (6 * .["Model Size"])), \
  C: .["Training FLOP"], loss}
$(OUT)/measurements.jsonl: $(CSV)
	@mkdir -p $(@D)
	@nsl-convert -q $< | jq -c '$(EPOCH_JQ)' > $@.tmp && mv $@.tmp $@

$(OUT)/points.jsonl: $(MEASUREMENTS)
	@mkdir -p $(@D)
	@jq -c 'if has("C") then . else . + {C: (6 * .N * .D)} end' $< > $@.tmp && mv $@.tmp $@

$(OUT)/jobs.txt: FORCE
	$(call write-if-changed,$@,$(LAWS))

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(subst $(space),:,$(HOLDOUT) $(FIT_ARGS)))

space := $(subst ,, )

# One job per law ($1).
RUN = nsl-fit -q --law $$1 $(FIT_ARGS) --holdout '$(HOLDOUT)' \
  -o $(OUT)/fits/$$1.json $(OUT)/points.jsonl

$(OUT)/ranking.jsonl: $(OUT)/jobs.txt $(OUT)/knobs $(OUT)/points.jsonl
	$(call run-missing,$<,$(OUT)/fits,{1},$(RUN))
	@cat $(addprefix $(OUT)/fits/,$(addsuffix .json,$(LAWS))) | \
	    jq -c -s 'sort_by(.holdout.rmsle)[]' > $@.tmp && mv $@.tmp $@

$(OUT)/best.json: $(OUT)/ranking.jsonl
	@law=$$(jq -r 'select(.law == "chinchilla" or .law == "chinchilla-tied") | .law' $< | head -1); \
	  [ -n "$$law" ] || { echo "scaling-law.mk: no chinchilla or chinchilla-tied law in LAWS" >&2; exit 1; }; \
	  echo "  FIT     $$law on all points, $(BOOTSTRAP) bootstrap resamples -> $@"; \
	  nsl-fit -q --law $$law $(FIT_ARGS) --bootstrap $(BOOTSTRAP) --seed $(SEED) -o $@ $(OUT)/points.jsonl

$(OUT)/optimal.jsonl: $(OUT)/best.json
	@printf '{"C":%s}\n' $(COMPUTE) | nsl-extrapolate -q --fit $< --compute-optimal -o $@

$(OUT)/plot-points.jsonl: $(OUT)/points.jsonl $(OUT)/optimal.jsonl $(OUT)/best.json
	@{ jq -c '{C, loss, series: "measured"}' $(OUT)/points.jsonl; \
	   law=$$(jq -r .law $(OUT)/best.json); \
	   jq -c --arg s "compute-optimal ($$law)" '{C, loss: .L_opt, series: $$s}' $(OUT)/optimal.jsonl; \
	 } > $@.tmp && mv $@.tmp $@

$(OUT)/scaling-law.$(PLOT_FORMAT): $(OUT)/plot-points.jsonl
	@echo "  PLOT    $@"
	@nsl-plot --x C --y loss --group series --logx --logy \
	    --xlabel 'training compute C = 6 N D (FLOP)' --ylabel loss \
	    --title 'measurements and the compute-optimal frontier of the best law' -o $@ $<

SHORT_JQ = if . >= 1e4 then (log10 | floor) as $$e | "\(. / pow(10; $$e) * 1000 | round / 1000)e\($$e)" \
  else (. * 1e4 | round / 1e4 | tostring) end
RANK_JQ = "  \(.law)\t\(.n) fitted\trmsle \(.rmsle * 1e4 | round / 1e4)\t" + \
  "held-out n=\(.holdout.n) rmsle \(.holdout.rmsle * 1e4 | round / 1e4)\t" + \
  (.params | to_entries | map("\(.key)=\(.value | $(SHORT_JQ))") | join(" "))
OPT_JQ = "  \(.C)\t\(.N_opt / 1e9 * 100 | round / 100)\t\(.D_opt / 1e9 * 10 | round / 10)\t" + \
  "\(.D_opt / .N_opt * 10 | round / 10)\t\(.L_opt * 1000 | round / 1000) [\(.L_opt_lo * 1000 | round / 1000), \(.L_opt_hi * 1000 | round / 1000)]"

table: $(OUT)/ranking.jsonl $(OUT)/optimal.jsonl
	@echo "laws ranked by held-out RMSLE (held out: $(HOLDOUT)):"
	@jq -r '$(RANK_JQ)' $(OUT)/ranking.jsonl | $(COLUMN)
	@echo "compute-optimal allocation, $$(jq -r .law $(OUT)/best.json) refit on all points ($(BOOTSTRAP) bootstrap resamples, $$(jq -r '.level * 100' $(OUT)/best.json)% intervals):"
	@{ printf '  C\tN_opt (B)\tD_opt (B tokens)\tD/N\tL_opt [interval]\n'; \
	  jq -r '$(OPT_JQ)' $(OUT)/optimal.jsonl; } | $(COLUMN)
	@echo "figure: $(OUT)/scaling-law.$(PLOT_FORMAT)"

clean:
	rm -rf $(OUT)

FORCE:
.PHONY: all table clean FORCE
