//! Search on SQLite: FTS5 entries are numbered in time order (`search_index`), so the
//! matches are read from the newest a page at a time, and a search stops at a full page.

use super::Sqlite;
use crate::server::{
    domain::search::{Hit, Terms, CATCH_UP, PAGE, SCAN},
    Result,
};

impl Sqlite {
    /// The newest `limit` messages matching `terms` that `user_id` may read.
    pub async fn search(&self, terms: &Terms, user_id: &str, limit: u32) -> Result<Vec<Hit>> {
        // What was stored before the search is found by it (unless the indexer is far
        // behind: then the search does not wait for all of it).
        let began = std::time::Instant::now();
        self.index.catch_up_for_search(CATCH_UP).await;
        let indexed = began.elapsed();
        let mut matching = std::time::Duration::ZERO;
        // Entries are in time order: the matches are read from the newest, a page at a
        // time, and those the searcher may read are kept until the page of hits is full,
        // or `SCAN` matches were read.
        let query = terms.fts5();
        let mut hits = Vec::new();
        let mut before = i64::MAX;
        let mut scanned = 0;
        while scanned < SCAN && hits.len() < limit as usize {
            let asked = std::time::Instant::now();
            let entries: Vec<(i64,)> = sqlx::query_as(
                "SELECT rowid FROM message_search WHERE message_search MATCH ?1 AND rowid < ?2
                 ORDER BY rowid DESC LIMIT ?3",
            )
            .bind(&query)
            .bind(before)
            .bind(PAGE)
            .fetch_all(&self.read)
            .await?;
            matching += asked.elapsed();
            let Some(&(last,)) = entries.last() else {
                break;
            };
            before = last;
            scanned += entries.len() as i64;
            let ids = serde_json::to_string(&entries.iter().map(|e| e.0).collect::<Vec<_>>())
                .expect("numbers");
            let page: Vec<Hit> = sqlx::query_as(
                "SELECT r.name AS room, m.seq, m.author_name AS author, m.text, m.ts
                 FROM json_each(?1) e
                 JOIN search_rows p ON p.rowid = e.value
                 JOIN messages m ON m.room_id = p.room_id AND m.seq = p.seq
                 JOIN rooms r ON r.id = m.room_id
                 WHERE NOT m.deleted
                   AND NOT EXISTS (SELECT 1 FROM bans b WHERE b.room_id = r.id AND b.user_id = ?2)
                   AND (NOT r.private OR EXISTS (
                        SELECT 1 FROM read_markers k WHERE k.room_id = r.id AND k.user_id = ?2))
                 ORDER BY e.value DESC LIMIT ?3",
            )
            .bind(ids)
            .bind(user_id)
            .bind(i64::from(limit) - hits.len() as i64)
            .fetch_all(&self.read)
            .await?;
            hits.extend(page);
            if (entries.len() as i64) < PAGE {
                break;
            }
        }
        // Where a search's time goes (never what it asked).
        tracing::debug!(
            ms = began.elapsed().as_secs_f64() * 1e3,
            index_ms = indexed.as_secs_f64() * 1e3,
            match_ms = matching.as_secs_f64() * 1e3,
            scanned,
            hits = hits.len(),
            "search"
        );
        Ok(hits)
    }
}
