# SPDX-License-Identifier: MIT
# Runtime done-when 3: PostgreSQL stopped for 10 s mid-stream: messages retried,
# all applied once after it returns, none dead-lettered for the passing outage.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
flood 300 pg
wait_for 60 '[ "$(effects pg-%)" -ge 50 ]' "some effects"
scripts/devenv stop postgres
flood 300 pg2
sleep 10
scripts/devenv start postgres
wait_for 120 '[ "$(distinct_effects pg2-%)" -eq 300 ] && [ "$(distinct_effects pg-%)" -eq 300 ]' "all 600 effects"
sleep 2
assert_eq "$(effects 'pg%')" 600 "each effect once"
assert_eq "$(queue_depth shopq.testd.dead)" 0 "nothing dead-lettered for a passing outage"
grep -q "retry in" "$TMP/testd.log" && echo "ok: messages were retried during the outage"
kill -0 "$LAST_PID" && echo "ok: daemon survived"
