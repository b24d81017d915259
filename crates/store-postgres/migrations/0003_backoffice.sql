-- The BackOffice: retries of subdomain provisioning, single use of TOTP codes, and indexes for
-- the operator's lists and filters. Keep in step with the SQLite migration of the same version.

ALTER TABLE tenants ADD COLUMN provisioning_attempts integer NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN provisioning_next_at timestamptz;
CREATE INDEX tenants_provisioning ON tenants (provisioning_status, provisioning_next_at);

-- The last TOTP time step accepted for the operator (a code works once).
ALTER TABLE backoffice_users ADD COLUMN totp_last_step bigint;

CREATE INDEX backoffice_audit_logs_user ON backoffice_audit_logs (backoffice_user_id, created_at);
CREATE INDEX backoffice_audit_logs_action ON backoffice_audit_logs (action, created_at);
CREATE INDEX audit_logs_action ON audit_logs (action, created_at);
