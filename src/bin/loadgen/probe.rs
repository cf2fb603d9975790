//! What the generator reads off a process: CPU seconds and resident memory, from /proc.

/// CPU seconds (user + system) of a process.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / clock_ticks()
}

fn clock_ticks() -> f64 {
    // USER_HZ is 100 on every Linux this runs on.
    100.0
}

/// Resident memory of a process in KiB.
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A process's CPU and memory between two moments.
pub struct Meter {
    pid: Option<u32>,
    cpu0: f64,
}

impl Meter {
    pub fn start(pid: Option<u32>) -> Self {
        Self {
            pid,
            cpu0: pid.map(cpu_secs).unwrap_or(0.0),
        }
    }

    /// CPU seconds since `start` (0 without a pid).
    pub fn cpu(&self) -> f64 {
        self.pid.map(|p| cpu_secs(p) - self.cpu0).unwrap_or(0.0)
    }

    pub fn rss(&self) -> u64 {
        self.pid.map(rss_kib).unwrap_or(0)
    }
}

/// Seconds the hypervisor gave CPU `cpu`'s time to someone else (steal), since boot: a
/// stall the server did not cause shows here.
pub fn steal_secs(cpu: usize) -> f64 {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let label = format!("cpu{cpu} ");
    stat.lines()
        .find(|l| l.starts_with(&label))
        .and_then(|l| l.split_whitespace().nth(8))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0)
        / clock_ticks()
}

/// The disk as the server meets it, apart from the server: a thread that writes 4 KiB and
/// `fdatasync`s it into a file beside the database every 100 ms. `take_max_us` answers the
/// slowest since it was last asked, so a stall of the disk shows apart from the server's.
pub struct DiskProbe(std::sync::Arc<std::sync::atomic::AtomicU64>);

impl DiskProbe {
    pub fn start(dir: &std::path::Path) -> Self {
        use std::{io::Write, sync::atomic::Ordering};
        let max = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
        let path = dir.join("disk-probe");
        let seen = max.clone();
        std::thread::spawn(move || {
            let Ok(mut file) = std::fs::File::create(&path) else {
                return;
            };
            let page = [7u8; 4096];
            loop {
                let t = std::time::Instant::now();
                let _ = file.write_all(&page).and_then(|_| file.sync_data());
                seen.fetch_max(t.elapsed().as_micros() as u64, Ordering::Relaxed);
                if file.metadata().map(|m| m.len()).unwrap_or(0) >= 1 << 20 {
                    let _ = file.set_len(0);
                    let _ = std::io::Seek::rewind(&mut file);
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        });
        Self(max)
    }

    /// The slowest write and sync (µs) since the last call.
    pub fn take_max_us(&self) -> u64 {
        self.0.swap(0, std::sync::atomic::Ordering::Relaxed)
    }
}
