#!/bin/sh
# JSONL throughput and standard input against a file.
#
# Part 1: pass-through of N records (default 100000) with D-number
# embeddings (default 768), through `cat`, `nsl-convert` (jsonl to jsonl:
# every line validated and the vector read into doubles, bytes passed
# through), `nsl-convert --float32` (every number re-printed) and
# Python's json module doing the same parse-and-write, each pinned to one
# core.  MB/s of input, by wall time and by the command's CPU time.
#
# Part 2: every streaming or two-pass tool on the same records read three
# ways: named on the command line (FILE), redirected (< FILE) and piped
# (cat FILE |).  The three runs of a tool alternate, R rounds (default
# 3); the median of each is printed, then the median over the rounds of
# each round's ratio to FILE's (wall and CPU): the goal is within 10%.
# GNU time counts in hundredths of a second, so runs of a second or
# more (the default N) give the ratios to a percent.  Times are the tool's own (GNU time), so a pipe's
# producer is not counted.  The load average is printed with the figures.
# md5sum (one thread, about nsl-convert's speed a core) is there for the
# floor: what a pipe costs any reader on this machine (the producer, cat,
# shares the cores).
# TEXT=f32 or TEXT=f64 writes the numbers as Python's json writes float32
# values or doubles (up to 17 digits) instead of 8 significant digits,
# TEXT=probs softmax probabilities as float32 values (most of them with
# an exponent) (bench/gen-embeddings.sh).
# ONLY=REGEX runs part 2 for the matching tools only (and skips part 1);
# ONLY=- runs part 1 only.
# SLOW=1 adds a fourth way, a slow producer (gzip -dc FILE.gz |), its
# median and ratio printed last.
#
#	sh bench/io.sh            N=20000 R=5 sh bench/io.sh
#	N=30000 TEXT=f32 sh bench/io.sh     N=15000 D=1000 TEXT=probs ONLY=- sh bench/io.sh
#	N=20000 SLOW=1 sh bench/io.sh
set -eu
cd "$(dirname "$0")/.."
N=${N:-100000}
D=${D:-768}
R=${R:-3}
out=bench/out
mkdir -p "$out"
TEXT=${TEXT:-8g}
case $TEXT in
8g) data="$out/io-$N-$D.jsonl" ;;
*) data="$out/io-$N-$D-$TEXT.jsonl" ;;
esac
bin=${NSL_BIN:-bin}
SLOW=${SLOW:-0}
ONLY=${ONLY:-}

sh bench/gen-embeddings.sh "$N" "$D" "$data" "$TEXT"
bytes=$(stat -c %s "$data")
mb=$(awk "BEGIN { print $bytes / 1e6 }")

rate() {
	# $1 label, rest: command reading $data, writing to /dev/null, on
	# one core (taskset -c 0 when there is taskset); MB/s of wall time
	# and of the command's own CPU time (user + sys, GNU time), which a
	# shared machine disturbs less
	label=$1
	shift
	pin=
	command -v taskset >/dev/null 2>&1 && pin="taskset -c 0"
	t=$out/io-rate.$$
	# shellcheck disable=SC2086
	/usr/bin/time -f '%e %U %S' -o "$t" $pin "$@" < "$data" > /dev/null
	awk -v l="$label" -v mb="$mb" '{ c = $2 + $3; if (c <= 0) c = 0.01
	    printf "%-28s %6.2f s %8.1f MB/s   cpu %6.2f s %8.1f MB/s\n",
	    l, $1, mb / $1, c, mb / c }' "$t"
	rm -f "$t"
}

cat "$data" > /dev/null		# warm the page cache
printf 'input: %s, %d records x %d numbers, %.1f MB\n' "$data" "$N" "$D" "$mb"
echo "load: $(uptime | sed 's/.*load average: //')"
[ -n "$ONLY" ] && [ "$ONLY" != - ] || {
rate "cat" cat
rate "nsl-convert" "$bin/nsl-convert"
rate "nsl-convert --float32" "$bin/nsl-convert" --float32
rate "python3 json (loads+dumps)" /usr/bin/python3 -c '
import sys, json
w = sys.stdout.write
for line in sys.stdin:
    w(json.dumps(json.loads(line), separators=(",", ":")) + "\n")
'
}

# one run: $1 how (file, redir, pipe), rest the tool's command; prints
# "wall cpu" of the tool alone
run() {
	how=$1
	shift
	t=$out/io-time.$$
	case $how in
	file) /usr/bin/time -f '%e %U %S' -o "$t" "$@" "$data" >/dev/null ;;
	redir) /usr/bin/time -f '%e %U %S' -o "$t" "$@" <"$data" >/dev/null ;;
	pipe) cat "$data" | /usr/bin/time -f '%e %U %S' -o "$t" "$@" >/dev/null ;;
	gzip) gzip -dc "$data.gz" | /usr/bin/time -f '%e %U %S' -o "$t" "$@" \
	    >/dev/null ;;
	esac
	awk '{ printf "%s %.2f\n", $1, $2 + $3 }' "$t"
	rm -f "$t"
}

median() {
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

# ratios HOW COLUMN: the median over the rounds of HOW's figure (2 wall,
# 3 cpu) over the named file's figure in the same round
ratios() {
	awk -v how="$1" -v col="$2" '
	    $1 == "file" { f[++nf] = $col }
	    $1 == how { x[++nx] = $col }
	    END { for (i = 1; i <= nx; i++) print x[i] / (f[i] > 0 ? f[i] : 0.005) }' \
	    "$out/io-runs.$$" | median
}

ways="file redir pipe"
if [ "$SLOW" = 1 ]; then
	[ -f "$data.gz" ] || gzip -1 -c "$data" > "$data.gz"
	ways="$ways gzip"
fi

[ "$ONLY" != - ] || exit 0
echo
echo "standard input against a file: median of $R alternating rounds (wall s/cpu s of the tool),"
echo "then the median of each round's ratio to the file's (wall/cpu)"
printf '%-40s %12s %12s %12s %13s %13s\n' tool file '< file' 'cat |' '<' '|'
while IFS= read -r cmd; do
	[ -n "$cmd" ] || continue
	[ -z "$ONLY" ] || echo "$cmd" | grep -Eq -- "$ONLY" || continue
	prog=$bin/
	case $cmd in nsl-*) ;; *) prog= ;; esac
	: > "$out/io-runs.$$"
	i=0
	while [ "$i" -lt "$R" ]; do
		for how in $ways; do
			# shellcheck disable=SC2086
			echo "$how $(run "$how" $prog$cmd)" >> "$out/io-runs.$$"
		done
		i=$((i + 1))
	done
	f=$(awk '$1 == "file" { print $2 }' "$out/io-runs.$$" | median)
	fc=$(awk '$1 == "file" { print $3 }' "$out/io-runs.$$" | median)
	r=$(awk '$1 == "redir" { print $2 }' "$out/io-runs.$$" | median)
	rc=$(awk '$1 == "redir" { print $3 }' "$out/io-runs.$$" | median)
	p=$(awk '$1 == "pipe" { print $2 }' "$out/io-runs.$$" | median)
	pc=$(awk '$1 == "pipe" { print $3 }' "$out/io-runs.$$" | median)
	# the ratios are taken round by round (the three runs of a round
	# are back to back, so they see the machine alike) and their median
	# printed: this VM's speed changes by 2x from one second to the
	# next, which a ratio of medians taken over all rounds counts
	rr=$(ratios redir 2)
	pr=$(ratios pipe 2)
	rcr=$(ratios redir 3)
	pcr=$(ratios pipe 3)
	awk -v c="$cmd" -v f="$f" -v fc="$fc" -v r="$r" -v rc="$rc" \
	    -v p="$p" -v pc="$pc" -v rr="$rr" -v pr="$pr" -v rcr="$rcr" \
	    -v pcr="$pcr" 'BEGIN {
		printf "%-40s %5.2f/%5.2f %5.2f/%5.2f %5.2f/%5.2f %5.2fx/%5.2fx %5.2fx/%5.2fx",
		    c, f, fc, r, rc, p, pc, rr, rcr, pr, pcr }'
	if [ "$SLOW" = 1 ]; then
		g=$(awk '$1 == "gzip" { print $2 }' "$out/io-runs.$$" | median)
		gc=$(awk '$1 == "gzip" { print $3 }' "$out/io-runs.$$" | median)
		gr=$(ratios gzip 2)
		gcr=$(ratios gzip 3)
		awk -v g="$g" -v gc="$gc" -v gr="$gr" -v gcr="$gcr" 'BEGIN {
		    printf "   gzip -dc | %5.2f/%5.2f %5.2fx/%5.2fx",
		    g, gc, gr, gcr }'
	fi
	echo
	rm -f "$out/io-runs.$$"
done <<'EOF'
md5sum
nsl-convert
nsl-convert --float32
nsl-quantize --format int8
nsl-prune --keep-fraction 0.5 --score-field id
nsl-prune --keep-fraction 0.5 --score-field id --strategy random
nsl-mix --source-field label --mode lines
nsl-quantize --format int8 --scale-by tensor
nsl-score -q --metric prototype --k 20 --iters 5
nsl-score -q --metric class-prototype
EOF
echo "load: $(uptime | sed 's/.*load average: //')"
