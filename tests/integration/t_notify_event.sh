# SPDX-License-Identifier: MIT
# Notify done-when 1: an order.confirmed event gives exactly one entry with the
# contract's fields (created_at RFC 3339), unread 1, and a message to a real
# subscriber; the other three events give theirs with their type and title.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
notify_conf "$TMP/c.conf"
U=$NUSER O=$NORDER
subscribe "shopq:notifications:$U" "$TMP/sub.out"
start_notify "$TMP/c.conf"
body="{\"order_id\":$O,\"user_id\":$U,\"total\":12345,\"currency\":\"USD\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}"
mid=$(ctl publish --events order.confirmed "$body")
wait_for 30 '[ "$(xlen $U)" -ge 1 ]' "the notification"
wait_for 10 'grep -qx message "$TMP/sub.out"' "the subscriber's message"
sleep 1 # a second entry or message would show by now
assert_eq "$(xlen $U)" 1 "exactly one entry"
assert_eq "$(unread $U)" 1 "unread counter 1"
entries "$U" > "$TMP/entries.json"
python3 - "$TMP/entries.json" "$TMP/sub.out" "$mid" "$O" "$body" <<'PY'
import datetime, json, re, sys
entries, sub, mid, order, body = sys.argv[1:]
(sid, f), = [json.loads(l) for l in open(entries)]
names = f[::2]
e = dict(zip(names, f[1::2]))
assert names == ["id", "type", "title", "body", "data", "created_at"], names
assert e["id"] == mid, (e["id"], mid)
assert e["type"] == "order", e
assert e["title"] == "Your order #%s is confirmed" % order, e["title"]
assert "123.45 USD" in e["body"], e["body"]
assert json.loads(e["data"]) == json.loads(body), e["data"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", e["created_at"]), e["created_at"]
at = datetime.datetime.strptime(e["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
age = (datetime.datetime.now(datetime.timezone.utc) - at).total_seconds()
assert -5 < age < 120, age
print("ok: entry fields exactly id, type, title, body, data, created_at; id is the event's message_id")
lines = open(sub).read().split("\n")
msgs = [lines[i + 2] for i in range(len(lines) - 2) if lines[i] == "message"]
assert len(msgs) == 1, msgs
p = json.loads(msgs[0])
assert p["stream_id"] == sid, (p, sid)
assert {k: p[k] for k in names} == e, (p, e)
print("ok: the subscriber received the entry as JSON (and its stream id)")
PY

# the other events shopq notifies about, for a second user
U2=$((U + 1))
ctl publish --events order.shipped "{\"order_id\":$O,\"user_id\":$U2,\"carrier\":\"UPS\",\"tracking_number\":\"1Z999\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}" >/dev/null
ctl publish --events order.cancelled "{\"order_id\":$O,\"user_id\":$U2,\"reason\":\"out_of_stock\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}" >/dev/null
ctl publish --events payment.failed "{\"order_id\":$O,\"user_id\":$U2,\"code\":\"card_declined\",\"message\":\"Your card was declined.\",\"occurred_at\":\"2026-11-25T10:00:00Z\"}" >/dev/null
wait_for 30 '[ "$(xlen $U2)" -ge 3 ]' "three notifications"
sleep 1
assert_eq "$(xlen $U2)" 3 "one entry per event"
assert_eq "$(unread $U2)" 3 "unread 3"
got=$(entries "$U2" | python3 -c 'import json, sys
for _, f in map(json.loads, sys.stdin):
    e = dict(zip(f[::2], f[1::2])); print(e["type"], "|", e["title"], "|", e["body"])' | sort)
assert_contains "$got" "order | Your order #$O has shipped | Order #$O is on its way with UPS. Tracking number: 1Z999." "order.shipped"
assert_contains "$got" "order | Your order #$O was cancelled | Order #$O was cancelled (out of stock)." "order.cancelled"
assert_contains "$got" "payment | Payment for order #$O failed | We could not charge your payment method for order #$O: Your card was declined." "payment.failed"
assert_eq "$(queue_depth $NQ.dead)" 0 "nothing dead-lettered"
