# SPDX-License-Identifier: MIT
# Notify: a Redis outage longer than all the retry delays dead-letters nothing.
# Once a call finds Redis away, the daemon takes no message until it answers
# again (runtime's `available` hook); what it had in hand waits in a retry queue.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
private_redis_init
# retries span 2 s here: without the pause the outage below would dead-letter
notify_conf "$TMP/c.conf" 'stream_cap = 1000;' "$(private_redis_conf)" \
  'runtime: { batch_size = 50; retry_delays = [1, 1]; poison_limit = 3; };'
U=$NUSER
flood() { tc flood "$1" shopq.commands notification.send "{\"user_id\":$U,\"type\":\"system\",\"title\":\"$2-%d\",\"body\":\"b\"}"; }

private_redis_up
start_notify "$TMP/c.conf"
flood 100 before
wait_for 30 '[ "$(xlen $U)" -ge 100 ]' "the first notifications"
private_redis_down
flood 300 during
wait_for 20 "grep -q 'taking no messages until it answers' '$TMP/notify.log'" "the daemon to pause"
sleep 8 # four times the retry span
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered while Redis is away"
private_redis_up
wait_for 60 '[ "$(xlen $U)" -ge 400 ]' "all 400 notifications"
assert_contains "$(cat "$TMP/notify.log")" "answers again" "the daemon said it resumed"
sleep 2
assert_eq "$(xlen $U)" 400 "400 entries"
assert_eq "$(titles $U | sort -u | wc -l)" 400 "each notification once"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
