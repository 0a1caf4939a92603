#!/usr/bin/env bats
# A workload written by others: stress-ng's remap stressor (the "legacy
# database profile" issue).  Each of its bogo ops mlocks, remaps and
# munlocks, one at a time, every page of 512 pages of shared anonymous
# memory, four times over (reverse, random, all onto one page, forward),
# and --verify checks what each page shows after each pass; it also makes
# a few calls the kernel refuses.  Bounded by ops, never by time:
# correctness only, the bench measures the speed.

load helpers

# stress_ng OPTS...: `stress-ng --remap 1 --remap-ops 2 --verify
# --metrics-brief` after OPTS (a remaptrace command line, or nothing),
# under guard; fails unless stress-ng exits 0 and says its run was
# successful, with no failed verification.  $all: its stdout and stderr.
stress_ng() {
	guard 600 "$@" stress-ng --remap 1 --remap-ops 2 --verify \
		--metrics-brief
	all="$output"$'\n'"$stderr"
	assert_success
	[[ $all == *"successful run completed"* ]] ||
		fail "stress-ng did not report a successful run: $all"
	if grep -q -e ' fail: ' -e 'unsuccessful run' <<<"$all"; then
		grep -e ' fail: ' -e 'unsuccessful run' <<<"$all" |
			batslib_decorate "stress-ng: verification failed" |
			fail
	fi
	# stress-ng: metrc: [PID] remap OPS ...: both ops were done
	[[ $(awk '$2 == "metrc:" && $4 == "remap" && $5 ~ /^[0-9]+$/ {
		print $5 }' <<<"$all") == 2 ]] ||
		fail "stress-ng did not report 2 remap bogo ops: $all"
}

@test "workload: stress-ng's remap stressor verifies clean under remaptrace, its calls emulated" {
	command -v stress-ng >/dev/null ||
		skip "stress-ng is not installed (apt-get install stress-ng)"
	# the kernel first: if the stressor fails natively, nothing below
	# would say anything about remaptrace
	stress_ng
	local sum=$BATS_TEST_TMPDIR/summary
	stress_ng "$REMAPTRACE" -q -c -o "$sum" --
	run -0 cat "$sum"
	# "  CALLS  TOTAL-US  AVG-US  0  emulated": calls that were emulated,
	# not handed to the kernel nor failed
	local n
	n=$(awk '$NF == "emulated" && $1 ~ /^[0-9]+$/ { print $1 }' "$sum")
	[[ $n =~ ^[0-9]+$ ]] && ((n > 0)) ||
		fail "no call emulated (were they intercepted?); summary: $output"
	# every other row is a refusal with EINVAL, as the kernel's of the
	# stressor's illegal calls (no mapping, bad flags); a row with any
	# other result (an mmap that failed, say) is a failure
	run -0 awk '$1 ~ /^[0-9]+$/ && $4 != "total" && $4 != "0" &&
		$4 != "EINVAL"' "$sum"
	assert_output ""
}
