# SPDX-License-Identifier: MIT
# sched_lib.sh -- starting shopq-scheduler instances (test build, test jobs on)
# with fast schedules, resetting a job's history and lease, and the marker
# table of the test-only job sleep_test.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SQ=shopq.scheduler
SCHED_CONNINFO=$(conf_get scheduler conninfo)
ALL_JOBS="refresh_top_selling expire_auth_sessions release_expired_reservations reconcile_payments sleep_test"

# sched_reset JOB...: forget these jobs' runs and leases; empty the queues
sched_reset() {
  local q j list=""
  for q in $SQ $SQ.dead $SQ.retry.1s $SQ.retry.2s $SQ.retry.4s; do tc purge "$q" >/dev/null 2>&1 || true; done
  for j in "$@"; do list="$list${list:+,}'$j'"; done
  psqlq "DELETE FROM scheduler.job_runs WHERE job IN ($list); DELETE FROM scheduler.job_leases WHERE job IN ($list);" >/dev/null
}

# sched_conf FILE 'scheduler settings;' 'JOB: { ... };'...: a config whose
# scheduler section has these settings and jobs; jobs not named are off
sched_conf() {
  local f=$1 settings=$2 jobs="" j; shift 2
  for j in "$@"; do jobs="$jobs $j"; done
  for j in $ALL_JOBS; do
    grep -q "$j:" <<<"$jobs" || jobs="$jobs $j: { enabled = false; };"
  done
  make_conf "$f" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4]; poison_limit = 3; };' \
    "scheduler: { ${SCHED_CONNINFO:+conninfo = \"$SCHED_CONNINFO\";} $settings jobs: { $jobs }; };" \
    "${SCHED_EXTRA_CONF[@]}"
}

# start_sched NAME CONF: a test-build scheduler with the test jobs; pid in $LAST_PID
start_sched() {
  start_daemon "$1" "$TBIN/shopq-scheduler" "$2" SHOPQ_SCHEDULER_TEST_JOBS=1
}

# the runner name a scheduler of pid $1 records ("host:pid")
runner_of() { echo "$(hostname):$1"; }

# marks_reset: the table sleep_test writes its marker rows into, empty
marks_reset() {
  psqlq "SET client_min_messages = warning;
    CREATE TABLE IF NOT EXISTS scheduler.sleep_test_marks (id bigserial PRIMARY KEY,
      scheduled_for timestamptz NOT NULL, runner text NOT NULL, fence bigint NOT NULL,
      at timestamptz NOT NULL DEFAULT now());
    GRANT SELECT, INSERT ON scheduler.sleep_test_marks TO shopq_scheduler;
    GRANT USAGE ON SEQUENCE scheduler.sleep_test_marks_id_seq TO shopq_scheduler;
    TRUNCATE scheduler.sleep_test_marks;" >/dev/null
}

# run_field JOB SQL-EXPRESSION [WHERE...]: one value from the job's latest run
run_field() {
  psqlq "SELECT $2 FROM scheduler.job_runs WHERE job = '$1' ${3:+AND $3} ORDER BY id DESC LIMIT 1"
}

# check WHAT COMMAND...: passes if COMMAND succeeds, else fails the test
check() {
  local what=$1; shift
  if "$@"; then echo "ok: $what"; else echo "FAILED: $what ($*)" >&2; exit 1; fi
}
