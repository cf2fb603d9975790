//! Which TCP connections the accept loop takes on: at most `connections_total` open at once
//! (never more than the process's file descriptors allow, less a reserve) and
//! `connections_per_ip` from one address. A connection over a cap is not simply dropped:
//! it goes to a small overflow lane (at most [`OVERFLOW_LANE`] at once, one request each)
//! where `/healthz` is answered as usual and everything else gets **503** with
//! `Retry-After`, so a monitor still sees the server while a flood holds every place.
//! Past the lane, the connection is closed at once. Refusals are counted and logged at
//! most every [`LOG_EVERY`], with the count.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        atomic::{AtomicU64, AtomicUsize, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

/// Connections over a cap served at once, one request each.
pub const OVERFLOW_LANE: usize = 64;
/// File descriptors kept back from the total cap (the database, logs, the overflow lane).
const FD_RESERVE: usize = 256;
/// How often the count of refused connections is logged, at most.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Why a connection is over a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Over {
    Total,
    Address,
}

/// A connection's place, given back when it is dropped.
pub struct Place {
    admission: Arc<Admission>,
    ip: IpAddr,
    lane: bool,
}

impl Drop for Place {
    fn drop(&mut self) {
        if self.lane {
            self.admission.lane.fetch_sub(1, Ordering::Relaxed);
            return;
        }
        self.admission.open.fetch_sub(1, Ordering::Relaxed);
        if self.admission.per_ip_cap.is_some() {
            let mut by_ip = self.admission.by_ip.lock().expect("admission lock");
            if let Some(n) = by_ip.get_mut(&self.ip) {
                *n -= 1;
                if *n == 0 {
                    by_ip.remove(&self.ip);
                }
            }
        }
    }
}

pub struct Admission {
    total_cap: usize,
    per_ip_cap: Option<usize>,
    open: AtomicUsize,
    lane: AtomicUsize,
    by_ip: Mutex<HashMap<IpAddr, usize>>,
    refused: AtomicU64,
    last_log: Mutex<Instant>,
}

/// What the accept loop does with a new connection.
pub enum Verdict {
    /// Serve it.
    Take(Place),
    /// Over a cap: answer one request in the overflow lane.
    Overflow(Place, Over),
    /// Over a cap and the lane is full: close it.
    Close,
}

impl Admission {
    /// `total` is lowered to what the file-descriptor limit allows; `per_ip` is `None`
    /// when the limits are off.
    pub fn new(total: usize, per_ip: Option<usize>) -> Arc<Self> {
        let fds = raise_fd_limit();
        let total_cap = total.min(fds.saturating_sub(FD_RESERVE + OVERFLOW_LANE).max(16));
        if total_cap < total {
            tracing::info!(
                total_cap,
                fds,
                "connections capped by the file-descriptor limit (raise `ulimit -n` for more)"
            );
        }
        Arc::new(Self {
            total_cap,
            per_ip_cap: per_ip,
            open: AtomicUsize::new(0),
            lane: AtomicUsize::new(0),
            by_ip: Mutex::new(HashMap::new()),
            refused: AtomicU64::new(0),
            last_log: Mutex::new(Instant::now() - LOG_EVERY),
        })
    }

    pub fn total_cap(&self) -> usize {
        self.total_cap
    }

    /// Takes a place for a connection from `ip`, or says where it goes instead.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Verdict {
        let over = if self.open.fetch_add(1, Ordering::Relaxed) >= self.total_cap {
            self.open.fetch_sub(1, Ordering::Relaxed);
            Some(Over::Total)
        } else if let Some(cap) = self.per_ip_cap {
            let mut by_ip = self.by_ip.lock().expect("admission lock");
            let n = by_ip.entry(ip).or_insert(0);
            if *n >= cap {
                drop(by_ip);
                self.open.fetch_sub(1, Ordering::Relaxed);
                Some(Over::Address)
            } else {
                *n += 1;
                None
            }
        } else {
            None
        };
        let Some(over) = over else {
            return Verdict::Take(Place {
                admission: self.clone(),
                ip,
                lane: false,
            });
        };
        self.count_refusal(over);
        if self.lane.fetch_add(1, Ordering::Relaxed) >= OVERFLOW_LANE {
            self.lane.fetch_sub(1, Ordering::Relaxed);
            return Verdict::Close;
        }
        Verdict::Overflow(
            Place {
                admission: self.clone(),
                ip,
                lane: true,
            },
            over,
        )
    }

    fn count_refusal(&self, over: Over) {
        let refused = self.refused.fetch_add(1, Ordering::Relaxed) + 1;
        let Ok(mut last) = self.last_log.try_lock() else {
            return;
        };
        if last.elapsed() >= LOG_EVERY {
            *last = Instant::now();
            tracing::warn!(
                refused_so_far = refused,
                last = ?over,
                open = self.open.load(Ordering::Relaxed),
                total_cap = self.total_cap,
                per_address_cap = self.per_ip_cap,
                "connections refused over a cap"
            );
        }
    }

    /// Connections refused since the start.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Raises the soft file-descriptor limit to the hard one; answers the soft limit now.
fn raise_fd_limit() -> usize {
    // SAFETY: getrlimit and setrlimit only read and write the struct given.
    unsafe {
        let mut limit = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                limit = raised;
            }
        }
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_gets_its_share_and_the_lane_takes_the_rest() {
        let admission = Admission::new(10, Some(2));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let first = admission.admit(a);
        let second = admission.admit(a);
        assert!(matches!(first, Verdict::Take(_)) && matches!(second, Verdict::Take(_)));
        assert!(matches!(
            admission.admit(a),
            Verdict::Overflow(_, Over::Address)
        ));
        assert!(
            matches!(admission.admit(b), Verdict::Take(_)),
            "another address"
        );
        drop(first);
        assert!(
            matches!(admission.admit(a), Verdict::Take(_)),
            "a place given back"
        );
        assert_eq!(admission.refused(), 1);
    }

    #[test]
    fn the_total_cap_holds_and_a_full_lane_closes() {
        let admission = Admission::new(16, None);
        let held: Vec<_> = (0..16)
            .map(|i| admission.admit(IpAddr::from([10, 0, 0, i as u8])))
            .collect();
        assert!(held.iter().all(|v| matches!(v, Verdict::Take(_))));
        let lane: Vec<_> = (0..OVERFLOW_LANE)
            .map(|_| admission.admit("10.1.1.1".parse().unwrap()))
            .collect();
        assert!(lane
            .iter()
            .all(|v| matches!(v, Verdict::Overflow(_, Over::Total))));
        assert!(matches!(
            admission.admit("10.1.1.1".parse().unwrap()),
            Verdict::Close
        ));
        drop(lane);
        assert!(matches!(
            admission.admit("10.1.1.1".parse().unwrap()),
            Verdict::Overflow(..)
        ));
    }
}
