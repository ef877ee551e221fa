# SPDX-License-Identifier: MIT
# Scheduler done-when 2: the scheduler running a job is frozen (SIGSTOP) past
# its lease; another scheduler takes the lease and runs the job; the frozen one,
# resumed (SIGCONT), finishes its work but cannot commit it: the run happened
# once, by the other scheduler, and the stale runner's writes were refused.
source "$(dirname "$0")/sched_lib.sh"
sched_reset sleep_test
marks_reset
# the slot is the last full hour: due at once at start-up, no other during the test
sched_conf "$TMP/c.conf" 'lease = 3;' 'sleep_test: { schedule = "@every 3600s"; sleep_ms = 5000; };'
start_sched a "$TMP/c.conf"
a=$LAST_PID
wait_for 20 "[ \"\$(run_field sleep_test runner \"outcome = 'running' AND fence IS NOT NULL\")\" = '$(runner_of $a)' ]" \
  "scheduler a to start the run"
slot=$(run_field sleep_test "scheduled_for::text")
kill -STOP "$a"
echo "froze a ($a) in the run for $slot"
trap 'rc=$?; set +e; kill -CONT '"$a"' 2>/dev/null; (exit $rc); cleanup' EXIT
start_sched b "$TMP/c.conf"
start_sched c "$TMP/c.conf"
wait_for 40 "[ \"\$(run_field sleep_test outcome \"scheduled_for = '$slot'\")\" = succeeded ]" \
  "another scheduler to run the slot"
winner=$(run_field sleep_test runner "scheduled_for = '$slot'")
check "run by $winner, not by the frozen scheduler" [ "$winner" != "$(runner_of $a)" ]
kill -CONT "$a"
wait_for 20 "grep -q 'fenced' '$TMP/a.log'" "the resumed scheduler to find its lease gone"
sleep 1
grep 'fenced' "$TMP/a.log" | head -2
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks WHERE scheduled_for = '$slot'")" 1 \
  "the slot's effect exactly once"
assert_eq "$(psqlq "SELECT runner FROM scheduler.sleep_test_marks WHERE scheduled_for = '$slot'")" "$winner" \
  "written by the scheduler that took over"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks WHERE runner = '$(runner_of $a)'")" 0 \
  "the frozen scheduler's late write refused"
assert_eq "$(run_field sleep_test "outcome || ' ' || runner" "scheduled_for = '$slot'")" "succeeded $winner" \
  "the run's record is still the winner's"
check "the winner logged the take-over" grep -q "taking over the run for" "$TMP"/b.log "$TMP"/c.log
check "the resumed scheduler runs on" kill -0 "$a"
