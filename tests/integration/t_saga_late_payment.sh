# SPDX-License-Identifier: MIT
# Saga: a payment that succeeds after its order was cancelled (by the customer
# or by order.expire) is refunded once, never confirmed; order.expire and
# payment.succeeded racing for one order: exactly one of them wins.
source "$(dirname "$0")/saga_lib.sh"
saga_reset
saga_conf
P=$(new_product 2.50 100); track "$P"
capture order.cancelled order.confirmed
capture_commands payment.charge payment.refund inventory.release inventory.commit
start_saga 2
one="[{\"product_id\":$P,\"quantity\":1}]"

# ---- cancelled while awaiting payment, then the charge succeeds: refund, not confirmed
checkout; place_items "$CHECKOUT" 13 "$one"; wait_order "$CHECKOUT" awaiting_payment; oc=$ORDER
ctl publish order.cancel "{\"order_id\":$oc,\"reason\":\"changed_mind\"}" >/dev/null
wait_status "$oc" cancelled
wait_for 20 '[ "$(reservation "$oc")" = released ]' "the reservation released"
wait_for 20 '[ "$(seen payment.charge "$oc")" -eq 1 ]' "payment.charge"
charge=$(last payment.charge "$oc")
pay_event succeeded "$charge"
pay_event succeeded "$charge" # told twice (webhook and answer): still one refund
wait_for 20 '[ "$(seen payment.refund "$oc")" -eq 1 ]' "payment.refund for the late success"
sleep 1
assert_eq "$(col "$oc" order_status)/$(col "$oc" cancel_reason)/$(col "$oc" payment_status)" cancelled/changed_mind/paid "still cancelled, the payment recorded as taken"
assert_eq "$(seen payment.refund "$oc")" 1 "one refund"
assert_eq "$(seen order.confirmed "$oc")$(seen inventory.commit "$oc")" 00 "never confirmed, stock never committed"

# ---- expired while awaiting payment: cancelled payment_timeout, stock back; a late success is refunded
checkout; place_items "$CHECKOUT" 14 "$one"; wait_order "$CHECKOUT" awaiting_payment; oe=$ORDER
ctl publish order.expire "{\"order_id\":$oe}" >/dev/null
wait_status "$oe" cancelled
assert_eq "$(col "$oe" cancel_reason)" payment_timeout "cancelled: payment_timeout"
wait_for 20 '[ "$(reservation "$oe")" = released ]' "the reservation released"
wait_for 10 '[ "$(seen order.cancelled "$oe")" -eq 1 ]' "order.cancelled"
assert_eq "$(last order.cancelled "$oe" | jq -r .reason)" payment_timeout "order.cancelled says payment_timeout"
assert_eq "$(pay succeeded "$oe")" 1 "the charge succeeds late"
wait_for 20 '[ "$(seen payment.refund "$oe")" -eq 1 ]' "payment.refund"
# expiring a confirmed order changes nothing
checkout; place_items "$CHECKOUT" 14 "$one"; wait_order "$CHECKOUT" awaiting_payment; ok=$ORDER
pay succeeded "$ok" >/dev/null; wait_status "$ok" confirmed
ctl publish order.expire "{\"order_id\":$ok}" >/dev/null

# ---- the race: expiry and success published together for 10 orders
race=()
for i in $(seq 10); do checkout; place_items "$CHECKOUT" 15 "$one"; race+=("$CHECKOUT"); done
ids=()
for c in "${race[@]}"; do wait_order "$c" awaiting_payment; ids+=("$ORDER"); done
wait_for 20 '[ "$(collect payment.charge; jq -c "select(.user_id == 15)" "$TMP/cap.payment.charge" | wc -l)" -eq 10 ]' "10 charges"
declare -A paid
for o in "${ids[@]}"; do
  paid[$o]=$(jq -c "select(.order_id == $o) | {order_id, user_id, amount, currency, payment_intent: \"pi_race\"}" "$TMP/cap.payment.charge")
done
bg=() i=0
for o in "${ids[@]}"; do # half of them with the payment sent first
  i=$((i + 1))
  if [ $((i % 2)) = 0 ]; then
    ctl publish --events payment.succeeded "${paid[$o]}" >/dev/null & bg+=($!)
    ctl publish order.expire "{\"order_id\":$o}" >/dev/null & bg+=($!)
  else
    ctl publish order.expire "{\"order_id\":$o}" >/dev/null & bg+=($!)
    ctl publish --events payment.succeeded "${paid[$o]}" >/dev/null & bg+=($!)
  fi
done
wait "${bg[@]}"
in=$(IFS=,; echo "${ids[*]}")
wait_for 30 "[ \"\$(psqlq \"SELECT count(*) FROM sales.orders WHERE id IN ($in) AND order_status <> 'awaiting_payment'\")\" -eq 10 ]" "all 10 settled"
sleep 2
conf=0 exp=0
for o in "${ids[@]}"; do
  s=$(col "$o" order_status)/$(col "$o" payment_status)
  if [ "$s" = confirmed/paid ]; then
    conf=$((conf + 1))
    assert_eq "$(seen payment.refund "$o")/$(seen inventory.release "$o")/$(reservation "$o")" 0/0/committed "order $o: payment won: no refund, stock sold"
  else
    exp=$((exp + 1))
    assert_eq "$s/$(col "$o" cancel_reason)" cancelled/paid/payment_timeout "order $o: expiry won"
    assert_eq "$(seen payment.refund "$o")/$(seen order.confirmed "$o")/$(reservation "$o")" 1/0/released "order $o: expiry won: refunded, stock back"
  fi
done
echo "race: payment won $conf, expiry won $exp"
assert_eq "$(col "$ok" order_status)" confirmed "the expiry of a confirmed order changed nothing"
assert_eq "$(stock "$P")" $((100 - 1 - conf)) "stock: only the confirmed orders' units sold"
assert_eq "$(dead_letters)" 0 "no dead letters"
