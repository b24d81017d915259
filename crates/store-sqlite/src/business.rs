//! A merchant's business settings: profile, branding (logo, brand colour) and weekly opening
//! hours. Each change is one write transaction with its audit row.

use crate::journal::{self, Audit};
use crate::rows::{self, id, ms, tid};
use crate::{SqliteStore, db_err};
use qms_domain::TenantId;
use qms_store::{
    Actor, Branding, BusinessHours, Merchant, MerchantProfile, StoreError, StoreResult,
};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::OffsetDateTime;
use uuid::Uuid;

fn hours_row(row: &SqliteRow) -> StoreResult<BusinessHours> {
    let get = |c: &str| -> StoreResult<String> { row.try_get(c).map_err(StoreError::backend) };
    Ok(BusinessHours {
        day_of_week: row.try_get("day_of_week").map_err(StoreError::backend)?,
        open_time: get("open_time")?,
        close_time: get("close_time")?,
        is_closed: row.try_get("is_closed").map_err(StoreError::backend)?,
    })
}

impl SqliteStore {
    async fn merchant_in(
        conn: &mut sqlx::SqliteConnection,
        tenant: TenantId,
        merchant_id: Uuid,
    ) -> StoreResult<Merchant> {
        let row = sqlx::query("SELECT * FROM merchants WHERE tenant_id = $1 AND id = $2")
            .bind(tid(tenant))
            .bind(id(merchant_id))
            .fetch_optional(conn)
            .await
            .map_err(db_err)?
            .ok_or(StoreError::NotFound)?;
        rows::merchant(&row)
    }

    pub(crate) async fn do_update_merchant_profile(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        p: MerchantProfile,
        actor: &Actor,
    ) -> StoreResult<Merchant> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE merchants SET business_name = $3, email = $4, phone = $5, business_type = $6,
                 timezone = $7, country = $8, updated_at = $9
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(merchant_id))
        .bind(&p.business_name)
        .bind(&p.email)
        .bind(&p.phone)
        .bind(&p.business_type)
        .bind(&p.timezone)
        .bind(&p.country)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let merchant = Self::merchant_in(&mut tx, tenant, merchant_id).await?;
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
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE merchants SET logo_url = $3, brand_color = $4, updated_at = $5
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tid(tenant))
        .bind(id(merchant_id))
        .bind(&b.logo_url)
        .bind(&b.brand_color)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let merchant = Self::merchant_in(&mut tx, tenant, merchant_id).await?;
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
        let rows = sqlx::query(
            "SELECT * FROM business_hours WHERE tenant_id = $1 AND merchant_id = $2
             ORDER BY day_of_week",
        )
        .bind(tid(tenant))
        .bind(id(merchant_id))
        .fetch_all(&self.reader)
        .await
        .map_err(db_err)?;
        rows.iter().map(hours_row).collect()
    }

    pub(crate) async fn do_set_business_hours(
        &self,
        tenant: TenantId,
        merchant_id: Uuid,
        hours: &[BusinessHours],
        actor: &Actor,
    ) -> StoreResult<Vec<BusinessHours>> {
        let now = OffsetDateTime::now_utc();
        let mut tx = self.write().await?;
        Self::merchant_in(&mut tx, tenant, merchant_id).await?;
        for h in hours {
            sqlx::query(
                "INSERT INTO business_hours (id, tenant_id, merchant_id, day_of_week, open_time,
                     close_time, is_closed)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (merchant_id, day_of_week) DO UPDATE SET open_time = excluded.open_time,
                     close_time = excluded.close_time, is_closed = excluded.is_closed",
            )
            .bind(id(Uuid::now_v7()))
            .bind(tid(tenant))
            .bind(id(merchant_id))
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
        tx.commit().await.map_err(db_err)?;
        self.do_business_hours(tenant, merchant_id).await
    }
}
