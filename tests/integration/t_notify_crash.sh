# SPDX-License-Identifier: MIT
# Notify: Redis is outside the PostgreSQL transaction. A daemon killed after the
# Redis write but before its commit gets the message again on restart, with no
# inbox row; the script's dedup mark keeps it to one notification.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
notify_conf "$TMP/c.conf"
U=$NUSER O=$NORDER
start_notify "$TMP/c.conf" SHOPQ_CRASH_AT=notify_after_store
pid=$LAST_PID
mid=$(ctl publish notification.send "{\"user_id\":$U,\"type\":\"account\",\"title\":\"Welcome\",\"body\":\"b\"}")
wait_for 30 'grep -q "crash point notify_after_store" "$TMP/notify.log"' "the crash after the Redis write"
wait "$pid" 2>/dev/null || true
assert_eq "$(xlen $U)" 1 "Redis has the entry"
assert_eq "$(inbox_has "$mid")" 0 "PostgreSQL has no inbox row (not committed)"
start_notify "$TMP/c.conf"
wait_for 30 '[ "$(inbox_has "$mid")" -eq 1 ]' "the redelivered message handled"
assert_eq "$(xlen $U)" 1 "still one entry after the redelivery"
assert_eq "$(unread $U)" 1 "unread still 1"
grep -q "message_id=$mid: message already notified" "$TMP/notify.log" && echo "ok: the redelivery found the mark"

# the same for an event
U2=$((U + 1))
kill -TERM "$LAST_PID"; wait "$LAST_PID" 2>/dev/null || true
start_notify "$TMP/c.conf" SHOPQ_CRASH_AT=notify_after_store
pid=$LAST_PID
mid=$(ctl publish --events order.shipped "{\"order_id\":$O,\"user_id\":$U2,\"carrier\":\"DHL\",\"tracking_number\":\"T1\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}")
wait_for 30 '[ "$(grep -c "crash point notify_after_store" "$TMP/notify.log")" -eq 2 ]' "the second crash"
wait "$pid" 2>/dev/null || true
start_notify "$TMP/c.conf"
wait_for 30 '[ "$(inbox_has "$mid")" -eq 1 ]' "the redelivered event handled"
assert_eq "$(xlen $U2)" 1 "one entry for the event"
assert_eq "$(unread $U2)" 1 "unread 1 for the event"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
