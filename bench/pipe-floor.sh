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
# The floor is the file run's CPU time plus those two, over the
# processors (no overlap can do better), and never less than the file
# run's wall time.  The tool also runs behind bench/splice-feed.c, a
# producer that hands the pipe the file's cached pages and copies
# nothing: what is left between that run and the file's is what the tool
# itself pays for a pipe (reading it, keeping the copy), and its floor
# takes that producer's transport instead of cat's.  Each of the R rounds (default 5) runs everything once,
# in turn; medians are printed.  Times are wall and CPU seconds of the
# whole command (GNU time; the pipe's include cat's).  The data is
# bench/io.sh's: N records of D numbers (default 100000 x 768, 965 MB).
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
awk -v tool="${TOOL%% *}" -v fw="$fw" -v fc="$fc" -v pw="$pw" -v pc="$pc" -v rc="$rc" -v tc="$tc" \
    -v cw="$cw" -v sw="$sw" -v sc="$sc" -v stc="$stc" -v ncpu="$ncpu" 'BEGIN {
	extra = tc - rc; if (extra < 0) extra = 0
	floor = (fc + extra + cw) / ncpu; if (floor < fw) floor = fw
	sextra = stc - rc; if (sextra < 0) sextra = 0
	sfloor = (fc + sextra + cw) / ncpu; if (sfloor < fw) sfloor = fw
	printf "%-30s   wall     CPU\n", tool
	printf "  from the file               %7.3f %7.3f\n", fw, fc
	printf "  from a pipe (with cat)      %7.3f %7.3f\n", pw, pc
	printf "  from a pipe (by splice)     %7.3f %7.3f\n", sw, sc
	printf "the pipe'"'"'s own costs, without the tool\n"
	printf "  transport (cat | cat, less cat)     %7.3f\n", extra
	printf "  transport by splice (the same)      %7.3f\n", sextra
	printf "  the copy into fresh memory  %7.3f\n", cw
	printf "floor from a pipe (cat)       %7.3f   %.2fx the file\n", floor, floor / fw
	printf "floor from a pipe (splice)    %7.3f   %.2fx the file\n", sfloor, sfloor / fw
	printf "the tool behind cat           %7.3f   %.2fx the file, %.2fx its floor\n", pw, pw / fw, pw / floor
	printf "the tool behind splice        %7.3f   %.2fx the file, %.2fx its floor\n", sw, sw / fw, sw / sfloor
}'
