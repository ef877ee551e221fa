# SPDX-License-Identifier: MIT
# The first handler of a batch runs ahead of the inbox's answer, its statement
# riding with the transaction's opening (testd is sql_first). One batch, waiting
# before the daemon starts: a message whose first statement fails (division by
# zero, on its first attempt only), two fresh ones, a copy of one of them. The
# failure costs only its own message a retry (the inbox's answer survives it);
# the others are applied on their first attempt, the copy once. Then a copy of
# an applied message arrives alone, so its handler runs ahead: it is undone.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
tc raw shopq.commands test.apply --message-id "ahead-bad-$$" --body '{"key":"ahead-bad","fail_sql":1}'
tc raw shopq.commands test.apply --message-id "ahead-a-$$" --body '{"key":"ahead-a"}'
tc raw shopq.commands test.apply --message-id "ahead-b-$$" --body '{"key":"ahead-b"}'
tc raw shopq.commands test.apply --message-id "ahead-a-$$" --body '{"key":"ahead-a"}'
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
wait_for 30 '[ "$(effects ahead-bad)" -eq 1 ]' "the failed message, applied on its retry"
assert_eq "$(effects ahead-a)" 1 "the copy in the batch applied once"
assert_eq "$(effects ahead-b)" 1 "the other fresh message applied"
assert_eq "$(grep -c 'retry in' "$TMP/testd.log")" 1 "one retry in all"
assert_eq "$(grep -c "message_id=ahead-bad-$$ attempt=1: retry in 1 s: database: .*division by zero" "$TMP/testd.log")" 1 \
  "the retry is the failed statement's message, with its error"
assert_eq "$(psqlq "SELECT count(*) FROM testd.inbox WHERE message_id LIKE 'ahead-%-$$'")" 3 "three message ids in the inbox"
tc raw shopq.commands test.apply --message-id "ahead-b-$$" --body '{"key":"ahead-b"}'
tc raw shopq.commands test.apply --message-id "ahead-c-$$" --body '{"key":"ahead-c"}'
wait_for 30 '[ "$(effects ahead-c)" -eq 1 ]' "the message after the late copy"
sleep 2 # a retry of the late copy would come within a second
assert_eq "$(effects ahead-b)" 1 "the late copy, run ahead, undone"
assert_eq "$(grep -c 'retry in' "$TMP/testd.log")" 1 "the late copy was a duplicate, not a failure"
assert_eq "$(queue_depth $Q.dead)" 0 "nothing dead-lettered"
