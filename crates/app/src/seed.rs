//! The demo tenant and first BackOffice user, created on the first start of an empty
//! development database (and by `qms seed-demo`). Production databases are never seeded.

use crate::config::Config;
use anyhow::{Result, anyhow};
use qms_domain::queue::QueueSettings;
use qms_domain::{Plan, Role, TenantId};
use qms_store::{
    Actor, NewBackOfficeUser, NewEntry, NewTenant, NewUser, Store, StoreError, TokenKind,
};
use qms_web::Environment;
use time::OffsetDateTime;

pub const DEMO_OWNER_EMAIL: &str = "owner@demo.localhost";
pub const DEMO_OWNER_PASSWORD: &str = "demo-owner-2026";
/// Demo staff accounts besides the owner: (e-mail, name, role, password).
pub const DEMO_STAFF: [(&str, &str, Role, &str); 2] = [
    (
        "manager@demo.localhost",
        "Demo Manager",
        Role::Manager,
        "demo-manager-2026",
    ),
    (
        "staff@demo.localhost",
        "Demo Host",
        Role::Staff,
        "demo-staff-2026",
    ),
];
/// Quick messages of the demo's chat: (name, content with placeholders).
pub const DEMO_TEMPLATES: [(&str, &str); 3] = [
    (
        "Table ready",
        "Hi {name}, your table is ready! Please come to the front desk with ticket {ticket}.",
    ),
    (
        "Almost there",
        "Hi {name}, you are number {position} in line; about {wait} minutes to go.",
    ),
    (
        "Running late?",
        "Hi {name}, we called ticket {ticket}. Are you still coming? Reply here.",
    ),
];
pub const DEMO_ADMIN_EMAIL: &str = "admin@qms.localhost";
pub const DEMO_ADMIN_PASSWORD: &str = "demo-admin-2026";

/// What seeding made, to print.
pub struct SeedReport {
    tenant_created: bool,
    admin_created: bool,
    production: bool,
}

impl SeedReport {
    pub fn print(&self, config: &Config) {
        if self.production {
            println!("Empty production database: nothing seeded. Create a tenant with");
            println!(
                "  qms tenant create --slug SLUG --name NAME --owner-email E --owner-password P"
            );
            println!("and a BackOffice user with");
            println!("  qms backoffice create-user --email E --password P --name N");
            return;
        }
        if self.tenant_created {
            println!("Seeded the demo tenant: {}", config.web.tenant_url("demo"));
            println!("  owner login: {DEMO_OWNER_EMAIL} / {DEMO_OWNER_PASSWORD}");
            for (email, _, role, password) in DEMO_STAFF {
                println!(
                    "  {} login: {email} / {password}",
                    role.as_str().to_lowercase()
                );
            }
        } else {
            println!(
                "The demo tenant already exists: {}",
                config.web.tenant_url("demo")
            );
        }
        if self.admin_created {
            println!("Seeded a BackOffice user: {DEMO_ADMIN_EMAIL} / {DEMO_ADMIN_PASSWORD}");
        }
        if self.tenant_created || self.admin_created {
            println!("  (demo passwords: change them before exposing this server)");
        }
    }
}

/// First start: seeds the demo in development, nothing in production.
pub async fn first_run(store: &dyn Store, config: &Config) -> Result<SeedReport> {
    if config.web.environment == Environment::Production {
        return Ok(SeedReport {
            tenant_created: false,
            admin_created: false,
            production: true,
        });
    }
    demo(store, config).await
}

/// Creates the demo tenant (two queues, a few waiting customers) and a BackOffice user,
/// skipping whatever already exists.
pub async fn demo(store: &dyn Store, _config: &Config) -> Result<SeedReport> {
    let tenant_created = if store.tenant_by_slug("demo").await?.is_some() {
        false
    } else {
        let hash = hash(DEMO_OWNER_PASSWORD).await?;
        let created = store
            .create_tenant(NewTenant {
                slug: "demo".into(),
                name: "Demo Bistro".into(),
                plan: Plan::Premium,
                timezone: "Asia/Kuala_Lumpur".into(),
                country: "MY".into(),
                owner_email: DEMO_OWNER_EMAIL.into(),
                owner_name: "Demo Owner".into(),
                owner_password_hash: Some(hash),
            })
            .await?;
        let tenant = created.tenant.id;
        let actor = Actor::system();
        let queues = [
            (
                "Dine-in",
                "Tables for walk-in guests",
                5,
                &["Aisyah", "Wei Ming", "Priya", "John"][..],
            ),
            ("Takeaway", "Order pick-up", 3, &["Farid", "Mei Ling"][..]),
        ];
        for (i, (name, description, minutes, customers)) in queues.into_iter().enumerate() {
            let mut settings = QueueSettings::with_name(name);
            settings.description = Some(description.into());
            settings.average_service_time = minutes;
            settings.max_capacity = 100;
            settings.business_hours_start = "00:00".into();
            settings.business_hours_end = "00:00".into();
            let queue = store
                .create_queue(tenant, created.merchant.id, settings, &actor)
                .await?;
            for (j, customer) in customers.iter().enumerate() {
                let entry = NewEntry {
                    customer_name: (*customer).into(),
                    customer_phone: format!("+6012345{:02}{:02}", i + 1, j + 1),
                    party_size: (j as i32 % 4) + 1,
                    notes: None,
                    special_requests: None,
                    service_type_id: None,
                    platform: qms_domain::Platform::Web,
                    idempotency_key: None,
                    session_id: hex::encode(rand::random::<[u8; 16]>()),
                    verification_code: format!("{:06}", rand::random::<u32>() % 1_000_000),
                };
                store
                    .join_queue(tenant, queue.id, entry, &actor, OffsetDateTime::now_utc())
                    .await?;
            }
        }
        for (email, name, role, password) in DEMO_STAFF {
            add_staff(store, tenant, email, name, role, password).await?;
        }
        for (name, content) in DEMO_TEMPLATES {
            let template = qms_store::NewTemplate {
                name: name.into(),
                channel: "WEBCHAT".into(),
                content: content.into(),
                is_active: true,
            };
            store
                .create_notification_template(tenant, created.merchant.id, template, &actor)
                .await?;
        }
        true
    };
    let admin_created = if store
        .backoffice_user_by_email(DEMO_ADMIN_EMAIL)
        .await?
        .is_some()
    {
        false
    } else {
        let password_hash = hash(DEMO_ADMIN_PASSWORD).await?;
        match store
            .create_backoffice_user(NewBackOfficeUser {
                email: DEMO_ADMIN_EMAIL.into(),
                full_name: "Demo Operator".into(),
                password_hash,
            })
            .await
        {
            Ok(_) => true,
            Err(StoreError::Taken(_)) => false,
            Err(e) => return Err(e.into()),
        }
    };
    Ok(SeedReport {
        tenant_created,
        admin_created,
        production: false,
    })
}

async fn hash(password: &str) -> Result<String> {
    qms_web::auth::hash_password(password.to_string())
        .await
        .map_err(|_| anyhow!("cannot hash the demo password"))
}

/// Adds a staff account with a known password: invited, then the invitation redeemed.
async fn add_staff(
    store: &dyn Store,
    tenant: TenantId,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> Result<()> {
    let token_hash = qms_web::session::hash_secret(&qms_web::session::random_secret());
    let new = NewUser {
        email: email.into(),
        full_name: name.into(),
        role,
        invite_token_hash: token_hash.clone(),
        invite_expires: OffsetDateTime::now_utc() + time::Duration::hours(1),
    };
    store.invite_user(tenant, new, &Actor::system()).await?;
    let hash = hash(password).await?;
    store
        .redeem_token(
            tenant,
            TokenKind::Invite,
            &token_hash,
            &hash,
            &Actor::system(),
            OffsetDateTime::now_utc(),
        )
        .await?;
    Ok(())
}
