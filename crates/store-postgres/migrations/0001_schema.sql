-- QMS schema for PostgreSQL (TSD §2). The same tables, columns, constraints and indexes as the
-- SQLite migration of the same version, in native types: uuid ids, timestamptz times, boolean
-- flags, jsonb documents, double precision for REAL; enums are TEXT with CHECK constraints.
-- Unique constraints are named explicitly: the store maps violations by constraint name.

CREATE TABLE tenants (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL CONSTRAINT tenants_slug_key UNIQUE,
    domain text CONSTRAINT tenants_domain_key UNIQUE,
    is_active boolean NOT NULL DEFAULT true,
    provisioning_status text NOT NULL DEFAULT 'none',
    provisioning_error text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX tenants_is_active ON tenants (is_active);

CREATE TABLE tenant_subscriptions (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL CONSTRAINT tenant_subscriptions_tenant_id_key UNIQUE
        REFERENCES tenants (id) ON DELETE CASCADE,
    plan text NOT NULL DEFAULT 'FREE' CHECK (plan IN ('FREE', 'BASIC', 'PREMIUM', 'ENTERPRISE')),
    status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'trial', 'suspended', 'cancelled', 'expired')),
    priority text NOT NULL DEFAULT 'standard' CHECK (priority IN ('standard', 'high', 'critical')),
    billing_cycle text NOT NULL DEFAULT 'monthly' CHECK (billing_cycle IN ('monthly', 'quarterly', 'yearly')),
    start_date timestamptz NOT NULL,
    end_date timestamptz,
    max_merchants integer NOT NULL DEFAULT 1,
    max_queues_per_merchant integer NOT NULL DEFAULT 3,
    max_users_per_tenant integer NOT NULL DEFAULT 5,
    ai_features boolean NOT NULL DEFAULT false,
    analytics boolean NOT NULL DEFAULT false,
    custom_branding boolean NOT NULL DEFAULT false,
    priority_support boolean NOT NULL DEFAULT false
);

CREATE TABLE tenant_users (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email text NOT NULL,
    full_name text NOT NULL,
    password_hash text,
    role text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MANAGER', 'STAFF')),
    is_active boolean NOT NULL DEFAULT true,
    last_login timestamptz,
    invite_token_hash text,
    invite_expires timestamptz,
    password_reset_token_hash text,
    password_reset_expires timestamptz,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT tenant_users_tenant_id_email_key UNIQUE (tenant_id, email)
);
CREATE INDEX tenant_users_tenant ON tenant_users (tenant_id, role);

CREATE TABLE backoffice_users (
    id uuid PRIMARY KEY,
    email text NOT NULL CONSTRAINT backoffice_users_email_key UNIQUE,
    password_hash text NOT NULL,
    full_name text NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    last_login timestamptz,
    password_reset_token_hash text,
    password_reset_expires timestamptz,
    totp_secret text,
    failed_logins integer NOT NULL DEFAULT 0,
    locked_until timestamptz,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX backoffice_users_is_active ON backoffice_users (is_active);

CREATE TABLE merchants (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    business_name text NOT NULL,
    email text NOT NULL,
    phone text NOT NULL DEFAULT '',
    business_type text NOT NULL DEFAULT 'restaurant'
        CHECK (business_type IN ('restaurant', 'retail', 'clinic', 'salon', 'service', 'other')),
    timezone text NOT NULL DEFAULT 'UTC',
    country text NOT NULL DEFAULT 'MY',
    is_active boolean NOT NULL DEFAULT true,
    email_verified boolean NOT NULL DEFAULT false,
    logo_url text,
    brand_color text,
    banner_image_url text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT merchants_tenant_id_email_key UNIQUE (tenant_id, email)
);
CREATE INDEX merchants_tenant_active ON merchants (tenant_id, is_active);
CREATE INDEX merchants_business_name ON merchants (business_name);
CREATE INDEX merchants_business_type ON merchants (business_type);

CREATE TABLE merchant_addresses (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid NOT NULL CONSTRAINT merchant_addresses_merchant_id_key UNIQUE
        REFERENCES merchants (id) ON DELETE CASCADE,
    street text NOT NULL DEFAULT '',
    city text NOT NULL DEFAULT '',
    state text NOT NULL DEFAULT '',
    postal_code text NOT NULL DEFAULT '',
    country text NOT NULL DEFAULT ''
);
CREATE INDEX merchant_addresses_tenant ON merchant_addresses (tenant_id);

CREATE TABLE business_hours (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    day_of_week integer NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    open_time text NOT NULL DEFAULT '09:00',
    close_time text NOT NULL DEFAULT '17:00',
    is_closed boolean NOT NULL DEFAULT false,
    CONSTRAINT business_hours_merchant_id_day_of_week_key UNIQUE (merchant_id, day_of_week)
);
CREATE INDEX business_hours_tenant ON business_hours (tenant_id);

CREATE TABLE merchant_settings (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid NOT NULL CONSTRAINT merchant_settings_merchant_id_key UNIQUE
        REFERENCES merchants (id) ON DELETE CASCADE,
    settings jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL
);
CREATE INDEX merchant_settings_tenant ON merchant_settings (tenant_id);

CREATE TABLE merchant_integrations (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid NOT NULL CONSTRAINT merchant_integrations_merchant_id_key UNIQUE
        REFERENCES merchants (id) ON DELETE CASCADE,
    whatsapp_enabled boolean NOT NULL DEFAULT false,
    whatsapp_phone_number_id text,
    messenger_enabled boolean NOT NULL DEFAULT false,
    messenger_page_id text,
    email_enabled boolean NOT NULL DEFAULT true,
    sms_enabled boolean NOT NULL DEFAULT false,
    updated_at timestamptz NOT NULL
);
CREATE INDEX merchant_integrations_tenant ON merchant_integrations (tenant_id);

CREATE TABLE service_types (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name text NOT NULL,
    description text,
    estimated_duration integer NOT NULL DEFAULT 15,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX service_types_tenant ON service_types (tenant_id, merchant_id);

CREATE TABLE queues (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name text NOT NULL,
    description text,
    is_active boolean NOT NULL DEFAULT true,
    accepting_customers boolean NOT NULL DEFAULT true,
    max_capacity integer NOT NULL DEFAULT 50,
    average_service_time integer NOT NULL DEFAULT 30,
    current_serving integer NOT NULL DEFAULT 0,
    auto_notifications boolean NOT NULL DEFAULT true,
    notification_interval integer NOT NULL DEFAULT 5,
    allow_cancellation boolean NOT NULL DEFAULT true,
    require_confirmation boolean NOT NULL DEFAULT true,
    business_hours_start text NOT NULL DEFAULT '09:00',
    business_hours_end text NOT NULL DEFAULT '17:00',
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX queues_tenant ON queues (tenant_id);
CREATE INDEX queues_merchant ON queues (merchant_id);

CREATE TABLE queue_ticket_counters (
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    day text NOT NULL,
    last_number integer NOT NULL,
    PRIMARY KEY (queue_id, day)
);
CREATE INDEX queue_ticket_counters_tenant ON queue_ticket_counters (tenant_id);

CREATE TABLE queue_entries (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    customer_id text NOT NULL,
    customer_name text NOT NULL,
    customer_phone text NOT NULL,
    platform text NOT NULL DEFAULT 'web' CHECK (platform IN ('web', 'whatsapp', 'messenger', 'api')),
    -- Line order among waiting entries (ascending, gaps allowed); the API answers the dense place.
    position bigint NOT NULL,
    estimated_wait_time integer NOT NULL DEFAULT 0,
    status text NOT NULL DEFAULT 'waiting'
        CHECK (status IN ('waiting', 'called', 'seated', 'completed', 'cancelled', 'no_show')),
    service_type_id uuid REFERENCES service_types (id) ON DELETE SET NULL,
    party_size integer NOT NULL DEFAULT 1 CHECK (party_size BETWEEN 1 AND 20),
    notes text,
    special_requests text,
    verification_code text NOT NULL,
    session_id text NOT NULL CONSTRAINT queue_entries_session_id_key UNIQUE,
    ticket_day text NOT NULL,
    ticket_seq integer NOT NULL,
    ticket_number text NOT NULL,
    idempotency_key text,
    joined_at timestamptz NOT NULL,
    called_at timestamptz,
    served_at timestamptz,
    completed_at timestamptz,
    requeued_at timestamptz,
    last_notified timestamptz,
    notification_count integer NOT NULL DEFAULT 0,
    sentiment_score double precision,
    webchat_session_id text
);
CREATE INDEX queue_entries_tenant ON queue_entries (tenant_id);
CREATE INDEX queue_entries_queue_status ON queue_entries (queue_id, status, position);
CREATE INDEX queue_entries_customer ON queue_entries (customer_id);
CREATE INDEX queue_entries_tenant_status_joined ON queue_entries (tenant_id, status, joined_at);
CREATE INDEX queue_entries_tenant_queue_position ON queue_entries (tenant_id, queue_id, position);
CREATE INDEX queue_entries_queue_called ON queue_entries (queue_id, called_at);
CREATE UNIQUE INDEX queue_entries_one_waiting_phone ON queue_entries (queue_id, customer_phone) WHERE status = 'waiting';
CREATE UNIQUE INDEX queue_entries_idempotency ON queue_entries (queue_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX queue_entries_ticket ON queue_entries (queue_id, ticket_day, ticket_seq);

CREATE TABLE webchat_messages (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_entry_id uuid NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    sender text NOT NULL CHECK (sender IN ('CUSTOMER', 'STAFF', 'SYSTEM')),
    content text NOT NULL,
    is_read boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL
);
CREATE INDEX webchat_messages_tenant ON webchat_messages (tenant_id);
CREATE INDEX webchat_messages_entry ON webchat_messages (queue_entry_id, created_at);

CREATE TABLE notification_logs (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_entry_id uuid NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    channel text NOT NULL CHECK (channel IN ('WEBCHAT', 'WHATSAPP', 'EMAIL', 'SMS', 'PUSH')),
    status text NOT NULL CHECK (status IN ('SENT', 'DELIVERED', 'FAILED', 'BOUNCED')),
    message text NOT NULL,
    error_message text,
    sent_at timestamptz NOT NULL
);
CREATE INDEX notification_logs_tenant ON notification_logs (tenant_id);
CREATE INDEX notification_logs_entry ON notification_logs (queue_entry_id);

CREATE TABLE notification_templates (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id uuid REFERENCES merchants (id) ON DELETE CASCADE,
    name text NOT NULL,
    channel text NOT NULL DEFAULT 'WEBCHAT' CHECK (channel IN ('WEBCHAT', 'WHATSAPP', 'EMAIL', 'SMS', 'PUSH')),
    content text NOT NULL,
    is_active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX notification_templates_tenant ON notification_templates (tenant_id);

CREATE TABLE queue_analytics (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    date text NOT NULL,
    total_customers integer NOT NULL DEFAULT 0,
    average_wait_time double precision NOT NULL DEFAULT 0,
    peak_hour integer,
    completion_rate double precision NOT NULL DEFAULT 0,
    no_show_rate double precision NOT NULL DEFAULT 0,
    CONSTRAINT queue_analytics_queue_id_date_key UNIQUE (queue_id, date)
);
CREATE INDEX queue_analytics_tenant_date ON queue_analytics (tenant_id, date);

CREATE TABLE queue_analytics_events (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id uuid NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    queue_entry_id uuid,
    event_type text NOT NULL,
    data jsonb,
    timestamp timestamptz NOT NULL
);
CREATE INDEX queue_analytics_events_tenant_time ON queue_analytics_events (tenant_id, timestamp);
CREATE INDEX queue_analytics_events_queue_time ON queue_analytics_events (queue_id, timestamp);

CREATE TABLE audit_logs (
    id uuid PRIMARY KEY,
    tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE,
    user_id uuid,
    user_type text NOT NULL CHECK (user_type IN ('SUPERADMIN', 'MERCHANT', 'CUSTOMER', 'SYSTEM')),
    action text NOT NULL,
    resource text NOT NULL,
    resource_id text,
    details jsonb,
    ip_address text,
    user_agent text,
    created_at timestamptz NOT NULL
);
CREATE INDEX audit_logs_tenant_created ON audit_logs (tenant_id, created_at);
CREATE INDEX audit_logs_user ON audit_logs (user_id);
CREATE INDEX audit_logs_created ON audit_logs (created_at);

CREATE TABLE backoffice_audit_logs (
    id uuid PRIMARY KEY,
    backoffice_user_id uuid REFERENCES backoffice_users (id) ON DELETE SET NULL,
    tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
    action text NOT NULL,
    resource text NOT NULL,
    resource_id text,
    details jsonb,
    ip_address text,
    user_agent text,
    created_at timestamptz NOT NULL
);
CREATE INDEX backoffice_audit_logs_created ON backoffice_audit_logs (created_at);
CREATE INDEX backoffice_audit_logs_tenant ON backoffice_audit_logs (tenant_id);

CREATE TABLE sessions (
    sid text PRIMARY KEY,
    sess text NOT NULL,
    user_id uuid,
    expire timestamptz NOT NULL
);
CREATE INDEX sessions_expire ON sessions (expire);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE system_settings (
    key text PRIMARY KEY,
    value text NOT NULL,
    updated_at timestamptz NOT NULL
);

CREATE TABLE push_subscriptions (
    id uuid PRIMARY KEY,
    tenant_id uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_entry_id uuid NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    endpoint text NOT NULL,
    p256dh text NOT NULL,
    auth text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX push_subscriptions_tenant ON push_subscriptions (tenant_id);
CREATE INDEX push_subscriptions_entry ON push_subscriptions (queue_entry_id);
