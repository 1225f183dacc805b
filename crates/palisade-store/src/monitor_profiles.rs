//! What the activity monitor's detectors learned per person, kept between
//! runs as JSON the monitor reads back; bounded by the number of people.

use crate::store::with_pool;
use crate::{Store, StoreError};

impl Store {
    /// Every stored profile: `(person, JSON)`.
    pub async fn monitor_profiles(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows: Vec<(String, String)> = with_pool!(self, pool => {
            sqlx::query_as("SELECT person, profile FROM monitor_profiles ORDER BY person")
                .fetch_all(pool).await
        })
        .map_err(StoreError::db("reading monitor profiles"))?;
        Ok(rows)
    }

    /// Replaces the profiles of the people in `profiles` (others are kept),
    /// in one transaction.
    pub async fn monitor_save_profiles(
        &self,
        profiles: &[(String, String)],
        now_us: i64,
    ) -> Result<(), StoreError> {
        for (person, profile) in profiles {
            crate::ledger::conn::check_text(person, "profile person")?;
            crate::ledger::conn::check_text(profile, "profile")?;
        }
        with_pool!(self, pool => {
            async {
                let mut tx = pool.begin().await?;
                for (person, profile) in profiles {
                    sqlx::query(
                        "INSERT INTO monitor_profiles (person, profile, updated_us) VALUES ($1, $2, $3) \
                         ON CONFLICT (person) DO UPDATE SET profile = excluded.profile, \
                         updated_us = excluded.updated_us",
                    )
                    .bind(person).bind(profile).bind(now_us)
                    .execute(&mut *tx).await?;
                }
                tx.commit().await
            }.await
        })
        .map_err(StoreError::db("saving monitor profiles"))?;
        Ok(())
    }
}
