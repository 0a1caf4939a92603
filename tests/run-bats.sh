#!/usr/bin/env bash
# run-bats.sh - run the *.bats files of DIR (or the one FILE) in name order
# with bats --tap, pass the TAP through, and close with "bats: N passed, N
# failed, N skipped".
# Exit 0 only when every planned test ran and none failed.
# A test that hangs fails after BATS_TEST_TIMEOUT seconds (default 60).
set -u -o pipefail

if [ $# -ne 1 ] || { [ ! -d "$1" ] && [ ! -f "$1" ]; }; then
	echo "usage: $0 DIR|FILE" >&2
	exit 2
fi
dir=$1
export BATS_TEST_TIMEOUT=${BATS_TEST_TIMEOUT:-60}

if [ -f "$dir" ]; then
	files=("$dir")
else
	mapfile -t files < <(find "$dir" -maxdepth 1 -name '*.bats' \
			     -type f | LC_ALL=C sort)
fi
if [ ${#files[@]} -eq 0 ]; then
	echo "run-bats: no *.bats files in $dir" >&2
	echo "bats: 0 passed, 1 failed, 0 skipped"
	exit 1
fi
if ! command -v bats >/dev/null 2>&1; then
	echo "run-bats: bats is not installed (Debian: apt-get install bats" \
	     "bats-support bats-assert)" >&2
	echo "bats: 0 passed, 1 failed, 0 skipped"
	exit 1
fi

planned=-1 passed=0 failed=0 skipped=0
while IFS= read -r line; do
	printf '%s\n' "$line"
	case $line in
	1..*)		planned=${line#1..} ;;
	"ok "*" # skip"*) skipped=$((skipped + 1)) ;;
	"ok "*)		passed=$((passed + 1)) ;;
	"not ok "*)	failed=$((failed + 1)) ;;
	esac
done < <(bats --tap "${files[@]}" 2>&1)
wait $! 2>/dev/null
status=$?

ran=$((passed + failed + skipped))
if [ "$planned" -lt 0 ]; then
	echo "run-bats: bats printed no plan (status $status)" >&2
	failed=$((failed + 1))
elif [ "$ran" -lt "$planned" ]; then
	echo "run-bats: bats stopped after $ran of $planned tests" >&2
	failed=$((failed + planned - ran))
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
	echo "run-bats: bats exited with status $status" >&2
	failed=1
fi
echo "bats: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
