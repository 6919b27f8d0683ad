#!/bin/sh
# compare-outputs-laws.sh BEFORE_BIN AFTER_BIN: run the laws family's
# tools (nsl-fit, nsl-extrapolate, nsl-plot) with both sets of binaries
# on the same inputs and report every command whose stdout bytes, exit
# status or stderr differ (and, for nsl-plot, the figure files).  Covers
# every law of --list-laws through fit and extrapolate, --formula laws,
# --fix and --param, --by groups, bootstrap intervals, holdouts, solve,
# compute-optimal, score, plot scripts and figures, and error paths.
# Exit 0 when all agree, 1 otherwise.
set -u
# make bench runs every bench/*.sh without arguments: nothing to compare.
if [ $# -eq 0 ]; then
	echo "compare-outputs-laws: no BEFORE_BIN AFTER_BIN given; skipped"
	exit 0
fi
[ $# -eq 2 ] || { echo "usage: $0 BEFORE_BIN AFTER_BIN" >&2; exit 64; }
BEFORE=$(cd "$1" && pwd) AFTER=$(cd "$2" && pwd)
TOP=$(cd "$(dirname "$0")/.." && pwd)
W=$(mktemp -d) || exit 70
[ -n "${KEEP:-}" ] && echo "work dir: $W" >&2 || trap 'rm -rf "$W"' EXIT
export LC_ALL=C OMP_NUM_THREADS=1
cd "$W" || exit 70

# Inputs: a real curve and exact data from known parameters per law.
"$BEFORE/nsl-convert" "$TOP/tests/data/svg_extracted_data.csv" |
    jq -c '{N: .["Model Size"], D: (.["Training FLOP"]/(6*.["Model Size"])), loss}' > epoch.jsonl
cp "$TOP/tests/fixtures/fit/bnsl-4digit.jsonl" bnsl.jsonl
cp "$TOP"/tests/fixtures/plot/* .
/usr/bin/python3 - <<'PY'
import json, math
def out(name, rows):
    with open(name, "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
xs = [2.0 ** k for k in range(1, 13)]
out("power.jsonl", [{"x": x, "y": 3 * x ** -0.4} for x in xs])
out("poff.jsonl", [{"x": x, "y": 0.5 + 3 * x ** -0.4, "g": i % 2} for i, x in enumerate(xs)])
out("expo.jsonl", [{"x": x / 400, "y": 0.2 + 2 * math.exp(-3 * x / 400)} for x in xs])
out("down.jsonl", [{"loss": l, "error": 0.9 - 5 * math.exp(-1.5 * l)} for l in [1.5 + 0.25 * k for k in range(12)]])
rows = []
for N in [1e7, 3e7, 1e8, 3e8, 1e9]:
    for D in [1e9, 3e9, 1e10, 3e10]:
        rows.append({"N": N, "D": D, "loss": 1.7 + 400 * N ** -0.34 + 410 * D ** -0.28, "run": int(math.log(N))})
out("chinx.jsonl", rows)
out("tied.jsonl", [dict(r, loss=1.7 + 400 * r["N"] ** -0.3 + 410 * r["D"] ** -0.3) for r in rows])
out("kap.jsonl", [dict(r, loss=((6.4e13 / r["N"]) ** (0.076 / 0.103) + 1.8e13 / r["D"]) ** 0.103) for r in rows])
rows = []
for N in [1e7, 1e8, 1e9]:
    for U in [1e8, 1e9]:
        for e in [1, 2, 4, 8, 16]:
            D = U * e
            rows.append({"N": N, "D": D, "U": U, "loss": 1.9 + 500 * N ** -0.35 + 1500 * (U + U * 15 * (1 - math.exp(-(D / U - 1) / 15))) ** -0.36})
out("dc.jsonl", rows)
lr = []
s1 = 0; s2 = 0; m = 0; prev = 1e-3
for step in range(100, 2100, 100):
    l = 1e-3 if step < 1500 else 2e-4
    lr.append({"step": step, "lr": l})
out("sched.jsonl", lr)
PY
"$BEFORE/nsl-fit" -q --law power --x x --y y power.jsonl > pw.fit
"$BEFORE/nsl-fit" -q --drop-top 5 --bootstrap 30 epoch.jsonl > chinb.fit
"$BEFORE/nsl-fit" -q --law chinchilla-tied tied.jsonl > tied.fit
"$BEFORE/nsl-fit" -q --law power-offset --by g poff.jsonl > byg.fit
"$BEFORE/nsl-fit" -q --law exp-offset expo.jsonl > expo.fit
"$BEFORE/nsl-fit" -q --law downstream down.jsonl > down.fit
"$BEFORE/nsl-fit" -q --formula 'A*x^-a' --param A=1,a=0.5 --x x --y y --bootstrap 20 power.jsonl > form.fit
printf '%s\n' '{"law":"lr-anneal","x":["step","lr"],"y":"loss","params":{"L0":2,"A":3,"C":0.002,"alpha":0.5}}' > lr.fit
"$AFTER/nsl-extrapolate" --fit lr.fit --pred-field loss sched.jsonl > lr.jsonl 2>/dev/null ||
    "$BEFORE/nsl-extrapolate" --fit lr.fit --pred-field loss sched.jsonl > lr.jsonl
printf '%s\n' '{"law":"bnsl","x":["x"],"y":"y","params":{"a":1}}' > bad.fit

cat > cmds <<'CMDS'
nsl-fit --list-laws
nsl-fit --list-laws --breaks 3
nsl-fit --help
nsl-extrapolate --help
nsl-plot --help
nsl-fit --version
nsl-fit --drop-top 5 epoch.jsonl
nsl-fit --drop-top 5 --bootstrap 40 --seed 1 epoch.jsonl
nsl-fit --bootstrap 20 --seed 3 --cluster run chinx.jsonl
nsl-fit --law chinchilla chinx.jsonl
nsl-fit --law chinchilla-tied tied.jsonl
nsl-fit --law kaplan kap.jsonl
nsl-fit --law chinchilla-tied,kaplan,chinchilla tied.jsonl
nsl-fit --law chinchilla-tied,kaplan < tied.jsonl
nsl-fit --law data-constrained --grid 256 --starts 2 dc.jsonl
nsl-fit --law power --x x --y y power.jsonl
nsl-fit --law power-offset --x x --y y --by g poff.jsonl
nsl-fit --law power,power-offset,bnsl --x x --y y poff.jsonl
nsl-fit --law bnsl,power-offset --breaks 1 --holdout 'i>=14' bnsl.jsonl
nsl-fit --law bnsl --breaks 2 bnsl.jsonl
nsl-fit --law exp-offset expo.jsonl
nsl-fit --law downstream down.jsonl
nsl-fit --law downstream --loss log-ls down.jsonl
nsl-fit --law lr-anneal lr.jsonl
nsl-fit --law lr-anneal --fix alpha=0.5 lr.jsonl
nsl-fit --formula 'E + A*x^-a' --param E=0.5,A=1,a=0.5 --x x --y y bnsl.jsonl
nsl-fit --loss ls --formula 'b1*(1 - exp(-b2*x))' --param b1=500,b2=0.0001 --x x --y y $TOP/tests/data/nist/Misra1a.jsonl
nsl-fit --formula 'A*x^-a' --param A=1,a=0.5 --x x --y y --fix a=0.4 power.jsonl
nsl-fit --drop-top 5 --param A=400,alpha=0.3 epoch.jsonl
nsl-fit --fix E=1.7 chinx.jsonl
nsl-fit --fix E=1.7,alpha=0.34 --by run chinx.jsonl
nsl-fit --law chinchilla,power --fix E=1.7 chinx.jsonl
nsl-fit --law chinchilla,kaplan --fix E=1.7 chinx.jsonl
nsl-fit --law power,power-offset --fix E=0.5 --x x --y y poff.jsonl
nsl-fit --law power-offset,power --fix E=0.5,a=0.4 --x x --y y --by g poff.jsonl
nsl-fit --fix zz=1 chinx.jsonl
nsl-fit --fix E=-1 chinx.jsonl
nsl-fit --fix E chinx.jsonl
nsl-fit --param Z=1 chinx.jsonl
nsl-fit --param A=0 chinx.jsonl
nsl-fit --law chinchilla,power --param A=1 chinx.jsonl
nsl-fit --formula 'A*x' power.jsonl
nsl-fit --formula 'A*x' --x x power.jsonl
nsl-fit --formula 'A*x' --law power --param A=1 --x x power.jsonl
nsl-fit --formula '2*x' --param A=1 --x x power.jsonl
nsl-fit --formula 'A*(' --param A=1 --x x power.jsonl
nsl-fit --cluster run chinx.jsonl
nsl-fit --min D=3e9 --holdout-largest N chinx.jsonl
nsl-fit --min D=3e9 --min N=3e7 chinx.jsonl
nsl-fit --holdout 'N>=1e9' chinx.jsonl
nsl-fit --holdout 'N>=1e12' chinx.jsonl
nsl-fit -q --law power --x x --holdout 'x>=4096' --by g --y y poff.jsonl
nsl-fit --law power --x x --y y --holdout 'x>=8' --min 'x<=4' poff.jsonl
nsl-fit --holdout N chinx.jsonl
nsl-fit --weight-field run chinx.jsonl
nsl-fit --loss ls chinx.jsonl
nsl-fit --loss log-ls chinx.jsonl
nsl-fit --loss abs chinx.jsonl
nsl-fit --delta 0.01 chinx.jsonl
nsl-fit --delta 0 chinx.jsonl
nsl-fit --level 0.5 --bootstrap 10 chinx.jsonl
nsl-fit --level 1 chinx.jsonl
nsl-fit --level x chinx.jsonl
nsl-fit --bootstrap 0 chinx.jsonl
nsl-fit --bootstrap x chinx.jsonl
nsl-fit --grid 64 --starts 2 --restarts 0 chinx.jsonl
nsl-fit --restarts -1 chinx.jsonl
nsl-fit --breaks 9 bnsl.jsonl
nsl-fit --breaks 0 bnsl.jsonl
nsl-fit --x N chinx.jsonl
nsl-fit --x a,b --y loss chinx.jsonl
nsl-fit --law nope chinx.jsonl
nsl-fit --law , chinx.jsonl
nsl-fit --bogus
nsl-fit a b
nsl-fit none.jsonl
nsl-fit /dev/null
nsl-fit -o out.fit --law power --x x --y y power.jsonl; cat out.fit
nsl-fit --law power --x x --y y power.jsonl > /dev/full
nsl-fit --law power --x x --y y -o /dev/full power.jsonl
nsl-fit --law power --x x --y y --by nope power.jsonl
nsl-fit --law power --x x --y nope power.jsonl
nsl-fit --law power --x y --y x --loss ls down.jsonl
nsl-fit --allow-nonfinite --law power --x x --y y power.jsonl
nsl-fit --law power --x x --y y --seed 5 --bootstrap 5 power.jsonl
nsl-extrapolate --fit pw.fit power.jsonl
nsl-extrapolate --fit pw.fit --score power.jsonl
nsl-extrapolate --fit pw.fit --score -q power.jsonl
nsl-extrapolate --fit pw.fit --score --pred-field rel_error power.jsonl
nsl-extrapolate --fit pw.fit --pred-field '' power.jsonl
nsl-extrapolate --fit pw.fit --pred-field yhat power.jsonl
nsl-extrapolate --fit pw.fit --solve x --target 0.5 power.jsonl
nsl-extrapolate --fit pw.fit --solve x --target -1 power.jsonl
nsl-extrapolate --fit pw.fit --solve q --target 1 power.jsonl
nsl-extrapolate --fit pw.fit --solve x power.jsonl
nsl-extrapolate --fit pw.fit --target 1 power.jsonl
nsl-extrapolate --fit pw.fit --solve x --target 1 --compute-optimal power.jsonl
nsl-extrapolate --fit pw.fit --compute-optimal power.jsonl
nsl-extrapolate --fit chinb.fit chinx.jsonl
nsl-extrapolate --fit chinb.fit --level 0.5 chinx.jsonl
nsl-extrapolate --fit chinb.fit --level 2 chinx.jsonl
nsl-extrapolate --fit chinb.fit --score chinx.jsonl
nsl-extrapolate --fit chinb.fit --solve D --target 2.0 chinx.jsonl
nsl-extrapolate --fit chinb.fit --solve N --target 2.1 chinx.jsonl
nsl-extrapolate --fit chinb.fit --compute-optimal --compute-field N chinx.jsonl
nsl-extrapolate --fit chinb.fit --compute-optimal --flops-per-param-token 8 --compute-field D chinx.jsonl
nsl-extrapolate --fit chinb.fit --compute-optimal --flops-per-param-token 0 chinx.jsonl
nsl-extrapolate --fit chinb.fit --compute-optimal chinx.jsonl
nsl-extrapolate --fit tied.fit --compute-optimal --compute-field D tied.jsonl
nsl-extrapolate --fit tied.fit --score tied.jsonl
nsl-extrapolate --fit byg.fit poff.jsonl
nsl-extrapolate --fit byg.fit --score poff.jsonl
nsl-extrapolate --fit byg.fit power.jsonl
nsl-extrapolate --fit expo.fit --solve x --target 1 expo.jsonl
nsl-extrapolate --fit expo.fit --score expo.jsonl
nsl-extrapolate --fit down.fit --solve loss --target 0.5 down.jsonl
nsl-extrapolate --fit down.fit --score down.jsonl
nsl-extrapolate --fit form.fit --solve x --target 0.3 power.jsonl
nsl-extrapolate --fit form.fit power.jsonl
nsl-extrapolate --fit lr.fit --pred-field loss sched.jsonl
nsl-extrapolate --fit lr.fit --score lr.jsonl
nsl-extrapolate --fit lr.fit --pred-field loss chinx.jsonl
nsl-extrapolate --fit lr.fit tac.jsonl
tac sched.jsonl | nsl-extrapolate --fit lr.fit
nsl-extrapolate --fit bad.fit power.jsonl
nsl-extrapolate --fit none.fit power.jsonl
nsl-extrapolate --fit /dev/null power.jsonl
nsl-extrapolate power.jsonl
nsl-extrapolate --fit pw.fit a b
nsl-extrapolate --bogus
nsl-extrapolate --fit pw.fit -o out.jsonl power.jsonl; cat out.jsonl
nsl-extrapolate --fit pw.fit power.jsonl > /dev/full
nsl-extrapolate --fit pw.fit chinx.jsonl
nsl-extrapolate --allow-nonfinite --fit pw.fit power.jsonl
nsl-plot --x n --y err --group strategy --fit power.fit --script -o f.svg points.jsonl
nsl-plot --x n --y err --group strategy --logx --logy --fit power.fit --script -o f.png points.jsonl
nsl-plot --x D --y loss --group N --logx --fit chin.fit --script -o f.pdf chin.jsonl
nsl-plot --x D --y loss --logx --fit chin.fit --at N=3e8 --script -o f.svg chin.jsonl
nsl-plot --x D --y loss --logx --fit chin.fit --script -o f.svg chin.jsonl
nsl-plot --x D --y loss --logx --fit chinb.fit --at N=3e8 --xmin 1e8 --xmax 1e13 --script -o f.svg chin.jsonl
nsl-plot --x n --y err --title 'a "t"' --xlabel X --ylabel Y --width 300 --height 200 --script -o f.svg points.jsonl
nsl-plot --x n --y err --script -o f.svg < points.jsonl
nsl-plot --x x --y y --group g --fit byg.fit --script -o f.svg poff.jsonl
nsl-plot --x step --y loss --fit lr.fit --script -o f.svg lr.jsonl
nsl-plot --x n --y err --fit chin.fit --script -o f.svg points.jsonl
nsl-plot --x n --y err --fit bad.fit --script -o f.svg points.jsonl
nsl-plot --x n --y err --script -o f.gif points.jsonl
nsl-plot --x n --y err points.jsonl
nsl-plot --x n points.jsonl
nsl-plot --x n --y err --xmin 5 --xmax 1 --script -o f.svg points.jsonl
nsl-plot --x n --y err --logx --xmin -1 --script -o f.svg points.jsonl
nsl-plot --x n --y err --at N --script -o f.svg points.jsonl
nsl-plot --x n --y err --width 10 --script -o f.svg points.jsonl
nsl-plot --x n --y nope --script -o f.svg points.jsonl
nsl-plot --bogus
nsl-plot --x n --y err --group strategy --fit power.fit -o fig.svg points.jsonl; cat fig.svg
nsl-plot --x D --y loss --logx --fit chinb.fit --at N=3e8 -o fig.svg chin.jsonl; cat fig.svg
CMDS

fail=0 n=0
while IFS= read -r c; do
	n=$((n + 1))
	for s in before after; do
		[ $s = before ] && B=$BEFORE || B=$AFTER
		rm -f out.fit out.jsonl fig.svg
		PATH="$B:$PATH" TOP="$TOP" sh -c "$c" > "$s.out" 2> "$s.err"
		echo $? > "$s.rc"
	done
	for k in out err rc; do
		if ! cmp -s before.$k after.$k; then
			echo "DIFF ($k): $c"
			diff before.$k after.$k | head -5
			fail=1
		fi
	done
done < cmds
echo "compare-outputs-laws: $n commands, $([ $fail = 0 ] && echo 'all identical' || echo 'differences above')"
exit $fail
