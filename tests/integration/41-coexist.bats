#!/usr/bin/env bats
# 41-coexist.bats - remaptrace next to other users of seccomp and ptrace
# (programs with filters of their own, debuggers and tracers)
# under remaptrace or around it, and remaptrace inside remaptrace.  Each
# combination either works (the program prints what it prints natively) or
# says clearly why it cannot; it never hangs and never maps silently wrong.
# Everything that could hang runs under timeout(1).

load helpers

teardown() {
	end_background
}

# LeakSanitizer cannot work in a process that is being ptraced: where
# remaptrace itself runs under strace, gdb or another remaptrace, an ASan
# build (make check-asan) runs without leak detection.
untraced_lsan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0

# native PROGRAM [ARGS...]: what the program prints natively, in
# $BATS_TEST_TMPDIR/native.out.
native() {
	"$@" >"$BATS_TEST_TMPDIR/native.out" ||
		fail "the program failed natively: $*"
}

# assert_native: $output (a traced run) holds the native output, line by
# line, in order (a debugger may add lines of its own around it).
assert_native() {
	local got=$BATS_TEST_TMPDIR/got.out

	printf '%s\n' "$output" >"$got"
	if ! diff <(grep -xF -f "$BATS_TEST_TMPDIR/native.out" "$got") \
		  "$BATS_TEST_TMPDIR/native.out" >/dev/null; then
		diff -u --label native --label traced \
			"$BATS_TEST_TMPDIR/native.out" "$got" |
			batslib_decorate "the program's output differs" | fail
	fi
}

# stderr_has TEXT: some line of $stderr contains TEXT.
stderr_has() {
	grep -qF -- "$1" <<<"$stderr" ||
		fail "stderr lacks '$1': $stderr"
}

# --- programs with seccomp filters of their own ---

@test "coexist: a program's own filter on another call leaves its remap_file_pages emulated" {
	both "$PROGS/t-rob-seccomp" other
	assert_success
	assert_line "getppid: EPERM"
	assert_line "result: 0"
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
}

@test "coexist: a program's own SECCOMP_RET_LOG on remap_file_pages: still emulated" {
	both "$PROGS/t-rob-seccomp" log
	assert_success
	assert_line "result: 0"
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "coexist: a program's own SECCOMP_RET_ERRNO on remap_file_pages wins, as natively" {
	both "$PROGS/t-rob-seccomp" errno
	assert_success
	assert_line "result: -1 EACCES"
	assert_line "area: P0000 P0001 P0002 P0003"
	assert_log_calls 0
}

@test "coexist: a program's own SECCOMP_RET_TRAP on remap_file_pages wins, as natively" {
	both "$PROGS/t-rob-seccomp" trap
	assert_success
	assert_line "result: SIGSYS"
	assert_line "area: P0000 P0001 P0002 P0003"
	assert_log_calls 0
}

@test "coexist: five filters of the program's own over ours: still emulated" {
	both "$PROGS/t-rob-seccomp" stack
	assert_success
	assert_line "result: 0"
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

@test "coexist: a filter synced to all threads (TSYNC), the call from another thread: still emulated" {
	both "$PROGS/t-rob-seccomp" other threads
	assert_success
	assert_line "getppid: EPERM"
	assert_line "area: P0005 P0001 P0002 P0003"
	assert_log "= 0 <emulated mmap("
}

# --- remaptrace around and under other tracers ---

@test "coexist: remaptrace under strace -f says it cannot ptrace, and the kernel runs the calls" {
	native "$PROGS/rfp" file 0 1p 5
	ASAN_OPTIONS=$untraced_lsan guard 60 strace -f -o /dev/null \
		"$REMAPTRACE" -- "$PROGS/rfp" file 0 1p 5
	assert_success
	assert_native
	[[ $stderr =~ remaptrace:\ cannot\ ptrace.*Operation\ not\ permitted ]] ||
		fail "no diagnostic: $stderr"
	stderr_has "passed to the kernel"
}

@test "coexist: remaptrace under strace -f with threads and a forked child" {
	native "$PROGS/t-rob-tree" fork vfork exec
	ASAN_OPTIONS=$untraced_lsan guard 60 strace -f -o /dev/null \
		"$REMAPTRACE" -- "$PROGS/t-rob-tree" fork vfork exec
	assert_success
	assert_native
	stderr_has "remaptrace: cannot ptrace"
	[ "$(grep -c 'passed to the kernel' <<<"$stderr")" = 3 ] ||
		fail "not every call went to the kernel: $stderr"
}

# Without ptrace remaptrace cannot restart a wait that a signal
# interrupted before the call was received, so a handler without
# SA_RESTART can see EINTR, which the kernel's own call never returns.
# A documented difference (README): remaptrace says so when it starts,
# and no signal is lost or doubled, and no call maps the wrong page.
@test "coexist: remaptrace under strace -f warns that signals can make calls fail with EINTR, and loses no signal" {
	ASAN_OPTIONS=$untraced_lsan guard 60 strace -f -o /dev/null \
		"$REMAPTRACE" -q -- "$PROGS/t-rob-sig" 3000 norestart thread
	# exit 1 is the program's verdict on the EINTR failures
	[[ $status == 0 || $status == 1 ]] || fail "exit status $status"
	assert_line "sent=3000 handled=3000 dup=0 lost=0 pending=0"
	assert_line --regexp '^calls: fails=[0-9]+( EINTR)? wrong=0$'
	[[ $stderr == *"can make it fail with EINTR"* ]] ||
		fail "no warning about EINTR: $stderr"
}

@test "coexist: strace -f under remaptrace traces the program, which sees the kernel's results" {
	native "$PROGS/rfp" file 0 1p 5
	guard 60 "$REMAPTRACE" -- strace -f -o "$BATS_TEST_TMPDIR/strace.out" \
		"$PROGS/rfp" file 0 1p 5
	assert_success
	assert_native
	grep -q '^[0-9]* *remap_file_pages(.*) = 0' "$BATS_TEST_TMPDIR/strace.out" ||
		fail "strace did not see the call: $(cat "$BATS_TEST_TMPDIR/strace.out")"
	[[ $stderr == *"remaptrace: "* || $stderr == *"] ptrace("* ]] ||
		fail "remaptrace did not say it let go of the program: $stderr"
}

@test "coexist: gdb under remaptrace runs the program to its normal end" {
	command -v gdb >/dev/null || skip "gdb is not installed (Debian package gdb)"
	native "$PROGS/rfp" file 0 1p 5
	guard 60 "$REMAPTRACE" -- gdb -nx -batch -ex run --args \
		"$PROGS/rfp" file 0 1p 5
	assert_success
	assert_native
	assert_output --partial "exited normally"
}

@test "coexist: remaptrace under gdb (detaching after fork) emulates as usual" {
	command -v gdb >/dev/null || skip "gdb is not installed (Debian package gdb)"
	native "$PROGS/rfp" file 0 1p 5
	ASAN_OPTIONS=$untraced_lsan guard 60 gdb -nx -batch -ex run --args \
		"$REMAPTRACE" -- "$PROGS/rfp" file 0 1p 5
	assert_success
	assert_native
	stderr_has "= 0 <emulated mmap("
}

@test "coexist: remaptrace under gdb following the child too falls back with a message" {
	command -v gdb >/dev/null || skip "gdb is not installed (Debian package gdb)"
	native "$PROGS/rfp" file 0 1p 5
	ASAN_OPTIONS=$untraced_lsan guard 60 gdb -nx -batch \
		-ex 'set detach-on-fork off' \
		-ex 'set schedule-multiple on' -ex run \
		-ex 'inferior 2' -ex continue --args "$REMAPTRACE" -- \
		"$PROGS/rfp" file 0 1p 5
	# gdb's own status depends on which inferior ends first; what counts
	# is the program's output, the message, and no hang
	assert_native
	stderr_has "remaptrace: cannot ptrace"
}

# attach_to_running TOOL...: start a program that calls in 2 threads
# under remaptrace, run TOOL with the program's pid appended, then let the
# program finish; $output/$stderr are TOOL's, $prog_out the program's.
attach_to_running() {
	local d=$BATS_TEST_TMPDIR word prog_pid st=0

	rm -f "$d/in" "$d/out"
	mkfifo "$d/in" "$d/out"
	timeout --verbose -k 5 60 "$REMAPTRACE" -q -- "$PROGS/t-rob-loop" \
		-t 2 <"$d/in" >"$d/out" 2>"$d/bg.err" 3>&- &
	bg_pid=$!
	exec 4>"$d/in" 5<"$d/out"
	read -r -t 30 -u 5 word prog_pid || fail "no ready line"
	guard 60 "$@" "$prog_pid"
	exec 4>&-
	prog_out=$(cat <&5)
	wait "$bg_pid" || st=$?
	exec 5<&-
	prog_status=$st
}

@test "coexist: gdb attaching to a program under remaptrace is refused with a reason, and the program goes on" {
	command -v gdb >/dev/null || skip "gdb is not installed (Debian package gdb)"
	attach_to_running gdb -nx -batch -ex 'info threads' -ex detach -p
	[[ "$output$stderr" == *"ptrace: Operation not permitted"* ]] ||
		fail "gdb gave no reason: $output $stderr"
	assert_equal "$prog_status" 0
	[[ $prog_out == *"done: threads=2 fails=0 wrong=0 fds=same"* ]] ||
		fail "the program did not finish right: $prog_out"
}

@test "coexist: strace attaching to a program under remaptrace is refused with a reason, and the program goes on" {
	attach_to_running strace -o /dev/null -p
	[[ $stderr == *"Operation not permitted"* ]] ||
		fail "strace gave no reason: $stderr"
	assert_equal "$prog_status" 0
	[[ $prog_out == *"done: threads=2 fails=0 wrong=0 fds=same"* ]] ||
		fail "the program did not finish right: $prog_out"
}

# traces_child MODE: a program under remaptrace traces its own child
# (t-rob-ptrace MODE): either that works as natively, or remaptrace says
# why it cannot; the child's call is right either way.
traces_child() {
	local d=$BATS_TEST_TMPDIR

	"$PROGS/t-rob-ptrace" "$1" >"$d/native.out"
	guard 30 "$REMAPTRACE" -- "$PROGS/t-rob-ptrace" "$1"
	assert_success
	assert_line "child: result 0 area P0005 P0001 P0002 P0003"
	assert_line "parent: child exited 0"
	if [ "$output" != "$(<"$d/native.out")" ]; then
		# refused: then remaptrace must have said so
		grep -qE "^(remaptrace: |\[pid [0-9]+\] ).*PTRACE_(SEIZE|ATTACH)" \
			<<<"$stderr" ||
			fail "the program's ptrace failed silently: $output"
	fi
}

@test "coexist: a program that PTRACE_SEIZEs its own child works, or remaptrace says why not" {
	traces_child seize
}

@test "coexist: a program that PTRACE_ATTACHes its own child works, or remaptrace says why not" {
	traces_child attach
}

@test "coexist: a child that asks for PTRACE_TRACEME is let go, and its parent traces it" {
	both "$PROGS/t-rob-ptrace" traceme
	assert_success
	assert_line "child: traceme ok"
	assert_line "child: result 0 area P0005 P0001 P0002 P0003"
	assert_log "ptrace(PTRACE_TRACEME)"
}

# --- remaptrace inside remaptrace ---

@test "coexist: remaptrace inside remaptrace says another listener serves the tree, and calls are still emulated" {
	native "$PROGS/rfp" file 0 1p 5
	ASAN_OPTIONS=$untraced_lsan guard 60 "$REMAPTRACE" -- "$REMAPTRACE" -- \
		"$PROGS/rfp" file 0 1p 5
	assert_success
	assert_native
	grep -qE '^remaptrace: .*(another|outer|already).*(listener|remaptrace)' \
		<<<"$stderr" || fail "no clear message about the outer remaptrace: $stderr"
	stderr_has "= 0 <emulated mmap("
}

@test "coexist: remaptrace inside remaptrace with threads and children: every call still right" {
	native "$PROGS/t-rob-threads" -p 2 2 200 10
	ASAN_OPTIONS=$untraced_lsan guard 60 "$REMAPTRACE" -q -- \
		"$REMAPTRACE" -q -- \
		"$PROGS/t-rob-threads" -p 2 2 200 10
	assert_success
	assert_native
	assert_line "total: calls=800 fails=0 wrong=0"
}
