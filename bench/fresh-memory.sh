#!/bin/sh
# What fresh memory costs on this machine (bench/fresh-memory.c): 1 GiB
# (or MIB MiB) mapped and written twice, with 4 KiB and huge pages, each
# faulted in by the writing or made present first (lib/mem.c), then
# written to and read from a memfd and from a file in TMPDIR.  The
# figures explain the spool's choice (lib/spool.c) and the spread of
# bench/io.sh's pipe figures on a virtual machine.  Run it twice: memory
# freed a moment before is cheaper the second time.
#
# With SIZES (MiB, e.g. SIZES='256 512 1024 1536 2048'), it makes each
# size present in a new mapping instead, a pause before each, and prints
# the seconds a GiB: on a virtual machine, the first part of what
# processes take can be far cheaper than the rest (here about 1 GiB:
# 0.13-0.25 s a GiB below it; each GiB past it took 1.7-3.9 s), which a
# tool reading a pipe meets first, its copy taking memory beside its own.
#
#	sh bench/fresh-memory.sh          MIB=4096 sh bench/fresh-memory.sh
#	SIZES='512 1024 1536 2048' sh bench/fresh-memory.sh
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE bench/fresh-memory.c -o bench/out/fresh-memory
echo "load: $(uptime | sed 's/.*load average: //')"
if [ -n "${SIZES:-}" ]; then
	for m in $SIZES; do
		sleep "${PAUSE:-5}"
		bench/out/fresh-memory "$m" populate
	done
	exit 0
fi
bench/out/fresh-memory "${MIB:-1024}"
