# SPDX-License-Identifier: MIT
# Notify done-when 3: Redis stopped for 10 s while 500 notifications flow, then
# started: all present once, none lost, none duplicated, none dead-lettered.
# Uses a Redis of its own (password, db 5), so AUTH and SELECT are proven too
# and colleagues' tests on the shared Redis are not disturbed; the daemon also
# starts while that Redis is still down.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
private_redis_init
notify_conf "$TMP/c.conf" 'stream_cap = 1000;' "$(private_redis_conf)"
U=$NUSER
flood() { tc flood "$1" shopq.commands notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"$2-%d\",\"body\":\"b\"}"; }

start_notify "$TMP/c.conf" # Redis is not up yet: it must wait, not fail
grep -q "notifications are retried until Redis answers" "$TMP/notify.log" && echo "ok: started without Redis"
flood 50 early
sleep 2
private_redis_up
[ "$(REDISCLI_AUTH= redis-cli -p "$NR_PORT" -n 0 PING 2>&1)" != PONG ] && echo "ok: the private Redis wants a password"
flood 500 a
wait_for 60 '[ "$(xlen $U)" -ge 150 ]' "notifications flowing"
n=$(xlen $U)
private_redis_down
echo "redis stopped for 10 s at about $n of 550 entries"
sleep 10
private_redis_up
wait_for 60 '[ "$(xlen $U)" -ge 550 ]' "all 550 notifications"
sleep 2
assert_eq "$(xlen $U)" 550 "550 entries"
assert_eq "$(titles $U | sort -u | wc -l)" 550 "each notification once"
assert_eq "$(titles $U | grep -c '^early-')" 50 "all 50 sent before Redis was up"
assert_eq "$(titles $U | grep -c '^a-')" 500 "all 500 sent around the outage"
assert_eq "$(unread $U)" 550 "unread 550"
assert_eq "$(NR_DB=0 xlen $U)" 0 "nothing in db 0: SELECT honoured"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered for a passing outage"
echo "ok: $(grep -c "retry in .*redis" "$TMP/notify.log") retries for Redis being away"
kill -0 "$LAST_PID" && echo "ok: daemon survived"
