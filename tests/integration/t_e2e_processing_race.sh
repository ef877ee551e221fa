# SPDX-License-Identifier: MIT
# Payments done-when 5: 200 orders with pm_card_processing whose settlement
# webhooks and payment.reconcile runs arrive concurrently: each order confirmed
# once, one order.confirmed event and one notification each.
source "$(dirname "$0")/e2e_lib.sh"
trap 'saga_exit' EXIT
INSTANCES=2 start_everything
capture order.confirmed
p=$(new_product 3.00 1000); track "$p"
psqlq "DELETE FROM sales.orders WHERE user_id = 9 AND order_status <> 'confirmed'" >/dev/null
before=$(psqlq "SELECT count(*) FROM sales.orders WHERE user_id = 9")
rcli DEL shopq:notifications:9 >/dev/null
first=$SAGA_N
pubs=()
for i in $(seq 200); do
  checkout
  place_items "$CHECKOUT" 9 "[{\"product_id\":$p,\"quantity\":1}]" "" "$(token_of 9 3)" &
  pubs+=("$!")
  if (( i % 20 == 0 )); then wait "${pubs[@]}"; pubs=(); fi
done
# reconcile runs while the simulator's webhooks settle the same payments
for i in $(seq 8); do ctl publish payment.reconcile '{"older_than_s":0}' >/dev/null; sleep 0.5; done
wait_until 90 "[ \$(psqlq \"SELECT count(*) FROM sales.orders WHERE checkout_id::text LIKE '$SAGA_RUN%' AND order_status = 'confirmed'\") -eq 200 ]" "200 confirmed orders"
sleep 2
ids=$(psqlq "SELECT id FROM sales.orders WHERE checkout_id::text LIKE '$SAGA_RUN%'")
assert_eq "$(wc -l <<<"$ids")" 200 "one order per checkout"
collect order.confirmed
assert_eq "$(jq -r '.order_id' "$TMP/cap.order.confirmed" | sort | uniq -d | wc -l)" 0 "no order.confirmed twice"
assert_eq "$(jq -r '.order_id' "$TMP/cap.order.confirmed" | sort -u | grep -cxF -f <(echo "$ids"))" 200 "one order.confirmed per order"
doubles=$(curl -sf "$PAYSIM_URL/__paysim/charges" | jq '[.[] | select(.object == "payment_intent" and .status == "succeeded") | .order_id] | group_by(.) | map(select(length > 1)) | length')
assert_eq "$doubles" 0 "never two successful charges for one order"
wait_until 30 "[ \$(rcli --raw XRANGE shopq:notifications:9 - + | grep -c 'is confirmed\$') -ge 200 ]" "notifications"
sleep 1
assert_eq "$(rcli --raw XRANGE shopq:notifications:9 - + | grep -c 'is confirmed$')" 200 "one notification per confirmed order"
