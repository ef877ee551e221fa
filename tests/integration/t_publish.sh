# SPDX-License-Identifier: MIT
# Foundation: shopqctl publish round trip through RabbitMQ (persistent JSON, a
# fresh message_id, confirmed), and its one-line errors.
source "$(dirname "$0")/lib.sh"
tc bind test.publish shopq.commands test.roundtrip
tc purge test.publish
mid=$(ctl publish test.roundtrip '{"hello":"world"}')
[ -n "$mid" ] && echo "ok: published with message_id $mid"
msg=$(tc drain test.publish)
assert_contains "$msg" "\"message_id\":\"$mid\"" "message_id arrives"
assert_contains "$msg" '"body":"{\"hello\":\"world\"}"' "body arrives untouched"
mid2=$(ctl publish test.roundtrip '{"hello":"again"}')
[ "$mid" != "$mid2" ] && echo "ok: each publish gets a fresh message_id"
tc drain test.publish >/dev/null
expect_fail() { # expect_fail WORDS ARGS...
  local words=$1 out rc; shift
  set +e; out=$(ctl "$@" 2>&1); rc=$?; set -e
  [ "$rc" -ne 0 ] || { echo "FAILED: shopqctl $* exited 0"; exit 1; }
  assert_eq "$(wc -l <<<"$out")" 1 "one line for: $words"
  assert_contains "$out" "$words" "error for: $words"
}
expect_fail "JSON is invalid" publish test.roundtrip '{"a":'
expect_fail "JSON must be an object" publish test.roundtrip '[1]'
expect_fail 'unknown command "frobnicate"' frobnicate
expect_fail "usage: shopqctl publish" publish only-key
set +e; out=$("$BIN/shopqctl" --config /nonexistent.conf migrate 2>&1); rc=$?; set -e
[ $rc -ne 0 ] && assert_contains "$out" "/nonexistent.conf: cannot read the file" "missing config"
"$BIN/shopqctl" --version | grep -q '^shopqctl ' && echo "ok: --version"
