# SPDX-License-Identifier: MIT
# Runtime: handled message ids are remembered runtime.inbox_keep_days (7 by
# default), then forgotten in bounded batches, so the inbox (and the attempt
# counts) do not grow for ever; younger ids still deduplicate.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
psqlq "INSERT INTO testd.inbox (message_id, queue, handled_at)
         SELECT 'prune-old-' || i, 'shopq.testd', now() - interval '8 days' FROM generate_series(1, 12000) i;
       INSERT INTO testd.inbox (message_id, queue, handled_at) VALUES ('prune-young', 'shopq.testd', now() - interval '6 days');
       INSERT INTO testd.attempts (message_id, n, last_at) VALUES ('prune-attempt', 2, now() - interval '9 days');" >/dev/null
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
wait_for 30 '[ "$(psqlq "SELECT count(*) FROM testd.inbox WHERE message_id LIKE '"'prune-old-%'"'")" -eq 0 ]' "the old ids to go"
assert_eq "$(psqlq "SELECT count(*) FROM testd.inbox WHERE message_id = 'prune-young'")" 1 "a 6-day-old id is kept"
assert_eq "$(psqlq "SELECT count(*) FROM testd.attempts WHERE message_id = 'prune-attempt'")" 0 "old attempt counts go too"
assert_contains "$(cat "$TMP/testd.log")" "inbox: forgot" "the pruning is logged"
tc raw shopq.commands test.apply --message-id prune-young --body '{"key":"prune-young"}'
tc raw shopq.commands test.apply --message-id prune-old-1 --body '{"key":"prune-old"}'
wait_for 10 '[ "$(effects prune-old)" -eq 1 ]' "the forgotten id to be handled"
assert_eq "$(effects prune-young)" 0 "a remembered id is still a duplicate"
