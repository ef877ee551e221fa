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
