# SPDX-License-Identifier: MIT
# Notify done-when 2: the same event delivered 10 times (5 with one message id,
# 5 with fresh ids, as a republishing producer would) gives one notification;
# the same notification.send delivered 3 times gives one too.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
notify_conf "$TMP/c.conf"
U=$NUSER O=$NORDER
start_notify "$TMP/c.conf"
ev="{\"order_id\":$O,\"user_id\":$U,\"total\":500,\"currency\":\"USD\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}"
mids=("same-$NUSER")
for i in 1 2 3 4 5; do
  ctl publish --events --message-id "same-$NUSER" order.confirmed "$ev" >/dev/null
  mids+=("$(ctl publish --events order.confirmed "$ev")")
done
for i in 1 2 3; do
  ctl publish --message-id "send-$NUSER" notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"Once\",\"body\":\"b\"}" >/dev/null
done
mids+=("send-$NUSER")
in_list=$(printf "'%s'," "${mids[@]}"); in_list=${in_list%,}
wait_for 30 '[ "$(psqlq "SELECT count(*) FROM notify.inbox WHERE message_id IN ($in_list)")" -eq 7 ]' \
  "all 7 distinct message ids handled"
sleep 1
assert_eq "$(xlen $U)" 2 "one entry for the event, one for the command"
assert_eq "$(unread $U)" 2 "unread counts each once"
assert_eq "$(titles $U | grep -c "Your order #$O is confirmed")" 1 "one order.confirmed notification"
assert_eq "$(grep -c "order.confirmed:$O already notified" "$TMP/notify.log")" 5 "the 5 other ids found the event's mark"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
