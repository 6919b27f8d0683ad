# pipelines/shards.mk - score and prune a set held as shards, the global
# steps once between per-shard steps fanned out over cores or hosts.
#
#   make -f pipelines/shards.mk SHARDS='a.jsonl b.jsonl.gz ...'
#        [OUT=out/shards] [METRIC=prototype] [K=10] [PER_CENTROID=0]
#        [STRATEGY=hard] [FRACTION=0.5] [BY=] [ID=id] [SEED=0] [ITERS=300]
#        [EPS=0.05] [FIELD=embedding] [VECTORS='a.npy b.npy ...']
#        [JOBS=2] [SSHLOGINFILE=hosts]
#
# SHARDS hold records {"id", "embedding"(, "label")}; ids unique.  With
# VECTORS (one .npy a shard, in the order of SHARDS, row i = the shard's
# record i) the embeddings are those rows and the shards need hold only
# {"id"(, "label")}: every step reads the rows mapped (nsl-score and
# nsl-prune --vectors), no vector goes through JSONL text, and float32
# rows stay float32 in the parts.
#  1. fit (global, here): nsl-score --save-model $(OUT)/model.jsonl over
#     every shard: METRIC's state (prototype: K centroids, fitted on all
#     records or, with PER_CENTROID=P, on the K P of smallest seeded id
#     hash; class-prototype: the class means; knn: the reference set).
#  2. score (per shard, fanned out): nsl-score --model, the model sent
#     once to each host: $(OUT)/scored/NAME.jsonl.
#  3. plan (global, here): nsl-prune --save-plan over the scored shards:
#     STRATEGY keeps round(FRACTION n) of every group of BY (none: of
#     all), ties by the seeded hash of ID, exactly as if one file.
#  4. prune (per shard, fanned out): nsl-prune --plan:
#     $(OUT)/pruned/NAME.jsonl, the kept records in shard order.
# With STRATEGY=dedup (SemDeDup, METRIC=prototype, ITERS default 100 as
# nsl-prune's) steps 3 and 4 are instead:
#  3. partition (here): nsl-prune --plan model.jsonl --partition splits
#     the scored records by the cluster step 2 wrote into
#     $(OUT)/parts/CLUSTER.jsonl (with VECTORS their rows into
#     CLUSTER.npy), in shard order, one file open at a time (any K);
#  4. dedup (per cluster, fanned out): nsl-prune --plan model.jsonl --eps
#     EPS drops near-duplicates within the cluster; the kept lines are
#     picked out of each scored shard in one pass over them all:
#     $(OUT)/pruned/NAME.jsonl (that pass holds the kept lines' text, so
#     with VECTORS only their ids and labels).  The
#     same records as nsl-prune --strategy dedup --k K --iters ITERS
#     --seed SEED --eps EPS [--vectors] on the shards as one file.
# `make -f ... table` prints each shard's records, kept and the total.
#
# Hosts: with SSHLOGINFILE the per-shard steps run on its hosts with no
# shared file system: each job's shard goes over with parallel's
# --transferfile, the model or plan with --basefile, the result comes back
# with --return, and --cleanup removes them there.  The jobs use paths
# relative to their working directory only, so the same commands run here
# (in $(OUT)) and there, and the results are the same bytes for any JOBS
# and any hosts (the tools are deterministic).  The hosts need the tools
# on the same PATH (sent with --env PATH) and rsync.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

SHARDS ?= $(error set SHARDS='shard1.jsonl shard2.jsonl ...')
OUT ?= out/shards
METRIC ?= prototype
K ?= 10
PER_CENTROID ?= 0
STRATEGY ?= hard
FRACTION ?= 0.5
BY ?=
ID ?= id
SEED ?= 0
ITERS ?= $(if $(filter dedup,$(STRATEGY)),100,300)
EPS ?= 0.05
FIELD ?= embedding
VECTORS ?=
$(call check-names,OUT)
$(call check-words,SHARDS VECTORS)

# each shard's name without its directory and .jsonl/.gz
name = $(patsubst %.jsonl,%,$(patsubst %.gz,%,$(notdir $(1))))
NAMES := $(foreach s,$(SHARDS),$(call name,$(s)))
ifneq ($(words $(NAMES)),$(words $(sort $(NAMES))))
$(error SHARDS: two shards have one name; names must differ without their directories)
endif
ifneq ($(VECTORS),)
ifneq ($(words $(VECTORS)),$(words $(SHARDS)))
$(error VECTORS: $(words $(VECTORS)) files for $(words $(SHARDS)) shards; give one .npy a shard, in order)
endif
ifneq ($(words $(notdir $(VECTORS))),$(words $(sort $(notdir $(VECTORS)))))
$(error VECTORS: two files have one name; names must differ without their directories)
endif
endif
# the .npy of shard number $(1) as the jobs name it, in in/
npy = in/$(notdir $(word $(1),$(VECTORS)))
INDEX := $(shell seq $(words $(SHARDS)))

# The fan-out: parallel in $(OUT), over the hosts when asked, moving the
# files a job reads and writes (its input {1}, its output {2}).
# Knobs reach the jobs' shells as environment variables (--env sends
# them to the hosts), never in the command's text.
FANOUT = NSL_METRIC=$(call q,$(METRIC)) NSL_EPS=$(call q,$(EPS)) \
	NSL_FIELD=$(call q,$(FIELD)) parallel --will-cite --halt now,fail=1 \
	-j $(call q,$(JOBS)) --colsep ' ' \
	$(if $(SSHLOGINFILE),--sshloginfile $(call q,$(abspath $(SSHLOGINFILE))) \
	  --env PATH --env NSL_METRIC --env NSL_FIELD --env NSL_EPS \
	  --transferfile {1} --return {2} --cleanup)
# a job reading a third file {3} (its .npy) sends that too
FANOUT3 = $(FANOUT) $(if $(SSHLOGINFILE),--transferfile {3})

all: $(OUT)/pruned.done

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(METRIC) $(K) $(PER_CENTROID) $(SEED) \
	  $(FIELD) $(STRATEGY) $(FRACTION) $(ID) by=$(BY) $(ITERS) $(EPS) \
	  vectors=$(words $(VECTORS)))

# -- 1. fit ----------------------------------------------------------------
$(OUT)/model.jsonl: $(SHARDS) $(VECTORS) $(OUT)/knobs
	@printf '  FIT     %s over %s shards -> %s\n' $(call q,$(METRIC)) \
	    '$(words $(SHARDS))' $(call q,$@)
	@nsl-score --metric $(call q,$(METRIC)) --k $(call q,$(K)) \
	    --iters $(call q,$(ITERS)) --seed $(call q,$(SEED)) --field $(call q,$(FIELD)) \
	    $(if $(filter-out 0,$(PER_CENTROID)),--max-per-centroid $(call q,$(PER_CENTROID)) \
	    --id-field $(call q,$(ID))) $(if $(VECTORS),--vectors $(call q,$(subst $(nsl-space),$(nsl-comma),$(strip $(VECTORS))))) \
	    --save-model $(call q,$@) $(call qw,$(SHARDS))

# -- 2. score per shard ------------------------------------------------------
# The shards are linked (or copied) into $(OUT)/in, so that every job
# names its input relative to $(OUT).
$(OUT)/scored.done: $(OUT)/model.jsonl
	@rm -rf $(call q,$(OUT)/in) $(call q,$(OUT)/scored)
	@mkdir -p $(call q,$(OUT)/in) $(call q,$(OUT)/scored)
	@for s in $(call qw,$(SHARDS) $(VECTORS)); do \
	  ln -f "$$s" $(call q,$(OUT)/in)/ 2>/dev/null || cp -f "$$s" $(call q,$(OUT)/in)/; done
	@printf '  SCORE   %s shards (JOBS=%s%s)\n' '$(words $(SHARDS))' \
	    $(call q,$(JOBS)) $(if $(SSHLOGINFILE),$(call q,$(nsl-comma) hosts of $(SSHLOGINFILE)))
	@cd $(call q,$(OUT)) && printf '%s\n' $(foreach i,$(INDEX),'in/$(notdir $(word $(i),$(SHARDS))) scored/$(call name,$(word $(i),$(SHARDS))).jsonl$(if $(VECTORS), $(call npy,$(i)))') | \
	  $(if $(VECTORS),$(FANOUT3),$(FANOUT)) $(if $(SSHLOGINFILE),--basefile model.jsonl) \
	  'mkdir -p scored && nsl-score -q --metric "$$NSL_METRIC" --field "$$NSL_FIELD" --model model.jsonl $(if $(VECTORS),--vectors {3}) -o {2} {1}'
	@touch $(call q,$@)

ifneq ($(STRATEGY),dedup)
# -- 3. plan -------------------------------------------------------------------
$(OUT)/plan.jsonl: $(OUT)/scored.done
	@printf '  PLAN    %s, keep %s%s -> %s\n' $(call q,$(STRATEGY)) \
	    $(call q,$(FRACTION)) $(if $(BY),$(call q, by $(BY))) $(call q,$@)
	@nsl-prune --strategy $(call q,$(STRATEGY)) --keep-fraction $(call q,$(FRACTION)) \
	    $(if $(BY),--by $(call q,$(BY))) --seed $(call q,$(SEED)) \
	    --id-field $(call q,$(ID)) --save-plan $(call q,$@) \
	    $(foreach n,$(NAMES),$(call q,$(OUT)/scored/$(n).jsonl))

# -- 4. prune per shard --------------------------------------------------------
$(OUT)/pruned.done: $(OUT)/plan.jsonl
	@rm -rf $(call q,$(OUT)/pruned)
	@mkdir -p $(call q,$(OUT)/pruned)
	@printf '  PRUNE   %s shards\n' '$(words $(SHARDS))'
	@cd $(call q,$(OUT)) && printf '%s\n' $(foreach n,$(NAMES),'scored/$(n).jsonl pruned/$(n).jsonl') | \
	  $(FANOUT) $(if $(SSHLOGINFILE),--basefile plan.jsonl) \
	  'mkdir -p pruned && nsl-prune -q --plan plan.jsonl -o {2} {1}'
	@touch $(call q,$@)
else
# -- 3. partition by cluster ---------------------------------------------------
$(OUT)/parts.done: $(OUT)/scored.done
	@rm -rf $(call q,$(OUT)/parts)
	@cd $(call q,$(OUT)) && nsl-prune -q --plan model.jsonl --partition parts \
	  $(if $(VECTORS),--vectors $(call q,$(subst $(nsl-space),$(nsl-comma),$(strip $(foreach i,$(INDEX),$(call npy,$(i))))))) \
	  $(foreach n,$(NAMES),'scored/$(n).jsonl')
	@touch $(call q,$@)

# -- 4. dedup per cluster, then the kept lines per shard -------------------------
$(OUT)/pruned.done: $(OUT)/parts.done
	@rm -rf $(call q,$(OUT)/pruned) $(call q,$(OUT)/kept)
	@mkdir -p $(call q,$(OUT)/pruned) $(call q,$(OUT)/kept)
	@printf '  DEDUP   %s clusters, eps %s\n' "$$(ls $(call q,$(OUT)/parts) | grep -c '\.jsonl$$')" $(call q,$(EPS))
	@cd $(call q,$(OUT)) && ls parts | sed -n 's|^\(.*\)\.jsonl$$|parts/& kept/&$(if $(VECTORS), parts/\1.npy)|p' | \
	  $(if $(VECTORS),$(FANOUT3),$(FANOUT)) $(if $(SSHLOGINFILE),--basefile model.jsonl) \
	  'mkdir -p kept && nsl-prune -q --plan model.jsonl --eps "$$NSL_EPS" --field "$$NSL_FIELD" $(if $(VECTORS),--vectors {3}) -o {2} {1}'
	@cd $(call q,$(OUT)) && cat kept/*.jsonl >kept.all && \
	  touch $(foreach n,$(NAMES),'pruned/$(n).jsonl') && \
	  awk 'BEGIN { while ((getline l < "kept.all") > 0) k[l] = 1 } \
	    FNR == 1 { if (out != "") close(out); out = FILENAME; \
	      sub(/^scored\//, "pruned/", out) } \
	    $$0 in k { print > out }' \
	    $(foreach n,$(NAMES),'scored/$(n).jsonl') && rm -f kept.all
	@touch $(call q,$@)
endif

table: $(OUT)/pruned.done
	@{ printf 'shard\trecords\tkept\n'; \
	  t=0; k=0; for n in $(NAMES); do \
	    a=$$(wc -l < $(call q,$(OUT))/scored/$$n.jsonl); \
	    b=$$(wc -l < $(call q,$(OUT))/pruned/$$n.jsonl); \
	    printf '%s\t%s\t%s\n' "$$n" "$$a" "$$b"; t=$$((t + a)); k=$$((k + b)); done; \
	  printf 'total\t%s\t%s\n' "$$t" "$$k"; } | $(COLUMN)

clean:
	rm -rf $(call q,$(OUT))

FORCE:
.PHONY: all table clean FORCE
