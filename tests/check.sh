#!/usr/bin/env bash
# check.sh - the whole test suite (make check): unit tests, integration
# tests (and the emulation suite with 32-bit programs), then both again
# against the sanitizer build, closing with one line
# "check: N passed, N failed, N skipped" that adds them all up.
# A step that breaks without printing its summary counts as a failure, so a
# missing runner or a failed build can never look like success.
set -u -o pipefail
cd "$(dirname "$0")/.." || exit 99

tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
passed=0 failed=0 skipped=0

# step NAME WANT COMMAND...: run COMMAND with its output shown, and add up
# the WANT summary lines ("unit: ..." or "bats: ...") it must print.
step() {
	local name=$1 want=$2 out=$tmp/$1.out status=0 got=0 before=$failed
	local p f s

	shift 2
	echo "=== check: $name: $*"
	"$@" 2>&1 | tee "$out" || status=$?
	while read -r p f s; do
		passed=$((passed + p))
		failed=$((failed + f))
		skipped=$((skipped + s))
		got=$((got + 1))
	done < <(sed -nE 's/^(unit|bats): ([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\2 \3 \4/p' "$out")
	if [ "$got" -lt "$want" ]; then
		echo "check: $name printed $got of its $want summary lines" \
		     "(status $status): counted as failed"
		failed=$((failed + want - got))
	fi
	if [ "$status" -ne 0 ] && [ "$failed" -eq "$before" ]; then
		echo "check: $name exited with status $status: counted as failed"
		failed=$((failed + 1))
	fi
}

step unit 1 make --no-print-directory check-unit
# emu/'s unit tests again, cross-built for arm64 and run under qemu-user:
# wherever the cross compiler is, and always in CI (.ci/run installs it),
# where its absence is a failure, not a skip.
if command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || [ -n "${CI:-}" ]; then
	step unit-arm64 1 make --no-print-directory check-unit-arm64
else
	echo "=== check: unit-arm64: skipped: no aarch64-linux-gnu-gcc" \
	     "(apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross" \
	     "qemu-user-static)"
	skipped=$((skipped + 1))
fi
step integration 1 make --no-print-directory check-integration
# the emulation suite again with the test programs built for i386
step i386 1 tests/run-i386.sh
step asan 2 make --no-print-directory check-asan

echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
