#!/bin/sh
# The least a two-pass tool can take from a pipe on this machine, against
# what the tool takes (TOOL, default nsl-prune hard keeping half; any of
# bench/io.sh's two-pass commands, e.g. TOOL='nsl-mix --source-field
# label --mode lines').  From a file, the second pass reads the page cache
# again; from a pipe, the tool must keep a copy of what it read, and `cat`
# must feed the pipe.  Those two costs are measured here without the tool:
#
#   transport: CPU of `cat FILE | cat >/dev/null` less that of
#       `cat FILE >/dev/null` (what the producer and the pipe add to a
#       read the file run does anyway);
#   copy: writing the packed copy's bytes (lib/pack.c's share of FILE,
#       by bench/pack.c) into fresh memory, a memfd, as lib/spool.c does.
#
# From those, the least the tool could take (wall seconds):
#
#   overlapped (the floor): the file run's CPU time plus those two, over
#       the processors, as if they could fill any idle processor of the
#       file run, and never less than its wall time: no program can do
#       better;
#   beside the reading (an estimate): the file run's wall time plus those
#       two over the processors.  They come while the input is read, and
#       a two-pass tool cannot start its second pass before the input's
#       end: where its first pass from the file keeps every processor busy
#       (nsl-prune, nsl-mix and two-pass nsl-quantize here), no idle
#       processor can take them, save while the second pass leaves one.
#
# The tool also runs behind bench/splice-feed.c, a producer that hands the
# pipe the file's cached pages and copies nothing: what is left between
# that run and the file's is what the tool itself pays for a pipe
# (reading it, keeping the copy); its floor and estimate take that
# producer's transport instead of cat's.  And it runs from the file with
# the copy's bytes held in memory beside it (bench/fresh-memory.c "hold",
# the writing of them counted): a pipe's memory without the pipe, which
# tells what memory alone does to a tool that takes much of its own (here
# the first gigabyte or so a process takes is cheap, the rest dear).
#
# Each of the R rounds (default 5) runs everything once, in turn; medians
# are printed.  Times are wall and CPU seconds of the whole command (GNU
# time; the pipe's include the producer's).  The data is bench/io.sh's:
# N records of D numbers (default 100000 x 768, 965 MB).
#
#	sh bench/pipe-floor.sh          N=20000 R=7 PAUSE=0 sh bench/pipe-floor.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-768}
R=${R:-5}
PAUSE=${PAUSE:-4}
bin=${NSL_BIN:-bin}
out=bench/out
mkdir -p "$out"
data="$out/io-$N-$D.jsonl"
sh bench/gen-embeddings.sh "$N" "$D" "$data" 8g
command -v /usr/bin/time >/dev/null ||
	{ echo "pipe-floor.sh: needs GNU time (Debian package time)" >&2; exit 1; }
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE bench/fresh-memory.c -o "$out/fresh-memory"
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE -Ilib bench/pack.c lib/pack.c -o "$out/pack"
${CC:-cc} -std=c11 -O2 -D_GNU_SOURCE bench/splice-feed.c -o "$out/splice-feed"
ncpu=$(nproc)
# the packed share is the same with AVX2 and without: the first line's
share=$("$out/pack" "$data" 2 | sed -n 's/.*packed to \([0-9.]*\) of it.*/\1/p' | head -n 1)
[ -n "$share" ] || { echo "pipe-floor.sh: bench/pack.c printed no share" >&2; exit 1; }
bytes=$(stat -c %s "$data")
copy_mib=$(awk "BEGIN { printf \"%d\", $bytes * $share / 1048576 }")
TOOL=${TOOL:-nsl-prune --keep-fraction 0.5 --score-field id}
tool="$bin/$TOOL -o /dev/null"
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT

# timed NAME COMMAND: once, appending "wall cpu" to $t/NAME
timed() {
	/usr/bin/time -f '%e %U %S' -o "$t/one" sh -c "$2" >/dev/null
	awk '{ printf "%s %.3f\n", $1, $2 + $3 }' "$t/one" >> "$t/$1"
}

echo "load: $(uptime | sed 's/.*load average: //')"
echo "$N x $D: $bytes bytes, packed copy $share of it ($copy_mib MiB); $ncpu processors"
cat "$data" >/dev/null
# Memory a process frees is cheaper to take again for a moment, until
# the kernel has given it back to the host (a virtual machine's free page
# reporting, every 2 s): each run of the tool, and the copy, comes after
# a pause, so that all take fresh memory, as a first run would (the file
# run too: just after the copy it took the memory the copy gave back,
# which nsl-score, with 0.9 GB of its own, found much cheaper).
for r in $(seq "$R"); do
	sleep "$PAUSE"
	timed file "$tool $data"
	sleep "$PAUSE"
	timed pipe "cat $data | $tool"
	timed read "cat $data >/dev/null"
	timed piped "cat $data | cat >/dev/null"
	sleep "$PAUSE"
	timed spliced "$out/splice-feed $data | $tool"
	timed sread "$out/splice-feed $data | cat >/dev/null"
	sleep "$PAUSE"
	timed held "$out/fresh-memory $copy_mib hold $tool $data"
	sleep "$PAUSE"
	"$out/fresh-memory" "$copy_mib" memfd |
	    awk '/^memfd/ { print $3, $3 }' >> "$t/copy"
done
echo "load: $(uptime | sed 's/.*load average: //')"

# med NAME COLUMN: the median of a column of $t/NAME
med() {
	sort -g -k "$2" "$t/$1" | awk -v c="$2" '{ v[NR] = $c }
	    END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
fw=$(med file 1) fc=$(med file 2) pw=$(med pipe 1) pc=$(med pipe 2)
rc=$(med read 2) tc=$(med piped 2) cw=$(med copy 1)
sw=$(med spliced 1) sc=$(med spliced 2) stc=$(med sread 2)
hw=$(med held 1) hc=$(med held 2)
awk -v tool="${TOOL%% *}" -v fw="$fw" -v fc="$fc" -v pw="$pw" -v pc="$pc" -v rc="$rc" -v tc="$tc" \
    -v cw="$cw" -v sw="$sw" -v sc="$sc" -v stc="$stc" -v hw="$hw" -v hc="$hc" \
    -v ncpu="$ncpu" '
# the floor: the costs of the pipe (transport t, the copy) fill any idle processor
function overlapped(t, f) { f = (fc + t + cw) / ncpu; return f < fw ? fw : f }
# the estimate: they come beside the reading, which keeps every processor busy
function beside(t) { return fw + (t + cw) / ncpu }
BEGIN {
	extra = tc - rc; if (extra < 0) extra = 0
	sextra = stc - rc; if (sextra < 0) sextra = 0
	fo = overlapped(extra); fr = beside(extra)
	so = overlapped(sextra); sr = beside(sextra)
	printf "%-30s   wall     CPU\n", tool
	printf "  from the file               %7.3f %7.3f\n", fw, fc
	printf "  from a pipe, behind cat     %7.3f %7.3f\n", pw, pc
	printf "  from a pipe, behind splice  %7.3f %7.3f\n", sw, sc
	printf "  from the file, copy held    %7.3f %7.3f\n", hw, hc
	printf "the pipe'"'"'s own costs, without the tool (CPU seconds)\n"
	printf "  transport behind cat (cat | cat, less cat) %7.3f\n", extra
	printf "  transport behind splice (the same)         %7.3f\n", sextra
	printf "  the copy into fresh memory                 %7.3f\n", cw
	printf "the least (wall), x the file   behind cat      behind splice\n"
	printf "  overlapped (the floor)      %7.3f %.2fx   %7.3f %.2fx\n", fo, fo / fw, so, so / fw
	printf "  beside the reading (est.)   %7.3f %.2fx   %7.3f %.2fx\n", fr, fr / fw, sr, sr / fw
	printf "the tool: x the file, x the floor, x the estimate\n"
	printf "  behind cat                  %7.3f %.2fx   %.2fx, %.2fx\n", pw, pw / fw, pw / fo, pw / fr
	printf "  behind splice               %7.3f %.2fx   %.2fx, %.2fx\n", sw, sw / fw, sw / so, sw / sr
	printf "  from the file, copy held    %7.3f %.2fx\n", hw, hw / fw
}'
