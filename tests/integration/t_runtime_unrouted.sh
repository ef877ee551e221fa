# SPDX-License-Identifier: MIT
# Runtime: a command no queue takes (its consumer never ran, or a binding is
# missing) is not lost. The broker returns it (mandatory publish); the daemon
# says which, keeps it in the outbox and sends it again with backoff until a
# queue takes it, and goes on with its work. shopqctl publish says so too and
# exits non-zero.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
KEY="test.unrouted.$$"
tc purge test.unrouted >/dev/null 2>&1 || true

start_daemon unrouted "$TBIN/shopq-testd" "$TMP/c.conf"
tc raw shopq.commands test.apply --message-id unrouted-1 --body "{\"key\":\"unr-1\",\"send\":\"$KEY\"}"
wait_for 20 "grep -q \"no queue took the message '$KEY' sent to shopq.commands\" '$TMP/unrouted.log'" \
  "the daemon to name the command no queue took"
assert_eq "$(effects unr-1)" 1 "the handler's effect committed"
assert_eq "$(psqlq "SELECT count(*) FROM testd.outbox WHERE routing_key = '$KEY'")" 1 "the command waits in the outbox"

# a queue for it appears: the next attempt delivers it, once
tc bind test.unrouted shopq.commands "$KEY"
wait_for 60 '[ "$(queue_depth test.unrouted)" -ge 1 ]' "the command to reach the new queue"
wait_for 30 '[ "$(psqlq "SELECT count(*) FROM testd.outbox")" -eq 0 ]' "the outbox to empty"
ids=$(tc drain test.unrouted | grep -o '"message_id":"[^"]*"' | sort -u | wc -l)
assert_eq "$ids" 1 "one command (any copy carries the same message_id)"
assert_eq "$(effects unr-1)" 1 "the redelivered message was not applied again"

# the daemon goes on
tc raw shopq.commands test.apply --message-id unrouted-2 --body '{"key":"unr-2"}'
wait_for 20 '[ "$(effects unr-2)" -eq 1 ]' "a later message to be handled"

# an operator's publish to a key no queue is bound for fails with one line
set +e; out=$(ctl publish "$KEY.typo" '{"a":1}' 2>&1); rc=$?; set -e
[ "$rc" -ne 0 ] || { echo "FAILED: shopqctl publish to an unbound key exited 0"; exit 1; }
assert_eq "$(wc -l <<<"$out")" 1 "one line"
assert_contains "$out" "no queue took the message '$KEY.typo' sent to shopq.commands" "it names the key"
out=$(ctl publish --events "$KEY.event" '{"a":1}')
[ -n "$out" ] && echo "ok: an event nobody listens to is still published"
