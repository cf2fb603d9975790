//! Whose turn it is to write. SQLite lets one connection write at a time, and one that
//! finds the lock taken sleeps and looks again (1, 2, 5, 10 … 100 ms apart). The writer and
//! the search indexer are both in this process: they take this turn before SQLite's lock,
//! so a pass that waits is woken the moment an index batch ends, instead of sleeping past
//! it. Before, the writer slept through whole runs of the indexer's batches (each one
//! begun again at once, while the writer slept): durable sends (bench (e)) stalled for up
//! to two seconds in one run out of two or three (p99 850-1,625 ms); with the turn, none
//! in the runs since (p99 119-131 ms).
//!
//! The writer goes first: an index batch begins only when no pass is waiting, so a pass
//! waits for one batch at most.

use std::sync::{Condvar, Mutex};

#[derive(Default)]
pub struct WriteTurn {
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    held: bool,
    /// Passes waiting for the turn (0 or 1: there is one writer).
    writer_waiting: usize,
}

/// The turn, given back when dropped.
pub struct Turn<'a>(&'a WriteTurn);

impl Drop for Turn<'_> {
    fn drop(&mut self) {
        self.0.state().held = false;
        self.0.changed.notify_all();
    }
}

impl WriteTurn {
    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wait<'a>(
        &self,
        state: std::sync::MutexGuard<'a, State>,
    ) -> std::sync::MutexGuard<'a, State> {
        self.changed.wait(state).unwrap_or_else(|e| e.into_inner())
    }

    /// The writer's turn: as soon as the batch in progress (if any) is done.
    pub fn writer(&self) -> Turn<'_> {
        let mut state = self.state();
        state.writer_waiting += 1;
        while state.held {
            state = self.wait(state);
        }
        state.writer_waiting -= 1;
        state.held = true;
        Turn(self)
    }

    /// Whether a pass waits for the turn: the indexer, holding it, ends its batch.
    pub fn wanted(&self) -> bool {
        self.state().writer_waiting > 0
    }

    /// The indexer's turn: once no pass holds it or waits for it.
    pub fn indexer(&self) -> Turn<'_> {
        let mut state = self.state();
        while state.held || state.writer_waiting > 0 {
            state = self.wait(state);
        }
        state.held = true;
        Turn(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{
        sync::{
            atomic::{AtomicBool, AtomicU64, Ordering},
            Arc,
        },
        time::Duration,
    };

    /// An indexer that takes the turn again and again, at once, 1 ms at a time: a writer
    /// asking meanwhile waits for the batch in progress at most, never for a run of them.
    #[test]
    fn a_waiting_writer_goes_before_the_next_index_batch() {
        let turn = Arc::new(WriteTurn::default());
        let stop = Arc::new(AtomicBool::new(false));
        let batches = Arc::new(AtomicU64::new(0));
        let indexer = {
            let (turn, stop, batches) = (turn.clone(), stop.clone(), batches.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    let _held = turn.indexer();
                    std::thread::sleep(Duration::from_millis(1));
                    batches.fetch_add(1, Ordering::AcqRel);
                }
            })
        };
        let mut most = 0;
        for _ in 0..50 {
            let before = batches.load(Ordering::Acquire);
            let held = turn.writer();
            most = most.max(batches.load(Ordering::Acquire) - before);
            drop(held);
            std::thread::sleep(Duration::from_millis(2));
        }
        stop.store(true, Ordering::Relaxed);
        indexer.join().unwrap();
        assert!(
            batches.load(Ordering::Acquire) > 0,
            "the indexer had turns too"
        );
        assert!(most <= 1, "the writer waited for {most} index batches");
    }
}
