# pipelines/precision.mk - what a low-precision number format costs an
# embedding: probe error and OT distance to full precision against bits
# per value.
#
#   make -f pipelines/precision.mk TRAIN=train.jsonl TEST=test.jsonl
#        [CHECKPOINT=model.safetensors]
#        [OUT=out/precision] [FORMATS='fp8-e4m3 ... int4'] [TRAIN_N=10000]
#        [OT_N=2000] [JOBS=2] [SSHLOGINFILE=hosts] [PLOT_FORMAT=png]
#   make -f pipelines/precision.mk CHECKPOINT=model.safetensors [...]
#
# FORMATS defaults to every named format of nsl-quantize --list-formats
# (the catalogue's rows, so a format added there is compared here too).
#
# TRAIN and TEST hold records {"label", "embedding"}; the first TRAIN_N
# training records are used.  For each format of FORMATS (and "none", the
# records as they are):
#  1. nsl-quantize the training and test embeddings (its default scaling
#     for the format: a plain cast for fp8/fp6/fp4, a shared E8M0 scale
#     per block of 32 for MX, absmax per block of 64 for nf4, per row for
#     int8/int4), with the error statistics (mse, sqnr_db);
#  2. nsl-ot-distance (exact, squared Euclidean) between the first OT_N
#     quantized training embeddings and the same records at full precision;
#  3. nsl-probe (linear) trained on the quantized training set and tested
#     on the quantized test set;
# into one record per format: $(OUT)/results.jsonl with format, family,
# bits (element bits + scale bits per value: 8/32 for MX, 32/64 for nf4,
# 32/d for int8/int4 row scales), test_error, ot, mse, sqnr_db.
# Figures: $(OUT)/precision-error.$(PLOT_FORMAT),
# $(OUT)/precision-ot.$(PLOT_FORMAT) and $(OUT)/precision-sqnr.$(PLOT_FORMAT)
# (the error as SQNR in dB), against bits per value.
# `make -f ... table` prints the table.
#
# With CHECKPOINT (a .safetensors file), each format also quantizes the
# checkpoint tensor by tensor (nsl-quantize --saturate, its default
# scaling; the quantized copy is not kept) into the per-tensor table
# $(OUT)/tensors.jsonl: nsl-quantize's statistics record of each float
# tensor with format, family and bits (32/d for the per-row scales of
# int8/int4, d the tensor's last dimension); $(OUT)/checkpoint.jsonl
# sums them per format (mse and SQNR over all values, bits weighted by
# values), plotted as $(OUT)/checkpoint-sqnr.$(PLOT_FORMAT).
# `make -f ... tensor-table` prints the per-tensor table.  Without TRAIN,
# only the checkpoint's products are made.

include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

CHECKPOINT ?=
# the embeddings' part is asked for by TRAIN, or by the lack of a checkpoint
EMBEDDINGS := $(if $(CHECKPOINT),$(filter-out undefined,$(origin TRAIN)),yes)
TRAIN ?= $(error set TRAIN=records.jsonl (embedding, label))
TEST ?= $(error set TEST=records.jsonl (embedding, label))
OUT ?= out/precision
# the catalogue's named rows (a family row's name holds X and Y)
FORMATS ?= $(shell nsl-quantize --list-formats | awk '$$1 !~ /X/ { print $$1 }')
TRAIN_N ?= 10000
OT_N ?= 2000
PLOT_FORMAT ?= png
$(call check-names,OUT PLOT_FORMAT $(if $(EMBEDDINGS),TRAIN TEST) $(if $(CHECKPOINT),CHECKPOINT))
$(call check-words,FORMATS)

all: $(if $(EMBEDDINGS),$(OUT)/precision-error.$(PLOT_FORMAT) \
  $(OUT)/precision-ot.$(PLOT_FORMAT) $(OUT)/precision-sqnr.$(PLOT_FORMAT)) \
  $(if $(CHECKPOINT),$(OUT)/checkpoint-sqnr.$(PLOT_FORMAT))

# (the rules that name TRAIN and TEST exist only when they are wanted)
ifneq ($(EMBEDDINGS),)
$(OUT)/train.jsonl: $(TRAIN) $(OUT)/knobs
	@mkdir -p $(call q,$(@D))
	@head -n $(call q,$(TRAIN_N)) $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)
endif

$(OUT)/knobs: FORCE
	$(call write-if-changed,$@,$(TRAIN_N) $(OT_N))

$(OUT)/jobs.txt: FORCE
	$(call write-if-changed,$@,none $(FORMATS))

# One run per format ($1): quantize, OT distance, probe, one record.
RUN = d=$(call q,$(OUT))/runs/"$$1"; \
  if [ "$$1" = none ]; then cp $(call q,$(OUT)/train.jsonl) "$$d.train"; cp $(call q,$(TEST)) "$$d.test"; \
    echo '{"mse":0,"sqnr_db":null}' > "$$d.stats"; bits=32; family=none; \
  else \
    nsl-quantize -q --format "$$1" --stats-file "$$d.stats" -o "$$d.train" $(call q,$(OUT)/train.jsonl); \
    nsl-quantize -q --format "$$1" -o "$$d.test" $(call q,$(TEST)); \
    dim=$$(head -1 $(call q,$(OUT)/train.jsonl) | jq '.embedding | length'); \
    bits=$$(nsl-quantize --list-formats | awk -v f="$$1" -v d="$$dim" '$$1 == f { \
      b = $$2; if (match($$0, /E8M0 scale per block of [0-9]+/)) { split(substr($$0, RSTART, RLENGTH), w, " "); b += 8 / w[6] } \
      else if (match($$0, /absmax scale per block of [0-9]+/)) { split(substr($$0, RSTART, RLENGTH), w, " "); b += 32 / w[6] } \
      else if (f ~ /^int/) b += 32 / d; print b }'); \
    case "$$1" in mx*) family=MX;; nf4) family=nf4;; int*) family=int;; *) family=minifloat;; esac; \
  fi; \
  head -n $(call q,$(OT_N)) $(call q,$(OUT)/train.jsonl) > "$$d.a"; head -n $(call q,$(OT_N)) "$$d.train" > "$$d.b"; \
  nsl-ot-distance -q "$$d.a" "$$d.b" > "$$d.ot"; \
  nsl-probe -q --train "$$d.train" --test "$$d.test" > "$$d.probe"; \
  jq -c -n --arg f "$$1" --arg fam "$$family" --argjson bits "$$bits" \
    --slurpfile s "$$d.stats" --slurpfile o "$$d.ot" --slurpfile p "$$d.probe" \
    '{format: $$f, family: $$fam, bits: $$bits, test_error: $$p[0].test_error, \
      train_error: $$p[0].train_error, ot: $$o[0].distance, mse: $$s[0].mse, \
      sqnr_db: $$s[0].sqnr_db}' > "$$d.json.tmp"; \
  rm -f "$$d.train" "$$d.test" "$$d.stats" "$$d.a" "$$d.b" "$$d.ot" "$$d.probe"; mv "$$d.json.tmp" "$$d.json"

ifneq ($(EMBEDDINGS),)
$(OUT)/results.jsonl: $(OUT)/jobs.txt $(OUT)/train.jsonl $(TEST)
	$(call run-missing,$<,$(OUT)/runs,{1},$(RUN))
	@$(call gather,$<,$(OUT)/runs,{1}) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)
endif

$(OUT)/quantized.jsonl: $(OUT)/results.jsonl
	@jq -c 'select(.format != "none")' $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/precision-error.$(PLOT_FORMAT): $(OUT)/results.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x bits --y test_error --group family --xlabel 'bits per value' \
	    --ylabel 'linear probe test error' --title 'probe error against bits per value (none = full precision)' \
	    -o $(call q,$@) $(call q,$<)

$(OUT)/precision-ot.$(PLOT_FORMAT): $(OUT)/quantized.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x bits --y ot --group family --logy --xlabel 'bits per value' \
	    --ylabel 'exact OT distance to full precision (W2)' --title 'OT distance to the full-precision embeddings' \
	    -o $(call q,$@) $(call q,$<)

TABLE_JQ = "  \(.format)\t\(.family)\t\(.bits * 1000 | round / 1000)\t\(.test_error * 1e4 | round / 1e2)\t" + \
  "\(.ot * 1e4 | round / 1e4)\t\(.mse * 1e5 | round / 1e5)\t\(.sqnr_db // "-" | if type == "number" then (. * 10 | round / 10) else . end)"

$(OUT)/precision-sqnr.$(PLOT_FORMAT): $(OUT)/quantized.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x bits --y sqnr_db --group family --xlabel 'bits per value' \
	    --ylabel 'SQNR (dB)' --title 'signal to quantization noise of the embeddings' \
	    -o $(call q,$@) $(call q,$<)

# ---- a checkpoint, tensor by tensor ----

# Bits per value of format $$1 for a tensor of last dimension d: awk's
# program over --list-formats, as for the embeddings' records above.
BITS_AWK = $$1 == f { b = $$2; if (match($$0, /E8M0 scale per block of [0-9]+/)) { split(substr($$0, RSTART, RLENGTH), w, " "); b += 8 / w[6] } \
  else if (match($$0, /absmax scale per block of [0-9]+/)) { split(substr($$0, RSTART, RLENGTH), w, " "); b += 32 / w[6] } \
  else if (f ~ /^int/) b += 32 / d; print b }

$(OUT)/tensors/%.jsonl: $(CHECKPOINT)
	@mkdir -p $(call q,$(@D))
	@nsl-quantize -q --format $(call q,$*) --saturate --stats-file $(call q,$@.stats) \
	    -o /dev/null $(call q,$(CHECKPOINT))
	@case $(call q,$*) in mx*) family=MX;; nf4) family=nf4;; int*) family=int;; *) family=minifloat;; esac; \
	  nsl-quantize --list-formats > $(call q,$@.formats); \
	  while IFS= read -r line; do \
	    d=$$(jq -r '.shape[-1] // 1' <<< "$$line"); \
	    bits=$$(awk -v f=$(call q,$*) -v d="$$d" '$(BITS_AWK)' $(call q,$@.formats)); \
	    jq -c --arg f $(call q,$*) --arg fam "$$family" --argjson bits "$$bits" \
	      '{format: $$f, family: $$fam, bits: $$bits} + .' <<< "$$line"; \
	  done < $(call q,$@.stats) > $(call q,$@.tmp)
	@rm -f $(call q,$@.stats) $(call q,$@.formats); mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/tensors.jsonl: $(OUT)/jobs.txt $(foreach f,$(FORMATS),$(OUT)/tensors/$(f).jsonl)
	@cat $(call qw,$(foreach f,$(FORMATS),$(OUT)/tensors/$(f).jsonl)) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

# Per format over all tensors: the error sum is n mse, the signal's
# n mse 10^(sqnr/10) (an exact tensor adds no error and is left out of
# the signal: its SQNR is null).
CHECKPOINT_JQ = group_by(.format)[] | {format: .[0].format, family: .[0].family, \
  n: (map(.n) | add), bits: ((map(.n * .bits) | add) / (map(.n) | add)), \
  err: (map(.n * .mse) | add), \
  sig: (map(select(.sqnr_db != null) | .n * .mse * pow(10; .sqnr_db / 10)) | add)} | \
  {format, family, bits, n, mse: (.err / .n), \
   sqnr_db: (if .err > 0 then 10 * ((.sig // 0) / .err | log10) else null end)}

$(OUT)/checkpoint.jsonl: $(OUT)/tensors.jsonl
	@jq -c -s '$(CHECKPOINT_JQ)' $(call q,$<) > $(call q,$@.tmp) && mv $(call q,$@.tmp) $(call q,$@)

$(OUT)/checkpoint-sqnr.$(PLOT_FORMAT): $(OUT)/checkpoint.jsonl
	@printf '  PLOT    %s\n' $(call q,$@)
	@nsl-plot --x bits --y sqnr_db --group family --xlabel 'bits per value' \
	    --ylabel 'SQNR (dB)' --title 'signal to quantization noise of the checkpoint' \
	    -o $(call q,$@) $(call q,$<)

TENSOR_JQ = "  \(.format)\t\(.tensor)\t\(.dtype)\t\(.shape | map(tostring) | join("x"))\t\(.bits * 1000 | round / 1000)\t" + \
  "\(.mse)\t\(.sqnr_db // "-" | if type == "number" then (. * 10 | round / 10) else . end)\t" + \
  "\(.max_abs_error)\t\(.saturated * 1e4 | round / 1e2)\t\(.flushed * 1e4 | round / 1e2)"

tensor-table: $(OUT)/tensors.jsonl
	@{ printf '  format\ttensor\tdtype\tshape\tbits/value\tMSE\tSQNR dB\tmax error\tsaturated (%%)\tflushed (%%)\n'; \
	  jq -r '$(TENSOR_JQ)' $(call q,$<); } | $(COLUMN)

table: $(OUT)/results.jsonl
	@{ printf '  format\tfamily\tbits/value\ttest error (%%)\tOT (W2)\tMSE\tSQNR dB\n'; \
	  jq -r -s 'sort_by(.bits) | reverse[] | $(TABLE_JQ)' $(call q,$<); } | $(COLUMN)
	@printf 'figures: %s %s\n' $(call q,$(OUT)/precision-error.$(PLOT_FORMAT)) $(call q,$(OUT)/precision-ot.$(PLOT_FORMAT))

clean:
	rm -rf $(call q,$(OUT))

.SECONDARY: $(OUT)/quantized.jsonl $(OUT)/checkpoint.jsonl

FORCE:
.PHONY: all table tensor-table clean FORCE
