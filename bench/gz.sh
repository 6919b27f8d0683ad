#!/bin/sh
# Gzip output and input: a tool writing -o FILE.gz (BGZF blocks compressed
# by libdeflate on every thread, and on one: OMP_NUM_THREADS=1) against
# gzip(1) at its default level 6 and at level 1, on the same JSONL; then
# reading each file back through nsl-convert (a BGZF file's blocks
# inflated on every thread, and on one; gzip's own file by ISA-L, one
# thread), from the file and from a pipe, against zcat; then a tool that
# reads its input twice (nsl-prune hard, keeping half), on a BGZF file
# (whose text the spool copies, packed, instead of decompressing it
# again; NSL_SPOOL_MEMORY=0 makes it read the file twice, as before) and
# from a pipe.  N records of D numbers (default 30000 x 768,
# about 290 MB, bench/gen-embeddings.sh); the median of R rounds
# (default 3) of wall and CPU seconds, MB/s of the text, and each file's
# size as a share of the text.  The load average is printed with them.
#
#	sh bench/gz.sh            N=100000 R=5 sh bench/gz.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-30000}
D=${D:-768}
R=${R:-3}
bin=${NSL_BIN:-bin}
out=bench/out
mkdir -p "$out"
data=$out/io-$N-$D.jsonl
sh bench/gen-embeddings.sh "$N" "$D" "$data" 8g
bytes=$(stat -c %s "$data")
cat "$data" > /dev/null
t=$out/gz-time.$$

# label CMD...: R runs of sh -c CMD; prints the medians
measure() {
	label=$1
	cmd=$2
	: > "$t.all"
	i=0
	while [ "$i" -lt "$R" ]; do
		/usr/bin/time -f '%e %U %S' -o "$t" sh -c "$cmd"
		awk '{ print $1, $2 + $3 }' "$t" >> "$t.all"
		i=$((i + 1))
	done
	sort -n -k1 "$t.all" | awk -v l="$label" -v b="$bytes" -v r="$R" '
	    { w[NR] = $1; c[NR] = $2 } END { m = int((r + 1) / 2)
	    printf "%-44s %7.2f s  cpu %7.2f s  %8.1f MB/s\n", l, w[m], c[m],
	    b / 1e6 / w[m] }'
}

size() {
	awk -v s="$(stat -c %s "$1")" -v b="$bytes" -v l="$2" 'BEGIN {
	    printf "%-44s %7.1f MB  %5.1f%% of the text\n", l, s / 1e6, 100 * s / b }'
}

echo "text: $data, $N records x $D numbers, $(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1e6 }') MB; $(nproc) threads"
echo "load: $(uptime | sed 's/.*load average: //')"
echo "writing"
measure "nsl-convert -o x.jsonl.gz (BGZF, all threads)" \
    "$bin/nsl-convert -o $out/gz-nsl.jsonl.gz $data"
measure "nsl-convert -o x.jsonl.gz (BGZF, one thread)" \
    "OMP_NUM_THREADS=1 $bin/nsl-convert -o $out/gz-nsl1.jsonl.gz $data"
cmp "$out/gz-nsl.jsonl.gz" "$out/gz-nsl1.jsonl.gz"
measure "gzip -6 (gzip's default)" "gzip -6 -c $data > $out/gz-6.jsonl.gz"
measure "gzip -1" "gzip -1 -c $data > $out/gz-1.jsonl.gz"
size "$out/gz-nsl.jsonl.gz" "size: nsl (BGZF, libdeflate level 6)"
size "$out/gz-6.jsonl.gz" "size: gzip -6"
size "$out/gz-1.jsonl.gz" "size: gzip -1"
echo "reading (to /dev/null)"
measure "nsl-convert x.jsonl.gz (BGZF, all threads)" \
    "$bin/nsl-convert -o /dev/null $out/gz-nsl.jsonl.gz"
measure "nsl-convert x.jsonl.gz (BGZF, one thread)" \
    "OMP_NUM_THREADS=1 $bin/nsl-convert -o /dev/null $out/gz-nsl.jsonl.gz"
measure "nsl-convert y.jsonl.gz (gzip -6's, ISA-L)" \
    "$bin/nsl-convert -o /dev/null $out/gz-6.jsonl.gz"
measure "cat x.jsonl.gz | nsl-convert (BGZF, a pipe)" \
    "cat $out/gz-nsl.jsonl.gz | $bin/nsl-convert -o /dev/null"
measure "cat y.jsonl.gz | nsl-convert (gzip's, a pipe)" \
    "cat $out/gz-6.jsonl.gz | $bin/nsl-convert -o /dev/null"
measure "zcat y.jsonl.gz (gzip -6's)" "zcat $out/gz-6.jsonl.gz > /dev/null"
measure "nsl-convert (the text, no gzip)" "$bin/nsl-convert -o /dev/null $data"
echo "reading twice (nsl-prune --keep-fraction 0.5 --score-field id)"
prune="$bin/nsl-prune --keep-fraction 0.5 --score-field id -o /dev/null"
measure "x.jsonl.gz, copied once" "$prune $out/gz-nsl.jsonl.gz"
measure "x.jsonl.gz, decompressed twice" \
    "NSL_SPOOL_MEMORY=0 $prune $out/gz-nsl.jsonl.gz"
measure "cat x.jsonl.gz | (a pipe, copied)" \
    "cat $out/gz-nsl.jsonl.gz | $prune"
measure "the text, read twice" "$prune $data"
echo "load: $(uptime | sed 's/.*load average: //')"
rm -f "$t" "$t.all" "$out"/gz-*.jsonl.gz
