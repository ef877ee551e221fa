# SPDX-License-Identifier: MIT
# Runtime done-when 6: the same message_id published twice gives one effect,
# and the event from the outbox is published once.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
tc bind test.events.dedup shopq.events test.applied
tc purge test.events.dedup
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
tc raw shopq.commands test.apply --message-id same-id-1 --body '{"key":"dedup"}'
tc raw shopq.commands test.apply --message-id same-id-1 --body '{"key":"dedup"}'
tc raw shopq.commands test.apply --message-id other-id --body '{"key":"after"}'
wait_for 30 '[ "$(effects after)" -eq 1 ]' "the message after"
assert_eq "$(effects dedup)" 1 "one effect for one message_id"
wait_for 10 '[ "$(queue_depth test.events.dedup)" -eq 2 ]' "events"
sleep 1
assert_eq "$(queue_depth test.events.dedup)" 2 "one event per effect (outbox)"
assert_eq "$(psqlq 'SELECT count(*) FROM testd.outbox')" 0 "outbox emptied after publishing"
# metrics off (the default): libmicrohttpd is never loaded, nor GnuTLS initialised by it
grep -q libmicrohttpd "/proc/$LAST_PID/maps" && { echo "FAILED: libmicrohttpd mapped with metrics off"; exit 1; }
echo "ok: metrics off, libmicrohttpd not loaded"
# metrics: a running daemon serves Prometheus text and the counters moved
make_conf "$TMP/m.conf" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };' 'metrics: { port = 39181; };'
kill -TERM "$LAST_PID"; wait "$LAST_PID" || true
start_daemon testdm "$TBIN/shopq-testd" "$TMP/m.conf"
grep -q libmicrohttpd "/proc/$LAST_PID/maps" || { echo "FAILED: metrics on, libmicrohttpd not mapped"; exit 1; }
echo "ok: metrics on, libmicrohttpd loaded"
tc raw shopq.commands test.apply --body '{"key":"metric-1"}'
tc raw shopq.commands test.apply --body 'not json'
wait_for 10 '[ "$(effects metric-1)" -eq 1 ]' "metric message"
m=$(curl -s http://127.0.0.1:39181/metrics)
assert_contains "$m" 'shopq_messages_total{queue="shopq.testd",outcome="ok"} 1' "ok counter moved"
assert_contains "$m" 'shopq_messages_total{queue="shopq.testd",outcome="dead_lettered"} 1' "dead-letter counter moved"
assert_contains "$m" 'shopq_handler_seconds_count{queue="shopq.testd",routing_key="test.apply"} 1' "latency histogram"
assert_contains "$m" '# TYPE shopq_messages_total counter' "exposition format"
