#!/usr/bin/env bats
# The README's claims that tests can hold it to.

load helpers

_repo=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

@test "readme: the Debugging EINVAL section is the worked example the tests check" {
	# doc/debugging-einval.md is re-run by 50-report.bats; the README
	# carries the same text, so it cannot drift from what remaptrace prints
	run python3 -c '
import sys
readme = open(sys.argv[1]).read()
doc = open(sys.argv[2]).read().rstrip("\n")
sys.exit(0 if doc in readme else 1)' "$_repo/README.md" "$_repo/doc/debugging-einval.md"
	assert_success
}

@test "readme: it opens with what remaptrace is and who it is for, then the two commands, then Install" {
	local readme=$_repo/README.md
	# the first paragraph after the title says what it is
	run -0 sed -n '3p' "$readme"
	assert_output --regexp '^remaptrace runs a program that still calls `remap_file_pages\(2\)`'
	# then whom it is for, before any heading
	run -0 awk 'NR > 1 && /^#/ { exit } /^It is for / { print "yes" }' "$readme"
	assert_output "yes"
	# the headings in order: Try it (the two commands), then Install
	run -0 grep -m 3 '^## ' "$readme"
	assert_line --index 0 "## Try it"
	assert_line --index 1 "## Install"
	# the first code block holds the two commands, and they are targets
	run -0 awk '/^```/ { n++; next } n == 1' "$readme"
	assert_line --regexp '^make demo +#'
	assert_line --regexp '^make check +#'
	run make -C "$_repo" -n demo check
	assert_success
}

@test "readme: Install names make install, PREFIX, the runtime libraries and make deb" {
	run -0 awk '/^## Install/ { on = 1; next } /^## / { on = 0 } on' "$_repo/README.md"
	assert_output --partial "sudo make install"
	assert_output --partial "PREFIX"
	assert_output --partial "libseccomp2"
	assert_output --partial "libunwind8"
	assert_output --partial "make deb"
}

@test "readme: every option of its Options table is an option of --help" {
	local opt help
	help=$("$REMAPTRACE" --help)
	run -0 awk '/^## Options/ { on = 1; next } /^## / { on = 0 } on && /^\| `/' "$_repo/README.md"
	local opts
	opts=$(cut -d'|' -f2 <<<"$output" | grep -oE -- '(^|[ `])--?[a-zA-Z][a-zA-Z-]*' | tr -d ' `' | sort -u)
	[ "$(wc -l <<<"$opts")" -ge 25 ] || fail "too few options found: $opts"
	for opt in $opts; do
		grep -qE -- "(^|[ ,])$opt([ ,=:]|\$)" <<<"$help" ||
			fail "the README's $opt is not in --help"
	done
}

@test "readme: the programs its examples name by a path in the tree exist once built" {
	local p n=0
	for p in $(grep -oE '(^|[ `(])build/[A-Za-z0-9_/.-]*[A-Za-z0-9_]' "$_repo/README.md" |
			sed -E 's/^[ `(]//' | sort -u); do
		[ -e "$_repo/$p" ] || fail "the README names $p, which make does not build"
		n=$((n + 1))
	done
	[ "$n" -ge 2 ] || fail "only $n paths found: the check proves nothing"
}
