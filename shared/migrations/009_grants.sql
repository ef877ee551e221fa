-- SPDX-License-Identifier: MIT
-- Privileges: each daemon role writes only its own schema(s) and reads the few tables of other modules it needs.

-- Write access: own schema (tables and sequences), now and for tables created later
-- by the migration role (ALTER DEFAULT PRIVILEGES applies to objects created by
-- the role running this file).
DO $$
DECLARE
    g record;
BEGIN
    FOR g IN SELECT * FROM (VALUES ('shopq_orders',    'sales'),
                                   ('shopq_inventory', 'catalog'),
                                   ('shopq_payments',  'payments'),
                                   ('shopq_notify',    'notify'),
                                   ('shopq_scheduler', 'scheduler'),
                                   ('shopq_scheduler', 'reports')) AS v(role, sch)
    LOOP
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %I', g.sch, g.role);
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', g.sch, g.role);
        EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA %I TO %I', g.sch, g.role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO %I', g.sch, g.role);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO %I', g.sch, g.role);
    END LOOP;
END
$$;

-- Reads across modules.
-- orders: validates users/addresses, prices products, checks the chosen card token.
GRANT USAGE ON SCHEMA auth, catalog, payments TO shopq_orders;
GRANT SELECT ON auth.users, auth.addresses, catalog.products, payments.tokens TO shopq_orders;

-- scheduler: reports and timeouts over orders/payments, session expiry in auth.
GRANT USAGE ON SCHEMA sales, catalog, payments, auth TO shopq_scheduler;
GRANT SELECT ON sales.orders, sales.order_items, catalog.products, payments.payment TO shopq_scheduler;
GRANT SELECT ON ALL TABLES IN SCHEMA auth TO shopq_scheduler;
ALTER DEFAULT PRIVILEGES IN SCHEMA auth GRANT SELECT ON TABLES TO shopq_scheduler;
GRANT DELETE ON auth.auth_session, auth.blocked_auth TO shopq_scheduler;

-- inventory, payments, notify: nothing outside their own schema.
