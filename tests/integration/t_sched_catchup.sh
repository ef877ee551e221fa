# SPDX-License-Identifier: MIT
# Scheduler: a scheduler that was down (stopped, then frozen with SIGSTOP)
# catches up the latest missed run once, not each run it missed, and then
# keeps the schedule.
source "$(dirname "$0")/sched_lib.sh"
sched_reset sleep_test
marks_reset
sched_conf "$TMP/c.conf" 'lease = 5;' 'sleep_test: { schedule = "@every 2s"; sleep_ms = 100; };'
runs() { psqlq "SELECT count(*) FROM scheduler.job_runs WHERE job = 'sleep_test' AND outcome = 'succeeded' ${1:-}"; }
start_sched s1 "$TMP/c.conf"
wait_for 20 '[ "$(runs)" -ge 3 ]' "three runs"
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true
last=$(psqlq "SELECT extract(epoch FROM max(scheduled_for))::bigint FROM scheduler.job_runs WHERE job = 'sleep_test'")
sleep 9 # four or five slots pass with no scheduler
restart=$(date +%s)
start_sched s2 "$TMP/c.conf"
after="AND scheduled_for > to_timestamp($last)"
wait_for 20 '[ "$(runs "$after")" -ge 2 ]' "runs after the restart"
first=$(psqlq "SELECT extract(epoch FROM min(scheduled_for))::bigint FROM scheduler.job_runs WHERE job = 'sleep_test' $after")
echo "last run before the stop: slot $last; first after the restart ($restart): slot $first"
check "slots were missed while down" [ $((first - last)) -ge 8 ]
check "the first run after the restart is the latest missed slot, not the oldest" [ "$first" -ge $((restart - 2)) ]
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks WHERE scheduled_for > to_timestamp($last)
                    AND scheduled_for < to_timestamp($first)")" 0 "no missed slot ran"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks WHERE scheduled_for = to_timestamp($first)")" 1 \
  "the caught-up slot ran once"
wait_for 10 "[ \"\$(runs 'AND scheduled_for = to_timestamp($((first + 2)))')\" = 1 ]" "the next slot on schedule"
echo "ok: back on schedule"

# the same for a scheduler that stalls (frozen between runs) and resumes
pid=$LAST_PID
sleep 0.5
kill -STOP "$pid"
trap 'rc=$?; set +e; kill -CONT '"$pid"' 2>/dev/null; (exit $rc); cleanup' EXIT
last=$(psqlq "SELECT extract(epoch FROM max(scheduled_for))::bigint FROM scheduler.job_runs WHERE job = 'sleep_test'")
sleep 9
resume=$(date +%s)
kill -CONT "$pid"
after="AND scheduled_for > to_timestamp($last)"
wait_for 20 '[ "$(runs "$after")" -ge 2 ]' "runs after resuming"
sleep 1
first=$(psqlq "SELECT extract(epoch FROM min(scheduled_for))::bigint FROM scheduler.job_runs WHERE job = 'sleep_test' $after")
echo "last run before the freeze: slot $last; first after resuming ($resume): slot $first"
check "slots were missed while frozen" [ $((first - last)) -ge 8 ]
check "the first run after resuming is the latest missed slot" [ "$first" -ge $((resume - 2)) ]
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks WHERE scheduled_for > to_timestamp($last)
                    AND scheduled_for < to_timestamp($first)")" 0 "no missed slot ran"
