# SPDX-License-Identifier: MIT
# Scheduler: job schedules are checked at --check-config and at start-up, each
# mistake reported in one line with file:line; a good config passes.
source "$(dirname "$0")/sched_lib.sh"
bad() { # bad LINE WORDS 'scheduler block': --check-config and start-up both refuse it
  local f=$TMP/bad$RANDOM.conf out rc
  make_conf "$f" "$3"
  local line=$(( $(grep -n "^$(head -c 12 <<<"$3")" "$f" | tail -1 | cut -d: -f1) + $1 ))
  set +e; out=$("$BIN/shopq-scheduler" --check-config --config "$f" 2>&1); rc=$?; set -e
  check "--check-config refuses: $2" [ "$rc" -ne 0 ]
  assert_eq "$(wc -l <<<"$out")" 1 "one line"
  assert_contains "$out" "$f:$line: " "at $f:$line"
  assert_contains "$out" "$2" "saying $2"
  set +e; out=$(timeout 20 "$BIN/shopq-scheduler" --config "$f" 2>&1); rc=$?; set -e
  check "start-up refuses it too (exit $rc)" [ "$rc" -ne 0 ] && [ "$rc" -ne 124 ]
  assert_contains "$out" "$f:$line: " "start-up points at the same line"
  assert_contains "$out" "$2" "with the same words"
}
bad 2 'scheduler.jobs.refresh_top_selling.schedule = "*/61 * * * *": field 1 (minute)' 'scheduler: {
  jobs: { refresh_top_selling: {
    schedule = "*/61 * * * *"; }; }; };'
bad 1 'expected 5 fields' 'scheduler: { jobs: {
  reconcile_payments: { schedule = "* * *"; enabled = true; }; }; };'
bad 1 'scheduler.jobs.expire_auth_sesions: no such job' 'scheduler: { jobs: {
  expire_auth_sesions: { enabled = false; }; }; };'
bad 1 'scheduler.jobs.reconcile_payments.enabled must be true or false' 'scheduler: { jobs: {
  reconcile_payments: { enabled = "no"; }; }; };'
bad 1 'scheduler.timezone = "Europe/Atlantis" is not a known time zone' 'scheduler: {
  timezone = "Europe/Atlantis"; };'
bad 0 'never fires' 'scheduler: { jobs: { release_expired_reservations: { schedule = "0 0 31 2 *"; }; }; };'
make_conf "$TMP/good.conf" 'scheduler: { timezone = "Europe/Berlin"; lease = 30; batch_size = 500; jobs: {
  refresh_top_selling: { schedule = "@hourly"; }; expire_auth_sessions: { schedule = "@every 30s"; };
  release_expired_reservations: { schedule = "*/2 8-20 * * MON-FRI"; enabled = false; }; }; };'
assert_contains "$("$BIN/shopq-scheduler" --check-config --config "$TMP/good.conf")" "configuration OK" "a good config passes"
assert_contains "$("$BIN/shopq-scheduler" --check-config --config config/shopq.conf.example)" "configuration OK" \
  "the example config passes"
