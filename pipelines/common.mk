# pipelines/common.mk - shared by every pipeline (included, not run).
#
# Tools: NSL_BIN (default: the tree's bin/) when the pipeline sits in a built nsl tree,
# otherwise nsl-* on PATH.  Fan-out: GNU parallel with JOBS jobs (per
# host), over the hosts of SSHLOGINFILE when it is set; the remote hosts
# must see the same file system at the same path (--workdir) and have the
# tools on the same PATH.  The tools are deterministic, so any host (and
# any JOBS) gives the same bytes.

# Knobs are data, never code.  A knob's value reaches a recipe's shell
# only through $(call q,VALUE) (one word, single-quoted) or $(call
# qw,LIST) (each word of LIST one quoted word: the *_ARGS knobs are such
# lists, split at white space with no shell quoting of their own); a
# run's fields reach its shell as "$$1" "$$2" ...; awk and jq programs
# get knobs as -v and --arg values, never in their text.  Names that make
# itself builds or depends on (OUT, the input files, list words that
# become parts of file names) cannot hold white space or any of
# : ; | % \ * ? [ (make splits names at them or reads them as patterns)
# nor start with '-': check-names stops with a clear error on such a
# value.  A value holding '$$' or quotes is fine anywhere.
q = '$(subst ','\'',$(1))'
qw = $(foreach w,$(1),$(call q,$(w)))

nsl-empty :=
nsl-comma := ,
nsl-space := $(nsl-empty) $(nsl-empty)
nsl-tab := $(nsl-empty)	$(nsl-empty)
define nsl-newline


endef
nsl-unnameable := : ; | % \ * ? [
# Why the text $(1) cannot be a file name for make (empty if it can).
nsl-why-name = $(strip $(if $(1),,is empty) \
  $(if $(or $(findstring $(nsl-space),$(1)),$(findstring $(nsl-tab),$(1)),$(findstring $(nsl-newline),$(1))),holds white space) \
  $(foreach c,$(nsl-unnameable),$(if $(findstring $(c),$(1)),holds '$(c)')) \
  $(if $(filter -%,$(1)),starts with '-'))
# $(call check-names,VAR ...): each VAR is one file or directory name.
check-names = $(foreach v,$(1),$(if $(call nsl-why-name,$($(v))),$(error \
  $(v)='$($(v))' $(call nsl-why-name,$($(v))): make cannot take it in a file name; choose another)))
# $(call check-words,VAR ...): each word of VAR can be part of a file name.
check-words = $(foreach v,$(1),$(foreach w,$($(v)),$(if $(call nsl-why-name,$(w)),$(error \
  $(v): '$(w)' $(call nsl-why-name,$(w)): make cannot take it in a file name; choose another))))

NSL_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
NSL_BIN ?= $(NSL_ROOT)/bin
$(call check-names,NSL_BIN)
ifneq ($(wildcard $(NSL_BIN)/nsl),)
export PATH := $(NSL_BIN):$(PATH)
endif

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SSHLOGINFILE ?=
PARALLEL = parallel --will-cite --halt now,fail=1 -j $(call q,$(JOBS)) --colsep ' ' \
	$(if $(SSHLOGINFILE),--sshloginfile $(call q,$(SSHLOGINFILE)) --workdir $(call q,$(CURDIR)) --env PATH)

SHELL = /bin/bash
.SHELLFLAGS = -eu -o pipefail -c
.DELETE_ON_ERROR:

# Tab-separated lines -> aligned columns (as column -t -s TAB, which is not
# in every Debian install), two spaces between columns.
COLUMN = awk -F '\t' '{ for (i = 1; i <= NF; i++) { c[NR, i] = $$i; \
  if (length($$i) > w[i]) w[i] = length($$i) } nf[NR] = NF } \
  END { for (r = 1; r <= NR; r++) { for (i = 1; i < nf[r]; i++) \
  printf "%-*s  ", w[i], c[r, i]; print c[r, nf[r]] } }'

# $(call write-if-changed,FILE,LINES): write LINES (a make list, one word
# per line, ':' separating the fields of a line) to FILE only when they
# differ from its contents, so a target depending on FILE reruns when, and
# only when, the knobs that FILE lists change.
define write-if-changed
@mkdir -p $(call q,$(dir $(1)))
@printf '%s\n' $(call qw,$(2)) | tr ':' ' ' | cmp -s - $(call q,$(1)) || \
  { printf '%s\n' $(call qw,$(2)) | tr ':' ' ' > $(call q,$(1).tmp) && mv $(call q,$(1).tmp) $(call q,$(1)); }
endef

# nsl_name FIELD...: NAME (a run's file name with {1} {2} ... for the
# fields of its job line) with the fields put in, as literal text.
define nsl-name-fn
nsl_name() { local n=$(call q,$(1)) i=0 v; for v in "$$@"; do i=$$((i + 1)); n=$${n//"{$$i}"/"$$v"}; done; printf '%s' "$$n"; }
endef

# $(call run-missing,JOBLIST,RUNDIR,NAME,COMMAND,INPUTS): run the shell
# COMMAND through GNU parallel for each line of JOBLIST whose output
# RUNDIR/NAME.json does not exist yet.  NAME uses {1} {2} ... for the
# line's fields, COMMAND $$1 $$2 ... (it runs as bash -c COMMAND _ FIELDS,
# COMMAND passed in the environment, so it may contain any quotes).  When
# a prerequisite other than JOBLIST is newer than the target (make's $?),
# every earlier run is stale and removed first; a change to the job list
# alone only runs the new lines.
define run-missing
@mkdir -p $(call q,$(2))
@if [ -n $(call q,$(filter-out $(1),$?)) ]; then rm -f $(call q,$(2))/*.json; fi
@set -f; $(call nsl-name-fn,$(3)); \
	n=$$(while read -r line; do set -- $$line; \
	  [ -e $(call q,$(2))/"$$(nsl_name "$$@")".json ] || printf '%s\n' "$$line"; \
	  done < $(call q,$(1)) | tee $(call q,$(2)/.todo) | wc -l); \
	if [ "$$n" -gt 0 ]; then \
	  printf '  RUN     %s of %s runs -> %s (JOBS=%s)\n' "$$n" "$$(wc -l < $(call q,$(1)))" \
	    $(call q,$(2)) $(call q,$(JOBS)); \
	  NSL_RUN=$(call q,$(4)) $(PARALLEL) --env NSL_RUN \
	    'bash -eu -o pipefail -c "$$NSL_RUN" _ {1} {2} {3} {4} {5}' < $(call q,$(2)/.todo); \
	fi; rm -f $(call q,$(2)/.todo)
endef

# $(call gather,JOBLIST,RUNDIR,NAME): the runs' records in job-list order,
# without the wall-clock field, so the file is the same bytes for any JOBS.
define gather
set -f; $(call nsl-name-fn,$(3)); while read -r line; do set -- $$line; \
  cat $(call q,$(2))/"$$(nsl_name "$$@")".json; \
done < $(call q,$(1)) | jq -c 'del(.seconds)'
endef
