# SPDX-License-Identifier: MIT
# Saga done-when 1: orders from a cart and from items are confirmed after the
# (stand-in) payment; the cart is emptied, stock goes down by the quantities
# (across warehouses), prices are copied, each saga event is published once.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
A=$(new_product 12.50 10 5)
B=$(new_product 3.99 20)
C=$(new_product 0.10 2 5)
track "$A" "$B" "$C"
cart=$(new_cart 3 "$A:2 $B:3"); track_cart "$cart"
capture order.created inventory.reserved order.confirmed order.cancelled
capture_commands payment.charge inventory.commit
start_saga

checkout; c1=$CHECKOUT
place_cart "$c1" 3 "$cart"
checkout; c2=$CHECKOUT
place_items "$c2" 4 "[{\"product_id\":$A,\"quantity\":1},{\"product_id\":$C,\"quantity\":4}]"
wait_order "$c1" awaiting_payment; o1=$ORDER
wait_order "$c2" awaiting_payment; o2=$ORDER
assert_eq "$(cart_lines "$cart")" 0 "the cart is emptied when the order takes its items"
assert_eq "$(col "$o1" payment_status)" processing "awaiting payment: payment processing"
assert_eq "$(psqlq "SELECT string_agg(product_id || 'x' || quantity || '@' || unit_price, ' ' ORDER BY id)
                    FROM sales.order_items WHERE order_id = $o1")" "${A}x2@12.50 ${B}x3@3.99" "cart items became order items, prices copied"
assert_eq "$(col "$o1" total)" 36.97 "total of the cart order"
assert_eq "$(col "$o2" total)" 12.90 "total of the items order"
assert_eq "$(psqlq "SELECT string_agg(product_id || 'x' || quantity || '@' || unit_price, ' ' ORDER BY id)
                    FROM sales.order_items WHERE order_id = $o2")" "${A}x1@12.50 ${C}x4@0.10" "the checkout's items became order items, in order, prices copied"

wait_for 20 '[ "$(seen payment.charge "$o1")" -eq 1 ] && [ "$(seen payment.charge "$o2")" -eq 1 ]' "payment.charge commands"
charge=$(last payment.charge "$o1")
assert_eq "$(jq -c '{order_id, user_id, amount, currency, payment_token_id}' <<<"$charge")" \
  "{\"order_id\":$o1,\"user_id\":3,\"amount\":3697,\"currency\":\"USD\",\"payment_token_id\":11}" "payment.charge carries the order in cents"
assert_eq "$(pay succeeded)" 2 "stand-in payments answered"
wait_status "$o1" confirmed
wait_status "$o2" confirmed
assert_eq "$(col "$o1" payment_status)" paid "order 1 paid"
assert_eq "$(col "$o2" payment_status)" paid "order 2 paid"
assert_eq "$(stock "$A")" 12 "product A: 15 - 2 - 1"
assert_eq "$(stock "$B")" 17 "product B: 20 - 3"
assert_eq "$(stock "$C")" 3 "product C: 7 - 4"
assert_eq "$(stock_in "$C" 1) $(stock_in "$C" 2)" "0 3" "product C taken from warehouse 1 first, the rest from warehouse 2"
assert_eq "$(psqlq "SELECT string_agg(ri.warehouse_id || ':' || ri.quantity, ' ' ORDER BY ri.warehouse_id)
                    FROM catalog.reservation_items ri JOIN catalog.reservations r ON r.id = ri.reservation_id
                   WHERE r.order_id = $o2 AND ri.product_id = $C")" "1:2 2:2" "the reservation records the rows it took from"
wait_for 20 '[ "$(reservation "$o1")" = committed ] && [ "$(reservation "$o2")" = committed ]' "reservations committed"

sleep 1 # anything published twice would be here by now
for o in "$o1" "$o2"; do
  for k in order.created inventory.reserved order.confirmed; do
    assert_eq "$(seen $k "$o")" 1 "order $o: $k published once"
  done
  assert_eq "$(seen order.cancelled "$o")" 0 "order $o: never cancelled"
  assert_eq "$(seen inventory.commit "$o")" 1 "order $o: inventory.commit once"
done
created=$(last order.created "$o1")
assert_eq "$(jq -c '{user_id, checkout_id, total, currency, items}' <<<"$created")" \
  "{\"user_id\":3,\"checkout_id\":\"$c1\",\"total\":3697,\"currency\":\"USD\",\"items\":[{\"product_id\":$A,\"quantity\":2,\"unit_price\":1250},{\"product_id\":$B,\"quantity\":3,\"unit_price\":399}]}" \
  "order.created carries checkout, total and items in cents"
assert_eq "$(last order.created "$o2" | jq -c '{total, items}')" \
  "{\"total\":1290,\"items\":[{\"product_id\":$A,\"quantity\":1,\"unit_price\":1250},{\"product_id\":$C,\"quantity\":4,\"unit_price\":10}]}" \
  "order.created of an items checkout carries its items priced in cents"
assert_contains "$(jq -r .occurred_at <<<"$created")" "T" "order.created has occurred_at"
assert_eq "$(last order.confirmed "$o2" | jq -c '{user_id, total, currency}')" '{"user_id":4,"total":1290,"currency":"USD"}' "order.confirmed carries the total"
assert_eq "$(last inventory.reserved "$o2" | jq -c '[.user_id, (.items | map(.quantity) | add)]')" '[4,5]' "inventory.reserved echoes the user and lists the units"
assert_eq "$(dead_letters)" 0 "no dead letters"
