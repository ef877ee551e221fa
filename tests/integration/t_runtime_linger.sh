# SPDX-License-Identifier: MIT
# How the runtime batches deliveries into transactions (an effect's `at` is its
# transaction's now(), so distinct values count transactions):
# - runtime.batch_linger_ms: a batch waits that long after its first delivery
#   for more. Three messages published 150 ms apart share one transaction with
#   a linger of 1 s, and take three without one (the default);
# - runtime.stream_linger_us: a lone delivery is handled at once (three
#   messages 150 ms apart still take three transactions with 1 s), but once two
#   came together the batch waits that long after its first for more: a message
#   published just after a burst joins the burst's last transaction with 1 s,
#   and takes its own with the setting off.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
send3() { local i; for i in 1 2 3; do tc raw shopq.commands test.apply --body "{\"key\":\"$1-$i\"}"; sleep 0.15; done; }
transactions() { psqlq "SELECT count(DISTINCT at) FROM testd.effects WHERE key LIKE '$1-%'"; }
# late_joined PREFIX: 1 when PREFIX-late shares a transaction with one of the burst
late_joined() { psqlq "SELECT (count(*) > 0)::int FROM testd.effects l JOIN testd.effects b ON b.at = l.at AND b.key <> l.key
                        WHERE l.key = '$1-late' AND b.key LIKE '$1-%'"; }
RT='retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3;'

testd_conf "$TMP/l.conf" "runtime: { batch_size = 50; batch_linger_ms = 1000; stream_linger_us = 0; $RT };"
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
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true

# burst STREAM_LINGER_US PREFIX: ten messages queued while no daemon runs (they are
# delivered together when it starts), then one more once it consumes
burst() {
  testd_conf "$TMP/g$1.conf" "runtime: { batch_size = 50; stream_linger_us = $1; $RT };"
  flood 10 "$2"
  start_daemon "testd-$2" "$TBIN/shopq-testd" "$TMP/g$1.conf"
  tc raw shopq.commands test.apply --body "{\"key\":\"$2-late\"}"
  wait_for 30 "[ \"\$(effects '$2-%')\" -eq 11 ]" "the burst and the late message ($2)"
}
burst 1000000 gap
assert_eq "$(late_joined gap)" 1 "with 1 s the late message joins the burst's transaction"
send3 trickle
wait_for 30 '[ "$(effects "trickle-%")" -eq 3 ]' "the three trickled messages"
assert_eq "$(transactions trickle)" 3 "lone deliveries are not held"
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true

burst 0 nogap
assert_eq "$(late_joined nogap)" 0 "with the setting off the late message takes its own transaction"
