#!/bin/sh
# Number text throughput: lib/num against glibc strtod/strtof and printf
# %.17g / %.9g, on embedding-like and random numbers (bench/num.c).
set -eu
cd "$(dirname "$0")/.."
mkdir -p bench/out
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Ilib bench/num.c lib/num.c -lm -o bench/out/num
bench/out/num
uptime
