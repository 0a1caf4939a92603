#!/usr/bin/env bats
# 16-i386.bats - 32-bit programs (gcc -m32, int 0x80) on x86_64 are
# judged and emulated as 64-bit ones are: the same differential checks
# against the kernel, every mode and option, and a tree whose ABI changes
# at each exec.  The 32-bit test programs are `make progs32`.

load helpers

setup_file() {
	export P32=$BATS_FILE_TMPDIR/progs32
	[ "$(uname -m)" = x86_64 ] || return 0
	printf 'int main(void) { return 0; }\n' >"$BATS_FILE_TMPDIR/m32.c"
	gcc -m32 -o "$BATS_FILE_TMPDIR/m32" "$BATS_FILE_TMPDIR/m32.c" \
		2>/dev/null || return 0
	env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u RT_DEPS_CHECKED \
		make -C "$BATS_TEST_DIRNAME/../.." --no-print-directory -j2 \
		progs32 >"$BATS_FILE_TMPDIR/make.log" 2>&1 &&
		cp -r "$BATS_TEST_DIRNAME/../../build/tests/progs32" "$P32"
}

# The 32-bit programs, or a skip that names the packages; in CI (.ci/run
# installs them) their absence is a failure.
need_m32() {
	[ "$(uname -m)" = x86_64 ] || skip "the i386 ABI is x86_64's"
	[ -x "$P32/rfp" ] && return 0
	local why="gcc -m32 cannot build the test programs (dpkg --add-architecture i386; apt-get install libc6-dev-i386 lib32gcc-12-dev linux-libc-dev:i386)"
	[ -z "${CI:-}" ] || fail "CI installs gcc -m32: $why"
	skip "$why"
}

@test "i386: a valid call is emulated: same pages, same VMAs as natively, and the kernel's call never runs" {
	need_m32
	run -0 file "$P32/rfp"
	assert_output --partial "32-bit"
	both "$P32/rfp" -w file 1p 2p 5
	assert_success
	[[ $log == *"runs in 32 bit mode. ]"* ]] ||
		fail "no strace-like note of the 32-bit process: $log"
	[[ $log == *"= 0 <emulated mmap("* ]] ||
		fail "the call was not emulated: $log"
	for k in memfd shanon devzero split prot locked deleted closed; do
		both "$P32/rfp" -w "$k" 1p 2p 5
		assert_success
	done
}

@test "i386: invalid calls get the kernel's errno and rule" {
	need_m32
	for args in "private 0 1p 1" "anon 0 1p 1" "file 0 1p 1 1" "hole 0 4p 0" \
		    "twofiles 0 4p 0" "reopen 0 4p 0" "end 0 4p 0" "file 0 0 0"; do
		# shellcheck disable=SC2086
		both "$P32/rfp" $args
		assert_success
	done
	[[ $log == *"EINVAL"* ]] || fail "no EINVAL logged: $log"
}

@test "i386: arguments are the low halves of the registers, as the kernel takes them" {
	need_m32
	# pgoff 0xffffffff over two pages: valid on a 64-bit kernel (offset
	# 0xffffffff000), which a 32-bit kernel would refuse
	both "$P32/rfp" file 0 2p 0xffffffff
	assert_success
	assert_output --partial "result: "
}

@test "i386: the seeded conformance run matches the kernel" {
	need_m32
	# --anon-merge as make conformance runs it: a piece of shared
	# anonymous memory the program opens anew (map_files) does not merge
	# with its neighbours as the kernel's does (README, Differences)
	run -0 env PROGS="$P32" "$BATS_TEST_DIRNAME/../conformance.sh" quick \
		--anon-merge
	assert_output --partial " 0 divergences"
}

@test "i386: --mode=deny, --inject, -c and --json work for 32-bit calls" {
	need_m32
	run -0 "$REMAPTRACE" --mode=deny=EPERM -- "$P32/t-exec"
	assert_output --partial "32-bit: remap = -1 Operation not permitted"
	run -0 "$REMAPTRACE" --inject=ENOMEM@1 -- "$P32/t-exec"
	assert_output --partial "32-bit: remap = -1 Cannot allocate memory"
	run -0 "$REMAPTRACE" -c -o "$BATS_TEST_TMPDIR/c.log" -- "$P32/t-exec"
	assert_output --partial "32-bit: remap = 0, page 0 holds 103"
	run -0 grep -E "^ *1 +.*emulated" "$BATS_TEST_TMPDIR/c.log"
	run -0 "$REMAPTRACE" --json -o "$BATS_TEST_TMPDIR/j.log" -- \
		"$P32/t-exec"
	run -0 jq -c 'select(.type == "call") | .result' \
		"$BATS_TEST_TMPDIR/j.log"
	assert_output "0"
}

@test "i386: -k shows the 32-bit caller's stack: libc's syscall, then the program" {
	need_m32
	run -0 --separate-stderr "$REMAPTRACE" -k -- "$P32/t-exec"
	assert_output "32-bit: remap = 0, page 0 holds 103"
	# the frames below the call: the 32-bit libc, then the program's own
	# main (return addresses found on its stack)
	[[ $stderr == *" > /usr/lib32/libc.so.6() ["* ]] ||
		fail "no 32-bit libc frame: $stderr"
	[[ $stderr == *" > $P32/t-exec() ["* ]] ||
		fail "no frame of the program: $stderr"
}

@test "i386: a tree that execs 64 -> 32 -> 64 bits: every call emulated, output as natively" {
	need_m32
	both "$PROGS/t-exec" "$P32/t-exec" "$PROGS/t-exec"
	assert_success
	assert_output "64-bit: remap = 0, page 0 holds 103
32-bit: remap = 0, page 0 holds 103
64-bit: remap = 0, page 0 holds 103"
	run -0 grep -c "remap_file_pages(.*= 0 <emulated" <<<"$log"
	assert_output 3
}

# i386's old mmap(struct mmap_arg_struct *) takes its flags from memory,
# where the filter cannot look: every one is sent, and the supervisor
# reads them (follow.c).  Unfollowed, a span across two open files of one
# file was emulated (0) where the kernel says EINVAL.
@test "i386: mappings made with the old mmap(struct *) are followed: a span of two open files is EINVAL, as natively" {
	need_m32
	both "$P32/rfp" -w -o reopen 0 4p 0
	assert_success
	assert_line "result: -1 EINVAL"
	[[ $log == *"through another open file"* ]] ||
		fail "not refused as a span of two open files: $log"
	for k in end twofiles split prot closed deleted memfd file; do
		both "$P32/rfp" -w -o "$k" 1p 2p 5
		assert_success
	done
	[[ $log == *"= 0 <emulated mmap("* ]] ||
		fail "the last call was not emulated: $log"
}
