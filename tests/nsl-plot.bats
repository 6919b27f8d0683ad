#!/usr/bin/env bats
# nsl-plot: figures in each format, the script's inline data and curves
# against the laws' formulas evaluated here in Python (power-offset,
# chinchilla), the solid/dashed split and the bootstrap band's
# percentiles, and the bad inputs.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/plot"
PTS="$FIX/points.jsonl"
PY=/usr/bin/python3

setup() {
	require_prog gnuplot gnuplot-nox	# nsl-plot runs it
	T=$BATS_TEST_TMPDIR
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-plot f.png "$@"
}

# blocks SCRIPT: print the here-document blocks as JSON {name: [[...]]}
# (a blank line inside a block starts a new run: [] marks it)
BLOCKS='
import json, re, sys
def blocks(path):
    out, name = {}, None
    for line in open(path):
        line = line.rstrip("\n")
        m = re.match(r"^\$(\w+) << EOD$", line)
        if m: name = m.group(1); out[name] = []; continue
        if line == "EOD": name = None; continue
        if name is not None:
            out[name].append([float(t) for t in line.split()] if line else [])
    return out
'

@test "png, svg and pdf figures by the name's extension" {
	[ -x /usr/bin/gnuplot ] || skip "gnuplot not installed"
	for f in png svg pdf; do
		run --separate-stderr nsl-plot --x n --y err --group strategy --fit "$FIX/power.fit" \
		    --logx --logy -o "$T/f.$f" "$PTS"
		[ "$status" -eq 0 ] || fail "$f: $stderr"
	done
	[ "$(head -c 4 "$T/f.png" | od -An -c | tr -d ' ')" = "211PNG" ]
	grep -q '<svg' "$T/f.svg"
	[ "$(head -c 4 "$T/f.pdf")" = "%PDF" ]
}

@test "--script: labels, title, log axes, size and the points inline" {
	require_prog /usr/bin/python3 python3
	run --separate-stderr nsl-plot --x n --y err --group strategy --logx --logy \
	    --xlabel 'training examples' --ylabel "test error (it's 0-1)" --title 'a title' \
	    --width 640 --height 480 --script -o "$T/f.svg" "$PTS"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" > "$T/s.gp"
	grep -qx "set terminal svg size 640,480 dynamic enhanced font 'sans,11'" "$T/s.gp"
	grep -qx "set output '$T/f.svg'" "$T/s.gp"
	grep -qx "set xlabel 'training examples' noenhanced" "$T/s.gp"
	grep -qxF "set ylabel 'test error (it'.\"'\".'s 0-1)' noenhanced" "$T/s.gp"
	grep -qx "set title 'a title' noenhanced" "$T/s.gp"
	grep -qx "set logscale x" "$T/s.gp"
	grep -qx "set logscale y" "$T/s.gp"
	grep -q "title 'strategy=random' noenhanced" "$T/s.gp"
	grep -q "title 'strategy=hard' noenhanced" "$T/s.gp"
	[ ! -e "$T/f.svg" ]
	run $PY -c "$BLOCKS"'
b = blocks(sys.argv[1])
assert b["points0"] == [[100, .31], [200, .245], [400, .2], [800, .171]], b["points0"]
assert b["points1"] == [[100, .35], [400, .25], [1600, .2]]
' "$T/s.gp"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "fits by group: E + A n^-a solid over the series' points, dashed to --xmax, band of percentiles" {
	require_py numpy python3-numpy
	run --separate-stderr nsl-plot --x n --y err --group strategy --fit "$FIX/power.fit" \
	    --xmax 3200 --script -o "$T/f.png" "$PTS"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" > "$T/s.gp"
	run $PY -c "$BLOCKS"'
import numpy as np
b = blocks(sys.argv[1])
f = lambda n, E, A, a: E + A * n ** -a
# random: points 100..800, curve 0; hard: points 100..1600, curve 1;
# the third fit (strategy "none") has no points and draws nothing
assert "fit2" not in b
for i, (E, lo, hi) in enumerate(((0.1, 100, 800), (0.15, 100, 1600))):
    solid = np.array(b["fit%d" % i]); extra = np.array([r for r in b["extra%d" % i] if r])
    assert abs(solid[:, 1] - f(solid[:, 0], E, 2, .5)).max() < 1e-12
    assert solid[0, 0] == lo and solid[-1, 0] == hi and len(solid) > 20
    assert abs(extra[:, 1] - f(extra[:, 0], E, 2, .5)).max() < 1e-12
    assert extra[0, 0] == hi and extra[-1, 0] == 3200
# the band: 4 samples, level 0.9 -> the 5% and 95% quantiles (numpy
# linear interpolation, as GSL) of the 4 predictions at each x
band = np.array(b["band0"])
for x, lo, hi in band:
    p = [f(x, .09, 2, .5), f(x, .11, 2, .5), f(x, .1, 1.8, .5), f(x, .1, 2.2, .5)]
    assert abs(lo - np.quantile(p, .05)) < 1e-12 and abs(hi - np.quantile(p, .95)) < 1e-12
assert "band1" not in b
' "$T/s.gp"
	[ "$status" -eq 0 ] || fail "$output"
	grep -q "filledcurves" "$T/s.gp"
}

@test "chinchilla slices: --group N draws one curve per N, --at fixes N for one curve" {
	require_py numpy python3-numpy
	run --separate-stderr nsl-plot --x D --y loss --group N --logx --fit "$FIX/chin.fit" \
	    --script -o "$T/c.png" "$FIX/chin.jsonl"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" > "$T/s.gp"
	run --separate-stderr nsl-plot --x D --y loss --logx --fit "$FIX/chin.fit" --at N=3e8 \
	    --xmin 1e8 --xmax 1e11 --script -o "$T/c.png" "$FIX/chin.jsonl"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" > "$T/at.gp"
	run $PY -c "$BLOCKS"'
import numpy as np
L = lambda N, D: 1.69 + 406.4 / N ** .34 + 410.7 / D ** .28
b = blocks(sys.argv[1])
for i, N in enumerate((1e8, 1e9)):
    c = np.array(b["fit%d" % i])
    assert abs(c[:, 1] - L(N, c[:, 0])).max() < 1e-12
    # the grid is log-spaced over all points: 1e9 .. 1e10
    e = np.array([r for r in b["extra%d" % i] if r]) if i == 0 else None
assert np.array(b["fit0"])[-1, 0] == 4e9 and np.array(b["extra0"])[-1][0] == 1e10
a = blocks(sys.argv[2])
c = np.array(a["fit0"]); e = np.array([r for r in a["extra0"] if r])
assert abs(c[:, 1] - L(3e8, c[:, 0])).max() < 1e-12 and c[0, 0] == 1e9 and c[-1, 0] == 1e10
assert e[:, 0].min() == 1e8 and e[:, 0].max() == 1e11
' "$T/s.gp" "$T/at.gp"
	[ "$status" -eq 0 ] || fail "$output"
	grep -qx "set xrange \[100000000:100000000000\]" "$T/at.gp"
}

@test "--group joins equal values: 2 and 2.0 are one series, and a fit by 2.0 draws on it" {
	printf '%s\n' '{"n":100,"err":0.3,"g":2}' '{"n":200,"err":0.25,"g":2.0}' '{"n":400,"err":0.2,"g":"\u0061"}' \
	    '{"n":800,"err":0.15,"g":"a"}' > "$T/p.jsonl"
	echo '{"law":"power","x":["n"],"y":"err","params":{"A":2,"a":0.5},"by":{"g":2e0}}' > "$T/f.fit"
	run --separate-stderr nsl-plot --x n --y err --group g --fit "$T/f.fit" --script -o "$T/f.svg" "$T/p.jsonl"
	[ "$status" -eq 0 ]
	printf '%s\n' "${lines[@]}" > "$T/s.gp"
	grep -q "title 'g=2' noenhanced" "$T/s.gp"
	grep -q "title 'g=a' noenhanced" "$T/s.gp"
	run $PY -c "$BLOCKS"'
b = blocks(sys.argv[1])
assert b["points0"] == [[100, .3], [200, .25]], b["points0"]
assert b["points1"] == [[400, .2], [800, .15]], b["points1"]
assert "points2" not in b
assert "fit0" in b and "fit1" not in b
' "$T/s.gp"
	[ "$status" -eq 0 ] || fail "$output"
}

@test "points from standard input, one series without --group" {
	run --separate-stderr nsl-plot --x n --y err --script -o "$T/f.pdf" < "$PTS"
	[ "$status" -eq 0 ]
	[[ "$output" =~ set\ terminal\ pdfcairo ]]
	[[ "$output" =~ title\ \'err\'\ noenhanced ]]
	[[ ! "$output" =~ points1 ]]
}

# quiet_gnuplot: $stderr holds no complaint of gnuplot's (but the warning
# a C locale gives on every run, "iconv failed to convert degree sign").
quiet_gnuplot() {
	local rest
	rest=$(grep -v 'warning: iconv failed to convert degree sign' <<<"$stderr" || true)
	[ -z "$rest" ] || fail "gnuplot said: $rest"
}

# gp_string SCRIPT KEYWORD: the string expression after KEYWORD (set
# title, set xlabel, ...) in SCRIPT, evaluated by gnuplot itself.
gp_string() {
	local e
	e=$(sed -n "s/^$2 \(.*\) noenhanced\$/\1/p" "$1")
	[ -n "$e" ] || fail "no '$2' in $1"
	gnuplot -e "set print '-'; print $e"
}

@test "user strings reach gnuplot as text: quotes, backslashes, newlines, @ and backquotes" {
	[ -x /usr/bin/gnuplot ] || skip "gnuplot not installed"
	local title ylabel xlabel
	title="'lead quote, it's \"double\" \\ back"$'\n'"second line"
	ylabel="@GPVAL_PWD ''x'''"
	xlabel='`touch PWNED` $(touch PWNED) @ARG0'
	printf '%s\n' '{"n":1,"err":2,"g":"it'"'"'s"}' '{"n":2,"err":3,"g":"@g`x`"}' >"$T/p.jsonl"
	run --separate-stderr nsl-plot --x n --y err --group g --title "$title" \
	    --xlabel "$xlabel" --ylabel "$ylabel" --script -o "$T/it's.png" "$T/p.jsonl"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$T/s.gp"
	assert_equal "$(gp_string "$T/s.gp" 'set title')" "$title"
	assert_equal "$(gp_string "$T/s.gp" 'set xlabel')" "$xlabel"
	assert_equal "$(gp_string "$T/s.gp" 'set ylabel')" "$ylabel"
	assert_equal "$(gnuplot -e "set print '-'; print $(sed -n 's/^set output //p' "$T/s.gp")")" "$T/it's.png"
	grep -qF "title 'g=it'.\"'\".'s' noenhanced" "$T/s.gp" ||
		fail "legend entry: $(grep -F 'points0 using' "$T/s.gp")"
	# and the figure is drawn, running nothing
	cd "$T"
	run --separate-stderr nsl-plot --x n --y err --group g --title "$title" \
	    --xlabel "$xlabel" --ylabel "$ylabel" -o "$T/it's.png" "$T/p.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	quiet_gnuplot
	[ "$(head -c 4 "$T/it's.png" | tail -c 3)" = PNG ]
	[ ! -e PWNED ] || fail "a label ran a command"
}

@test "the legend names each curve's own law when the fits use different laws" {
	printf '%s\n' \
	    '{"law":"power-offset","x":["n"],"y":"err","by":{"strategy":"random"},"params":{"E":0.1,"A":2,"a":0.5}}' \
	    '{"law":"exp-offset","x":["n"],"y":"err","by":{"strategy":"hard"},"params":{"E":0.15,"A":0.3,"b":0.001}}' \
	    >"$T/two.fit"
	run --separate-stderr nsl-plot --x n --y err --group strategy --fit "$T/two.fit" \
	    --script -o "$T/f.png" "$PTS"
	[ "$status" -eq 0 ]
	printf '%s\n' "$output" >"$T/s.gp"
	grep -qF '$fit0 using 1:2 with lines lw 2 dt 1 lc rgb '"'#1f77b4' title 'power-offset (strategy=random)' noenhanced" "$T/s.gp" ||
		fail "$(grep -F 'fit0 using' "$T/s.gp")"
	grep -qF '$fit1 using 1:2 with lines lw 2 dt 1 lc rgb '"'#d62728' title 'exp-offset (strategy=hard)' noenhanced" "$T/s.gp" ||
		fail "$(grep -F 'fit1 using' "$T/s.gp")"
	# one law for all curves: named once, as before
	run --separate-stderr nsl-plot --x n --y err --group strategy --fit "$FIX/power.fit" \
	    --script -o "$T/f.png" "$PTS"
	[ "$(grep -o "title 'power-offset' noenhanced" <<<"$output" | wc -l)" -eq 1 ]
	[[ "$output" == *'$fit1 using 1:2 with lines lw 2 dt 1 lc rgb '"'#d62728' notitle"* ]] || fail "$output"
}

@test "finite values near the largest double are drawn in units of a power of ten" {
	[ -x /usr/bin/gnuplot ] || skip "gnuplot not installed"
	# gnuplot itself takes |v| >= DBL_MAX/2 for undefined (exit 70 once)
	printf '%s\n' '{"x":1,"y":1e308}' '{"x":2,"y":1.7976931348623157e308}' \
	    '{"x":3,"y":-5e307}' >"$T/y.jsonl"
	run --separate-stderr nsl-plot --x x --y y -o "$T/y.png" "$T/y.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	quiet_gnuplot
	run -0 --separate-stderr nsl-plot --x x --y y --script -o "$T/y.png" "$T/y.jsonl"
	printf '%s\n' "$output" >"$T/s.gp"
	grep -qxF "set ylabel 'y (× 1e+308)' noenhanced" "$T/s.gp"
	run $PY -c "$BLOCKS"'
b = blocks(sys.argv[1])
assert b["points0"] == [[1, 1], [2, 1.7976931348623157], [3, -0.5]], b["points0"]
' "$T/s.gp"
	[ "$status" -eq 0 ] || fail "$output"
	# x across the whole double range, with a fit over it; and log y
	printf '%s\n' '{"x":-1.7976931348623157e308,"y":1}' '{"x":1.7976931348623157e308,"y":2}' >"$T/x.jsonl"
	echo '{"law":"formula","formula":"a + b*x","x":["x"],"y":"y","params":{"a":1.5,"b":0}}' >"$T/x.fit"
	run --separate-stderr nsl-plot --x x --y y --fit "$T/x.fit" -o "$T/x.png" "$T/x.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	quiet_gnuplot
	printf '%s\n' '{"x":1,"y":1.7976931348623157e308}' '{"x":2,"y":1}' >"$T/l.jsonl"
	run --separate-stderr nsl-plot --x x --y y --logy -o "$T/l.png" "$T/l.jsonl"
	[ "$status" -eq 0 ] || fail "$stderr"
	quiet_gnuplot
}

@test "without gnuplot: exit 70 naming the package gnuplot-nox, nothing written" {
	rm -rf "$T/out" && mkdir "$T/out"
	run --separate-stderr env PATH="$T/nowhere" "$NSL_BIN/nsl-plot" --x n --y err -o "$T/out/f.png" "$PTS"
	[ "$status" -eq 70 ]
	[[ "$stderr" =~ gnuplot-nox ]] || fail "$stderr"
	assert_dir_empty "$T/out"
}

@test "bad input: a missing field, a non-positive value on a log axis, a fit without the x variable" {
	{ head -2 "$PTS"; echo '{"n":5}'; } > "$T/bad.jsonl"
	fails_cleanly 65 "^nsl-plot: $T/bad.jsonl:3: .*err" --x n --y err "$T/bad.jsonl"
	{ head -2 "$PTS"; echo '{"n":0,"err":0.5}'; } > "$T/zero.jsonl"
	fails_cleanly 65 "zero.jsonl:3: field \"n\": 0 is not positive" --x n --y err --logx "$T/zero.jsonl"
	fails_cleanly 65 "chin.fit:1: the fit's law chinchilla has no variable \"n\"" \
	    --x n --y err --fit "$FIX/chin.fit" "$PTS"
	fails_cleanly 65 "chin.fit:1: law chinchilla: variable \"N\" needs a value" \
	    --x D --y loss --fit "$FIX/chin.fit" "$FIX/chin.jsonl"
	echo '{"law":"power-offset"}' > "$T/bad.fit"
	fails_cleanly 65 "bad.fit:1: missing field \"params\"" --x n --y err --fit "$T/bad.fit" "$PTS"
	: > "$T/empty.jsonl"
	fails_cleanly 65 "empty.jsonl: no records to plot" --x n --y err "$T/empty.jsonl"
}

@test "usage errors: no --x, no -o, an unknown extension, bad --at, bad option" {
	fails_cleanly 64 "--x FIELD and --y FIELD are required" --y err "$PTS"
	run --separate-stderr nsl-plot --x n --y err "$PTS"
	[ "$status" -eq 64 ]
	[[ "$stderr" =~ "-o FIGURE" ]]
	run --separate-stderr nsl-plot --x n --y err -o "$T/f.gif" "$PTS"
	[ "$status" -eq 64 ]
	[[ "$stderr" =~ "must end in .png, .svg or .pdf" ]]
	fails_cleanly 64 "--at N: expected VAR=V" --x n --y err --at N "$PTS"
	fails_cleanly 64 "xmin must be below" --x n --y err --xmin 5 --xmax 1 "$PTS"
	fails_cleanly 64 "" --x n --y err --bogus "$PTS"
}

@test "missing file 66, --help 0, /dev/full 74" {
	fails_cleanly 66 "nope.jsonl" --x n --y err "$T/nope.jsonl"
	fails_cleanly 66 "nope.fit" --x n --y err --fit "$T/nope.fit" "$PTS"
	run --separate-stderr nsl-plot --help
	[ "$status" -eq 0 ]
	[[ "$output" =~ ^usage:\ nsl-plot ]]
	run --separate-stderr bash -c "nsl-plot --x n --y err --script -o f.png '$PTS' > /dev/full"
	[ "$status" -eq 74 ]
}
