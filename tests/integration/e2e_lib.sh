# SPDX-License-Identifier: MIT
# e2e_lib.sh -- the whole system for end-to-end tests: orders, inventory,
# payments, notify and the payment simulator on clean queues, plus helpers to
# read the provider's ledger and the notifications.
source "$(dirname "${BASH_SOURCE[0]}")/saga_lib.sh"
PAYSIM_URL=$(conf_get payments gateway_url); PAYSIM_URL=${PAYSIM_URL%/}

# start_everything [INSTANCES]: purge every module's queues, start all daemons
start_everything() {
  local m q i
  for m in orders inventory payments notify; do
    for q in shopq.$m shopq.$m.dead shopq.$m.retry.{1,2,4,8,16}s; do tc purge "$q" >/dev/null 2>&1 || true; done
  done
  saga_conf "$@"
  "$BIN/shopq-paysim" --config "$SAGA_CONF" >> "$TMP/paysim.log" 2>&1 &
  PIDS+=("$!")
  wait_for 10 "grep -q 'listening on' '$TMP/paysim.log'" "paysim"
  curl -sf -X POST "$PAYSIM_URL/__paysim/reset" >/dev/null
  for ((i = 1; i <= ${INSTANCES:-1}; i++)); do
    start_daemon "orders$i" "$TBIN/shopq-orders" "$SAGA_CONF"
    start_daemon "inventory$i" "$TBIN/shopq-inventory" "$SAGA_CONF"
    start_daemon "payments$i" "$TBIN/shopq-payments" "$SAGA_CONF" SHOPQ_METRICS_PORT=$((39190 + i))
  done
  start_daemon notify "$TBIN/shopq-notify" "$SAGA_CONF"
}

# provider_charges ORDER_ID -> successful payment intents for the order at the provider
provider_charges() {
  curl -sf "$PAYSIM_URL/__paysim/charges" |
    jq "[.[] | select(.object == \"payment_intent\" and .order_id == \"$1\" and .status == \"succeeded\")] | length"
}
provider_refunds() {
  curl -sf "$PAYSIM_URL/__paysim/charges" | jq "[.[] | select(.object == \"refund\" and .order_id == \"$1\")] | length"
}
# notifications USER ORDER_ID TITLE_WORDS -> entries of that user about that order with that title
notifications() {
  rcli --raw XRANGE "shopq:notifications:$1" - + | grep -c "^Your order #$2 $3" || true
}
# await_order CHECKOUT -> the order's id once it exists
await_order() {
  wait_for 30 "[ -n \"\$(order_of '$1')\" ]" "an order for checkout $1" >&2
  order_of "$1"
}
