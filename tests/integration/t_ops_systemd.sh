# SPDX-License-Identifier: MIT
# Operations: every unit passes systemd-analyze verify and rates 2.0 or better
# in systemd-analyze security; make install / uninstall with DESTDIR and PREFIX.
source "$(dirname "$0")/lib.sh"
command -v systemd-analyze >/dev/null || { echo "FAILED: systemd-analyze missing (scripts/deps installs it)"; exit 1; }
mkdir -p "$TMP/units"
for f in systemd/*; do sed "s|@BINDIR@|$BIN|g" "$f" > "$TMP/units/$(basename "$f")"; done
n=0
for f in systemd/*@.service; do
  u=$(basename "$f" .service)
  cp "$TMP/units/$u.service" "$TMP/units/${u}1.service"
  out=$(systemd-analyze verify --man=no "$TMP/units/${u}1.service" 2>&1) || { echo "FAILED: verify $u: $out"; exit 1; }
  [ -z "$out" ] || { echo "FAILED: verify $u warns: $out"; exit 1; }
  score=$(systemd-analyze security --offline=true "$TMP/units/${u}1.service" 2>&1 | sed -n 's/.*Overall exposure level for .*: \([0-9.]*\).*/\1/p')
  python3 -c "import sys; sys.exit(0 if float('$score') <= 2.0 else 1)" || { echo "FAILED: $u exposure $score > 2.0"; exit 1; }
  echo "ok: $u verified, exposure $score"
  grep -q '^Environment=GNUTLS_NO_IMPLICIT_INIT=1$' "$f" || { echo "FAILED: $u initialises GnuTLS at load"; exit 1; }
  grep -q '^Type=notify' "$f" && grep -q '^WatchdogSec=' "$f" && grep -q '^Restart=on-failure' "$f" || { echo "FAILED: $u lacks notify/watchdog/restart"; exit 1; }
  n=$((n + 1))
done
assert_eq "$n" 5 "one templated unit per daemon"
systemd-analyze verify --man=no "$TMP/units/shopq.target" && echo "ok: shopq.target verified"
grep -q LoadCredential=api_key systemd/shopq-payments@.service && echo "ok: payments reads its secrets from credentials"
# install and uninstall into a staging directory
make --no-print-directory -s install DESTDIR="$TMP/root" PREFIX=/usr >/dev/null
for p in shopq-orders shopq-inventory shopq-payments shopq-notify shopq-scheduler shopqctl; do
  [ -x "$TMP/root/usr/bin/$p" ] || { echo "FAILED: make install did not install $p"; exit 1; }
done
grep -q '^ExecStart=/usr/bin/shopq-orders ' "$TMP/root/lib/systemd/system/shopq-orders@.service" && echo "ok: units point at PREFIX"
[ -f "$TMP/root/etc/shopq/shopq.conf.example" ] && echo "ok: example config installed"
"$TMP/root/usr/bin/shopq-orders" --help | grep -q -- '--check-config' && echo "ok: --help covers the options"
make --no-print-directory -s uninstall DESTDIR="$TMP/root" PREFIX=/usr >/dev/null
[ -z "$(find "$TMP/root" -type f)" ] && echo "ok: make uninstall removes everything"
