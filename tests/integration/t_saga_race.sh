# SPDX-License-Identifier: MIT
# Saga done-when 3: 200 single-unit checkouts of a product with 50 units, all
# published at once, two instances of each daemon: exactly 50 are confirmed,
# 150 cancelled out_of_stock, stock ends at 0 and never went below (no check
# constraint violation, no dead letter).
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 9.99 30 20); track "$P"
capture order.cancelled inventory.rejected
capture_commands payment.charge
start_saga 2
run="checkout_id::text LIKE '$SAGA_RUN%'"

tc flood 200 shopq.commands order.place \
  "{\"checkout_id\":\"${SAGA_RUN}%012d\",\"user_id\":5,\"address_id\":5,\"payment_token_id\":21,\"currency\":\"USD\",\"items\":[{\"product_id\":$P,\"quantity\":1}]}"
# answer charges as they come, until every order settled
wait_until 50 '[ "$(pay succeeded)" -ge 0 ] && [ "$(psqlq "SELECT count(*) FROM sales.orders WHERE $run AND order_status IN ('"'confirmed'"', '"'cancelled'"')")" -eq 200 ]' \
  "all 200 orders confirmed or cancelled"
counts=$(psqlq "SELECT order_status || ':' || coalesce(cancel_reason, '-') || ':' || count(*) FROM sales.orders WHERE $run
                 GROUP BY order_status, cancel_reason ORDER BY 1" | tr '\n' ' ')
assert_eq "$counts" "cancelled:out_of_stock:150 confirmed:-:50 " "50 confirmed, 150 cancelled out_of_stock"
assert_eq "$(stock "$P")" 0 "stock is 0"
assert_eq "$(psqlq "SELECT count(*) FROM catalog.inventory WHERE product_id = $P AND quantity < 0")" 0 "no row below zero"
assert_eq "$(psqlq "SELECT count(*) || ':' || sum(ri.quantity) FROM catalog.reservations r
                     JOIN catalog.reservation_items ri ON ri.reservation_id = r.id WHERE ri.product_id = $P")" "50:50" \
  "50 reservations of one unit each"
assert_eq "$(sort -u "$TMP/paid" | wc -l)" 50 "50 charges asked for"
sleep 1
collect inventory.rejected; collect order.cancelled
assert_eq "$(jq -c "select(.product_id == $P and .reason == \"out_of_stock\")" "$TMP/cap.inventory.rejected" | wc -l)" 150 "150 inventory.rejected for the product"
assert_eq "$(jq -r 'select(.reason == "out_of_stock") | .order_id' "$TMP/cap.order.cancelled" | sort -u | wc -l)" 150 "150 order.cancelled (out_of_stock), once each"
assert_eq "$(dead_letters)" 0 "no dead letters"
if grep -h "violates check constraint" "$TMP"/*.log; then echo "FAILED: a check constraint was violated" >&2; exit 1; fi
echo "ok: no check constraint violated"
echo "retries (deadlocks, serialization): $(cat "$TMP"/*.log | grep -c 'retry in' || true)"
for i in 1 2; do
  echo "inventory$i: $(grep -c 'reserved .* inventory rows\|out of stock' "$TMP/inventory$i.log" || true) reserve commands;" \
       "orders$i: $(grep -c 'placed:' "$TMP/orders$i.log" || true) orders placed"
done
for i in 1 2; do
  [ "$(grep -c 'placed:' "$TMP/orders$i.log" || true)" -gt 0 ] || { echo "FAILED: orders$i took no part" >&2; exit 1; }
  [ "$(grep -c 'reserved .* inventory rows\|out of stock' "$TMP/inventory$i.log" || true)" -gt 0 ] || { echo "FAILED: inventory$i took no part" >&2; exit 1; }
done
echo "ok: both instances of each daemon took part"
