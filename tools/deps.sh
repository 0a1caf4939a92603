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
