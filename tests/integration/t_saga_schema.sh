# SPDX-License-Identifier: MIT
# Saga: order.place, order.ship, order.cancel and inventory commands of a bad
# shape are dead-lettered at once with a reason in words; the good order
# published among them is placed; no order exists for a bad one.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 1.00 10); track "$P"
start_saga
u=16 a=16 t=76
# b: a fresh valid head of order.place in $B
b() { checkout; B="\"checkout_id\":\"$CHECKOUT\",\"user_id\":$u,\"address_id\":$a,\"payment_token_id\":$t,\"currency\":\"USD\""; }
it="[{\"product_id\":$P,\"quantity\":1}]"
place() { tc raw shopq.commands order.place --body "$1"; }
hundred_one=$(python3 -c "import json; print(json.dumps([{'product_id': $P, 'quantity': 1}] * 101))")

b; place "{$B,\"cart_id\":3,\"items\":$it}"
b; place "{$B}"
b; place "{$B,\"items\":$it}"; good=$CHECKOUT # the good one
b; place "{$(sed 's/"USD"/"usd"/' <<<"$B"),\"items\":$it}"
b; place "{$(sed 's/"USD"/"USDX"/' <<<"$B"),\"items\":$it}"
b; place "{$B,\"items\":[]}"
b; place "{$B,\"items\":[{\"product_id\":$P,\"quantity\":0}]}"
b; place "{$B,\"items\":[{\"product_id\":$P,\"quantity\":1001}]}"
b; place "{$B,\"items\":[{\"product_id\":0,\"quantity\":1}]}"
b; place "{$B,\"items\":$hundred_one}"
place "{\"checkout_id\":\"not-a-uuid\",\"user_id\":1,\"address_id\":1,\"payment_token_id\":1,\"currency\":\"USD\",\"items\":$it}"
b; place "{$(sed "s/\"user_id\":$u/\"user_id\":0/" <<<"$B"),\"items\":$it}"
b; place "{$(sed "s/\"user_id\":$u/\"user_id\":\"$u\"/" <<<"$B"),\"items\":$it}"
b; place "{$(sed "s/\"address_id\":$a,//" <<<"$B"),\"items\":$it}"
b; place "{$B,\"cart_id\":-1}"
tc raw shopq.commands order.ship --body '{"order_id":1,"tracking_number":"x"}'
tc raw shopq.commands order.ship --body '{"order_id":9876543210,"carrier":"UPS","tracking_number":"x"}'
tc raw shopq.commands order.cancel --body '{"order_id":9876543210,"reason":"x"}'
tc raw shopq.commands inventory.restock --body "{\"product_id\":$P,\"warehouse_id\":1,\"quantity\":0}"
tc raw shopq.commands inventory.restock --body "{\"product_id\":$P,\"warehouse_id\":1,\"quantity\":1000001}"
tc raw shopq.commands inventory.reserve --body "{\"order_id\":1}"
wait_order "$good" awaiting_payment
wait_for 30 '[ "$(queue_depth shopq.orders.dead)" -eq 17 ] && [ "$(queue_depth shopq.inventory.dead)" -eq 3 ]' "20 dead letters"
errors=$( (tc drain shopq.orders.dead; tc drain shopq.inventory.dead) | jq -r '.headers["x-shopq-error"]')
echo "$errors"
for want in "both cart_id and items are given" "neither cart_id nor items is given" \
  'field currency: "usd" is not three upper-case letters' "field currency: length 4 is outside 3..3" \
  "field items: expected 1 to 100 items, got 0" "field items[0].quantity: 0 is below 1" \
  "field items[0].quantity: 1001 is above 1000" "field items[0].product_id: 0 is below 1" \
  "field items: expected 1 to 100 items, got 101" "field checkout_id: expected a UUID" \
  "field user_id: 0 is below 1" "field user_id: expected an integer, got a string" "field address_id is missing" \
  "field cart_id: -1 is below 1" "field carrier is missing" "order 9876543210 does not exist" \
  "field quantity: 0 is below 1" "field quantity: 1000001 is above 1000000" "field items is missing"; do
  assert_contains "$errors" "$want" "dead letter says: $want"
done
assert_eq "$(grep -c 'order 9876543210 does not exist' <<<"$errors")" 2 "ship and cancel of an unknown order refused"
assert_eq "$(psqlq "SELECT count(*) FROM sales.orders WHERE checkout_id::text LIKE '$SAGA_RUN%'")" 1 "only the good order exists"
assert_eq "$(stock "$P")" 9 "only the good order reserved"
