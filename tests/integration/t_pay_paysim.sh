# SPDX-License-Identifier: MIT
# shopq-paysim as a program: --version, one clear line and a non-zero exit when
# its port is taken, its webhooks relayed as signed payment.webhook commands
# with a message_id, and exit 0 on SIGTERM.
source "$(dirname "$0")/pay_lib.sh"
assert_contains "$("$BIN/shopq-paysim" --version)" "shopq-paysim " "--version"
HOOKQ=shopq.test.paysim.webhooks
tc bind $HOOKQ shopq.commands payment.webhook >/dev/null
tc purge $HOOKQ >/dev/null
start_paysim
pid=${PIDS[-1]}

set +e
out=$("$BIN/shopq-paysim" --config "$CONF" 2>&1); rc=$?
set -e
[ "$rc" -ne 0 ] || { echo "FAILED: a second paysim on the same port exited 0" >&2; exit 1; }
assert_eq "$(grep -c . <<<"$out")" 1 "port taken: one line"
assert_contains "$out" "Address already in use" "port taken: says why"

curl -sf -X POST -H "Authorization: Bearer $(conf_get payments api_key)" -H 'Idempotency-Key: t-paysim-1' \
  -d 'amount=100&currency=usd&payment_method=pm_card_visa&confirm=true&metadata[order_id]=1' \
  "$PAYSIM_URL/v1/payment_intents" >/dev/null
wait_for 10 "[ \"\$(queue_depth $HOOKQ)\" -ge 1 ]" "the webhook on shopq.commands"
tc drain $HOOKQ | python3 -c '
import hashlib, hmac, json, sys, calendar, time
secret = sys.argv[1]
m = json.loads(sys.stdin.readline())
assert m["message_id"], m
cmd = json.loads(m["body"])
sig = dict(kv.split("=", 1) for kv in cmd["signature"].split(","))
t, body = sig["t"], cmd["body"]
assert hmac.new(secret.encode(), (t + "." + body).encode(), hashlib.sha256).hexdigest() == sig["v1"]
assert json.loads(cmd["body"])["type"] == "payment_intent.succeeded"
assert abs(calendar.timegm(time.strptime(cmd["received_at"], "%Y-%m-%dT%H:%M:%SZ")) - int(t)) <= 1
print("ok: a signed payment.webhook with a message_id")' "$WEBHOOK_SECRET"

kill -TERM "$pid"
set +e; wait "$pid"; rc=$?; set -e
assert_eq "$rc" 0 "SIGTERM: exit 0"
grep -q stopped "$TMP/paysim.log" && echo "ok: logged its stop"
