#!/usr/bin/env bats
# 35-features.bats - older kernels.  Each kernel feature remaptrace uses is
# probed once at start-up (tracer/features.c), and REMAPTRACE_DISABLE=NAME
# makes it take, on this kernel, the fallback an older kernel gets.  With
# each fallback the conformance suite's quick run must still match the
# kernel byte for byte (tests/conformance.sh, as 30-conformance.bats runs
# it), strace must show that the disabled feature is never called, and a
# required feature, disabled, must stop remaptrace before the program runs.

load helpers

setup() {
	[ -x "$REMAPTRACE" ] ||
		fail "remaptrace is not built at $REMAPTRACE (run make)"
	[ -x "$PROGS/conformance" ] && [ -x "$PROGS/t-exit" ] ||
		fail "the test programs are not built in $PROGS (run make)"
	script=$BATS_TEST_DIRNAME/../conformance.sh
	export REMAPTRACE PROGS
}

# feature_line NAME [DISABLE]: the line remaptrace -v prints for feature
# NAME, with REMAPTRACE_DISABLE=DISABLE.
feature_line() {
	env REMAPTRACE_DISABLE="${2-}" "$REMAPTRACE" -v -- \
		"$PROGS/t-exit" code 0 2>&1 >/dev/null |
		grep "^remaptrace: feature $1 "
}

# quick_without NAME [ARGS...]: the quick differential run (5 seeds, two
# threads, a forked child) with feature NAME disabled; no divergence.
quick_without() {
	local name=$1 line
	shift
	# the run below must really be without it
	line=$(feature_line "$name" "$name") ||
		fail "remaptrace -v names no feature $name"
	[[ $line == *": disabled by REMAPTRACE_DISABLE; fallback: "* ]] ||
		fail "not disabled: $line"
	run env REMAPTRACE_DISABLE="$name" "$script" quick --anon-merge "$@"
	assert_success
	assert_line --regexp \
		'^conformance: quick: 7 runs, .*, 0 divergences, 0 broken'
	assert_line --regexp '^  remap ok +[1-9]'
	assert_line --regexp '^  write verified +[1-9]'
}

@test "features: without PROCMAP_QUERY (before 6.11) the quick conformance run matches the kernel" {
	quick_without procmap_query
}

@test "features: without WAIT_KILLABLE_RECV (before 5.19) the quick conformance run matches the kernel" {
	quick_without wait_killable_recv
}

# Before 5.19 a signal or remaptrace's own interrupt ends a notification's
# wait even once it is received, and even as the answer lands: the call
# then returns -ERESTARTSYS, which must never reach the program (as EINTR
# or as errno 512), and a signal caught in that stop keeps its siginfo.
# Five runs, as the window is narrow.
@test "features: without WAIT_KILLABLE_RECV (before 5.19) a signal flood at a thread making notified calls fails none and loses no siginfo" {
	local i
	for i in 1 2 3 4 5; do
		run env REMAPTRACE_DISABLE=wait_killable_recv "$REMAPTRACE" -q -- \
			"$PROGS/t-rob-sig" 20000 norestart thread followed
		assert_success
		assert_line "sent=20000 handled=20000 dup=0 lost=0 pending=0"
		assert_line "calls: fails=0 wrong=0"
	done
}

@test "features: without SYNC_WAKE_UP (before 6.6) the quick conformance run matches the kernel" {
	quick_without sync_wake_up
}

@test "features: without PIDFD_THREAD (before 6.9) the quick conformance run matches the kernel" {
	# the threads run remaps from threads that lead no process
	quick_without pidfd_thread
}

# Without these three the supervisor holds no copy of the program's open
# files (pidfd_getfd) or cannot compare copies (kcmp): open files are told
# apart by device and inode only, so two open files of one inode are one
# to it (README, Kernels).  --no-identity leaves out exactly what depends
# on the open file behind a VMA, which /proc does not show.
# The conformance program locks and unlocks its areas between remaps:
# without process_madvise the program's own side asks for VM_LOCKED.
@test "features: without process_madvise (before 5.10, or no CAP_SYS_NICE) the quick conformance run matches the kernel" {
	quick_without process_madvise
}

# Without the BPF iterators (not root, no BTF, before 6.1) every shared
# mmap of a file is caught after it to read where it landed; with them,
# those of one-thread processes are placed later from the VMAs' own
# vm_file (ident.c).  The quick run exercises both ways: its seeds run
# one thread, its threads run two.
@test "features: without the vmfile iterators (not root, before 6.1) the quick conformance run matches the kernel" {
	quick_without vmfile_iter
}

@test "features: without kcmp (CONFIG_KCMP off) the quick conformance run matches the kernel but for open-file identity" {
	quick_without kcmp --no-identity
}

@test "features: without pidfd_getfd the quick conformance run matches the kernel but for open-file identity" {
	quick_without pidfd_getfd --no-identity
}

@test "features: without pidfd_open the quick conformance run matches the kernel but for open-file identity" {
	quick_without pidfd_open --no-identity
}

# calls_made DISABLE STRACE-OPTIONS...: strace's raw record of the calls of
# remaptrace running the conformance program, with REMAPTRACE_DISABLE set.
calls_made() {
	local disable=$1 out=$BATS_TEST_TMPDIR/strace.$1
	shift
	mkdir -p "$BATS_TEST_TMPDIR/d"
	env REMAPTRACE_DISABLE="$disable" strace -o "$out" -X raw "$@" \
		"$REMAPTRACE" -q -- "$PROGS/conformance" --seed 1 --ops 40 \
		--threads 2 --dir "$BATS_TEST_TMPDIR/d" >/dev/null ||
		fail "remaptrace under strace failed (REMAPTRACE_DISABLE=$disable)"
	[ -s "$out" ] || fail "strace wrote nothing"
	cat "$out"
}

# never_called NAME REGEXP STRACE-OPTIONS...: with NAME disabled no call
# matches REGEXP; with nothing disabled some does, when the kernel has
# NAME (so that the pattern is known to catch the call).
never_called() {
	local name=$1 re=$2 line
	shift 2
	line=$(feature_line "$name") || fail "-v names no feature $name"
	if [[ $line == *": in use" ]]; then
		run -0 calls_made "" "$@"
		assert_line --regexp "$re"
	fi
	run -0 calls_made "$name" "$@"
	refute_line --regexp "$re"
}

# The supervisor only (no -f): its tracees stay its own.  One test per
# feature, each well within the per-test timeout under a loaded suite.
SUP=(-e trace=ioctl,kcmp,pidfd_open,pidfd_getfd,process_madvise)

need_strace() {
	command -v strace >/dev/null || skip "strace is not installed"
}

@test "features: procmap_query disabled, PROCMAP_QUERY is never called (strace)" {
	need_strace
	# _IOWR('f', 17, struct procmap_query)
	never_called procmap_query '^ioctl\([0-9]+, 0xc0686611,' "${SUP[@]}"
}

@test "features: sync_wake_up disabled, NOTIF_SET_FLAGS is never called (strace)" {
	need_strace
	never_called sync_wake_up '^ioctl\([0-9]+, 0x40082104,' "${SUP[@]}"
}

@test "features: kcmp disabled, kcmp is never called (strace)" {
	need_strace
	never_called kcmp '^kcmp\(' "${SUP[@]}"
}

@test "features: pidfd_getfd disabled, pidfd_getfd is never called (strace)" {
	need_strace
	never_called pidfd_getfd '^pidfd_getfd\(' "${SUP[@]}"
}

@test "features: pidfd_open disabled, pidfd_open is never called (strace)" {
	need_strace
	never_called pidfd_open '^pidfd_open\(' "${SUP[@]}"
}

@test "features: process_madvise disabled, process_madvise is never called (strace)" {
	need_strace
	never_called process_madvise '^process_madvise\(' "${SUP[@]}"
}

@test "features: pidfd_thread disabled, PIDFD_THREAD is never asked for (strace)" {
	need_strace
	# PIDFD_THREAD is O_EXCL
	never_called pidfd_thread '^pidfd_open\(.*, 0x80\)' "${SUP[@]}"
}

@test "features: vmfile_iter disabled, bpf is never called (strace)" {
	need_strace
	never_called vmfile_iter '^bpf\(' -e trace=bpf
}

# ptrace_interrupts DISABLE: how many PTRACE_INTERRUPTs remaptrace makes
# while rfp maps one file through two open files (kind reopen) and makes
# a span call the kernel refuses (no emulation, no agent).
ptrace_interrupts() {
	local out=$BATS_TEST_TMPDIR/st.$1
	# (LeakSanitizer cannot work in a process that strace holds)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	env REMAPTRACE_DISABLE="$1" strace -o "$out" -X raw -e trace=ptrace \
		"$REMAPTRACE" -q -- "$PROGS/rfp" reopen 0 4p 0 \
		>"$BATS_TEST_TMPDIR/rfp.$1" || fail "rfp under remaptrace failed"
	grep -q '^result: -1 EINVAL$' "$BATS_TEST_TMPDIR/rfp.$1" ||
		fail "the span across two open files was not refused"
	grep -c '^ptrace(0x4207,' "$out" || true
}

@test "features: with the vmfile iterators a followed shared mmap costs no ptrace stop, and open files stay apart (strace)" {
	need_strace
	local line
	line=$(feature_line vmfile_iter) || fail "-v names no feature vmfile_iter"
	[[ $line == *": in use" ]] ||
		skip "the BPF iterators are not available here: $line"
	# each of rfp's two shared mmaps is interrupted after, the old way
	run -0 ptrace_interrupts vmfile_iter
	assert_output 2
	run -0 ptrace_interrupts ""
	assert_output 0
}

# A program that maps a window and remaps in it, among 3,000 VMAs: each
# remap would place the window just mapped, reading every VMA (16 ms a
# call at 30,000 VMAs, against 150 us with the stop).  After the first
# placement that costs more than the stops it saved, the process's mmaps
# are stopped after again: one iteration pair (two BPF_LINK_CREATEs), not
# one per call (400 on 64d7d70).
@test "features: a program whose remaps follow its mmaps among many VMAs is placed once, then stopped again (strace)" {
	need_strace
	local line out=$BATS_TEST_TMPDIR/st.windows n
	line=$(feature_line vmfile_iter) || fail "-v names no feature vmfile_iter"
	[[ $line == *": in use" ]] ||
		skip "the BPF iterators are not available here: $line"
	both "$PROGS/t-follow" windows "$BATS_TEST_TMPDIR" 3000 200
	assert_output "remap: 0 in 200 of 200"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	strace -o "$out" -X raw -e trace=bpf "$REMAPTRACE" -q -- \
		"$PROGS/t-follow" windows "$BATS_TEST_TMPDIR" 3000 200 \
		>/dev/null || fail "t-follow under remaptrace failed"
	n=$(grep -c '^bpf(0x1c,' "$out" || true)
	[ "$n" -le 4 ] || fail "$n BPF_LINK_CREATEs: a placement per call"
}

@test "features: wait_killable_recv disabled, the filter is loaded without it (strace)" {
	need_strace
	# The filter is loaded in the child before exec (-f; the program then
	# runs unseized, as strace holds it): NEW_LISTENER|WAIT_KILLABLE_RECV
	never_called wait_killable_recv '^[0-9]+ +seccomp\(0x1, 0x28,' \
		-f -e trace=seccomp
}

@test "features: -v says, one line each, which features are in use and the fallback of a disabled one" {
	run -0 --separate-stderr env REMAPTRACE_DISABLE=procmap_query,pidfd_open \
		"$REMAPTRACE" -v -o "$BATS_TEST_TMPDIR/log" -- \
		"$PROGS/t-exit" code 0
	assert_equal "$stderr" ""
	run -0 cat "$BATS_TEST_TMPDIR/log"
	# every feature, before the program's first line
	run -0 grep -c '^remaptrace: feature ' "$BATS_TEST_TMPDIR/log"
	assert_output 13
	run -0 cat "$BATS_TEST_TMPDIR/log"
	assert_line --index 0 --regexp '^remaptrace: feature user_notif '
	assert_line 'remaptrace: feature procmap_query (PROCMAP_QUERY, Linux 6.11): disabled by REMAPTRACE_DISABLE; fallback: /proc/PID/smaps is read whole at each call (cost grows with the VMAs); no other VMA lends a second mapping'
	assert_line --regexp '^remaptrace: feature pidfd_open \(pidfd_open, Linux 5\.3\): disabled by REMAPTRACE_DISABLE; fallback: no agent'
	# what is used through pidfd_open goes with it
	assert_line --regexp '^remaptrace: feature pidfd_getfd \(pidfd_getfd, Linux 5\.6\): unused without pidfd_open; fallback: shared mmaps are not followed'
	assert_line --regexp '^remaptrace: feature addfd \(SECCOMP_IOCTL_NOTIF_ADDFD, Linux 5\.9\): in use$'
	# and nothing of it without -v, in a log that has the call's line
	run -0 env REMAPTRACE_DISABLE=procmap_query "$REMAPTRACE" \
		-o "$BATS_TEST_TMPDIR/plain" -- "$PROGS/t-exit" code 0
	run -0 grep -c '^\[pid [0-9]*\] remap_file_pages(' \
		"$BATS_TEST_TMPDIR/plain"
	run -1 grep 'remaptrace: feature' "$BATS_TEST_TMPDIR/plain"
}

@test "features: an unknown name in REMAPTRACE_DISABLE is refused before the program runs" {
	local ran=$BATS_TEST_TMPDIR/ran
	run -125 --separate-stderr env REMAPTRACE_DISABLE=procmap_query,procmap \
		"$REMAPTRACE" -- touch "$ran"
	assert_equal "$stderr" "remaptrace: REMAPTRACE_DISABLE: unknown feature 'procmap' (known: user_notif notif_continue process_vm addfd pidfd_open pidfd_getfd wait_killable_recv sync_wake_up pidfd_thread procmap_query kcmp process_madvise vmfile_iter)"
	[ ! -e "$ran" ] || fail "the program ran"
	# the same name alone is accepted (the refusal is the name's)
	run -0 env REMAPTRACE_DISABLE=procmap_query "$REMAPTRACE" -- touch "$ran"
	[ -e "$ran" ] || fail "the program did not run"
}

@test "features: without a required feature remaptrace refuses to start and names the kernel it needs" {
	local ran=$BATS_TEST_TMPDIR/ran f
	# ADDFD is what makes 5.9 the oldest kernel supported
	run -125 --separate-stderr env REMAPTRACE_DISABLE=addfd \
		"$REMAPTRACE" -- touch "$ran"
	assert_equal "$stderr" "remaptrace: SECCOMP_IOCTL_NOTIF_ADDFD (Linux 5.9) is disabled by REMAPTRACE_DISABLE, and remaptrace cannot run without it: the emulated mmap maps the caller's very open file from a descriptor installed with it; the oldest kernel remaptrace supports is Linux 5.9"
	[ ! -e "$ran" ] || fail "the program ran without addfd"
	for f in user_notif notif_continue process_vm; do
		run -125 --separate-stderr env REMAPTRACE_DISABLE=$f \
			"$REMAPTRACE" -- touch "$ran"
		[[ $stderr == *"is disabled by REMAPTRACE_DISABLE, and remaptrace cannot run without it"* ]] ||
			fail "$f: $stderr"
		[ ! -e "$ran" ] || fail "the program ran without $f"
	done
}
