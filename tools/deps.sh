#!/bin/sh
# deps.sh - make sure the build and test dependencies are present.
# As root on Debian they are installed; otherwise the exact command is named.
set -u
pkgs="libseccomp-dev libunwind-dev pkg-config bats bats-support bats-assert"
missing=""
pkg-config --exists 'libseccomp >= 2.5' 2>/dev/null || missing="$missing libseccomp-dev"
pkg-config --exists libunwind-ptrace 2>/dev/null || missing="$missing libunwind-dev"
command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
command -v bats >/dev/null 2>&1 || missing="$missing bats"
[ -f /usr/lib/bats/bats-support/load.bash ] || missing="$missing bats-support"
[ -f /usr/lib/bats/bats-assert/load.bash ] || missing="$missing bats-assert"
# The tests use these tools too; without them their tests skip (saying
# which package), so they are installed as root but never required.
tools="gdb:gdb strace:strace jq:jq valgrind:valgrind perf:linux-perf"
tools="$tools groff:groff-base setpriv:util-linux pgrep:procps python3:python3"
extra=""
for t in $tools; do
	command -v "${t%%:*}" >/dev/null 2>&1 || extra="$extra ${t#*:}"
done
if [ -n "$extra" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "remaptrace: installing test tools:$extra" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq &&
	  apt-get install -y -qq --no-install-recommends $extra; } >&2 ||
		echo "remaptrace: could not install$extra (their tests will skip)" >&2
elif [ -n "$extra" ]; then
	echo "remaptrace: the tests that need$extra skip (apt-get install$extra)" >&2
fi
[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "remaptrace: installing build dependencies:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get update -qq && apt-get install -y -qq $pkgs; } >&2 || {
		echo "remaptrace: apt-get failed; install by hand: apt-get install $pkgs" >&2
		exit 1
	}
	exit 0
fi
echo "remaptrace: missing dependencies:$missing" >&2
echo "remaptrace: install them with: sudo apt-get install $pkgs" >&2
exit 1
