# SPDX-License-Identifier: MIT
# Notify: a frozen Redis (SIGSTOP 5 s) makes commands time out. The script sent
# before the freeze still runs when Redis thaws, after the daemon gave up on
# its answer and scheduled a retry: the dedup mark keeps that to one entry.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
private_redis_init
notify_conf "$TMP/c.conf" 'stream_cap = 1000;' "$(private_redis_conf 'timeout_ms = 300;')"
private_redis_up
U=$NUSER
start_notify "$TMP/c.conf"
tc flood 400 shopq.commands notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"f-%d\",\"body\":\"b\"}"
wait_for 60 '[ "$(xlen $U)" -ge 30 ]' "notifications flowing"
kill -STOP "$NR_PID"
sleep 5
kill -CONT "$NR_PID"
wait_for 60 '[ "$(xlen $U)" -ge 400 ]' "all 400 notifications"
sleep 2
assert_eq "$(xlen $U)" 400 "400 entries"
assert_eq "$(titles $U | sort -u | wc -l)" 400 "each notification once"
assert_eq "$(unread $U)" 400 "unread 400"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
grep -q "no answer within 300 ms" "$TMP/notify.log" && echo "ok: commands timed out during the freeze"
echo "redeliveries that found their mark: $(grep -c 'message already notified' "$TMP/notify.log" || true)"
