-- The tenant policies of 0002, rewritten so that PostgreSQL reads the settings once per
-- statement instead of once per row: each current_setting() call is wrapped in a scalar
-- subquery, which the planner runs once as an InitPlan and then compares every row with its
-- result. Same rule as before (an empty or missing app.tenant_id means "no tenant"; app.platform
-- = 'on' sees every tenant), but a COUNT over a long line no longer evaluates two settings
-- and a cast per entry. Applies to every table that has the tenant_isolation policy.
DO $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT schemaname, tablename FROM pg_policies
        WHERE policyname = 'tenant_isolation' AND schemaname = 'public'
        ORDER BY tablename
    LOOP
        EXECUTE format('DROP POLICY tenant_isolation ON %I.%I', t.schemaname, t.tablename);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I.%I FOR ALL'
            ' USING (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)'
            ' OR (SELECT current_setting(''app.platform'', true)) = ''on'')'
            ' WITH CHECK (tenant_id = (SELECT NULLIF(current_setting(''app.tenant_id'', true), '''')::uuid)'
            ' OR (SELECT current_setting(''app.platform'', true)) = ''on'')',
            t.schemaname, t.tablename);
    END LOOP;
END
$$;
