# SPDX-License-Identifier: MIT
# Saga done-when 2: the same order.place published 5 times (same and different
# message_ids, one checkout_id) gives one order, one reservation, one of each
# event; a repeated inventory.reserve is answered again without a second reservation.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 5.00 40); track "$P"
capture order.created inventory.reserved
capture_commands inventory.reserve payment.charge
start_saga 2

checkout
body="{\"checkout_id\":\"$CHECKOUT\",\"user_id\":6,\"address_id\":6,\"payment_token_id\":26,\"currency\":\"USD\",\"items\":[{\"product_id\":$P,\"quantity\":3}]}"
ctl publish --message-id "dup-$CHECKOUT" order.place "$body" >/dev/null
ctl publish --message-id "dup-$CHECKOUT" order.place "$body" >/dev/null
ctl publish order.place "$body" >/dev/null
ctl publish order.place "$body" >/dev/null
# the same checkout with other items is the same order too
ctl publish order.place "${body/\"quantity\":3/\"quantity\":7}" >/dev/null
wait_order "$CHECKOUT" awaiting_payment; o=$ORDER
wait_for 20 '[ "$(queue_depth shopq.orders)" -eq 0 ] && [ "$(queue_depth shopq.inventory)" -eq 0 ]' "queues drained"
sleep 1
assert_eq "$(psqlq "SELECT count(*) FROM sales.orders WHERE checkout_id = '$CHECKOUT'")" 1 "one order"
assert_eq "$(psqlq "SELECT count(*) || ':' || sum(quantity) FROM sales.order_items WHERE order_id = $o")" "1:3" "the first message's items, once"
assert_eq "$(psqlq "SELECT count(*) FROM catalog.reservations WHERE order_id = $o")" 1 "one reservation"
assert_eq "$(stock "$P")" 37 "stock taken once"
assert_eq "$(seen order.created "$o")" 1 "order.created once"
assert_eq "$(seen inventory.reserve "$o")" 1 "inventory.reserve once"
assert_eq "$(seen inventory.reserved "$o")" 1 "inventory.reserved once"
assert_eq "$(seen payment.charge "$o")" 1 "payment.charge once"

# a second inventory.reserve for the order (another message_id): no second reservation, the same answer
ctl publish inventory.reserve "{\"order_id\":$o,\"user_id\":6,\"items\":[{\"product_id\":$P,\"quantity\":3}]}" >/dev/null
wait_for 20 '[ "$(seen inventory.reserved "$o")" -eq 2 ]' "inventory.reserved told again"
assert_eq "$(psqlq "SELECT count(*) FROM catalog.reservations WHERE order_id = $o")" 1 "still one reservation"
assert_eq "$(psqlq "SELECT count(*) FROM catalog.reservation_items ri JOIN catalog.reservations r ON r.id = ri.reservation_id WHERE r.order_id = $o")" 1 "still one reservation item"
assert_eq "$(stock "$P")" 37 "stock still taken once"
assert_eq "$(jq -sc "map(select(.order_id == $o) | .items)| unique | length" "$TMP/cap.inventory.reserved")" 1 "the same items both times"
sleep 1
assert_eq "$(col "$o" order_status)" awaiting_payment "the repeated reply changed nothing"
assert_eq "$(seen payment.charge "$o")" 1 "still one payment.charge"
assert_eq "$(dead_letters)" 0 "no dead letters"
