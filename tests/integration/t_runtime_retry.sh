# SPDX-License-Identifier: MIT
# Runtime done-when 5: a handler failing transiently N times succeeds on N+1;
# one failing always is dead-lettered after the configured attempts with its reason.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
make_conf "$TMP/c.conf" 'runtime: { retry_delays = [1, 1, 1]; };'
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
tc raw shopq.commands test.apply --body '{"key":"flaky","fail_times":2}'
tc raw shopq.commands test.apply --body '{"key":"doomed","fail_always":1}'
wait_for 30 '[ "$(effects flaky)" -eq 1 ]' "flaky to succeed"
assert_eq "$(grep 'test failure [0-9] of 2' "$TMP/testd.log" | wc -l)" 2 "failed twice before succeeding"
wait_for 30 '[ "$(queue_depth shopq.testd.dead)" -eq 1 ]' "doomed dead-lettered"
dead=$(tc drain shopq.testd.dead)
assert_contains "$dead" "gave up after 4 attempts: test failure that never passes" "reason and attempt count"
assert_contains "$dead" '"x-shopq-attempts":4' "attempts header"
assert_eq "$(effects doomed)" 0 "no effect of the doomed message"
