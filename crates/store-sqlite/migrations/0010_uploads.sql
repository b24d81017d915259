-- Uploaded images (merchants' logos) live in the database, so that every instance serves the
-- same files without a shared volume. The name is the content's hash and extension (which also
-- says the image's type), so a row never changes once written.
CREATE TABLE uploads (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    bytes BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
