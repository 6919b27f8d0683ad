# pipelines/perceptron.mk - data pruning in the teacher-student perceptron
# (Sorscher et al. 2022, Fig. 1A and 1C).
#
#   make -f pipelines/perceptron.mk [OUT=out/perceptron] [DIM=50]
#        [FRACTIONS='1 0.5 0.2 0.1'] [ALPHAS='1 2 4 8 16'] [SEEDS='1 2 3 4 5 6']
#        [ANGLES='0 15'] [FIT_LOSS=log-ls] [JOBS=2] [SSHLOGINFILE=hosts]
#        [PLOT_FORMAT=png]
#
# For every probe angle THETA, keep fraction f, alpha_prune and seed: draw
# P = alpha_prune * DIM / f teacher-student examples (nsl-synth, score =
# -|v.x| with the probe v at THETA degrees to the teacher; 0 = the perfect
# metric), keep the alpha_prune * DIM hardest (smallest probe margin,
# nsl-prune --strategy hard), train a perceptron student without intercept
# or L2 (nsl-probe) and read its exact generalisation error,
# angle(student, teacher) / pi.  Then average over seeds, fit power-offset
# and exp-offset against alpha_prune per f (the largest alpha_prune held
# out) and plot error against alpha_prune per f on a log y axis.
#
# The pruning frontier per angle (nsl-frontier): at each alpha_prune the
# best f, power-offset, exp-offset and BNSL fitted to it (the largest
# alpha_prune held out) and compared with the power law of f = 1.
#
# Outputs under $(OUT): runs/ (one result record per run), results.jsonl
# (all runs), mean.jsonl (averaged over seeds), fits-tTHETA.jsonl,
# perceptron-tTHETA.$(PLOT_FORMAT), frontier-tTHETA.jsonl (the verdict),
# frontier-tTHETA.$(PLOT_FORMAT), and `make -f ... table` prints them.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

OUT ?= out/perceptron
DIM ?= 50
FRACTIONS ?= 1 0.5 0.2 0.1
ALPHAS ?= 1 2 4 8 16
SEEDS ?= 1 2 3 4 5 6
ANGLES ?= 0 15
PLOT_FORMAT ?= png
FIT_LOSS ?= log-ls
$(call check-names,OUT PLOT_FORMAT)
$(call check-words,ANGLES)

FIGS = $(ANGLES:%=$(OUT)/perceptron-t%.$(PLOT_FORMAT))
FITS = $(ANGLES:%=$(OUT)/fits-t%.jsonl)
# The frontier needs the unpruned runs, f = 1, as its baseline.
HAS_BASE = $(filter 1,$(FRACTIONS))
FRONTIERS = $(if $(HAS_BASE),$(ANGLES:%=$(OUT)/frontier-t%.$(PLOT_FORMAT)))

all: $(FIGS) $(FITS) $(FRONTIERS)

$(OUT)/jobs.txt: FORCE
	$(call write-if-changed,$@,$(foreach t,$(ANGLES),$(foreach f,$(FRACTIONS),$(foreach a,$(ALPHAS),$(foreach s,$(SEEDS),$(t):$(f):$(a):$(s))))))

# One run: $1 angle, $2 keep fraction, $3 alpha_prune, $4 seed.  The
# training set is written to a file (not piped) so that the teacher file
# is complete before nsl-probe reads it.
RUN = d=$(call q,$(OUT))/runs/t"$$1"-f"$$2"-a"$$3"-s"$$4"; \
  k=$$(awk -v a="$$3" -v n=$(call q,$(DIM)) 'BEGIN { printf "%d", a * n + 0.5 }'); \
  p=$$(awk -v a="$$3" -v n=$(call q,$(DIM)) -v f="$$2" 'BEGIN { printf "%d", a * n / f + 0.5 }'); \
  nsl-synth teacher-student --n "$$p" --dim $(call q,$(DIM)) --seed "$$4" --probe-angle "$$1" \
    --emit-teacher "$$d.teacher" -o "$$d.train" && \
  nsl-prune -q --keep "$$k" --strategy hard "$$d.train" | \
  nsl-probe -q --train - --model linear --no-intercept --no-standardize --l2 0 \
    --teacher-file "$$d.teacher" --tag angle="$$1" --tag f="$$2" --tag alpha="$$3" \
    --tag seed="$$4" --tag P="$$p" -o "$$d.json" && rm -f "$$d.train" "$$d.teacher"

$(OUT)/results.jsonl: $(OUT)/jobs.txt
	$(call run-missing,$<,$(OUT)/runs,t{1}-f{2}-a{3}-s{4},$(RUN))
	@$(call gather,$<,$(OUT)/runs,t{1}-f{2}-a{3}-s{4}) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# Mean and standard deviation of the error over seeds, per (angle, f, alpha).
MEAN_JQ = group_by([.angle, .f, .alpha])[] | \
  (map(.gen_error) | add / length) as $$m | \
  {angle: .[0].angle, f: .[0].f, alpha: .[0].alpha, error: $$m, \
   error_sd: (map((.gen_error - $$m) * (.gen_error - $$m)) | add / length | sqrt), \
   seeds: length}

$(OUT)/mean.jsonl: $(OUT)/results.jsonl
	@jq -c -s '$(MEAN_JQ)' $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/mean-t%.jsonl: $(OUT)/mean.jsonl
	@jq -c --argjson t $(call q,$*) 'select(.angle == $$t)' $(call q,$<) > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/fits-t%.jsonl: $(OUT)/mean-t%.jsonl
	@printf '  FIT     %s\n' $(call q,$@)
	@nsl-fit -q --loss $(call q,$(FIT_LOSS)) --law power-offset,exp-offset --x alpha --y error --by f \
	    --holdout-largest alpha -o $(call q,$@) $(call q,$<)

# The figure draws, per f, the law with the smaller held-out error.
$(OUT)/best-t%.jsonl: $(OUT)/fits-t%.jsonl
	@jq -c -s 'group_by(.by.f)[] | min_by(.holdout.rmsle)' $(call q,$<) > $(call q,$@.tmp) && \
	    mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/perceptron-t%.$(PLOT_FORMAT): $(OUT)/mean-t%.jsonl $(OUT)/best-t%.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x alpha --y error --group f --logy --fit $(call q,$(OUT)/best-t$*.jsonl) \
	    --xlabel 'alpha_prune = kept examples / dimension' \
	    --ylabel 'generalisation error (angle / pi)' \
	    --title 'teacher-student perceptron, keep hardest, probe angle '$(call q,$*)' deg' \
	    -o $(call q,$@) $(call q,$(OUT)/mean-t$*.jsonl)

# The frontier: the best f at each alpha_prune (FRACTIONS should hold 1,
# the baseline).
$(OUT)/frontier-t%.jsonl: $(OUT)/mean-t%.jsonl
	@printf '  FRONTIER %s\n' $(call q,$@)
	@nsl-frontier -q --loss $(call q,$(FIT_LOSS)) --x alpha --y error --fraction f \
	    --points $(call q,$(OUT)/frontier-points-t$*.jsonl) --fits $(call q,$(OUT)/frontier-fits-t$*.jsonl) \
	    -o $(call q,$@.tmp) $(call q,$<) && mv $(call q,$@.tmp) $(call q,$@)

# the best frontier law and the baseline, grouped by f as the points are
FRONTIER_FITS_JQ = select(.by.series == "unpruned" or .law == $$s[0].best_law) | \
  .by = {f: (if .by.series == "frontier" then "frontier" else "unpruned" end)}
FRONTIER_PTS_JQ = if .frontier_runs then .f = "frontier" else select(.f == 1) | .f = "unpruned" end

$(OUT)/frontier-t%.$(PLOT_FORMAT): $(OUT)/frontier-t%.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@jq -c --slurpfile s $(call q,$<) '$(FRONTIER_FITS_JQ)' $(call q,$(OUT)/frontier-fits-t$*.jsonl) > $(call q,$(OUT)/frontier-best-t$*.jsonl)
	@cat $(call q,$(OUT)/frontier-points-t$*.jsonl) $(call q,$(OUT)/mean-t$*.jsonl) | \
	  jq -c '$(FRONTIER_PTS_JQ)' | \
	  nsl-plot --x alpha --y error --group f --logy --fit $(call q,$(OUT)/frontier-best-t$*.jsonl) \
	    --xlabel 'alpha_prune = kept examples / dimension' \
	    --ylabel 'generalisation error (angle / pi)' \
	    --title "the pruning frontier (best f at each alpha_prune), probe angle "$(call q,$*)" deg, verdict: $$(jq -r .verdict $(call q,$<))" \
	    -o $(call q,$@)

# The tables: error per f (rows) and alpha_prune (columns), the fits, the
# frontier.
TABLE_JQ = [.[] | select(.angle == ($$t | tonumber))] | group_by(.f) | reverse[] | \
  "  f=\(.[0].f)\t" + (map(.error * 1e4 | round / 1e4 | tostring) | join("\t"))
FITTAB_JQ = "    f=\(.by.f)\t\(.law)\t" + \
  (if .law == "exp-offset" then "b=\(.params.b * 1e4 | round / 1e4)" \
   else "a=\(.params.a * 1e4 | round / 1e4)" end) + \
  "\tA=\(.params.A * 1e4 | round / 1e4)\tE=\(.params.E * 1e6 | round / 1e6)" + \
  "\theld-out rmsle=\(.holdout.rmsle * 1e4 | round / 1e4)"

FRONTAB_JQ = "  \(.alpha)\t\(.error * 1e4 | round / 1e4)\t\(.f)"

table: $(FITS) $(OUT)/mean.jsonl $(if $(HAS_BASE),$(ANGLES:%=$(OUT)/frontier-t%.jsonl))
	@set -f; for t in $(call qw,$(ANGLES)); do \
	  printf 'probe angle %s deg: generalisation error, mean over seeds %s (DIM=%s)\n' \
	    "$$t" $(call q,$(SEEDS)) $(call q,$(DIM)); \
	  { printf '  alpha_prune'; printf '\t%s' $(call qw,$(ALPHAS)); printf '\n'; \
	    jq -r -s --arg t "$$t" '$(TABLE_JQ)' $(call q,$(OUT)/mean.jsonl); } | $(COLUMN); \
	  printf '  fits per f on alpha_prune < %s, scored on alpha_prune = %s:\n' \
	    $(call q,$(lastword $(ALPHAS))) $(call q,$(lastword $(ALPHAS))); \
	  jq -r '$(FITTAB_JQ)' $(call q,$(OUT))/fits-t"$$t".jsonl | $(COLUMN); \
	  printf '  figure: %s\n' $(call q,$(OUT))/perceptron-t"$$t".$(call q,$(PLOT_FORMAT)); \
	  if [ -z "$(HAS_BASE)" ]; then \
	    printf '  no pruning frontier: FRACTIONS holds no 1, the unpruned baseline\n'; continue; fi; \
	  printf '  the pruning frontier, the best f at each alpha_prune:\n'; \
	  { printf '  alpha_prune\terror\tf\n'; \
	    jq -r '$(FRONTAB_JQ)' $(call q,$(OUT))/frontier-points-t"$$t".jsonl; } | $(COLUMN); \
	  jq -r -f $(call q,$(NSL_ROOT)/pipelines/frontier-table.jq) $(call q,$(OUT))/frontier-t"$$t".jsonl; \
	  printf '  figure: %s\n' $(call q,$(OUT))/frontier-t"$$t".$(call q,$(PLOT_FORMAT)); \
	done

clean:
	rm -rf $(call q,$(OUT))

.SECONDARY: $(ANGLES:%=$(OUT)/mean-t%.jsonl) $(ANGLES:%=$(OUT)/best-t%.jsonl)

FORCE:
.PHONY: all table clean FORCE
