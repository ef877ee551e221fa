# SPDX-License-Identifier: MIT
# Payments: outcome unknown is a state. The provider charges but answers after
# payments.timeout_ms: the payment stays 'unknown' and the retry asks again with
# the same Idempotency-Key (one charge, one event). payment.reconcile settles a
# processing payment (GET) and an unknown one (replay with its key). A token
# that is not the user's fails without a call. A payment another transaction
# holds is skipped by reconcile, not waited for. Webhooks are off here: paysim
# gets a broker it cannot reach.
source "$(dirname "$0")/pay_lib.sh"
pay_reset
pay_conf "$TMP/p.conf" "payments: { gateway_url = \"$PAYSIM_URL\"; api_key = \"$(conf_get payments api_key)\";
  webhook_secret = \"$WEBHOOK_SECRET\"; timeout_ms = 400; };"
make_conf "$TMP/sim.conf" 'amqp: { uri = "amqp://guest:guest@127.0.0.1:1/%2f"; };'
start_paysim "$TMP/sim.conf"
start_payments payments "$TMP/p.conf"
o=$(new_orders)
# reconcile takes the 100 oldest unsettled payments: in a reused database,
# earlier runs' leftovers (no daemon settles them now) would crowd this test's out
psqlq "UPDATE payments.payment SET status = 'failed' WHERE status IN ('pending', 'unknown', 'processing') AND order_id < $o" >/dev/null
timeout=$o processing=$((o + 1)) unknown=$((o + 2)) foreign=$((o + 3))
logs() { psqlq "SELECT string_agg(log_message, ' | ' ORDER BY l.id) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id WHERE p.order_id = $1"; }

# 1. the provider charges, the answer comes too late
curl -sf -X POST -d delay_ms=1200 "$PAYSIM_URL/__paysim/mode" >/dev/null
charge "$timeout" 6 1
wait_for 10 "grep -q 'order $timeout: charge: no answer from the provider: timed out' '$TMP/payments.log'" "the timeout"
curl -sf -X POST -d delay_ms=0 "$PAYSIM_URL/__paysim/mode" >/dev/null
assert_eq "$(pstatus "$timeout")" unknown "after the timeout the payment is unknown"
assert_eq "$(paysim_count "$timeout")" 1 "the provider charged nevertheless"
wait_for 15 "[ \"\$(pstatus $timeout)\" = succeeded ] && [ \"\$(events succeeded $timeout)\" -ge 1 ]" "the retry to settle it"
assert_contains "$(logs "$timeout")" "status -> succeeded by charge answer" "settled by the retried charge's answer"

# 2. processing, no webhook: reconcile asks for the intent
charge "$processing" 6 3
wait_for 10 "[ \"\$(pstatus $processing)\" = processing ]" "processing"
sleep 1.3 # the simulator settles after 1 s
ctl publish payment.reconcile '{"older_than_s":0}' >/dev/null
wait_for 10 "[ \"\$(pstatus $processing)\" = succeeded ] && [ \"\$(events succeeded $processing)\" -ge 1 ]" "reconcile to settle it"
assert_contains "$(logs "$processing")" "reconcile: GET /v1/payment_intents/pi_" "reconcile asked for the intent"

# 3. unknown with no intent id (as after a crash, its command lost): reconcile replays the charge
psqlq "INSERT INTO payments.payment (order_id, user_id, amount, currency, status, idempotency_key, token_id)
       VALUES ($unknown, 6, 5.00, 'USD', 'unknown', 'shopq-charge-$unknown', $(token 6 1))" >/dev/null
ctl publish payment.reconcile '{"older_than_s":0}' >/dev/null
wait_for 10 "[ \"\$(pstatus $unknown)\" = succeeded ] && [ \"\$(events succeeded $unknown)\" -ge 1 ]" "reconcile to settle the unknown payment"
ctl publish payment.reconcile '{"older_than_s":0}' >/dev/null
sleep 1.5
for x in $timeout $processing $unknown; do
  assert_eq "$(paysim_count "$x")/$(paysim_count "$x" succeeded)/$(events succeeded "$x")" "1/1/1" "order $x: one charge, succeeded, one event"
done
assert_eq "$(event_field succeeded "$unknown" amount)" 500 "the replayed charge used the recorded amount"

# 5. a payment another transaction holds (as a batch settling it would) is
# skipped: reconcile settles the rest at once instead of waiting behind it
held=$((o + 4)) free=$((o + 5))
for x in $held $free; do
  psqlq "INSERT INTO payments.payment (order_id, user_id, amount, currency, status, idempotency_key, token_id, updated_at)
         VALUES ($x, 6, 3.00, 'USD', 'unknown', 'shopq-charge-$x', $(token 6 1), now() - interval '1 hour' + ($x - $held) * interval '1 s')" >/dev/null
done
PGAPPNAME=shopq_test_holder_$$ psql "$PG_CONNINFO" -X -q -c "BEGIN" \
  -c "SELECT 1 FROM payments.payment WHERE order_id = $held FOR UPDATE" -c "SELECT pg_sleep(60)" >/dev/null 2>&1 &
holder=$!
holding() { psqlq "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'shopq_test_holder_$$' AND query LIKE '%pg_sleep%'"; }
wait_for 10 '[ "$(holding)" = 1 ]' "the other transaction to hold payment $held"
ctl publish payment.reconcile '{"older_than_s":0}' >/dev/null
wait_for 10 "[ \"\$(pstatus $free)\" = succeeded ]" "reconcile to settle the payment nobody holds"
assert_eq "$(pstatus "$held")/$(holding)" "unknown/1" "the held payment skipped while held"
psqlq "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'shopq_test_holder_$$'" >/dev/null
wait "$holder" || true
ctl publish payment.reconcile '{"older_than_s":0}' >/dev/null
wait_for 10 "[ \"\$(pstatus $held)\" = succeeded ]" "the next reconcile to settle it once free"
for x in $held $free; do
  assert_eq "$(paysim_count "$x")/$(events succeeded "$x")" "1/1" "order $x: one charge, one event"
done
assert_eq "$(grep -c 'log line not recorded' "$TMP/payments.log" || true)" 0 "no log line waited out a lock"

# 4. a token of another user: payment.failed without asking the provider
ctl publish payment.charge "{\"order_id\":$foreign,\"user_id\":6,\"amount\":100,\"currency\":\"usd\",\"payment_token_id\":$(token 7 1)}" >/dev/null
wait_for 10 "[ \"\$(events failed $foreign)\" -ge 1 ]" "payment.failed for a foreign token"
assert_eq "$(event_field failed "$foreign" code)" unknown_token "code unknown_token"
assert_eq "$(pstatus "$foreign")" failed "payment recorded as failed"
assert_eq "$(paysim_count "$foreign")" 0 "the provider was not asked"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
