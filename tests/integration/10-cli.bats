#!/usr/bin/env bats
# 10-cli.bats - the command line of remaptrace: options, how the program is
# found and run, exit statuses, and where the log goes.

load helpers

version() {
	sed -n 's/^VERSION *:= *//p' "$_repo/Makefile"
}

@test "cli: --help prints the usage and exits 0" {
	run "$REMAPTRACE" --help
	assert_success
	assert_output --partial "remaptrace"
	assert_output --partial "PROGRAM"
	# each option the contract names is described
	assert_output --regexp '(^|[[:space:]])-o[ ,=]'
	assert_output --regexp '(^|[[:space:]])-q[ ,]'
	assert_output --regexp '(^|[[:space:]])-v[ ,]'
	assert_output --partial -- "--version"
}

@test "cli: --version prints the version and exits 0" {
	run "$REMAPTRACE" --version
	assert_success
	assert_output --partial "remaptrace"
	assert_output --partial "$(version)"
}

@test "cli: an unknown option exits 125 with a message" {
	run --separate-stderr "$REMAPTRACE" --no-such-option -- "$PROGS/t-exit" code 0
	assert_equal "$status" 125
	assert_equal "$output" ""
	[[ $stderr == remaptrace:* ]] || fail "no remaptrace: message: $stderr"
}

@test "cli: -p PID exits 125 with the reason, not 'invalid option'" {
	local want='remaptrace: -p: cannot attach to a running process: a seccomp filter must be installed before exec; use `remaptrace explain -p PID ...` to judge a call against its mappings'
	run -125 --separate-stderr "$REMAPTRACE" -p 1
	assert_equal "$output" ""
	assert_equal "$stderr" "$want"
	# with other options, with a program, or with no PID: the same line
	run -125 --separate-stderr "$REMAPTRACE" -q -p "$$" -- "$PROGS/t-exit" code 0
	assert_equal "$output" ""
	assert_equal "$stderr" "$want"
	run -125 --separate-stderr "$REMAPTRACE" -p
	assert_equal "$stderr" "$want"
}

@test "cli: no program to run exits 125 with a message" {
	run --separate-stderr "$REMAPTRACE" --
	assert_equal "$status" 125
	[[ $stderr == remaptrace:* ]] || fail "no remaptrace: message: $stderr"
}

@test "cli: a log file that cannot be created exits 125 with a message" {
	run --separate-stderr "$REMAPTRACE" -o /nonexistent-dir/log -- \
		"$PROGS/t-exit" code 0
	assert_equal "$status" 125
	[[ $stderr == remaptrace:* ]] || fail "no remaptrace: message: $stderr"
}

@test "log: a log that cannot be written is said at once, and a program's 0 becomes 125" {
	local d=$BATS_TEST_TMPDIR
	[ -c /dev/full ] || skip "no /dev/full"
	"$PROGS/t-rep-db" shared "$d/native-db" >"$d/native" 2>&1
	# the program's own message comes after its calls: the failure must
	# be said before it, at the first call, not at exit
	run -125 --separate-stderr "$REMAPTRACE" -o /dev/full -- \
		"$PROGS/t-rep-db" shared "$d/db"
	assert_equal "$output" ""
	assert_equal "$stderr" "remaptrace: writing the log: No space left on device
$(cat "$d/native")"
}

@test "log: a log that cannot be written keeps a program's non-zero status" {
	[ -c /dev/full ] || skip "no /dev/full"
	run -3 --separate-stderr "$REMAPTRACE" -o /dev/full -- "$PROGS/t-exit" code 3
	assert_equal "$stderr" "remaptrace: writing the log: No space left on device"
}

@test "log: the -c table that cannot be written at exit fails the run too" {
	[ -c /dev/full ] || skip "no /dev/full"
	run -125 --separate-stderr "$REMAPTRACE" -q -c -o /dev/full -- "$PROGS/t-exit" code 0
	assert_equal "$stderr" "remaptrace: writing the log: No space left on device"
	# and a log that can be written leaves the status alone
	run -0 "$REMAPTRACE" -q -c -o /dev/null -- "$PROGS/t-exit" code 0
}

@test "log: a log pipe whose reader is gone (EPIPE) neither kills remaptrace nor passes for success" {
	command -v python3 >/dev/null || skip "python3 is not installed"
	# stderr, the log, is a pipe whose read end is closed before the start
	run -0 python3 -c '
import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stderr=w, stdout=subprocess.PIPE)
print(p.returncode, p.stdout.decode().replace("\n", "|"))
' "$REMAPTRACE" -- "$PROGS/t-rep-mix" 2 0
	assert_output "125 call 1: 0|call 2: 0|first page: P2|"
}

@test "cli: a program that is not found exits 127 with one line" {
	run -127 --separate-stderr "$REMAPTRACE" -- no-such-program-rt
	assert_equal "$output" ""
	assert_equal "$stderr" \
		"remaptrace: cannot run 'no-such-program-rt': No such file or directory"
}

@test "cli: a program that is not executable exits 126 with one line" {
	local f=$BATS_TEST_TMPDIR/not-executable
	printf '#!/bin/sh\nexit 0\n' >"$f"
	chmod 0644 "$f"
	run -126 --separate-stderr "$REMAPTRACE" -- "$f"
	assert_equal "$stderr" "remaptrace: cannot run '$f': Permission denied"
}

@test "cli: the program is found on PATH like execvp" {
	mkdir "$BATS_TEST_TMPDIR/bin"
	ln -s "$PROGS/t-exit" "$BATS_TEST_TMPDIR/bin/rt-onpath"
	PATH=$BATS_TEST_TMPDIR/bin:$PATH run -7 --separate-stderr \
		"$REMAPTRACE" -- rt-onpath code 7
	log=$stderr
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
}

@test "cli: the program's exit status is passed through" {
	local code
	for code in 0 1 42 255; do
		both "$PROGS/t-exit" code "$code"
		assert_equal "$status" "$code"
		assert_log_calls 1
	done
}

@test "cli: death by SIGTERM exits 143 and says killed by SIGTERM" {
	both "$PROGS/t-exit" signal 15
	assert_equal "$status" 143
	assert_log "killed by SIGTERM"
}

@test "cli: death by SIGSEGV exits 139 and says killed by SIGSEGV" {
	both "$PROGS/t-exit" signal 11
	assert_equal "$status" 139
	assert_log "killed by SIGSEGV"
}

@test "cli: death by SIGKILL exits 137 and says killed by SIGKILL" {
	both "$PROGS/t-exit" signal 9
	assert_equal "$status" 137
	assert_log "killed by SIGKILL"
}

@test "cli: arguments after the program are the program's, not options" {
	both sh -c 'printf "%s|" "$@"' sh -q -o x --help
	assert_success
	assert_output -- "-q|-o|x|--help|"
}

@test "cli: stdin reaches the program" {
	run --separate-stderr bash -c 'printf "one\ntwo\n" | "$1" -- cat' _ \
		"$REMAPTRACE"
	assert_success
	assert_output "$(printf 'one\ntwo')"
}

@test "cli: stdout belongs to the program, even with -v -v" {
	local d=$BATS_TEST_TMPDIR
	"$PROGS/rfp" file 0 1p 5 >"$d/native"
	run --separate-stderr "$REMAPTRACE" -v -v -- "$PROGS/rfp" file 0 1p 5
	assert_success
	assert_output "$(cat "$d/native")"
	log=$stderr
	assert_log "= 0 <emulated mmap("
}

@test "log: each call is one line, prefixed with the program's pid" {
	run --separate-stderr "$REMAPTRACE" -- "$PROGS/t-exit" pid
	assert_success
	[[ $output =~ ^pid\ ([0-9]+)$ ]] || fail "unexpected output: $output"
	log=$stderr
	assert_log_calls 1
	assert_log "[pid ${BASH_REMATCH[1]}] remap_file_pages("
}

@test "log: five calls make five lines" {
	both "$PROGS/t-exit" calls 5
	assert_success
	assert_log_calls 5
}

@test "log: each line is written whole, so the program's stderr cannot tear it" {
	# The log shares stderr with the program: a line written in pieces
	# can be cut by the program's own output.  strace watches remaptrace
	# alone (no -f), not the program.
	command -v strace >/dev/null ||
		skip "strace is not installed (Debian package strace)"
	local st=$BATS_TEST_TMPDIR/strace
	# LeakSanitizer cannot run under ptrace: off for this run only.
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
	run strace -qq -s 4096 -e trace=write -e signal=none -o "$st" \
		"$REMAPTRACE" -- "$PROGS/t-exit" calls 3
	assert_success
	run grep -c '^write(2, "\[pid [0-9]*] remap_file_pages(' "$st"
	assert_output 3
	run grep '^write(2, ' "$st"
	# Anchored on strace's "= N" so that an escaped quote inside the
	# text (a path, then ", 0)") cannot pass for the end of the string.
	refute_line --regexp '^write\(2, ".*[^n]", [0-9]+\) = [0-9]+$'
	refute_line --regexp '^write\(2, ".*[^\\]n", [0-9]+\) = [0-9]+$'
}

@test "cli: -o FILE writes the log to FILE, not to stderr" {
	local f=$BATS_TEST_TMPDIR/log
	run --separate-stderr "$REMAPTRACE" -o "$f" -- "$PROGS/t-exit" calls 3
	assert_success
	assert_equal "$stderr" ""
	log=$(<"$f")
	assert_log_calls 3
	assert_log "= 0 <emulated mmap("
}

@test "cli: -q prints no per-call lines" {
	run --separate-stderr "$REMAPTRACE" -q -- "$PROGS/t-exit" calls 3
	assert_success
	assert_equal "$stderr" ""
}

@test "cli: -q still reports death by signal" {
	run -143 --separate-stderr "$REMAPTRACE" -q -- "$PROGS/t-exit" signal 15
	[[ $stderr == *"killed by SIGTERM"* ]] ||
		fail "no killed by SIGTERM: $stderr"
}
