# pipelines/projektor.mk - choosing a data mixture from partially revealed
# sources by OT distance to a validation set (Kang et al. 2023,
# "Performance scaling via optimal transport", Projektor).
#
#   make -f pipelines/projektor.mk [TRAIN=... TEST=...] [OUT=out/projektor]
#        [SOURCES='0,1,2,3,4,5 4,5,6,7,8,9 0,1,2,7,8,9'] [MINOR=0.2] [STEP=0.1]
#        [PROBE_MIXTURES='1_0_0 0_1_0 0_0_1 0.5_0.5_0 0.5_0_0.5 0_0.5_0.5 0.34_0.33_0.33']
#        [PROBE_SIZES='250 500 1000'] [BUDGET=4000] [VAL_N=1000] [OT_N=1000]
#        [OT_ARGS='--method otdd --label-field label'] [SEED=0] [JOBS=2]
#        [SEARCH_N=300] [SEARCH_ITERS=20] [SSHLOGINFILE=hosts] [PLOT_FORMAT=png]
#
# TRAIN, TEST: records {"id", "label", "embedding"} (default: the
# Fashion-MNIST PCA embeddings that pipelines/fashion-mnist.mk writes under
# out/fashion-mnist, made first when missing).
#  1. Sources: source s holds the training records whose id mod (number of
#     sources) is s - 1 (disjoint record sets) and whose label is in the
#     s-th group of SOURCES, or, for a MINOR fraction of them (by id), any
#     other label: every source has every class, in skewed proportions.  The validation set is
#     the first VAL_N test records, the rest of TEST measures the runs.
#  2. Candidate mixtures: the simplex grid of step STEP over the sources
#     (weights joined by '_'), and PROBE_MIXTURES.  A mixture of size n
#     draws round-robin-free counts (cumulative rounding of w n) from each
#     source at random (nsl-prune --strategy random, SEED).  For each
#     candidate, nsl-ot-distance (exact; OT_ARGS adds options, e.g. the
#     label-aware --method otdd) between an OT_N sample of it and
#     the validation set: $(OUT)/candidates.jsonl {mixture, ot}.
#  3. nsl-probe (linear) on each probe mixture at each PROBE_SIZES, tested
#     on the rest of TEST: $(OUT)/probes.jsonl {mixture, n, ot, test_error}.
#  4. nsl-fit test_error = (a + b ot) n^-alpha: linear in the OT distance at
#     each size (Kang et al.), its coefficients scaling as one power of the
#     size; fitted on log error (huber): $(OUT)/fit.json.
#  5. nsl-extrapolate at n = BUDGET for every candidate: the predicted best
#     mixture ($(OUT)/predictions.jsonl, best first).
#  6. The search: nsl-mix --search (Frank-Wolfe over the simplex) for
#     the weights whose mixture is nearest the validation set in OT cost,
#     on SEARCH_N random records of each source: $(OUT)/search.json; its
#     weights rounded to 0.01 are the "search" mixture, whose OT distance
#     is measured as the candidates' are: $(OUT)/search-mixture.jsonl.
#     The fit's error falls with OT (b > 0): the grid's predicted best is
#     its nearest candidate, and the search should land near it or beat it.
#  7. The check: real runs at BUDGET of the predicted best mixture, of
#     the best probed mixture (lowest error at the largest probe size) and
#     of the search's: $(OUT)/check.jsonl.
#  8. nsl-plot: error against OT distance per size, with the fitted law:
#     $(OUT)/projektor.$(PLOT_FORMAT).
# `make -f ... table` prints the probes, the prediction and the check.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

FMNIST_OUT ?= out/fashion-mnist
TRAIN ?= $(FMNIST_OUT)/train.jsonl
TEST ?= $(FMNIST_OUT)/test.jsonl
OUT ?= out/projektor
SOURCES ?= 0,1,2,3,4,5 4,5,6,7,8,9 0,1,2,7,8,9
STEP ?= 0.1
MINOR ?= 0.2
PROBE_MIXTURES ?= 1_0_0 0_1_0 0_0_1 0.5_0.5_0 0.5_0_0.5 0_0.5_0.5 0.34_0.33_0.33
PROBE_SIZES ?= 250 500 1000
BUDGET ?= 4000
VAL_N ?= 1000
OT_N ?= 1000
OT_ARGS ?=
SEED ?= 0
SEARCH_N ?= 300
SEARCH_ITERS ?= 20
PLOT_FORMAT ?= png
K := $(words $(SOURCES))
$(call check-names,FMNIST_OUT TRAIN TEST OUT PLOT_FORMAT)

all: $(OUT)/projektor.$(PLOT_FORMAT) $(OUT)/check.jsonl

$(FMNIST_OUT)/%.jsonl:
	@$(MAKE) --no-print-directory -f $(call q,$(NSL_ROOT)/pipelines/fashion-mnist.mk) \
	    OUT=$(call q,$(subst $$,$$$$,$(FMNIST_OUT))) $(call q,$@)

# -- 1. sources, validation and measurement sets ---------------------------
$(OUT)/sources-knob: FORCE
	$(call write-if-changed,$@,$(SOURCES) $(MINOR))

SOURCE_JQ = select(.id % $$k == $$s - 1 and ((.label | tostring) as $$l | ($$g | split(",") | index($$l)) \
  or ((.id / $$k | floor) % (1 / $$minor | round) == 0)))

$(OUT)/source-%.jsonl: $(TRAIN) $(OUT)/sources-knob
	@jq -c --argjson s $(call q,$*) --argjson k $(call q,$(K)) --arg g $(call q,$(word $*,$(SOURCES))) \
	    --argjson minor $(call q,$(MINOR)) '$(SOURCE_JQ)' \
	    $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/val.jsonl: $(TEST) $(OUT)/knobs
	@mkdir -p $(call q,$(@D))
	@head -n $(call q,$(VAL_N)) $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/heldout.jsonl: $(TEST) $(OUT)/knobs
	@mkdir -p $(call q,$(@D))
	@n=$(call q,$(VAL_N)); case $$n in ''|*[!0-9]*) \
	    echo "projektor.mk: VAL_N=$$n is not a count" >&2; exit 1;; esac; \
	  tail -n +$$((n + 1)) $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(VAL_N) $(OT_N) $(SEED) $(OT_ARGS))

SRC_FILES = $(foreach s,$(shell seq $(K)),$(OUT)/source-$(s).jsonl)

# sample MIXTURE N: N records drawn from the sources in the mixture's
# proportions (cumulative rounding, so the counts add up to N).
SAMPLE = sample() { \
  set -- $$(printf '%s\n' "$$1" | awk -v n="$$2" -F_ '{ c = 0; p = 0; for (i = 1; i <= NF; i++) { \
    c += $$i; q = int(c * n + 0.5); if (i == NF) q = n; printf "%d ", q - p; p = q } }'); \
  i=0; for k in "$$@"; do i=$$((i + 1)); \
    if [ "$$k" -gt 0 ]; then nsl-prune -q --strategy random --keep "$$k" --seed $(call q,$(SEED)) \
      --score-field id $(call q,$(OUT))/source-"$$i".jsonl; fi; done; }

# -- 2. candidates and their OT distance to the validation set --------------
GRID := $(shell awk -v k=$(call q,$(K)) -v s=$(call q,$(STEP)) 'function rec(i, left, pre,   j, w) { \
  if (i == k) { printf "%s%g\n", pre, left / m; return } \
  for (j = 0; j <= left; j++) rec(i + 1, left - j, pre sprintf("%g_", j / m)) } \
  BEGIN { m = int(1 / s + 0.5); rec(1, m, "") }')
CANDIDATES = $(sort $(GRID) $(PROBE_MIXTURES))

$(OUT)/ot-jobs.txt: FORCE
	$(call write-if-changed,$@,$(CANDIDATES))

OT_RUN = $(SAMPLE); d=$(call q,$(OUT))/ot/"$$1"; sample "$$1" $(call q,$(OT_N)) > "$$d.sample"; \
  nsl-ot-distance -q $(call qw,$(OT_ARGS)) "$$d.sample" $(call q,$(OUT)/val.jsonl) | \
  jq -c --arg m "$$1" '{mixture: $$m, w: ($$m | split("_") | map(tonumber)), ot: .distance, n_ot: .n}' > "$$d.tmp"; \
  rm -f "$$d.sample"; mv "$$d.tmp" "$$d.json"

$(OUT)/candidates.jsonl: $(OUT)/ot-jobs.txt $(OUT)/val.jsonl $(SRC_FILES)
	$(call run-missing,$<,$(OUT)/ot,{1},$(OT_RUN))
	@$(call gather,$<,$(OUT)/ot,{1}) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# -- 3. probes ---------------------------------------------------------------
$(OUT)/probe-jobs.txt: FORCE
	$(call write-if-changed,$@,$(foreach n,$(PROBE_SIZES),$(foreach m,$(PROBE_MIXTURES),$(m):$(n))))

PROBE_RUN = $(SAMPLE); sample "$$1" "$$2" | nsl-probe -q --train - --test $(call q,$(OUT)/heldout.jsonl) \
  --tag mixture="$$1" --tag n="$$2" -o $(call q,$(OUT))/probes/"$$1"-n"$$2".json

JOIN_JQ = (INDEX($$c[]; .mixture)) as $$ot | .ot = $$ot[.mixture].ot

$(OUT)/probes.jsonl: $(OUT)/probe-jobs.txt $(OUT)/heldout.jsonl $(SRC_FILES) $(OUT)/candidates.jsonl
	$(call run-missing,$<,$(OUT)/probes,{1}-n{2},$(PROBE_RUN))
	@$(call gather,$<,$(OUT)/probes,{1}-n{2}) | \
	    jq -c --slurpfile c $(call q,$(OUT)/candidates.jsonl) '$(JOIN_JQ)' > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

# -- 4./5. fit and prediction -------------------------------------------------
$(OUT)/fit.json: $(OUT)/probes.jsonl
	@printf '  FIT     test_error = (a + b ot) n^-alpha -> %s\n' $(call q,$@)
	@nsl-fit -q --formula '(a + b*ot) * n^-alpha' --param a=1,b=0.1,alpha=0.3 \
	    --x ot,n --y test_error -o $(call q,$@) $(call q,$<)

$(OUT)/predictions.jsonl: $(OUT)/fit.json $(OUT)/candidates.jsonl $(OUT)/budget
	@jq -c --argjson n $(call q,$(BUDGET)) '. + {n: $$n}' $(call q,$(OUT)/candidates.jsonl) | \
	    nsl-extrapolate -q --fit $(call q,$<) | \
	    jq -c -s 'sort_by(.pred)[]' > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/budget: FORCE
	$(call write-if-changed,$@,$(BUDGET))

# -- 6. the search over the simplex -------------------------------------------
$(OUT)/search-knob: FORCE
	$(call write-if-changed,$@,$(SEARCH_N) $(SEARCH_ITERS) $(SEED))

# SEARCH_N random records of each source (all of a smaller one), numbered.
$(OUT)/search-input.jsonl: $(SRC_FILES) $(OUT)/search-knob
	@n=$(call q,$(SEARCH_N)); case $$n in ''|*[!0-9]*) \
	    echo "projektor.mk: SEARCH_N=$$n is not a count" >&2; exit 1;; esac; \
	  for s in $$(seq $(call q,$(K))); do f=$(call q,$(OUT))/source-"$$s".jsonl; \
	    k=$$(wc -l < "$$f"); [ "$$k" -le "$$n" ] || k=$$n; \
	    nsl-prune -q --strategy random --keep "$$k" --seed $(call q,$(SEED)) "$$f" | \
	      jq -c --argjson s "$$s" '. + {source: $$s}' || exit 1; \
	  done > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/search.json: $(OUT)/search-input.jsonl $(OUT)/val.jsonl
	@printf '  SEARCH  nsl-mix --search over %s sources -> %s\n' $(call q,$(K)) $(call q,$@)
	@nsl-mix -q --search --source-field source --valid $(call q,$(OUT)/val.jsonl) \
	    --iters $(call q,$(SEARCH_ITERS)) --seed $(call q,$(SEED)) -o $(call q,$@) $(call q,$<)

# The weights by source number, rounded to 0.01 cumulatively (they sum to 1).
SEARCH_W_JQ = [.weights | to_entries | sort_by(.key | tonumber)[] | .value] | map(tostring) | join(" ")
ROUND_W = awk '{ c = 0; p = 0; for (i = 1; i <= NF; i++) { c += $$i; q = int(c * 100 + 0.5); \
  if (i == NF) q = 100; printf "%s%g", (i > 1 ? "_" : ""), (q - p) / 100; p = q } print "" }'

SEARCH_REC_JQ = . + {search_cost: $$s[0].cost, search_gap: $$s[0].gap, search_weights: $$s[0].weights}

$(OUT)/search-mixture.jsonl: $(OUT)/search.json $(OUT)/val.jsonl $(SRC_FILES)
	@m=$$(jq -r '$(SEARCH_W_JQ)' $(call q,$<) | $(ROUND_W)); mkdir -p $(call q,$(OUT)/ot); \
	  set -- "$$m"; $(OT_RUN); \
	  jq -c --slurpfile s $(call q,$<) '$(SEARCH_REC_JQ)' $(call q,$(OUT))/ot/"$$m".json > $(call q,$@.tmp) && \
	  mv $(call q,$@.tmp) $(call q,$@)

# Every OT distance measured: the candidates' and the search mixture's.
$(OUT)/ot-all.jsonl: $(OUT)/candidates.jsonl $(OUT)/search-mixture.jsonl
	@cat $(call q,$(OUT)/candidates.jsonl) $(call q,$(OUT)/search-mixture.jsonl) > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

# -- 7. the check: real runs at the budget -----------------------------------
$(OUT)/check-jobs.txt: $(OUT)/predictions.jsonl $(OUT)/probes.jsonl $(OUT)/search-mixture.jsonl
	@{ echo "$$(head -1 $(call q,$(OUT)/predictions.jsonl) | jq -r .mixture) predicted-best"; \
	   echo "$$(jq -r -s 'max_by(.n) as $$m | map(select(.n == $$m.n)) | min_by(.test_error) | .mixture' \
	     $(call q,$(OUT)/probes.jsonl)) best-probed"; \
	   echo "$$(jq -r .mixture $(call q,$(OUT)/search-mixture.jsonl)) search"; } > $(call q,$@.tmp)
	@if cmp -s $(call q,$@.tmp) $(call q,$@); then rm $(call q,$@.tmp); else mv $(call q,$@.tmp) $(call q,$@); fi

CHECK_RUN = $(SAMPLE); sample "$$1" $(call q,$(BUDGET)) | nsl-probe -q --train - \
  --test $(call q,$(OUT)/heldout.jsonl) --tag mixture="$$1" --tag n=$(call q,$(BUDGET)) --tag role="$$2" \
  -o $(call q,$(OUT))/check/"$$2".json

$(OUT)/check.jsonl: $(OUT)/check-jobs.txt $(OUT)/budget $(OUT)/heldout.jsonl $(SRC_FILES) $(OUT)/ot-all.jsonl
	@rm -rf $(call q,$(OUT)/check)
	$(call run-missing,$<,$(OUT)/check,{2},$(CHECK_RUN))
	@$(call gather,$<,$(OUT)/check,{2}) | \
	    jq -c --slurpfile c $(call q,$(OUT)/ot-all.jsonl) '$(JOIN_JQ)' > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

# -- 8. figure ------------------------------------------------------------------
$(OUT)/projektor.$(PLOT_FORMAT): $(OUT)/probes.jsonl $(OUT)/check.jsonl $(OUT)/fit.json
	@printf '  PLOT    %s\n' $(call q,$@)
	@cat $(call q,$(OUT)/probes.jsonl) $(call q,$(OUT)/check.jsonl) | \
	  nsl-plot --x ot --y test_error --group n --fit $(call q,$(OUT)/fit.json) \
	    --xlabel 'OT distance of the mixture to the validation set' --ylabel 'test error' \
	    --title 'probe error against OT distance, per training size (n = '$(call q,$(BUDGET))': the check runs)' \
	    -o $(call q,$@)

PROBE_JQ = (.[0] | "  \(.mixture)\t\(.ot * 1e4 | round / 1e4)\t") + \
  (map(.test_error * 1e4 | round / 1e2 | tostring) | join("\t"))
CHECK_JQ = "  \(.role)\t\(.mixture)\t\(.ot * 1e4 | round / 1e4)\t\(.pred * 1e4 | round / 1e2)\t\(.test_error * 1e4 | round / 1e2)"

SEARCH_JQ = "search (nsl-mix --search, \(.iterations) Frank-Wolfe steps): weights " + \
  ([.weights | to_entries | sort_by(.key | tonumber)[] | .value * 1e3 | round / 1e3 | tostring] | join(" ")) + \
  ", OT cost \(.cost * 1e4 | round / 1e4) (gap \(.gap * 1e4 | round / 1e4))"
GRIDCMP_JQ = $$s[0] as $$m | .w as $$g | $$m.w as $$v | \
  "  predicted best of the grid \(.mixture) (OT \(.ot * 1e4 | round / 1e4)) against the search \($$m.mixture)" + \
  " (OT \($$m.ot * 1e4 | round / 1e4)): L1 distance of the weights \([range($$g | length) | ($$g[.] - $$v[.]) | fabs] | add * 1e3 | round / 1e3)"

table: $(OUT)/probes.jsonl $(OUT)/predictions.jsonl $(OUT)/check.jsonl $(OUT)/search.json
	@printf 'probe test error (%%) per mixture (weights of sources %s) and size:\n' $(call q,$(SOURCES))
	@{ printf '  mixture\tOT'; printf '\t%s' $(call qw,$(PROBE_SIZES)); printf '\n'; \
	   jq -r -s 'group_by(.mixture) | sort_by(.[0].ot)[] | sort_by(.n) | $(PROBE_JQ)' \
	     $(call q,$(OUT)/probes.jsonl); } | $(COLUMN)
	@jq -r '"fit: test_error = (\(.params.a * 1e4 | round / 1e4) + \(.params.b * 1e4 | round / 1e4) ot) n^-\(.params.alpha * 1e4 | round / 1e4)  (rmsle \(.rmsle * 1e4 | round / 1e4))"' $(call q,$(OUT)/fit.json)
	@printf 'predicted at n = %s, best 3 of %s candidates:\n' $(call q,$(BUDGET)) \
	    "$$(wc -l < $(call q,$(OUT)/predictions.jsonl))"
	@head -3 $(call q,$(OUT)/predictions.jsonl) | jq -r '"  \(.mixture)\tOT \(.ot * 1e4 | round / 1e4)\tpredicted error \(.pred * 1e4 | round / 1e2)%"' | $(COLUMN)
	@jq -r '$(SEARCH_JQ)' $(call q,$(OUT)/search.json)
	@head -1 $(call q,$(OUT)/predictions.jsonl) | \
	    jq -r --slurpfile s $(call q,$(OUT)/search-mixture.jsonl) '$(GRIDCMP_JQ)'
	@printf 'check: real runs at n = %s:\n' $(call q,$(BUDGET))
	@{ printf '  run\tmixture\tOT\tpredicted (%%)\tmeasured (%%)\n'; \
	   jq -c '{mixture, ot, n}' $(call q,$(OUT)/check.jsonl) | nsl-extrapolate -q --fit $(call q,$(OUT)/fit.json) | \
	     jq -c -s --slurpfile c $(call q,$(OUT)/check.jsonl) '[., $$c] | transpose[] | .[1] + {pred: .[0].pred}' | \
	     jq -r '$(CHECK_JQ)'; } | $(COLUMN)
	@printf 'figure: %s\n' $(call q,$(OUT)/projektor.$(PLOT_FORMAT))

clean:
	rm -rf $(call q,$(OUT))

.SECONDARY: $(SRC_FILES) $(OUT)/val.jsonl $(OUT)/heldout.jsonl $(OUT)/search-input.jsonl $(OUT)/ot-all.jsonl \
  $(FMNIST_OUT)/train.jsonl $(FMNIST_OUT)/test.jsonl

FORCE:
.PHONY: all table clean FORCE
