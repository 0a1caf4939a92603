#!/usr/bin/env bats
# 25-sysv.bats - remap_file_pages on SysV segments removed with IPC_RMID
# while attached, natively and under remaptrace (the kernel is the
# oracle).  The kernel's remap is an mmap(MAP_FIXED), which closes the
# VMAs it replaces before mapping the segment again: closing the last
# attach of a removed segment destroys it, and the mmap then fails
# (EINVAL) with the range left unmapped.  t-sysv's output is described in
# tests/progs/t-sysv.c.

load helpers

@test "sysv: a remap of part of a removed segment's last attach is emulated" {
	both "$PROGS/t-sysv" partial
	assert_success
	assert_line "result: 0"
	assert_line "store: ok"
	assert_line "page 0: W0000"
	assert_line "page 2: W0000"
	assert_line "vma: +0p 1p rw-s A@2 [rd wr sh mr mw me ms]"
	assert_line "segment: nattch 2 removed"
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
}

@test "sysv: a remap of all of a removed segment's last attach fails with EINVAL and leaves the range unmapped" {
	both "$PROGS/t-sysv" whole
	assert_success
	assert_line "result: -1 EINVAL"
	assert_line "store: SEGV"
	assert_line "page 3: SEGV"
	refute_line --partial "vma:"
	# the munmap destroyed it, as the kernel's close did
	assert_line "segment: gone"
	assert_log_calls 1
	assert_log "= -1 EINVAL (the range covers every attach left of a removed SysV segment (the old range is unmapped))"
	refute_log "emulated"
}

@test "sysv: a removed segment's attach split by a remap is destroyed when a remap covers every piece" {
	both "$PROGS/t-sysv" pieces
	assert_success
	assert_output --partial "result: 0
result: -1 EINVAL"
	assert_line "page 0: SEGV"
	assert_line "segment: gone"
	assert_log_calls 2
	assert_log "= -1 EINVAL (the range covers every attach left of a removed SysV segment"
}

@test "sysv: a removed segment attached twice survives a remap of one whole attach" {
	both "$PROGS/t-sysv" two
	assert_success
	assert_line "result: 0"
	assert_line "page 0: W0000"
	assert_line "page 1: S0002"
	assert_line "vma: +0p 4p rw-s A@1 [rd wr sh mr mw me ms]"
	assert_line "segment: nattch 2 removed"
	assert_log "= 0 <emulated mmap("
}

@test "sysv: a removed segment a child still holds survives a remap of the parent's whole attach" {
	both "$PROGS/t-sysv" fork
	assert_success
	assert_line "result: 0"
	assert_line "page 1: S0002"
	assert_line "segment: nattch 2 removed"
	assert_log "= 0 <emulated mmap("
}

@test "sysv: a segment not removed survives a remap of its whole only attach" {
	# Unless kernel.shm_rmid_forced: then its last detach destroys it too
	# (ipc/shm.c shm_may_destroy()), and the kernel answers EINVAL.
	run -0 cat /proc/sys/kernel/shm_rmid_forced
	[ "$output" = 0 ] || skip "kernel.shm_rmid_forced is set"
	both "$PROGS/t-sysv" kept
	assert_success
	assert_line "result: 0"
	assert_line "page 1: S0002"
	assert_line "segment: nattch 1"
	assert_log "= 0 <emulated mmap("
}

@test "sysv: --json names the rule shm-removed" {
	run -0 --separate-stderr "$REMAPTRACE" --json -- "$PROGS/t-sysv" whole
	assert_line "result: -1 EINVAL"
	run -0 grep -c '"code":"shm-removed"' <<<"$stderr"
	assert_output 1
}

# reads SCENARIO: how many times remaptrace read /proc/sysvipc/shm for
# t-sysv SCENARIO (REMAPTRACE_BREAKDOWN=1), in $output.
reads() {
	run -0 --separate-stderr env REMAPTRACE_BREAKDOWN=1 "$REMAPTRACE" -q \
		-- "$PROGS/t-sysv" "$1"
	assert_line "result: 0"
	output=$(sed -En 's|^  /proc/sysvipc/shm read +([0-9]+) of 1 calls$|\1|p' \
		<<<"$stderr")
	[ -n "$output" ] || fail "no breakdown line: $stderr"
}

@test "sysv: /proc/sysvipc/shm is read only after an IPC_RMID, for a range that closes whole VMAs" {
	# not removed: the filter heard no IPC_RMID
	run -0 cat /proc/sys/kernel/shm_rmid_forced
	[ "$output" = 0 ] || skip "kernel.shm_rmid_forced is set"
	reads kept
	assert_output 0
	# removed, but the range splits the VMA: nattch cannot drop
	reads partial
	assert_output 0
	# removed, and the range is a whole attach: the one read it needs
	reads two
	assert_output 1
}

# outside [REMAPTRACE...]: run `t-sysv outside` (natively, or under the
# command given), remove its segment with ipcrm(1) while it waits, then
# let it remap; $output holds what it printed after its shmid.
outside() {
	local d=$BATS_TEST_TMPDIR line st=0

	rm -f "$d/in" "$d/out"
	mkfifo "$d/in" "$d/out"
	timeout -k 5 60 "$@" "$PROGS/t-sysv" outside <"$d/in" >"$d/out" \
		2>"$d/bg.err" 3>&- &
	bg_pid=$!
	exec 4>"$d/in" 5<"$d/out"
	read -r -t 30 -u 5 line || fail "no shmid line"
	[[ $line == "shmid: "* ]] || fail "not a shmid line: $line"
	ipcrm -m "${line#shmid: }" || fail "ipcrm failed"
	echo go >&4
	exec 4>&-
	output=$(cat <&5)
	mapfile -t lines <<<"$output"
	wait "$bg_pid" || st=$?
	exec 5<&-
	[ "$st" = 0 ] || fail "t-sysv exited $st: $(cat "$d/bg.err")"
}

teardown() {
	end_background
}

@test "sysv: a segment removed by a process remaptrace does not trace is not seen (a documented difference)" {
	# The kernel: removed from outside or not, closing the last attach
	# destroys the segment, and the remap fails.
	outside
	assert_line "result: -1 EINVAL"
	assert_line "segment: gone"
	# remaptrace hears only its tracees' shmctl(IPC_RMID) (README,
	# Differences): it emulates the call, and the segment stays.
	outside "$REMAPTRACE" -q --
	assert_line "result: 0"
	assert_line "page 1: S0002"
	assert_line "segment: nattch 1 removed"
}
