#!/bin/sh
# What fresh memory costs on this machine (bench/fresh-memory.c): 1 GiB
# (or MIB MiB) mapped and written twice, with 4 KiB and huge pages, each
# faulted in by the writing or made present first (lib/mem.c), then
# written to and read from a memfd and from a file in TMPDIR.  The
# figures explain the spool's choice (lib/spool.c) and the spread of
# bench/io.sh's pipe figures on a virtual machine.  Run it twice: memory
# freed a moment before is cheaper the second time.
#
#	sh bench/fresh-memory.sh          MIB=4096 sh bench/fresh-memory.sh
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE bench/fresh-memory.c -o bench/out/fresh-memory
echo "load: $(uptime | sed 's/.*load average: //')"
bench/out/fresh-memory "${MIB:-1024}"
