# SPDX-License-Identifier: MIT
# Operations: make demo's script runs every daemon and the simulator, and its
# report shows every outcome right: the five test cards, the last lamp sold
# once, malformed and forged messages dead-lettered with their reasons.
source "$(dirname "$0")/lib.sh"
[ "$CONF" = "$ROOT/.run/shopq.conf" ] || { echo "the demo uses the default config: skipped"; exit 0; }
out=$(scripts/demo 2>&1)
echo "$out"
row() { grep -E "^  [0-9]+ +$1 " <<<"$out" | head -1; }
assert_contains "$(grep 'pm_card_visa' <<<"$out" | head -1)" "confirmed" "visa confirmed"
assert_contains "$(row pm_card_chargeDeclined)" "cancelled (payment_failed)" "declined card cancelled"
assert_contains "$(row pm_card_processing)" "confirmed" "processing card confirmed by the webhook"
assert_contains "$(row pm_card_flaky)" "confirmed" "flaky card confirmed after a retry"
assert_contains "$(row pm_card_rateLimited)" "confirmed" "rate-limited card confirmed after waiting"
assert_contains "$out" "cancelled (out_of_stock)" "the second lamp order is out of stock"
assert_contains "$out" "placed -> reserved -> declined -> cancelled -> stock returned" "the decline's path"
assert_contains "$out" "webhook rejected: signature does not match" "forged webhook dead-lettered"
assert_contains "$out" "body is not JSON" "malformed message dead-lettered"
assert_contains "$out" "stop them with: scripts/devenv down" "says how to stop"
assert_eq "$(grep -c 'requires_payment_method\|succeeded' <<<"$(sed -n '/^Charges/,/^$/p' <<<"$out")")" 6 "six charges at the provider, one per card order"
