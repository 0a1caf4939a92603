#!/usr/bin/env bats
# 50-report.bats - what remaptrace tells a user debugging remap_file_pages:
# decoded log lines, caller stacks (-k), JSON Lines (--json), the summary
# (-c), the layout picture (--layout), the modes (check, deny, --inject),
# `remaptrace explain`, the man page, `make install`, and the worked
# example of doc/debugging-einval.md.  Wherever a program's result is in
# question, the kernel run natively is the oracle.

load helpers

setup_file() {
	# check mode's test counts a tracepoint; tracefs may need mounting
	# (root only; otherwise that test says what is missing).
	if [ ! -d /sys/kernel/tracing/events ] && [ "$(id -u)" = 0 ]; then
		mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null || true
	fi
}

setup() {
	[ -x "$REMAPTRACE" ] ||
		fail "remaptrace is not built at $REMAPTRACE (run make)"
	local p
	for p in rfp t-rep-mix t-rep-serve t-rep-db t-stack; do
		[ -x "$PROGS/$p" ] ||
			fail "the test program $p is not built in $PROGS (run make)"
	done
}

# both_opts OPTION... -- PROGRAM [ARG]...
# Like `both` (helpers.bash), with options for remaptrace: stdout and the
# exit status must be those of the native run.  Afterwards $output, $lines
# and $status hold the native run, $log remaptrace's stderr.
both_opts() {
	local d=$BATS_TEST_TMPDIR opts=() ns=0 ts=0

	while [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	"$@" >"$d/native.out" 2>"$d/native.err" || ns=$?
	"$REMAPTRACE" "${opts[@]}" -- "$@" >"$d/traced.out" \
		2>"$d/traced.err" || ts=$?
	log=$(<"$d/traced.err")
	output=$(<"$d/native.out")
	mapfile -t lines <"$d/native.out"
	status=$ns
	if ! cmp -s "$d/native.out" "$d/traced.out" || [ "$ns" != "$ts" ]; then
		{ echo "exit status: native $ns, remaptrace $ts"
		  diff -u --label native --label remaptrace "$d/native.out" \
			"$d/traced.out"
		  echo "remaptrace stderr:"; cat "$d/traced.err"
		} | batslib_decorate "the program saw something else under remaptrace ${opts[*]}" |
			fail
	fi
}

# assert_log_regex ERE: some line of $log matches ERE.
assert_log_regex() {
	if ! grep -qE -- "$1" <<<"$log"; then
		batslib_print_kv_single_or_multi 8 "regex" "$1" "log" "$log" |
			batslib_decorate "no line of the log matches" |
			fail
	fi
}

need_perf() {
	local ev=syscalls:sys_enter_remap_file_pages
	command -v perf >/dev/null ||
		skip "perf is not installed (Debian package linux-perf)"
	[ -d /sys/kernel/tracing/events ] ||
		skip "tracefs is not mounted at /sys/kernel/tracing (needs root: mount -t tracefs nodev /sys/kernel/tracing)"
	[ -d /sys/kernel/tracing/events/syscalls/sys_enter_remap_file_pages ] ||
		skip "the tracepoint $ev is missing (kernel built without CONFIG_FTRACE_SYSCALLS)"
	perf stat -x, -e "$ev" -o /dev/null -- true 2>"$BATS_TEST_TMPDIR/perf.err" ||
		skip "perf stat cannot count $ev: $(cat "$BATS_TEST_TMPDIR/perf.err")"
}

# kernel_runs COMMAND...: how many times the kernel's own remap_file_pages
# ran while COMMAND (and its children) ran, into $output.
kernel_runs() {
	local f=$BATS_TEST_TMPDIR/perf.csv
	perf stat -x, -e syscalls:sys_enter_remap_file_pages -o "$f" -- \
		"$@" >/dev/null 2>&1 || true
	output=$(awk -F, '$3 == "syscalls:sys_enter_remap_file_pages" { print $1 }' "$f")
}

# need_bpf_iter: whether explain can read each mapping's open file (root,
# and a kernel with BTF for the task_vma iterator).
need_bpf_iter() {
	[ "$(id -u)" = 0 ] && [ -r /sys/kernel/btf/vmlinux ]
}

need_jq() {
	command -v jq >/dev/null || skip "jq is not installed (Debian package jq)"
}

# --- t-rep-serve: a process with known mappings, for explain ---

# serve_start [DIR]: run t-rep-serve in the background on two fifos (its
# files and the fifos in DIR, by default $BATS_TEST_TMPDIR/srv); fd 8
# writes its commands, fd 9 reads its answers; ${addr[NAME]} holds the
# address of each of its mappings (and ${addr[thread]} its thread's id).  Every step blocks on a fifo: no sleep.
serve_start() {
	local d=${1:-$BATS_TEST_TMPDIR/srv} name a
	mkdir -p "$d"
	[ -p "$d/in" ] || mkfifo "$d/in" "$d/out"
	# serve_as: a command that runs it as another user (setpriv ...);
	# serve_args: its arguments after DIR (thread)
	${serve_as[@]+"${serve_as[@]}"} "$PROGS/t-rep-serve" "$d" \
		${serve_args[@]+"${serve_args[@]}"} <"$d/in" >"$d/out" 3>&- &
	serve_pid=$!
	exec 8>"$d/in" 9<"$d/out"
	declare -gA addr=()
	while read -r name a <&9; do
		[ "$name" = ready ] && return 0
		addr[$name]=$a
	done
	fail "t-rep-serve did not get ready"
}

# serve_call START SIZE PROT PGOFF FLAGS: the server makes the call
# natively; $reply gets "0" or "-1 ENAME".
serve_call() {
	local line
	echo "$*" >&8
	read -r line <&9 || fail "t-rep-serve did not answer"
	reply=${line#result: }
}

serve_stop() {
	exec 8>&-
	wait "$serve_pid"
	exec 9<&-
}

# explain_vs_kernel START SIZE PROT PGOFF [FLAGS]: explain's verdict and
# exit status must agree with what the kernel then answers the server
# (numbers only: the server reads numbers).
explain_vs_kernel() {
	local verdict want_status
	run "$REMAPTRACE" explain -p "$serve_pid" "$@"
	verdict=$(sed -n 's/^verdict: = \(0\|-1 [A-Z]*\).*/\1/p' <<<"$output")
	[ -n "$verdict" ] || fail "explain printed no verdict: $output"
	want_status=1
	[ "$verdict" = 0 ] && want_status=0
	assert_equal "$status" "$want_status"
	serve_call "$1" "$2" "$3" "$4" "${5:-0}"
	assert_equal "explain: $verdict" "explain: $reply"
}

# --- decoded log lines ---

@test "report: an emulated call shows the mmap it made, the time it took and the VMA at start" {
	both "$PROGS/rfp" file 0 1p 5
	assert_success
	assert_log_calls 1
	assert_log_regex '= 0 <emulated mmap\(0x[0-9a-f]+, 4096, PROT_READ\|PROT_WRITE, MAP_SHARED\|MAP_FIXED\|MAP_POPULATE, "[^"]*/A", 0x5000\)> in [0-9]+\.[0-9] us '
	assert_log_regex '/\* pgoff 5 = 0x5000 bytes; vma 0x[0-9a-f]+-0x[0-9a-f]+ rw-s shared "[^"]*/A" offset 0 \*/$'
}

@test "report: a refused call names the rule and the values that broke it" {
	both "$PROGS/rfp" private 0 1p 2
	assert_success
	assert_line "result: -1 EINVAL"
	local re='= -1 EINVAL \(the mapping at start is not VM_SHARED \(private, or a read-only open file\)\) <start (0x[0-9a-f]+) lies in a MAP_PRIVATE mapping of /[^>]*/A> /\* pgoff 2 = 0x2000 bytes; vma (0x[0-9a-f]+)-0x[0-9a-f]+ rw-p private "[^"]*/A" offset 0 \*/$'
	[[ $log =~ $re ]] || fail "log line does not match: $log"
	assert_equal "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
}

@test "report: a shared mapping of a file opened read-only is shown as lacking VM_SHARED" {
	both "$PROGS/rfp" rdonly 0 1p 2
	assert_success
	assert_log "whose file is open read-only (VM_MAYSHARE without VM_SHARED)>"
	assert_log_regex 'vma 0x[0-9a-f]+-0x[0-9a-f]+ r--s shared without VM_SHARED "'
}

@test "report: private anonymous memory is named as such" {
	both "$PROGS/rfp" anon 0 1p 2
	assert_success
	assert_log_regex '<start 0x[0-9a-f]+ lies in private anonymous memory> .* rw-p private "\[anon\]"'
}

@test "report: a non-zero prot is shown by name" {
	both "$PROGS/rfp" file 0 1p 5 1
	assert_success
	assert_log "remap_file_pages("
	assert_log ", 4096, PROT_READ, 5, 0) = -1 EINVAL (prot must be 0) <prot is PROT_READ, not 0>"
}

@test "report: a size under one page says how big it is" {
	both "$PROGS/rfp" file 0 100 0
	assert_success
	assert_log "<size 100 is less than one page (4096 bytes)>"
}

@test "report: a range into another file names both files" {
	both "$PROGS/rfp" twofiles 0 4p 0
	assert_success
	assert_log_regex '<the mapping at 0x[0-9a-f]+ maps /[^ ]*/B, not /[^ ]*/A>'
}

@test "report: a range into a mapping with other protections names the flags that differ" {
	both "$PROGS/rfp" prot 0 4p 0
	assert_success
	assert_log_regex '<the mapping at 0x[0-9a-f]+ \(r--s\) differs from the one at start \(rw-s\) in VmFlags: lacks wr>'
}

@test "report: a range across a hole says where the mappings stop" {
	both "$PROGS/rfp" hole 0 4p 0
	assert_success
	assert_log_regex '<the mappings stop at 0x[0-9a-f]+ and the next begins at 0x[0-9a-f]+, short of start \+ size = 0x[0-9a-f]+>'
}

@test "report: a pgoff past the largest file offset shows the limit" {
	both "$PROGS/rfp" file 0 1p 0x8000000000000
	assert_success
	assert_line "result: -1 EOVERFLOW"
	assert_log "= -1 EOVERFLOW (pgoff lies beyond the largest file offset) <pgoff 0x8000000000000 with 4096 bytes passes the largest file offset 0x7fffffffffffffff>"
}

@test "report: flags are decoded by name" {
	both "$PROGS/rfp" file 0 1p 5 0 0x10000
	assert_success
	assert_log ", 4096, 0, 5, MAP_NONBLOCK) = 0 <emulated mmap("
	assert_log "MAP_SHARED|MAP_FIXED|MAP_POPULATE|MAP_NONBLOCK"
}

@test "report: -v names how the open file was reached" {
	both_opts -v -- "$PROGS/rfp" file 0 1p 5
	assert_log_regex '> in [0-9.]+ us via [a-z_-]+, by (the agent|ptrace \([0-9]+ stops\)) /\*'
}

# --- -k: the caller's stack ---

@test "stack: -k shows the caller's functions after an emulated call" {
	both_opts -k -- "$PROGS/t-stack" valid
	assert_output "result: 0"
	assert_log "= 0 <emulated mmap("
	assert_log_regex "^ > $PROGS/t-stack\(rt_stack_caller\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$"
	assert_log_regex "^ > $PROGS/t-stack\(rt_stack_outer\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$"
	assert_log_regex "^ > $PROGS/t-stack\(main\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$"
}

@test "stack: -k shows the caller's functions after a refused call" {
	both_opts -k -- "$PROGS/t-stack" invalid
	assert_output "result: -1 EINVAL"
	assert_log "= -1 EINVAL (the mapping at start is not VM_SHARED"
	assert_log_regex "^ > $PROGS/t-stack\(rt_stack_caller\+0x[0-9a-f]+\) \[0x[0-9a-f]+\]$"
}

@test "stack: the innermost frame is the C library's syscall wrapper" {
	both_opts -k -- "$PROGS/t-stack" valid
	local first
	first=$(grep -m1 '^ > ' <<<"$log")
	[[ $first =~ ^\ \>\ /.*libc[.-].*\(syscall\+0x[0-9a-f]+\)\ \[0x[0-9a-f]+\]$ ]] ||
		fail "the first frame is not libc's syscall(): $first"
}

@test "stack: the frames leave in the same write as their call line" {
	command -v strace >/dev/null ||
		skip "strace is not installed (Debian package strace)"
	local st=$BATS_TEST_TMPDIR/strace
	# LeakSanitizer (make check-asan) cannot work under ptrace
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		run strace -qq -s 65536 -e trace=write -e signal=none -o "$st" \
		"$REMAPTRACE" -k -- "$PROGS/t-stack" valid
	assert_success
	run grep -c '^write(2, "\[pid [0-9]*\] remap_file_pages(.*\\n > .*rt_stack_caller+' "$st"
	assert_output 1
	run grep -c '^write(2, " > ' "$st"
	assert_output 0
}

# --- --json ---

@test "json: every line of the log is a JSON object: one per call, then the exit" {
	need_jq
	local f=$BATS_TEST_TMPDIR/log.json
	run -0 "$REMAPTRACE" --json -o "$f" -- "$PROGS/t-rep-mix" 3 2
	run -0 jq -e -c . "$f"
	run jq -r '.type' "$f"
	assert_output "$(printf 'call\ncall\ncall\ncall\ncall\nexit')"
	run jq -r 'select(.type == "call") | "\(.seq) \(.outcome) \(.result) \(.errno)"' "$f"
	assert_output "$(printf '1 emulated 0 null\n2 emulated 0 null\n3 emulated 0 null\n4 rejected -1 EINVAL\n5 rejected -1 EINVAL')"
	run jq -r 'select(.type == "exit") | "\(.exit_code) \(.signal)"' "$f"
	assert_output "0 null"
}

@test "json: a call has the documented fields" {
	need_jq
	local f=$BATS_TEST_TMPDIR/log.json
	run -0 "$REMAPTRACE" --json -o "$f" -- "$PROGS/t-rep-mix" 1 1
	# every key the man page documents for a call, and no other
	run jq -r -s '.[0] | keys_unsorted | join(" ")' "$f"
	assert_output "type time pid tid seq args vma outcome result errno errno_num reason culprit emulation latency_us past_eof"
	run jq -r -s '.[0] | "\(.args.size) \(.args.pgoff) \(.args.offset) \(.vma.perms) \(.vma.vm_shared) \(.emulation.length) \(.emulation.offset) \(.emulation.flags)"' "$f"
	assert_output "4096 1 0x1000 rw-s true 4096 0x1000 MAP_SHARED|MAP_FIXED|MAP_POPULATE"
	run jq -r -s '.[0].time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\\.[0-9]{6}Z$")' "$f"
	assert_output true
	run jq -r -s '.[0] | (.pid == .tid) and (.latency_us > 0)' "$f"
	assert_output true
}

@test "json: a refused call carries the rule's code, text and the values in words" {
	need_jq
	local f=$BATS_TEST_TMPDIR/log.json
	run -0 "$REMAPTRACE" --json -o "$f" -- "$PROGS/t-rep-mix" 0 1
	run jq -r 'select(.type == "call") | "\(.errno) \(.errno_num) \(.reason.code)|\(.reason.text)|\(.reason.detail)|\(.emulation)"' "$f"
	assert_output --regexp '^EINVAL 22 not-shared\|the mapping at start is not VM_SHARED \(private, or a read-only open file\)\|start 0x[0-9a-f]+ lies in private anonymous memory\|null$'
}

@test "json: -k adds the stack with the caller's function, --layout the picture" {
	need_jq
	local f=$BATS_TEST_TMPDIR/log.json
	run -0 "$REMAPTRACE" --json -k --layout -o "$f" -- "$PROGS/t-stack" valid
	run jq -r 'select(.type == "call") | .stack[] | select(.function == "rt_stack_caller") | .module' "$f"
	assert_output "$PROGS/t-stack"
	run jq -r 'select(.type == "call") | .layout' "$f"
	assert_output --regexp '^0x[0-9a-f]+ \[1 1\]$'
}

@test "json: a path with quotes, backslashes, control bytes and invalid UTF-8 stays valid JSON" {
	local f=$BATS_TEST_TMPDIR/log.json
	# the memfd's name: q " b \ t TAB c 0x01 i 0xff (invalid UTF-8) é
	run -0 "$REMAPTRACE" --json -o "$f" -- "$PROGS/t-rep-mix" 1 0 \
		$'q"b\\t\tc\x01i\xff\xc3\xa9'
	run python3 -c '
import json, sys
for line in open(sys.argv[1], "rb"):
    line.decode("utf-8")          # strict: every byte valid UTF-8
    d = json.loads(line)
    if d["type"] == "call":
        print(ascii(d["vma"]["name"]))
' "$f"
	assert_success
	assert_output "'/memfd:q\"b\\\\t\\tc\\x01i\\xff\\xe9 (deleted)'"
}

@test "json: a program killed by a signal ends with an exit object naming it" {
	need_jq
	local f=$BATS_TEST_TMPDIR/log.json
	run -143 "$REMAPTRACE" --json -o "$f" -- "$PROGS/t-exit" signal 15
	run jq -r 'select(.type == "exit") | "\(.exit_code) \(.signal) \(.core_dumped)"' "$f"
	assert_output "null SIGTERM false"
}

# --- -c: the summary ---

@test "summary: -c counts 3 emulated and 2 EINVAL calls with their rule" {
	both_opts -c -- "$PROGS/t-rep-mix" 3 2
	assert_success
	assert_log_calls 5
	assert_log_regex '^ +3 +[0-9.]+ +[0-9.]+ 0 +emulated$'
	assert_log_regex '^ +2 +[0-9.]+ +[0-9.]+ EINVAL +not-shared: the mapping at start is not VM_SHARED \(private, or a read-only open file\)$'
	assert_log_regex '^ +5 +[0-9.]+ +[0-9.]+ +total \(p99 [0-9.]+ us\)$'
}

@test "summary: -q -c prints the table alone" {
	run --separate-stderr "$REMAPTRACE" -q -c -- "$PROGS/t-rep-mix" 2 0
	assert_success
	log=$stderr
	assert_log_calls 0
	assert_equal "$(grep -c . <<<"$log")" 5
	assert_log_regex '^ +2 +[0-9.]+ +[0-9.]+ 0 +emulated$'
}

@test "summary: rows count each outcome: injected, refused by rule" {
	run -0 --separate-stderr "$REMAPTRACE" -c --inject=EIO@1 -- "$PROGS/rfp" twofiles 0 4p 0
	log=$stderr
	assert_log_regex '^ +1 +[0-9.]+ +[0-9.]+ EIO +failed on purpose by --inject$'
	both_opts -c -- "$PROGS/rfp" twofiles 0 4p 0
	assert_log_regex '^ +1 +[0-9.]+ +[0-9.]+ EINVAL +span-file: the range crosses into a mapping of another open file$'
}

@test "summary: with --json, the summary is one last object" {
	need_jq
	local f=$BATS_TEST_TMPDIR/log.json
	run -0 "$REMAPTRACE" --json -c -o "$f" -- "$PROGS/t-rep-mix" 3 2
	run jq -r 'select(.type == "summary") | "\(.calls) " + ([.rows[] | "\(.outcome)/\(.errno)/\(.reason)=\(.calls)"] | join(" "))' "$f"
	assert_output "5 emulated/null/null=3 rejected/EINVAL/not-shared=2"
	run jq -r -s 'last | .type, (.latency_us.p99 >= .latency_us.avg)' "$f"
	assert_output "$(printf 'summary\ntrue')"
}

# --- --layout ---

@test "layout: a one-page remap shows the permutation [3 1 2 3]" {
	both_opts --layout -- "$PROGS/rfp" file 0 1p 3
	assert_line "area: P0003 P0001 P0002 P0003"
	assert_log_regex '^ layout 0x[0-9a-f]+ \[3 1 2 3\]$'
}

@test "layout: a window rearranged page by page is shown whole after each call" {
	local d=$BATS_TEST_TMPDIR
	run -0 --separate-stderr "$REMAPTRACE" --layout -- "$PROGS/t-rep-db" shared "$d/db"
	log=$stderr
	run grep '^ layout ' <<<"$log"
	assert_output --regexp '^ layout (0x[0-9a-f]+) \[3 1 2 3\]
 layout \1 \[3 1 2 0\]$'
}

@test "layout: a refused call draws no picture" {
	both_opts --layout -- "$PROGS/rfp" private 0 1p 2
	refute_log " layout "
}

# --- modes ---

@test "mode check: the program sees what it sees natively" {
	both_opts --mode=check -- "$PROGS/t-rep-mix" 3 2
	assert_line "call 3: 0"
	assert_line "call 5: -1 EINVAL"
	assert_line "first page: P3"
	assert_log_calls 5
	assert_log "= ? <valid, passed to the kernel>"
	assert_log "= -1 EINVAL (the mapping at start is not VM_SHARED"
	both_opts --mode=check -- "$PROGS/rfp" -w file 1p 2p 6
	assert_line "area: P0000 P0006 P0007 P0003"
}

@test "mode check: the kernel runs the valid calls and only those" {
	need_perf
	kernel_runs "$PROGS/t-rep-mix" 3 2
	assert_output 5
	kernel_runs "$REMAPTRACE" --mode=check -- "$PROGS/t-rep-mix" 3 2
	assert_output 3
	kernel_runs "$REMAPTRACE" -- "$PROGS/t-rep-mix" 3 2
	assert_output 0
}

@test "mode check: with -k the log shows the kernel's own result" {
	both_opts --mode=check -k -- "$PROGS/rfp" file 0 1p 5
	assert_log "= 0 <valid, run by the kernel>"
	both_opts --mode=check -k -- "$PROGS/rfp" file 0 1p 0x7fffffffffffe
	assert_log "= 0 <valid, run by the kernel>"
	both_opts --mode=check -k -- "$PROGS/rfp" -w sealed 0 1p 5
	[ "$status" -ne 77 ] || skip "mseal needs Linux 6.10"
	assert_line "result: -1 EPERM"
	assert_log "= -1 EPERM <valid, run by the kernel>"
}

@test "mode deny: every call fails with ENOSYS and the kernel runs none" {
	run -0 --separate-stderr "$REMAPTRACE" --mode=deny -- "$PROGS/t-rep-mix" 2 1
	assert_output "$(printf 'call 1: -1 ENOSYS\ncall 2: -1 ENOSYS\ncall 3: -1 ENOSYS\nfirst page: P0')"
	log=$stderr
	assert_log_calls 3
	assert_log "= -1 ENOSYS (denied by --mode=deny)"
	need_perf
	kernel_runs "$REMAPTRACE" --mode=deny -- "$PROGS/t-rep-mix" 2 1
	assert_output 0
}

@test "mode deny: an errno given by name or number is the answer" {
	run -0 --separate-stderr "$REMAPTRACE" --mode=deny=EPERM -- "$PROGS/t-rep-mix" 1 0
	assert_line "call 1: -1 EPERM"
	run -0 --separate-stderr "$REMAPTRACE" --mode=deny=13 -- "$PROGS/t-rep-mix" 1 0
	assert_line "call 1: -1 EACCES"
}

@test "mode: an unknown mode or errno exits 125 with a message" {
	local m
	for m in fast deny=EFOO deny= deny=0 denyx; do
		run --separate-stderr "$REMAPTRACE" --mode="$m" -- "$PROGS/t-exit" code 0
		assert_equal "$status" 125
		[[ $stderr == remaptrace:* ]] || fail "--mode=$m: no message: $stderr"
	done
}

@test "inject: EIO@2 fails the second call only" {
	run -0 --separate-stderr "$REMAPTRACE" --inject=EIO@2 -- "$PROGS/t-rep-mix" 3 0
	assert_output "$(printf 'call 1: 0\ncall 2: -1 EIO\ncall 3: 0\nfirst page: P3')"
	log=$stderr
	assert_log "= -1 EIO (INJECTED)"
	assert_equal "$(grep -c INJECTED <<<"$log")" 1
}

@test "inject: ENOMEM@2+ fails the second call and every later one" {
	run -0 --separate-stderr "$REMAPTRACE" --inject=ENOMEM@2+ -- "$PROGS/t-rep-mix" 2 2
	assert_output "$(printf 'call 1: 0\ncall 2: -1 ENOMEM\ncall 3: -1 ENOMEM\ncall 4: -1 ENOMEM\nfirst page: P1')"
}

@test "inject: the errno may be a number, and an injected call is never run" {
	run -0 --separate-stderr "$REMAPTRACE" --inject=1@1 -- "$PROGS/t-rep-mix" 1 0
	assert_output "$(printf 'call 1: -1 EPERM\nfirst page: P0')"
}

# calls_of PROGRAM...: run PROGRAM and keep its "call N: ..." lines, joined by
# spaces, in $output ("1:0 2:ENOMEM 3:0"); a run that fails is a failure.
calls_of() {
	run -0 --separate-stderr "$@"
	output=$(sed -n 's/^call \([0-9]*\): \(-1 \)\{0,1\}\(.*\)$/\1:\3/p' <<<"$output" | tr '\n' ' ')
	output=${output% }
}

@test "inject: repeated --inject rules combine: ENOMEM@2 and EPERM@4" {
	calls_of "$REMAPTRACE" --inject=ENOMEM@2 --inject=EPERM@4 -- "$PROGS/t-rep-mix" 5 0
	assert_output "1:0 2:ENOMEM 3:0 4:EPERM 5:0"
	assert_equal "$(grep -c '(INJECTED)' <<<"$stderr")" 2
}

@test "inject: a later rule decides a call that an earlier one names too" {
	calls_of "$REMAPTRACE" --inject=ENOMEM@2+ --inject=EPERM@3 -- "$PROGS/t-rep-mix" 4 0
	assert_output "1:0 2:ENOMEM 3:EPERM 4:ENOMEM"
}

@test "inject: N+S fails the Nth call and every Sth after it" {
	calls_of "$REMAPTRACE" --inject=EIO@2+3 -- "$PROGS/t-rep-mix" 8 0
	assert_output "1:0 2:EIO 3:0 4:0 5:EIO 6:0 7:0 8:EIO"
}

@test "inject: strace's -e inject=remap_file_pages:error=ERRNO:when=... works alike" {
	local e=inject=remap_file_pages
	calls_of "$REMAPTRACE" -e "$e:error=ENOMEM:when=2" -- "$PROGS/t-rep-mix" 3 0
	assert_output "1:0 2:ENOMEM 3:0"
	calls_of "$REMAPTRACE" -e "$e:when=2+:error=EPERM" -- "$PROGS/t-rep-mix" 3 0
	assert_output "1:0 2:EPERM 3:EPERM"
	calls_of "$REMAPTRACE" -e "$e:error=5:when=1+2" -- "$PROGS/t-rep-mix" 4 0
	assert_output "1:EIO 2:0 3:EIO 4:0"
	# strace's default when is every call
	calls_of "$REMAPTRACE" -e "$e:error=EACCES" -- "$PROGS/t-rep-mix" 2 0
	assert_output "1:EACCES 2:EACCES"
	# and it combines with --inject
	calls_of "$REMAPTRACE" -e "$e:error=ENOMEM:when=1" --inject=EPERM@3 -- "$PROGS/t-rep-mix" 3 0
	assert_output "1:ENOMEM 2:0 3:EPERM"
}

@test "inject: a malformed spec exits 125 with a message" {
	local s
	for s in EIO EIO@ @2 EIO@0 EIO@x EIO@2x EIO@2++ EFOO@1 0@1 EIO@-1 "EIO @1" \
		EIO@2+0 EIO@2+x EIO@2+3+ EIO@+2; do
		run --separate-stderr "$REMAPTRACE" --inject="$s" -- "$PROGS/t-exit" code 0
		assert_equal "--inject=$s: $status" "--inject=$s: 125"
		[[ $stderr == "remaptrace: invalid --inject"* ]] ||
			fail "--inject=$s: no message: $stderr"
	done
	for s in trace=all inject=mmap:error=EIO inject=remap_file_pages \
		inject=remap_file_pagesx:error=EIO \
		inject=remap_file_pages:error=EFOO \
		inject=remap_file_pages:error=EIO:when=0 \
		inject=remap_file_pages:error=EIO:when=2+0 \
		inject=remap_file_pages:error=EIO:error=EPERM \
		inject=remap_file_pages:retval=0 \
		inject=remap_file_pages:error=EIO:signal=SIGSEGV; do
		run --separate-stderr "$REMAPTRACE" -e "$s" -- "$PROGS/t-exit" code 0
		assert_equal "-e $s: $status" "-e $s: 125"
		[[ $stderr == "remaptrace: invalid -e '$s'"* ]] ||
			fail "-e $s: no message: $stderr"
	done
}

# --- -Z, -z, -T, -t, -r: strace's filters and times ---

# log_of OPTION...: run t-rep-mix 2 2 with --inject=EIO@1 (calls: 1 injected
# EIO, 2 emulated, 3 and 4 refused EINVAL) under remaptrace OPTION..., the
# program's output checked; $log gets the log, $calls its call lines.
log_of() {
	local f=$BATS_TEST_TMPDIR/log
	run -0 "$REMAPTRACE" --inject=EIO@1 "$@" -o "$f" -- "$PROGS/t-rep-mix" 2 2
	assert_output "$(printf 'call 1: -1 EIO\ncall 2: 0\ncall 3: -1 EINVAL\ncall 4: -1 EINVAL\nfirst page: P2')"
	[ -f "$f" ] || fail "no log"
	log=$(<"$f")
	calls=$(grep -E '^\[pid [0-9]+\] ' "$f" || true)
}

@test "filter: -Z logs only the calls that returned -1, -z only the others" {
	log_of -Z
	assert_equal "$(wc -l <<<"$calls")" 3
	assert_equal "$(grep -c ') = -1 E' <<<"$calls")" 3
	assert_log "= -1 EIO (INJECTED)"
	log_of --failed-only
	assert_equal "$(grep -c ') = -1 E' <<<"$calls")" 3
	log_of -z
	assert_equal "$(wc -l <<<"$calls")" 1
	assert_log_regex '^\[pid [0-9]+\] remap_file_pages\(0x[0-9a-f]+, 4096, 0, [0-9]+, 0\) = 0 <emulated mmap\('
	log_of --successful-only
	assert_equal "$(wc -l <<<"$calls")" 1
	# -c still counts every call
	log_of -Z -c
	assert_log_regex '^ +4 +[0-9.]+ +[0-9.]+ +total'
}

@test "filter: of -z and -Z the last takes effect, with strace's warning" {
	run -0 --separate-stderr "$REMAPTRACE" -z -Z -- "$PROGS/t-rep-mix" 1 1
	assert_equal "$(grep -c '^remaptrace: only the last of -z and -Z takes effect$' <<<"$stderr")" 1
	assert_equal "$(grep -c '^\[pid [0-9]*\] remap_file_pages(' <<<"$stderr")" 1
	assert_equal "$(grep -c ') = -1 EINVAL' <<<"$stderr")" 1
}

@test "times: -T ends every call line with the call's time in seconds, <S.UUUUUU>" {
	log_of -T
	assert_equal "$(wc -l <<<"$calls")" 4
	assert_equal "$(grep -cE ' \*/ <[0-9]+\.[0-9]{6}>$' <<<"$calls")" 4
	log_of --syscall-times
	assert_equal "$(grep -cE ' \*/ <[0-9]+\.[0-9]{6}>$' <<<"$calls")" 4
	log_of
	assert_equal "$(grep -cE '<[0-9]+\.[0-9]{6}>$' <<<"$calls")" 0
}

@test "times: -t, -tt and -ttt put the time of the call after [pid N], as strace" {
	local t0 t1 t s
	t0=$(date +%s)
	TZ=UTC0 log_of -ttt
	t1=$(date +%s)
	assert_equal "$(grep -cE '^\[pid [0-9]+\] [0-9]+\.[0-9]{6} remap_file_pages\(' <<<"$calls")" 4
	for t in $(sed -E 's/^\[pid [0-9]+\] ([0-9]+)\..*/\1/' <<<"$calls"); do
		[ "$t" -ge "$t0" ] && [ "$t" -le "$t1" ] ||
			fail "-ttt: $t is not between $t0 and $t1"
	done
	TZ=UTC0 log_of -tt
	assert_equal "$(grep -cE '^\[pid [0-9]+\] [0-2][0-9]:[0-5][0-9]:[0-6][0-9]\.[0-9]{6} remap_file_pages\(' <<<"$calls")" 4
	t0=$(date +%s)
	TZ=UTC0 log_of -t
	t1=$(date +%s)
	assert_equal "$(grep -cE '^\[pid [0-9]+\] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] remap_file_pages\(' <<<"$calls")" 4
	# the time of day in UTC, within the run (unless it spans midnight)
	for s in $(sed -E 's/^\[pid [0-9]+\] ([0-9:]+) .*/\1/' <<<"$calls"); do
		t=$((10#${s:0:2} * 3600 + 10#${s:3:2} * 60 + 10#${s:6:2}))
		[ $((t0 / 86400)) = $((t1 / 86400)) ] || continue
		[ "$t" -ge $((t0 % 86400)) ] && [ "$t" -le $((t1 % 86400)) ] ||
			fail "-t: $s (UTC) is not between the start and the end of the run"
	done
}

@test "times: -r gives the time since the previous line, 0.000000 first, as strace" {
	local prev= t d rest line
	log_of -r
	assert_equal "$(grep -cE '^\[pid [0-9]+\]  *[0-9]+\.[0-9]{6} remap_file_pages\(' <<<"$calls")" 4
	assert_log_regex '^\[pid [0-9]+\]      0\.000000 remap_file_pages\(0x[0-9a-f]+, 4096, 0, [0-9]+, 0\) = -1 EIO'
	# with -ttt, each delta is the difference of the absolute times
	log_of -ttt -r
	while IFS= read -r line; do
		[[ $line =~ ^\[pid\ [0-9]+\]\ ([0-9]+)\.([0-9]{6})\ \(\+\ *([0-9]+)\.([0-9]{6})\)\ remap_file_pages\( ]] ||
			fail "not -ttt -r: $line"
		t=$((BASH_REMATCH[1] * 1000000 + 10#${BASH_REMATCH[2]}))
		d=$((BASH_REMATCH[3] * 1000000 + 10#${BASH_REMATCH[4]}))
		if [ -z "$prev" ]; then
			assert_equal "first delta: $d" "first delta: 0"
		else
			# both are truncated to microseconds: one apart at most
			rest=$((t - prev - d))
			[ "$rest" -ge -1 ] && [ "$rest" -le 1 ] ||
				fail "delta $d us, but the times differ by $((t - prev)) us"
		fi
		prev=$t
	done <<<"$calls"
	[ -n "$prev" ] || fail "no call lines"
}

# --- explain ---

@test "explain: each refusal it predicts is the kernel's answer" {
	serve_start
	local a=${addr[shared]}
	explain_vs_kernel "${addr[private]}" 4096 0 1
	explain_vs_kernel "${addr[rdonly]}" 4096 0 1
	explain_vs_kernel "${addr[anon]}" 4096 0 1
	explain_vs_kernel "${addr[twofiles]}" 16384 0 0
	explain_vs_kernel "${addr[prot]}" 16384 0 0
	explain_vs_kernel "${addr[hole]}" 16384 0 0
	explain_vs_kernel "$a" 4096 1 0
	explain_vs_kernel "$a" 100 0 0
	explain_vs_kernel "$a" 4096 0 0xffffffffffffffff
	explain_vs_kernel "$a" 4096 0 0x8000000000000
	explain_vs_kernel 0x1000 4096 0 0
	serve_stop
}

@test "explain: a valid call is judged valid, with the mmap that would emulate it, and the kernel agrees" {
	serve_start
	local a=${addr[shared]}
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "$a" 4096 0 3
	assert_line "verdict: = 0 (the call is valid)"
	assert_line --regexp "^mmap: +mmap\($a, 4096, PROT_READ\|PROT_WRITE, MAP_SHARED\|MAP_FIXED\|MAP_POPULATE, \"[^\"]*/srv/A\", 0x3000\)$"
	assert_line --regexp "^vma: +$a-0x[0-9a-f]+ rw-s shared \"[^\"]*/srv/A\" offset 0$"
	explain_vs_kernel "$a" 4096 0 3
	# the remap split the mapping: a range over both parts is still
	# valid; root reads that they are one open file (BPF iterator),
	# without that privilege the parts could as well be two open files
	if need_bpf_iter; then
		explain_vs_kernel "$a" 16384 0 4 0x10000
	else
		run -2 "$REMAPTRACE" explain -p "$serve_pid" "$a" 16384 0 4 0x10000
		assert_line --partial "verdict: cannot tell: = 0 if its 2 mappings of "
		serve_call "$a" 16384 0 4 0x10000
		assert_equal "$reply" "0"
	fi
	serve_stop
}

@test "explain: a refusal is explained with the rule, the values and the culprit" {
	serve_start
	run -1 "$REMAPTRACE" explain -p "$serve_pid" "${addr[twofiles]}" 0x4000 0 0
	assert_line "verdict: = -1 EINVAL (the range crosses into a mapping of another open file)"
	assert_line "rule:    span-file"
	assert_line --regexp '^why: +the mapping at 0x[0-9a-f]+ maps /.*/srv/B, not /.*/srv/A$'
	assert_line --regexp '^culprit: 0x[0-9a-f]+-0x[0-9a-f]+ rw-s shared ".*/srv/B" offset 0x2000$'
	serve_stop
}

@test "explain: the process is neither stopped nor traced" {
	serve_start
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 4096 0 1
	run grep -E '^(State|TracerPid):' "/proc/$serve_pid/status"
	assert_line --regexp '^State:[[:space:]]+S '
	assert_line --regexp '^TracerPid:[[:space:]]+0$'
	# and it goes on serving
	serve_call "${addr[anon]}" 4096 0 0 0
	assert_equal "$reply" "-1 EINVAL"
	serve_stop
}

@test "explain: PROT and FLAGS accept names joined by |, and numbers" {
	serve_start
	run -1 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 4096 PROT_READ 0
	assert_line "verdict: = -1 EINVAL (prot must be 0)"
	assert_line "why:     prot is PROT_READ, not 0"
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 4096 PROT_NONE 0 'MAP_NONBLOCK|MAP_PRIVATE'
	assert_line --partial ", 4096, 0, 0, MAP_PRIVATE|MAP_NONBLOCK) in pid $serve_pid"
	assert_line --partial "MAP_SHARED|MAP_FIXED|MAP_POPULATE|MAP_NONBLOCK, "
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 4096 0 0 65536
	assert_line --partial "MAP_POPULATE|MAP_NONBLOCK, "
	serve_stop
}

@test "explain: usage errors exit 125 with a message" {
	local args
	while read -r args; do
		# shellcheck disable=SC2086
		run --separate-stderr "$REMAPTRACE" explain $args
		assert_equal "explain $args: $status" "explain $args: 125"
		[[ $stderr == "remaptrace: explain: "* ]] ||
			fail "explain $args: no message: $stderr"
	done <<-'EOF'
	0x1000 4096 0 0
	-p 1
	-p 1 0x1000 4096 0
	-p 1 0x1000 4096 0 0 0 0
	-p x 0x1000 4096 0 0
	-p 1 0x1000 4096 0 0 MAP_BOGUS
	-p 1 0x1000 12ab 0 0
	-p 1 0x 4096 0 0
	-p 1 -5 4096 0 0
	-p 1 0x1000 4096 0 99999999999999999999
	--bogus -p 1 0x1000 4096 0 0
	EOF
}

@test "explain: a process that does not exist exits 125 with a message" {
	run --separate-stderr "$REMAPTRACE" explain -p 2147483647 0x1000 4096 0 0
	assert_equal "$status" 125
	assert_equal "$stderr" "remaptrace: explain: cannot read the mappings of process 2147483647: No such process"
}

@test "explain: as root, a BPF iterator tells the open files apart: opened twice is EINVAL, once is valid, as the kernel says" {
	need_bpf_iter || skip "needs root and a kernel with BTF (/sys/kernel/btf/vmlinux) for the task_vma iterator"
	serve_start
	run -1 "$REMAPTRACE" explain -p "$serve_pid" "${addr[twoopens]}" 16384 0 0
	assert_line "rule:    span-file"
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[oneopen]}" 16384 0 0
	assert_line "note:    the range covers 2 mappings of one open file (read with a BPF iterator); they become one"
	explain_vs_kernel "${addr[twoopens]}" 16384 0 0
	explain_vs_kernel "${addr[oneopen]}" 16384 0 0
	serve_stop
}

@test "explain: as root, the BPF iterator reads a process with a thread of its own descriptor table, and through that thread's id" {
	need_bpf_iter || skip "needs root and a kernel with BTF (/sys/kernel/btf/vmlinux) for the task_vma iterator"
	# a thread that unshared its descriptor table: the kernel's per-process
	# iterator would visit the VMAs once more through it
	serve_args=(thread)
	serve_start
	[ -n "${addr[thread]}" ] || fail "t-rep-serve printed no thread id"
	local pid
	for pid in "$serve_pid" "${addr[thread]}"; do
		run -0 "$REMAPTRACE" explain -p "$pid" "${addr[oneopen]}" 16384 0 0
		assert_line "note:    the range covers 2 mappings of one open file (read with a BPF iterator); they become one"
		run -1 "$REMAPTRACE" explain -p "$pid" "${addr[twoopens]}" 16384 0 0
		assert_line "rule:    span-file"
	done
	explain_vs_kernel "${addr[twoopens]}" 16384 0 0
	explain_vs_kernel "${addr[oneopen]}" 16384 0 0
	serve_stop
}

@test "explain: as root, the BPF iterator reads a process with 3,000 more mappings than one read of it holds, and still tells the open files apart" {
	need_bpf_iter || skip "needs root and a kernel with BTF (/sys/kernel/btf/vmlinux) for the task_vma iterator"
	# Past one read of the iterator's buffer, the kernel shows the VMAs
	# since the resumption over and over: the binary before the fix ran
	# into its million-record bound and said "cannot tell" (exit 2).
	serve_args=(many)
	serve_start
	[ "$(wc -l <"/proc/$serve_pid/maps")" -gt 3000 ] ||
		fail "t-rep-serve many mapped too little"
	run -1 "$REMAPTRACE" explain -p "$serve_pid" "${addr[twoopens]}" 16384 0 0
	assert_line "rule:    span-file"
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[oneopen]}" 16384 0 0
	assert_line "note:    the range covers 2 mappings of one open file (read with a BPF iterator); they become one"
	explain_vs_kernel "${addr[twoopens]}" 16384 0 0
	serve_stop
}

@test "explain: without the privilege, one file opened twice is never called valid: 'cannot tell', exit 2" {
	local d as=()
	# served and explained by an unprivileged user: explain cannot read
	# which open file a mapping maps
	if [ "$(id -u)" = 0 ]; then
		command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
		as=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
	fi
	d=$(mktemp -d /tmp/rt-explain.XXXXXX)
	chmod 777 "$d"
	mkfifo -m 666 "$d/in" "$d/out"
	serve_as=("${as[@]}")
	serve_start "$d"
	run -2 "${as[@]}" "$REMAPTRACE" explain -p "$serve_pid" "${addr[twoopens]}" 16384 0 0
	assert_line --regexp '^verdict: cannot tell: = 0 if its 2 mappings of /.*/A are one open file, = -1 EINVAL \(span-file\) if the file was opened more than once$'
	# the pieces continue each other's offsets yet were not merged
	assert_line --regexp '^note: +the mappings at 0x[0-9a-f]+ and 0x[0-9a-f]+ continue each other.s offsets .*most likely two open files, and EINVAL$'
	assert_line --partial "hint:    under remaptrace"
	refute_line --partial "verdict: = 0"
	serve_call "${addr[twoopens]}" 16384 0 0 0
	assert_equal "$reply" "-1 EINVAL"
	# one open file looks the same from outside: both answers are the
	# kernel's, depending on what explain cannot see, so it picks none
	run -2 "${as[@]}" "$REMAPTRACE" explain -p "$serve_pid" "${addr[oneopen]}" 16384 0 0
	assert_line --partial "verdict: cannot tell: "
	refute_line --partial "note:"
	serve_call "${addr[oneopen]}" 16384 0 0 0
	assert_equal "$reply" "0"
	serve_stop
	rm -rf "$d"
}

@test "explain: one inode under two paths (a hard link) is two open files: EINVAL, as the kernel says" {
	serve_start
	explain_vs_kernel "${addr[hardlink]}" 16384 0 0
	run -1 "$REMAPTRACE" explain -p "$serve_pid" "${addr[hardlink]}" 16384 0 0
	assert_line "rule:    span-file"
	assert_line --regexp '^culprit: .* ".*/srv/L" offset 0x5000$'
	serve_stop
}

@test "explain: a valid call past the end of the file warns of SIGBUS" {
	serve_start
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 4096 0 12288
	assert_line "warning: pgoff 12288 is past the end of the file (8 pages): accesses will SIGBUS"
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 8192 0 7
	assert_line "warning: file page 8 is past the end of the file (8 pages): accesses to it will SIGBUS"
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 16384 0 6
	assert_line "warning: file pages 8-9 are past the end of the file (8 pages): accesses to them will SIGBUS"
	run -0 "$REMAPTRACE" explain -p "$serve_pid" "${addr[shared]}" 4096 0 7
	refute_line --partial "warning:"
	serve_stop
}

@test "explain: a kernel thread is named as such, not 'No such process'" {
	[ "$(ps -o comm= -p 2)" = kthreadd ] || skip "pid 2 is not kthreadd here"
	run -125 --separate-stderr "$REMAPTRACE" explain -p 2 0x1000 4096 0 0
	assert_equal "$stderr" "remaptrace: explain: cannot read the mappings of process 2: it is a kernel thread, with no user address space (no program runs in it)"
}

@test "explain: --help prints its usage and exits 0" {
	run -0 "$REMAPTRACE" explain --help
	assert_line --index 0 "Usage: remaptrace explain -p PID START SIZE PROT PGOFF [FLAGS]"
}

# --- the man page, --help, make install ---

# help_options: every option of --help's option column (the short and
# the long spellings: -o, --output, -ff), one per line, sorted.
help_options() {
	"$REMAPTRACE" --help | grep -E '^ {2,6}-' | sed -E 's/^ +//; s/ {2,}.*//' |
		grep -oE -- '(^|[ ,])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' ,' | sort -u
}

# man_options: every option that a tag of the man page's OPTIONS section
# names, one per line, sorted.
man_options() {
	awk '/^\.SH OPTIONS/ { on = 1; next } /^\.SH/ { on = 0 }
	     on && tag { print; tag = 0 } on && /^\.TP/ { tag = 1 }' \
		"$_repo/doc/remaptrace.1" | sed 's/\\-/-/g' |
		grep -oE -- '(^|[ "])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' "' | sort -u
}

@test "man: the options of --help are the options the man page describes, both ways" {
	[ -f "$_repo/doc/remaptrace.1" ] || fail "no man page"
	local help man
	help=$(help_options)
	man=$(man_options)
	# both lists are long, or the comparison proves nothing
	[ "$(wc -l <<<"$help")" -ge 30 ] || fail "too few options in --help: $help"
	[ "$(wc -l <<<"$man")" -ge 30 ] || fail "too few options in the man page: $man"
	run diff -u --label help --label man <(echo "$help") <(echo "$man")
	assert_success
}

@test "man: the man page renders without warnings" {
	command -v groff >/dev/null || skip "groff is not installed (Debian package groff-base)"
	run -0 --separate-stderr groff -man -Tutf8 -ww -z "$_repo/doc/remaptrace.1"
	assert_equal "$stderr" ""
	run -0 --separate-stderr bash -c 'MANWIDTH=80 man -l "$1" | col -b' _ "$_repo/doc/remaptrace.1"
	local section
	for section in NAME SYNOPSIS OPTIONS EXPLAIN 'LOG FORMAT' 'JSON OUTPUT' \
		'EXIT STATUS' 'DIFFERENCES FROM THE KERNEL'; do
		grep -qx "$section" <<<"$output" ||
			fail "the rendered man page has no section $section"
	done
	grep -qE '^ +remaptrace +- +run +a +program' <<<"$output" ||
		fail "the rendered man page has no NAME line"
}

@test "install: make install puts the program and the man page under DESTDIR and PREFIX" {
	command -v make >/dev/null || skip "make is not installed"
	local dest=$BATS_TEST_TMPDIR/dest b
	# install the remaptrace under test as it is (-o: never rebuilt here)
	b=$(cd "$(dirname "$REMAPTRACE")" && pwd)
	run -0 make -s -C "$_repo" -o "$b/remaptrace" install B="$b" \
		DESTDIR="$dest" PREFIX=/opt/rt
	[ -x "$dest/opt/rt/bin/remaptrace" ] || fail "no $dest/opt/rt/bin/remaptrace"
	[ -f "$dest/opt/rt/share/man/man1/remaptrace.1" ] ||
		fail "no $dest/opt/rt/share/man/man1/remaptrace.1"
	cmp "$_repo/doc/remaptrace.1" "$dest/opt/rt/share/man/man1/remaptrace.1"
	run -0 "$dest/opt/rt/bin/remaptrace" --version
	run -0 make -s -C "$_repo" uninstall B="$b" DESTDIR="$dest" PREFIX=/opt/rt
	[ ! -e "$dest/opt/rt/bin/remaptrace" ] || fail "uninstall left the program"
	[ ! -e "$dest/opt/rt/share/man/man1/remaptrace.1" ] || fail "uninstall left the man page"
}

# --- the worked example of doc/debugging-einval.md ---

# normalise: what changes from run to run (pids, addresses, times, the
# temporary directory) becomes a fixed placeholder.
normalise() {
	sed -E -e "s|$BATS_TEST_TMPDIR/example|/tmp/example|g" \
		-e 's/\[pid [0-9]+\]/[pid PID]/g' \
		-e 's/(pid|-p) [0-9]+/\1 PID/g' \
		-e 's/0x[0-9a-f]{9,}/0xADDR/g' \
		-e 's/in [0-9]+\.[0-9] us/in T us/g'
}

@test "doc: the worked example in doc/debugging-einval.md is what remaptrace prints" {
	local doc=$_repo/doc/debugging-einval.md d=$BATS_TEST_TMPDIR
	local cmd n=0 pid= a block
	[ -f "$doc" ] || fail "no $doc"
	mkdir -p "$d/example"
	# each ```console block: "$ COMMAND", then what it prints
	awk -v d="$d" '
		/^```console$/ { n++; f = sprintf("%s/block.%d", d, n); next }
		/^```$/ { f = ""; next }
		f { print > f }
	' "$doc"
	for block in "$d"/block.*; do
		n=$((n + 1))
		cmd=$(head -n 1 "$block")
		[[ $cmd == '$ '* ]] || fail "block $n does not start with \$: $cmd"
		cmd=${cmd#\$ }
		tail -n +2 "$block" | normalise >"$d/want.$n"
		if [[ $cmd == *' explain '* ]]; then
			# against a live t-rep-db that waits for us: its first
			# line says where it mapped the file
			mkfifo "$d/in" "$d/msg"
			"$PROGS/t-rep-db" --wait private "$d/example/db" \
				<"$d/in" 2>"$d/msg" 3>&- &
			pid=$!
			exec 7>"$d/in" 6<"$d/msg"
			read -r _ _ _ _ _ _ a <&6
			cmd=$(sed -E "s/-p [0-9]+ 0x[0-9a-f]+/-p $pid $a/" <<<"$cmd")
		fi
		cmd=${cmd//remaptrace /$REMAPTRACE }
		cmd=${cmd//t-rep-db /$PROGS/t-rep-db }
		cmd=${cmd//\/tmp\/example/$d/example}
		(cd "$d" && eval "$cmd") 2>&1 | normalise >"$d/got.$n" || true
		if [ -n "$pid" ]; then
			exec 7>&-
			cat <&6 >/dev/null
			wait "$pid" || true
			exec 6<&-
			pid=
			rm -f "$d/in" "$d/msg"
		fi
		diff -u --label "doc block $n" --label "remaptrace" \
			"$d/want.$n" "$d/got.$n" ||
			fail "doc/debugging-einval.md block $n ($cmd) differs from what remaptrace prints"
	done
	[ "$n" -ge 3 ] || fail "only $n console blocks in the doc"
}
