#!/bin/sh
# Every finite float32 (2^32 bit patterns less NaNs and infinities),
# written as nsl writes it and as Python does, read back by lib/num.c
# alone and in arrays, each compared bit for bit with the double it
# widens to (bench/num-float32-all.c).  About seven minutes on two cores;
# STEP=N takes every N-th pattern.
#
#	sh bench/num-float32-all.sh            STEP=1000 sh bench/num-float32-all.sh
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
${CC:-cc} -std=c11 -O2 -fopenmp -D_GNU_SOURCE -Ilib bench/num-float32-all.c \
    lib/num.c -lm -o bench/out/num-float32-all
echo "load: $(uptime | sed 's/.*load average: //')"
bench/out/num-float32-all "${STEP:-1}"
echo "load: $(uptime | sed 's/.*load average: //')"
