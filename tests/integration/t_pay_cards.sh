# SPDX-License-Identifier: MIT
# Payments done-when 1: each test card through payment.charge -- visa succeeds,
# chargeDeclined fails (card_declined), processing settles by webhook, flaky
# succeeds after a retry, rateLimited after waiting; one charge per order.
source "$(dirname "$0")/pay_lib.sh"
pay_reset
pay_conf "$TMP/p.conf"
start_paysim
start_payments payments "$TMP/p.conf"
o=$(new_orders)
visa=$o declined=$((o + 1)) processing=$((o + 2)) flaky=$((o + 3)) limited=$((o + 4))
charge "$visa" 3 1 2500
charge "$declined" 3 2
charge "$processing" 3 3
charge "$flaky" 3 4
charge "$limited" 3 5

# processing: the synchronous answer leaves it processing, with no event yet
wait_for 10 '[ -n "$(pstatus $processing)" ] && [ "$(pstatus $processing)" != unknown ]' "processing recorded"
first=$(pstatus "$processing")
evs=$(events succeeded "$processing")
assert_eq "$first/$evs" "processing/0" "processing card: payment processing, no event yet"

wait_for 30 '[ "$(events succeeded)" -ge 4 ] && [ "$(events failed)" -ge 1 ]' "four successes and one failure"
sleep 1.5 # a second event (from a webhook or a retry) would show up here

assert_eq "$(pstatus $visa)" succeeded "visa: payment succeeded"
assert_eq "$(events succeeded $visa)" 1 "visa: one payment.succeeded"
assert_eq "$(event_field succeeded $visa amount)/$(event_field succeeded $visa currency)" "2500/USD" "visa: amount and currency in the event"
pi=$(psqlq "SELECT reference_id FROM payments.payment WHERE order_id = $visa")
assert_eq "$(event_field succeeded $visa payment_intent)" "$pi" "visa: the event names the intent recorded as reference_id"
assert_eq "$(psqlq "SELECT amount FROM payments.payment WHERE order_id = $visa")" "25.00" "visa: amount recorded as numeric from cents"

assert_eq "$(pstatus $declined)" failed "declined: payment failed"
assert_eq "$(events failed $declined)/$(events succeeded $declined)" "1/0" "declined: one payment.failed, no success"
assert_eq "$(event_field failed $declined code)" card_declined "declined: code card_declined"
assert_eq "$(psqlq "SELECT response_code FROM payments.payment WHERE order_id = $declined")" card_declined "declined: response_code recorded"

assert_eq "$(pstatus $processing)" succeeded "processing: settled to succeeded by the webhook"
assert_eq "$(events succeeded $processing)" 1 "processing: exactly one payment.succeeded"
assert_contains "$(psqlq "SELECT string_agg(log_message, ' | ') FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id WHERE p.order_id = $processing")" \
  "by webhook evt_" "processing: moved by the settlement webhook"

assert_eq "$(pstatus $flaky)" succeeded "flaky: payment succeeded"
assert_eq "$(events succeeded $flaky)" 1 "flaky: one payment.succeeded"
logs=$(psqlq "SELECT string_agg(log_message, ' | ' ORDER BY l.id) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id WHERE p.order_id = $flaky")
assert_contains "$logs" "HTTP 500" "flaky: the 500 was logged"
assert_contains "$logs" "delivery attempt 2" "flaky: succeeded on the retry"

assert_eq "$(pstatus $limited)" succeeded "rateLimited: payment succeeded"
assert_eq "$(events succeeded $limited)" 1 "rateLimited: one payment.succeeded"
logs=$(psqlq "SELECT string_agg(log_message, ' | ' ORDER BY l.id) FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id WHERE p.order_id = $limited")
assert_contains "$logs" "HTTP 429 rate_limited" "rateLimited: the 429 was logged"
assert_contains "$logs" "Retry-After 1 s" "rateLimited: Retry-After read"

for o2 in $visa $processing $flaky $limited; do
  assert_eq "$(paysim_count $o2 succeeded)/$(paysim_count $o2)" "1/1" "order $o2: exactly one charge at the provider, succeeded"
done
assert_eq "$(paysim_count $declined succeeded)" 0 "declined: no successful charge at the provider"

# never a secret or a full token in the logs
all=$(psqlq "SELECT string_agg(log_message, ' | ') FROM payments.payment_logs l JOIN payments.payment p ON p.id = l.payment_id WHERE p.order_id BETWEEN $visa AND $limited")
for secret in "$(conf_get payments api_key)" pm_card_visa pm_card_chargeDeclined pm_card_processing pm_card_flaky pm_card_rateLimited; do
  if grep -qF -- "$secret" <<<"$all" || grep -qF -- "$secret" "$TMP/payments.log"; then
    echo "FAILED: '$secret' appears in payment_logs or the daemon log" >&2; exit 1
  fi
done
assert_contains "$all" "payment_method=pm_card_v…" "tokens are masked in payment_logs"
assert_eq "$(queue_depth $PQ.dead)" 0 "nothing dead-lettered"
