# SPDX-License-Identifier: MIT
# Scheduler: old job runs are forgotten (scheduler.runs_keep_days), but never
# a job's latest cron slot, however old and however many requested runs came
# after it; so a restarted scheduler does not run that slot again. Requests
# never started are forgotten too; a claimed run still 'running' is not.
source "$(dirname "$0")/sched_lib.sh"
sched_reset sleep_test
marks_reset
# a yearly schedule whose latest slot is two to three months ago, always
slot_day=$(date -u -d "$(date -u +%Y-%m-01) -2 months" +%Y-%m-01)
month=$((10#$(date -u -d "$slot_day" +%m)))
slot="'$slot_day 00:00:00+00'::timestamptz"
run() { # run LABEL SCHEDULED_FOR OUTCOME REQUESTED [FENCE]: a finished (or not) run row
  psqlq "INSERT INTO scheduler.job_runs (job, scheduled_for, started_at, finished_at, outcome, requested, fence, runner)
         VALUES ('sleep_test', $2, $2, CASE WHEN '$3' = 'running' THEN NULL ELSE $2 END, '$3', $4, ${5:-NULL}, '$1')
         RETURNING id"
}
old_slot=$(run old-slot "$slot - interval '1 year'" succeeded false 1)
latest_slot=$(run latest-slot "$slot" succeeded false 2)
old_request=$(run old-request "$slot + interval '1 hour'" succeeded true 3)
stale_request=$(run stale-request "$slot + interval '2 hours'" running true)
stuck_claim=$(run stuck-claim "$slot + interval '3 hours'" running true 4)
newest=$(run newest "now() - interval '3 days'" failed true 5)
young=$(psqlq "INSERT INTO scheduler.job_runs (job, scheduled_for, started_at, finished_at, outcome, requested, fence, runner)
               VALUES ('sleep_test', now() - interval '5 days', now() - interval '1 hour', now(), 'succeeded', true, 6, 'young')
               RETURNING id")
sched_conf "$TMP/c.conf" 'runs_keep_days = 2;' "sleep_test: { schedule = \"0 0 1 $month *\"; sleep_ms = 10; };"
start_sched s1 "$TMP/c.conf"
wait_for 20 "grep -q 'job runs: forgot 3 runs older than 2 days' $TMP/s1.log" "the pruning log line"
kept=$(psqlq "SELECT string_agg(runner, ' ' ORDER BY id) FROM scheduler.job_runs WHERE job = 'sleep_test'")
echo "runs kept: $kept"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE id IN ($old_slot, $old_request, $stale_request)")" 0 \
  "an older cron slot, an old requested run and a request never started are forgotten"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE id = $latest_slot AND outcome = 'succeeded'")" 1 \
  "the job's latest cron slot is kept though older than the window and not its newest run"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE id IN ($newest, $young, $stuck_claim)")" 3 \
  "the job's newest run, a run younger than the window and a claimed run still 'running' are kept"
# a restart: the latest slot is known to have run, so it is not run again
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true
start_sched s2 "$TMP/c.conf"
wait_for 20 "grep -q 'consuming shopq.scheduler' $TMP/s2.log" "the second scheduler"
sleep 3
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks")" 0 "the latest slot did not run again"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE job = 'sleep_test' AND scheduled_for = $slot")" 1 \
  "one row for the latest slot"
