#!/bin/sh
# Standard input against a file, for two builds side by side: the tools
# in BEFORE (a directory of binaries) and in bin/ (or $NSL_BIN) each read
# the same N records x D numbers (bench/gen-embeddings.sh) named on the
# command line and piped (cat FILE |).  The four runs of a round
# alternate (before file, before pipe, after file, after pipe), R rounds
# (default 5); the medians of wall and of the tool's own CPU seconds
# (GNU time: user + system, the producer not counted) are printed with
# the pipe / file ratios of each build, taken in the same loop, and the
# load average.  On a shared machine the CPU figures and the ratios are
# the ones to read; the walls want a quiet one.  Every output of a round
# is compared with the first one (before, file): a difference stops the
# script.
#
#	BEFORE=DIR N=20000 R=7 sh bench/io-ab.sh nsl-prune --keep-fraction 0.5 --score-field id
#	BEFORE=DIR N=200000 R=3 OUT=/tmp/out.jsonl sh bench/io-ab.sh nsl-prune ...
set -eu
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: BEFORE=DIR sh $0 TOOL [ARG ...]" >&2; exit 64; }
N=${N:-20000}
D=${D:-768}
R=${R:-5}
BEFORE=${BEFORE:?BEFORE=DIR, the binaries to compare with}
OUT=${OUT:-}
after=${NSL_BIN:-bin}
out=bench/out
mkdir -p "$out"
data="$out/io-$N-$D.jsonl"
sh bench/gen-embeddings.sh "$N" "$D" "$data"
tool=$1
shift
runs=$out/io-ab-runs.$$
t=$out/io-ab-time.$$
o=$out/io-ab-out.$$
trap 'rm -f "$runs" "$t" "$o" "$o.ref"' EXIT
: > "$runs"
cat "$data" > /dev/null		# warm the page cache
echo "load: $(uptime | sed 's/.*load average: //')"
# round 0 checks the outputs, rounds 1..R are timed
i=0
while [ "$i" -le "$R" ]; do
	for build in before after; do
		[ "$build" = before ] && b=$BEFORE || b=$after
		for how in file pipe; do
			to=${OUT:-/dev/null}
			[ "$i" -gt 0 ] || to=$o
			if [ "$how" = file ]; then
				/usr/bin/time -f '%e %U %S' -o "$t" "$b/$tool" "$@" \
				    -o "$to" "$data"
			else
				cat "$data" | /usr/bin/time -f '%e %U %S' -o "$t" \
				    "$b/$tool" "$@" -o "$to"
			fi
			[ -z "$OUT" ] || [ "$i" -eq 0 ] || rm -f "$OUT"
			if [ "$i" -gt 0 ]; then
				awk -v k="$build-$how" '{ printf "%s %s %.2f\n",
				    k, $1, $2 + $3 }' "$t" >> "$runs"
			elif [ -f "$o.ref" ]; then
				cmp -s "$o" "$o.ref" || { echo "$build $how:" \
				    "output differs" >&2; exit 1; }
			else
				mv "$o" "$o.ref"
			fi
		done
	done
	rm -f "$o" "$o.ref"
	i=$((i + 1))
done
median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}
echo "$tool $* ($N records x $D, $R rounds, to ${OUT:-/dev/null};" \
    "median wall / cpu s)"
for build in before after; do
	fw=$(awk -v k="$build-file" '$1 == k { print $2 }' "$runs" | median)
	fc=$(awk -v k="$build-file" '$1 == k { print $3 }' "$runs" | median)
	pw=$(awk -v k="$build-pipe" '$1 == k { print $2 }' "$runs" | median)
	pc=$(awk -v k="$build-pipe" '$1 == k { print $3 }' "$runs" | median)
	awk -v b="$build" -v fw="$fw" -v fc="$fc" -v pw="$pw" -v pc="$pc" \
	    'BEGIN { printf "%-7s file %6.2f/%6.2f  pipe %6.2f/%6.2f  " \
	    "pipe/file wall %5.2fx cpu %5.2fx\n", b, fw, fc, pw, pc,
	    pw / fw, pc / fc }'
done
echo "load: $(uptime | sed 's/.*load average: //')"
