-- QMS schema for SQLite (TSD §2). Ids are UUID text, times are Unix milliseconds (INTEGER),
-- enums are TEXT with CHECK constraints, JSON is TEXT. Keep in step with the PostgreSQL
-- migration of the same version.

CREATE TABLE tenants (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    slug TEXT NOT NULL UNIQUE,
    domain TEXT UNIQUE,
    is_active INTEGER NOT NULL DEFAULT 1,
    provisioning_status TEXT NOT NULL DEFAULT 'none',
    provisioning_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX tenants_is_active ON tenants (is_active);

CREATE TABLE tenant_subscriptions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL UNIQUE REFERENCES tenants (id) ON DELETE CASCADE,
    plan TEXT NOT NULL DEFAULT 'FREE' CHECK (plan IN ('FREE', 'BASIC', 'PREMIUM', 'ENTERPRISE')),
    status TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'trial', 'suspended', 'cancelled', 'expired')),
    priority TEXT NOT NULL DEFAULT 'standard' CHECK (priority IN ('standard', 'high', 'critical')),
    billing_cycle TEXT NOT NULL DEFAULT 'monthly' CHECK (billing_cycle IN ('monthly', 'quarterly', 'yearly')),
    start_date INTEGER NOT NULL,
    end_date INTEGER,
    max_merchants INTEGER NOT NULL DEFAULT 1,
    max_queues_per_merchant INTEGER NOT NULL DEFAULT 3,
    max_users_per_tenant INTEGER NOT NULL DEFAULT 5,
    ai_features INTEGER NOT NULL DEFAULT 0,
    analytics INTEGER NOT NULL DEFAULT 0,
    custom_branding INTEGER NOT NULL DEFAULT 0,
    priority_support INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE tenant_users (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    full_name TEXT NOT NULL,
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MANAGER', 'STAFF')),
    is_active INTEGER NOT NULL DEFAULT 1,
    last_login INTEGER,
    invite_token_hash TEXT,
    invite_expires INTEGER,
    password_reset_token_hash TEXT,
    password_reset_expires INTEGER,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX tenant_users_tenant ON tenant_users (tenant_id, role);

CREATE TABLE backoffice_users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    full_name TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    last_login INTEGER,
    password_reset_token_hash TEXT,
    password_reset_expires INTEGER,
    totp_secret TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX backoffice_users_is_active ON backoffice_users (is_active);

CREATE TABLE merchants (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    business_name TEXT NOT NULL,
    email TEXT NOT NULL,
    phone TEXT NOT NULL DEFAULT '',
    business_type TEXT NOT NULL DEFAULT 'restaurant'
        CHECK (business_type IN ('restaurant', 'retail', 'clinic', 'salon', 'service', 'other')),
    timezone TEXT NOT NULL DEFAULT 'UTC',
    country TEXT NOT NULL DEFAULT 'MY',
    is_active INTEGER NOT NULL DEFAULT 1,
    email_verified INTEGER NOT NULL DEFAULT 0,
    logo_url TEXT,
    brand_color TEXT,
    banner_image_url TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    UNIQUE (tenant_id, email)
);
CREATE INDEX merchants_tenant_active ON merchants (tenant_id, is_active);
CREATE INDEX merchants_business_name ON merchants (business_name);
CREATE INDEX merchants_business_type ON merchants (business_type);

CREATE TABLE merchant_addresses (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT NOT NULL UNIQUE REFERENCES merchants (id) ON DELETE CASCADE,
    street TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    postal_code TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL DEFAULT ''
);
CREATE INDEX merchant_addresses_tenant ON merchant_addresses (tenant_id);

CREATE TABLE business_hours (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    day_of_week INTEGER NOT NULL CHECK (day_of_week BETWEEN 0 AND 6),
    open_time TEXT NOT NULL DEFAULT '09:00',
    close_time TEXT NOT NULL DEFAULT '17:00',
    is_closed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (merchant_id, day_of_week)
);
CREATE INDEX business_hours_tenant ON business_hours (tenant_id);

CREATE TABLE merchant_settings (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT NOT NULL UNIQUE REFERENCES merchants (id) ON DELETE CASCADE,
    settings TEXT NOT NULL DEFAULT '{}',
    updated_at INTEGER NOT NULL
);
CREATE INDEX merchant_settings_tenant ON merchant_settings (tenant_id);

CREATE TABLE merchant_integrations (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT NOT NULL UNIQUE REFERENCES merchants (id) ON DELETE CASCADE,
    whatsapp_enabled INTEGER NOT NULL DEFAULT 0,
    whatsapp_phone_number_id TEXT,
    messenger_enabled INTEGER NOT NULL DEFAULT 0,
    messenger_page_id TEXT,
    email_enabled INTEGER NOT NULL DEFAULT 1,
    sms_enabled INTEGER NOT NULL DEFAULT 0,
    updated_at INTEGER NOT NULL
);
CREATE INDEX merchant_integrations_tenant ON merchant_integrations (tenant_id);

CREATE TABLE service_types (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    estimated_duration INTEGER NOT NULL DEFAULT 15,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX service_types_tenant ON service_types (tenant_id, merchant_id);

CREATE TABLE queues (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT NOT NULL REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT,
    is_active INTEGER NOT NULL DEFAULT 1,
    accepting_customers INTEGER NOT NULL DEFAULT 1,
    max_capacity INTEGER NOT NULL DEFAULT 50,
    average_service_time INTEGER NOT NULL DEFAULT 30,
    current_serving INTEGER NOT NULL DEFAULT 0,
    auto_notifications INTEGER NOT NULL DEFAULT 1,
    notification_interval INTEGER NOT NULL DEFAULT 5,
    allow_cancellation INTEGER NOT NULL DEFAULT 1,
    require_confirmation INTEGER NOT NULL DEFAULT 1,
    business_hours_start TEXT NOT NULL DEFAULT '09:00',
    business_hours_end TEXT NOT NULL DEFAULT '17:00',
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX queues_tenant ON queues (tenant_id);
CREATE INDEX queues_merchant ON queues (merchant_id);

CREATE TABLE queue_ticket_counters (
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (queue_id, day)
);
CREATE INDEX queue_ticket_counters_tenant ON queue_ticket_counters (tenant_id);

CREATE TABLE queue_entries (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL,
    customer_name TEXT NOT NULL,
    customer_phone TEXT NOT NULL,
    platform TEXT NOT NULL DEFAULT 'web' CHECK (platform IN ('web', 'whatsapp', 'messenger', 'api')),
    -- Line order among waiting entries (ascending, gaps allowed); the API answers the dense place.
    position INTEGER NOT NULL,
    estimated_wait_time INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL DEFAULT 'waiting'
        CHECK (status IN ('waiting', 'called', 'seated', 'completed', 'cancelled', 'no_show')),
    service_type_id TEXT REFERENCES service_types (id) ON DELETE SET NULL,
    party_size INTEGER NOT NULL DEFAULT 1 CHECK (party_size BETWEEN 1 AND 20),
    notes TEXT,
    special_requests TEXT,
    verification_code TEXT NOT NULL,
    session_id TEXT NOT NULL UNIQUE,
    ticket_day TEXT NOT NULL,
    ticket_seq INTEGER NOT NULL,
    ticket_number TEXT NOT NULL,
    idempotency_key TEXT,
    joined_at INTEGER NOT NULL,
    called_at INTEGER,
    served_at INTEGER,
    completed_at INTEGER,
    requeued_at INTEGER,
    last_notified INTEGER,
    notification_count INTEGER NOT NULL DEFAULT 0,
    sentiment_score REAL,
    webchat_session_id TEXT
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
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_entry_id TEXT NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    sender TEXT NOT NULL CHECK (sender IN ('CUSTOMER', 'STAFF', 'SYSTEM')),
    content TEXT NOT NULL,
    is_read INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX webchat_messages_tenant ON webchat_messages (tenant_id);
CREATE INDEX webchat_messages_entry ON webchat_messages (queue_entry_id, created_at);

CREATE TABLE notification_logs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_entry_id TEXT NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    channel TEXT NOT NULL CHECK (channel IN ('WEBCHAT', 'WHATSAPP', 'EMAIL', 'SMS', 'PUSH')),
    status TEXT NOT NULL CHECK (status IN ('SENT', 'DELIVERED', 'FAILED', 'BOUNCED')),
    message TEXT NOT NULL,
    error_message TEXT,
    sent_at INTEGER NOT NULL
);
CREATE INDEX notification_logs_tenant ON notification_logs (tenant_id);
CREATE INDEX notification_logs_entry ON notification_logs (queue_entry_id);

CREATE TABLE notification_templates (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    merchant_id TEXT REFERENCES merchants (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    channel TEXT NOT NULL DEFAULT 'WEBCHAT' CHECK (channel IN ('WEBCHAT', 'WHATSAPP', 'EMAIL', 'SMS', 'PUSH')),
    content TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX notification_templates_tenant ON notification_templates (tenant_id);

CREATE TABLE queue_analytics (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    date TEXT NOT NULL,
    total_customers INTEGER NOT NULL DEFAULT 0,
    average_wait_time REAL NOT NULL DEFAULT 0,
    peak_hour INTEGER,
    completion_rate REAL NOT NULL DEFAULT 0,
    no_show_rate REAL NOT NULL DEFAULT 0,
    UNIQUE (queue_id, date)
);
CREATE INDEX queue_analytics_tenant_date ON queue_analytics (tenant_id, date);

CREATE TABLE queue_analytics_events (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_id TEXT NOT NULL REFERENCES queues (id) ON DELETE CASCADE,
    queue_entry_id TEXT,
    event_type TEXT NOT NULL,
    data TEXT,
    timestamp INTEGER NOT NULL
);
CREATE INDEX queue_analytics_events_tenant_time ON queue_analytics_events (tenant_id, timestamp);
CREATE INDEX queue_analytics_events_queue_time ON queue_analytics_events (queue_id, timestamp);

CREATE TABLE audit_logs (
    id TEXT PRIMARY KEY,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE CASCADE,
    user_id TEXT,
    user_type TEXT NOT NULL CHECK (user_type IN ('SUPERADMIN', 'MERCHANT', 'CUSTOMER', 'SYSTEM')),
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    resource_id TEXT,
    details TEXT,
    ip_address TEXT,
    user_agent TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX audit_logs_tenant_created ON audit_logs (tenant_id, created_at);
CREATE INDEX audit_logs_user ON audit_logs (user_id);
CREATE INDEX audit_logs_created ON audit_logs (created_at);

CREATE TABLE backoffice_audit_logs (
    id TEXT PRIMARY KEY,
    backoffice_user_id TEXT REFERENCES backoffice_users (id) ON DELETE SET NULL,
    tenant_id TEXT REFERENCES tenants (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    resource TEXT NOT NULL,
    resource_id TEXT,
    details TEXT,
    ip_address TEXT,
    user_agent TEXT,
    created_at INTEGER NOT NULL
);
CREATE INDEX backoffice_audit_logs_created ON backoffice_audit_logs (created_at);
CREATE INDEX backoffice_audit_logs_tenant ON backoffice_audit_logs (tenant_id);

CREATE TABLE sessions (
    sid TEXT PRIMARY KEY,
    sess TEXT NOT NULL,
    user_id TEXT,
    expire INTEGER NOT NULL
);
CREATE INDEX sessions_expire ON sessions (expire);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE system_settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE push_subscriptions (
    id TEXT PRIMARY KEY,
    tenant_id TEXT NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    queue_entry_id TEXT NOT NULL REFERENCES queue_entries (id) ON DELETE CASCADE,
    endpoint TEXT NOT NULL,
    p256dh TEXT NOT NULL,
    auth TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX push_subscriptions_tenant ON push_subscriptions (tenant_id);
CREATE INDEX push_subscriptions_entry ON push_subscriptions (queue_entry_id);
