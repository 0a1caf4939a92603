#!/bin/sh
# deps.sh - make sure the dependencies of one make target are present.
#
#   tools/deps.sh build   the build (make, make install): checks only, and
#                         never installs; a missing build dependency stops
#                         with the exact apt-get command
#   tools/deps.sh demo    make demo: the build dependencies
#   tools/deps.sh bench   make bench: those, strace for its column and
#                         stress-ng for its remap stressor's row
#   tools/deps.sh test    make check, check-integration, check-asan,
#                         conformance: those, bats, and the tools the tests
#                         drive (without a tool its tests skip, naming it)
#   tools/deps.sh deb     make deb: those of the build, dpkg-dev and
#                         debhelper, and lintian for the verdict; checks
#                         only, like build
#   tools/deps.sh arm64-unit
#                         make check-unit-arm64: the arm64 cross compiler
#                         with its static C library and libseccomp, and
#                         qemu-user-static
#
# The test mode also brings, as optional tools, what the architecture
# tests use: gcc -m32 (libc6-dev-i386, lib32gcc-N-dev, linux-libc-dev:i386;
# never gcc-multilib, which conflicts with the cross compilers) and the
# arm64 cross build (gcc-aarch64-linux-gnu, libseccomp-dev:arm64,
# libunwind-dev:arm64, qemu-user-static).
#
# Except for build and deb, what is missing is installed with apt-get when
# run as root on Debian (adding the foreign dpkg architecture a :ARCH
# package needs); otherwise the exact commands are named.  CC names the
# compiler the build will use (default cc), PKG_CONFIG the pkg-config that
# answers for its target, CROSS_COMPILE the prefix of a cross build.
# Exit status: 0 when everything required is there, 1 otherwise.
set -u
mode=${1:-build}
case $mode in
build|demo|bench|test|deb|arm64-unit) ;;
*)	echo "usage: $0 build|demo|bench|test|deb|arm64-unit" >&2; exit 2 ;;
esac
pkg_config=${PKG_CONFIG:-pkg-config}
cross=${CROSS_COMPILE:-}
[ "$mode" = arm64-unit ] && cross=${cross:-aarch64-linux-gnu-}
# The Debian architecture of a cross target: its libraries are PKG:ARCH.
debarch() {
	case ${1%-} in
	aarch64-linux-gnu)	echo arm64 ;;
	x86_64-linux-gnu)	echo amd64 ;;
	i686-linux-gnu)		echo i386 ;;
	esac
}
march=
[ -n "$cross" ] && march=$(debarch "$cross")
# installed PKG...: true when dpkg says each one is installed
installed() {
	command -v dpkg-query >/dev/null 2>&1 || return 1
	for p in "$@"; do
		dpkg-query -W -f '${Status}' "$p" 2>/dev/null |
			grep -q ' installed$' || return 1
	done
}

# The compiler: its first word, as make will run it.
cc=${CC:-cc}
cc=${cc%% *}
case ${cc##*/} in
clang*)	cc_pkg=clang ;;
*-gcc)	cc_pkg=gcc-${cc##*/}; cc_pkg=${cc_pkg%-gcc} ;;
*)	cc_pkg=gcc ;;
esac

# build dependencies: what `make` needs to compile and link remaptrace
build=""
command -v "$cc" >/dev/null 2>&1 || build="$build $cc_pkg"
command -v make >/dev/null 2>&1 || build="$build make"
sfx=${march:+:$march}
if [ "$mode" = arm64-unit ]; then
	# only emu/ and its tests: no libraries but the static C library
	[ -f "/usr/${cross%-}/lib/libc.a" ] ||
		build="$build libc6-dev-$march-cross"
	[ -f "/usr/lib/${cross%-}/libseccomp.a" ] ||
		build="$build libseccomp-dev:$march"
	command -v "${QEMU_ARM64:-qemu-aarch64-static}" >/dev/null 2>&1 ||
		build="$build qemu-user-static"
elif command -v pkg-config >/dev/null 2>&1; then
	$pkg_config --exists 'libseccomp >= 2.5' 2>/dev/null ||
		build="$build libseccomp-dev$sfx"
	$pkg_config --exists libunwind-ptrace libunwind-generic 2>/dev/null ||
		build="$build libunwind-dev$sfx"
	$pkg_config --exists libbpf 2>/dev/null ||
		build="$build libbpf-dev$sfx"
else
	# without pkg-config, look for the headers (Debian's paths)
	build="$build pkg-config"
	header() {
		for h in /usr/include/"$1" /usr/include/*/"$1"; do
			[ -f "$h" ] && return 0
		done
		return 1
	}
	header seccomp.h || build="$build libseccomp-dev"
	header libunwind-ptrace.h || build="$build libunwind-dev"
	header bpf/libbpf.h || build="$build libbpf-dev"
fi

# what the target needs on top, required ones first, then optional tools
need=""
tools=""
case $mode in
test)
	command -v bats >/dev/null 2>&1 || need="$need bats"
	[ -f /usr/lib/bats/bats-support/load.bash ] ||
		need="$need bats-support"
	[ -f /usr/lib/bats/bats-assert/load.bash ] ||
		need="$need bats-assert"
	tools="gdb:gdb strace:strace jq:jq valgrind:valgrind perf:linux-perf"
	tools="$tools groff:groff-base setpriv:util-linux pgrep:procps"
	tools="$tools python3:python3 dh:debhelper dpkg-buildpackage:dpkg-dev"
	tools="$tools /usr/share/bash-completion/bash_completion:bash-completion"
	tools="$tools stress-ng:stress-ng"
	# 32-bit test programs, and the arm64 cross build and its unit tests
	gccv=$(gcc -dumpversion 2>/dev/null); gccv=${gccv%%.*}
	for p in libc6-dev-i386 lib32gcc-${gccv:-12}-dev linux-libc-dev:i386 \
		 gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
		 libseccomp-dev:arm64 libunwind-dev:arm64 qemu-user-static; do
		installed "$p" || extra="$extra $p"
	done
	;;
bench)
	tools="strace:strace stress-ng:stress-ng"
	;;
deb)
	command -v dpkg-buildpackage >/dev/null 2>&1 || need="$need dpkg-dev"
	command -v dh >/dev/null 2>&1 || need="$need debhelper"
	tools="lintian:lintian"
	;;
esac
# a tool is a command, or a file (an absolute path)
extra=${extra:-}
for t in $tools; do
	case $t in
	/*)	[ -e "${t%%:*}" ] || extra="$extra ${t#*:}" ;;
	*)	command -v "${t%%:*}" >/dev/null 2>&1 ||
			extra="$extra ${t#*:}" ;;
	esac
done
missing="$build$need"

sudo=sudo
[ "$(id -u)" = 0 ] && sudo=
# The foreign dpkg architectures that PKG:ARCH names need.
foreign=$(for p in $missing $extra; do
	case $p in *:*) echo "${p#*:}" ;; esac
done | sort -u)
if [ -n "$foreign" ]; then
	hint=$(for a in $foreign; do
		printf '%sdpkg --add-architecture %s && ' "${sudo:+$sudo }" "$a"
	done)
	hint="$hint${sudo:+$sudo }apt-get update && "
else
	hint=
fi
if [ "$mode" = build ] || [ "$mode" = deb ]; then
	[ -n "$extra" ] && echo "remaptrace: without$extra what needs" \
		"them is skipped ($hint${sudo:+$sudo }apt-get install$extra)" >&2
	[ -z "$missing" ] && exit 0
	what=build
	[ "$mode" = deb ] && what="package build"
	[ -n "$cross" ] && what="$what (for ${cross%-})"
	echo "remaptrace: missing $what dependencies:$missing" >&2
	echo "remaptrace: install them with: $hint${sudo:+$sudo }apt-get install$missing" >&2
	exit 1
fi

[ -z "$missing$extra" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	export DEBIAN_FRONTEND=noninteractive
	echo "remaptrace: installing with apt-get:$missing$extra" >&2
	for a in $foreign; do
		dpkg --add-architecture "$a" >&2 || true
	done
	apt-get update -qq >&2 || true
	if [ -n "$missing" ]; then
		apt-get install -y -qq --no-install-recommends $missing >&2 || {
			echo "remaptrace: apt-get failed; install by hand:" \
			     "apt-get install$missing" >&2
			exit 1
		}
	fi
	# tools one by one: one that this release lacks leaves the others
	for p in $extra; do
		apt-get install -y -qq --no-install-recommends "$p" >&2 ||
			echo "remaptrace: could not install $p (its tests will" \
			     "skip)" >&2
	done
	exit 0
fi
if [ -n "$extra" ]; then
	echo "remaptrace: without$extra what needs them is skipped" \
	     "($hint${sudo:+$sudo }apt-get install$extra)" >&2
fi
[ -z "$missing" ] && exit 0
echo "remaptrace: missing dependencies:$missing" >&2
echo "remaptrace: install them with: $hint${sudo:+$sudo }apt-get install$missing" >&2
exit 1
