# helpers.bash - shared setup of the integration tests: bats-support and
# bats-assert, where remaptrace and the test programs live, and `both`,
# which runs a program natively and under remaptrace and compares the two
# runs (the kernel is the oracle).
#
# REMAPTRACE and PROGS may be set by the caller (make check-integration,
# make check-asan); by default they point into this tree's build/.

bats_require_minimum_version 1.5.0
load /usr/lib/bats/bats-support/load
load /usr/lib/bats/bats-assert/load

_repo=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
REMAPTRACE=${REMAPTRACE:-$_repo/build/remaptrace}
PROGS=${PROGS:-$_repo/build/tests/progs}
# no core files from the tests that kill programs with SIGSEGV
ulimit -c 0

# Fail (never skip) when the build is missing: a suite that passes because
# nothing ran would lie.
setup() {
	[ -x "$REMAPTRACE" ] ||
		fail "remaptrace is not built at $REMAPTRACE (run make)"
	[ -x "$PROGS/rfp" ] && [ -x "$PROGS/t-exit" ] ||
		fail "the test programs are not built in $PROGS (run make)"
}

# both PROGRAM [ARGS...]
# Run PROGRAM natively, then as `remaptrace -- PROGRAM ARGS`, and fail
# unless stdout and the exit status are identical, and the program's own
# stderr is too (remaptrace's "[pid N]" log lines and "remaptrace: "
# messages are set aside).  Afterwards, as after bats' run: $output,
# $lines and $status hold the native run; $log holds remaptrace's stderr.
both() {
	local d=$BATS_TEST_TMPDIR native_status=0 traced_status=0

	"$@" >"$d/native.out" 2>"$d/native.err" || native_status=$?
	"$REMAPTRACE" -- "$@" >"$d/traced.out" 2>"$d/traced.err" ||
		traced_status=$?
	log=$(<"$d/traced.err")
	output=$(<"$d/native.out")
	mapfile -t lines <"$d/native.out"
	status=$native_status
	grep -v -e '^\[pid [0-9]*\] ' -e '^remaptrace: ' "$d/traced.err" \
		>"$d/traced.own.err" || true

	if ! cmp -s "$d/native.out" "$d/traced.out"; then
		diff -u --label native --label remaptrace \
			"$d/native.out" "$d/traced.out" |
			batslib_decorate "stdout differs under remaptrace" |
			fail
		return
	fi
	if [ "$native_status" != "$traced_status" ]; then
		{ echo "native: $native_status, remaptrace: $traced_status"
		  echo "remaptrace stderr:"; cat "$d/traced.err"; } |
			batslib_decorate "exit status differs under remaptrace" |
			fail
		return
	fi
	if ! cmp -s "$d/native.err" "$d/traced.own.err"; then
		diff -u --label native --label remaptrace \
			"$d/native.err" "$d/traced.own.err" |
			batslib_decorate "the program's stderr differs under remaptrace" |
			fail
		return
	fi
}

# assert_log TEXT: some line of $log contains TEXT.
assert_log() {
	if ! grep -qF -- "$1" <<<"$log"; then
		batslib_print_kv_single_or_multi 8 "expected" "$1" "log" "$log" |
			batslib_decorate "the log lacks a line with this text" |
			fail
	fi
}

# refute_log TEXT: no line of $log contains TEXT.
refute_log() {
	if grep -qF -- "$1" <<<"$log"; then
		batslib_print_kv_single_or_multi 8 "unexpected" "$1" "log" "$log" |
			batslib_decorate "the log has a line with this text" |
			fail
	fi
}

# assert_log_calls N: $log has exactly N per-call lines.
assert_log_calls() {
	local n

	n=$(grep -c '^\[pid [0-9]*\] remap_file_pages(' <<<"$log" || true)
	if [ "$n" != "$1" ]; then
		batslib_print_kv_single_or_multi 8 "expected" "$1" "found" "$n" \
			"log" "$log" |
			batslib_decorate "wrong number of per-call log lines" |
			fail
	fi
}

# refused RULE SCENARIO...: the rfp scenario fails with EINVAL natively and
# under remaptrace alike, leaves everything as it was, and the log names
# RULE.
refused() {
	local rule=$1

	shift
	both "$PROGS/rfp" "$@"
	assert_success
	assert_line "result: -1 EINVAL"
	assert_log_calls 1
	assert_log "= -1 EINVAL ($rule)"
	refute_log "emulated"
}

# end_background: after a test that failed half-way, end the background
# job it left (its whole process group) and close the fifo descriptors.
end_background() {
	if [ -n "${bg_pid:-}" ] && kill -0 "$bg_pid" 2>/dev/null; then
		kill -KILL -- "-$bg_pid" 2>/dev/null || true
	fi
	exec 4>&- 5<&- 2>/dev/null || true
}

# guard SECONDS COMMAND...: run COMMAND as bats' run --separate-stderr
# does ($status, $output, $lines, $stderr), under timeout(1), in a process
# group of its own, with standard input from /dev/null; fail when it had
# to be stopped (a hang).  Whatever is left of the group afterwards is
# killed: a hung remaptrace whose parent timeout(1) killed must not hold
# bats' pipes open.
guard() {
	local secs=$1 d=$BATS_TEST_TMPDIR pid

	shift
	timeout --verbose -k 5 "$secs" "$@" </dev/null >"$d/guard.out" \
		2>"$d/guard.err" 3>&- &
	pid=$!
	status=0
	wait "$pid" || status=$?
	kill -KILL -- "-$pid" 2>/dev/null || true
	output=$(<"$d/guard.out")
	stderr=$(<"$d/guard.err")
	mapfile -t lines <"$d/guard.out"
	if grep -q '^timeout: sending signal' <<<"$stderr"; then
		fail "hang: timeout stopped '$*' (status $status); stderr: $stderr"
	fi
}
