#!/usr/bin/env bats
# 15-arch.bats - the arch layer beyond x86_64's native ABI.
# arm64: `make CROSS_COMPILE=aarch64-linux-gnu-` builds remaptrace for arm64
# in a tree of its own, so the arm64 files cannot rot unseen.  Only built
# here, and started under qemu-user for --version: the tracer itself cannot
# run there (qemu-user has no ptrace nor seccomp user notification).
# i386: the compat entry drives a real 32-bit program (tests/arch/).

load helpers

CROSS=aarch64-linux-gnu-

# The cross tools, or a skip naming the packages; in CI (.ci/run installs
# them) their absence is a failure.
need_cross() {
	local why=""

	command -v "${CROSS}gcc" >/dev/null || why="no ${CROSS}gcc"
	[ -z "$why" ] &&
		! PKG_CONFIG_LIBDIR=/usr/lib/aarch64-linux-gnu/pkgconfig \
		  pkg-config --exists libseccomp libunwind-ptrace 2>/dev/null &&
		why="no arm64 libseccomp or libunwind"
	[ -z "$why" ] && return 0
	why="$why (dpkg --add-architecture arm64; apt-get install gcc-aarch64-linux-gnu libseccomp-dev:arm64 libunwind-dev:arm64)"
	[ -z "${CI:-}" ] || fail "CI installs the arm64 cross build: $why"
	skip "$why"
}

# cross_make ARGS...: make in the source tree, as a user would type it,
# without the calling make's jobserver or dependency note.
cross_make() {
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u RT_DEPS_CHECKED \
		make -C "$_repo" --no-print-directory -j2 \
		CROSS_COMPILE=$CROSS "$@"
}

@test "arch: make CROSS_COMPILE=aarch64-linux-gnu- B=DIR builds an arm64 remaptrace" {
	need_cross
	local b=$BATS_TEST_TMPDIR/arm64 link_before link_after

	link_before=$(readlink "$_repo/remaptrace" 2>/dev/null || echo none)
	run -0 cross_make B="$b"
	run -0 readelf -h "$b/remaptrace"
	assert_output --regexp 'Class:[[:space:]]+ELF64'
	assert_output --regexp 'Machine:[[:space:]]+AArch64'
	# the unit tests and test programs are arm64 too
	run -0 readelf -h "$b/tests/unit/test_validate"
	assert_output --regexp 'Machine:[[:space:]]+AArch64'
	run -0 readelf -h "$b/tests/progs/rfp"
	assert_output --regexp 'Machine:[[:space:]]+AArch64'
	# the native build's link at the top of the tree is left alone
	link_after=$(readlink "$_repo/remaptrace" 2>/dev/null || echo none)
	assert_equal "$link_after" "$link_before"
}

@test "arch: the arm64 build links the arm64 arch file and no x86 code" {
	need_cross
	local b=$BATS_TEST_TMPDIR/arm64

	run -0 cross_make B="$b" "$b/remaptrace"
	run -0 test -f "$b/tracer/arch-aarch64.o"
	run -0 test ! -e "$b/tracer/arch-x86_64.o"
	run -0 test ! -e "$b/tracer/agent-x86_64.o"
	run -0 cat "$b/.target"
	assert_output aarch64-linux-gnu
}

@test "arch: the arm64 remaptrace starts under qemu-user and prints its version" {
	need_cross
	command -v qemu-aarch64-static >/dev/null ||
		skip "no qemu-aarch64-static (apt-get install qemu-user-static)"
	local b=$BATS_TEST_TMPDIR/arm64

	run -0 cross_make B="$b" "$b/remaptrace"
	run -0 qemu-aarch64-static "$b/remaptrace" --version
	assert_output --partial "remaptrace"
}

# gcc -m32, or a skip naming the packages (a failure in CI, which installs
# them).
need_m32() {
	printf 'int main(void) { return 0; }\n' >"$BATS_TEST_TMPDIR/m32.c"
	gcc -m32 -o "$BATS_TEST_TMPDIR/m32" "$BATS_TEST_TMPDIR/m32.c" \
		2>/dev/null && return 0
	local why="gcc -m32 cannot link (dpkg --add-architecture i386; apt-get install libc6-dev-i386 lib32gcc-12-dev linux-libc-dev:i386)"
	[ -z "${CI:-}" ] || fail "CI installs gcc -m32: $why"
	skip "$why"
}

@test "arch: i386: mmap2 injected by int 0x80 maps page 2 of the file, and the stopped call returns what the tracer says" {
	[ "$(uname -m)" = x86_64 ] || skip "the i386 ABI is x86_64's"
	need_m32
	local b=$BATS_TEST_TMPDIR/x86

	run -0 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u RT_DEPS_CHECKED \
		make -C "$_repo" --no-print-directory -j2 B="$b" arch-progs
	run -0 "$b/tests/arch/t-inject-i386" "$b/tests/arch/child32"
	assert_output "sizeof(long) 4
abi i386 (AUDIT_ARCH_I386 gives i386)
int 0x80 before the pc: yes
taken for a native stop: no
mmap2 offset argument 2: mapped
the page holds \"222\"
getpid 4242"
}
