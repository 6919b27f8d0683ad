#!/usr/bin/env bats
# nsl-prune: each strategy and flag on hand-worked cases, class-balanced
# pruning of the CIFAR-10 C-scores, CCS on the CIFAR-10 data_diet scores
# against an independent re-implementation of Algorithm 1
# (fixtures/prune/ccs_ref.py), SemDeDup against a numpy reference
# (fixtures/prune/dedup_ref.py), and the bad inputs: one line
# "nsl-prune: FILE:LINE: ...", the documented exit code, nothing written.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/prune"
SMALL="$FIX/small.jsonl"
CSCORES="$DATA/cifar10-cscores.jsonl.gz"
DIET="$DATA/cifar10-datadiet-el2n-forget.jsonl.gz"
PY=/usr/bin/python3

setup() {
	T=$BATS_TEST_TMPDIR
	CG=
}

teardown() {
	# a control group a test made (empty once its processes are gone)
	[ -z "$CG" ] || rmdir "$CG" 2>/dev/null || true
}

# ids IN: the "id" values of the records in file IN, space-separated
ids() {
	sed 's/.*"id":"\{0,1\}\([^",]*\)"\{0,1\},.*/\1/' "$1" | tr '\n' ' '
}

# fails_cleanly STATUS REGEX ARGS...: see nsl_fails_cleanly in helper.bash.
fails_cleanly() {
	nsl_fails_cleanly nsl-prune o.jsonl "$@"
}

# ---- hand-worked selections on small.jsonl ----
# scores: a 0.5, b 2, c -1, (blank line), d 2, e 3.5, f 0, g 1
# labels: b d f -> 0; a c e g -> 1

@test "hard keeps the highest scores, in input order; ties to the earlier" {
	nsl-prune --keep 3 "$SMALL" >"$T/o"
	assert_equal "$(ids "$T/o")" "b d e "
	# e 3.5 then b and d tie at 2: the earlier, b
	nsl-prune --keep 2 --strategy hard "$SMALL" >"$T/o"
	assert_equal "$(ids "$T/o")" "b e "
}

@test "easy keeps the lowest scores; lines pass through byte for byte" {
	nsl-prune --keep-fraction 0.4 --strategy easy "$SMALL" >"$T/o"
	# round(0.4 * 7) = round(2.8) = 3: c -1, f 0, a 0.5
	assert_equal "$(ids "$T/o")" "a c f "
	run grep -c . "$T/o"
	assert_output 3
	grep -qxF '{"id":"a","score":0.5,"label":1}' "$T/o"
}

@test "--keep-fraction rounds to nearest: 0.29 of 100 is 29, 0.5 of 7 is 4" {
	for i in $(seq 100); do echo "{\"id\":$i,\"score\":$i}"; done >"$T/in"
	run -0 --separate-stderr nsl-prune --keep-fraction 0.29 "$T/in"
	assert_equal "${#lines[@]}" 29
	assert_equal "${lines[0]}" '{"id":72,"score":72}'
	run -0 --separate-stderr nsl-prune --keep-fraction 0.5 "$SMALL"
	assert_equal "${#lines[@]}" 4
	run -0 --separate-stderr nsl-prune --keep-fraction 1 --strategy easy "$SMALL"
	assert_equal "${#lines[@]}" 7
}

@test "--by: the same fraction in each group" {
	# group 0 (b d f): round(1.5) = 2 -> b, d; group 1 (a c e g): 2 -> e, g
	nsl-prune --keep-fraction 0.5 --by label "$SMALL" >"$T/o"
	assert_equal "$(ids "$T/o")" "b d e g "
}

@test "--by with --keep N: largest remainders, summing to N" {
	# shares 3*3/7 = 1.29 and 3*4/7 = 1.71: floors 1 + 1, the extra one
	# to group 1 (remainder 5/7 > 2/7): b; e, g
	nsl-prune --keep 3 --by label "$SMALL" >"$T/o"
	assert_equal "$(ids "$T/o")" "b e g "
	# --keep 1: shares 3/7 and 4/7, floors 0 + 0, the one to group 1:
	# its easiest, c
	nsl-prune --keep 1 --by label --strategy easy "$SMALL" >"$T/o"
	assert_equal "$(ids "$T/o")" "c "
	# two groups of 2, --keep 1: equal remainders, the tie to the first
	# label in order (number 2 before string "a")
	printf '%s\n' '{"id":1,"score":1,"k":"a"}' '{"id":2,"score":1,"k":2}' \
	    '{"id":3,"score":2,"k":"a"}' '{"id":4,"score":2,"k":2}' >"$T/in"
	nsl-prune --keep 1 --by k "$T/in" >"$T/o"
	assert_equal "$(cat "$T/o")" '{"id":4,"score":2,"k":2}'
}

@test "--score-field picks the score" {
	printf '%s\n' '{"id":1,"s":1,"score":9}' '{"id":2,"s":2,"score":8}' >"$T/in"
	nsl-prune --keep 1 --score-field s "$T/in" >"$T/o"
	assert_equal "$(cat "$T/o")" '{"id":2,"s":2,"score":8}'
}

@test "random: --seed gives the same bytes; another seed another subset" {
	for i in $(seq 1000); do echo "{\"id\":$i,\"score\":0}"; done >"$T/in"
	nsl-prune --keep 100 --strategy random --seed 7 "$T/in" >"$T/a"
	nsl-prune --keep 100 --strategy random --seed 7 <"$T/in" >"$T/b"
	nsl-prune --keep 100 --strategy random --seed 8 "$T/in" >"$T/c"
	nsl-prune -q --keep 100 --strategy random --seed 7 "$T/in" >"$T/q"
	cmp "$T/a" "$T/b"
	cmp "$T/a" "$T/q"
	! cmp -s "$T/a" "$T/c"
	run grep -c . "$T/a"
	assert_output 100
	# in input order: ids increase
	sed 's/.*"id":\([0-9]*\).*/\1/' "$T/a" | sort -n -c
}

@test "random reads no score: records without the score field are drawn alike" {
	require_prog jq jq
	for i in $(seq 200); do echo "{\"id\":$i,\"score\":$((i % 7))}"; done >"$T/in"
	jq -c 'del(.score)' "$T/in" >"$T/noscore"
	nsl-prune --keep 50 --strategy random --seed 3 "$T/in" | jq -c 'del(.score)' >"$T/a"
	nsl-prune --keep 50 --strategy random --seed 3 "$T/noscore" >"$T/b"
	cmp "$T/a" "$T/b"
	run grep -c . "$T/b"
	assert_output 50
}

@test "stdin, a file, a gzip file and gzip on stdin give the same output" {
	gzip -c "$SMALL" >"$T/in.gz"
	nsl-prune --keep 4 "$SMALL" >"$T/a"
	nsl-prune --keep 4 <"$SMALL" >"$T/b"
	nsl-prune --keep 4 "$T/in.gz" >"$T/c"
	nsl-prune --keep 4 - <"$T/in.gz" >"$T/d"
	cat "$SMALL" | nsl-prune --keep 4 >"$T/e"
	cmp "$T/a" "$T/b"
	cmp "$T/a" "$T/c"
	cmp "$T/a" "$T/d"
	cmp "$T/a" "$T/e"
}

@test "a pipe is kept in memory up to NSL_SPOOL_MEMORY, then in TMPDIR; a budget that is not a size is a usage error" {
	# the pipe of 223 bytes: in memory by default, so no TMPDIR is needed
	nsl-prune --keep 4 "$SMALL" >"$T/a"
	cat "$SMALL" | TMPDIR=$T/none nsl-prune --keep 4 >"$T/b"
	cmp "$T/a" "$T/b"
	# 100 bytes in memory, the rest in the file: a line across the two
	cat "$SMALL" | NSL_SPOOL_MEMORY=100 nsl-prune --keep 4 >"$T/c"
	cmp "$T/a" "$T/c"
	cat "$SMALL" | NSL_SPOOL_MEMORY=0 nsl-prune --keep 4 >"$T/d"
	cmp "$T/a" "$T/d"
	run --separate-stderr sh -c "cat '$SMALL' | NSL_SPOOL_MEMORY=100 TMPDIR='$T/none' nsl-prune --keep 4"
	[ "$status" -eq 74 ]
	[ -z "$output" ]
	[ "$stderr" = "nsl-prune: $T/none: cannot make a temporary file: No such file or directory" ]
	run --separate-stderr sh -c "cat '$SMALL' | NSL_SPOOL_MEMORY=1.5G nsl-prune --keep 4"
	[ "$status" -eq 64 ]
	[ -z "$output" ]
	[ "$stderr" = "nsl-prune: NSL_SPOOL_MEMORY=1.5G: not a size (bytes, with K, M, G or T, or a percentage of memory)" ]
}

@test "a .gz file is copied while its copy fits in NSL_SPOOL_MEMORY and read again when it does not: the same kept lines, and never a temporary file" {
	require_prog gzip
	# 50,000 records, 2.5 MB of text: round(0.3 * 50000) = 15000 kept
	gzip -dc "$CSCORES" >"$T/plain.jsonl"
	nsl-prune --keep-fraction 0.3 --score-field cscore "$T/plain.jsonl" >"$T/a"
	[ "$(wc -l <"$T/a")" -eq 15000 ]
	# copied (the default budget), and its copy dropped part way (64K)
	TMPDIR=$T/none nsl-prune --keep-fraction 0.3 --score-field cscore "$CSCORES" >"$T/b"
	cmp "$T/a" "$T/b"
	TMPDIR=$T/none NSL_SPOOL_MEMORY=64K nsl-prune --keep-fraction 0.3 --score-field cscore "$CSCORES" >"$T/c"
	cmp "$T/a" "$T/c"
	# as standard input from the file
	NSL_SPOOL_MEMORY=64K nsl-prune --keep-fraction 0.3 --score-field cscore - <"$CSCORES" >"$T/d"
	cmp "$T/a" "$T/d"
	# a budget that is not a size matters only where a pipe needs it
	NSL_SPOOL_MEMORY=1.5G nsl-prune --keep-fraction 0.3 --score-field cscore "$CSCORES" >"$T/e"
	cmp "$T/a" "$T/e"
	# after a pipe that took the memory (and went on into TMPDIR)
	cat "$T/plain.jsonl" | NSL_SPOOL_MEMORY=1M nsl-prune --keep-fraction 0.3 --score-field cscore - "$CSCORES" >"$T/f"
	cat "$T/plain.jsonl" "$T/plain.jsonl" | nsl-prune --keep-fraction 0.3 --score-field cscore >"$T/g"
	[ "$(wc -l <"$T/g")" -eq 30000 ]
	cmp "$T/f" "$T/g"
}

@test "a pipe's copy in memory is bounded by the control group's memory, not the machine's (cgroup v1, as root)" {
	local P G
	P=$(sed -n 's/^[0-9]*:memory:\(.*\)/\1/p' /proc/self/cgroup)
	G=/sys/fs/cgroup/memory$P/nsl-test-$$
	[ -n "$P" ] && [ "$(id -u)" = 0 ] && mkdir "$G" 2>/dev/null ||
	    skip "no cgroup v1 memory controller to make a group in"
	CG=$G
	echo $((400 * 1024 * 1024)) > "$G/memory.limit_in_bytes"
	# 60000 records of about 1 KB: 60 MB, past an eighth of 400 MB
	awk 'BEGIN { p = sprintf("%1000s", ""); gsub(/ /, "x", p)
	    for (i = 0; i < 60000; i++) printf "{\"id\":%d,\"score\":%d,\"p\":\"%s\"}\n", i, (i * 7919) % 60000, p }' > "$T/in.jsonl"
	nsl-prune --keep-fraction 0.5 "$T/in.jsonl" > "$T/file"
	# outside the group the copy fits in memory: no TMPDIR needed
	cat "$T/in.jsonl" | TMPDIR=$T/none nsl-prune --keep-fraction 0.5 |
	    cmp - "$T/file"
	# inside it, 50 MB in memory, the rest needs the file
	run --separate-stderr sh -c "echo \$\$ > '$G/cgroup.procs'
	    cat '$T/in.jsonl' | TMPDIR='$T/none' nsl-prune --keep-fraction 0.5"
	[ "$status" -eq 74 ] || fail "status $status: $stderr"
	[ "$stderr" = "nsl-prune: $T/none: cannot make a temporary file: No such file or directory" ]
	sh -c "echo \$\$ > '$G/cgroup.procs'
	    cat '$T/in.jsonl' | nsl-prune --keep-fraction 0.5" > "$T/pipe"
	cmp "$T/pipe" "$T/file"
	# a budget of all the group's 200 MB, a pipe of 150 MB: the copy
	# stops taking memory before a sixteenth would not stay free (at
	# its second 64 MB), so the rest needs the file
	echo $((200 * 1024 * 1024)) > "$G/memory.limit_in_bytes"
	for i in 1 2 3; do cat "$T/in.jsonl"; done > "$T/in3.jsonl"
	run --separate-stderr sh -c "echo \$\$ > '$G/cgroup.procs'
	    cat '$T/in3.jsonl' | NSL_SPOOL_MEMORY=100% TMPDIR='$T/none' nsl-prune --keep-fraction 0.5"
	[ "$status" -eq 74 ] || fail "status $status: $stderr"
	sh -c "echo \$\$ > '$G/cgroup.procs'
	    cat '$T/in3.jsonl' | NSL_SPOOL_MEMORY=100% nsl-prune --keep-fraction 0.5" > "$T/pipe3"
	nsl-prune --keep-fraction 0.5 "$T/in3.jsonl" | cmp - "$T/pipe3"
}

@test "several inputs are one set, in order; -o FILE.gz compresses" {
	head -3 "$SMALL" >"$T/one"
	tail -n +4 "$SMALL" | gzip >"$T/two.gz"
	nsl-prune --keep 3 "$T/one" - <"$T/two.gz" -o "$T/o.gz"
	zcat "$T/o.gz" >"$T/o"
	assert_equal "$(ids "$T/o")" "b d e "
}

@test "CRLF input: lines come back without the carriage return" {
	printf '{"id":1,"score":1}\r\n{"id":2,"score":2}\r\n' >"$T/in"
	run -0 --separate-stderr nsl-prune --keep 1 "$T/in"
	assert_output '{"id":2,"score":2}'
}

@test "--report: kept per group and the score range kept" {
	run -0 --separate-stderr nsl-prune --keep-fraction 0.5 --by label --report "$SMALL"
	assert_equal "${stderr_lines[0]}" 'nsl-prune: group 0: kept 2 of 3, score 2 to 2'
	assert_equal "${stderr_lines[1]}" 'nsl-prune: group 1: kept 2 of 4, score 1 to 3.5'
	run -0 --separate-stderr nsl-prune --keep 2 --strategy easy --report "$SMALL"
	assert_equal "$stderr" 'nsl-prune: kept 2 of 7, score -1 to 0'
}

@test "empty input: nothing out" {
	run -0 --separate-stderr nsl-prune --keep-fraction 0.5 </dev/null
	assert_output ''
}

@test "empty input keeps nothing, exit 0, for every strategy and count, --by or not" {
	local s k by
	: >"$T/empty.jsonl"
	for s in hard easy random stratified; do
		for k in '--keep 0' '--keep-fraction 0.5' '--keep-fraction 1'; do
			for by in '' '--by label'; do
				# shellcheck disable=SC2086
				run --separate-stderr nsl-prune --strategy $s $k $by \
				    --report -o "$T/o.jsonl" "$T/empty.jsonl"
				[ "$status" -eq 0 ] ||
					fail "$s $k $by: status $status: $stderr"
				[ -f "$T/o.jsonl" ] && [ ! -s "$T/o.jsonl" ] ||
					fail "$s $k $by: output not an empty file"
			done
		done
	done
	for by in '' '--by label'; do
		# shellcheck disable=SC2086
		run -0 --separate-stderr nsl-prune --strategy dedup --eps 0.1 \
		    --k 1 $by <"$T/empty.jsonl"
		assert_output ''
	done
	# nothing to keep 1 of: a data error, not a crash
	run -65 --separate-stderr nsl-prune --keep 1 <"$T/empty.jsonl"
	assert_equal "$stderr" 'nsl-prune: --keep 1: only 0 records'
}

@test "one record: --keep 0 keeps none, --keep 1 and any fraction keep it" {
	local s by
	printf '{"id":1,"score":0.5,"label":"a","embedding":[1,0]}\n' >"$T/one.jsonl"
	for s in hard easy random stratified; do
		for by in '' '--by label'; do
			# shellcheck disable=SC2086
			run -0 nsl-prune --strategy $s --keep 0 $by "$T/one.jsonl"
			assert_output ''
			# shellcheck disable=SC2086
			run -0 nsl-prune --strategy $s --keep 1 $by "$T/one.jsonl"
			assert_output "$(cat "$T/one.jsonl")"
			# round(0.5 * 1) = 1 (halves up); round(0.4 * 1) = 0, but a
			# fraction keeps at least one record of a non-empty group
			# shellcheck disable=SC2086
			run -0 nsl-prune --strategy $s --keep-fraction 0.5 $by "$T/one.jsonl"
			assert_output "$(cat "$T/one.jsonl")"
			# shellcheck disable=SC2086
			run -0 --separate-stderr nsl-prune --strategy $s --keep-fraction 0.4 $by "$T/one.jsonl"
			assert_output "$(cat "$T/one.jsonl")"
		done
	done
	run -0 nsl-prune --strategy dedup --eps 0.1 --k 1 --by label "$T/one.jsonl"
	assert_output "$(cat "$T/one.jsonl")"
}

# ---- acceptance: class-balanced pruning of the CIFAR-10 C-scores ----

@test "CIFAR-10 C-scores --by label: exactly F x 5000 per class, F = 0.1 .. 0.9" {
	for s in hard easy random stratified; do
		for f in 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9; do
			want=$(awk -v f=$f 'BEGIN { printf "%d", f * 5000 + 0.5 }')
			nsl-prune --strategy $s --keep-fraction $f --by label \
			    --score-field cscore "$CSCORES" >"$T/o"
			got=$(grep -o '"label":[0-9]*' "$T/o" | sort | uniq -c |
			    awk '{ print $1 }' | sort -u | tr '\n' ' ')
			[ "$got" = "$want " ] ||
				fail "$s $f: per-class counts '$got', expected $want each"
			[ "$(grep -o '"label":[0-9]*' "$T/o" | sort -u | wc -l)" -eq 10 ] ||
				fail "$s $f: not all 10 classes"
		done
	done
}

@test "CIFAR-10 C-scores, hard vs easy: the kept scores are the extremes" {
	require_prog /usr/bin/python3 python3
	# C-score is high = easy, so "hard" on --score-field cscore keeps the
	# highest C-scores; per class, the kept minimum is at least the
	# dropped maximum
	nsl-prune --keep-fraction 0.3 --by label --score-field cscore "$CSCORES" >"$T/o"
	zcat "$CSCORES" >"$T/all"
	run $PY -c '
import json, sys
kept = {json.loads(l)["id"] for l in open(sys.argv[1])}
by = {}
for l in open(sys.argv[2]):
    r = json.loads(l)
    by.setdefault(r["label"], [[], []])[r["id"] in kept].append(r["cscore"])
print(all(min(k) >= max(d) for d, k in by.values()))' "$T/o" "$T/all"
	assert_output True
}

# ---- acceptance: CCS against an independent Algorithm 1 ----

@test "stratified: CCS strata counts on the data_diet EL2N scores" {
	require_prog /usr/bin/python3 python3
	nsl-prune --strategy stratified --score-field el2n --keep-fraction 0.3 \
	    --cutoff 0.1 --seed 3 "$DIET" >"$T/o"
	run $PY "$FIX/ccs_ref.py" check "$FIX/ccs-ref.json" el2n "$T/o"
	assert_success
	assert_output ''
	run grep -c . "$T/o"
	assert_output 15000
}

@test "stratified: CCS per class on the forgetting scores (many ties)" {
	require_prog /usr/bin/python3 python3
	nsl-prune --strategy stratified --score-field forget --by label \
	    --keep-fraction 0.2 --cutoff 0.05 "$DIET" >"$T/o"
	run $PY "$FIX/ccs_ref.py" check "$FIX/ccs-ref.json" forget-by-label "$T/o"
	assert_success
	assert_output ''
}

@test "stratified: negative scores (negated C-scores), --strata 20, stdin" {
	require_prog jq jq
	require_prog /usr/bin/python3 python3
	zcat "$CSCORES" | jq -c '.score = -.cscore' >"$T/in"
	nsl-prune --strategy stratified --by label --keep-fraction 0.5 \
	    --cutoff 0.2 --strata 20 <"$T/in" >"$T/o"
	run $PY "$FIX/ccs_ref.py" check "$FIX/ccs-ref.json" neg-cscore-by-label "$T/o"
	assert_success
	assert_output ''
}

@test "stratified: the reference check rejects a selection that is not CCS" {
	require_prog /usr/bin/python3 python3
	nsl-prune --strategy hard --score-field el2n --keep-fraction 0.3 "$DIET" >"$T/o"
	run $PY "$FIX/ccs_ref.py" check "$FIX/ccs-ref.json" el2n "$T/o"
	assert_failure
}

@test "stratified: hand-worked allocation, --report shows the strata" {
	# scores 0..9, cutoff 0.2 drops 9 and 8; 2 strata over [0, 7]:
	# [0, 3.5) has 0 1 2 3 (4), [3.5, 7] has 4 5 6 7 (4); budget 5:
	# smallest first (tie: stratum 0) gets floor(5/2) = 2, the other 3
	for i in 0 1 2 3 4 5 6 7 8 9; do echo "{\"id\":$i,\"score\":$i}"; done >"$T/in"
	run -0 --separate-stderr nsl-prune --strategy stratified --keep 5 \
	    --cutoff 0.2 --strata 2 --report "$T/in"
	assert_equal "${#lines[@]}" 5
	assert_equal "${stderr_lines[1]}" 'nsl-prune:   stratum 0: kept 2 of 4'
	assert_equal "${stderr_lines[2]}" 'nsl-prune:   stratum 1: kept 3 of 4'
	[[ "${stderr_lines[0]}" =~ ', cut 2'$ ]]
	[[ "$output" != *'"id":8'* && "$output" != *'"id":9'* ]]
	# the same seed, the same bytes
	run -0 --separate-stderr nsl-prune --strategy stratified --keep 5 \
	    --cutoff 0.2 --strata 2 "$T/in"
	assert_equal "$output" "$(nsl-prune --strategy stratified --keep 5 \
	    --cutoff 0.2 --strata 2 "$T/in")"
}

# ---- dedup ----

@test "dedup: keeps the one farther from the centroid; --field, --by" {
	# group x, unit rows p (1,0), q ~(1,0.01), r (0,1), s (0,1), t (-1,0):
	# centroid (0.19999, 0.402); squared distances t 1.60, p 0.80,
	# q 0.79, r = s 0.40.  Visit t p q r s: q is within cos 0.99995 of p,
	# s identical to r (the later of a tie).  Group y: u alone.
	nsl-prune --strategy dedup --k 1 --eps 0.01 --field emb --by label \
	    "$FIX/dedup-small.jsonl" >"$T/o"
	assert_equal "$(ids "$T/o")" "p r t u "
	# eps 1e-5: cos(p, q) = 0.99995 < 1 - 1e-5, so q stays
	nsl-prune --strategy dedup --k 1 --eps 0.00001 --field emb --by label \
	    "$FIX/dedup-small.jsonl" >"$T/o"
	assert_equal "$(ids "$T/o")" "p q r t u "
}

@test "dedup with --k 1 matches the numpy reference for three eps" {
	for e in 0.001 0.01 0.05; do
		nsl-prune --strategy dedup --k 1 --eps $e "$FIX/dedup-in.jsonl" >"$T/o"
		sed 's/.*"id": *\([0-9]*\).*/\1/' "$T/o" >"$T/ids"
		cmp "$T/ids" "$FIX/dedup-ref-$e.ids"
	done
}

@test "dedup with --k 4: deterministic per seed and for 1, 2 or 5 threads; each drop has a kept twin" {
	require_py numpy python3-numpy
	nsl-prune --strategy dedup --k 4 --eps 0.01 --seed 5 --iters 50 \
	    "$FIX/dedup-in.jsonl" >"$T/a"
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 nsl-prune --strategy dedup \
	    --k 4 --eps 0.01 --seed 5 --iters 50 <"$FIX/dedup-in.jsonl" >"$T/b"
	cmp "$T/a" "$T/b"
	# the clusters' selections shared out among more threads than clusters
	OMP_NUM_THREADS=5 nsl-prune --strategy dedup --k 4 --eps 0.01 \
	    --seed 5 --iters 50 "$FIX/dedup-in.jsonl" >"$T/c"
	cmp "$T/a" "$T/c"
	# every dropped record has a kept one with cosine similarity > 0.99
	run $PY -c '
import json, sys
import numpy as np
rows = {}
for l in open(sys.argv[1]):
    r = json.loads(l)
    v = np.array(r["embedding"])
    rows[r["id"]] = v / np.linalg.norm(v)
kept = {json.loads(l)["id"] for l in open(sys.argv[2])}
ok = all(any(rows[i] @ rows[j] > 0.99 for j in kept)
         for i in rows if i not in kept)
print(ok, 0 < len(kept) < len(rows))' "$FIX/dedup-in.jsonl" "$T/a"
	assert_output "True True"
	run -0 --separate-stderr nsl-prune --strategy dedup --k 4 --eps 0.01 \
	    --report "$FIX/dedup-in.jsonl"
	[[ "$stderr" =~ ^'nsl-prune: kept '[0-9]+' of 200'$ ]]
}

# ---- bad input and the common error paths ----

@test "a record without the score field: file:line, field named" {
	printf '%s\n' '{"score":1}' '' '{"scor":2}' >"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:3: missing field \"score\"\$" --keep 1 "$T/in"
}

@test "a score that is not a number" {
	printf '%s\n' '{"score":"1"}' >"$T/in"
	fails_cleanly 65 ':1: field "score": expected a number, got a string$' --keep 1 "$T/in"
}

@test "non-finite scores: an error, also with --allow-nonfinite" {
	printf '%s\n' '{"score":1}' '{"score":NaN}' >"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:2: .*(non-finite|NaN)" --keep 1 "$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:2: field \"score\": score is not a finite number\$" \
	    --keep 1 --allow-nonfinite "$T/in"
	printf '%s\n' '{"score":1e999}' >"$T/in"
	fails_cleanly 65 ':1: field "score": ' --keep 1 "$T/in"
}

@test "--allow-nonfinite lets NaN pass in other fields" {
	printf '%s\n' '{"score":1,"x":NaN}' '{"score":2,"x":1}' >"$T/in"
	run -0 --separate-stderr nsl-prune --keep 1 --strategy easy --allow-nonfinite "$T/in"
	assert_output '{"score":1,"x":NaN}'
}

@test "a fraction outside (0, 1] is a usage error" {
	for f in 0 -0.1 1.5 nan inf 0.5x; do
		fails_cleanly 64 '^nsl-prune: .*keep-fraction' --keep-fraction $f "$SMALL"
	done
}

@test "a --keep-fraction that rounds to none keeps one record (of each group)" {
	# 0.0001 of 7 rounds to 0: the hardest record, e (3.5)
	run -0 --separate-stderr nsl-prune --keep-fraction 0.0001 "$SMALL"
	assert_equal "$(ids <(printf '%s\n' "${lines[@]}"))" "e "
	# by label: b d f (0; b and d tie at 2: the earlier, b), a c e g (1): e
	run -0 --separate-stderr nsl-prune --keep-fraction 0.0001 --by label --report "$SMALL"
	assert_equal "$(ids <(printf '%s\n' "${lines[@]}"))" "b e "
	[[ "$stderr" == *"group 0: kept 1 of 3"*"group 1: kept 1 of 4"* ]]
}

@test "labels missing under --by" {
	printf '%s\n' '{"score":1,"label":0}' '{"score":2}' >"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:2: missing field \"label\"\$" --keep 1 --by label "$T/in"
	printf '%s\n' '{"score":1,"label":[0]}' >"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:1: field \"label\": expected a number, string, true, false or null to group by\$" \
	    --keep 1 --by label "$T/in"
}

@test "--by groups equal values as every tool does: 2, 2.0 and 2e0 are one group, \"a\" and \"\\u0061\" too, null its own" {
	printf '%s\n' '{"id":1,"score":1,"g":2}' '{"id":2,"score":2,"g":2.0}' '{"id":3,"score":3,"g":2e0}' \
	    '{"id":4,"score":4,"g":"a"}' '{"id":5,"score":5,"g":"\u0061"}' '{"id":6,"score":6,"g":null}' \
	    '{"id":7,"score":7,"g":-0}' '{"id":8,"score":8,"g":0}' >"$T/in"
	run -0 --separate-stderr nsl-prune --keep-fraction 0.5 --by g --report "$T/in"
	# groups 0 {7,8}, 2 {1,2,3}, "a" {4,5}, null {6}: round(n/2) hardest of each
	assert_equal "$(ids <(printf '%s\n' "${lines[@]}"))" "2 3 5 6 8 "
	assert_equal "$stderr" 'nsl-prune: group 0: kept 1 of 2, score 8 to 8
nsl-prune: group 2: kept 2 of 3, score 2 to 3
nsl-prune: group "a": kept 1 of 2, score 5 to 5
nsl-prune: group null: kept 1 of 1, score 6 to 6'
}

@test "--keep larger than the input; a stratified budget beyond the cutoff" {
	fails_cleanly 65 '^nsl-prune: .*--keep 8: only 7 records$' --keep 8 "$SMALL"
	fails_cleanly 65 'exceeds the 5 left after --cutoff dropped 2$' \
	    --keep 6 --strategy stratified --cutoff 0.3 "$SMALL"
	fails_cleanly 64 'plus --cutoff exceeds 1' \
	    --keep-fraction 0.8 --strategy stratified --cutoff 0.3 "$SMALL"
}

@test "dedup errors: k larger than a group, missing or ragged vectors" {
	fails_cleanly 65 '^nsl-prune: group "y": --k 2 is larger than the number of records \(1\)$' \
	    --strategy dedup --k 2 --eps 0.1 --field emb --by label "$FIX/dedup-small.jsonl"
	fails_cleanly 65 ':1: missing field "embedding"$' \
	    --strategy dedup --k 1 --eps 0.1 "$FIX/dedup-small.jsonl"
	printf '%s\n' '{"embedding":[1,2]}' '{"embedding":[1]}' >"$T/in"
	fails_cleanly 65 ":2: field \"embedding\": 1 numbers, expected 2" \
	    --strategy dedup --k 1 --eps 0.1 "$T/in"
}

@test "usage errors: strategy, missing or both counts, dedup flags" {
	fails_cleanly 64 "unknown 'best'" --strategy best --keep 1 "$SMALL"
	fails_cleanly 64 'how many to keep' "$SMALL"
	fails_cleanly 64 '--keep-fraction and --keep cannot be used together' --keep 1 --keep-fraction 0.5 "$SMALL"
	fails_cleanly 64 'one of --keep-fraction and --keep' --keep 1 --keep 2 "$SMALL"
	fails_cleanly 64 'dedup needs --eps' --strategy dedup --k 1 "$SMALL"
	fails_cleanly 64 'dedup needs --k' --strategy dedup --eps 0.1 "$SMALL"
	fails_cleanly 64 'no --keep-fraction' --strategy dedup --k 1 --eps 0.1 --keep 1 "$SMALL"
	fails_cleanly 64 'strata' --strategy stratified --keep 1 --strata 0 "$SMALL"
}

@test "malformed line: file:line, exit 65, nothing written" {
	printf '%s\n' '{"score":1}' '{"score":' >"$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:2: invalid JSON" --keep 1 "$T/in"
}

@test "bad option 64, missing file 66, --help 0, /dev/full 74" {
	run --separate-stderr nsl-prune --bogus
	assert_equal "$status" 64
	fails_cleanly 66 "^nsl-prune: $T/nope: cannot open" --keep 1 "$T/nope"
	run -0 --separate-stderr nsl-prune --help
	assert_line --index 0 --regexp '^usage: nsl-prune '
	run --separate-stderr sh -c "nsl-prune --keep 3 '$SMALL' >/dev/full"
	assert_equal "$status" 74
}

@test "man page EXAMPLES run" {
	cd "$TESTS_DIR/.."
	nsl-prune --keep-fraction 0.5 --by label tests/fixtures/prune/small.jsonl >/dev/null
	nsl-prune --strategy stratified --keep-fraction 0.5 --cutoff 0.1 --report \
	    tests/fixtures/prune/small.jsonl >/dev/null 2>&1
	gzip -c tests/fixtures/prune/small.jsonl | nsl-prune --strategy random --keep 3 --seed 1 -o "$T/kept.jsonl.gz"
	[ "$(zcat "$T/kept.jsonl.gz" | wc -l)" -eq 3 ]
	nsl-prune --strategy dedup --k 100 --eps 0.05 tests/fixtures/prune/dedup-in.jsonl >/dev/null
}

# ---- numbers near the ends of the double range ----

@test "dedup of embeddings scaled by 2^1000 or 2^-1000 keeps the numpy reference's ids" {
	# cosine similarity does not see the scale; squares of 1e301 and of
	# 1e-301 do not fit a double, unit rows do
	for s in 1000 -1000; do
		$PY - "$FIX/dedup-in.jsonl" "$s" >"$T/in.jsonl" <<'PY'
import json, math, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    r["embedding"] = [math.ldexp(v, int(sys.argv[2])) for v in r["embedding"]]
    print(json.dumps(r))
PY
		nsl-prune --strategy dedup --k 1 --eps 0.01 "$T/in.jsonl" >"$T/o"
		sed 's/.*"id": *\([0-9]*\).*/\1/' "$T/o" >"$T/ids"
		cmp "$T/ids" "$FIX/dedup-ref-0.01.ids" || fail "2^$s"
	done
}

@test "stratified over scores from -1.7e308 to 1.7e308: strata of the full width, none empty by overflow" {
	# five records at -1.7e308, -0.85e308, 0, 0.85e308, 1.7e308; 5 strata
	# of width 0.68e308 (the width 3.4e308 itself overflows): one each
	for i in 0 1 2 3 4; do
		echo "{\"id\":$i,\"score\":$(awk -v i=$i 'BEGIN { printf "%.17g", (i - 2) * 0.85e308 }')}"
	done >"$T/in.jsonl"
	nsl-prune --strategy stratified --strata 5 --keep 5 --report "$T/in.jsonl" >"$T/o" 2>"$T/e"
	assert_equal "$(ids "$T/o")" "0 1 2 3 4 "
	for k in 0 1 2 3 4; do
		grep -q "stratum $k: kept 1 of 1" "$T/e" || fail "$(cat "$T/e")"
	done
}

@test "--list-strategies prints the catalogue; the man page, --help and --strategy take every row" {
	run --separate-stderr nsl-prune --list-strategies
	assert_success
	[ "${#lines[@]}" -ge 5 ]
	assert_line --index 0 --regexp $'^hard\t.'
	help=$(nsl-prune --help | tr -s ' \n' '  ')
	printf '{"score":1,"embedding":[1,0]}\n{"score":2,"embedding":[0,1]}\n' > "$BATS_TEST_TMPDIR/in.jsonl"
	for name in $(nsl-prune --list-strategies | cut -f1); do
		grep -qx "\.It Cm $name" "$TESTS_DIR/../man/nsl-prune.1" ||
		    { echo "man page lacks $name"; false; }
		[[ "$help" == *" $name"[\ ,]* ]] || { echo "--help lacks $name"; false; }
		nsl-prune --strategy "$name" --keep 1 --k 1 --eps 0.5 "$BATS_TEST_TMPDIR/in.jsonl" > /dev/null 2>&1 ||
		    nsl-prune --strategy "$name" --k 1 --eps 0.5 "$BATS_TEST_TMPDIR/in.jsonl" > /dev/null ||
		    { echo "$name refused"; false; }
	done
}

@test "score-only strategies check the vectors they pass through: a bad array is 65 at its line and column, a good one passes byte for byte" {
	# long float32 reprs, exponents and a 17-digit number pass unread
	printf '{"score":1,"embedding":[3.8421523571014404,-1e-7,0]}\n' > "$T/in"
	printf '{"score":2,"embedding":[0.20834609866142273,5,6]}\n' >> "$T/in"
	run nsl-prune --keep 1 "$T/in"
	assert_output "$(sed -n 2p "$T/in")"
	nsl-prune --strategy random --keep 2 "$T/in" | cmp - "$T/in"
	# columns by hand: the ] after the comma is column 29, the 2 after 0 is 28
	printf '{"score":3,"embedding":[1,2,]}\n' >> "$T/in"
	fails_cleanly 65 "^nsl-prune: $T/in:3: invalid JSON at column 29: expected a value" \
	    --keep 1 "$T/in"
	printf '{"score":3,"embedding":[1,02]}\n' > "$T/in2"
	fails_cleanly 65 "^nsl-prune: $T/in2:1: invalid JSON at column 28: expected ',' or ']'" \
	    --strategy random --keep 1 "$T/in2"
}

@test "records parsed on several threads: the first bad line is the one reported, for vector and score strategies, from a file and a pipe" {
	# 200 records of 64 numbers (batches parsed in parallel); record 110
	# has a malformed number at its sixth element, record 150 no score
	awk 'BEGIN { for (i = 1; i <= 200; i++) {
		printf "{\"id\":%d,\"embedding\":[", i
		for (j = 0; j < 64; j++) {
			v = sprintf("%.17g", ((i * 64 + j) % 97) / 97 - 0.5)
			if (i == 110 && j == 5)
				v = "1.2.3"
			printf "%s%s", (j ? "," : ""), v
		}
		printf "]%s}\n", (i == 150 ? "" : ",\"score\":" i) } }' >"$T/bad.jsonl"
	fails_cleanly 65 "^nsl-prune: $T/bad.jsonl:110: invalid JSON at column [0-9]+: " \
	    --strategy dedup --eps 0.1 --k 2 "$T/bad.jsonl"
	fails_cleanly 65 "^nsl-prune: $T/bad.jsonl:110: invalid JSON at column [0-9]+: " \
	    --keep-fraction 0.5 "$T/bad.jsonl"
	awk 'NR != 110' "$T/bad.jsonl" >"$T/bad2.jsonl"
	run --separate-stderr sh -c "cat '$T/bad2.jsonl' | nsl-prune --keep-fraction 0.5 -"
	[ "$status" -eq 65 ] || fail "status $status: $stderr"
	[[ "$stderr" =~ ^nsl-prune:\ \<stdin\>:149:\ missing\ field\ \"score\" ]] ||
	    fail "$stderr"
}
