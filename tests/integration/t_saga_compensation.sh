# SPDX-License-Identifier: MIT
# Saga done-when 4: a declined payment returns the stock exactly; cancelling a
# confirmed order returns the stock and asks for a refund; a shipped order is
# not cancelled (order.cancel_rejected); shipping a pending order is refused
# with a clear reason (order.ship_rejected) and changes nothing; an order
# cancelled before its stock was reserved gets the reservation released.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 7.25 3 4); Q=$(new_product 1.00 5); track "$P" "$Q"
capture order.cancelled order.confirmed order.shipped order.cancel_rejected order.ship_rejected inventory.released
capture_commands payment.charge payment.refund inventory.release
start_orders # inventory later: the first order stays pending meanwhile

# ---- ship of a pending order: refused, nothing changed
checkout; cp=$CHECKOUT
place_items "$cp" 10 "[{\"product_id\":$P,\"quantity\":1}]"
wait_order "$cp" pending; op=$ORDER
ctl publish order.ship "{\"order_id\":$op,\"carrier\":\"UPS\",\"tracking_number\":\"1Z-PENDING\"}" >/dev/null
wait_for 20 '[ "$(seen order.ship_rejected "$op")" -eq 1 ]' "order.ship_rejected"
assert_eq "$(last order.ship_rejected "$op" | jq -c '{user_id, reason}')" \
  "{\"user_id\":10,\"reason\":\"order $op is pending, not confirmed\"}" "the refusal says why"
assert_eq "$(col "$op" order_status)/$(col "$op" carrier)/$(col "$op" tracking_number)" "pending//" "nothing changed"
grep -q "order.ship refused: order $op is pending, not confirmed" "$TMP/orders1.log" && echo "ok: logged"
# ---- cancel of a pending order: its reserve and release are both on their way
checkout; cx=$CHECKOUT
place_items "$cx" 10 "[{\"product_id\":$Q,\"quantity\":2}]"
wait_order "$cx" pending; ox=$ORDER
ctl publish order.cancel "{\"order_id\":$ox}" >/dev/null
wait_status "$ox" cancelled
assert_eq "$(col "$ox" cancel_reason)" customer_request "cancelled while pending (the default reason)"
start_inventory
wait_status "$op" awaiting_payment
wait_for 20 '[ "$(reservation "$ox")" = released ]' "the late reservation of the cancelled order released"
assert_eq "$(stock "$Q")" 5 "its stock back"
assert_eq "$(col "$ox" order_status)/$(col "$ox" payment_status)" cancelled/unpaid "never charged"
assert_eq "$(seen payment.charge "$ox")" 0 "no payment.charge"

# ---- declined payment: cancelled payment_failed, stock returned exactly
checkout; cd=$CHECKOUT
place_items "$cd" 11 "[{\"product_id\":$P,\"quantity\":5}]"
wait_order "$cd" awaiting_payment; od=$ORDER
assert_eq "$(stock_in "$P" 1) $(stock_in "$P" 2)" "0 1" "5 reserved over both warehouses (1 still for the pending order)"
wait_for 20 '[ "$(pay failed "$od")" -ge 0 ] && [ "$(col "$od" order_status)" = cancelled ]' "the declined order cancelled"
assert_eq "$(col "$od" cancel_reason)/$(col "$od" payment_status)" payment_failed/failed "cancelled: payment_failed"
wait_for 20 '[ "$(reservation "$od")" = released ]' "the reservation released"
assert_eq "$(stock_in "$P" 1) $(stock_in "$P" 2)" "2 4" "each warehouse got its units back"
assert_eq "$(last order.cancelled "$od" | jq -c '{user_id, reason, code}')" '{"user_id":11,"reason":"payment_failed","code":"card_declined"}' "order.cancelled: payment_failed"
assert_eq "$(seen inventory.release "$od")" 1 "inventory.release once"
wait_for 10 '[ "$(seen inventory.released "$od")" -eq 1 ]' "inventory.released"

# ---- cancel of a confirmed order: stock back, refund asked for
assert_eq "$(pay succeeded "$op")" 1 "the pending order paid"
wait_status "$op" confirmed
ctl publish order.cancel "{\"order_id\":$op,\"reason\":\"customer_request\"}" >/dev/null
wait_status "$op" cancelled
assert_eq "$(col "$op" cancel_reason)" customer_request "cancelled with the customer's reason"
wait_for 20 '[ "$(stock "$P")" -eq 7 ]' "the stock of the cancelled order back"
assert_eq "$(reservation "$op")" released "its reservation released"
wait_for 10 '[ "$(seen payment.refund "$op")" -eq 1 ]' "payment.refund"
assert_eq "$(last payment.refund "$op" | jq -c '{order_id, user_id, reason}')" "{\"order_id\":$op,\"user_id\":10,\"reason\":\"customer_request\"}" "payment.refund for the order"
assert_eq "$(last order.cancelled "$op" | jq -r .reason)" customer_request "order.cancelled with the reason"
ctl publish --events payment.refunded "{\"order_id\":$op,\"user_id\":10,\"amount\":725,\"refund_id\":\"re_test_$op\"}" >/dev/null
wait_for 20 '[ "$(col "$op" payment_status)" = refunded ]' "payment_status refunded"
ctl publish order.cancel "{\"order_id\":$op,\"reason\":\"again\"}" >/dev/null # already cancelled: nothing

# ---- ship a confirmed order, then cancel it: refused with an event
checkout; cs=$CHECKOUT
place_items "$cs" 12 "[{\"product_id\":$P,\"quantity\":2}]"
wait_order "$cs" awaiting_payment; os=$ORDER
wait_for 20 '[ "$(pay succeeded "$os")" -ge 0 ] && [ "$(col "$os" order_status)" = confirmed ]' "order confirmed"
ctl publish order.ship "{\"order_id\":$os,\"carrier\":\"UPS\",\"tracking_number\":\"1Z999AA10123456784\"}" >/dev/null
wait_status "$os" shipped
assert_eq "$(col "$os" carrier)/$(col "$os" tracking_number)" UPS/1Z999AA10123456784 "carrier and tracking stored"
wait_for 10 '[ "$(seen order.shipped "$os")" -eq 1 ]' "order.shipped"
assert_eq "$(last order.shipped "$os" | jq -c '{user_id, carrier, tracking_number}')" '{"user_id":12,"carrier":"UPS","tracking_number":"1Z999AA10123456784"}' "order.shipped carries the shipment"
ctl publish order.cancel "{\"order_id\":$os,\"reason\":\"too late\"}" >/dev/null
wait_for 20 '[ "$(seen order.cancel_rejected "$os")" -eq 1 ]' "order.cancel_rejected"
assert_eq "$(last order.cancel_rejected "$os" | jq -c '{user_id, reason}')" \
  "{\"user_id\":12,\"reason\":\"order $os is shipped: it can no longer be cancelled\"}" "the refusal says why"
sleep 1
assert_eq "$(col "$os" order_status)/$(col "$os" payment_status)" shipped/paid "the shipped order is unchanged"
assert_eq "$(stock "$P")" 5 "its stock stays sold"
assert_eq "$(seen payment.refund "$os")$(seen inventory.release "$os")" 00 "no refund, no release"
assert_eq "$(seen order.cancelled "$op")" 1 "the second cancel of a cancelled order did nothing"
assert_eq "$(seen payment.refund "$op")" 1 "one refund for it"
assert_eq "$(dead_letters)" 0 "no dead letters"
