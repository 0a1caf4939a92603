#!/usr/bin/env bats
# The source files call only down their layers (tools/layers.txt), and
# never in a cycle: tools/layers.sh, on the objects make built.

load helpers

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

@test "layers: every call in the tree goes down or sideways, with no cycle" {
	run -0 "$TOP/tools/layers.sh"
	assert_output --partial "no cycle"
}

@test "layers: a file that calls up a layer is named, with the call" {
	# notify.c put at the bottom: every call it makes goes up.
	sed 's|^4 dispatch  tracer/notify.c|0 pure tracer/notify.c\n4 dispatch |' \
		"$TOP/tools/layers.txt" > "$BATS_TEST_TMPDIR/layers.txt"
	run -1 "$TOP/tools/layers.sh" "$BATS_TEST_TMPDIR/layers.txt"
	assert_output --regexp "tracer/notify.c \(pure\) calls up into tracer/emulate.c \(jobs\): rt_emulate"
}

@test "layers: two files that call each other are a cycle, even in one layer" {
	local d=$BATS_TEST_TMPDIR/tree
	mkdir -p "$d/src/tracer" "$d/build/tracer"
	printf 'int b(int);\nint a(int x) { return x ? b(x - 1) : 0; }\n' \
		> "$d/src/tracer/a.c"
	printf 'int a(int);\nint b(int x) { return x ? a(x - 1) : 1; }\n' \
		> "$d/src/tracer/b.c"
	cc -c -o "$d/build/tracer/a.o" "$d/src/tracer/a.c"
	cc -c -o "$d/build/tracer/b.o" "$d/src/tracer/b.c"
	echo "1 one tracer/a.c tracer/b.c" > "$d/layers.txt"
	run -1 "$TOP/tools/layers.sh" "$d/layers.txt" "$d/build" "$d/src"
	assert_output --partial "form a cycle"
	assert_output --partial "tracer/a.c"
}

@test "layers: a source file in no layer is refused" {
	grep -v 'tracer/call.c' "$TOP/tools/layers.txt" \
		| sed 's| tracer/call.c||' > "$BATS_TEST_TMPDIR/layers.txt"
	run -1 "$TOP/tools/layers.sh" "$BATS_TEST_TMPDIR/layers.txt"
	assert_output --partial "tracer/call.c is in no layer"
}
