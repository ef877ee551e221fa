# SPDX-License-Identifier: MIT
# Notify: notification.send with data is stored as given; an unknown type, an
# empty or blank title, a body over notify.max_body or a missing user_id is
# dead-lettered at once with a reason in x-shopq-error, and stores nothing.
source "$(dirname "$0")/notify_lib.sh"
notify_reset
notify_conf "$TMP/c.conf" 'max_body = 100;'
U=$NUSER
start_notify "$TMP/c.conf"
send() { ctl publish notification.send "$1" >/dev/null; }
mid=$(ctl publish notification.send "{\"user_id\":$U,\"type\":\"marketing\",\"title\":\"Black Friday\",\"body\":\"50% off, today only \\u00e9\",\"data\":{\"campaign\":\"bf\",\"n\":1}}")
long=$(printf 'x%.0s' $(seq 101))
send "{\"user_id\":$U,\"type\":\"spam\",\"title\":\"T\",\"body\":\"b\"}"
send "{\"user_id\":$U,\"type\":\"order\",\"title\":\"\",\"body\":\"b\"}"
send "{\"user_id\":$U,\"type\":\"order\",\"title\":\"  \",\"body\":\"b\"}"
send "{\"user_id\":$U,\"type\":\"order\",\"title\":\"T\",\"body\":\"$long\"}"
send "{\"type\":\"order\",\"title\":\"T\",\"body\":\"b\"}"
send "{\"user_id\":$U,\"type\":\"order\",\"title\":\"T\",\"body\":\"$(printf 'x%.0s' $(seq 100))\"}"
wait_for 30 '[ "$(queue_depth $NQ.dead)" -eq 5 ]' "5 dead letters"
wait_for 10 '[ "$(xlen $U)" -eq 2 ]' "the 2 valid notifications"
dead=$(tc drain $NQ.dead)
assert_contains "$dead" 'type \"spam\" is not one of marketing, order, payment, account, system' "unknown type"
assert_contains "$dead" 'field title: length 0 is outside 1..256' "empty title"
assert_contains "$dead" 'title is empty' "blank title"
assert_contains "$dead" 'body is 101 bytes, over notify.max_body (100)' "body over max_body"
assert_contains "$dead" 'field user_id is missing' "missing user_id"
sleep 1
assert_eq "$(xlen $U)" 2 "only the valid ones stored"
e=$(entries $U | sed -n 1p)
python3 - "$e" "$mid" <<'PY'
import json, sys
sid, f = json.loads(sys.argv[1]); e = dict(zip(f[::2], f[1::2]))
assert e["id"] == sys.argv[2] and e["type"] == "marketing" and e["title"] == "Black Friday", e
assert e["body"] == "50% off, today only \u00e9", e["body"]
assert json.loads(e["data"]) == {"campaign": "bf", "n": 1}, e["data"]
print("ok: stored as given, data as JSON")
PY
