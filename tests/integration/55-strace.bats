#!/usr/bin/env bats
# 55-strace.bats - strace's habits that a strace user brings along: signal
# lines, -ff with -o (a file per process), -o '|command', -u USER, and the
# hint on pages past the end of the file that ends in SIGBUS.  Where the
# format is strace's, strace itself is the oracle.

load helpers

setup() {
	[ -x "$REMAPTRACE" ] ||
		fail "remaptrace is not built at $REMAPTRACE (run make)"
	[ -x "$PROGS/t-eof" ] && [ -x "$PROGS/t-exit" ] ||
		fail "the test programs are not built in $PROGS (run make)"
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (-u takes another user's credentials)"
}

# value_of NAME: the value of t-eof's "NAME: VALUE" line in $output.
value_of() {
	sed -n "s/^$1: //p" <<<"$output"
}

# ended PID: PID is not running: gone, or a zombie.
ended() {
	local st
	st=$(sed -E 's/.*\) (.).*/\1/' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "$st" = Z ] || [ "$st" = X ] || fail "process $1 still runs (state $st)"
}

teardown() {
	if [ -n "${shared_dir-}" ]; then rm -rf "$shared_dir"; fi
}

# --- signal lines ---

@test "signals: a SIGBUS past the end of the file is logged as strace logs it, before the death" {
	local d=$BATS_TEST_TMPDIR addr
	run -135 --separate-stderr "$REMAPTRACE" -- "$PROGS/t-eof" "$d" 4 12288 touch
	addr=$(value_of addr)
	[ -n "$addr" ] || fail "t-eof printed no address: $output"
	local pid
	pid=$(value_of pid)
	# the signal line, then the death, in this order and nothing between
	run -0 grep -A1 -F -- "--- SIGBUS" <<<"$stderr"
	assert_output "[pid $pid] --- SIGBUS {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=$addr} ---
[pid $pid] +++ killed by SIGBUS +++"
}

@test "signals: the siginfo text is strace's own: a fault, kill(2), a child's exit and death" {
	command -v strace >/dev/null || skip "strace is not installed"
	local d=$BATS_TEST_TMPDIR prog want got
	for prog in "$PROGS/t-eof $d 4 12288 touch" "$PROGS/t-exit signal 10" \
		    "sh -c '$PROGS/t-exit code 3; exit 0'" \
		    "sh -c '$PROGS/t-exit signal 15; exit 0'"; do
		eval "strace -f -qq -e trace=none -o '$d/strace.log' $prog" \
			>/dev/null 2>&1 || true
		eval "'$REMAPTRACE' -o '$d/rt.log' -- $prog" >/dev/null 2>&1 || true
		# pids, addresses and CPU ticks differ from run to run;
		# strace -f starts its lines with the pid, remaptrace with
		# [pid N]
		want=$(grep -E -e '--- SIG' "$d/strace.log" | norm_signal)
		got=$(grep -E -e '--- SIG' "$d/rt.log" | norm_signal)
		[ -n "$want" ] || fail "strace logged no signal for $prog"
		assert_equal "$got" "$want"
	done
}

# norm_signal: signal lines without what differs from run to run.
norm_signal() {
	sed -E 's/^(\[pid +[0-9]+\] |[0-9]+ +)//; s/0x[0-9a-f]+/ADDR/g;
		s/si_pid=[0-9]+/si_pid=P/; s/si_(u|s)time=[0-9]+/si_\1time=T/g'
}

@test "signals: -k shows the faulting thread's stack after a SIGBUS" {
	local d=$BATS_TEST_TMPDIR
	run -135 --separate-stderr "$REMAPTRACE" -k -- "$PROGS/t-eof" "$d" 4 12288 touch
	# the line after the SIGBUS line is a frame of t-eof's main
	run -0 grep -A1 -F -- "--- SIGBUS" <<<"$stderr"
	[[ ${lines[1]} == " > $PROGS/t-eof(main+0x"* ]] ||
		fail "no frame of main after the SIGBUS line: $output"
}

@test "signals: --json logs one signal object, escaped, before the exit object" {
	command -v jq >/dev/null || skip "jq is not installed (Debian package jq)"
	local d=$BATS_TEST_TMPDIR addr
	run -135 "$REMAPTRACE" --json -o "$d/log" -- "$PROGS/t-eof" "$d" 4 12288 touch
	addr=$(value_of addr)
	run -0 jq -c -r '.type' "$d/log"
	assert_output "call
signal
exit"
	run -0 jq -r 'select(.type == "signal") |
		[.signal, .code, .addr, .siginfo] | join(" ")' "$d/log"
	assert_output "SIGBUS BUS_ADRERR $addr {si_signo=SIGBUS, si_code=BUS_ADRERR, si_addr=$addr}"
}

@test "signals: -e signal=none and --signal=none leave them out, -q keeps only faults" {
	local d=$BATS_TEST_TMPDIR opt
	for opt in "-e signal=none" --signal=none; do
		# shellcheck disable=SC2086
		run -135 --separate-stderr "$REMAPTRACE" $opt -- "$PROGS/t-eof" "$d" 4 12288 touch
		[[ $stderr == *"+++ killed by SIGBUS +++"* ]] || fail "no death line: $stderr"
		[[ $stderr != *"--- SIG"* ]] || fail "$opt left a signal line: $stderr"
	done
	run -138 --separate-stderr "$REMAPTRACE" -q -- "$PROGS/t-exit" signal 10
	assert_equal "$stderr" "$(grep -F '+++ killed by SIGUSR1' <<<"$stderr")"
	[[ $stderr == *"+++ killed by SIGUSR1 +++" ]] || fail "no death line: $stderr"
	run -135 --separate-stderr "$REMAPTRACE" -q -- "$PROGS/t-eof" "$d" 4 12288 touch
	[[ $stderr == *"--- SIGBUS {"* ]] || fail "-q dropped the fault: $stderr"
	run -125 --separate-stderr "$REMAPTRACE" -e signal=some -- true
	[[ $stderr == "remaptrace: invalid signal set 'some'"* ]] || fail "$stderr"
}

# --- past the end of the file ---

@test "eof: a valid call past the end of the file says accesses will SIGBUS" {
	local d=$BATS_TEST_TMPDIR
	run -0 --separate-stderr "$REMAPTRACE" -- "$PROGS/t-eof" "$d" 4 12288
	assert_line "remap: 0"
	[[ $stderr == *"= 0 <emulated "*"; pgoff 12288 is past the end of the file (4 pages): accesses will SIGBUS */"* ]] ||
		fail "no past-the-end words: $stderr"
	# the last page of the file is no warning
	run -0 --separate-stderr "$REMAPTRACE" -- "$PROGS/t-eof" "$d" 4 3 touch
	assert_line "read: ok"
	[[ $stderr == *"= 0 <emulated"* ]] || fail "no call line: $stderr"
	[[ $stderr != *"past the end"* ]] || fail "a page in the file was warned about: $stderr"
}

@test "eof: --json carries past_eof, null when all is well" {
	command -v jq >/dev/null || skip "jq is not installed (Debian package jq)"
	local d=$BATS_TEST_TMPDIR
	run -0 "$REMAPTRACE" --json -o "$d/log" -- "$PROGS/t-eof" "$d" 2 5
	run -0 jq -r 'select(.type == "call") | .past_eof' "$d/log"
	assert_output "pgoff 5 is past the end of the file (2 pages): accesses will SIGBUS"
	run -0 "$REMAPTRACE" --json -o "$d/log" -- "$PROGS/t-eof" "$d" 2 1
	run -0 jq -r 'select(.type == "call") | .past_eof' "$d/log"
	assert_output "null"
}

# --- -ff ---

@test "-ff -o FILE: each process's records go to FILE.PID, without [pid N]" {
	local d=$BATS_TEST_TMPDIR p1 p2 sh f
	mkdir "$d/1" "$d/2"
	run -0 "$REMAPTRACE" -ff -o "$d/log" -- sh -c \
		"echo sh: \$\$; $PROGS/t-eof $d/1 4 1 & wait; $PROGS/t-eof $d/2 4 2"
	sh=$(value_of sh)
	p1=$(sed -n 1p <<<"$(value_of pid)")
	p2=$(sed -n 2p <<<"$(value_of pid)")
	[ -n "$p1" ] && [ -n "$p2" ] || fail "no pids: $output"
	[ -f "$d/log.$p1" ] || fail "no $d/log.$p1: $(ls "$d")"
	[ -f "$d/log.$p2" ] || fail "no $d/log.$p2: $(ls "$d")"
	run -0 cat "$d/log.$p1"
	assert_output --regexp '^remap_file_pages\(0x[0-9a-f]+, 4096, 0, 1, 0\) = 0 <emulated '
	run -0 cat "$d/log.$p2"
	assert_output --regexp '^remap_file_pages\(0x[0-9a-f]+, 4096, 0, 2, 0\) = 0 <emulated '
	# as strace, a file for every traced process, even sh, which has
	# nothing logged; no shared log, and no file but those
	[ -f "$d/log.$sh" ] || fail "no $d/log.$sh: $(ls "$d")"
	[ ! -e "$d/log" ] || fail "-ff wrote $d/log too"
	for f in "$d"/log.*; do
		case ${f##*.} in
		"$sh" | "$p1" | "$p2") ;;
		*) fail "$f belongs to no traced process";;
		esac
	done
	run -1 grep -rF "[pid " "$d"
}

@test "-ff without -o is -f: everything on standard error, with [pid N]" {
	local d=$BATS_TEST_TMPDIR
	run -0 --separate-stderr "$REMAPTRACE" -ff -- "$PROGS/t-eof" "$d" 4 1
	[[ $stderr =~ ^\[pid\ $(value_of pid)\]\ remap_file_pages ]] ||
		fail "no call line on stderr: $stderr"
	run -0 "$REMAPTRACE" -f -- "$PROGS/t-eof" "$d" 4 1
}

@test "-ff with a log pipe is refused with a message" {
	run -125 --separate-stderr "$REMAPTRACE" -ff -o '|cat' -- true
	[[ $stderr == "remaptrace: -ff needs -o FILE, not a pipe"* ]] || fail "$stderr"
}

# --- -o '|command' ---

@test "pipe: -o '|command' and '!command' feed the log to sh -c command, which is waited for" {
	local d=$BATS_TEST_TMPDIR spec
	for spec in "|" "!"; do
		rm -f "$d/piped" "$d/cmd.pid"
		run -0 "$REMAPTRACE" -o "${spec}echo \$\$ >$d/cmd.pid; cat >$d/piped; echo end >>$d/piped" \
			-- "$PROGS/t-eof" "$d" 4 1
		run -0 cat "$d/piped"
		assert_line --index 0 --regexp '^\[pid [0-9]+\] remap_file_pages\(.*, 4096, 0, 1, 0\) = 0 <emulated '
		assert_line --index 1 "end"
		# the command has ended when remaptrace has (gone, or a zombie
		# that init has still to reap): no stray process
		ended "$(cat "$d/cmd.pid")"
	done
}

@test "pipe: a log command that exits early is a failed log write: said at once, and status 125" {
	local d=$BATS_TEST_TMPDIR
	mkfifo "$d/fifo"
	# the command closes its end of the pipe, then lets the program
	# start its calls: every log write meets a pipe without a reader
	run -125 --separate-stderr "$REMAPTRACE" -o "|exec 0<&-; echo go >$d/fifo" \
		-- sh -c "read x <$d/fifo; $PROGS/t-eof $d 4 1"
	assert_line "remap: 0"
	assert_equal "$stderr" "remaptrace: writing the log: Broken pipe"
}

# --- -u USER ---

@test "-u USER: the program runs with the user's uid, gid and groups, and its calls are still emulated" {
	need_root
	local d=$BATS_TEST_TMPDIR
	id nobody >/dev/null 2>&1 || skip "no user nobody"
	run -0 --separate-stderr "$REMAPTRACE" -u nobody -- sh -c 'id -u; id -g; id -G'
	assert_output "$(id -u nobody)
$(id -g nobody)
$(id -G nobody)"
	# real, effective and saved, as the kernel keeps them; the program
	# works in a directory of its own, which the test's may not be
	shared_dir=$(mktemp -d /tmp/rt-u.XXXXXX)
	chmod 777 "$shared_dir"
	run -0 --separate-stderr "$REMAPTRACE" -u nobody -- sh -c \
		"grep -E '^(Uid|Gid|Groups):' /proc/self/status; $PROGS/t-eof $shared_dir 4 1"
	assert_line --regexp "^Uid:	$(id -u nobody)	$(id -u nobody)	$(id -u nobody)	"
	assert_line --regexp "^Gid:	$(id -g nobody)	$(id -g nobody)	$(id -g nobody)	"
	assert_line "remap: 0"
	[[ $stderr == *"= 0 <emulated "* ]] || fail "the call was not emulated: $stderr"
}

@test "-u USER: an unknown user, or a remaptrace that is not root, exits 125 with a message" {
	run -125 --separate-stderr "$REMAPTRACE" -u no-such-user-rt -- true
	assert_equal "$stderr" "remaptrace: -u: unknown user 'no-such-user-rt'"
	command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
	need_root
	run -125 --separate-stderr setpriv --reuid=nobody --regid=nogroup --clear-groups \
		"$REMAPTRACE" -u root -- true
	assert_equal "$stderr" "remaptrace: -u root: only root can run the program as another user (remaptrace runs as uid $(id -u nobody))"
}

# --- -v levels ---

@test "-v says how each call was emulated; -vv adds where its time went" {
	local d=$BATS_TEST_TMPDIR
	run -0 --separate-stderr "$REMAPTRACE" -v -- "$PROGS/t-eof" "$d" 4 1
	[[ $stderr == *"= 0 <emulated "*"> in "*" us via "*", by ptrace (2 stops) /*"* ]] ||
		fail "-v: $stderr"
	[[ $stderr == *"+++ exited with 0 +++"* ]] || fail "-v: no exit line: $stderr"
	run -0 --separate-stderr "$REMAPTRACE" -vv -- "$PROGS/t-eof" "$d" 4 1
	[[ $stderr =~ \(2\ stops\)\ \(receive\ [0-9.]+,\ rules\ [0-9.]+,\ file\ [0-9.]+,\ answer\ [0-9.]+,\ stop\ [0-9.]+,\ mmap\ [0-9.]+\ us\)\ /\* ]] ||
		fail "-vv: $stderr"
}

@test "-ff: with more processes than files kept open, every record lands in its own file" {
	local d=$BATS_TEST_TMPDIR f n=0
	mkdir "$d/srv"
	mkfifo "$d/in" "$d/out"
	# t-rep-serve makes a call, 40 other processes make theirs (its file
	# is closed meanwhile, 32 stay open), then it makes another: both of
	# its records must be in its file, in order
	run -0 "$REMAPTRACE" --signal=none -ff -o "$d/log" -- sh -c '
		"$1/t-rep-serve" "$2/srv" <"$2/in" >"$2/out" &
		exec 8>"$2/in" 9<"$2/out"
		while read -r n a <&9; do
			[ "$n" = ready ] && break
			[ "$n" = shared ] && s=$a
		done
		echo "$s 4096 0 1 0" >&8; read -r r <&9; echo "first $r"
		i=0
		while [ $i -lt 40 ]; do
			i=$((i + 1)); mkdir "$2/$i"
			"$1/t-eof" "$2/$i" 4 2 >/dev/null
		done
		echo "$s 4096 0 3 0" >&8; read -r r <&9; echo "second $r"
		echo "serve $!"
		exec 8>&-; wait' _ "$PROGS" "$d"
	assert_line "first result: 0"
	assert_line "second result: 0"
	local serve
	serve=$(sed -n 's/^serve //p' <<<"$output")
	run -0 grep -oE 'remap_file_pages\(0x[0-9a-f]+, 4096, 0, [0-9]+, 0\) = 0' "$d/log.$serve"
	assert_equal "$(sed -E 's/0x[0-9a-f]+/A/' <<<"$output")" "remap_file_pages(A, 4096, 0, 1, 0) = 0
remap_file_pages(A, 4096, 0, 3, 0) = 0"
	for f in "$d"/log.*; do
		[ "$f" = "$d/log.$serve" ] && continue
		# sh and each mkdir have a file too, with nothing in it
		[ -s "$f" ] || continue
		run -0 grep -c '^remap_file_pages(0x[0-9a-f]*, 4096, 0, 2, 0) = 0 <emulated ' "$f"
		assert_output 1
		n=$((n + 1))
	done
	assert_equal "$n" 40
}

# --- no_new_privs ---

@test "setuid: a set-user-ID program gains nothing under remaptrace, run by a non-root remaptrace or by a process that dropped root" {
	need_root
	command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
	local nobody as
	nobody=$(id -u nobody) || skip "no user nobody"
	as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	shared_dir=$(mktemp -d /tmp/rt-suid.XXXXXX)
	chmod 755 "$shared_dir"
	cp /usr/bin/id "$shared_dir/id"
	chmod 4755 "$shared_dir/id"
	# natively the set-user-ID bit makes nobody's id run as root
	run -0 "${as[@]}" "$shared_dir/id" -u
	[ "$output" = 0 ] || skip "the set-user-ID bit has no effect in $shared_dir (nosuid?)"
	# no_new_privs, set for the filter, holds for the whole traced tree
	run -0 --separate-stderr "${as[@]}" "$REMAPTRACE" -- "$shared_dir/id" -u
	assert_output "$nobody"
	run -0 --separate-stderr "$REMAPTRACE" -- "${as[@]}" "$shared_dir/id" -u
	assert_output "$nobody"
}
