# SPDX-License-Identifier: MIT
# Runtime done-when 2: kill -9 of the daemon mid-stream, restart: every effect
# exactly once.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
flood 1000 k9
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
wait_for 60 '[ "$(effects k9-%)" -ge 200 ]' "some effects"
kill -9 "$LAST_PID"
start_daemon testd2 "$TBIN/shopq-testd" "$TMP/c.conf"
wait_for 120 '[ "$(distinct_effects k9-%)" -eq 1000 ]' "all effects"
sleep 2
assert_eq "$(effects k9-%)" 1000 "each effect exactly once"
wait_for 30 '[ "$(queue_depth shopq.testd)" = 0 ]' "queue drained"
assert_eq "$(queue_depth shopq.testd.dead)" 0 "nothing dead-lettered"
