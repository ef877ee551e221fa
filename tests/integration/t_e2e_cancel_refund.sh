# SPDX-License-Identifier: MIT
# Payments done-when 6 through the saga: cancel of a confirmed order -> one
# refund at the provider, order cancelled, payment.refunded published once, and
# the sold stock returned -- even when the cancel arrives twice.
source "$(dirname "$0")/e2e_lib.sh"
trap 'saga_exit' EXIT
start_everything
capture payment.refunded
p=$(new_product 20.00 10); track "$p"
checkout
place_items "$CHECKOUT" 4 "[{\"product_id\":$p,\"quantity\":3}]" "" "$(token_of 4 1)"
o=$(await_order "$CHECKOUT")
wait_status "$o" confirmed 20
assert_eq "$(stock "$p")" 7 "stock sold"
ctl publish order.cancel "{\"order_id\":$o,\"reason\":\"customer_request\"}" >/dev/null
ctl publish order.cancel "{\"order_id\":$o,\"reason\":\"customer_request\"}" >/dev/null
wait_status "$o" cancelled 20
wait_until 20 "[ \"\$(col $o payment_status)\" = refunded ]" "refund recorded on the order"
assert_eq "$(provider_refunds "$o")" 1 "exactly one refund at the provider"
assert_eq "$(seen payment.refunded "$o")" 1 "payment.refunded published once"
wait_until 10 "[ \$(stock $p) -eq 10 ]" "stock returned"
assert_eq "$(stock "$p")" 10 "sold stock returned"
