#!/usr/bin/env bats
# 60-privilege.bats - how remaptrace reaches the file behind a mapping, and
# that it never gives a program more than the kernel would.
#
# t-priv-map (tests/progs/t-priv-map.c) builds one scenario, makes two
# calls (area page 0 <- file page 3, then pages 0-1 <- 2-3) and prints,
# without addresses: each call's result and whether the descriptor table
# changed ("fds N: same"), the VMAs over the area with their VmFlags, the
# tags seen through the area (P0003 = page 3 of file A, Q.... = file B,
# R.... = a file the test made), mprotect and a store through page 0, and
# file A as the file itself holds it.
#
# Where the kernel is the oracle the program runs natively and traced and
# the outputs must be identical.  Where remaptrace must refuse what the
# kernel does (the path names another file now, no safe way to reach the
# file), the traced run is checked against what it must show instead.
#
# Needs root (root-owned files, switching users); the user nobody and
# setpriv(1); some tests need unprivileged user namespaces or strace(1).

load helpers

# The build checks of helpers.bash, then a scratch directory anyone may
# use (the test's own tmpdir is closed to other users) and a root-owned one.
eval "helpers_$(declare -f setup)"
setup() {
	helpers_setup
	[ -x "$PROGS/t-priv-map" ] ||
		fail "t-priv-map is not built in $PROGS (run make)"
	udir=$(mktemp -d /tmp/rt-priv-u.XXXXXX)
	chmod 1777 "$udir"
	rdir=$(mktemp -d /tmp/rt-priv-r.XXXXXX)
	chmod 0755 "$rdir"
}

teardown() {
	rm -rf "$udir" "$rdir"
}

# The program as nobody in user and mount namespaces of its own (it
# mounts over a directory).
need_userns() {
	need_nobody
	command -v unshare >/dev/null || skip "needs unshare(1) (util-linux)"
	"${NOBODY[@]}" unshare -Urm true 2>/dev/null ||
		skip "needs unprivileged user namespaces (user.max_user_namespaces)"
}

# make_file PATH MODE: 8 pages, page i tagged "R%04u", owned by root.
make_file() {
	local i

	for i in 0 1 2 3 4 5 6 7; do
		printf 'R%04u' "$i"
		head -c $((4096 - 5)) /dev/zero
	done >"$1"
	chmod "$2" "$1"
}

# compare: run ${native[@]} and ${traced[@]} (remaptrace's log on stderr)
# and fail unless stdout and exit status are identical.  Then $output,
# $lines and $status hold the native run, $log the traced run's stderr.
# ${reset[@]}, when set, runs before each run (files a run writes).
compare() {
	local d=$BATS_TEST_TMPDIR ns=0 ts=0

	[ -z "${reset[*]}" ] || "${reset[@]}"
	"${native[@]}" >"$d/native.out" 2>"$d/native.err" 3>&- || ns=$?
	[ -z "${reset[*]}" ] || "${reset[@]}"
	"${traced[@]}" >"$d/traced.out" 2>"$d/traced.err" 3>&- || ts=$?
	log=$(<"$d/traced.err")
	output=$(<"$d/native.out")
	mapfile -t lines <"$d/native.out"
	status=$ns
	if ! cmp -s "$d/native.out" "$d/traced.out"; then
		{ diff -u --label native --label remaptrace \
			"$d/native.out" "$d/traced.out"
		  echo "remaptrace stderr:"; cat "$d/traced.err"; } |
			batslib_decorate "stdout differs under remaptrace" |
			fail
		return
	fi
	if [ "$ns" != "$ts" ]; then
		{ echo "native: $ns, remaptrace: $ts"
		  echo "remaptrace stderr:"; cat "$d/traced.err"; } |
			batslib_decorate "exit status differs under remaptrace" |
			fail
		return
	fi
	assert_success
}

# both_v PROGRAM...: PROGRAM natively and under `remaptrace -v` (as root).
both_v() {
	native=("$@")
	traced=("$REMAPTRACE" -v -- "$@")
	compare
}

# both_v_without FEATURE PROGRAM...: as both_v, with REMAPTRACE_DISABLE.
both_v_without() {
	local f=$1
	shift
	native=("$@")
	traced=(env REMAPTRACE_DISABLE="$f" "$REMAPTRACE" -v -- "$@")
	compare
}

# iterators_in_use: whether root's BPF iterators name each VMA's open
# file here (tracer/vmfile.c).
iterators_in_use() {
	"$REMAPTRACE" -v -- true 2>&1 >/dev/null |
		grep -q '^remaptrace: feature vmfile_iter .*: in use$'
}

# both_unpriv PROGRAM...: PROGRAM as nobody natively, and under
# remaptrace -v run entirely as nobody (no CAP_SYS_ADMIN, no map_files).
both_unpriv() {
	native=("${NOBODY[@]}" "$@")
	traced=("${NOBODY[@]}" "$REMAPTRACE" -v -- "$@")
	compare
}

# traced_only PROGRAM...: PROGRAM under remaptrace -v as nobody, bounded
# in time (a hang fails the test); $output, $lines, $status, $log as
# after compare.
traced_only() {
	local d=$BATS_TEST_TMPDIR

	status=0
	timeout 20 "${NOBODY[@]}" "$REMAPTRACE" --kill-on-exit -v -- "$@" \
		>"$d/traced.out" 2>"$d/traced.err" 3>&- || status=$?
	log=$(<"$d/traced.err")
	output=$(<"$d/traced.out")
	mapfile -t lines <"$d/traced.out"
	[ "$status" != 124 ] ||
		fail "remaptrace or the program hung (killed after 20 s); log: $log"
}

# native_only PROGRAM...: PROGRAM as nobody without remaptrace.
native_only() {
	run "${NOBODY[@]}" "$@"
	assert_success
}

# ---- remaptrace run as an unprivileged user (no CAP_SYS_ADMIN) ----

@test "privilege: unprivileged remaptrace emulates a regular file through the open file it followed" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" regular "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "area: P0002 P0003 P0002 P0003"
	assert_log_calls 2
	assert_log "<emulated mmap("
	assert_log "via followed"
	refute_log "via map_files"
}

@test "privilege: unprivileged remaptrace emulates a file whose descriptor was closed" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" closed "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "A: P0000 P0001 W0000 P0003 P0004 P0005 P0006 P0007"
	assert_log "via followed"
	refute_log "via map_files"
}

@test "privilege: unprivileged remaptrace emulates a deleted file" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" deleted "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "after: W0000 P0003 W0000 P0003"
	assert_log "(deleted)"
	assert_log "via followed"
	refute_log "via map_files"
}

@test "privilege: unprivileged remaptrace emulates a memfd" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" memfd "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "A: P0000 P0001 W0000 P0003 P0004 P0005 P0006 P0007"
	assert_log "/memfd:t-priv"
	assert_log "via followed"
	refute_log "via map_files"
}

# A move (mremap without old size 0) is not followed: the open file is
# inferred, the only one of that inode the program ever mapped, and the
# log calls it "followed" too.
@test "privilege: unprivileged remaptrace emulates a moved mapping of a closed file by inferring its open file" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" moved "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "area: P0002 P0003 P0002 P0003"
	assert_log "via followed"
}

@test "privilege: with the open file ambiguous after a move, a read-write descriptor the program holds is used" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" twice-open "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "fds 1: same"
	assert_log "via tracee-fd"
}

# With no descriptor of the program's own left for the open file, the
# mapping itself is duplicated (mremap(old, 0, len), then moved over the
# range): the kernel maps vma->vm_file whatever its path names now, and
# so does the duplicate; no path is opened, no descriptor made.
@test "privilege: unprivileged, with no descriptor left, the mapping itself is duplicated (mremap) as the kernel maps its own open file" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" twice "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "fds 1: same"
	assert_line "area: P0002 P0003 P0002 P0003"
	assert_log "via mremap"
	refute_log "via map_files"
	refute_log "via tracee-open"
}

# As root, the BPF iterators read which open file the moved mapping maps
# (its vm_file): no longer ambiguous, it is mapped from our copy of that
# very open file.  Without them it is duplicated, as for nobody.
@test "privilege: a root program's ambiguous mapping is named by the iterators, or duplicated: nothing is opened for it" {
	need_root
	if iterators_in_use; then
		both_v "$PROGS/t-priv-map" twice "$udir"
		assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
		assert_line "area: P0002 P0003 P0002 P0003"
		assert_log "via followed"
		refute_log "via map_files"
		refute_log "via tracee-open"
	fi
	both_v_without vmfile_iter "$PROGS/t-priv-map" twice "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_log "via mremap"
	refute_log "via map_files"
	refute_log "via tracee-open"
}

# ---- a path that names another file now is never opened ----

@test "privilege: a mapped file whose path now names another file (renamed over, a symlink, a FIFO, reused) is remapped as natively, never through the path" {
	need_nobody
	local s

	for s in renamed symlink fifo deleted-reused; do
		both_unpriv "$PROGS/t-priv-map" "$s" "$udir"
		assert_line "fds 1: same"
		refute_output --partial "Q0"
		assert_log "via mremap"
		refute_log "via tracee-open"
	done
}

# The mount covers A's directory only in the program's mount namespace:
# /proc shows the supervisor A's path, the program's openat of it would
# find B; the mapping is duplicated instead, as the kernel would.
@test "privilege: a path that names another inode where the program looks is never opened" {
	need_userns
	local s

	for s in covered covered-lease; do
		both_userns_early "$s" "$udir"
		assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
		refute_output --partial "Q0"
	done
	assert_line "lease on B: F_RDLCK, SIGIO: 0"
}

# both_userns_early: as both_userns (below), with remaptrace's log kept.
both_userns_early() {
	both_userns "$@"
	assert_log "via mremap"
}

# both_userns SCENARIO: t-priv-map in user and mount namespaces of its own
# as nobody, natively and under remaptrace -v run as nobody.
both_userns() {
	native=("${NOBODY[@]}" unshare -Urm "$PROGS/t-priv-map" "$@")
	traced=("${NOBODY[@]}" "$REMAPTRACE" -v -- unshare -Urm
		"$PROGS/t-priv-map" "$@")
	compare
}

# ---- the same inode through another mount is not the same access ----

# The kernel maps the VMA's own open file, whose mount allows exec; a
# read-write descriptor for the same inode through a noexec bind mount
# would give a mapping without VM_MAYEXEC.
@test "privilege: a descriptor for the same inode through a noexec mount does not cost the mapping VM_MAYEXEC" {
	need_userns
	both_userns noexec-fd "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line --regexp '^vma: \+0p 2p rw-s A@2 \[.* me .*\]$'
	assert_line "mprotect(PROT_READ|PROT_EXEC): 0"
}

# The only path left to the inode goes through a noexec mount: mapping
# it would cost VM_MAYEXEC; the mapping itself is duplicated instead and
# keeps its exec rights, as natively.
@test "privilege: a file reachable only through a noexec mount is remapped as natively and keeps VM_MAYEXEC" {
	need_userns
	both_userns noexec-cover "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "mprotect(PROT_READ|PROT_EXEC): 0"
	assert_log "via mremap"
}

# ---- shared memory with no descriptor: the same, unprivileged ----

@test "privilege: unprivileged, shared anonymous memory, /dev/zero and a memfd with no descriptor are remapped as natively, pieces merged as the kernel merges them" {
	need_nobody
	local s

	for s in shanon devzero memfd-twice; do
		both_unpriv "$PROGS/t-priv-map" "$s" "$udir"
		assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
		assert_line "area: P0002 P0003 P0002 P0003"
		assert_line "fds 1: same"
		assert_log "via mremap"
	done
}

@test "privilege: a root program's shared anonymous memory, /dev/zero and memfd without descriptor are remapped the same way" {
	need_root
	local s via

	for s in shanon devzero memfd-twice; do
		# a memfd is a file whose mmaps are followed: as root the
		# iterators name the moved mapping's open file (above)
		via="via mremap"
		[ "$s" != memfd-twice ] || ! iterators_in_use ||
			via="via followed"
		both_v "$PROGS/t-priv-map" "$s" "$udir"
		assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
		assert_line "area: P0002 P0003 P0002 P0003"
		assert_log "$via"
		refute_log "via map_files"
		both_v_without vmfile_iter "$PROGS/t-priv-map" "$s" "$udir"
		assert_log "via mremap"
	done
}

# A program's own seccomp sandbox sees every call the tracee makes,
# injected ones too: remaptrace must not make one that gets it killed.
@test "privilege: a program whose own seccomp filter kills it on openat for writing is never killed by the emulation" {
	need_nobody
	native_only "$PROGS/t-priv-map" -s twice "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	traced_only "$PROGS/t-priv-map" -s twice "$udir"
	[ "$status" = 0 ] ||
		fail "the program ended with status $status (159: SIGSYS); log: $log"
	assert_line "sandbox: openat for writing kills the process"
	assert_line --regexp '^remap 1: .*: (0|-1 EACCES|-1 EPERM)$'
	assert_line "fds 1: same"
}

# ---- sealed memfds behave as natively ----

@test "privilege: a memfd sealed with F_SEAL_WRITE remaps as natively and cannot be made writable" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" seal-write "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "mprotect(PROT_READ|PROT_WRITE): -1 EACCES"
	assert_line "store: SIGSEGV"
	refute_output --partial "W0000"
	assert_log "emulated"
	both_v "$PROGS/t-priv-map" seal-write "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
}

@test "privilege: F_SEAL_FUTURE_WRITE after a writable shared mapping makes the remap EPERM as natively" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" seal-future-write "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EPERM"
	assert_line "area: P0000 P0001 P0002 P0003"
	assert_log "= -1 EPERM"
	both_v "$PROGS/t-priv-map" seal-future-write "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EPERM"
}

# ---- root remaptrace, the program as an unprivileged user ----

@test "privilege: root remaptrace, program as nobody: a root-owned read-only file gives EINVAL, mprotect EACCES and a faulting write, as natively" {
	need_nobody
	make_file "$rdir/ro" 0644
	local sum=$(sha256sum <"$rdir/ro")

	both_v "${NOBODY[@]}" "$PROGS/t-priv-map" rofile "$rdir/ro"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EINVAL"
	assert_line "mprotect(PROT_READ|PROT_WRITE): -1 EACCES"
	assert_line "store: SIGSEGV"
	assert_line --regexp '^vma: \+0p 4p r--s A@0 \[[^]]*\]$'
	refute_line --regexp '^vma: .*[[ ]sh[] ]'
	assert_log "= -1 EINVAL"
	assert_equal "$(sha256sum <"$rdir/ro")" "$sum"
}

# Two read-only open files, the mapping moved: root could open map_files
# for writing, but the mapping lacks VM_SHARED and must stay refused.
@test "privilege: root remaptrace, program as nobody: an ambiguous read-only mapping of a root file is refused as natively" {
	need_nobody
	make_file "$rdir/ro" 0644
	local sum=$(sha256sum <"$rdir/ro")

	both_v "${NOBODY[@]}" "$PROGS/t-priv-map" rofile-twice "$rdir/ro"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EINVAL"
	assert_line "mprotect(PROT_READ|PROT_WRITE): -1 EACCES"
	assert_line "store: SIGSEGV"
	assert_equal "$(sha256sum <"$rdir/ro")" "$sum"
}

@test "privilege: root remaptrace, program as nobody: a root-owned file it may write is emulated with the native VmFlags" {
	need_nobody
	reset=(make_file "$rdir/rw" 0666)

	both_v "${NOBODY[@]}" "$PROGS/t-priv-map" rwfile "$rdir/rw"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line --regexp '^vma: \+0p 2p rw-s A@2 \[.* sh .*\]$'
	assert_line "store: ok"
	assert_line "A: R0000 R0001 W0000 R0003 R0004 R0005 R0006 R0007"
	assert_log "<emulated mmap("
}

@test "privilege: root remaptrace, program as nobody: mprotect(PROT_WRITE) after remapping a read-only view of a writable file succeeds as natively" {
	need_nobody
	reset=(make_file "$rdir/rw" 0666)

	both_v "${NOBODY[@]}" "$PROGS/t-priv-map" rwfile-r "$rdir/rw"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line --regexp '^vma: \+0p 2p r--s A@2 \[.* mw .*\]$'
	assert_line "mprotect(PROT_READ|PROT_WRITE): 0"
	assert_line "store: ok"
	assert_log "<emulated mmap("
}

# A daemon that maps a root file read-write, unmaps it, drops to nobody
# and maps the file again read-only where the first mapping was: the
# supervisor must not hand it back the read-write open file it kept.
@test "privilege: a program that dropped root gets no write access back through a remap" {
	need_root
	make_file "$rdir/ro" 0644
	local sum=$(sha256sum <"$rdir/ro")

	both_v "$PROGS/t-priv-map" drop "$rdir/ro"
	assert_line "uid: 65534"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EINVAL"
	assert_line "mprotect(PROT_READ|PROT_WRITE): -1 EACCES"
	assert_line "store: SIGSEGV"
	assert_equal "$(sha256sum <"$rdir/ro")" "$sum"
}

# A daemon that opened a root file read-write twice before dropping to
# nobody: the open files kept of it are not handed back after the drop,
# but they still say which of its descriptors is the mapping's own open
# file.  Through the other one the remapped page would not merge with its
# neighbour, and the span of remap 2 would be refused (EINVAL).
@test "privilege: after dropping root, the mapping's own open file is used, not another of the same inode" {
	need_root
	reset=(make_file "$rdir/two" 0644)

	both_v "$PROGS/t-priv-map" drop-twice "$rdir/two"
	assert_line "uid: 65534"
	assert_line "remap 2: area page 0, 2 pages, pgoff 2: 0"
	assert_line "vma: +0p 2p rw-s A@2 [rd wr sh mr mw me ms]"
	assert_log "via tracee-fd"
	refute_log "EINVAL"
}

# The same, with only the other open file left: the mapping itself is
# duplicated (mremap), which is its very open file.
@test "privilege: after dropping root with only another open file of the inode left, the mapping itself is duplicated" {
	need_root
	reset=(make_file "$rdir/other" 0644)

	both_v "$PROGS/t-priv-map" drop-other "$rdir/other"
	assert_line "remap 2: area page 0, 2 pages, pgoff 2: 0"
	assert_line "vma: +0p 2p rw-s A@2 [rd wr sh mr mw me ms]"
	assert_log "via mremap"
	refute_log "via tracee-fd"
}

# The same, where only a read-write mapping of the very open file reaches
# the pages below a read-only one: its second mapping is narrowed to the
# first VMA's protections (mprotect) before it is moved into place.
@test "privilege: after dropping root, a read-write mapping of the very open file lends pages to a read-only one, narrowed" {
	need_root
	reset=(make_file "$rdir/donor" 0644)

	both_v "$PROGS/t-priv-map" drop-donor "$rdir/donor"
	assert_line "remap 2: area page 0, 2 pages, pgoff 2: 0"
	assert_line "vma: +0p 2p r--s A@2 [rd sh mr mw me ms]"
	assert_line "vma: +2p 2p r--s A@6 [rd sh mr mw me ms]"
	assert_log "via mremap"
	refute_log "via tracee-fd"
}

# What no safe way reaches (README, Security): after the drop, pages below
# every mapping of an open file kept of root, of a file nobody may open
# for writing.  Handing the kept open file back would give a descriptor
# (ftruncate, write past the end) that the kernel's call does not give.
@test "privilege: after dropping root, a page below every mapping of a file it may no longer open for writing gets EACCES, the one difference" {
	need_root
	make_file "$rdir/below" 0644
	local sum=$(sha256sum <"$rdir/below")

	run "$PROGS/t-priv-map" drop-below "$rdir/below"
	assert_success
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	make_file "$rdir/below" 0644
	run -0 --separate-stderr "$REMAPTRACE" -v -- \
		"$PROGS/t-priv-map" drop-below "$rdir/below"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EACCES"
	assert_line "vma: +0p 4p rw-s A@4 [rd wr sh mr mw me ms]"
	assert_line "fds 1: same"
	[[ "$stderr" == *"EACCES (the program may not open it for reading and writing, holds no read-write descriptor of it, and no mapping of that open file reaches the offset"* ]] ||
		fail "no reason given: $stderr"
	# only the program's own store, through the page it kept
	assert_line "A: R0000 R0001 R0002 R0003 W0000 R0005 R0006 R0007"
	[ "$(sha256sum <"$rdir/below")" != "$sum" ]
}

@test "privilege: a read-only shared mapping moved where a read-write one of the same file was stays without VM_SHARED" {
	need_nobody
	both_unpriv "$PROGS/t-priv-map" stale-rw "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: -1 EINVAL"
	assert_line "mprotect(PROT_READ|PROT_WRITE): -1 EACCES"
	assert_line "A: P0000 P0001 P0002 P0003 P0004 P0005 P0006 P0007"
}

# ---- the supervisor's own privileges never open the path ----

@test "privilege: the supervisor never opens the mapped file's path itself" {
	need_nobody
	command -v strace >/dev/null || skip "needs strace(1)"
	local s st=$rdir/strace.out

	# strace follows remaptrace alone (not -f: remaptrace traces the
	# program); the program reaches the file itself, through its own
	# /proc/self/map_files (root) or openat (nobody): never remaptrace.
	# LeakSanitizer (make check-asan) cannot work under ptrace.
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	: >"$st"
	chmod 0666 "$st"	# nobody's strace writes it too
	for s in twice renamed; do
		strace -qq -o "$st" -e trace=%file "$REMAPTRACE" -v -- \
			"$PROGS/t-priv-map" "$s" "$udir" >/dev/null 2>&1 3>&- ||
			fail "strace remaptrace ($s) failed"
		grep -q '"/proc/[0-9]*/maps"' "$st" ||
			fail "strace saw no /proc/PID/maps access: it traced nothing"
		! grep -E '^(open|openat|openat2|creat|open_by_handle_at)\(.*"'"$udir" "$st" ||
			fail "root remaptrace opened a path under $udir ($s)"
		! grep -E '^(open|openat|openat2)\(.*"/proc/[0-9]*/map_files/' "$st" ||
			fail "root remaptrace opened a map_files link ($s)"
		# (remaptrace makes itself non-dumpable, which would hide
		# its memory from nobody's strace)
		REMAPTRACE_DEBUGGABLE=1 "${NOBODY[@]}" strace -qq -o "$st" \
			-e trace=%file \
			"$REMAPTRACE" -v -- "$PROGS/t-priv-map" "$s" "$udir" \
			>/dev/null 2>&1 3>&- ||
			fail "strace remaptrace as nobody ($s) failed"
		grep -q '"/proc/[0-9]*/maps"' "$st" ||
			fail "strace saw no /proc/PID/maps access: it traced nothing"
		! grep -E '^(open|openat|openat2|creat|open_by_handle_at)\(.*"'"$udir" "$st" ||
			fail "unprivileged remaptrace opened a path under $udir ($s)"
	done
}

# ---- the program's descriptor table is left as it was ----

@test "privilege: the descriptor table is unchanged after each emulated call, however the file is reached" {
	need_nobody
	local s

	# own descriptor; installed and closed again; tracee-fd; map_files
	for s in regular closed twice-open twice memfd shanon; do
		both_v "$PROGS/t-priv-map" "$s" "$udir"
		assert_line "fds 1: same"
		assert_line "fds 2: same"
		assert_log "emulated"
	done
	# no descriptor at all: the mapping duplicated
	both_unpriv "$PROGS/t-priv-map" twice "$udir"
	assert_line "fds 1: same"
	assert_log "via mremap"
}

@test "privilege: the descriptor table is unchanged after each emulated call in a program with two threads" {
	need_nobody
	local s

	for s in regular closed twice-open twice memfd; do
		both_v "$PROGS/t-priv-map" -t "$s" "$udir"
		assert_line "fds 1: same"
		assert_line "fds 2: same"
		assert_log "emulated"
	done
	both_unpriv "$PROGS/t-priv-map" -t twice "$udir"
	assert_line "fds 1: same"
	assert_log "via mremap"
}

@test "privilege: the descriptor table is unchanged after a call whose path names another file" {
	need_nobody
	traced_only "$PROGS/t-priv-map" renamed "$udir"
	assert_line "fds 1: same"
	assert_line "fds 2: same"
	traced_only "$PROGS/t-priv-map" -t renamed "$udir"
	assert_line "fds 1: same"
	assert_line "fds 2: same"
}

# The kernel's remap_file_pages needs no descriptor slot; an emulation
# that installs one must not turn a full table into EMFILE.
@test "privilege: a program with no free descriptor slot still gets its call emulated" {
	need_root
	both_v "$PROGS/t-priv-map" -n closed "$udir"
	assert_line "remap 1: area page 0, 1 pages, pgoff 3: 0"
	assert_line "fds 1: same"
}

# ---- a traced process that ptraces another: when remaptrace lets go ----
#
# remaptrace lets go of a thread another tracee attaches (README,
# Debuggers): the kernel allows one tracer per task.  It must do so only
# when the attach is one the kernel permits; a root master's unprivileged
# worker that merely tries must not release the master from remaptrace.
# t-priv-attach (tests/progs/t-priv-attach.c): the worker tries, then the
# master remaps.  Judged from outside the program: remaptrace's log and
# the kernel's tracepoint count, never the program's own report.

# kernel_rfp_calls COMMAND...: run COMMAND under perf stat; $output: how
# often the kernel's own remap_file_pages was entered in the whole tree
# (tracepoint syscalls:sys_enter_remap_file_pages).
kernel_rfp_calls() {
	local ev=syscalls:sys_enter_remap_file_pages d=$BATS_TEST_TMPDIR

	command -v perf >/dev/null ||
		skip "perf is not installed (Debian package linux-perf)"
	[ -d /sys/kernel/tracing/events/syscalls/sys_enter_remap_file_pages ] ||
		skip "no tracepoint $ev (tracefs not mounted at /sys/kernel/tracing, or a kernel without CONFIG_FTRACE_SYSCALLS)"
	rm -f "$d/perf.out"
	run -0 perf stat -x, -e "$ev" -o "$d/perf.out" -- "$@"
	output=$(awk -F, -v ev="$ev" '$3 == ev { print $1 }' "$d/perf.out")
}

# attacked_by_nobody attach|seize: as root, the worker drops to nobody and
# fails to attach the master (EPERM, as natively); the master's call is
# then still emulated, and its kernel remap_file_pages never runs.
attacked_by_nobody() {
	need_root
	both "$PROGS/t-priv-attach" "$1" drop
	assert_success
	assert_line "worker: $1 EPERM"
	assert_line "master: result 0 area P0005 P0001 P0002 P0003"
	# the worker makes no call: the one line is the master's
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
	refute_log "lets go"
	# the tracepoint counts the native call (the counter works) ...
	kernel_rfp_calls "$PROGS/t-priv-attach" "$1" drop
	assert_output 1
	# ... and none under remaptrace
	kernel_rfp_calls "$REMAPTRACE" -- "$PROGS/t-priv-attach" "$1" drop
	assert_output 0
}

@test "privilege: an unprivileged worker's failing PTRACE_ATTACH of its root master leaves the master traced" {
	attacked_by_nobody attach
}

@test "privilege: an unprivileged worker's failing PTRACE_SEIZE of its root master leaves the master traced" {
	attacked_by_nobody seize
}

@test "privilege: a worker of the same uid that may not attach its non-dumpable master leaves it traced" {
	need_nobody
	BOTH_OPTS=(-v)
	both "${NOBODY[@]}" "$PROGS/t-priv-attach" attach nodump
	assert_success
	assert_line "worker: attach EPERM"
	assert_line "master: result 0 area P0005 P0001 P0002 P0003"
	assert_log_calls 1
	assert_log "= 0 <emulated mmap("
	refute_log "lets go"
	# -v says why the master stays traced
	assert_log "= -1 EPERM: remaptrace keeps tracing"
	assert_log "(the kernel does not permit it)"
}

# let_go_when_permitted attach|seize PREFIX...: the worker keeps the
# master's credentials and attaches it, as natively; remaptrace lets go
# of the master, whose call then goes to the kernel.
let_go_when_permitted() {
	local req=$1 REQ=${1^^}

	shift
	both "$@" "$PROGS/t-priv-attach" "$req" same
	assert_success
	assert_line "worker: $req ok"
	assert_line "worker: detach ok"
	assert_line "master: result 0 area P0005 P0001 P0002 P0003"
	assert_log "the target of PTRACE_$REQ: remaptrace lets go"
	assert_log_calls 1
	assert_log "= ? <valid, passed to the kernel>"
	refute_log "emulated"
}

@test "privilege: a worker of the same uid that attaches its master succeeds, and remaptrace lets go of the master" {
	let_go_when_permitted attach
}

@test "privilege: as nobody, a worker that PTRACE_SEIZEs its master succeeds, and remaptrace lets go of the master" {
	need_nobody
	let_go_when_permitted seize "${NOBODY[@]}"
}

# A program that makes itself non-dumpable (fuzzers, privilege-separated
# daemons) shuts an unprivileged supervisor out of new opens of its /proc
# files and of kcmp: remaptrace opens them ahead, at the prctl.
@test "privilege: an unprivileged remaptrace serves a program that made itself non-dumpable, as natively" {
	need_nobody
	both_unpriv "$PROGS/t-atk" nodump 20
	assert_line "failed=0"
	assert_log "emulated"
	refute_log "EACCES"
	native=("${NOBODY[@]}" "$PROGS/t-atk" nodump 20)
	traced=("${NOBODY[@]}" "$REMAPTRACE" -v --no-agent -- "$PROGS/t-atk" nodump 20)
	compare
	assert_line "failed=0"
}

# The kernel judges a remap of locked memory against the caller's
# RLIMIT_MEMLOCK as it is at the call.  The agent that runs the mmap is a
# process of its own, with a copy of the program's limits made when it
# started: a limit lowered since, by the program itself or by another
# process of the tree (a master with prlimit(2)), must be the one judged.
@test "privilege: a lock limit the program lowers is the one its remaps are judged against" {
	need_nobody
	[ -x "$PROGS/t-priv-limit" ] || fail "t-priv-limit is not built"
	both "${NOBODY[@]}" "$PROGS/t-priv-limit" self
	assert_success
	assert_line "after 1: EPERM"
	assert_line "A: F0003 F0001 F0002 F0003"
	assert_log "emulated"
}

# A process may always set its own limits (the kernel asks nothing of a
# task naming itself), even with ids that would not let another process
# set them: uid 65534, saved uid 0.
@test "privilege: a lock limit the program lowers with prlimit on its own pid is the one judged, whatever its ids" {
	need_nobody
	[ -x "$PROGS/t-priv-limit" ] || fail "t-priv-limit is not built"
	both "$PROGS/t-priv-limit" selfpid
	assert_success
	assert_line "after 1: EPERM"
	assert_line "A: F0003 F0001 F0002 F0003"
	assert_log "emulated"
}

@test "privilege: a lock limit another traced process lowers with prlimit is the one the remaps are judged against" {
	need_nobody
	[ -x "$PROGS/t-priv-limit" ] || fail "t-priv-limit is not built"
	both "${NOBODY[@]}" "$PROGS/t-priv-limit" other
	assert_success
	assert_line "after 1: EPERM"
	assert_line "after 2: EPERM"
	assert_line "A: F0003 F0001 F0002 F0003"
	assert_log "emulated"
	run "$REMAPTRACE" -vv -- "${NOBODY[@]}" "$PROGS/t-priv-limit" other
	assert_output --partial "sets the limits of another process: that one's agent is gone first"
}

# A prlimit the kernel refuses (another user's process) changes nothing:
# remaptrace must not take the target's agent away for it, or any process
# of the tree could send another to the slow way for good.
@test "privilege: a prlimit the kernel refuses takes no agent away" {
	need_nobody
	[ -x "$PROGS/t-priv-limit" ] || fail "t-priv-limit is not built"
	both "$PROGS/t-priv-limit" refused
	assert_success
	assert_line "prlimit 2: EPERM"
	assert_line "after 2: 0"
	run "$REMAPTRACE" -vv -- "$PROGS/t-priv-limit" refused
	assert_success
	refute_output --partial "sets the limits of another process"
}

# A refused prlimit can still succeed: the kernel checks its permission
# only after it has read the new limit, and the target may take the
# caller's ids meanwhile.  t-priv-limit idchange holds the caller's
# prlimit in the kernel (userfaultfd) while its target drops to the
# caller's ids and remaps; an agent started then must not keep the old
# lock limit once the prlimit goes through (the old binary: "after 1: 0").
@test "privilege: a refused prlimit that the kernel then permits (the target took the caller's ids) is the limit judged" {
	need_nobody
	[ -x "$PROGS/t-priv-limit" ] || fail "t-priv-limit is not built"
	both "$PROGS/t-priv-limit" idchange
	assert_success
	assert_line "during 1: 0"
	assert_line "prlimit 1: 0"
	assert_line "after 1: EAGAIN"
	assert_line "after 2: EAGAIN"
}

# With a limit of 0 the kernel says EPERM (can_do_mlock()) before it
# counts pages; a second mapping would meet only mremap's count (EAGAIN).
@test "privilege: a lock limit of 0 makes a remap of locked memory EPERM, as the kernel's first check says" {
	need_nobody
	[ -x "$PROGS/t-priv-limit" ] || fail "t-priv-limit is not built"
	both "$PROGS/t-priv-limit" idchange-zero
	assert_success
	assert_line "after 1: EPERM"
	assert_line "after 2: EPERM"
	assert_log "can_do_mlock()"
}

# In a user namespace of its own a process's CapEff shows CAP_IPC_LOCK,
# but the lock limit asks for it in the initial namespace.  A remap over
# the limit fails natively (EAGAIN); remaptrace must not take the
# capability for real and lose the page's lock.  Here the memory is
# shared anonymous memory the program may not open anew, which remaptrace
# would refuse (EACCES, README: what no second mapping reaches); but the
# kernel's call fails on the lock limit before that matters, and
# remaptrace gives its EAGAIN (emulate.c:over_lock_limit()).  The lock and
# the page stay as the kernel leaves them.
@test "privilege: in a user namespace of its own, CAP_IPC_LOCK is not taken for the lock limit's, and no lock is lost" {
	need_userns
	[ -x "$PROGS/t-anon-apart" ] || fail "t-anon-apart is not built"
	run "${NOBODY[@]}" "$PROGS/t-anon-apart" userns
	assert_success
	assert_line "remap: EAGAIN"
	assert_line "VmLck: 4 kB"
	assert_line "A: a b c d"
	run "$REMAPTRACE" -- "${NOBODY[@]}" "$PROGS/t-anon-apart" userns
	assert_success
	assert_line "remap: EAGAIN"
	assert_line "VmLck: 4 kB"
	assert_line "A: a b c d"
	assert_line --partial "= -1 EAGAIN (over RLIMIT_MEMLOCK"
}
