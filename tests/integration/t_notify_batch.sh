# SPDX-License-Identifier: MIT
# Notify stores a batch's entries with one pipeline. 75 deliveries wait before
# the daemon starts, so they come in full batches: 60 sends, a send delivered 5
# times with one message id, an order.confirmed republished with 5 message ids,
# an order.shipped. Then Redis forgets the script (SCRIPT FLUSH: the next
# pipeline meets NOSCRIPT, loads it again and runs those calls again) and 20
# more sends come. Every notification is stored once, in the order its message
# came.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
private_redis_init
private_redis_up
notify_conf "$TMP/c.conf" 'stream_cap = 1000;' "$(private_redis_conf)" 'log: { level = "debug"; };'
U=$NUSER O=$NORDER
ev="{\"order_id\":$O,\"user_id\":$U,\"total\":500,\"currency\":\"USD\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}"
tc flood 30 shopq.commands notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"a-%02d\",\"body\":\"b\"}" >/dev/null
for i in 1 2 3 4 5; do
  ctl publish --message-id "copy-$U" notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"copy\",\"body\":\"b\"}" >/dev/null
  ctl publish --events order.confirmed "$ev" >/dev/null
done
ctl publish --events order.shipped "$ev" >/dev/null
tc flood 30 shopq.commands notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"b-%02d\",\"body\":\"b\"}" >/dev/null

start_notify "$TMP/c.conf"
wait_for 30 '[ "$(psqlq "SELECT count(*) FROM notify.inbox")" -ge 67 ]' "all 67 distinct message ids handled"
sha=$(sed -n 's/.*notify script loaded (sha \([0-9a-f]*\)).*/\1/p' "$TMP/notify.log" | head -1)
nrcli SCRIPT FLUSH >/dev/null # Redis forgets the script: the next pipeline meets NOSCRIPT
tc flood 20 shopq.commands notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"c-%02d\",\"body\":\"b\"}" >/dev/null
wait_for 30 '[ "$(psqlq "SELECT count(*) FROM notify.inbox")" -ge 87 ]' "the 20 sent after SCRIPT FLUSH handled"
sleep 1
assert_eq "$(nrcli SCRIPT EXISTS "$sha")" 1 "the script was loaded again"
assert_eq "$(xlen $U)" 83 "80 sends, one copy, one confirmed, one shipped"
assert_eq "$(unread $U)" 83 "unread counts each once"
assert_eq "$(titles $U | grep -c "Your order #$O is confirmed")" 1 "one order.confirmed notification"
assert_eq "$(titles $U | grep -cx copy)" 1 "one notification for the 5 copies"
want=$( (printf 'a-%02d\n' $(seq 0 29); printf 'b-%02d\n' $(seq 0 29); printf 'c-%02d\n' $(seq 0 19)) | tr '\n' ' ')
assert_eq "$(titles $U | grep -E '^[abc]-' | tr '\n' ' ')" "$want" "the sends in the order they were published"
assert_eq "$(grep -c 'at once' "$TMP/notify.log")" 0 "no handler had to store its own entry"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
assert_eq "$(queue_depth $NQ.retry.1s)" 0 "nothing waiting for a retry"
