# SPDX-License-Identifier: MIT
# Saga: inventory.restock adds to a warehouse's row (creating it on first use),
# makes an out-of-stock product orderable again, and refuses an unknown product
# or warehouse with the reason; a repeated message (same message_id) adds once.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 6.00 1); track "$P"
start_saga

checkout; place_items "$CHECKOUT" 17 "[{\"product_id\":$P,\"quantity\":4}]"
wait_order "$CHECKOUT" cancelled
assert_eq "$(col "$ORDER" cancel_reason)" out_of_stock "4 of 1: out of stock"

ctl publish --message-id "restock-$SAGA_RUN" inventory.restock "{\"product_id\":$P,\"warehouse_id\":1,\"quantity\":2}" >/dev/null
ctl publish --message-id "restock-$SAGA_RUN" inventory.restock "{\"product_id\":$P,\"warehouse_id\":1,\"quantity\":2}" >/dev/null
ctl publish inventory.restock "{\"product_id\":$P,\"warehouse_id\":2,\"quantity\":5}" >/dev/null
wait_for 20 '[ "$(stock_in "$P" 2)" = 5 ]' "the row of warehouse 2 created"
assert_eq "$(stock_in "$P" 1)" 3 "warehouse 1: 1 + 2, once for one message_id"
ctl publish inventory.restock "{\"product_id\":987654321,\"warehouse_id\":1,\"quantity\":5}" >/dev/null
ctl publish inventory.restock "{\"product_id\":$P,\"warehouse_id\":987654321,\"quantity\":5}" >/dev/null
wait_for 20 '[ "$(queue_depth shopq.inventory.dead)" -eq 2 ]' "2 dead letters"
errors=$(tc drain shopq.inventory.dead | jq -r '.headers["x-shopq-error"]')
assert_contains "$errors" "unknown product 987654321" "an unknown product is refused"
assert_contains "$errors" "unknown warehouse 987654321" "an unknown warehouse is refused"

checkout; place_items "$CHECKOUT" 17 "[{\"product_id\":$P,\"quantity\":8}]"
wait_order "$CHECKOUT" awaiting_payment
assert_eq "$(stock_in "$P" 1) $(stock_in "$P" 2)" "0 0" "the restocked units reserved from both warehouses"
