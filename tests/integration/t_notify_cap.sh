# SPDX-License-Identifier: MIT
# Notify done-when 4: 2,000 notifications for one user keep the stream near
# its cap (approximate trimming drops whole nodes of ~100 entries, oldest
# first) while the unread counter counts all 2,000.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
notify_conf "$TMP/c.conf" 'stream_cap = 500;'
U=$NUSER
start_notify "$TMP/c.conf"
tc flood 2000 shopq.commands notification.send "{\"user_id\":$U,\"type\":\"marketing\",\"title\":\"n-%d\",\"body\":\"b\"}"
wait_for 60 '[ "$(unread $U)" -ge 2000 ]' "2000 notifications"
sleep 1
n=$(xlen $U)
echo "stream length $n for cap 500"
[ "$n" -ge 500 ] && [ "$n" -le 600 ] || { echo "FAILED: XLEN $n is not within 500..600"; exit 1; }
echo "ok: the stream stays near the cap"
assert_eq "$(unread $U)" 2000 "unread counts all 2000"
oldest=$(titles $U | sed -n 1p); oldest=${oldest#n-}
[ "$oldest" -ge 1300 ] || { echo "FAILED: oldest kept entry is n-$oldest, expected the newest ~500 kept"; exit 1; }
echo "ok: the oldest were trimmed (oldest kept: n-$oldest)"
assert_eq "$(titles $U | grep -cx 'n-1999')" 1 "the newest is kept"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
