# pipelines/common.mk - shared by every pipeline (included, not run).
#
# Tools: NSL_BIN (default: the tree's bin/) when the pipeline sits in a built nsl tree,
# otherwise nsl-* on PATH.  Fan-out: GNU parallel with JOBS jobs (per
# host), over the hosts of SSHLOGINFILE when it is set; the remote hosts
# must see the same file system at the same path (--workdir) and have the
# tools on the same PATH.  The tools are deterministic, so any host (and
# any JOBS) gives the same bytes.

NSL_ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))..)
NSL_BIN ?= $(NSL_ROOT)/bin
ifneq ($(wildcard $(NSL_BIN)/nsl),)
export PATH := $(NSL_BIN):$(PATH)
endif

JOBS ?= $(shell nproc 2>/dev/null || echo 2)
SSHLOGINFILE ?=
PARALLEL = parallel --will-cite --halt now,fail=1 -j $(JOBS) --colsep ' ' \
	$(if $(SSHLOGINFILE),--sshloginfile $(SSHLOGINFILE) --workdir $(CURDIR) --env PATH)

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
@mkdir -p $(dir $(1))
@printf '%s\n' $(foreach w,$(2),'$(w)') | tr ':' ' ' | cmp -s - $(1) || \
  { printf '%s\n' $(foreach w,$(2),'$(w)') | tr ':' ' ' > $(1).tmp && mv $(1).tmp $(1); }
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
@mkdir -p $(2)
@if [ -n "$(filter-out $(1),$?)" ]; then rm -f $(2)/*.json; fi
@n=$$(while read -r line; do set -- $$line; \
	  f=$(2)/$$(echo $(3) | sed "s/{1}/$${1-}/g; s/{2}/$${2-}/g; s/{3}/$${3-}/g; s/{4}/$${4-}/g; s/{5}/$${5-}/g").json; \
	  [ -e "$$f" ] || echo "$$line"; done < $(1) | tee $(2)/.todo | wc -l); \
	if [ "$$n" -gt 0 ]; then \
	  echo "  RUN     $$n of $$(wc -l < $(1)) runs -> $(2) (JOBS=$(JOBS))"; \
	  NSL_RUN='$(subst ','\'',$(4))' $(PARALLEL) --env NSL_RUN \
	    'bash -eu -o pipefail -c "$$NSL_RUN" _ {1} {2} {3} {4} {5}' < $(2)/.todo; \
	fi; rm -f $(2)/.todo
endef

# $(call gather,JOBLIST,RUNDIR,NAME): the runs' records in job-list order,
# without the wall-clock field, so the file is the same bytes for any JOBS.
define gather
while read -r line; do set -- $$line; \
  cat $(2)/$$(echo $(3) | sed "s/{1}/$${1-}/g; s/{2}/$${2-}/g; s/{3}/$${3-}/g; s/{4}/$${4-}/g; s/{5}/$${5-}/g").json; \
done < $(1) | jq -c 'del(.seconds)'
endef
