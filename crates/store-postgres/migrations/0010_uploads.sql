-- Uploaded images (merchants' logos) live in the database, so that every instance behind a
-- load balancer serves the same files without a shared volume. The name is the content's hash
-- and extension (which also says the image's type), so a row never changes once written.
CREATE TABLE uploads (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name text NOT NULL,
    bytes bytea NOT NULL,
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
GRANT SELECT, INSERT, DELETE ON uploads TO qms_app;
ALTER TABLE uploads ENABLE ROW LEVEL SECURITY;
ALTER TABLE uploads FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON uploads FOR ALL
    USING (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        OR (SELECT current_setting('app.platform', true)) = 'on')
    WITH CHECK (tenant_id = (SELECT NULLIF(current_setting('app.tenant_id', true), '')::uuid)
        OR (SELECT current_setting('app.platform', true)) = 'on');
