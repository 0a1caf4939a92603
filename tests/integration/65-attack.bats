#!/usr/bin/env bats
# 65-attack.bats - a hostile program under a root remaptrace gets nothing
# the kernel's own call would not give it (README, Security).
#
# The attacker is the program under test (tests/progs/t-atk.c,
# t-atk-stale.c); every verdict comes from outside it: the files
# themselves, /proc (who holds the listener, what credentials a process
# sharing the program's memory has), exit statuses and time bounds.
#
# Needs root (root-owned files, programs run as nobody) and setpriv(1).

load helpers

eval "helpers_$(declare -f setup)"
setup() {
	helpers_setup
	[ -x "$PROGS/t-atk" ] && [ -x "$PROGS/t-atk-stale" ] ||
		fail "t-atk and t-atk-stale are not built in $PROGS (run make)"
	udir=$(mktemp -d /tmp/rt-atk-u.XXXXXX)
	chmod 1777 "$udir"
	rdir=$(mktemp -d /tmp/rt-atk-r.XXXXXX)
	chmod 0755 "$rdir"
}

teardown() {
	end_background
	rm -rf "$udir" "$rdir"
}

need_nobody_userns() {
	need_nobody
	command -v unshare >/dev/null || skip "needs unshare(1) (util-linux)"
	"${NOBODY[@]}" unshare -Ur true 2>/dev/null ||
		skip "needs unprivileged user namespaces (user.max_user_namespaces)"
}

# pages PATH MODE: 4 pages tagged R0000..R0003.
pages() {
	local i

	for i in 0 1 2 3; do
		printf 'R%04u' "$i"
		head -c $((4096 - 5)) /dev/zero
	done >"$1"
	chmod "$2" "$1"
}

# listener_holders PID...: which of PID... (and their children) hold a
# seccomp listener.
listener_holders() {
	local p f

	for p in "$@" $(for p in "$@"; do cat /proc/"$p"/task/*/children 2>/dev/null; done); do
		for f in /proc/"$p"/fd/*; do
			[ "$(readlink "$f" 2>/dev/null)" = "anon_inode:seccomp notify" ] &&
				echo "$p"
		done
	done | sort -u
}

# live_children PID: the children of PID that are not zombies, with their
# real, effective, saved and file-system uids ("PID UIDS...").
live_children() {
	local k

	for k in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
		grep -q '^State:[[:space:]]*Z' /proc/"$k"/status 2>/dev/null &&
			continue
		echo "$k $(awk '/^Uid:/ { print $2, $3, $4, $5 }' \
			/proc/"$k"/status 2>/dev/null)"
	done
}

@test "attack: a stale map_files mode never makes a file the program may only read writable" {
	need_nobody
	pages "$udir/own" 0644
	chown nobody "$udir/own"
	pages "$rdir/victim" 0644
	local sum
	sum=$(sha256sum <"$rdir/victim")

	run -0 "${NOBODY[@]}" "$PROGS/t-atk-stale" "$udir/own" "$rdir/victim"
	assert_line "remap: -1 EINVAL"
	assert_line "mprotect: -1 EACCES"
	local native=$output

	guard 30 "$REMAPTRACE" -v -- "${NOBODY[@]}" "$PROGS/t-atk-stale" \
		"$udir/own" "$rdir/victim"
	assert_success
	assert_equal "$output" "$native"
	[[ $stderr == *"= -1 EINVAL (not-shared"* || $stderr == *"= -1 EINVAL"* ]] ||
		fail "remaptrace did not refuse the call: $stderr"
	assert_equal "$(sha256sum <"$rdir/victim")" "$sum"
	run -1 grep -q PWNED "$rdir/victim"
}

# The listener answers every call of the tree; with it, a worker could
# answer a root master's calls or install descriptors in it.  No process
# of the tree (its agents included) holds one while it runs.
@test "attack: no process of the traced tree holds the listener, nor can take it (root remaptrace, program root or nobody)" {
	need_nobody
	local who holders pid

	for who in root nobody; do
		if [ "$who" = root ]; then
			bg_start 30 "$REMAPTRACE" -q -- "$PROGS/t-atk" steal 20
		else
			bg_start 30 "$REMAPTRACE" -q -- "${NOBODY[@]}" \
				"$PROGS/t-atk" steal 20
		fi
		read -r -t 30 -u 5 line || fail "no line from t-atk ($who)"
		# A root program may trace anything, remaptrace too: only
		# nobody's attempt must come back empty-handed.
		[ "$who" = root ] || assert_equal "$line" "stolen listeners: 0"
		bg_ready
		# An agent exists: the attack had something to try.
		[ -n "$(live_children "$prog_pid")" ] ||
			fail "no agent was started ($who): the test proves nothing"
		# the tree: timeout(1), remaptrace, the program, its agents
		holders=$(listener_holders "$bg_pid" $(pgrep -P "$bg_pid") \
			"$prog_pid")
		for pid in $holders; do
			[ "$(cat /proc/"$pid"/comm)" = remaptrace ] ||
				fail "$(cat /proc/"$pid"/comm) ($pid) holds the listener ($who)"
		done
		bg_finish
		assert_success
		assert_line "after: 0"
	done
}

@test "attack: an unprivileged remaptrace cannot be robbed of its listener by a program of the same user" {
	need_nobody
	guard 30 "${NOBODY[@]}" "$REMAPTRACE" -q -- "$PROGS/t-atk" steal 5
	assert_success
	assert_line "stolen listeners: 0"
	assert_line "after: 0"
}

# A root program drops to nobody after emulated calls (an agent shares its
# memory by then); patched, a root agent would act with root's rights.
@test "attack: no process that shares a program's memory keeps root once it dropped to nobody, whichever ABI it dropped through" {
	need_nobody
	local mode kids

	for mode in drop drop32; do
		bg_start 30 "$REMAPTRACE" -q -- "$PROGS/t-atk" "$mode" 20
		bg_ready
		kids=$(live_children "$prog_pid")
		[[ $kids != *" 0 "* && $kids != *" 0" ]] ||
			fail "$mode: a process sharing its memory is still root: $kids"
		echo go >&4
		bg_ready
		# the calls after the drop started an agent of the new rights
		kids=$(live_children "$prog_pid")
		[[ $kids == *" 65534 65534 65534 65534"* ]] ||
			fail "$mode: no agent with the program's new rights: $kids"
		[[ $kids != *" 0 "* ]] || fail "$mode: a root agent: $kids"
		bg_finish
		assert_success
		assert_line "failed=0"
	done
}

@test "attack: an agent the program stops never hangs remaptrace; its calls complete and nothing is left" {
	local opt

	for opt in -q -v; do
		guard 30 "$PROGS/t-rob-reaper" "$REMAPTRACE" "$opt" -- \
			"$PROGS/t-atk" stop 20
		assert_success
		assert_line "calls=40 failed=0"
		assert_reaped 0 "$opt"
	done
}

# The grace is one second (loop.c); the bound here is wider, so that a
# loaded machine cannot fail it: a remaptrace that only forwards the
# signal never ends at all.
@test "attack: SIGTERM ends remaptrace after its grace even if the program ignores it" {
	local rt

	bg_start 30 "$REMAPTRACE" -- "$PROGS/t-atk" ignore-term 5
	bg_ready
	rt=$(pgrep -P "$bg_pid" -x remaptrace) || fail "no remaptrace under $bg_pid"
	kill -TERM "$rt"
	timeout 10 tail --pid="$rt" -f /dev/null ||
		fail "remaptrace still runs 10 s after SIGTERM"
	# the program, let go of, still runs: remaptrace did not wait for it
	kill -0 "$prog_pid" || fail "the program did not outlive remaptrace"
	kill -KILL "$prog_pid"
	bg_finish
	assert_equal "$status" 143
	[[ $log == *"did not end within a second of SIGTERM"* ]] ||
		fail "remaptrace did not say why it ended: $log"
}

# The kernel may take its time over a call that confines the program:
# t-atk-race holds its seccomp(TSYNC) in the kernel (userfaultfd on the
# filter's page) while another thread remaps, then lets it finish.  An
# agent started in that window would share the program's memory without
# the filter: a way out of the program's own sandbox.
@test "attack: no agent started while a thread's seccomp(TSYNC) is in the kernel outlives it unconfined" {
	[ "$(id -u)" = 0 ] || skip "needs root (userfaultfd for a kernel access)"
	[ -x "$PROGS/t-atk-race" ] || fail "t-atk-race is not built"
	both "$PROGS/t-atk-race"
	assert_success
	assert_line "seccomp: 0"
	assert_line "remaps: 0 failed"
	assert_line "escaped: 0"
	assert_log "emulated"
}

# prctl's option is an int to the kernel: garbage in the upper half of
# its register must not hide a PR_CAPBSET_DROP or PR_SET_NO_NEW_PRIVS
# from remaptrace, or the agent would keep the bounding set and the
# privileges the program gave up.
@test "attack: a prctl with garbage in the option's upper half still drops the agent first" {
	[ -x "$PROGS/t-atk-race" ] || fail "t-atk-race is not built"
	both "$PROGS/t-atk-race" prctl-hi
	assert_success
	assert_line "prctl: 0 0"
	assert_line "remaps: 0 failed"
	assert_line "escaped: 0"
	assert_log "emulated"
}

# A process outside the traced tree (clone(CLONE_UNTRACED)) is still under
# its filter: a call of its that remaptrace hears of (its own credential
# change, or a prlimit64 on it that the kernel refuses) must leave no
# record that a traced process given the same id later inherits.
@test "attack: what remaptrace heard of an untraced process does not follow its id to a traced one" {
	[ "$(id -u)" = 0 ] || skip "needs root (ns_last_pid, setresuid)"
	[ -x "$PROGS/t-atk-reuse" ] || fail "t-atk-reuse is not built"
	for mode in self other; do
		both "$PROGS/t-atk-reuse" "$mode"
		assert_success
		assert_line "reused: yes"
		assert_line "remaps: 0 failed"
	done
}

# Where the kernel runs x32 calls, a 64-bit program may change its
# credentials through that ABI too: remaptrace must know the call for
# what it is, whichever table names it.
@test "attack: a change of credentials through the x32 ABI is known as one" {
	[ "$(uname -m)" = x86_64 ] || skip "x32 is an x86_64 ABI"
	[ -x "$PROGS/t-atk-race" ] || fail "t-atk-race is not built"
	both "$PROGS/t-atk-race" x32
	assert_success
	run "$REMAPTRACE" -vv -- "$PROGS/t-atk-race" x32
	assert_success
	assert_output --partial "changes its credentials or confinement: its agent is gone first"
}

# A chroot moves the root of every process sharing the caller's
# fs_struct (CLONE_FS without CLONE_THREAD, as LinuxThreads made its
# threads); an agent of one of those, with a root of its own, must not
# keep the old one (t-atk-fs).
@test "attack: no agent keeps the old root of a process a chroot moved through a shared fs_struct" {
	[ "$(id -u)" = 0 ] || skip "needs root (chroot)"
	[ -x "$PROGS/t-atk-fs" ] || fail "t-atk-fs is not built"
	mkdir "$BATS_TEST_TMPDIR/jail"
	for how in "" leader-gone held; do
		both "$PROGS/t-atk-fs" "$BATS_TEST_TMPDIR/jail" ${how:+"$how"}
		assert_success
		assert_line "chroot: 0"
		assert_line "remaps: 0 failed"
		assert_line "escaped: 0"
		assert_log "emulated"
	done
}

# The same under an unprivileged remaptrace, the program not dumpable
# while it chroots (in a user namespace of its own): kcmp of it is
# refused, which must not read as "shares nothing".
@test "attack: a chroot made while kcmp is refused still takes the agents of the processes sharing the fs_struct" {
	need_nobody_userns
	[ -x "$PROGS/t-atk-fs" ] || fail "t-atk-fs is not built"
	local jail=$udir/jail
	mkdir "$jail"
	chmod 0777 "$jail"
	native=("${NOBODY[@]}" "$PROGS/t-atk-fs" "$jail" nodump)
	traced=("${NOBODY[@]}" "$REMAPTRACE" -- "$PROGS/t-atk-fs" "$jail" nodump)
	run "${native[@]}"
	assert_success
	assert_line "escaped: 0"
	run "${traced[@]}"
	assert_success
	assert_line "chroot: 0"
	assert_line "remaps: 0 failed"
	assert_line "escaped: 0"
}

# mlockall(MCL_CURRENT) pages in every mapping: a page userfaultfd holds
# makes it wait on the program's own handler thread, which here remaps
# before it gives the page.  A supervisor that held other calls until the
# mlockall returned (6ba9204 caught its thread on its way out) and the
# program would wait on each other for good.
@test "attack: an mlockall that waits on the program's own handler, which remaps first, holds no call" {
	[ "$(id -u)" = 0 ] || skip "needs root (userfaultfd for the kernel's faults)"
	[ -x "$PROGS/t-atk-mlockall" ] || fail "t-atk-mlockall is not built"
	run -0 "$PROGS/t-atk-mlockall"
	assert_output "remap: 0
mlockall: 0
window: F0003"
	guard 30 "$REMAPTRACE" -- "$PROGS/t-atk-mlockall"
	assert_success
	assert_output "remap: 0
mlockall: 0
window: F0003"
	[[ $stderr == *"= 0 <emulated"* ]] || fail "the remap was not emulated: $stderr"
}
