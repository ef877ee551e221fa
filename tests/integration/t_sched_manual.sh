# SPDX-License-Identifier: MIT
# Scheduler done-when 3: `shopqctl job run refresh_top_selling --wait` while a
# scheduled run of it is in progress (held up by a lock on its source table):
# the manual run says it waits, starts only after the scheduled one finished,
# and never are two runs of the job in progress at once.
source "$(dirname "$0")/sched_lib.sh"
sched_reset refresh_top_selling
# the scheduled slot is the last full hour: due at once at start-up
sched_conf "$TMP/c.conf" 'lease = 4;' 'refresh_top_selling: { schedule = "@every 3600s"; };'
psql "$PG_CONNINFO" -X -q -c "BEGIN" -c "LOCK TABLE sales.order_items IN ACCESS EXCLUSIVE MODE" \
  -c "SELECT pg_sleep(8)" -c "COMMIT" >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 "[ \"\$(psqlq \"SELECT count(*) FROM pg_locks WHERE granted AND mode = 'AccessExclusiveLock'
  AND relation = 'sales.order_items'::regclass\")\" = 1 ]" "the lock on sales.order_items"
start_sched s1 "$TMP/c.conf"
start_sched s2 "$TMP/c.conf"
running="SELECT count(*) FROM scheduler.job_runs WHERE job = 'refresh_top_selling' AND outcome = 'running' AND fence IS NOT NULL"
wait_for 20 "[ \"\$(psqlq \"$running\")\" = 1 ]" "the scheduled run to start"
ctl job run refresh_top_selling --wait --timeout 60 > "$TMP/ctl.out" 2>&1 &
ctlpid=$!
max=0
while kill -0 "$ctlpid" 2>/dev/null; do
  n=$(psqlq "$running")
  r=$(psqlq "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND state = 'active'
             AND backend_type = 'client backend'
             AND query LIKE 'REFRESH MATERIALIZED VIEW%'")
  [ "$n" -gt "$max" ] && max=$n
  [ "$r" -gt "$max" ] && max=$r
  sleep 0.2
done
set +e; wait "$ctlpid"; rc=$?; set -e
cat "$TMP/ctl.out"
assert_eq "$rc" 0 "shopqctl job run --wait exits 0"
assert_eq "$max" 1 "never two runs in progress at once"
assert_contains "$(cat "$TMP/ctl.out")" "refresh_top_selling: already running (runner" "it says it waits"
assert_contains "$(cat "$TMP/ctl.out")" "refresh_top_selling: succeeded" "and reports the outcome"
assert_eq "$(psqlq "SELECT count(*) FROM scheduler.job_runs WHERE job = 'refresh_top_selling' AND outcome = 'succeeded'")" \
  2 "both runs succeeded"
assert_eq "$(psqlq "SELECT bool_and(started_at >= prev_end) FROM (SELECT started_at,
  lag(finished_at) OVER (ORDER BY started_at) AS prev_end FROM scheduler.job_runs
  WHERE job = 'refresh_top_selling') r WHERE prev_end IS NOT NULL")" t "the manual run started after the scheduled one ended"
