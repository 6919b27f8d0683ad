#!/usr/bin/env bats
# pipelines/shards.mk over two hosts without a shared file system: two
# sshd daemons on the loopback addresses 127.0.0.2 and 127.0.0.3 (ports
# picked free, a host key and a client key made here, nothing listening
# beyond loopback), each session forced into its own working directory,
# (its HOME too, so no dot-file of the real home is read), so a job sees
# only what parallel sent it.  The run over both hosts
# must give the same bytes as the run on this host alone, and leave the
# hosts' directories empty (--cleanup).  The daemons are stopped by
# their pids in teardown_file.

bats_require_minimum_version 1.5.0

load helper

EMB="$TESTS_DIR/fixtures/shards/emb.jsonl"
MK="$TESTS_DIR/../pipelines/shards.mk"
SSHD=/usr/sbin/sshd

# free_port HOST: a TCP port nothing listens on at HOST now
free_port() {
	/usr/bin/python3 -c 'import socket, sys
s = socket.socket(); s.bind((sys.argv[1], 0)); print(s.getsockname()[1])' "$1"
}

setup_file() {
	local D h port
	D=$BATS_FILE_TMPDIR/ssh
	export SSH_DIR=$D
	mkdir -p "$D"
	[ -x "$SSHD" ] || return 0	# the test fails naming the package
	# sshd run as root wants its privilege separation directory
	if [ "$(id -u)" -eq 0 ] && [ ! -d /run/sshd ]; then
		mkdir -p /run/sshd && touch "$D/made-run-sshd"
	fi
	ssh-keygen -q -t ed25519 -N '' -f "$D/hostkey" </dev/null
	ssh-keygen -q -t ed25519 -N '' -f "$D/id" </dev/null
	cp "$D/id.pub" "$D/authorized_keys"
	: >"$D/hosts"
	for h in 127.0.0.2 127.0.0.3; do
		port=$(free_port $h) || return 0
		mkdir -p "$D/work-$h"
		cat >"$D/sshd-$h.conf" <<CONF
ListenAddress $h:$port
HostKey $D/hostkey
PidFile $D/sshd-$h.pid
AuthorizedKeysFile $D/authorized_keys
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers $(id -un)
X11Forwarding no
AllowTcpForwarding no
LogLevel VERBOSE
SetEnv HOME=$D/work-$h
ForceCommand cd $D/work-$h && eval "\$SSH_ORIGINAL_COMMAND"
CONF
		"$SSHD" -f "$D/sshd-$h.conf" -E "$D/sshd-$h.log" ||
			{ echo "sshd at $h:$port did not start" >"$D/skip"; return 0; }
		echo "$port" >"$D/port-$h"
		printf '1/ssh -F /dev/null -p %s -i %s -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=%s %s@%s\n' \
		    "$port" "$D/id" "$D/known_hosts" "$(id -un)" "$h" >>"$D/hosts"
	done
}

teardown_file() {
	local p
	for p in "$SSH_DIR"/sshd-*.pid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	[ -e "$SSH_DIR/made-run-sshd" ] && rmdir /run/sshd 2>/dev/null
	return 0
}

@test "shards.mk over two ssh hosts gives the bytes of the one-host run" {
	require_prog /usr/sbin/sshd openssh-server
	require_prog ssh openssh-client
	require_prog rsync rsync
	require_prog parallel parallel
	require_prog make make
	require_prog /usr/bin/python3 python3
	[ ! -e "$SSH_DIR/skip" ] || skip "$(cat "$SSH_DIR/skip")"
	T=$BATS_TEST_TMPDIR
	cd "$T"
	split -l 30 --additional-suffix=.jsonl "$EMB" s.
	# the daemons answer (a few tries: they start in the background)
	for i in 1 2 3 4 5 6 7 8 9 10; do
		ok=1
		for h in 127.0.0.2 127.0.0.3; do
			ssh -F /dev/null -p "$(cat "$SSH_DIR/port-$h")" \
			    -i "$SSH_DIR/id" -o IdentitiesOnly=yes \
			    -o BatchMode=yes -o StrictHostKeyChecking=no \
			    -o UserKnownHostsFile="$SSH_DIR/known_hosts" \
			    "$(id -un)@$h" true </dev/null 2>/dev/null || ok=0
		done
		[ $ok -eq 1 ] && break
		sleep 0.5
	done
	[ $ok -eq 1 ] || skip "sshd on loopback does not answer"
	# parallel sends the files with rsync at both ends
	rsync --version >/dev/null
	mk() {
		make -s -f "$MK" SHARDS="$(echo s.*)" K=3 BY=label \
		    FRACTION=0.4 PER_CENTROID=20 SEED=5 "$@"
	}
	mk OUT=local JOBS=2
	mk OUT=hosts JOBS=2 SSHLOGINFILE="$SSH_DIR/hosts"
	for f in model.jsonl plan.jsonl scored pruned; do
		diff -r "local/$f" "hosts/$f"
	done
	[ "$(cat hosts/pruned/*.jsonl | wc -l)" -eq 48 ]	# 0.4 of 40 x 3
	# both hosts ran jobs, in their own directories, left empty
	for h in 127.0.0.2 127.0.0.3; do
		grep -q 'Accepted publickey' "$SSH_DIR/sshd-$h.log"
		[ -z "$(find "$SSH_DIR/work-$h" -name '*.jsonl')" ] ||
			fail "files left on $h: $(find "$SSH_DIR/work-$h")"
	done
}

@test "shards.mk VECTORS= dedup over two ssh hosts: the .npy rows travel with their jobs, the bytes of the one-host run" {
	require_prog /usr/sbin/sshd openssh-server
	require_prog ssh openssh-client
	require_prog rsync rsync
	require_prog parallel parallel
	require_prog make make
	[ ! -e "$SSH_DIR/skip" ] || skip "$(cat "$SSH_DIR/skip")"
	[ -s "$SSH_DIR/port-127.0.0.3" ] || skip "sshd on loopback did not start"
	T=$BATS_TEST_TMPDIR
	cd "$T"
	F=$TESTS_DIR/fixtures/prune-npy
	# one shard and two clusters: three jobs on the hosts, each a few
	# ssh sessions (the time of this test); each job reads a .npy
	mk() {
		make -s -f "$MK" SHARDS="$F/s0.jsonl" VECTORS="$F/s0.npy" \
		    STRATEGY=dedup K=2 SEED=3 \
		    EPS=0.01 JOBS=2 "$@" >/dev/null
	}
	mk OUT=local
	mk OUT=hosts SSHLOGINFILE="$SSH_DIR/hosts"
	for f in model.jsonl scored parts kept pruned; do
		diff -r "local/$f" "hosts/$f"
	done
	[ "$(ls hosts/parts | grep -c 'npy$')" -eq 2 ]
	# near-duplicates dropped: fewer than the shard's 40 records kept
	[ "$(wc -l <hosts/pruned/s0.jsonl)" -lt 40 ]
	[ -z "$(find "$SSH_DIR"/work-* -name '*.npy')" ] ||
		fail "files left on the hosts: $(find "$SSH_DIR"/work-*)"
}
