#!/usr/bin/env bats
# 80-package.bats - how remaptrace reaches a machine: the dependency check
# of the build, make install, the bash completion, and the Debian package
# (built with dpkg-buildpackage from a copy of the tree, so that neither
# the tree nor its parent directory is written to).

load helpers

# The package is built once for the file, in setup_file; its tests skip
# with the reason it could not be.
pkg_dir() { echo "$BATS_FILE_TMPDIR/pkg"; }

# copy_tree DEST: the files git tracks, as they are in the work tree; a
# tree that is not a git checkout is copied whole, less the builds.
copy_tree() {
	local dest=$1

	mkdir -p "$dest"
	if git -C "$_repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git -C "$_repo" ls-files -z |
			tar -C "$_repo" --null -T - -cf - | tar -C "$dest" -xf -
	else
		tar -C "$_repo" --exclude=./build --exclude=./build-asan \
			--exclude=./debian/build --exclude=./remaptrace \
			-cf - . | tar -C "$dest" -xf -
	fi
}

setup_file() {
	local d
	d=$(pkg_dir)
	mkdir -p "$d"
	if ! command -v dpkg-buildpackage >/dev/null ||
	   ! command -v dh >/dev/null; then
		echo "dpkg-buildpackage or debhelper is not installed" \
		     "(apt-get install dpkg-dev debhelper)" >"$d/skip"
		return 0
	fi
	if grep -qa __asan_init "$REMAPTRACE" 2>/dev/null; then
		# the package builds its own remaptrace, the same whichever
		# build runs the suite: the plain run checks it
		echo "the package is checked by the plain run, not the ASan one" \
			>"$d/skip"
		return 0
	fi
	copy_tree "$d/src/remaptrace"
	# a git index of the copy, to see afterwards what the build left
	git -C "$d/src/remaptrace" init -q &&
		git -C "$d/src/remaptrace" add -A
	# not the jobserver of the make running this suite
	(cd "$d/src/remaptrace" &&
	 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		dpkg-buildpackage -b -uc -us) >"$d/build.log" 2>&1
	echo $? >"$d/status"
	arch=$(dpkg --print-architecture)
	version=$(sed -n 's/^VERSION *:= *//p' "$_repo/Makefile")
	echo "$d/src/remaptrace_${version}_${arch}.deb" >"$d/deb"
}

# need_package: skip without the package; fail if its build failed.
need_package() {
	local d
	d=$(pkg_dir)
	[ ! -f "$d/skip" ] || skip "$(cat "$d/skip")"
	[ "$(cat "$d/status")" = 0 ] || {
		tail -n 40 "$d/build.log"
		fail "dpkg-buildpackage failed (status $(cat "$d/status"))"
	}
	deb=$(cat "$d/deb")
	[ -f "$deb" ] || fail "no $deb after dpkg-buildpackage"
}

need_completion() {
	[ -f /usr/share/bash-completion/bash_completion ] ||
		skip "bash-completion is not installed (apt-get install bash-completion)"
}

# --- the build's dependencies ---

# A tree with the Makefile and tools/ only, and a PATH whose pkg-config
# finds nothing and whose apt-get only records that it was run.
fake_tree() {
	local t=$BATS_TEST_TMPDIR
	mkdir -p "$t/tree/tools" "$t/bin"
	cp "$_repo/Makefile" "$t/tree/"
	cp "$_repo/tools/deps.sh" "$t/tree/tools/"
	printf '#!/bin/sh\nexit 1\n' >"$t/bin/pkg-config"
	printf '#!/bin/sh\necho "$*" >>"%s/apt-get.ran"\n' "$t" >"$t/bin/apt-get"
	chmod +x "$t/bin/pkg-config" "$t/bin/apt-get"
}

@test "build: make stops naming the apt-get command for a missing build dependency, and never runs apt-get" {
	fake_tree
	run -2 env -u RT_DEPS_CHECKED PATH="$BATS_TEST_TMPDIR/bin:$PATH" \
		make -C "$BATS_TEST_TMPDIR/tree"
	assert_line "remaptrace: missing build dependencies: libseccomp-dev libunwind-dev libbpf-dev"
	assert_line --regexp "^remaptrace: install them with: (sudo )?apt-get install libseccomp-dev libunwind-dev libbpf-dev$"
	[ ! -e "$BATS_TEST_TMPDIR/apt-get.ran" ] ||
		fail "make ran apt-get $(cat "$BATS_TEST_TMPDIR/apt-get.ran")"
}

@test "build: make clean needs no dependency" {
	fake_tree
	mkdir -p "$BATS_TEST_TMPDIR/tree/build"
	run -0 env -u RT_DEPS_CHECKED PATH="$BATS_TEST_TMPDIR/bin:$PATH" \
		make -C "$BATS_TEST_TMPDIR/tree" clean
	refute_output --partial "remaptrace: missing"
	[ ! -e "$BATS_TEST_TMPDIR/tree/build" ] || fail "make clean left build/"
	[ ! -e "$BATS_TEST_TMPDIR/apt-get.ran" ] || fail "make clean ran apt-get"
}

# --- make install ---

@test "install: make install puts the bash completion under DESTDIR and PREFIX, uninstall removes it" {
	local dest=$BATS_TEST_TMPDIR/dest b
	local comp=$dest/opt/rt/share/bash-completion/completions/remaptrace
	b=$(cd "$(dirname "$REMAPTRACE")" && pwd)
	run -0 make -s -C "$_repo" -o "$b/remaptrace" install B="$b" \
		DESTDIR="$dest" PREFIX=/opt/rt
	[ -f "$comp" ] || fail "no $comp"
	cmp "$_repo/completion/remaptrace.bash" "$comp"
	run -0 make -s -C "$_repo" uninstall B="$b" DESTDIR="$dest" PREFIX=/opt/rt
	[ ! -e "$comp" ] || fail "uninstall left the completion"
}

# --- the bash completion ---

# completions_of LINE: what the completion offers at the end of LINE, one per
# line, with the words split as bash splits them (at COMP_WORDBREAKS' =, @
# and :, each run of them a word of its own).
completions_of() {
	bash -c '
		source /usr/share/bash-completion/bash_completion
		source "$1"
		line=$2
		read -ra ws <<<"$line"
		words=()
		for w in "${ws[@]}"; do
			while [[ $w =~ ^([^=@:]*)([=@:]+)(.*)$ ]]; do
				[[ -n ${BASH_REMATCH[1]} ]] &&
					words+=("${BASH_REMATCH[1]}")
				words+=("${BASH_REMATCH[2]}")
				w=${BASH_REMATCH[3]}
			done
			[[ -n $w ]] && words+=("$w")
		done
		[[ $line == *" " ]] && words+=("")
		COMP_WORDS=("${words[@]}")
		COMP_CWORD=$((${#words[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_remaptrace 2>/dev/null
		printf "%s\n" "${COMPREPLY[@]}" | sort -u
	' _ "$_repo/completion/remaptrace.bash" "$1"
}

@test "completion: --mode= offers emulate, check and deny" {
	need_completion
	run -0 completions_of "remaptrace --mode="
	assert_output "$(printf '%s\n' check deny emulate)"
	run -0 completions_of "remaptrace -q --mode e"
	assert_output "emulate"
}

@test "completion: --mode=deny= and --inject= offer errno names" {
	need_completion
	run -0 completions_of "remaptrace --mode=deny=ENOS"
	assert_output "$(printf '%s\n' ENOSPC ENOSR ENOSTR ENOSYS)"
	run -0 completions_of "remaptrace --inject=EINV"
	assert_output "EINVAL@"
	run -0 completions_of "remaptrace --inject ENOMEM"
	assert_output "ENOMEM@"
}

@test "completion: -u offers user names, --signal= all and none" {
	need_completion
	run -0 completions_of "remaptrace -u roo"
	assert_output "root"
	run -0 completions_of "remaptrace --signal="
	assert_output "$(printf '%s\n' all none)"
	# -u's argument is not the program: the word after it is
	run -0 completions_of "remaptrace -u root truncat"
	assert_output "truncate"
}

@test "completion: the options are the long options of --help" {
	need_completion
	local want got
	run -0 "$REMAPTRACE" --help
	want=$(grep -oE -- '--[a-z][a-z-]+=?' <<<"$output" | sort -u)
	run -0 completions_of "remaptrace --"
	got=$(grep -- '^--' <<<"$output" | sort -u)
	assert_equal "$got" "$want"
}

@test "completion: the errno names are those remaptrace parses (emu/names.c)" {
	need_completion
	local want got
	want=$(sed -n '/errno_names\[\] = {/,/^};/p' "$_repo/emu/names.c" |
		grep -oE 'E\(E[A-Z0-9]+\)' | sed -E 's/E\((.*)\)/\1/' | sort)
	[ -n "$want" ] || fail "no errno names found in emu/names.c"
	run -0 completions_of "remaptrace --mode=deny="
	got=$(sort <<<"$output")
	assert_equal "$got" "$want"
}

@test "completion: after the options, the program and its arguments complete as a command" {
	need_completion
	run -0 completions_of "remaptrace -q -- truncat"
	assert_output "truncate"
	run -0 completions_of "remaptrace -o log --json truncat"
	assert_output "truncate"
	run -0 completions_of "remaptrace expl"
	assert_output "explain"
	run -0 completions_of "remaptrace explain --p"
	assert_output "--pid="
}

# --- the Debian package ---

@test "package: dpkg-buildpackage builds it from a copy of the tree, and leaves only ignored files behind" {
	need_package
	local src
	src=$(pkg_dir)/src/remaptrace
	# nothing tracked changed, nothing new that .gitignore does not name
	run -0 git -C "$src" diff --name-status
	assert_output ""
	run -0 git -C "$src" ls-files --others --exclude-standard
	assert_output ""
	# and the build did leave something, or the check above proves nothing
	[ -d "$src/debian/build" ] || fail "no debian/build in the copy"
}

@test "package: the .deb holds the program, its man page and its bash completion" {
	need_package
	local root=$BATS_TEST_TMPDIR/root
	run -0 dpkg-deb -x "$deb" "$root"
	[ -x "$root/usr/bin/remaptrace" ] || fail "no /usr/bin/remaptrace"
	run -0 "$root/usr/bin/remaptrace" --version
	assert_output "remaptrace $(sed -n 's/^VERSION *:= *//p' "$_repo/Makefile")"
	run -0 "$root/usr/bin/remaptrace" -- true
	[ -f "$root/usr/share/man/man1/remaptrace.1.gz" ] ||
		fail "no /usr/share/man/man1/remaptrace.1.gz"
	run -0 bash -c 'zcat "$1" | cmp - "$2"' _ \
		"$root/usr/share/man/man1/remaptrace.1.gz" "$_repo/doc/remaptrace.1"
	run -0 cmp "$root/usr/share/bash-completion/completions/remaptrace" \
		"$_repo/completion/remaptrace.bash"
	[ -f "$root/usr/share/doc/remaptrace/copyright" ] ||
		fail "no /usr/share/doc/remaptrace/copyright"
}

@test "package: it depends on libseccomp2, libunwind8 and libbpf1, at the Makefile's version" {
	need_package
	run -0 dpkg-deb -f "$deb" Depends
	assert_output --regexp '(^|, )libseccomp2( \(>= [^)]*\))?(,|$)'
	assert_output --regexp '(^|, )libunwind8( \(>= [^)]*\))?(,|$)'
	assert_output --regexp '(^|, )libbpf1( \(>= [^)]*\))?(,|$)'
	run -0 dpkg-deb -f "$deb" Version
	assert_output "$(sed -n 's/^VERSION *:= *//p' "$_repo/Makefile")"
}

# A package this file installed is removed whatever happened to the test.
teardown() {
	if [ -f "$BATS_TEST_TMPDIR/installed" ]; then
		dpkg -r remaptrace >/dev/null 2>&1
	fi
}

@test "package: dpkg -i installs it, remaptrace runs from /usr/bin, dpkg -r removes it" {
	need_package
	[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
	if dpkg-query -W -f '${Status}' remaptrace 2>/dev/null |
	   grep -q installed; then
		skip "a remaptrace package is installed here already: not replacing it"
	fi
	[ ! -e /usr/bin/remaptrace ] ||
		skip "/usr/bin/remaptrace exists and is no package's: not replacing it"
	touch "$BATS_TEST_TMPDIR/installed"
	run -0 dpkg -i "$deb"
	run -0 /usr/bin/remaptrace --version
	assert_output "remaptrace $(sed -n 's/^VERSION *:= *//p' "$_repo/Makefile")"
	run -0 /usr/bin/remaptrace -- true
	[ -f /usr/share/bash-completion/completions/remaptrace ] ||
		fail "dpkg -i installed no completion"
	run -0 dpkg -r remaptrace
	rm "$BATS_TEST_TMPDIR/installed"
	[ ! -e /usr/bin/remaptrace ] || fail "dpkg -r left /usr/bin/remaptrace"
	[ ! -e /usr/share/bash-completion/completions/remaptrace ] ||
		fail "dpkg -r left the completion"
}
