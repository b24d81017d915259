//! A merchant's business settings: profile, branding (logo, brand colour) and weekly opening
//! hours. Each change is one tenant transaction with its audit row.

use crate::journal::{self, Audit};
use crate::rows::{self, get, now};
use crate::{PgStore, db_err};
use qms_domain::TenantId;
use qms_store::{
    Actor, Branding, BusinessHours, Merchant, MerchantProfile, StoreError, StoreResult,
};
use sqlx::postgres::PgRow;
use uuid::Uuid;

fn hours_row(row: &PgRow) -> StoreResult<BusinessHours> {
    Ok(BusinessHours {
        day_of_week: get(row, "day_of_week")?,
        open_time: get(row, "open_time")?,
        close_time: get(row, "close_time")?,
        is_closed: get(row, "is_closed")?,
    })
}

async fn hours_in(
    conn: &mut sqlx::PgConnection,
    tenant: TenantId,
    merchant_id: Uuid,
) -> StoreResult<Vec<BusinessHours>> {
    let rows = sqlx::query(
        "SELECT * FROM business_hours WHERE tenant_id = $1 AND merchant_id = $2
         ORDER BY day_of_week",
    )
    .bind(tenant.0)
    .bind(merchant_id)
    .fetch_all(conn)
    .await
    .map_err(db_err)?;
    rows.iter().map(hours_row).collect()
}

impl PgStore {
    pub(crate) async fn do_update_merchant_profile(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        p: MerchantProfile,
        actor: &Actor,
    ) -> StoreResult<Merchant> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "UPDATE merchants SET business_name = $3, email = $4, phone = $5, business_type = $6,
                 timezone = $7, country = $8, updated_at = $9
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(merchant_id)
        .bind(&p.business_name)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.business_type)
        .bind(&p.timezone)
        .bind(&p.country)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let merchant = rows::merchant(&row)?;
        let audit = Audit {
            action: "merchant.update",
            resource: "merchant",
            resource_id: Some(merchant_id.to_string()),
            details: Some(serde_json::json!({
                "businessName": p.business_name, "businessType": p.business_type,
                "timezone": p.timezone, "country": p.country,
            })),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(merchant)
    }

    pub(crate) async fn do_update_merchant_branding(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        b: Branding,
        actor: &Actor,
    ) -> StoreResult<Merchant> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        let row = sqlx::query(
            "UPDATE merchants SET logo_url = $3, brand_color = $4, updated_at = $5
             WHERE tenant_id = $1 AND id = $2 RETURNING *",
        )
        .bind(tenant.0)
        .bind(merchant_id)
        .bind(&b.logo_url)
        .bind(&b.brand_color)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(db_err)?
        .ok_or(StoreError::NotFound)?;
        let merchant = rows::merchant(&row)?;
        let audit = Audit {
            action: "merchant.branding",
            resource: "merchant",
            resource_id: Some(merchant_id.to_string()),
            details: Some(serde_json::json!({"logoUrl": b.logo_url, "brandColor": b.brand_color})),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(merchant)
    }

    pub(crate) async fn do_business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
    ) -> StoreResult<Vec<BusinessHours>> {
        let mut tx = self.tenant_tx(tenant).await?;
        let hours = hours_in(&mut tx, tenant, merchant_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(hours)
    }

    pub(crate) async fn do_set_business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        hours: &[BusinessHours],
        actor: &Actor,
    ) -> StoreResult<Vec<BusinessHours>> {
        let now = now();
        let mut tx = self.tenant_tx(tenant).await?;
        crate::queues::lock_merchant(&mut tx, tenant, merchant_id).await?;
        for h in hours {
            sqlx::query(
                "INSERT INTO business_hours (id, tenant_id, merchant_id, day_of_week, open_time,
                     close_time, is_closed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (merchant_id, day_of_week) DO UPDATE SET open_time = excluded.open_time,
                     close_time = excluded.close_time, is_closed = excluded.is_closed",
            )
            .bind(Uuid::now_v7())
            .bind(tenant.0)
            .bind(merchant_id)
            .bind(h.day_of_week)
            .bind(&h.open_time)
            .bind(&h.close_time)
            .bind(h.is_closed)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        }
        let audit = Audit {
            action: "merchant.hours",
            resource: "merchant",
            resource_id: Some(merchant_id.to_string()),
            details: Some(serde_json::json!({ "hours": hours })),
        };
        journal::audit(&mut tx, tenant, actor, audit, now).await?;
        let stored = hours_in(&mut tx, tenant, merchant_id).await?;
        tx.commit().await.map_err(db_err)?;
        Ok(stored)
    }
}
