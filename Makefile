# nsl - GNU Makefile.  `make` builds lib/libnsl.a and bin/; `make check`
# installs missing dependencies (scripts/install-deps) and runs every test.

VERSION = 0.1.0
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man

CC ?= cc
CFLAGS ?= -O2 -g
NSL_CFLAGS = -std=c11 -Wall -Wextra -Werror -D_GNU_SOURCE -fopenmp \
	-Ilib -I/usr/include/x86_64-linux-gnu/openblas-pthread \
	-DNSL_VERSION='"$(VERSION)"'
LDLIBS = -lgsl $(BLAS_LIBS) -ljansson -ldeflate -lisal -lz -lm
# GSL's CBLAS calls go to OpenBLAS in the tools that do matrix work of
# their own; the others take GSL's own CBLAS, and so start no OpenBLAS
# thread pool (its threads spin on the other hyperthread at start-up).
BLAS_LIBS = -lopenblas
NOBLAS_TOOLS = convert extrapolate fit plot quantize
NOBLAS_TOOLS += passk
NSL_LDFLAGS = -fopenmp

# One line per entry, so that work on different tools touches different
# lines.  TOOLS: tools/nsl-NAME.c each (the dispatcher tools/nsl.c is
# always built); LIB_OBJS: lib/MODULE.o; UNIT_TESTS: tests/unit/test_NAME.c.
TOOLS =
TOOLS += probe
TOOLS += embed
TOOLS += plot
TOOLS += convert
TOOLS += ot-distance
TOOLS += fit
TOOLS += extrapolate
TOOLS += quantize
TOOLS += score
TOOLS += synth
TOOLS += prune
TOOLS += intrinsic-dim
TOOLS += optimum
TOOLS += compare
TOOLS += pools
TOOLS += frontier
TOOLS += passk
TOOLS += mix

LIB_OBJS =
LIB_OBJS += lib/buf.o
LIB_OBJS += lib/hash.o
LIB_OBJS += lib/batch.o
LIB_OBJS += lib/mem.o
LIB_OBJS += lib/base64.o
LIB_OBJS += lib/err.o
LIB_OBJS += lib/io.o
LIB_OBJS += lib/bgzf.o
LIB_OBJS += lib/json.o
LIB_OBJS += lib/num.o
LIB_OBJS += lib/rng.o
LIB_OBJS += lib/vec.o
LIB_OBJS += lib/dataset.o
LIB_OBJS += lib/labels.o
LIB_OBJS += lib/npy.o
LIB_OBJS += lib/idx.o
LIB_OBJS += lib/csv.o
LIB_OBJS += lib/convert.o
LIB_OBJS += lib/expr.o
LIB_OBJS += lib/laws.o
LIB_OBJS += lib/optim.o
LIB_OBJS += lib/group.o
LIB_OBJS += lib/points.o
LIB_OBJS += lib/fitrec.o
LIB_OBJS += lib/fit.o
LIB_OBJS += lib/fit_search.o
LIB_OBJS += lib/extrap.o
LIB_OBJS += lib/prune.o
LIB_OBJS += lib/prune_plan.o
LIB_OBJS += lib/coreset.o
LIB_OBJS += lib/pack.o
LIB_OBJS += lib/spool.o
LIB_OBJS += lib/quant.o
LIB_OBJS += lib/quant_filter.o
LIB_OBJS += lib/quant_tensor.o
LIB_OBJS += lib/ot.o
LIB_OBJS += lib/ot_methods.o
LIB_OBJS += lib/ot_cost.o
LIB_OBJS += lib/ot_fexp.o
LIB_OBJS += lib/ot_exact.o
LIB_OBJS += lib/ot_sinkhorn.o
LIB_OBJS += lib/ot_sns.o
LIB_OBJS += lib/ot_sliced.o
LIB_OBJS += lib/ot_gauss.o
LIB_OBJS += lib/ot_otdd.o
LIB_OBJS += lib/ot_record.o
LIB_OBJS += lib/ot_run.o
LIB_OBJS += lib/kmeans.o
LIB_OBJS += lib/ivf.o
LIB_OBJS += lib/score.o
LIB_OBJS += lib/score_model.o
LIB_OBJS += lib/score_values.o
LIB_OBJS += lib/mix.o
LIB_OBJS += lib/synth.o
LIB_OBJS += lib/probe.o
LIB_OBJS += lib/embed.o
LIB_OBJS += lib/plot.o
LIB_OBJS += lib/intdim.o
LIB_OBJS += lib/safetensors.o
LIB_OBJS += lib/optimum.o
LIB_OBJS += lib/compare.o
LIB_OBJS += lib/pools.o
LIB_OBJS += lib/frontier.o
LIB_OBJS += lib/passk.o

# The tools' side (option tables, diagnostics that print and exit): not
# part of libnsl, linked into every tool and the cli unit test.
TOOL_OBJS = tools/cli.o

UNIT_TESTS =
UNIT_TESTS += cli
UNIT_TESTS += buf
UNIT_TESTS += bgzf
UNIT_TESTS += hash
UNIT_TESTS += sort
UNIT_TESTS += base64
UNIT_TESTS += io
UNIT_TESTS += spool_pipe
UNIT_TESTS += json
UNIT_TESTS += num
UNIT_TESTS += rng
UNIT_TESTS += dataset
UNIT_TESTS += npy
UNIT_TESTS += idx
UNIT_TESTS += csv
UNIT_TESTS += expr
UNIT_TESTS += laws
UNIT_TESTS += optim
UNIT_TESTS += fitrec
UNIT_TESTS += fit_search
UNIT_TESTS += plot
UNIT_TESTS += quant
UNIT_TESTS += quant_filter
UNIT_TESTS += convert
UNIT_TESTS += ot
UNIT_TESTS += ot_record
UNIT_TESTS += kmeans
UNIT_TESTS += ivf
UNIT_TESTS += score
UNIT_TESTS += synth
UNIT_TESTS += prune
UNIT_TESTS += coreset_f32
UNIT_TESTS += pack
UNIT_TESTS += spool
UNIT_TESTS += shards
UNIT_TESTS += mix
UNIT_TESTS += probe
UNIT_TESTS += embed
UNIT_TESTS += labels
UNIT_TESTS += props
UNIT_TESTS += intdim
UNIT_TESTS += safetensors
UNIT_TESTS += optimum
UNIT_TESTS += pools
UNIT_TESTS += frontier
UNIT_TESTS += passk
UNIT_TESTS += quant_tensor
UNIT_TESTS += batch
UNIT_TESTS += mem
UNIT_TESTS += vec

# B is the build tree: "." for the normal build, another directory for
# the sanitizer build (make check-asan), so the two never mix.
B = .
BINS = $(B)/bin/nsl $(TOOLS:%=$(B)/bin/nsl-%)
UNIT_BINS = $(UNIT_TESTS:%=$(B)/tests/unit/test_%)
OBJS = $(LIB_OBJS:%=$(B)/%)
TOBJS = $(TOOL_OBJS:%=$(B)/%)

ifeq ($(V),1)
Q =
else
Q = @
endif

all: $(BINS) $(B)/lib/libnsl.a

# A stamp of the flags: changing CC or CFLAGS rebuilds everything.  Taken
# once (:=), so a target's own BLAS_LIBS (below) does not enter it: with
# "=", whichever target made the stamp first set it, and `make` after
# `make units` rebuilt everything.
FLAGS_NOW := $(CC) $(CFLAGS) $(NSL_CFLAGS) $(LDFLAGS) $(LDLIBS)
$(B)/.flags: FORCE
	@mkdir -p $(B)
	@echo '$(FLAGS_NOW)' | cmp -s - $@ || echo '$(FLAGS_NOW)' > $@

$(B)/%.o: %.c $(B)/.flags
	@mkdir -p $(@D)
	@echo "  CC      $@"
	$(Q)$(CC) $(CFLAGS) $(NSL_CFLAGS) -MMD -MP -c -o $@ $<

$(B)/lib/libnsl.a: $(OBJS)
	@echo "  AR      $@"
	$(Q)rm -f $@ && ar rcs $@ $^

$(NOBLAS_TOOLS:%=$(B)/bin/nsl-%) $(B)/bin/nsl: BLAS_LIBS = -lgslcblas

$(B)/bin/nsl-%: $(B)/tools/nsl-%.o $(TOBJS) $(B)/lib/libnsl.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(NSL_LDFLAGS) $(LDFLAGS) -o $@ $< $(TOBJS) $(B)/lib/libnsl.a $(LDLIBS)

$(B)/bin/nsl: $(B)/tools/nsl.o $(TOBJS) $(B)/lib/libnsl.a
	@mkdir -p $(@D)
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(NSL_LDFLAGS) $(LDFLAGS) -o $@ $< $(TOBJS) $(B)/lib/libnsl.a $(LDLIBS)

$(B)/tests/unit/test_%: $(B)/tests/unit/test_%.o $(B)/lib/libnsl.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(NSL_LDFLAGS) $(LDFLAGS) -o $@ $< $(B)/lib/libnsl.a $(LDLIBS)

$(B)/tests/unit/%.o: NSL_CFLAGS += -Itests/unit

# The cli test exercises the tools' side, which is not in libnsl.
$(B)/tests/unit/test_cli: $(B)/tests/unit/test_cli.o $(TOBJS) $(B)/lib/libnsl.a
	@echo "  LD      $@"
	$(Q)$(CC) $(CFLAGS) $(NSL_LDFLAGS) $(LDFLAGS) -o $@ $< $(TOBJS) $(B)/lib/libnsl.a $(LDLIBS)
$(B)/tests/unit/test_cli.o: NSL_CFLAGS += -Itools

units: $(UNIT_BINS)

deps-bench:
	@scripts/install-deps --bench

deps-fuzz:
	@scripts/install-deps --fuzz

deps:
	@scripts/install-deps

# The build takes a job per processor (make's own -j, if given, wins):
# CI's limit counts it.
BUILD_JOBS = $(if $(filter -j%,$(MAKEFLAGS)),,-j$$(nproc 2>/dev/null || echo 1))
check: deps man-lint
	@$(MAKE) --no-print-directory $(BUILD_JOBS) all units
	@tests/run $(B)

# The same tests under AddressSanitizer (with LeakSanitizer) and UBSan,
# built in asan/ so the normal build is untouched.
ASAN_CFLAGS = -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
check-asan: deps
	@$(MAKE) --no-print-directory $(BUILD_JOBS) B=asan CFLAGS='$(ASAN_CFLAGS)' \
	    LDFLAGS='-fsanitize=address,undefined' all units
	@UNIT_QUICK=1 ASAN_OPTIONS=detect_leaks=1 \
	    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run asan

demo: deps all
	@examples/demo.sh

fuzz: deps-fuzz
	@scripts/fuzz

# bench/compare-outputs-*.sh compare two builds (BEFORE_BIN AFTER_BIN):
# run by hand around a change, not part of make bench.
bench: deps-bench all
	@for b in bench/*.sh; do case $$b in bench/compare-outputs-* | bench/summary.sh) continue ;; esac; \
	    echo "== $$b"; sh $$b || exit 1; done
	@echo "== bench/summary.sh"; sh bench/summary.sh

# Every man page, at mandoc's warning level: any warning fails.
MAN1 = $(wildcard man/*.1)
MAN7 = $(wildcard man/*.7)
man-lint:
	@mandoc -Tlint -Wwarning $(MAN1) $(MAN7)

# uninstall removes exactly what install put in place: the programs of
# BINS by name and the man pages of MAN1 and MAN7, never the build tree.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man7
	install -m 755 $(BINS) $(DESTDIR)$(BINDIR)
	install -m 644 $(MAN1) $(DESTDIR)$(MANDIR)/man1
	install -m 644 $(MAN7) $(DESTDIR)$(MANDIR)/man7

uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(notdir $(BINS)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(MAN1)))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7)))

clean:
	rm -rf bin asan lib/*.o lib/*.d lib/libnsl.a tools/*.o tools/*.d \
	    tests/unit/*.o tests/unit/*.d .flags \
	    $(UNIT_TESTS:%=tests/unit/test_%)

FORCE:

# Keep the objects of tools and tests that chained rules would delete.
.SECONDARY:
.PHONY: all units check check-asan demo fuzz bench man-lint install uninstall clean deps deps-bench deps-fuzz FORCE

-include $(OBJS:.o=.d) $(TOBJS:.o=.d) $(BINS:$(B)/bin/%=$(B)/tools/%.d) $(UNIT_BINS:=.d)
