# SPDX-License-Identifier: MIT
# Scheduler done-when 1: three schedulers, one job every 2 s for ~20 s: each
# period runs exactly once (one record, one effect), none skipped, no two runs
# of the job overlap.
source "$(dirname "$0")/sched_lib.sh"
sched_reset sleep_test
marks_reset
sched_conf "$TMP/c.conf" 'lease = 5;' 'sleep_test: { schedule = "@every 2s"; sleep_ms = 300; };'
start_sched s1 "$TMP/c.conf"
start_sched s2 "$TMP/c.conf"
start_sched s3 "$TMP/c.conf"
t0=$(psqlq "SELECT extract(epoch FROM now())::bigint")
sleep 20
t1=$(psqlq "SELECT extract(epoch FROM now())::bigint")
# the slots wholly inside the window, and time for the last to finish
first=$(( (t0 / 2 + 2) * 2 )); last=$(( (t1 / 2 - 2) * 2 ))
want=$(( (last - first) / 2 + 1 ))
win="scheduled_for BETWEEN to_timestamp($first) AND to_timestamp($last)"
echo "slots $first..$last ($want periods)"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE job = 'sleep_test' AND $win AND outcome = 'succeeded'")" \
  "$want" "one succeeded run per period, none skipped"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.sleep_test_marks WHERE $win")" "$want" \
  "one effect per period"
assert_eq "$(psqlq "SELECT count(*) FROM (SELECT scheduled_for FROM scheduler.sleep_test_marks
                    GROUP BY 1 HAVING count(*) > 1) d")" 0 "no period's effect twice"
assert_eq "$(psqlq "SELECT count(*) FROM (SELECT started_at, lag(finished_at) OVER (ORDER BY started_at) AS prev_end
                    FROM scheduler.job_runs WHERE job = 'sleep_test') r WHERE started_at < prev_end")" 0 \
  "no two runs overlap"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs r JOIN scheduler.sleep_test_marks m USING (scheduled_for)
                    WHERE r.job = 'sleep_test' AND (m.runner <> r.runner OR m.fence <> r.fence)")" 0 \
  "each effect written by its run's runner under its fence"
echo "runs per scheduler: $(psqlq "SELECT string_agg(runner || '=' || n, ' ') FROM (SELECT runner, count(*) n
  FROM scheduler.job_runs WHERE job = 'sleep_test' AND $win GROUP BY 1) d")"
