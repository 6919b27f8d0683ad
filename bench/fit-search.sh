#!/bin/sh
# bench/fit-search.sh - the acceptance runs of nsl-fit --search: on each
# real set, the law the search chooses on the points it may see, and its
# error on points it never sees (--holdout), against the named laws
# fitted to the same points; with the search's wall and CPU time and its
# count of candidates.  Then the synthetic recovery of
# tests/fixtures/fit/search (one law per grammar family): the form found
# and the time.  Run from the top of the tree after `make`.
#
#   datablations (Muennighoff et al.): N, D, U; held out: the largest N
#     and the largest U; the search extrapolates along N and U
#   Chinchilla (Epoch's extraction, top 5 losses dropped): N, D (C = 6ND);
#     held out: C >= 1e21; the search extrapolates along C (levels to 1
#     significant digit: the digitised C is continuous)
#   OPT checkpoints: N, D; held out: the largest model (175B)
#   GPT-3 validation curves (6506 points): N, D; held out: 175B
#
# Error: RMSLE on the held-out points (the record's holdout.rmsle).
set -e
T=${TMPDIR:-/tmp}/nsl-bench-fit-search.$$
mkdir -p "$T"
trap 'rm -rf "$T"' EXIT
echo "load: $(uptime)"
echo "threads: ${OMP_NUM_THREADS:-$(nproc)}"

# accept NAME NAMED-LAWS FILE SEARCH-OPTIONS -- COMMON-OPTIONS
accept() {
	name=$1 laws=$2 file=$3
	shift 3
	so=
	while [ "$1" != -- ]; do so="$so $1"; shift; done
	shift
	/usr/bin/time -f '%e %U %S' -o "$T/time" bin/nsl-fit -q --search \
	    $so "$@" --search-report "$T/$name.rep" "$file" > "$T/$name.fit"
	read -r wall usr sys < "$T/time"
	echo "$name: $(wc -l < "$file") points, $(jq .search.tried "$T/$name.fit") candidates in ${wall}s wall, $(echo "$usr + $sys" | bc)s cpu (load $(cut -d' ' -f1 /proc/loadavg))"
	echo "  chosen: $(jq -r '.formula' "$T/$name.fit")"
	echo "    held-out rmsle $(jq .holdout.rmsle "$T/$name.fit") (n $(jq .holdout.n "$T/$name.fit")), search score $(jq .search.rms "$T/$name.fit")"
	echo "  top 3 of the search:"
	head -3 "$T/$name.rep" | jq -r '"    \(.rank) \(.formula)  score \(.heldout.rms)"'
	for law in $laws; do
		bin/nsl-fit -q --law "$law" "$@" "$file" > "$T/$name.$law.fit" 2>/dev/null ||
			{ echo "  $law: no fit"; continue; }
		echo "  $law: held-out rmsle $(jq .holdout.rmsle "$T/$name.$law.fit")"
	done
}

bin/nsl-convert tests/data/datablations_contour_losses.csv |
    jq -c '{N: .num_params, D: .token_num, U: (.token_num / .epochs), loss: .openLM_loss}' |
    jq -s -c '(map(.N) | max) as $n | (map(.U) | max) as $u |
        .[] | . + {top: (if .N == $n or .U == $u then 1 else 0 end)}' > "$T/dbl.jsonl"
accept datablations "data-constrained chinchilla chinchilla-tied kaplan" "$T/dbl.jsonl" \
    --x N,D,U --extrapolate-along N,U --max-params 7 -- \
    --y loss --holdout 'top>=1'

bin/nsl-convert tests/data/svg_extracted_data.csv |
    jq -c '{N: .["Model Size"], D: (.["Training FLOP"]/(6*.["Model Size"])),
        C: .["Training FLOP"], loss}' > "$T/chin.jsonl"
accept chinchilla "chinchilla chinchilla-tied kaplan" "$T/chin.jsonl" \
    --x N,D --extrapolate-along C --level-digits 1 --max-params 5 -- \
    --y loss --drop-top 5 --holdout 'C>=1e21'

bin/nsl-convert tests/data/opt_trajectories.csv |
    jq -c '{N: ({"125m": 125e6, "1.3b": 1.3e9, "6.7b": 6.7e9, "13b": 13e9,
        "30b": 30e9, "175b": 175e9}[.model_size]),
        D: (pow(10; .num_token)), loss: (.ppl | log)}' > "$T/opt.jsonl"
accept opt "chinchilla chinchilla-tied kaplan" "$T/opt.jsonl" \
    --x N,D --extrapolate-along N --max-params 5 -- \
    --y loss --holdout 'N>=1e11'

bin/nsl-convert tests/data/gpt3_extracted.csv.gz |
    jq -c 'select(.val_loss != null) |
        {N: ({small: 125e6, medium: 350e6, large: 760e6, xl: 1.3e9, "2.7b": 2.7e9,
              "6.7b": 6.7e9, "13b": 13e9, "175b": 175e9}[.model]),
         D: (.step * 1e9), loss: .val_loss}' > "$T/gpt3.jsonl"
accept gpt3 "chinchilla chinchilla-tied kaplan" "$T/gpt3.jsonl" \
    --x N,D --extrapolate-along N --max-params 5 -- \
    --y loss --holdout 'N>=1e11'

echo "synthetic recovery (tests/fixtures/fit/search, make.py):"
while read -r t; do
	fam=$(echo "$t" | jq -r .family)
	/usr/bin/time -f '%e %U %S' -o "$T/time" bin/nsl-fit -q --search \
	    --loss log-ls --x "$(echo "$t" | jq -r .x)" \
	    --extrapolate-along "$(echo "$t" | jq -r .along)" \
	    --max-params "$(echo "$t" | jq -r .max_params)" \
	    "tests/fixtures/fit/search/$fam.jsonl" > "$T/s.fit"
	read -r wall usr sys < "$T/time"
	got=$(jq -r .formula "$T/s.fit")
	want=$(echo "$t" | jq -r .formula)
	[ "$got" = "$want" ] && ok=recovered || ok="NOT recovered ($got)"
	echo "  $fam: $ok, $(jq .search.tried "$T/s.fit") candidates, ${wall}s wall, $(echo "$usr + $sys" | bc)s cpu"
done < tests/fixtures/fit/search/truth.jsonl
echo "load: $(uptime)"
