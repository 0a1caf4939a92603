#!/bin/sh
# run-i386.sh - the emulation suite again, with the test programs built for
# i386 (gcc -m32, make progs32): every differential check of
# tests/integration/20-emulate.bats, a 32-bit program against the kernel.
# Where gcc -m32 cannot build them, one skip names the packages; in CI
# (.ci/run installs them) that is a failure.
set -u
cd "$(dirname "$0")/.." || exit 99
B=${B:-build}
if ! make --no-print-directory -s B="$B" progs32 >/dev/null 2>&1; then
	why="gcc -m32 cannot build the test programs (dpkg --add-architecture i386; apt-get install libc6-dev-i386 lib32gcc-12-dev linux-libc-dev:i386)"
	if [ -n "${CI:-}" ]; then
		echo "run-i386: $why"
		echo "bats: 0 passed, 1 failed, 0 skipped"
		exit 1
	fi
	echo "run-i386: skipped: $why"
	echo "bats: 0 passed, 0 failed, 1 skipped"
	exit 0
fi
REMAPTRACE=${REMAPTRACE:-$(pwd)/$B/remaptrace} \
PROGS=$(pwd)/$B/tests/progs32 \
	exec tests/run-bats.sh tests/integration/20-emulate.bats
