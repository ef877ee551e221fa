# SPDX-License-Identifier: MIT
# Runtime: the outbox's direct path. A batch's events are published straight
# after its commit and their rows deleted with the next transaction; a crash
# between the commit and the publish leaves them in the outbox, and the next
# daemon's sweep publishes them, once. Two instances on a stream publish each
# event once (neither sweeps rows the other is publishing); a clean stop leaves
# no published row behind.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
tc bind test.events.outbox shopq.events test.applied
tc purge test.events.outbox

start_daemon crash "$TBIN/shopq-testd" "$TMP/c.conf" SHOPQ_CRASH_AT=after_commit
tc raw shopq.commands test.apply --message-id outbox-crash-1 --body '{"key":"ob-crash"}'
wait_for 15 "grep -q 'crash point after_commit reached' '$TMP/crash.log'" "the crash point"
wait "$LAST_PID" 2>/dev/null || true
assert_eq "$(effects ob-crash)" 1 "the effect committed"
assert_eq "$(psqlq 'SELECT count(*) FROM testd.outbox')" 1 "its event waits in the outbox"
assert_eq "$(queue_depth test.events.outbox)" 0 "nothing published before the crash"

start_daemon after "$TBIN/shopq-testd" "$TMP/c.conf"
pid_after=$LAST_PID
wait_for 30 '[ "$(queue_depth test.events.outbox)" -ge 1 ]' "the sweep to publish the left event"
wait_for 10 '[ "$(psqlq "SELECT count(*) FROM testd.outbox")" -eq 0 ]' "the outbox to empty"
assert_eq "$(effects ob-crash)" 1 "the redelivered message was not applied again"
tc purge test.events.outbox >/dev/null

start_daemon second "$TBIN/shopq-testd" "$TMP/c.conf"
pid_second=$LAST_PID
flood 2000 ob-stream
wait_for 120 '[ "$(effects "ob-stream-%")" -ge 2000 ]' "the stream's effects"
sleep 7 # past the sweep's age: a row swept while its publisher held it would show twice
assert_eq "$(queue_depth test.events.outbox)" 2000 "each event published once by two instances"
assert_eq "$(psqlq 'SELECT count(*) FROM testd.outbox')" 0 "the outbox is empty"
assert_eq "$(dup_effects)" 0 "each effect once"

# a clean stop mid-stream deletes the rows it published (none waits for a sweep)
flood 3000 ob-stop
wait_for 60 '[ "$(effects "ob-stop-%")" -ge 300 ]' "some of the next stream"
kill -TERM "$pid_after" "$pid_second"
wait "$pid_after" 2>/dev/null || true
wait "$pid_second" 2>/dev/null || true
assert_eq "$(psqlq 'SELECT count(*) FROM testd.outbox')" 0 "a clean stop leaves no published row in the outbox"
