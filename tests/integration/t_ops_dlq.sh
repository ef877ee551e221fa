# SPDX-License-Identifier: MIT
# Operations: shopqctl status / dlq list / dlq replay against real servers: a
# dead letter whose cause is fixed, replayed, succeeds once; replays are recorded.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
psqlq "SET client_min_messages=warning; CREATE TABLE IF NOT EXISTS testd.flags (name text PRIMARY KEY); DELETE FROM testd.flags" >/dev/null
make_conf "$TMP/c.conf" 'runtime: { retry_delays = [1, 1]; };'
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
tc raw shopq.commands test.apply --message-id needs-flag-$$ --body '{"key":"replayed","require_flag":"go"}'
tc raw shopq.commands test.apply --message-id broken-$$ --body '{"key":"other","require_flag":"never"}'
wait_for 30 '[ "$(queue_depth shopq.testd.dead)" -eq 2 ]' "both dead-lettered"
list=$(ctl dlq list shopq.testd)
echo "$list"
assert_contains "$list" "needs-flag-$$" "dlq list shows the message id"
assert_contains "$list" "gave up after 3 attempts: flag go is not set" "dlq list shows the reason"
assert_eq "$(queue_depth shopq.testd.dead)" 2 "listing removes nothing"
dry=$(ctl dlq replay shopq.testd --id needs-flag-$$ --dry-run)
assert_contains "$dry" "would replay needs-flag-$$" "dry run"
assert_eq "$(queue_depth shopq.testd.dead)" 2 "dry run removes nothing"
psqlq "INSERT INTO testd.flags VALUES ('go')" >/dev/null   # the cause is fixed
out=$(ctl dlq replay shopq.testd --reason "flag go")
assert_contains "$out" "replayed 1 message from shopq.testd.dead" "replay by reason"
wait_for 20 '[ "$(effects replayed)" -eq 1 ]' "the replayed message succeeds"
sleep 1
assert_eq "$(effects replayed)" 1 "succeeds once"
assert_eq "$(queue_depth shopq.testd.dead)" 1 "the other dead letter stays"
assert_eq "$(psqlq "SELECT count(*) FROM public.shopq_dlq_replays WHERE message_id = 'needs-flag-$$'")" 1 "replay recorded"
st=$(ctl status)
echo "$st"
assert_contains "$st" "QUEUE" "status prints a table"
js=$(ctl status --json)
python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert {q["queue"] for q in d["queues"]} >= {"shopq.orders","shopq.notify"}' "$js" && echo "ok: status --json"
set +e; out=$(ctl dlq list no.such.queue 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && assert_contains "$out" "dlq: no queue no.such.queue.dead" "unknown queue: one clear line"
