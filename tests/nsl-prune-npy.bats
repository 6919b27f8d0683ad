#!/usr/bin/env bats
# SemDeDup at scale on .npy-backed shards: nsl-prune --plan MODEL
# --partition DIR splits scored shards (ids and labels in JSONL, the
# embeddings in a .npy beside each) by cluster into DIR/C.jsonl and
# DIR/C.npy, and --plan MODEL --eps --vectors deduplicates one part.
# The fixtures (fixtures/prune-npy/gen.py, numpy) plant 40 groups of
# near-duplicates, so by construction exactly one record of each group
# is kept; the per-cluster route, the one-process --strategy dedup
# --vectors and the JSONL route keep the same records.

bats_require_minimum_version 1.5.0

load helper

FIX="$TESTS_DIR/fixtures/prune-npy"
MK="$TESTS_DIR/../pipelines/shards.mk"
PY=/usr/bin/python3

setup() {
	require_py numpy python3-numpy
	T=$BATS_TEST_TMPDIR
	NPY="$FIX/s0.npy,$FIX/s1.npy,$FIX/s2.npy"
	IDS="$FIX/s0.jsonl $FIX/s1.jsonl $FIX/s2.jsonl"
}

# ids FILE...: the "id" of each record, one a line, sorted
ids() {
	cat "$@" | sed 's/.*"id":\([0-9]*\).*/\1/' | sort -n
}

# fit and score: the prototype model of the three shards' rows and
# each shard scored with it (the "cluster" field) into $T/scN.jsonl
fit_score() {
	# shellcheck disable=SC2086
	nsl-score --metric prototype --k 4 --seed 3 --iters 100 \
	    --vectors "$NPY" --save-model "$T/m.jsonl" $IDS
	for i in 0 1 2; do
		nsl-score --metric prototype --model "$T/m.jsonl" \
		    --vectors "$FIX/s$i.npy" "$FIX/s$i.jsonl" >"$T/sc$i.jsonl"
	done
}

@test "partition then per-cluster dedup from .npy keeps one of each planted group, as the one-process dedup" {
	fit_score
	# shellcheck disable=SC2086
	nsl-prune --strategy dedup --k 4 --seed 3 --eps 0.01 \
	    --vectors "$NPY" $IDS >"$T/one"
	nsl-prune --plan "$T/m.jsonl" --partition "$T/parts" --vectors "$NPY" \
	    "$T"/sc0.jsonl "$T"/sc1.jsonl "$T"/sc2.jsonl
	: >"$T/kept"
	for p in "$T"/parts/*.jsonl; do
		nsl-prune --plan "$T/m.jsonl" --eps 0.01 \
		    --vectors "${p%.jsonl}.npy" "$p" >>"$T/kept"
	done
	# by construction: one record of each of the 40 groups
	[ "$(wc -l <"$T/kept")" -eq "$(cat "$FIX/groups")" ]
	run sh -c "sed 's/.*\"group\":\([0-9]*\).*/\1/' '$T/kept' | sort | uniq -d"
	[ -z "$output" ]
	diff <(ids "$T/kept") <(ids "$T/one")
	# the JSONL route: the embeddings as number text, the same records
	nsl-prune --strategy dedup --k 4 --seed 3 --eps 0.01 \
	    "$FIX"/s0.emb.jsonl "$FIX"/s1.emb.jsonl "$FIX"/s2.emb.jsonl \
	    >"$T/json"
	diff <(ids "$T/json") <(ids "$T/one")
}

@test "partition: each part's lines and float32 rows are its cluster's, in shard order, values unchanged" {
	fit_score
	nsl-prune --plan "$T/m.jsonl" --partition "$T/parts" --vectors "$NPY" \
	    "$T"/sc0.jsonl "$T"/sc1.jsonl "$T"/sc2.jsonl
	cat "$T"/sc?.jsonl >"$T/all.jsonl"
	$PY - "$T" "$FIX" <<'PY'
import json, os, sys
import numpy as np
t, fix = sys.argv[1:]
x = np.concatenate([np.load("%s/s%d.npy" % (fix, i)) for i in range(3)])
lines = open(t + "/all.jsonl").read().splitlines()
cl = [json.loads(l)["cluster"] for l in lines]
want = sorted(set(cl))
got = sorted(int(f[:-4]) for f in os.listdir(t + "/parts") if f.endswith(".npy"))
assert got == want, (got, want)
for c in want:
    idx = [i for i in range(len(cl)) if cl[i] == c]
    a = np.load("%s/parts/%d.npy" % (t, c))
    assert a.dtype == np.float32, a.dtype
    assert np.array_equal(a, x[idx]), c
    part = open("%s/parts/%d.jsonl" % (t, c)).read().splitlines()
    assert part == [lines[i] for i in idx], c
PY
}

@test "shards.mk VECTORS=: the .npy shards keep what the one-process dedup keeps" {
	require_prog make make
	require_prog parallel parallel
	cd "$T"
	# shellcheck disable=SC2086
	nsl-prune --strategy dedup --k 4 --seed 3 --eps 0.01 \
	    --vectors "$NPY" $IDS >one
	make -s -f "$MK" SHARDS="$IDS" VECTORS="${NPY//,/ }" STRATEGY=dedup \
	    K=4 SEED=3 EPS=0.01 JOBS=2 OUT=npy >/dev/null
	[ "$(ls npy/parts | grep -c 'npy$')" -eq 4 ]
	# (the JSONL shards keep what the one-process dedup keeps:
	# nsl-shards.bats; and here the same as the .npy one: test 1)
	diff <(ids npy/pruned/*.jsonl) <(ids one)
	# each shard's kept records are its own, in its order
	for i in 0 1 2; do
		grep -Fxf npy/pruned/s$i.jsonl npy/scored/s$i.jsonl |
		    cmp - npy/pruned/s$i.jsonl
	done
	run make -s -f "$MK" SHARDS="$IDS" VECTORS="$FIX/s0.npy" \
	    STRATEGY=dedup OUT=bad
	[ "$status" -ne 0 ]
	[[ "$output" == *"VECTORS: 1 files for 3 shards"* ]]
}

# partition_fails STATUS REGEX ARGS...: nsl-prune --partition $T/p ARGS
# fails with STATUS, one message matching REGEX, and leaves no part
# (nor the directory it made)
partition_fails() {
	local want=$1 re=$2
	shift 2
	rm -rf "$T/p"
	run --separate-stderr nsl-prune --partition "$T/p" "$@"
	[ "$status" -eq "$want" ] || fail "status $status; stderr: $stderr"
	[[ "${stderr_lines[0]}" =~ $re ]] || fail "stderr: $stderr"
	[ -z "$output" ]
	[ ! -e "$T/p" ] || fail "parts left: $(ls -A "$T/p")"
}

@test "bad input: rows that differ, a cluster the model lacks, usage (65, 64)" {
	fit_score
	# a .npy with a row fewer than its shard's records
	$PY -c 'import numpy as np, sys; a = np.load(sys.argv[1]); np.save(sys.argv[2], a[:-1])' \
	    "$FIX/s1.npy" "$T/short.npy"
	partition_fails 65 'sc1.jsonl: .*39 rows|sc1.jsonl.*record 35, but .* has 34 rows' \
	    --plan "$T/m.jsonl" --vectors "$FIX/s0.npy,$T/short.npy" \
	    "$T/sc0.jsonl" "$T/sc1.jsonl"
	nsl_fails_cleanly nsl-prune o 65 'record 35, but .*short.npy has 34 rows' \
	    --plan "$T/m.jsonl" --eps 0.01 --vectors "$T/short.npy" \
	    "$T/sc1.jsonl"
	# a record of cluster 9 when the model has 4 centres
	{ head -3 "$T/sc0.jsonl"; echo '{"id":999,"cluster":9}'; } >"$T/c9.jsonl"
	partition_fails 65 'c9.jsonl:4: field "cluster": cluster 9, but the plan has 4 centres' \
	    --plan "$T/m.jsonl" "$T/c9.jsonl"
	partition_fails 65 's0.jsonl:1: missing field "cluster"' --plan "$T/m.jsonl" \
	    "$FIX/s0.jsonl"
	# rows of another width than the model's centres
	$PY -c 'import numpy as np, sys; np.save(sys.argv[1], np.ones((40, 3), np.float32))' "$T/w3.npy"
	partition_fails 65 'w3.npy: rows of 3 numbers, the plan.s centres have 16' \
	    --plan "$T/m.jsonl" --vectors "$T/w3.npy" "$T/sc0.jsonl"
	nsl_fails_cleanly nsl-prune o 65 'w3.npy: rows of 3 numbers' \
	    --plan "$T/m.jsonl" --eps 0.01 --vectors "$T/w3.npy" "$T/sc0.jsonl"
	# usage: --partition needs a dedup plan and writes no -o; a hard
	# plan reads no vectors; --vectors counts
	run --separate-stderr nsl-prune --partition "$T/p" "$T/sc0.jsonl"
	[ "$status" -eq 64 ]
	[[ "$stderr" == *"--partition: with --plan"* ]]
	nsl_fails_cleanly nsl-prune o 64 '--partition: with --plan, and no -o' \
	    --plan "$T/m.jsonl" --partition "$T/p" "$T/sc0.jsonl"
	nsl-prune --strategy hard --keep 3 --save-plan "$T/hard.jsonl" \
	    "$T/sc0.jsonl"
	nsl_fails_cleanly nsl-prune o 64 '--vectors: a hard plan reads no vectors' \
	    --plan "$T/hard.jsonl" --vectors "$FIX/s0.npy" "$T/sc0.jsonl"
	partition_fails 64 '--partition: a hard plan has no clusters' \
	    --plan "$T/hard.jsonl" "$T/sc0.jsonl"
	nsl_fails_cleanly nsl-prune o 64 'vectors' --plan "$T/m.jsonl" \
	    --eps 0.01 --vectors "$FIX/s0.npy" "$T/sc0.jsonl" "$T/sc1.jsonl"
}

@test "partition: 300 clusters under an open-file limit of 32 (no file kept open per cluster)" {
	# a prototype model of 300 centres in 2 dimensions, and 900 records
	# of clusters i mod 300 with a .npy row each (written here)
	$PY - "$T" <<'PY'
import sys
import numpy as np
t = sys.argv[1]
k, n = 300, 900
with open(t + "/m300.jsonl", "w") as f:
    f.write('{"nsl":"score-model","metric":"prototype","d":2,"rows":%d,'
            '"center":"mean","neighbours":10}\n' % k)
    for c in range(k):
        f.write('{"row":[%d,1]}\n' % c)
with open(t + "/r300.jsonl", "w") as f:
    for i in range(n):
        f.write('{"id":%d,"cluster":%d}\n' % (i, i % k))
np.save(t + "/r300.npy", np.arange(2 * n, dtype=np.float32).reshape(n, 2))
PY
	run bash -c 'ulimit -n 32 && nsl-prune --plan "$1/m300.jsonl" --partition "$1/p300" --vectors "$1/r300.npy" "$1/r300.jsonl"' _ "$T"
	[ "$status" -eq 0 ] || fail "$output"
	[ "$(ls "$T/p300" | grep -c 'jsonl$')" -eq 300 ]
	# cluster 7: records 7, 307, 607, their rows (2i, 2i + 1)
	[ "$(cat "$T/p300/7.jsonl")" = '{"id":7,"cluster":7}
{"id":307,"cluster":7}
{"id":607,"cluster":7}' ]
	$PY -c 'import numpy as np, sys; a = np.load(sys.argv[1]); assert a.dtype == np.float32 and a.tolist() == [[14, 15], [614, 615], [1214, 1215]], a' "$T/p300/7.npy"
}
