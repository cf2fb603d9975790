//! Names are owned under a key ([`DisplayName::key`]). When the rule for keys changes (it
//! did when look-alikes such as `b0b` and `bob` were made one name), the keys already
//! stored follow it at the next start, so every account is still found by its name.
//!
//! Two accounts whose names the new rule makes one keep their old keys, and the log says
//! so (the admin renames one); everything else is updated.

use crate::{server::Result, validation::DisplayName};

/// The stored keys that differ from their name's key now: (old key, new key).
fn changes(rows: Vec<(String, String)>) -> Vec<(String, String)> {
    rows.into_iter()
        .filter_map(|(name, old)| {
            let new = DisplayName::parse(&name).ok()?.key();
            (new != old).then_some((old, new))
        })
        .collect()
}

/// Puts each changed key in place with `update(old, new)` (false: another account holds
/// the new key, so this one keeps its old one), and says what happened.
async fn apply<F, Fut>(rows: Vec<(String, String)>, mut update: F)
where
    F: FnMut(String, String) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let (mut changed, mut kept) = (0, 0);
    for (old, new) in changes(rows) {
        if update(old, new).await {
            changed += 1;
        } else {
            kept += 1;
        }
    }
    if changed > 0 || kept > 0 {
        tracing::info!(changed, "account name keys brought up to date");
    }
    if kept > 0 {
        tracing::warn!(
            kept,
            "accounts whose names now look alike kept their old keys: rename one of each pair"
        );
    }
}

const KEYS: &str = "SELECT name, name_key FROM users WHERE name_key IS NOT NULL";

pub async fn refresh_sqlite(pool: &sqlx::SqlitePool) -> Result<()> {
    let rows = sqlx::query_as(KEYS).fetch_all(pool).await?;
    apply(rows, |old, new| async move {
        sqlx::query("UPDATE users SET name_key = ? WHERE name_key = ?")
            .bind(new)
            .bind(old)
            .execute(pool)
            .await
            .is_ok()
    })
    .await;
    Ok(())
}

pub async fn refresh_postgres(pool: &sqlx::PgPool) -> Result<()> {
    let rows = sqlx::query_as(KEYS).fetch_all(pool).await?;
    apply(rows, |old, new| async move {
        sqlx::query("UPDATE users SET name_key = $1 WHERE name_key = $2")
            .bind(new)
            .bind(old)
            .execute(pool)
            .await
            .is_ok()
    })
    .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_the_rule_now_computes_differently_change() {
        let rows = vec![
            ("bob".to_owned(), "bob".to_owned()),
            ("b0b".to_owned(), "bOb".to_owned()),
        ];
        assert_eq!(changes(rows), [("bOb".to_owned(), "bob".to_owned())]);
    }
}
