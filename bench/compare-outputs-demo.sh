#!/bin/sh
# bench/compare-outputs-demo.sh BEFORE_TOP AFTER_TOP: run the demo and the
# examples' pipelines with two built trees (each its own bin/ and
# pipelines/) on the same part of Fashion-MNIST (the first 5000 training
# and 1000 test images, the knobs tests/readme.bats uses) and compare
# every file they write, byte for byte.  Wall-clock fields ("seconds") are
# the only difference allowed, and are removed before comparing.
# Prints one line per differing file and a count; exit 1 if any differ.
set -eu
if [ $# -ne 2 ]; then
	echo "usage: sh bench/compare-outputs-demo.sh BEFORE_TOP AFTER_TOP (skipped)"
	exit 0
fi
before=$(cd "$1" && pwd) after=$(cd "$2" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
f=/usr/share/datasets/fashion-mnist
mkdir -p "$work/fmnist"
/usr/bin/python3 - "$f" "$work/fmnist" <<'PY'
import gzip, os, struct, sys
src, dst = sys.argv[1:3]
for name, n in (("train", 5000), ("t10k", 1000)):
    for kind, head, size in (("images-idx3", 16, 784), ("labels-idx1", 8, 1)):
        f = "%s-%s-ubyte.gz" % (name, kind)
        with gzip.open(os.path.join(src, f)) as fp:
            h = fp.read(head)
            body = fp.read(n * size)
        with gzip.open(os.path.join(dst, f), "wb", compresslevel=1) as fp:
            fp.write(h[:4] + struct.pack(">I", n) + h[8:] + body)
PY
export FMNIST="$work/fmnist" JOBS=2
export SIZES='250 500 1000 2000 4000' FRACTIONS=0.5 STRATEGIES='easy hard'
export DYN_EPOCHS=2 DYN_HIDDEN=16 DIM=10 ALPHAS='1 2 4 8' SEEDS='1 2'
export FORMATS='int8 mxfp4' TRAIN_N=1000 OT_N=200
export STEP=0.5 PROBE_SIZES='200 300 400' BUDGET=800 VAL_N=200 BOOTSTRAP=20
for side in before after; do
	eval top=\$$side
	o="$work/$side"
	m="make --no-print-directory -s -f $top/pipelines"
	OUT="$o" sh "$top/examples/demo.sh" > "$o.demo.txt" 2>&1 || echo "$side: demo failed"
	$m/scaling-law.mk OUT="$o/scaling-law" all table >> "$o.demo.txt" 2>&1 || echo "$side: scaling-law failed"
	$m/precision.mk OUT="$o/precision" TRAIN="$o/fashion-mnist/train.jsonl" \
	    TEST="$o/fashion-mnist/test.jsonl" all table >> "$o.demo.txt" 2>&1 || echo "$side: precision failed"
	$m/projektor.mk OUT="$o/projektor" FMNIST_OUT="$o/fashion-mnist" all table >> "$o.demo.txt" 2>&1 || echo "$side: projektor failed"
	$m/intrinsic-dim.mk OUT="$o/intrinsic-dim" WIDTHS='8 16' ID_SIZES=1000,2000 \
	    MLP_HIDDEN=16 MLP_PASSES=20000 all table >> "$o.demo.txt" 2>&1 || echo "$side: intrinsic-dim failed"
	# make's own "rm" of intermediate files lists them in the order of
	# its hash of their paths, which the temporary directory's name sets:
	# the names sorted
	sed -e "s|$o|OUT|g" -e 's/demo done in [0-9]* s/demo done in N s/' "$o.demo.txt" |
	    awk '/^rm OUT\// { n = split($0, w, " "); s = ""
		for (i = 2; i <= n; i++) for (j = i + 1; j <= n; j++)
			if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
		for (i = 2; i <= n; i++) s = s " " w[i]
		print "rm" s; next } { print }' > "$o.demo.norm"
done
n=0 d=0
cmp -s "$work/before.demo.norm" "$work/after.demo.norm" || { echo "differs: the printed tables"; d=$((d + 1)); diff "$work/before.demo.norm" "$work/after.demo.norm" | head -20; }
cd "$work/before"
for f in $(find . -type f | sort); do
	n=$((n + 1))
	g="$work/after/$f"
	if [ ! -e "$g" ]; then echo "missing after: $f"; d=$((d + 1)); continue; fi
	case $f in
	*.json | *.jsonl)
		if ! cmp -s "$f" "$g"; then
			# wall-clock fields only
			if [ "$(jq -c 'del(.seconds)' "$f" | md5sum)" = "$(jq -c 'del(.seconds)' "$g" | md5sum)" ]; then
				continue
			fi
			echo "differs: $f"; d=$((d + 1))
		fi ;;
	*) cmp -s "$f" "$g" || { echo "differs: $f"; d=$((d + 1)); } ;;
	esac
done
echo "$n files compared, $d differ"
[ "$d" -eq 0 ]
