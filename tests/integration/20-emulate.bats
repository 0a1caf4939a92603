#!/usr/bin/env bats
# 20-emulate.bats - remap_file_pages under remaptrace behaves as the kernel's
# own: every scenario runs natively and traced, and the two outputs must be
# identical; the log must say what remaptrace did (emulated, or which rule
# refused the call).  rfp's output format is described in tests/progs/rfp.c:
# "area:" shows the file page seen through each page of the area, "A:" the
# file's own pages, "vma:" the mappings covering the area.

load helpers

setup_file() {
	# The kernel-never-ran test counts a tracepoint; tracefs may need
	# mounting first (root only; otherwise that test says what is missing).
	if [ ! -d /sys/kernel/tracing/events ] && [ "$(id -u)" = 0 ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	fi
}

# --- valid calls: emulated, and the program sees what the kernel shows ---

@test "emulate: a one-page remap shows the new file page" {
	both "$PROGS/rfp" file 0 1p 5
	assert_success
	assert_line "result: 0"
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_line --partial "vma: +0p 1p rw-s A@5 "
	assert_line --partial "vma: +1p 3p rw-s A@1 "
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a two-page remap in the middle of a mapping splits it in three" {
	both "$PROGS/rfp" file 1p 2p 6
	assert_success
	assert_line "result: 0"
	assert_line "area: P0000 P0006 P0007 P0003"
	assert_line --partial "vma: +0p 1p rw-s A@0 "
	assert_line --partial "vma: +1p 2p rw-s A@6 "
	assert_line --partial "vma: +3p 1p rw-s A@3 "
	assert_log "= 0 <emulated mmap("
}

@test "emulate: the whole mapping can be moved in one call" {
	both "$PROGS/rfp" file 0 4p 4
	assert_success
	assert_line "area: P0004 P0005 P0006 P0007"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: one file page can show at two places of the mapping" {
	both "$PROGS/rfp" file 0 1p 2
	assert_success
	assert_line "area: P0002 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: writes through remapped pages land in the chosen file pages" {
	both "$PROGS/rfp" -w file 1p 2p 6
	assert_success
	assert_line "write: ok ok ok ok"
	assert_line "A: W0000 P0001 P0002 W0003 P0004 P0005 W0001 W0002"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: an unaligned start and size round down to whole pages" {
	both "$PROGS/rfp" file 100 1p+100 7
	assert_success
	assert_line "result: 0"
	assert_line "area: P0007 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a page past the end of the file maps, and touching it raises SIGBUS" {
	both "$PROGS/rfp" file 0 1p 20
	assert_success
	assert_line "result: 0"
	assert_line "area: SIGBUS P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: flags other than MAP_NONBLOCK are ignored" {
	# MAP_PRIVATE|MAP_ANONYMOUS: still a shared mapping of the file
	both "$PROGS/rfp" -w file 0 1p 5 0 0x22
	assert_success
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_line "A: P0000 W0001 W0002 W0003 P0004 W0000 P0006 P0007"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: MAP_NONBLOCK still remaps" {
	both "$PROGS/rfp" file 0 1p 5 0 0x10000
	assert_success
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a memfd mapping is remapped" {
	both "$PROGS/rfp" -w memfd 0 1p 7
	assert_success
	assert_line "area: P0007 P0001 P0002 P0003"
	assert_line "A: P0000 W0001 W0002 W0003 P0004 P0005 P0006 W0000"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: shared anonymous memory is remapped within its own object" {
	both "$PROGS/rfp" -w shanon 0 2p 2
	assert_success
	assert_line "area: P0002 P0003 P0002 P0003"
	assert_line "A: P0000 P0001 W0002 W0003"
	assert_log "= 0 <emulated mmap("
}

# No descriptor names shared anonymous memory: an offset only a piece
# apart from the range maps (past a hole, or in a copy mremap made) is
# reached by a second mapping of that piece, as the kernel reaches it.
# Run as nobody too, who may not open /proc/PID/map_files: the second
# mapping is then the only way.
anon_apart() {
	local mode=$1 want=$2 as=()

	[ -x "$PROGS/t-anon-apart" ] || fail "t-anon-apart is not built"
	if [ "${3-}" = nobody ]; then
		[ "$(id -u)" = 0 ] || skip "needs root (to run the program as nobody)"
		command -v setpriv >/dev/null || skip "needs setpriv(1) (util-linux)"
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
	fi
	both ${as[@]+"${as[@]}"} "$PROGS/t-anon-apart" "$mode"
	assert_success
	assert_line "remap: 0"
	assert_line "A: $want"
	assert_log "= 0 <emulated"
}

@test "emulate: shared anonymous memory past a hole is reached through its own other piece" {
	anon_apart hole "d - c d"
}

@test "emulate: shared anonymous memory past a hole, as nobody, is reached through its own other piece" {
	anon_apart hole "d - c d" nobody
}

@test "emulate: shared anonymous memory mapped only by a far copy is reached through that copy" {
	anon_apart far "d b - -"
}

@test "emulate: shared anonymous memory mapped only by a far copy, as nobody, is reached through that copy" {
	anon_apart far "d b - -" nobody
}

# A process that once locked memory, and unlocked it: the piece another
# page lends is not locked, as the kernel's new mapping is not.
@test "emulate: after an mlock and munlock elsewhere, shared anonymous memory is reached through another page, unlocked" {
	anon_apart_unlocked
}

@test "emulate: after an mlock and munlock elsewhere, as nobody, shared anonymous memory is reached through another page, unlocked" {
	anon_apart_unlocked nobody
}

# mlockall(MCL_CURRENT) ends an earlier MCL_FUTURE (mm/mlock.c); a
# remaptrace that still counted it in force refused the piece another page
# lends, and a program that may not open /proc/PID/map_files got EACCES.
@test "emulate: after mlockall(MCL_FUTURE) then mlockall(MCL_CURRENT), shared anonymous memory is reached through another page" {
	[ "$(id -u)" = 0 ] || skip "needs root (to run the program as nobody)"
	command -v setpriv >/dev/null || skip "needs setpriv(1) (util-linux)"
	both setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		"$PROGS/t-anon-apart" future-ended
	assert_success
	assert_output "remap: 0
remap: 0
VmLck unchanged
A: a c c d"
	refute_log "EACCES"
}

anon_apart_unlocked() {
	local as=()

	[ -x "$PROGS/t-anon-apart" ] || fail "t-anon-apart is not built"
	if [ "${1-}" = nobody ]; then
		[ "$(id -u)" = 0 ] || skip "needs root (to run the program as nobody)"
		command -v setpriv >/dev/null || skip "needs setpriv(1) (util-linux)"
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
	fi
	both ${as[@]+"${as[@]}"} "$PROGS/t-anon-apart" unlocked
	assert_success
	assert_output "remap: 0
remap: 0
VmLck: 0 kB
A: a c c d"
	assert_log "= 0 <emulated"
}

@test "emulate: a shared /dev/zero mapping is remapped" {
	both "$PROGS/rfp" -w devzero 1p 1p 0
	assert_success
	assert_line "area: P0000 P0000 P0002 P0003"
	assert_line "A: W0001 P0001 W0002 W0003"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a mapping whose descriptor was closed is remapped" {
	both "$PROGS/rfp" -w closed 0 1p 7
	assert_success
	assert_line "area: P0007 P0001 P0002 P0003"
	assert_line "A: P0000 W0001 W0002 W0003 P0004 P0005 P0006 W0000"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a mapping of a file unlinked since is remapped" {
	both "$PROGS/rfp" -w deleted 0 1p 7
	assert_success
	assert_line "area: P0007 P0001 P0002 P0003"
	assert_line "A: P0000 W0001 W0002 W0003 P0004 P0005 P0006 W0000"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a range over two mappings of one open file is remapped" {
	both "$PROGS/rfp" -w split 1p 2p 3
	assert_success
	assert_line "area: P0000 P0003 P0004 P0006"
	assert_line "A: W0000 P0001 P0002 W0001 W0002 P0005 W0003 P0007"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a locked mapping stays locked after the remap" {
	both "$PROGS/rfp" locked 0 1p 7
	assert_success
	assert_line "area: P0007 P0001 P0002 P0003"
	assert_line --regexp '^vma: \+0p 1p rw-s A@7 \[.* lo( |\])'
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a PROT_NONE mapping stays PROT_NONE after the remap" {
	both "$PROGS/rfp" prot-none 0 1p 7
	assert_success
	assert_line --partial "vma: +0p 1p ---s A@7 "
	assert_line "area: P0007 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a call from a second thread is emulated" {
	both "$PROGS/t-multi" thread
	assert_success
	assert_line "thread: result 0"
	assert_line "main: area P0003 P0001 P0002 P0003"
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
}

@test "emulate: a call from a forked child is emulated in the child only" {
	both "$PROGS/t-multi" fork
	assert_success
	assert_line "child: result 0"
	assert_line "child: area P0003 P0001 P0002 P0003"
	assert_line "main: child exited 0"
	assert_line --index 4 "main: area P0000 P0001 P0002 P0003"
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
}

# --- invalid calls: EINVAL, nothing changes, the log names the rule ---

@test "refuse: a non-zero prot is EINVAL" {
	refused "prot must be 0" file 0 1p 5 1
	assert_line "area: P0000 P0001 P0002 P0003"
}

@test "refuse: a size under one page is EINVAL" {
	refused "size rounds down to 0 pages or start + size overflows" \
		file 0 100 0
}

@test "refuse: a size of 0 is EINVAL" {
	refused "size rounds down to 0 pages or start + size overflows" \
		file 0 0 0
}

@test "refuse: start + size past the top of the address space is EINVAL" {
	need_64bit_args "start + size cannot pass 2^64 with 32-bit arguments"
	refused "size rounds down to 0 pages or start + size overflows" \
		file 0 0xfffffffffffff000 0
}

@test "refuse: pgoff + size in pages wrapping around is EINVAL" {
	need_64bit_args "pgoff + pages cannot wrap 2^64 with 32-bit arguments"
	refused "pgoff + size in pages wraps around" \
		file 0 1p 0xffffffffffffffff
}

@test "refuse: a start outside any mapping is EINVAL" {
	refused "start is not inside any mapping" hole 2p 1p 0
}

@test "refuse: a private file mapping is EINVAL" {
	refused "the mapping at start is not VM_SHARED (private, or a read-only open file)" \
		private 0 1p 2
}

@test "refuse: private anonymous memory is EINVAL" {
	refused "the mapping at start is not VM_SHARED (private, or a read-only open file)" \
		anon 0 1p 2
}

@test "refuse: a shared mapping of a file opened O_RDONLY is EINVAL" {
	refused "the mapping at start is not VM_SHARED (private, or a read-only open file)" \
		rdonly 0 1p 2
}

@test "refuse: a range across a hole between mappings is EINVAL" {
	refused "the range crosses a hole between mappings" hole 0 4p 0
	assert_line "area: P0000 P0001 SIGSEGV P0002 P0003"
}

@test "refuse: a range into a mapping of another file is EINVAL" {
	refused "the range crosses into a mapping of another open file" \
		twofiles 0 4p 0
}

@test "refuse: a range into a mapping of the same file opened again is EINVAL" {
	# The kernel compares struct file pointers, not inodes (spec 2.9).
	refused "the range crosses into a mapping of another open file" \
		reopen 0 4p 0
}

@test "refuse: a range into a mapping with other protections is EINVAL" {
	refused "the range crosses into a mapping with different flags" \
		prot 0 4p 0
}

@test "refuse: a range past the last mapping is EINVAL" {
	refused "the range runs past the last mapping" end 0 4p 0
}

@test "refuse: prot is checked before the size and the mapping" {
	refused "prot must be 0" anon 0 0 0 1
}

@test "refuse: the size is checked before the mapping is looked up" {
	refused "size rounds down to 0 pages or start + size overflows" \
		anon 0 100 0
}

# --- errors of the mmap step itself (spec 3) ---

@test "mmap step: a pgoff past the largest file offset is EOVERFLOW" {
	need_64bit_args "a pgoff of 2^51 does not fit 32 bits"
	both "$PROGS/rfp" file 0 1p 0x8000000000000
	assert_success
	assert_line "result: -1 EOVERFLOW"
	assert_line "area: P0000 P0001 P0002 P0003"
	assert_log "= -1 EOVERFLOW"
}

@test "mmap step: the last page below the largest file offset maps, and touching it raises SIGBUS" {
	need_64bit_args "a pgoff near 2^51 does not fit 32 bits"
	both "$PROGS/rfp" file 0 1p 0x7fffffffffffe
	assert_success
	assert_line "result: 0"
	assert_line "area: SIGBUS P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "mmap step: a range ending past the largest file offset is EOVERFLOW" {
	need_64bit_args "a pgoff near 2^51 does not fit 32 bits"
	both "$PROGS/rfp" file 0 2p 0x7fffffffffffe
	assert_success
	assert_line "result: -1 EOVERFLOW"
	assert_log "= -1 EOVERFLOW"
}

@test "mmap step: an mseal()ed mapping is EPERM and stays intact" {
	both "$PROGS/rfp" -w sealed 0 1p 5
	[ "$status" -ne 77 ] || skip "mseal needs Linux 6.10"
	assert_success
	assert_line "result: -1 EPERM"
	assert_line "A: W0000 W0001 W0002 W0003 P0004 P0005 P0006 P0007"
	assert_log "= -1 EPERM"
}

# --- the log ---

@test "log: an emulated call is one strace-like line naming the mmap it ran" {
	both "$PROGS/rfp" file 0 1p 5
	assert_success
	assert_log_calls 1
	local re='^\[pid [0-9]+\] remap_file_pages\((0x[0-9a-f]+), 4096, 0, 5, 0\) = 0 <emulated mmap\((0x[0-9a-f]+), 4096, PROT_READ\|PROT_WRITE, MAP_SHARED\|MAP_FIXED\|MAP_POPULATE, "[^"]*/A", 0x5000\)>'
	local line
	# (a 32-bit program's first call is announced on a line of its own)
	line=$(grep '^\[pid' <<<"$log" | grep -v 'runs in 32 bit mode')
	[[ $line =~ $re ]] || fail "log line does not match: $line"
	assert_equal "${BASH_REMATCH[2]}" "${BASH_REMATCH[1]}"
}

@test "log: a refused call is one line with the errno and the rule" {
	both "$PROGS/rfp" private 0 1p 2
	assert_success
	assert_log_calls 1
	local re='^\[pid [0-9]+\] remap_file_pages\(0x[0-9a-f]+, 4096, 0, 2, 0\) = -1 EINVAL \(the mapping at start is not VM_SHARED \(private, or a read-only open file\)\)'
	local line
	line=$(grep '^\[pid' <<<"$log" | grep -v 'runs in 32 bit mode')
	[[ $line =~ $re ]] || fail "log line does not match: $line"
}

@test "log: the emulated mmap of a locked mapping adds MAP_LOCKED" {
	both "$PROGS/rfp" locked 0 1p 7
	assert_success
	local re='<emulated mmap\([^)]*MAP_LOCKED'
	[[ $log =~ $re ]] || fail "no MAP_LOCKED in the emulated mmap: $log"
}

# --- the kernel's implementation never runs ---

# perf_count OUTFILE: the tracepoint count perf stat -x, wrote to OUTFILE.
perf_count() {
	awk -F, '$3 == "syscalls:sys_enter_remap_file_pages" { print $1 }' "$1"
}

@test "emulate: the kernel's own remap_file_pages never runs under remaptrace" {
	local ev=syscalls:sys_enter_remap_file_pages d=$BATS_TEST_TMPDIR
	# ftrace's syscall events leave compat calls out
	# (ARCH_TRACE_IGNORE_COMPAT_SYSCALLS): nothing to count for i386
	need_64bit_args "the syscall tracepoints do not see compat calls"
	command -v perf >/dev/null ||
		skip "perf is not installed (Debian package linux-perf)"
	[ -d /sys/kernel/tracing/events ] ||
		skip "tracefs is not mounted at /sys/kernel/tracing (needs root: mount -t tracefs nodev /sys/kernel/tracing)"
	[ -d /sys/kernel/tracing/events/syscalls/sys_enter_remap_file_pages ] ||
		skip "the tracepoint $ev is missing (kernel built without CONFIG_FTRACE_SYSCALLS)"
	perf stat -x, -e "$ev" -o "$d/native.perf" -- \
		"$PROGS/t-exit" calls 5 2>"$d/perf.err" ||
		skip "perf stat cannot count $ev: $(cat "$d/perf.err")"
	run perf_count "$d/native.perf"
	assert_output 5

	run perf stat -x, -e "$ev" -o "$d/traced.perf" -- \
		"$REMAPTRACE" -- "$PROGS/t-exit" calls 5
	assert_success
	run perf_count "$d/traced.perf"
	assert_output 0
}

# --- the bundled demo ---

@test "demo: the window demo prints the same natively and under remaptrace" {
	both "$PROGS/demo-window"
	assert_success
	assert_line "Every step behaved as documented."
	assert_log_calls 8
	assert_log "= -1 EINVAL (prot must be 0)"
}
