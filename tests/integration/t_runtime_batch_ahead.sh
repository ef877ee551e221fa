# SPDX-License-Identifier: MIT
# A batch whose routes declare their first statement (testd's test.fast) sends
# all of them with the transaction's opening and shares the transaction
# without a savepoint per message (shopq_batches_ahead_total{result="committed"}).
# Whatever does not end cleanly rolls that attempt back, its log lines unwritten,
# and the batch runs one message at a time, each message's outcome its own:
# 1. twenty messages waiting when the daemon starts: one transaction, sent ahead,
#    one batch settled (shopq_batches_total);
# 2. a first statement fails: that message alone is retried, the others applied
#    on their first attempt, each line logged once;
# 3. a later statement fails (the handler answers a retry): the same;
# 4. a copy of a message handled before among fresh ones: applied once;
# 5. a handler undoes its work (sq_ctx_undo has no savepoint to go back to):
#    undone once, the others applied;
# 6. two messages about one thing (same key) are not sent ahead.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
make_conf "$TMP/c.conf" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };' \
  'metrics: { port = 39182; };'
fast() { tc raw shopq.commands test.fast --message-id "$1-$$" --body "$2"; }
ahead() { metric 39182 "shopq_batches_ahead_total{queue=\"$Q\",result=\"$1\"}"; }
batches() { metric 39182 "shopq_batches_total{queue=\"$Q\"}"; }
ok_messages() { metric 39182 "shopq_messages_total{queue=\"$Q\",outcome=\"ok\"}"; }
transactions() { psqlq "SELECT count(DISTINCT at) FROM testd.effects WHERE key LIKE '$1-%'"; }
applied_lines() { grep -c "fast $1 applied" "$TMP/testd.log" || true; }
# run NAME: starts testd on what waits in its queue (one batch), until EFFECTS of PREFIX
run() { start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"; wait_for 30 "[ \"\$(effects '$1-%')\" -eq $2 ]" "$3"; }
stop() { kill -TERM "$LAST_PID"; wait "$LAST_PID" || true; }

start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf" # binds test.fast: messages may wait for it
stop

# 1
for i in $(seq 1 20); do fast "one-$i" "{\"key\":\"one-$i\"}"; done
run one 20 "the twenty messages"
assert_eq "$(transactions one)" 1 "1: one transaction for the twenty"
assert_eq "$(ahead committed)" 1 "1: the batch went ahead and committed"
wait_for 10 '[ "$(ok_messages)" -ge 20 ]' "the batch settled (acked after its commit)"
assert_eq "$(batches)" 1 "1: one batch settled (shopq_batches_total)"
assert_eq "$(ok_messages)" 20 "1: twenty messages in it"
assert_eq "$(applied_lines 'one-7')" 1 "1: each message logged once"
stop

# 2
for i in 1 2 3; do fast "two-$i" "{\"key\":\"two-$i\"}"; done
fast two-bad '{"key":"two-bad","fail_first":1}'
for i in 4 5; do fast "two-$i" "{\"key\":\"two-$i\"}"; done
run two 6 "the batch with a failing first statement"
assert_eq "$(ahead statement_failed)" 1 "2: the failed first statement rolled the attempt back"
assert_eq "$(distinct_effects 'two-%')" 6 "2: every message applied once"
assert_eq "$(grep -c "message_id=two-bad-$$ attempt=1: retry in 1 s: database: .*division by zero" "$TMP/testd.log")" 1 \
  "2: the failing message retried with its error"
assert_eq "$(grep -c 'retry in' "$TMP/testd.log")" 1 "2: no other message retried"
assert_eq "$(applied_lines 'two-4')" 1 "2: the others' lines logged once"
assert_eq "$(applied_lines 'two-bad')" 1 "2: the failing message logged once, on its retry"
stop

# 3
for i in 1 2; do fast "three-$i" "{\"key\":\"three-$i\"}"; done
fast three-bad '{"key":"three-bad","fail_sql":1}'
fast three-retry '{"key":"three-retry","fail_times":1}'
fast three-3 '{"key":"three-3"}'
run three 5 "the batch with a failing later statement and a retry"
assert_eq "$(ahead not_ok)" 1 "3: the handler's retry rolled the attempt back"
assert_eq "$(dup_effects)" 0 "3: nothing applied twice"
assert_eq "$(grep -c 'retry in' "$TMP/testd.log")" 3 "3: only the two failing messages retried (2 before, 1 now: 1 + 2)"
assert_eq "$(applied_lines 'three-1')" 1 "3: the others' lines logged once"
stop

# 4
fast four-a '{"key":"four-a"}'
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
wait_for 30 '[ "$(effects four-a)" -eq 1 ]' "the message handled first"
stop
fast four-a '{"key":"four-a"}'
fast four-b '{"key":"four-b"}'
fast four-c '{"key":"four-c"}'
run four 3 "the batch with a copy"
assert_eq "$(ahead handled_before)" 1 "4: the copy rolled the attempt back"
assert_eq "$(effects four-a)" 1 "4: the copy not applied again"
assert_eq "$(psqlq "SELECT count(*) FROM testd.effects WHERE key IN ('four-b', 'four-c')")" 2 "4: the fresh ones applied"
stop

# 5
fast five-1 '{"key":"five-1"}'
fast five-undo '{"key":"five-undo","undo":1}'
fast five-2 '{"key":"five-2"}'
run five 2 "the batch with an undo"
wait_for 30 "grep -q 'fast five-undo undone' '$TMP/testd.log'" "the undo"
assert_eq "$(ahead not_as_declared)" 1 "5: the undo rolled the attempt back"
assert_eq "$(effects five-undo)" 0 "5: the undone message left no effect"
assert_eq "$(grep -c 'fast five-undo undone' "$TMP/testd.log")" 1 "5: undone once"
stop

# 6
fast six-1 '{"key":"six-1","group":"six"}'
fast six-2 '{"key":"six-2","group":"six"}'
fast six-3 '{"key":"six-3"}'
run six 3 "the batch with one key twice"
assert_eq "$(ahead committed)" 0 "6: not sent ahead"
assert_eq "$(transactions six)" 1 "6: still one transaction"
stop
assert_eq "$(queue_depth $Q.dead)" 0 "nothing dead-lettered"
