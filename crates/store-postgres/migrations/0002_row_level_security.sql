-- Row-level security: the second wall between tenants (the first is the `tenant_id` filter in
-- every query). The application connects as the migrating user and then runs `SET ROLE qms_app`,
-- a role that neither owns the tables nor is a superuser, so the policies below always apply.
-- Each tenant transaction starts with `set_config('app.tenant_id', <uuid>, true)`; platform work
-- that must see every tenant sets `app.platform` to 'on' for its transaction.

-- The role is cluster-wide: several databases (e.g. parallel test databases) may migrate at the
-- same moment, so creating it tolerates both "already exists" and the catalogue race.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'qms_app') THEN
        BEGIN
            CREATE ROLE qms_app NOLOGIN NOSUPERUSER NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    BEGIN
        EXECUTE format('GRANT qms_app TO %I', current_user);
    EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
    END;
END
$$;

GRANT USAGE ON SCHEMA public TO qms_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO qms_app;
-- The migration ledger is none of the application's business.
REVOKE ALL ON TABLE _sqlx_migrations FROM qms_app;

-- Every table with a tenant_id column: enabled and forced (so the owner obeys too), one policy.
-- An empty or missing app.tenant_id means "no tenant" (NULLIF → NULL → no row), never a cast error.
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid
        WHERE n.nspname = 'public' AND c.relkind = 'r'
          AND a.attname = 'tenant_id' AND NOT a.attisdropped
        ORDER BY c.relname
    LOOP
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %s FORCE ROW LEVEL SECURITY', t);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %s FOR ALL'
            ' USING (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid'
            ' OR current_setting(''app.platform'', true) = ''on'')'
            ' WITH CHECK (tenant_id = NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid'
            ' OR current_setting(''app.platform'', true) = ''on'')',
            t);
    END LOOP;
END
$$;
