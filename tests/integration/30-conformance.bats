#!/usr/bin/env bats
# 30-conformance.bats - the seeded conformance program
# (tests/progs/conformance.c) prints a canonical trace of remap_file_pages
# calls, layout changes, the file page behind every page, where writes land
# and the VMAs with their VmFlags; natively and under remaptrace the traces
# must be byte-identical.  tests/conformance.sh does the comparing (here a
# small run; `make conformance` runs 50 seeds x 2,000 operations).
#
# The open file behind a VMA (the kernel compares struct file pointers;
# /proc shows only device and inode) has tests of its own below.  The seed
# runs pass --anon-merge, which shows the VMAs of shared anonymous memory
# merged: there remaptrace maps a new open file of the same pages, so its
# pieces do not merge as the kernel's do (README, "Shared anonymous memory
# and /dev/zero"); everything else is compared as it is.

load helpers

setup() {
	[ -x "$REMAPTRACE" ] ||
		fail "remaptrace is not built at $REMAPTRACE (run make)"
	[ -x "$PROGS/conformance" ] ||
		fail "the conformance program is not built in $PROGS (run make)"
	conf=$PROGS/conformance
	script=$BATS_TEST_DIRNAME/../conformance.sh
	export REMAPTRACE PROGS
}

# conf_native ARGS: run the program natively, its files under the test's
# temporary directory; $output and $status as after `run`.
conf_native() {
	local d
	d=$(mktemp -d -p "$BATS_TEST_TMPDIR")
	run -0 "$conf" --dir "$d" "$@"
}

# same_as_kernel ARGS: run the program natively and as remaptrace -q --
# PROGRAM ARGS; fail, showing the start of the diff, unless the traces and
# exit statuses are identical.  Afterwards $output, $lines and $status
# hold the native run.
same_as_kernel() {
	local d=$BATS_TEST_TMPDIR ns=0 ts=0

	"$conf" "$@" --dir "$d" >"$d/native" 2>"$d/native.err" || ns=$?
	"$REMAPTRACE" -q -- "$conf" "$@" --dir "$d" >"$d/traced" \
		2>"$d/traced.err" || ts=$?
	output=$(<"$d/native")
	mapfile -t lines <"$d/native"
	status=$ns
	if [ "$ns" != "$ts" ] || ! cmp -s "$d/native" "$d/traced"; then
		{ echo "exit status: native $ns, remaptrace $ts"
		  diff -u --label native --label remaptrace "$d/native" \
			"$d/traced" | head -n 40
		} | batslib_decorate "the trace differs under remaptrace" |
			fail
	fi
}

@test "conformance: a seed gives the same trace on every native run" {
	# all kinds but huge: the huge page pool is shared with every other
	# process (conformance.sh tells a pool race from a divergence)
	local d=$BATS_TEST_TMPDIR k=file,file-closed,tmpfs,memfd,memfd-closed
	k=$k,deleted,anon,ro,mlock,private,twice
	"$conf" --seed 11 --ops 300 --threads 1 --fork --kinds "$k" \
		--dir "$d" >"$d/one"
	"$conf" --seed 11 --ops 300 --threads 1 --fork --kinds "$k" \
		--dir "$d" >"$d/two"
	run diff -u "$d/one" "$d/two"
	assert_success
	# and another seed gives another trace
	"$conf" --seed 12 --ops 300 --threads 1 --fork --kinds "$k" \
		--dir "$d" >"$d/three"
	run cmp -s "$d/one" "$d/three"
	assert_failure
}

@test "conformance: the trace holds no addresses, pids, inode or descriptor numbers" {
	local d=$BATS_TEST_TMPDIR pid
	"$conf" --seed 3 --ops 300 --threads 1 --fork --dir "$d" >"$d/trace" &
	pid=$!
	wait "$pid"
	# Arguments drawn by the generator (pgoff, size, flags, prot) and
	# file offsets (pg=) are not addresses; nothing else may be big.
	run bash -c "grep -v '^count ' '$d/trace' |
		sed -E 's/(pgoff|size|flags|prot|pg)=[^ ]*//g' |
		grep -E -n '0x[0-9a-f]{7,}|(^|[^0-9a-fx])[0-9]{5,}'"
	assert_failure
	refute_output
	# Operation counters ("op 315") and page tags ("fileA:315") are small
	# numbers by design and may equal a small pid: leave them out.
	run bash -c "grep -v -E '^(op |count )' '$d/trace' |
		sed -E 's/[A-Za-z]+[0-9]*:[0-9]+(-[0-9]+)?//g;
			s/(pgoff|size|flags|prot|pg)=[^ ]*//g' |
		grep -w -e '$pid' -e '$((pid + 1))'"
	assert_failure
	run grep -F -e "$d" -e /memfd: -e "(deleted)" "$d/trace"
	assert_failure
}

@test "conformance: the kernel's answers natively are the ones its rules predict" {
	conf_native --seed 1 --ops 300
	refute_output --partial MISMATCH
	refute_output --partial "tags=BROKEN"
	# the prologue meets every rule whatever the seed
	local rule
	for rule in ok ok:span einval:prot einval:range einval:pgoff-wrap \
		    einval:no-vma einval:not-shared:private \
		    einval:not-shared:ro einval:span-hole einval:span-file \
		    einval:span-identity einval:span-flags \
		    einval:span-flags-hidden einval:span-end eoverflow; do
		assert_line --regexp "^count remap $rule [1-9]"
	done
	# neighbours alike in /proc/PID/maps, apart in smaps: MAP_NORESERVE,
	# a madvise hint, lock-on-fault
	for flag in nr dd lf; do
		assert_line --regexp \
			"^count remap einval:span-flags-hidden, only one has $flag [1-9]"
	done
	assert_line --regexp '^count write verified [1-9]'
	assert_line --regexp '^count write private [1-9]'
	assert_line --regexp '^count write sigsegv [1-9]'
	assert_line --regexp '^count probe sigbus [1-9]'
	if grep -q '^setup huge' <<<"$output"; then
		assert_line --regexp '^count remap einval:huge-align [1-9]'
		assert_line --regexp '^count remap einval:huge-pgoff [1-9]'
	else
		assert_line --regexp '^skip huge: .*nr_hugepages'
	fi
}

@test "conformance: 5 seeds match the kernel byte for byte" {
	run "$script" quick --only seeds --anon-merge
	assert_success
	assert_line --regexp '^conformance: seeds: 5 runs .*, 0 divergences'
	assert_line --regexp '^  remap ok +[1-9]'
	assert_line --regexp '^  write verified +[1-9]'
}

@test "conformance: threads remapping in their own areas match the kernel" {
	run "$script" quick --only threads --anon-merge
	assert_success
	assert_line --regexp '^conformance: threads: 1 runs .*, 0 divergences'
}

@test "conformance: a forked child's remaps match the kernel" {
	run "$script" quick --only fork --anon-merge
	assert_success
	assert_line --regexp '^conformance: fork: 1 runs .*, 0 divergences'
}

@test "conformance: pieces of one open file split by remaps and mprotect can be spanned" {
	same_as_kernel --kinds file,memfd,mlock --ops 0
	assert_success
	assert_line --partial "[ok:span]"
	refute_output --partial MISMATCH
}

@test "conformance: a span across one file opened twice is refused as the kernel refuses it" {
	# kind "twice": pages 0-7 from one open(), pages 8-15 from another
	same_as_kernel --kinds twice --ops 0
	assert_success
	assert_line --partial "= -1 EINVAL [einval:span-identity]"
}

@test "conformance: remaps of files whose descriptor is closed leave the VMAs the kernel leaves" {
	# the kernel merges a remapped piece with its neighbours only when
	# both map the very same open file
	same_as_kernel --kinds file-closed,tmpfs,memfd-closed,deleted --ops 0
	assert_success
}

# Without --anon-merge: every piece a second mapping of the very open file,
# so the VMAs merge as the kernel's.  Each seed's prologue asks for an
# offset past what any second mapping reaches (2^51 - 2 pages) early on;
# that piece, and the pieces remapped from it, are of a file the program
# opened anew, and must not spread to the rest (before, every seed
# diverged there).
@test "conformance: shared anonymous memory keeps the kernel's VMAs, merges included, past an offset no second mapping reaches" {
	run "$script" full --only seeds --seeds 10 --ops 40 -- --kinds anon
	assert_success
	assert_line --regexp '^conformance: full: 10 runs, .*, 0 divergences, 0 broken'
	assert_line --regexp '^  remap ok +[1-9]'
}

@test "conformance: shared anonymous memory differs from the kernel only in how its VMAs merge" {
	# MAP_SHARED|MAP_ANONYMOUS: a shmem file no descriptor ever named;
	# remaptrace maps a new open file of the same pages (documented), so
	# the pages, flags and results match once its VMAs are shown merged
	same_as_kernel --kinds anon --ops 300 --anon-merge
	assert_success
	assert_line --partial "[ok:span]"
}
