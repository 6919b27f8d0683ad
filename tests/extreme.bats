#!/usr/bin/env bats
# Extreme but finite numbers, through every tool: a property of the
# toolkit, not of one tool.  Every nsl-* in bin/ runs on records whose
# numbers are finite but near the ends of the double range (1e308, 1e200,
# 1e160, subnormals down to 5e-324, 1e300 beside 1e-300, integers beyond
# 64 bits), and must either write strict JSON -- every line an object, no
# NaN or Infinity, no duplicate key -- and exit 0, or refuse with exit 64
# or 65 and one line on stderr.  Whether an answer is right is each
# tool's own tests' business (nsl-TOOL.bats); here only the contract.
#
# A tool not in the table below is run on the records as a filter
# ("nsl-NEW FILE"), so a new tool is covered the day it is built; give it
# a row to reach its options.

bats_require_minimum_version 1.5.0

load helper

# The input classes: CLASS -> the numbers the records are built from.
CLASSES="e308 e200 e160 subnormal mixed bigint"

setup_file() {
	require_prog /usr/bin/python3 python3
	local d="$BATS_FILE_TMPDIR/in"

	mkdir -p "$d"
	# Records with every field some tool reads: id, embedding (3-d), a
	# 0/1 label, logits (2 epochs x 3 classes), score, and the scaling-law
	# variables N, D, C and loss.  Numbers are written as text, so that
	# each class's literal digits reach the tools unchanged.
	/usr/bin/python3 - "$d" <<'EOF'
import itertools, sys
d = sys.argv[1]
classes = {
    "e308": ["1e308", "-1e308", "1.7976931348623157e308", "0", "1"],
    "e200": ["1e200", "-1e200", "3e200", "0", "2"],
    "e160": ["1e160", "-1e160", "2e160", "0", "3"],
    "subnormal": ["5e-324", "-5e-324", "1e-308", "2.2250738585072014e-308",
                  "0"],
    "mixed": ["1e300", "1e-300", "-1e300", "1", "-2.5e-310"],
    "bigint": ["123456789012345678901234567890",
               "-18446744073709551617", "9223372036854775808", "0",
               "100000000000000000000000000000000000000000"],
}
pos = {  # the strictly positive ones, for N, D, C and loss
    "e308": ["1e308", "1.7976931348623157e308", "1e307", "1"],
    "e200": ["1e200", "3e200", "1e-200", "2"],
    "e160": ["1e160", "2e160", "1e-160", "3"],
    "subnormal": ["5e-324", "1e-308", "2.2250738585072014e-308", "1e-320"],
    "mixed": ["1e300", "1e-300", "1", "2.5e-310"],
    "bigint": ["123456789012345678901234567890", "9223372036854775808",
               "100000000000000000000000000000000000000000", "1"],
}
for name, v in classes.items():
    p = pos[name]
    for part, off in (("a", 0), ("b", 2)):
        with open(f"{d}/{name}-{part}.jsonl", "w") as f:
            for i in range(8):
                e = [v[(i + off + k) % len(v)] for k in range(3)]
                lg = [[v[(i + k) % len(v)] for k in range(3)],
                      [v[(i + k + 1) % len(v)] for k in range(3)]]
                rec = ('{"id":%d,"embedding":[%s],"label":%d,'
                       '"logits":[%s],"score":%s,"N":%s,"D":%s,"C":%s,'
                       '"loss":%s}' % (
                           i, ",".join(e), i % 2,
                           ",".join("[" + ",".join(r) + "]" for r in lg),
                           v[(i + off) % len(v)], p[i % len(p)],
                           p[(i + 1) % len(p)], p[(i + 2) % len(p)],
                           p[(i + 3) % len(p)]))
                f.write(rec + "\n")
EOF
	# A fit record of ordinary size, for nsl-extrapolate and nsl-plot.
	echo '{"law":"chinchilla","x":["N","D"],"y":"loss","params":{"A":406.4,"B":410.7,"E":1.69,"alpha":0.34,"beta":0.28}}' > "$d/chin.fit"
}

# The argument sets of each tool, one per line.  The first word says what
# stdout holds: "json" (JSONL), "csv", or "none" (the tool writes a file
# only); "+json" after it adds: @OUT, a side output, is JSONL too.  @A and
# @B are the two record files of the class, @FIT a fit record, @OUT a
# path in the test's directory.
argsets() {
	case "$1" in
	nsl-convert)
		cat <<'EOF'
json @A
json --float32 @A
json --scale 10 @A
csv --to csv @A
none --to npy --dtype float32 -o @OUT @A
none --to npy -o @OUT @A
EOF
		;;
	nsl-embed)
		cat <<'EOF'
json --fit @A --dim 2 @B
json --fit @A --dim 2 --whiten @B
json --fit @A --dim 2 --method random @B
json --fit @A --dim 2 --save @OUT
EOF
		;;
	nsl-score)
		for m in prototype class-prototype knn el2n grand margin \
		    entropy least-confidence forgetting aum \
		    dynamic-uncertainty; do
			echo "json --metric $m --k 2 --neighbours 2 --window 2 @A"
		done
		echo "json --metric el2n,knn --float32 --neighbours 2 @A"
		;;
	nsl-prune)
		for s in hard easy random stratified; do
			echo "json --keep-fraction 0.5 --strategy $s @A"
		done
		echo "json --keep 3 --by label --strategy stratified @A"
		echo "json --strategy dedup --k 2 --eps 0.1 @A"
		echo "json --strategy dedup --k 1 --eps 0.5 --by label @A"
		;;
	nsl-probe)
		cat <<'EOF'
json --train @A --test @B
json --train @A --test @B --no-standardize
json --train @A --test @B --model mlp --hidden 4 --epochs 2 --batch 4
json+json --train @A --test @B --predict @OUT
json+json --train @A --test @B --model mlp --hidden 4 --epochs 2 --batch 4 --dynamics @OUT
json --train @A --test @B --teacher embedding
EOF
		;;
	nsl-fit)
		cat <<'EOF'
json --grid 64 --starts 2 @A
json --law power --x N --y loss --grid 64 --starts 2 @A
json --law power --x N --y loss --loss ls --grid 64 --starts 2 @A
json --formula A*N^-a+E --param A=1,a=0.5,E=1 --x N --y loss --grid 64 --starts 2 @A
EOF
		;;
	nsl-extrapolate)
		cat <<'EOF'
json --fit @FIT @A
json --fit @FIT --score @A
json --fit @FIT --solve D --target 2 @A
json --fit @FIT --compute-optimal @A
EOF
		;;
	nsl-ot-distance)
		for m in exact sinkhorn divergence sns sliced gaussian otdd; do
			for c in sqeuclidean euclidean cosine; do
				echo "json --method $m --cost $c --max-iter 200 @A @B"
			done
		done
		echo "json --method otdd --label-field label @A @B"
		echo "json --method otdd --inner sinkhorn --max-iter 200 --label-field label @A @B"
		echo "json+json --potentials @OUT @A @B"
		echo "json+json --plan @OUT @A @B"
		;;
	nsl-quantize)
		for f in fp8-e4m3 fp4-e2m1 int8 int4 nf4 mxfp8-e4m3 mxint8; do
			echo "json --format $f @A"
			echo "json --format $f --no-f32 @A"
		done
		echo "json --format int8 --scale-by tensor @A"
		echo "json --format int8 --asymmetric @A"
		echo "json --format fp8-e4m3 --saturate --float32 @A"
		echo "json --format int8 --emit codes @A"
		echo "json+json --format int8 --stats-file @OUT @A"
		echo "json+json --format int8 --no-f32 --stats-file @OUT @A"
		;;
	nsl-synth)
		# reads no records: the extremes are its options
		cat <<'EOF'
json teacher-student --n 4 --dim 3 --probe-angle 90
json gaussian-mixture --n 4 --dim 3 --separation 1e308
json gaussian-mixture --n 4 --dim 3 --separation 1e200
json gaussian-mixture --n 4 --dim 3 --separation 5e-324
json gaussian-mixture --n 4 --dim 3 --weights 1e308,1e308
EOF
		;;
	nsl-plot)
		cat <<'EOF'
none --script --x N --y loss -o @OUT.svg @A
none --script --x N --y loss --logx --logy -o @OUT.svg @A
none --script --x N --y loss --fit @FIT -o @OUT.svg @A
EOF
		;;
	*)
		echo "json @A"
		;;
	esac
}

# check RUN...: the contract, for each run directory (files cmd, kind,
# rc, stdout, stderr and maybe side): exit 0 with strict JSON on stdout
# (every non-blank line an object, no NaN, Infinity or duplicate key;
# "csv": no non-finite cell) and in a "+json" side output, or exit 64 or
# 65 with one line "TOOL: ..." on stderr (a usage error may add "Try
# 'TOOL --help'") and whatever came before on stdout still strict JSON.
# Prints one line per broken promise.  One interpreter for all runs.
check() {
	/usr/bin/python3 - "$@" <<'PY'
import csv, json, os, sys

def const(c):
    raise ValueError("non-finite number " + c)

def pairs(kv):
    seen = set()
    for k, _ in kv:
        if k in seen:
            raise ValueError("duplicate key " + json.dumps(k))
        seen.add(k)
    return dict(kv)

def strict_json(path):
    with open(path, encoding="utf-8", errors="strict") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                v = json.loads(line, parse_constant=const,
                               object_pairs_hook=pairs)
                if not isinstance(v, dict):
                    raise ValueError("not an object")
            except ValueError as e:
                return f"line {n}: {e}: {line[:160].rstrip()}"
    return None

def strict_csv(path):
    with open(path) as f:
        for n, row in enumerate(csv.reader(f), 1):
            for c in row:
                if c.strip().lstrip("+-").lower() in ("nan", "inf", "infinity"):
                    return f"line {n}: non-finite cell {c!r}"
    return None

for d in sys.argv[1:]:
    get = lambda name: open(os.path.join(d, name)).read()
    cmd, kind, rc = get("cmd").strip(), get("kind").strip(), int(get("rc"))
    tool = cmd.split()[0]
    why = None
    if rc == 0:
        if kind.startswith("json"):
            why = strict_json(os.path.join(d, "stdout"))
        elif kind.startswith("csv"):
            why = strict_csv(os.path.join(d, "stdout"))
        if why is None and kind.endswith("+json"):
            why = strict_json(os.path.join(d, "side"))
            why = why and "side output: " + why
    elif rc in (64, 65):
        err = get("stderr").splitlines()
        if not (len(err) == 1 or (rc == 64 and len(err) == 2 and
                                  err[1].startswith(f"Try '{tool} --help'"))):
            why = f"exit {rc}, stderr not one line: {get('stderr')[:300]!r}"
        elif not err[0].startswith(tool + ": "):
            why = f"exit {rc}, stderr not '{tool}: ...': {err[0][:300]}"
        elif kind.startswith("json"):
            why = strict_json(os.path.join(d, "stdout"))
            why = why and f"exit {rc} after: " + why
    elif rc == 124:
        why = "did not finish in 300 s"
    else:
        why = f"exit {rc}: {get('stderr')[:300]}"
    if why:
        print(f"{cmd}: {why}")
PY
}

# run_one DIR CLASS TOOL KIND ARGS...: run TOOL on the class's files,
# keeping in DIR what check() reads.
run_one() {
	local dir=$1 class=$2 tool=$3 kind=$4 a rc args=()
	shift 4
	mkdir -p "$dir"
	for a in "$@"; do
		a=${a//@A/$BATS_FILE_TMPDIR/in/$class-a.jsonl}
		a=${a//@B/$BATS_FILE_TMPDIR/in/$class-b.jsonl}
		a=${a//@FIT/$BATS_FILE_TMPDIR/in/chin.fit}
		a=${a//@OUT/$dir/side}
		args+=("$a")
	done
	echo "$tool $*" >"$dir/cmd"
	echo "$kind" >"$dir/kind"
	rc=0
	timeout 300 "$tool" "${args[@]}" >"$dir/stdout" 2>"$dir/stderr" \
	    </dev/null || rc=$?
	echo "$rc" >"$dir/rc"
}

# every_tool CLASS: run every tool's argument sets on CLASS; fail with
# the list of broken promises.
every_tool() {
	local class=$1 tool line fails n=0 k=0
	local -a words dirs=()

	for tool in "$NSL_BIN"/nsl-*; do
		tool=${tool##*/}
		n=$((n + 1))
		while IFS= read -r line; do
			read -r -a words <<<"$line"
			k=$((k + 1))
			run_one "$BATS_TEST_TMPDIR/run$k" "$class" "$tool" "${words[@]}"
			dirs+=("$BATS_TEST_TMPDIR/run$k")
		done < <(argsets "$tool")
	done
	[ "$n" -ge 11 ] || fail "only $n tools in $NSL_BIN: are they built?"
	fails=$(check "${dirs[@]}")
	[ -z "$fails" ] || fail "$class: $fails"
}

@test "the check itself refuses NaN, Infinity, duplicate keys, non-objects, a second stderr line" {
	local d=$BATS_TEST_TMPDIR/c i=0 out kind rc stdout stderr
	# kind|rc|stdout|stderr: each case breaks one promise
	while IFS='|' read -r kind rc stdout stderr; do
		i=$((i + 1))
		mkdir -p "$d/$i"
		echo "nsl-x case $i" >"$d/$i/cmd"
		echo "$kind" >"$d/$i/kind"
		echo "$rc" >"$d/$i/rc"
		printf '%b' "$stdout" >"$d/$i/stdout"
		printf '%b' "$stderr" >"$d/$i/stderr"
	done <<'CASES'
json|0|{"a":NaN}\n|
json|0|{"a":[1,-Infinity]}\n|
json|0|{"a":1,"a":2}\n|
json|0|[1]\n|
csv|0|a,b\n1,inf\n|
json|65|{}\n|nsl-x: bad\nmore\n
json|65||nsl-y: not my name\n
json|70||nsl-x: internal\n
CASES
	out=$(check "$d"/*)
	[ "$(grep -c '' <<<"$out")" -eq 8 ] || fail "$out"
	# and passes what keeps the contract
	printf '{"a":1e308,"s":"NaN","Infinity":null}\n' >"$d/1/stdout"
	printf 'nsl-x: bad\nTry '"'"'nsl-x --help'"'"' for more information.\n' >"$d/6/stderr"
	echo 64 >"$d/6/rc"
	echo 'nsl-x: field "a": bad' >"$d/7/stderr"
	out=$(check "$d/1" "$d/6" "$d/7")
	[ -z "$out" ] || fail "$out"
}

@test "numbers near the largest double (1e308): strict JSON or a clean 64/65, every tool" {
	every_tool e308
}

@test "numbers whose squares overflow (1e200): strict JSON or a clean 64/65, every tool" {
	every_tool e200
}

@test "numbers whose squares overflow but sums do not (1e160): strict JSON or a clean 64/65, every tool" {
	every_tool e160
}

@test "subnormal numbers (5e-324, 1e-308): strict JSON or a clean 64/65, every tool" {
	every_tool subnormal
}

@test "1e300 beside 1e-300 and 1: strict JSON or a clean 64/65, every tool" {
	every_tool mixed
}

@test "integers beyond 64 bits: strict JSON or a clean 64/65, every tool" {
	every_tool bigint
}
