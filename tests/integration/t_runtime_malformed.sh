# SPDX-License-Identifier: MIT
# Runtime done-when 4: malformed inputs each land in Q.dead with a specific
# x-shopq-error; the good messages around them are processed; no restart.
source "$(dirname "$0")/testd_lib.sh"
testd_reset
testd_conf "$TMP/c.conf"
start_daemon testd "$TBIN/shopq-testd" "$TMP/c.conf"
pid=$LAST_PID
good() { tc raw shopq.commands test.apply --body "{\"key\":\"good-$1\"}"; }
python3 -c 'print("{\"key\":\"" + "x"*70000 + "\"}")' > "$TMP/big.json"
printf '{"key":"\xff\xfe"}' > "$TMP/badutf8.json"
good 1
tc raw shopq.commands test.apply --body-file "$TMP/big.json"
good 2
tc raw shopq.commands test.apply --body 'not json at all'
tc raw shopq.commands test.apply --body-file "$TMP/badutf8.json"
tc raw shopq.commands test.apply --body '[1,2,3]'
good 3
tc raw shopq.commands test.apply --body '{"nokey":1}'
tc raw shopq.commands test.apply --body '{"key":42}'
tc raw shopq.commands test.apply --body '{"key":"h","fail_times":123456789012345678901234567890}'
tc raw shopq.commands test.apply --body '{"key":"n"}' --no-message-id
tc raw shopq.commands test.apply --body '{"key":"c"}' --content-type text/plain
tc raw shopq.commands test.apply --body '{"key":"r","sleep_ms":-5}'
good 4
wait_for 30 '[ "$(effects good-%)" -eq 4 ] && [ "$(queue_depth shopq.testd.dead)" -eq 10 ]' "good processed, bad dead-lettered"

tc drain shopq.testd.dead > "$TMP/dead.jsonl"
errors=$(python3 -c '
import json,sys
for l in open(sys.argv[1]):
    print(json.loads(l)["headers"].get("x-shopq-error"))' "$TMP/dead.jsonl")
echo "$errors"
for want in "over the 64 KiB limit" "body is not JSON: line 1 column 3: invalid token" "unable to decode byte 0xff" \
  "JSON array, expected an object" "field key is missing" "field key: expected a string, got an integer" \
  "too big integer" "no message_id" "content_type is \"text/plain\"" "field sleep_ms: -5 is below 0"; do
  assert_contains "$errors" "$want" "dead letter says: $want"
done
assert_eq "$(grep -c . <<<"$errors")" 10 "10 dead letters, each with a reason"
python3 - "$TMP/dead.jsonl" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    m = json.loads(l)
    assert m["headers"].get("x-shopq-queue") == "shopq.testd", m
PY
echo "ok: dead letters keep their body and carry the queue"
kill -0 "$pid" && echo "ok: the daemon never restarted"
assert_eq "$(grep -c 'consuming shopq.testd' "$TMP/testd.log")" 1 "started once"
