# SPDX-License-Identifier: MIT
# saga_lib.sh -- helpers of the order saga's tests: start shopq-orders and
# shopq-inventory on clean queues, make products and checkouts of this test's
# own, capture events and commands per routing key, stand in for payments.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
SAGA_T=$(basename "$0" .sh)
SAGA_CONF=$TMP/saga.conf
SAGA_RUN=$(cut -c1-24 /proc/sys/kernel/random/uuid) # checkout ids of this run: $SAGA_RUN + 12 digits
SAGA_PRODUCTS=()
SAGA_CARTS=()
SAGA_N=0

# saga_conf [extra config blocks]: short retries, so a deadlock victim is retried soon
saga_conf() {
  make_conf "$SAGA_CONF" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 5; };' "$@"
}

# saga_reset: empty the work, retry and dead-letter queues of both daemons (they must not run)
saga_reset() {
  local m q
  for m in orders inventory; do
    for q in shopq.$m shopq.$m.dead shopq.$m.retry.{1,2,4,8,16}s; do tc purge "$q" >/dev/null 2>&1 || true; done
  done
}

# start_saga [N]: N instances (default 1) of each daemon, from the test build
start_saga() {
  local i
  for ((i = 1; i <= ${1:-1}; i++)); do
    start_daemon "orders$i" "$TBIN/shopq-orders" "$SAGA_CONF"
    start_daemon "inventory$i" "$TBIN/shopq-inventory" "$SAGA_CONF"
  done
}
start_orders() { start_daemon "orders${1:-1}" "$TBIN/shopq-orders" "$SAGA_CONF"; }
start_inventory() { start_daemon "inventory${1:-1}" "$TBIN/shopq-inventory" "$SAGA_CONF"; }

# ---- data of this test
# new_product PRICE QTY_WAREHOUSE1 [QTY_WAREHOUSE2] -> product id (no row for an empty "")
new_product() {
  local id
  id=$(psqlq "INSERT INTO catalog.products (name, price, identification)
              VALUES ('saga test product', $1, 'saga-' || gen_random_uuid()) RETURNING id")
  [ -n "${2:-}" ] && psqlq "INSERT INTO catalog.inventory (product_id, warehouse_id, quantity) VALUES ($id, 1, $2)" >/dev/null
  [ -n "${3:-}" ] && psqlq "INSERT INTO catalog.inventory (product_id, warehouse_id, quantity) VALUES ($id, 2, $3)" >/dev/null
  echo "$id"
}
# track PRODUCT_ID... / track_cart CART_ID...: forget these when the test passed (the makers run in $(...))
track() { SAGA_PRODUCTS+=("$@"); }
track_cart() { SAGA_CARTS+=("$@"); }
stock() { psqlq "SELECT coalesce(sum(quantity), 0) FROM catalog.inventory WHERE product_id = $1"; }
stock_in() { psqlq "SELECT quantity FROM catalog.inventory WHERE product_id = $1 AND warehouse_id = $2"; }
# new_cart USER_ID 'PRODUCT:QTY ...' -> cart id
new_cart() {
  local id pq
  id=$(psqlq "INSERT INTO sales.cart (user_id) VALUES ($1) RETURNING id")
  for pq in $2; do
    psqlq "INSERT INTO sales.cart_items (cart_id, product_id, quantity) VALUES ($id, ${pq%%:*}, ${pq##*:})" >/dev/null
  done
  echo "$id"
}
cart_lines() { psqlq "SELECT count(*) FROM sales.cart_items WHERE cart_id = $1"; }

# checkout -> a fresh checkout id of this run (call it in the main shell, not in $(...))
checkout() { SAGA_N=$((SAGA_N + 1)); CHECKOUT=$(printf '%s%012d' "$SAGA_RUN" "$SAGA_N"); }
token_of() { echo $((($1 - 1) * 5 + ${2:-1})); } # token_of USER [K]: K=1 visa .. 5 rateLimited

# place_items CHECKOUT USER ITEMS_JSON [ADDRESS [TOKEN]]; place_cart CHECKOUT USER CART [ADDRESS [TOKEN]]
place_items() {
  ctl publish order.place "{\"checkout_id\":\"$1\",\"user_id\":$2,\"address_id\":${4:-$2},\"payment_token_id\":${5:-$(token_of "$2")},\"currency\":\"USD\",\"items\":$3}" >/dev/null
}
place_cart() {
  ctl publish order.place "{\"checkout_id\":\"$1\",\"user_id\":$2,\"address_id\":${4:-$2},\"payment_token_id\":${5:-$(token_of "$2")},\"currency\":\"USD\",\"cart_id\":$3}" >/dev/null
}
order_of() { psqlq "SELECT id FROM sales.orders WHERE checkout_id = '$1'"; }
# col ORDER_ID COLUMN -> that column of the order
col() { psqlq "SELECT coalesce($2::text, '') FROM sales.orders WHERE id = $1"; }
# wait_order CHECKOUT STATUS [SECS]: sets ORDER to its id
wait_order() {
  wait_for "${3:-30}" "[ \"\$(psqlq \"SELECT order_status FROM sales.orders WHERE checkout_id = '$1'\")\" = $2 ]" \
    "order of checkout $1 to be $2"
  ORDER=$(order_of "$1")
}
wait_status() { # wait_status ORDER_ID STATUS [SECS]
  wait_for "${3:-30}" "[ \"\$(col $1 order_status)\" = $2 ]" "order $1 to be $2"
}
# wait_until SECONDS 'shell test' 'what': like wait_for, by the clock (for slow tests)
wait_until() {
  local end=$((SECONDS + $1))
  while [ "$SECONDS" -lt "$end" ]; do
    if eval "$2" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  echo "timed out after $1 s waiting for $3" >&2
  return 1
}
reservation() { psqlq "SELECT coalesce((SELECT status FROM catalog.reservations WHERE order_id = $1), 'none')"; }

# ---- captured messages: one queue per routing key, bodies appended to $TMP/cap.KEY
# capture KEY...: events (shopq.events); capture_commands KEY...: commands (shopq.commands)
capture() { _capture shopq.events "$@"; }
capture_commands() { _capture shopq.commands "$@"; }
_capture() {
  local ex=$1 k q; shift
  for k; do
    q=test.saga.$SAGA_T.$k
    tc bind "$q" "$ex" "$k" && tc purge "$q"
    : > "$TMP/cap.$k"
  done
}
# collect KEY: moves what arrived into $TMP/cap.KEY
collect() { tc drain "test.saga.$SAGA_T.$1" | jq -c '.body | fromjson' >> "$TMP/cap.$1"; }
# seen KEY ORDER_ID -> how many KEY messages were captured for the order
seen() { collect "$1"; jq -c "select(.order_id == $2)" "$TMP/cap.$1" | grep -c . || true; }
# last KEY ORDER_ID -> the last KEY message captured for the order (JSON)
last() { collect "$1"; jq -c "select(.order_id == $2)" "$TMP/cap.$1" | tail -n 1; }

# ---- stand-in for shopq-payments: answer the captured payment.charge commands
# pay [succeeded|failed] [ORDER_ID]: answers every new charge (or only ORDER_ID's), prints how many
pay() {
  local outcome=${1:-succeeded} only=${2:-} n=0 oid line
  collect payment.charge
  touch "$TMP/paid"
  while read -r oid line; do
    [ -n "$only" ] && [ "$oid" != "$only" ] && continue
    grep -qx "$oid" "$TMP/paid" && continue
    echo "$oid" >> "$TMP/paid"
    pay_event "$outcome" "$line"
    n=$((n + 1))
  done < <(jq -r '"\(.order_id) \(tojson)"' "$TMP/cap.payment.charge")
  echo "$n"
}
# pay_event succeeded|failed CHARGE_JSON: publish what payments would for that charge
pay_event() {
  local body
  if [ "$1" = succeeded ]; then
    body=$(jq -c '{order_id, user_id, amount, currency, payment_intent: ("pi_test_" + (.order_id|tostring))}' <<<"$2")
  else
    body=$(jq -c '{order_id, user_id, code: "card_declined", message: "Your card was declined."}' <<<"$2")
  fi
  ctl publish --events "payment.$1" "$body" >/dev/null
}

dead_letters() { echo $(($(queue_depth shopq.orders.dead) + $(queue_depth shopq.inventory.dead))); }

# ---- forgetting this run's data once the test passed (orders, reservations, carts, products)
saga_forget() {
  local ids
  ids=$(psqlq "SELECT coalesce(string_agg(id::text, ','), '0') FROM sales.orders WHERE checkout_id::text LIKE '$SAGA_RUN%'")
  psqlq "DELETE FROM catalog.reservations WHERE order_id IN ($ids); DELETE FROM sales.orders WHERE id IN ($ids)" >/dev/null
  if [ ${#SAGA_CARTS[@]} -gt 0 ]; then
    psqlq "DELETE FROM sales.cart WHERE id IN ($(IFS=,; echo "${SAGA_CARTS[*]}"))" >/dev/null
  fi
  if [ ${#SAGA_PRODUCTS[@]} -gt 0 ]; then
    psqlq "DELETE FROM catalog.reservation_items WHERE product_id IN ($(IFS=,; echo "${SAGA_PRODUCTS[*]}"));
           DELETE FROM catalog.products WHERE id IN ($(IFS=,; echo "${SAGA_PRODUCTS[*]}"))" >/dev/null
  fi
}
saga_exit() {
  local rc=$?
  set +e
  [ "$rc" -eq 0 ] && saga_forget
  (exit "$rc"); cleanup # cleanup stops the daemons and exits with rc
}
trap saga_exit EXIT
