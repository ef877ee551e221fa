-- SPDX-License-Identifier: MIT
-- public.shopq_create_runtime_tables(schema): inbox/outbox/attempts tables of a daemon; created here for each module schema.

-- Creates, if missing, in schema sch (the schema too, if missing):
--   sch.inbox    -- ids of consumed messages (idempotent consumers)
--   sch.outbox   -- messages to publish, written in the same transaction as the state change
--   sch.attempts -- delivery attempt counters of failing messages
-- Idempotent and safe to call concurrently; when all three tables already
-- exist it returns without touching anything, so a daemon may call it at
-- start-up without holding CREATE on its schema. Runs with the caller's
-- rights (not SECURITY DEFINER): the tables belong to whoever created them.
CREATE OR REPLACE FUNCTION public.shopq_create_runtime_tables(sch text)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    present int;
BEGIN
    IF sch IS NULL OR sch = '' THEN
        RAISE EXCEPTION 'shopq_create_runtime_tables: schema name must not be empty'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- Catalog lookup (needs no privilege on the schema, unlike to_regclass).
    SELECT count(*) INTO present
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname = sch AND c.relname IN ('inbox', 'outbox', 'attempts')
       AND c.relkind IN ('r', 'p');
    IF present = 3 THEN
        RETURN;
    END IF;

    -- Serialize concurrent creators of the same schema's tables.
    PERFORM pg_advisory_xact_lock(hashtext('shopq_create_runtime_tables'), hashtext(sch));

    IF NOT EXISTS (SELECT FROM pg_namespace WHERE nspname = sch) THEN
        EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', sch);
    END IF;

    EXECUTE format($f$
        CREATE TABLE IF NOT EXISTS %1$I.inbox (
            message_id text PRIMARY KEY,
            queue      text NOT NULL,
            handled_at timestamptz NOT NULL DEFAULT now()
        )$f$, sch);
    EXECUTE format('CREATE INDEX IF NOT EXISTS inbox_handled_at_idx ON %I.inbox (handled_at)', sch);

    EXECUTE format($f$
        CREATE TABLE IF NOT EXISTS %1$I.outbox (
            id          bigserial PRIMARY KEY,
            exchange    text NOT NULL,
            routing_key text NOT NULL,
            message_id  text NOT NULL UNIQUE,
            body        text NOT NULL,
            created_at  timestamptz NOT NULL DEFAULT now()
        )$f$, sch);

    EXECUTE format($f$
        CREATE TABLE IF NOT EXISTS %1$I.attempts (
            message_id text PRIMARY KEY,
            n          int NOT NULL,
            last_at    timestamptz NOT NULL DEFAULT now()
        )$f$, sch);
END
$$;

COMMENT ON FUNCTION public.shopq_create_runtime_tables(text) IS
    'Creates (if missing) <schema>.inbox, <schema>.outbox, <schema>.attempts; idempotent';

-- EXECUTE for all (PUBLIC already has it by default; the daemon roles explicitly).
GRANT EXECUTE ON FUNCTION public.shopq_create_runtime_tables(text) TO PUBLIC;
GRANT EXECUTE ON FUNCTION public.shopq_create_runtime_tables(text)
    TO shopq_orders, shopq_inventory, shopq_payments, shopq_scheduler, shopq_notify;

DO $$
BEGIN
    PERFORM public.shopq_create_runtime_tables(s)
       FROM unnest(ARRAY['sales', 'catalog', 'payments', 'notify', 'scheduler']) AS s;
END
$$;
