# SPDX-License-Identifier: MIT
# runtime.batch_linger_ms: a batch waits that long after its first delivery
# for more. Three messages published 150 ms apart are handled in one
# transaction with a linger of 1 s (their effects share the transaction's
# now()), and in three without one (the default).
source "$(dirname "$0")/testd_lib.sh"
testd_reset
send3() { local i; for i in 1 2 3; do tc raw shopq.commands test.apply --body "{\"key\":\"$1-$i\"}"; sleep 0.15; done; }
transactions() { psqlq "SELECT count(DISTINCT at) FROM testd.effects WHERE key LIKE '$1-%'"; }

testd_conf "$TMP/l.conf" 'runtime: { batch_size = 50; batch_linger_ms = 1000; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };'
start_daemon testd "$TBIN/shopq-testd" "$TMP/l.conf"
send3 linger
wait_for 30 '[ "$(effects "linger-%")" -eq 3 ]' "the three lingered messages"
assert_eq "$(transactions linger)" 1 "one transaction for the three"
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true

testd_conf "$TMP/c.conf"
start_daemon testd2 "$TBIN/shopq-testd" "$TMP/c.conf"
send3 plain
wait_for 30 '[ "$(effects "plain-%")" -eq 3 ]' "the three plain messages"
assert_eq "$(transactions plain)" 3 "one transaction each without a linger"
