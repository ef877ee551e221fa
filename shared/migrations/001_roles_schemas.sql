-- SPDX-License-Identifier: MIT
-- Roles (one LOGIN role per daemon), module schemas, and shared helper functions.

-- Roles are cluster-wide: they may already exist from another database of the
-- same cluster. Create them only when missing, and tolerate a concurrent
-- creator (migrations of two databases running at the same time).
DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['shopq_orders', 'shopq_inventory', 'shopq_payments',
                             'shopq_scheduler', 'shopq_notify']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r) THEN
            BEGIN
                EXECUTE format('CREATE ROLE %I LOGIN', r);
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                NULL;
            END;
        ELSIF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = r AND rolcanlogin) THEN
            EXECUTE format('ALTER ROLE %I LOGIN', r);
        END IF;
    END LOOP;
END
$$;

-- Nobody but the database owner creates objects in public.
REVOKE CREATE ON SCHEMA public FROM PUBLIC;

CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS catalog;
CREATE SCHEMA IF NOT EXISTS sales;
CREATE SCHEMA IF NOT EXISTS payments;
CREATE SCHEMA IF NOT EXISTS reports;
CREATE SCHEMA IF NOT EXISTS scheduler;
CREATE SCHEMA IF NOT EXISTS notify;

COMMENT ON SCHEMA auth      IS 'users, addresses, sessions; shopq_scheduler deletes expired sessions';
COMMENT ON SCHEMA catalog   IS 'products, stock and reservations; written by shopq_inventory';
COMMENT ON SCHEMA sales     IS 'carts and orders; written by shopq_orders';
COMMENT ON SCHEMA payments  IS 'payments, card tokens, provider webhooks; written by shopq_payments';
COMMENT ON SCHEMA reports   IS 'materialized reports; refreshed by shopq_scheduler';
COMMENT ON SCHEMA scheduler IS 'job runs and leases; written by shopq_scheduler';
COMMENT ON SCHEMA notify    IS 'runtime bookkeeping of shopq_notify';

-- BEFORE UPDATE trigger function: bump updated_at unless the statement set it
-- explicitly (so tests and jobs can still back-date a row on purpose).
CREATE OR REPLACE FUNCTION public.shopq_touch_updated_at()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

COMMENT ON FUNCTION public.shopq_touch_updated_at() IS
    'BEFORE UPDATE trigger: sets updated_at = now() unless the UPDATE assigned updated_at itself';
