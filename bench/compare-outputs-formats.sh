#!/bin/sh
# compare-outputs-formats.sh BEFORE_BIN AFTER_BIN
#
# Run nsl-quantize and nsl-convert of two builds on the same commands
# (every format, every flag, every input and output kind of convert, the
# man pages' examples and the error cases) and report every command whose
# standard output bytes, output files, exit status or standard error
# differ.  Exit 1 if any does.  Run from the repository top.
# (`make bench` runs it with no arguments: then it says so and stops.)
set -u
if [ $# -ne 2 ]; then
	echo "compare-outputs-formats.sh: needs BEFORE_BIN AFTER_BIN; skipped"
	exit 0
fi
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
top=$(cd "$(dirname "$0")/.." && pwd)
QF=$top/tests/fixtures/quantize
CF=$top/tests/fixtures/convert
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export LC_ALL=C
n=0 ndiff=0

# Inputs of our own.
mkdir -p "$work/in"
cd "$work/in" || exit 70
printf '%s\n' '{"id":1,"embedding":[0.3,500,-0.0625,1e-9,448,464,-1e6]}' \
    '{"id":2,"embedding":[7.4,7.8,100,0.1,-2.6,3,0.5,-6]}' >mixed.jsonl
printf '%s\n' '{"embedding":[1000,0.001,0.001,0.001,3,0.5,-2,0.25]}' >mx.jsonl
printf '%s\n' '{"embedding":[1,NaN,Infinity,-Infinity]}' >nonfinite.jsonl
printf '%s\n' '{"embedding":[1e39,1,-2]}' >big.jsonl
printf '%s\n' '{"id":"a","embedding":[1,2.5],"label":3,"s":"x,\"y\""}' \
    '{"id":"b","embedding":[-0,1e-7],"label":-1,"s":null}' >recs.jsonl
printf 'id,v,f0,f1\n7,007,-0,1e2\n8,"a,b",,3\n' >in.csv
printf 'run,N,loss\nr1,1e6,3.5\nr2,1e7,3.1\n' >runs.csv
gzip -c "$CF/f8.npy" >f8.npy.gz
gzip -c "$QF/gauss.jsonl" >gauss.jsonl.gz
cp "$CF/f8.npy" x.npy
cp "$CF/labels.npy" y.npy

# run PROGRAM ARGS...: the command with each build; outputs and any files the
# command writes under out/ are compared.
run() {
	tool=$1
	shift
	n=$((n + 1))
	for side in before after; do
		eval "bin=\$$side"
		rm -rf "$work/$side" && mkdir -p "$work/$side/out" \
		    "$work/in/out"
		(cd "$work/in" && "$bin/$tool" "$@" \
		    >"$work/$side/stdout" 2>"$work/$side/stderr" </dev/null
		echo $? >"$work/$side/status") 2>/dev/null
		# files written with -o or --stats-file go to out/
		if [ -d "$work/in/out" ]; then
			cp -r "$work/in/out/." "$work/$side/out/"
			rm -rf "$work/in/out"
		fi
		sed "s|$bin|BIN|g" "$work/$side/stderr" >"$work/$side/stderr.n"
	done
	for f in stdout stderr.n status; do
		if ! cmp -s "$work/before/$f" "$work/after/$f"; then
			ndiff=$((ndiff + 1))
			echo "DIFF ($f): $tool $*"
			diff "$work/before/$f" "$work/after/$f" | head -6 |
			    sed 's/^/    /'
		fi
	done
	if ! diff -r "$work/before/out" "$work/after/out" >/dev/null; then
		ndiff=$((ndiff + 1))
		echo "DIFF (files): $tool $*"
	fi
}

# ---- nsl-quantize: every format on several inputs ----
formats=$("$after/nsl-quantize" --list-formats | awk '$1 != "eXmY" {print $1}')
for f in $formats e3m0 e4m3-fn e5m2-ieee e2m5 e3m4-ieee e1m6 e7m0; do
	for input in "$QF/spacing.jsonl" "$QF/gauss.jsonl" mixed.jsonl mx.jsonl; do
		run nsl-quantize --format "$f" --allow-nonfinite "$input"
		run nsl-quantize --format "$f" --saturate "$input"
		run nsl-quantize --format "$f" --emit codes --allow-nonfinite "$input"
	done
	run nsl-quantize --format "$f" "$QF/overflow.jsonl"
	run nsl-quantize --format "$f" --no-f32 --allow-nonfinite mixed.jsonl
	run nsl-quantize --format "$f" --float32 --allow-nonfinite mixed.jsonl
	run nsl-quantize --format "$f" --stats --allow-nonfinite "$QF/gauss.jsonl"
	run nsl-quantize --format "$f" --rounding stochastic --seed 4 "$QF/gauss.jsonl"
	run nsl-quantize --format "$f" --block 8 --allow-nonfinite "$QF/gauss.jsonl"
	for g in none tensor row block; do
		run nsl-quantize --format "$f" --scale-by "$g" --block 16 --allow-nonfinite "$QF/gauss.jsonl"
	done
	run nsl-quantize --format "$f" --asymmetric "$QF/gauss.jsonl"
	run nsl-quantize --format "$f" --rotate hadamard --block 16 --seed 3 "$QF/gauss.jsonl"
	run nsl-quantize --format "$f" --search --stats "$QF/gauss.jsonl"
	run nsl-quantize --format "$f" --search "$QF/gauss.jsonl"
	run nsl-quantize --format "$f" big.jsonl
	run nsl-quantize --format "$f" --allow-nonfinite nonfinite.jsonl
	run nsl-quantize --format "$f" nonfinite.jsonl
done
for m in floor ceil rceil; do
	for f in mxfp4 mxfp8-e4m3 mxint8 mxfp6-e3m2; do
		run nsl-quantize --format $f --scale-mode $m --block 4 mx.jsonl
		run nsl-quantize --format $f --scale-mode $m --emit codes mx.jsonl
	done
done
for args in "--format fp8-e5m2" "--format mxfp6-e3m2" "--format nf4" \
    "--format int4 --asymmetric" "--format int8 --scale-by tensor" \
    "--format mxint8 --rotate hadamard --seed 3" \
    "--format fp4-e2m1 --block 8" "--format e3m4-ieee --saturate" \
    "--format nf4 --no-f32"; do
	# shellcheck disable=SC2086
	"$after/nsl-quantize" $args --emit codes "$QF/gauss.jsonl" >codes.jsonl
	run nsl-quantize --decode codes.jsonl
	run nsl-quantize --decode --format nf4 codes.jsonl
	run nsl-quantize --decode --float32 codes.jsonl
done
run nsl-quantize --decode "$QF/gauss.jsonl"
run nsl-quantize --list-formats
run nsl-quantize --list-formats --format int8
run nsl-quantize --format int8 --field w "$QF/gauss.jsonl"
run nsl-quantize --format int8 -o out/q.jsonl "$QF/gauss.jsonl"
run nsl-quantize --format int8 -o out/q.jsonl.gz gauss.jsonl.gz
run nsl-quantize --format fp4-e2m1 --stats-file out/st.json "$QF/gauss.jsonl"
run nsl-quantize --format fp4-e2m1 --stats --stats-file out/st.json "$QF/gauss.jsonl"
run nsl-quantize --format int8 - <"$QF/gauss.jsonl"
run nsl-quantize --format int8 "$QF/gauss.jsonl" - "$QF/spacing.jsonl"
run nsl-quantize --format int8 "$QF/bad-element.jsonl"
run nsl-quantize --format int8 --scale-by tensor "$QF/bad-element.jsonl"
run nsl-quantize --format fp8-e4m3 "$QF/spacing.jsonl" -q --search
run nsl-quantize -V
run nsl-quantize --help
run nsl-quantize --summary
# errors
run nsl-quantize
run nsl-quantize "$QF/gauss.jsonl"
run nsl-quantize --format fp7 "$QF/gauss.jsonl"
run nsl-quantize --format e5m10-x "$QF/gauss.jsonl"
run nsl-quantize --format ""
for b in 0 -3 2.5 x 16777217 99999999999999999999; do
	run nsl-quantize --format nf4 --block "$b" "$QF/gauss.jsonl"
done
run nsl-quantize --format int8 --bogus "$QF/gauss.jsonl"
run nsl-quantize --format int8 --rounding sideways "$QF/gauss.jsonl"
run nsl-quantize --format int8 --scale-by sideways "$QF/gauss.jsonl"
run nsl-quantize --format int8 --scale-mode sideways "$QF/gauss.jsonl"
run nsl-quantize --format int8 --emit sideways "$QF/gauss.jsonl"
run nsl-quantize --format int8 --rotate sideways "$QF/gauss.jsonl"
run nsl-quantize --format int8 --seed -1 "$QF/gauss.jsonl"
run nsl-quantize --format int8 --seed x "$QF/gauss.jsonl"
run nsl-quantize --format int8 --field "" "$QF/gauss.jsonl"
run nsl-quantize --format int8 --stats-file "" "$QF/gauss.jsonl"
run nsl-quantize --format int8 --scale-by none "$QF/gauss.jsonl"
run nsl-quantize --format fp8-e4m3 --scale-by block "$QF/gauss.jsonl"
run nsl-quantize --format nf4 --asymmetric "$QF/gauss.jsonl"
run nsl-quantize --format mxfp4 --block 24 --rotate hadamard "$QF/gauss.jsonl"
run nsl-quantize --format int8 --rotate hadamard "$QF/gauss.jsonl"
run nsl-quantize --format int8 --block
run nsl-quantize --decode --emit codes "$QF/gauss.jsonl"
run nsl-quantize --decode --stats "$QF/gauss.jsonl"
run nsl-quantize --decode --search "$QF/gauss.jsonl"
run nsl-quantize --format nf4 --search "$QF/gauss.jsonl"
run nsl-quantize --format int8 no-such.jsonl
run nsl-quantize --format int8 -o /dev/full "$QF/gauss.jsonl"
run nsl-quantize --format int8 --stats-file /no/such/dir/x "$QF/gauss.jsonl"
# the man page's examples
n=$((n + 1))
for side in before after; do
	eval "bin=\$$side"
	(cd "$work/in" && PATH="$bin:$PATH" sh -c '
echo "{\"id\":1,\"embedding\":[0.3,500]}" | nsl-quantize --format fp8-e4m3 --saturate
echo "{\"embedding\":[1000,0.5,-3,2]}" | nsl-quantize --format mxfp4 --stats
echo "{\"embedding\":[1,6,-0.5]}" | nsl-quantize --format fp4-e2m1 --emit codes | nsl-quantize --decode
' >"$work/$side.ex" 2>&1)
done
cmp -s "$work/before.ex" "$work/after.ex" || { ndiff=$((ndiff + 1)); echo "DIFF: quantize man examples"; }

# ---- nsl-convert: every input and output kind ----
for input in recs.jsonl "$CF/f8.npy" "$CF/f4.npy" "$CF/fortran.npy" \
    "$CF/be.npy" "$CF/i2.npy" "$CF/u1_3d.npy" "$CF/labels.npy" \
    "$CF/labels3.npy" "$CF/labels_u1.npy" "$CF/v2.npy" in.csv runs.csv \
    "$CF/tiny-images-idx3-ubyte" "$CF/tiny-labels-idx1-ubyte" \
    "$CF/float-idx2" f8.npy.gz; do
	run nsl-convert "$input"
	run nsl-convert --to csv "$input"
	run nsl-convert --to npy -o out/x.npy "$input"
	run nsl-convert --to npy --dtype float32 -o out/x.npy "$input"
	run nsl-convert --float32 --to npy -o out/x.npy "$input"
	run nsl-convert --float32 "$input"
	run nsl-convert --scale 0.5 "$input"
	run nsl-convert --scale 1e308 "$input"
	run nsl-convert -o out/x.csv "$input"
	run nsl-convert -o out/x.jsonl.gz "$input"
	run nsl-convert --allow-nonfinite "$input"
done
run nsl-convert --labels "$CF/labels.npy" "$CF/f8.npy"
run nsl-convert --labels "$CF/labels_u1.npy" --label-field y "$CF/f4.npy"
run nsl-convert --labels "$CF/tiny-labels-idx1-ubyte" "$CF/tiny-images-idx3-ubyte"
run nsl-convert --labels out/y.npy -o out/x.npy recs.jsonl
run nsl-convert --labels "$CF/labels3.npy" "$CF/f8.npy"
run nsl-convert --from csv --vector-columns f in.csv
run nsl-convert --from csv --vector-columns "" in.csv
run nsl-convert --from csv --vector-columns f --field v2 in.csv
run nsl-convert --from json - <recs.jsonl
run nsl-convert --from jsonl --to jsonl recs.jsonl
run nsl-convert --from npy "$CF/f8.npy"
run nsl-convert --from idx "$CF/float-idx2"
run nsl-convert --from csv recs.jsonl
run nsl-convert --id-field row recs.jsonl
run nsl-convert --id-field row --field e --label-field l "$CF/f8.npy"
run nsl-convert --to csv -o out/x.csv --field v recs.jsonl
run nsl-convert "$CF/f8.npy" recs.jsonl - <recs.jsonl
run nsl-convert x.npy y.npy
run nsl-convert nonfinite.jsonl
run nsl-convert --allow-nonfinite nonfinite.jsonl
run nsl-convert --allow-nonfinite --to npy -o out/n.npy nonfinite.jsonl
run nsl-convert --to npy --dtype float32 -o out/b.npy big.jsonl
run nsl-convert --scale 1e300 mixed.jsonl
run nsl-convert -V
run nsl-convert --help
run nsl-convert --summary
# errors
run nsl-convert --bogus
run nsl-convert --to xml "$CF/f8.npy"
run nsl-convert --from xml "$CF/f8.npy"
run nsl-convert --to idx "$CF/f8.npy"
run nsl-convert --to auto "$CF/f8.npy"
run nsl-convert --dtype int8 "$CF/f8.npy"
run nsl-convert --scale abc "$CF/f8.npy"
run nsl-convert --scale 1.5e308 "$CF/f8.npy"
run nsl-convert --scale 1e999 "$CF/f8.npy"
run nsl-convert --scale nan "$CF/f8.npy"
run nsl-convert --id-field embedding "$CF/f8.npy"
run nsl-convert --label-field id --labels "$CF/labels.npy" "$CF/f8.npy"
run nsl-convert --field label "$CF/f8.npy"
run nsl-convert --field x --id-field x "$CF/f8.npy"
run nsl-convert --labels "" "$CF/f8.npy"
run nsl-convert --label-field "" "$CF/f8.npy"
run nsl-convert --id-field "" "$CF/f8.npy"
run nsl-convert --labels out/s.npy -o out/s.npy "$CF/f8.npy"
run nsl-convert --to npy "$CF/f8.npy"
run nsl-convert no-such.jsonl
run nsl-convert -o /dev/full "$CF/f8.npy"
run nsl-convert --from
run nsl-convert mixed.jsonl "$QF/bad-element.jsonl"
run nsl-convert "$QF/overflow.jsonl" "$CF/v3.npy"

echo "$n commands compared, $ndiff differences"
[ "$ndiff" -eq 0 ]
