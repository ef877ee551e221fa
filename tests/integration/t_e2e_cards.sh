# SPDX-License-Identifier: MIT
# Payments done-when 1, through the whole saga with the real payments daemon and
# paysim: visa confirmed; declined cancelled/payment_failed with the stock back;
# processing confirmed by the webhook; flaky after a retry; rateLimited after
# waiting; exactly one successful charge per confirmed order at the provider.
source "$(dirname "$0")/e2e_lib.sh"
trap 'saga_exit' EXIT
start_everything
p=$(new_product 12.50 100); track "$p"
declare -A ORDER
for k in 1 2 3 4 5; do
  checkout
  place_items "$CHECKOUT" 7 "[{\"product_id\":$p,\"quantity\":2}]" "" "$(token_of 7 "$k")"
  ORDER[$k]=$(await_order "$CHECKOUT")
done
wait_status "${ORDER[1]}" confirmed 20
wait_status "${ORDER[2]}" cancelled 20
wait_status "${ORDER[3]}" confirmed 30
wait_status "${ORDER[4]}" confirmed 30
wait_status "${ORDER[5]}" confirmed 30
assert_eq "$(col "${ORDER[2]}" cancel_reason)" payment_failed "declined card: payment_failed"
assert_eq "$(col "${ORDER[2]}" payment_status)" failed "declined card: payment failed"
wait_until 10 "[ \$(stock $p) -eq 92 ]" "declined order's stock back"
assert_eq "$(stock "$p")" 92 "stock: 100 - 4 confirmed orders x 2"
for k in 1 3 4 5; do
  assert_eq "$(provider_charges "${ORDER[$k]}")" 1 "card $k: exactly one successful charge at the provider"
  assert_eq "$(col "${ORDER[$k]}" payment_status)" paid "card $k: paid"
done
assert_eq "$(provider_charges "${ORDER[2]}")" 0 "declined card: no successful charge"
grep -q "retry" "$TMP/payments1.log" && echo "ok: flaky / rate-limited answers were retried"
m=$(curl -s http://127.0.0.1:39191/metrics)
for st in 200 402 500 429; do
  assert_contains "$m" "shopq_provider_responses_total{endpoint=\"POST /v1/payment_intents\",status=\"$st\"}" "metrics: provider answered $st"
done
assert_contains "$m" 'shopq_provider_call_seconds_count{endpoint="POST /v1/payment_intents"}' "metrics: provider call latency"
