#!/bin/sh
# run-unit.sh - run the unit test programs (TAP on stdout) and sum them up.
#
# Usage: tests/run-unit.sh build/tests/unit/*
# (the compiler's *.d and *.o files among the arguments are ignored)
# UNIT_RUNNER, when set, is the command that runs each program (for
# example qemu-aarch64-static, for programs built for arm64).
#
# Per program: PASS (exit 0, a plan, every test ok), FAIL (a "not ok" or a
# non-zero exit), SKIP (exit 77, never a pass), ERROR (exit 99, "Bail
# out!", a crash, a timeout, or a plan that does not match the tests run;
# counted as failed).  The last line is exactly
#	unit: N passed, N failed, N skipped
# Exit status: 0 when nothing failed, 1 otherwise, 99 when this script
# itself cannot work (no programs given, no temporary directory).
set -u

TIMEOUT=${UNIT_TIMEOUT:-120}
RUNNER=${UNIT_RUNNER:-}
passed=0
failed=0
skipped=0

if [ $# -eq 0 ]; then
	echo "run-unit.sh: no test programs given" >&2
	echo "unit: 0 passed, 0 failed, 0 skipped"
	exit 99
fi
if [ -n "$RUNNER" ] && ! command -v "${RUNNER%% *}" >/dev/null 2>&1; then
	echo "run-unit.sh: no $RUNNER to run the programs with" >&2
	echo "unit: 0 passed, $# failed, 0 skipped"
	exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/run-unit.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# run PROG: run it with a time limit; stdout and stderr into $tmp.
run() {
	if command -v timeout >/dev/null 2>&1; then
		timeout "$TIMEOUT" $RUNNER "$1" >"$tmp/out" 2>"$tmp/err" \
			</dev/null
	else
		$RUNNER "$1" >"$tmp/out" 2>"$tmp/err" </dev/null
	fi
}

# show: the failing lines with their diagnostics, then stderr, indented.
show() {
	awk '/^not ok/ { keep = 1; print; next }
	     /^ok/ { keep = 0; next }
	     /^Bail out!/ { print; next }
	     keep && /^#/ { print }' "$tmp/out" | sed 's/^/    /'
	# coreutils timeout warns when it cannot make a POSIX timer (it
	# falls back to alarm()); that says nothing about the test.
	grep -v '^timeout: warning: timer_create' "$tmp/err" |
		sed 's/^/    stderr: /'
}

for prog in "$@"; do
	name=$(basename "$prog")
	case $name in
	*.d|*.o)	continue ;;	# build by-products of build/tests/unit/*
	esac
	if [ ! -f "$prog" ] || [ ! -x "$prog" ]; then
		echo "ERROR $name: not an executable file"
		failed=$((failed + 1))
		continue
	fi
	run "$prog"
	rc=$?
	total=$(grep -Ec '^(not )?ok( |$)' "$tmp/out")
	bad=$(grep -Ec '^not ok( |$)' "$tmp/out")
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\).*/\1/p' "$tmp/out" | head -n 1)
	bail=$(grep -c '^Bail out!' "$tmp/out")

	if [ "$rc" -eq 77 ]; then
		why=$(sed -n 's/^1\.\.0 *# *[Ss][Kk][Ii][Pp] *//p' "$tmp/out" |
		      head -n 1)
		echo "SKIP  $name${why:+: $why}"
		skipped=$((skipped + 1))
		continue
	fi
	why=""
	if [ "$rc" -eq 99 ] || [ "$bail" -gt 0 ]; then
		why="the test harness broke (exit $rc)"
	elif [ "$rc" -eq 124 ]; then
		why="timed out after ${TIMEOUT}s"
	elif [ "$rc" -gt 128 ]; then
		why="killed by SIG$(kill -l $((rc - 128)) 2>/dev/null || echo $((rc - 128)))"
	elif [ -z "$plan" ]; then
		why="no TAP plan (exit $rc)"
	elif [ "$plan" -ne "$total" ]; then
		why="planned $plan tests, ran $total"
	fi
	if [ -n "$why" ]; then
		echo "ERROR $name: $why"
		show
		failed=$((failed + 1))
	elif [ "$bad" -gt 0 ] || [ "$rc" -ne 0 ]; then
		echo "FAIL  $name: $bad of $total tests failed (exit $rc)"
		show
		failed=$((failed + 1))
	else
		echo "PASS  $name: $total tests"
		passed=$((passed + 1))
	fi
done

echo "unit: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
