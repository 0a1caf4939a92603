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
# Options for remaptrace, if any, come from the array BOTH_OPTS.
both() {
	local d=$BATS_TEST_TMPDIR native_status=0 traced_status=0

	"$@" >"$d/native.out" 2>"$d/native.err" || native_status=$?
	"$REMAPTRACE" ${BOTH_OPTS[@]+"${BOTH_OPTS[@]}"} -- "$@" \
		>"$d/traced.out" 2>"$d/traced.err" || traced_status=$?
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
# need_64bit_args WHY: skip with WHY when the test programs are 32-bit
# (make progs32; tests/run-i386.sh runs this file with them): a rule that
# needs a 64-bit argument to trigger cannot, as an i386 call's arguments
# are the low halves of its registers.
need_64bit_args() {
	local class

	class=$(od -An -tx1 -j4 -N1 "$PROGS/rfp" | tr -d ' ')
	[ "$class" != 01 ] || skip "i386: $1"
}

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

# assert_reaped STATUS [RUN]: after guard ... t-rob-reaper REMAPTRACE ...:
# remaptrace (the reaper's first child) exited STATUS and nothing it
# started outlived it.  RUN names the run in the failure.
assert_reaped() {
	local run=${2:+$2: }

	[[ $stderr == *"reaper: first exited $1"* ]] ||
		fail "${run}remaptrace did not exit $1: $stderr" || return
	[[ $stderr == *"reaper: left alive: none"* ]] ||
		fail "${run}processes outlived remaptrace: $stderr"
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

# --- programs driven in the background (40-robust, 45-agent) ---

# bg_start SECONDS COMMAND...: COMMAND in the background under timeout(1),
# its own process group; standard input from a fifo written on fd 4,
# standard output into a fifo read on fd 5, standard error into $bg_err.
# bg_pid is timeout's pid.
bg_start() {
	local d=$BATS_TEST_TMPDIR secs=$1

	shift
	rm -f "$d/in" "$d/out"
	mkfifo "$d/in" "$d/out"
	bg_err=$d/bg.err
	timeout --verbose -k 5 "$secs" "$@" <"$d/in" >"$d/out" \
		2>"$bg_err" 3>&- &
	bg_pid=$!
	exec 4>"$d/in" 5<"$d/out"
}

# bg_ready: read the program's "ready PID" line; sets prog_pid.
bg_ready() {
	local word

	read -r -t 30 -u 5 word prog_pid ||
		fail "no ready line from the program; stderr: $(<"$bg_err")"
	[ "$word" = ready ] || fail "expected 'ready PID', got '$word $prog_pid'"
}

# bg_finish: close the program's standard input, collect the rest of its
# output in $output/$lines and the job's exit status in $status; then kill
# whatever is left of the job's process group (see guard).
bg_finish() {
	local out=$BATS_TEST_TMPDIR/bg.out

	exec 4>&-
	# the job's end, not the fifo's EOF, bounds this: a leftover
	# process may hold the fifo open
	cat <&5 >"$out" &
	status=0
	wait "$bg_pid" || status=$?
	kill -KILL -- "-$bg_pid" 2>/dev/null || true
	wait $!
	exec 5<&-
	output=$(<"$out")
	mapfile -t lines <"$out"
	log=$(<"$bg_err")
	if grep -q '^timeout: sending signal' <<<"$log"; then
		fail "hang: timeout stopped the background job; stderr: $log"
	fi
}

# child_of PID: the pid of PID's only child.
child_of() {
	local c

	c=$(pgrep -P "$1" | head -n 1)
	[ -n "$c" ] || fail "process $1 has no child"
	echo "$c"
}

# tick: wait a hundredth of a second, as one step of a bounded poll.
tick() {
	[ -p "$BATS_TEST_TMPDIR/tick" ] || mkfifo "$BATS_TEST_TMPDIR/tick"
	read -r -t 0.01 <>"$BATS_TEST_TMPDIR/tick" || true
}

# wait_gone PID: poll until PID has exited (gone, or a zombie).
wait_gone() {
	local i s

	for ((i = 0; i < 3000; i++)); do
		s=$(cut -d' ' -f3 /proc/"$1"/stat 2>/dev/null) || return 0
		[[ $s == [ZX] ]] && return 0
		tick
	done
	fail "process $1 did not exit"
}

# Running a program as nobody (the privilege and attack tests, and some
# robustness tests): NOBODY is the command prefix; need_root and
# need_nobody skip, saying why, where it cannot be done.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)

need_root() {
	[ "$(id -u)" = 0 ] ||
		skip "needs root (root-owned files, running programs as nobody)"
}

need_nobody() {
	need_root
	command -v setpriv >/dev/null || skip "needs setpriv(1) (util-linux)"
	id -u nobody >/dev/null 2>&1 || skip "needs the user nobody"
	getent group nogroup >/dev/null || skip "needs the group nogroup"
}
