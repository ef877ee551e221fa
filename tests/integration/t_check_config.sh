# SPDX-License-Identifier: MIT
# Runtime done-when 8: --check-config on five broken configs prints the right
# file:line each time, exits non-zero; the example config is accepted.
source "$(dirname "$0")/lib.sh"
check() { # check FILE LINE WORDS
  local out rc
  set +e; out=$("$TBIN/shopq-testd" --check-config --config "$1" 2>&1); rc=$?; set -e
  [ "$rc" -ne 0 ] || { echo "FAILED: $1 accepted"; exit 1; }
  assert_contains "$out" "$1:$2: " "file:line for $3"
  assert_contains "$out" "$3" "words for $3"
  assert_eq "$(wc -l <<<"$out")" 1 "one line"
}
B='amqp: { uri = "amqp://guest:guest@127.0.0.1:5672/%2f"; };
postgres: { conninfo = "dbname=shopq"; };'
printf '%s\nlog: { level = "info" }\nruntime = { ;\n' "$B" > "$TMP/syntax.conf"
check "$TMP/syntax.conf" 4 "syntax error"
printf 'postgres: { conninfo = "dbname=shopq"; };\n\namqp: { prefetch = 5; };\n' > "$TMP/missing.conf"
check "$TMP/missing.conf" 3 "required key amqp.uri is missing"
printf '%s\nruntime: {\n  batch_size = "fifty";\n};\n' "$B" > "$TMP/type.conf"
check "$TMP/type.conf" 4 "runtime.batch_size must be an integer"
printf '%s\namqp2: { };\nredis: {\n\n  port = 70000;\n};\n' "$B" > "$TMP/range.conf"
check "$TMP/range.conf" 6 "redis.port = 70000 is out of range 1..65535"
printf '%s\nruntime: {\n  retry_delays = [3600, 86400];\n};\n' "$B" > "$TMP/span.conf"
check "$TMP/span.conf" 4 "longer than runtime.max_retry_span"
out=$("$TBIN/shopq-testd" --check-config --config config/shopq.conf.example)
assert_contains "$out" "configuration OK" "example config accepted"
for b in "$BIN"/shopq-*; do
  [ -e "$b" ] || continue
  [ "$(basename "$b")" = shopq-paysim ] && continue
  "$b" --check-config --config config/shopq.conf.example >/dev/null
  "$b" --version | grep -q "$(basename "$b") " && echo "ok: $(basename "$b") --version"
done
