# SPDX-License-Identifier: MIT
# pay_lib.sh -- what the payments tests share: paysim started from $CONF's
# gateway_url and reset, clean payments queues, a capture queue for payment.*
# events, fresh order ids, charge/refund publishing and counting helpers.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
PQ=shopq.payments
CAPTURE=shopq.test.pay
EVENT_KINDS="succeeded failed refunded"
PAYSIM_URL=$(conf_get payments gateway_url); PAYSIM_URL=${PAYSIM_URL%/}
WEBHOOK_SECRET=$(conf_get payments webhook_secret)
for k in $EVENT_KINDS; do : > "$TMP/events.$k.jsonl"; done

# pay_conf FILE [extra blocks]: short retries so 500/429 retries come back fast
pay_conf() {
  local f=$1; shift
  make_conf "$f" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };' "$@"
}

# pay_reset: empty payments queues and the event capture (daemons must not run)
pay_reset() {
  local q
  for q in $PQ $PQ.dead $PQ.retry.1s $PQ.retry.2s $PQ.retry.4s $PQ.retry.8s $PQ.retry.16s \
           $PQ.retry.5s $PQ.retry.30s $PQ.retry.120s $PQ.retry.600s; do
    tc purge "$q" >/dev/null 2>&1 || true
  done
  local k
  for k in $EVENT_KINDS; do
    tc bind "$CAPTURE.$k" shopq.events "payment.$k" >/dev/null
    tc purge "$CAPTURE.$k" >/dev/null
  done
}

# start_paysim: build/bin/shopq-paysim on $CONF's gateway_url, reset to empty
start_paysim() {
  "$BIN/shopq-paysim" --config "${1:-$CONF}" >> "$TMP/paysim.log" 2>&1 &
  PIDS+=("$!")
  wait_for 10 "grep -q 'listening on' '$TMP/paysim.log'" "paysim to listen (see $TMP/paysim.log)"
  curl -sf -X POST "$PAYSIM_URL/__paysim/reset" >/dev/null
}

# start_payments LOGNAME CONF [BINARY] [ENV=VAL ...]
start_payments() {
  local name=$1 conf=$2 bin=${3:-$BIN/shopq-payments}; shift 3 2>/dev/null || shift $#
  start_daemon "$name" "$bin" "$conf" "$@"
}

# new_orders N: prints the first of N order ids nobody used in this database
new_orders() {
  psqlq "SELECT greatest(coalesce(max(order_id), 0) + 1000, (extract(epoch FROM now()) * 1000)::bigint % 1000000000)
         FROM payments.payment"
}

# token USER K: the sample token (u-1)*5+k (k: 1 visa, 2 declined, 3 processing, 4 flaky, 5 rate limited)
token() { echo $(( ($1 - 1) * 5 + $2 )); }

# charge ORDER USER K [AMOUNT]
charge() {
  ctl publish payment.charge \
    "{\"order_id\":$1,\"user_id\":$2,\"amount\":${4:-1999},\"currency\":\"USD\",\"payment_token_id\":$(token "$2" "$3")}" >/dev/null
}

# capture: moves what the capture queues hold into $TMP/events.KIND.jsonl
capture() {
  local k
  for k in $EVENT_KINDS; do tc drain "$CAPTURE.$k" >> "$TMP/events.$k.jsonl"; done
}

# events KIND [ORDER]: how many payment.KIND events were captured (for the order)
events() {
  capture
  python3 - "$TMP/events.$1.jsonl" "${2:-}" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    if not sys.argv[2] or str(b.get("order_id")) == sys.argv[2]:
        n += 1
print(n)
PY
}

# event_field KIND ORDER FIELD: FIELD of the first captured payment.KIND event of ORDER
event_field() {
  capture
  python3 - "$TMP/events.$1.jsonl" "$2" "$3" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    b = json.loads(json.loads(line)["body"])
    if str(b.get("order_id")) == sys.argv[2]:
        print(b.get(sys.argv[3])); break
PY
}

# pstatus ORDER: the payment's status ('' when none)
pstatus() { psqlq "SELECT status FROM payments.payment WHERE order_id = $1"; }

# paysim_count ORDER [STATUS] [OBJECT]: the simulator's intents (or refunds) for the order
paysim_count() {
  curl -sf "$PAYSIM_URL/__paysim/charges" | python3 -c '
import json, sys
order, status, obj = sys.argv[1], sys.argv[2], sys.argv[3]
rows = [r for r in json.load(sys.stdin) if str(r.get("order_id")) == order and r.get("object") == obj
        and (not status or r.get("status") == status)]
print(len(rows))' "$1" "${2:-}" "${3:-payment_intent}"
}

# sign_webhook BODY [SECRET] [T] [RECEIVED_EPOCH]: a payment.webhook command body
# signed like the provider (T and received_at default to now)
sign_webhook() {
  python3 - "$1" "${2:-$WEBHOOK_SECRET}" "${3:-}" "${4:-}" <<'PY'
import hashlib, hmac, json, sys, time
body, secret = sys.argv[1], sys.argv[2]
now = int(sys.argv[4] or time.time())
t = int(sys.argv[3] or now)
sig = hmac.new(secret.encode(), f"{t}.{body}".encode(), hashlib.sha256).hexdigest()
print(json.dumps({"signature": f"t={t},v1={sig}", "body": body,
                  "received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))}))
PY
}

# intent_event ID TYPE INTENT ORDER STATUS: a provider event body
intent_event() {
  printf '{"id":"%s","object":"event","type":"%s","created":%s,"data":{"object":{"id":"%s","object":"payment_intent","amount":1999,"currency":"usd","status":"%s","metadata":{"order_id":"%s"}}}}' \
    "$1" "$2" "$(date +%s)" "$3" "$5" "$4"
}

# fake_payment ORDER STATUS INTENT: a payment row as if charged (for webhook tests)
fake_payment() {
  psqlq "INSERT INTO payments.payment (order_id, user_id, amount, currency, status, reference_id, idempotency_key)
         VALUES ($1, 1, 19.99, 'USD', '$2', NULLIF('$3', ''), 'shopq-charge-$1')" >/dev/null
}

# payment_state ORDER: status, reference, refund id, log lines and webhook events of a payment
payment_state() {
  psqlq "SELECT p.status || ' ' || coalesce(p.reference_id, '-') || ' ' || coalesce(p.refund_id, '-') || ' ' ||
                (SELECT count(*) FROM payments.payment_logs l WHERE l.payment_id = p.id) || ' ' || p.updated_at
         FROM payments.payment p WHERE p.order_id = $1"
}
