# SPDX-License-Identifier: MIT
# Saga done-when 5: a multi-item order where one item is short reserves nothing
# at all (every item's stock unchanged); lines of one product add up.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
X=$(new_product 1.00 6 4)
Y=$(new_product 2.00 1 1)
Z=$(new_product 3.00 5)
track "$X" "$Y" "$Z"
capture order.cancelled inventory.rejected inventory.reserved
start_saga

checkout; c1=$CHECKOUT
place_items "$c1" 7 "[{\"product_id\":$X,\"quantity\":8},{\"product_id\":$Y,\"quantity\":3},{\"product_id\":$Z,\"quantity\":1}]"
checkout; c2=$CHECKOUT  # 6 + 6 of X > 10: short although each line fits
place_items "$c2" 7 "[{\"product_id\":$X,\"quantity\":6},{\"product_id\":$Z,\"quantity\":1},{\"product_id\":$X,\"quantity\":6}]"
wait_order "$c1" cancelled; o1=$ORDER
wait_order "$c2" cancelled; o2=$ORDER
assert_eq "$(col "$o1" cancel_reason)" out_of_stock "order 1 cancelled out_of_stock"
assert_eq "$(col "$o2" cancel_reason)" out_of_stock "order 2 cancelled out_of_stock"
assert_eq "$(stock_in "$X" 1) $(stock_in "$X" 2) $(stock_in "$Y" 1) $(stock_in "$Y" 2) $(stock_in "$Z" 1)" "6 4 1 1 5" "every row's stock unchanged"
assert_eq "$(psqlq "SELECT count(*) FROM catalog.reservations WHERE order_id IN ($o1, $o2)")" 0 "no reservation"
assert_eq "$(psqlq "SELECT count(*) FROM catalog.reservation_items WHERE product_id IN ($X, $Y, $Z)")" 0 "no reservation item"
wait_for 10 '[ "$(seen inventory.rejected "$o1")" -eq 1 ] && [ "$(seen inventory.rejected "$o2")" -eq 1 ]' "inventory.rejected"
assert_eq "$(last inventory.rejected "$o1" | jq -c '{user_id, reason, product_id}')" "{\"user_id\":7,\"reason\":\"out_of_stock\",\"product_id\":$Y}" "rejected names the short product"
assert_eq "$(last inventory.rejected "$o2" | jq -c '{reason, product_id}')" "{\"reason\":\"out_of_stock\",\"product_id\":$X}" "the lines of a product add up"
assert_eq "$(last order.cancelled "$o1" | jq -c '{user_id, reason}')" '{"user_id":7,"reason":"out_of_stock"}' "order.cancelled says out_of_stock"
assert_eq "$(seen inventory.reserved "$o1")$(seen inventory.reserved "$o2")" 00 "nothing reserved"
# what is there can still be had
checkout
place_items "$CHECKOUT" 7 "[{\"product_id\":$X,\"quantity\":10},{\"product_id\":$Y,\"quantity\":2}]"
wait_order "$CHECKOUT" awaiting_payment
assert_eq "$(stock "$X") $(stock "$Y") $(stock "$Z")" "0 0 5" "the whole stock of two products reserved"
assert_eq "$(dead_letters)" 0 "no dead letters"
