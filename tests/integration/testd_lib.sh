# SPDX-License-Identifier: MIT
# testd_lib.sh -- starting shopq-testd (the runtime's test daemon) on a clean
# queue and schema, and counting its effects.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
Q=shopq.testd

# testd_reset: purge its queues and effects (the daemon must not run)
testd_reset() {
  local q
  for q in $Q $Q.dead $Q.retry.1s $Q.retry.2s $Q.retry.4s $Q.retry.8s $Q.retry.16s; do
    tc purge "$q" >/dev/null 2>&1 || true
  done
  psqlq "SET client_min_messages=warning; SELECT public.shopq_create_runtime_tables('testd');
         CREATE TABLE IF NOT EXISTS testd.effects (id bigserial PRIMARY KEY, message_id text NOT NULL,
           key text NOT NULL, at timestamptz NOT NULL DEFAULT now());
         TRUNCATE testd.effects, testd.inbox, testd.outbox, testd.attempts;" >/dev/null
}

# testd_conf FILE [extra config blocks]: short retries for tests unless overridden
testd_conf() {
  local f=$1; shift
  make_conf "$f" 'runtime: { batch_size = 50; retry_delays = [1, 2, 4, 8, 16]; poison_limit = 3; };' "$@"
}

effects() { psqlq "SELECT count(*) FROM testd.effects WHERE key LIKE '${1:-%}'"; }
distinct_effects() { psqlq "SELECT count(DISTINCT key) FROM testd.effects WHERE key LIKE '${1:-%}'"; }
dup_effects() { psqlq "SELECT count(*) FROM (SELECT key FROM testd.effects GROUP BY key HAVING count(*) > 1) d"; }

flood() { # flood N PREFIX [extra json]
  tc flood "$1" shopq.commands test.apply "{\"key\":\"$2-%d\"${3:-}}"
}
