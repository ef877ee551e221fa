# SPDX-License-Identifier: MIT
# Saga done-when 6: an order naming an unknown product, user, address (or one of
# another user), token (or one of another user), cart or an empty cart is
# cancelled with the reason that names it; the message is acked, nothing crashes.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 4.00 10); track "$P"
gone=$(new_product 1.00 10); psqlq "DELETE FROM catalog.products WHERE id = $gone" >/dev/null
full=$(new_cart 8 "$P:1 $gone:1"); empty=$(new_cart 8 ""); track_cart "$full" "$empty"
capture order.created order.cancelled
capture_commands inventory.reserve
start_saga
opid=$LAST_PID
items="[{\"product_id\":$P,\"quantity\":2}]"

declare -A want
checkout; want[$CHECKOUT]=unknown_product; place_items "$CHECKOUT" 8 "[{\"product_id\":$P,\"quantity\":1},{\"product_id\":$gone,\"quantity\":1}]"
checkout; want[$CHECKOUT]=unknown_product; place_cart "$CHECKOUT" 8 "$full"
checkout; want[$CHECKOUT]=unknown_user;    place_items "$CHECKOUT" 987654321 "$items" 8 36
checkout; want[$CHECKOUT]=unknown_address; place_items "$CHECKOUT" 8 "$items" 987654321
checkout; want[$CHECKOUT]=unknown_address; place_items "$CHECKOUT" 8 "$items" 9      # user 9's address
checkout; want[$CHECKOUT]=unknown_token;   place_items "$CHECKOUT" 8 "$items" 8 987654321
checkout; want[$CHECKOUT]=unknown_token;   place_items "$CHECKOUT" 8 "$items" 8 41   # user 9's token
checkout; want[$CHECKOUT]=unknown_cart;    place_cart "$CHECKOUT" 8 987654321
checkout; want[$CHECKOUT]=unknown_cart;    place_cart "$CHECKOUT" 9 "$full"          # user 8's cart
checkout; want[$CHECKOUT]=empty_cart;      place_cart "$CHECKOUT" 8 "$empty"
for c in "${!want[@]}"; do
  wait_order "$c" cancelled
  assert_eq "$(col "$ORDER" cancel_reason)" "${want[$c]}" "order $ORDER cancelled: ${want[$c]}"
  wait_for 10 '[ "$(seen order.cancelled "$ORDER")" -eq 1 ]' "order.cancelled of $ORDER"
  assert_eq "$(last order.cancelled "$ORDER" | jq -r .reason)" "${want[$c]}" "order.cancelled says ${want[$c]}"
  assert_eq "$(seen order.created "$ORDER")" 1 "order.created before it"
  assert_eq "$(seen inventory.reserve "$ORDER")" 0 "no stock asked for"
  assert_eq "$(psqlq "SELECT count(*) || ' ' || (SELECT total FROM sales.orders WHERE id = $ORDER) FROM sales.order_items WHERE order_id = $ORDER")" \
    "0 0.00" "order $ORDER: no items recorded, no total"
done
ORDER=$(order_of "$(printf '%s%012d' "$SAGA_RUN" 1)")
assert_eq "$(last order.cancelled "$ORDER" | jq .product_id)" "$gone" "unknown_product names the product"
assert_eq "$(stock "$P")" 10 "stock untouched"
assert_eq "$(cart_lines "$full")" 2 "the cart of a cancelled order keeps its items"
assert_eq "$(queue_depth shopq.orders)" 0 "every message acked"
assert_eq "$(dead_letters)" 0 "no dead letters (the messages were valid)"
kill -0 "$opid" && echo "ok: orders still running"
assert_eq "$(grep -c 'consuming shopq.orders' "$TMP/orders1.log")" 1 "orders started once"
