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

@test "readme: the two set-up commands it opens with are make targets" {
	run sed -n '3,5p' "$_repo/README.md"
	assert_line --partial "make demo"
	assert_line --partial "make check"
	run make -C "$_repo" -n demo check
	assert_success
}
