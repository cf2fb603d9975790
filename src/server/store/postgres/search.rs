//! Search on Postgres: the newest entries in time order first (a common word's page is
//! there), then the words' index a few slices of time at a time, newest first
//! (`search_index`), so that a search's cost does not grow with the history.

use super::{search_index, Postgres};
use crate::server::{
    domain::search::{Hit, Terms, CATCH_UP, PAGE, SCAN},
    Result,
};

/// The newest entries a search reads in time order at a time, checking their words.
const WINDOW: i64 = 1_000;
/// Past the first window, a search whose matches are rarer than one entry in this many
/// asks the words' index, by slices, instead.
const DENSE: i64 = 16;

impl Postgres {
    /// The newest `limit` messages matching `terms` that `user_id` may read.
    pub async fn search(&self, terms: &Terms, user_id: &str, limit: u32) -> Result<Vec<Hit>> {
        // What was stored before the search is found by it (unless the indexer is far
        // behind: then the search does not wait for all of it).
        search_index::run(&self.read, CATCH_UP as u64).await;
        // The query's words as the index has them.
        let words: Vec<String> =
            sqlx::query_scalar("SELECT unnest(tsvector_to_array(to_tsvector('simple', $1)))")
                .bind(terms.shown())
                .fetch_all(&self.read)
                .await?;
        if words.is_empty() {
            return Ok(Vec::new());
        }
        let limit = limit as usize;
        let mut hits = Vec::new();
        let mut before = (i64::MAX, i64::MAX, i64::MAX);
        let mut scanned = 0;
        // First the newest entries in time order, their words checked: a common word's
        // page is there. Once matches are rarer than one in `DENSE`, the rest
        // goes by slices.
        let plain = search_index::query(&words, None);
        loop {
            let window: Vec<(i64, i64, i64, bool)> = sqlx::query_as(
                "SELECT ts, room_id, seq, words @@ $1::tsquery FROM message_search
                 WHERE (ts, room_id, seq) < ($2, $3, $4)
                 ORDER BY ts DESC, room_id DESC, seq DESC LIMIT $5",
            )
            .bind(&plain)
            .bind(before.0)
            .bind(before.1)
            .bind(before.2)
            .bind(WINDOW)
            .fetch_all(&self.read)
            .await?;
            let Some(last) = window.last() else {
                return Ok(hits);
            };
            before = (last.0, last.1, last.2);
            let matches: Vec<(i64, i64)> =
                window.iter().filter(|e| e.3).map(|e| (e.1, e.2)).collect();
            scanned += matches.len() as i64;
            self.keep_visible(&matches, user_id, limit, &mut hits)
                .await?;
            if hits.len() >= limit || scanned >= SCAN || (window.len() as i64) < WINDOW {
                return Ok(hits);
            }
            if (matches.len() as i64) * DENSE < window.len() as i64 {
                break;
            }
        }
        // Then the slices of time older than that, newest first, a few more at a time:
        // each query gathers the matches of its slices only.
        let slices: Vec<i64> = sqlx::query_scalar(
            "SELECT slice FROM search_slices WHERE from_ts <= $1 ORDER BY slice DESC",
        )
        .bind(before.0)
        .fetch_all(&self.read)
        .await?;
        let mut at = 0;
        let mut take = 1;
        while at < slices.len() && hits.len() < limit && scanned < SCAN {
            let group = &slices[at..(at + take).min(slices.len())];
            at += group.len();
            let query = group
                .iter()
                .map(|&slice| format!("({})", search_index::query(&words, Some(slice))))
                .collect::<Vec<_>>()
                .join(" | ");
            // The words' index, never the time-ordered one (whose newest entries are not
            // in these slices): the matches are gathered first, then ordered.
            let found: Vec<(i64, i64)> = sqlx::query_as(
                "WITH m AS MATERIALIZED (
                     SELECT ts, room_id, seq FROM message_search WHERE keys @@ $1::tsquery
                 )
                 SELECT room_id, seq FROM m WHERE (ts, room_id, seq) < ($2, $3, $4)
                 ORDER BY ts DESC, room_id DESC, seq DESC LIMIT $5",
            )
            .bind(&query)
            .bind(before.0)
            .bind(before.1)
            .bind(before.2)
            .bind(SCAN - scanned)
            .fetch_all(&self.read)
            .await?;
            scanned += found.len() as i64;
            for page in found.chunks(PAGE as usize) {
                self.keep_visible(page, user_id, limit, &mut hits).await?;
                if hits.len() >= limit {
                    break;
                }
            }
            if (found.len() as i64) < PAGE {
                take = (take * 2).min(search_index::SLICES_AT_ONCE);
            }
        }
        Ok(hits)
    }

    /// Adds to `hits`, in order, the messages of `entries` (room ids and seqs) that the
    /// person `user_id` may read, until there are `limit`.
    async fn keep_visible(
        &self,
        entries: &[(i64, i64)],
        user_id: &str,
        limit: usize,
        hits: &mut Vec<Hit>,
    ) -> Result<()> {
        if entries.is_empty() || hits.len() >= limit {
            return Ok(());
        }
        let rooms: Vec<i64> = entries.iter().map(|e| e.0).collect();
        let seqs: Vec<i64> = entries.iter().map(|e| e.1).collect();
        let page: Vec<Hit> = sqlx::query_as(
            "SELECT r.name AS room, m.seq, m.author_name AS author, m.text, m.ts
             FROM UNNEST($1::bigint[], $2::bigint[]) WITH ORDINALITY AS e(room_id, seq, n)
             JOIN messages m ON m.room_id = e.room_id AND m.seq = e.seq
             JOIN rooms r ON r.id = m.room_id
             WHERE NOT m.deleted
               AND NOT EXISTS (SELECT 1 FROM bans b WHERE b.room_id = r.id AND b.user_id = $3)
               AND (NOT r.private OR EXISTS (
                    SELECT 1 FROM read_markers k WHERE k.room_id = r.id AND k.user_id = $3))
             ORDER BY e.n LIMIT $4",
        )
        .bind(&rooms)
        .bind(&seqs)
        .bind(user_id)
        .bind((limit - hits.len()) as i64)
        .fetch_all(&self.read)
        .await?;
        hits.extend(page);
        Ok(())
    }
}
