//! Rate limits (token buckets per user and per IP address) and connection caps.
//!
//! Each limit is a bucket of `burst` tokens that refills completely over `per`: a person
//! typing never empties it, a script posting hundreds at once does. What is refused is
//! answered with how long to wait (`retry_after_ms` on the socket, `Retry-After` over
//! HTTP); nothing already accepted is lost. `CLOUD_MSG_LIMITS=off` turns every limit off
//! (load tests); otherwise it may override single values, e.g.
//! `send=30/10s,join=200/1m,sockets_per_user=32`.

use std::{fmt, net::IpAddr, num::NonZeroU32, str::FromStr, time::Duration};

use governor::{clock::Clock, DefaultKeyedRateLimiter, Quota, RateLimiter};
use uuid::Uuid;

/// `burst` tokens, refilled evenly over `per`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub burst: u32,
    pub per: Duration,
}

impl Rate {
    pub const fn new(burst: u32, per_secs: u64) -> Self {
        Self {
            burst,
            per: Duration::from_secs(per_secs),
        }
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.burst, self.per.as_secs())
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `30/10s`, `20/1h`, `50/1m`, `5/500ms`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:?} is not a rate like 30/10s, 50/1m or 20/1h");
        let (burst, per) = s.split_once('/').ok_or_else(bad)?;
        let burst: u32 = burst.trim().parse().map_err(|_| bad())?;
        let per = per.trim();
        let (digits, unit_ms) = if let Some(n) = per.strip_suffix("ms") {
            (n, 1)
        } else if let Some(n) = per.strip_suffix('s') {
            (n, 1_000)
        } else if let Some(n) = per.strip_suffix('m') {
            (n, 60_000)
        } else if let Some(n) = per.strip_suffix('h') {
            (n, 3_600_000)
        } else {
            return Err(bad());
        };
        let n: u64 = if digits.is_empty() {
            1
        } else {
            digits.parse().map_err(|_| bad())?
        };
        if burst == 0 || n == 0 {
            return Err(bad());
        }
        Ok(Self {
            burst,
            per: Duration::from_millis(n * unit_ms),
        })
    }
}

/// Every limit, as configured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// False with `CLOUD_MSG_LIMITS=off`.
    pub enabled: bool,
    /// Messages a user may send.
    pub send: Rate,
    /// Messages from one IP address (everyone behind it together).
    pub send_per_ip: Rate,
    /// `join` frames a user may send (a reconnect joins every listed room).
    pub join: Rate,
    /// Rooms a user may create.
    pub create_room: Rate,
    /// Changes a user may make to rooms' members (add, remove, ban, lift a ban), invite
    /// links and accounts (the admin).
    pub manage: Rate,
    /// Sign-ins (`POST /api/session`, `POST /join`) from one IP address.
    pub sign_in: Rate,
    /// Password checks of `POST /api/password` by one person (each also counts as a sign-in
    /// of the address).
    pub password: Rate,
    /// Passwords hashed or checked at once (each takes 19 MiB while it runs); applies even
    /// with the limits off.
    pub password_workers: usize,
    /// Pages of older messages (`GET /api/rooms/<room>/messages`) from one IP address.
    pub history: Rate,
    /// Messages a person's joins with `since` may replay (counted before the replay, as the
    /// messages missed up to the window), across all their sockets.
    pub replay: Rate,
    /// The same, for everyone behind one address (guests are free to make).
    pub replay_per_ip: Rate,
    /// `typing` frames a person may send to one room, across all their sockets.
    pub typing: Rate,
    /// Sockets one user may hold open at once.
    pub sockets_per_user: usize,
    /// Sockets the server holds open at once.
    pub sockets_total: usize,
    /// Sockets open at once from one address (everyone behind it together).
    pub sockets_per_ip: usize,
    /// TCP connections open at once (sockets and HTTP); lowered to what the process's
    /// file descriptors allow. Applies even with the limits off.
    pub connections_total: usize,
    /// TCP connections open at once from one address.
    pub connections_per_ip: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            enabled: true,
            send: Rate::new(30, 10),
            send_per_ip: Rate::new(300, 10),
            join: Rate::new(200, 60),
            create_room: Rate::new(20, 3600),
            manage: Rate::new(60, 60),
            sign_in: Rate::new(50, 60),
            password: Rate::new(10, 600),
            password_workers: default_workers(),
            history: Rate::new(300, 60),
            replay: Rate::new(20_000, 600),
            replay_per_ip: Rate::new(50_000, 600),
            typing: Rate::new(1, 2),
            sockets_per_user: 32,
            sockets_total: 16_384,
            sockets_per_ip: 512,
            connections_total: 20_000,
            connections_per_ip: 1_024,
        }
    }
}

impl Limits {
    /// Comma-separated `name=value` overrides of the defaults; an item `off` turns the rate
    /// limits and socket caps off (`off,password_workers=1` keeps a setting).
    pub fn parse(s: &str) -> Result<Self, String> {
        let mut limits = Self::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if item.eq_ignore_ascii_case("off") {
                limits.enabled = false;
                continue;
            }
            let (name, value) = item
                .split_once('=')
                .ok_or_else(|| format!("CLOUD_MSG_LIMITS: {item:?} is not name=value"))?;
            let value = value.trim();
            let count = || {
                value
                    .parse::<usize>()
                    .map_err(|_| format!("CLOUD_MSG_LIMITS: {name} needs a number"))
            };
            match name.trim() {
                "send" => limits.send = value.parse()?,
                "send_per_ip" => limits.send_per_ip = value.parse()?,
                "join" => limits.join = value.parse()?,
                "create_room" => limits.create_room = value.parse()?,
                "manage" => limits.manage = value.parse()?,
                "sign_in" => limits.sign_in = value.parse()?,
                "history" => limits.history = value.parse()?,
                "replay" => limits.replay = value.parse()?,
                "replay_per_ip" => limits.replay_per_ip = value.parse()?,
                "typing" => limits.typing = value.parse()?,
                "password" => limits.password = value.parse()?,
                "password_workers" => limits.password_workers = count()?.max(1),
                "sockets_per_user" => limits.sockets_per_user = count()?,
                "sockets_total" => limits.sockets_total = count()?,
                "sockets_per_ip" => limits.sockets_per_ip = count()?,
                "connections_total" => limits.connections_total = count()?,
                "connections_per_ip" => limits.connections_per_ip = count()?,
                other => return Err(format!("CLOUD_MSG_LIMITS: unknown limit {other:?}")),
            }
        }
        Ok(limits)
    }
}

/// Which bucket a request draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Send,
    SendPerIp,
    Join,
    CreateRoom,
    Manage,
    SignIn,
    Password,
    History,
    Replay,
    ReplayPerIp,
    Typing,
}

/// Who is counted: a user or an address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Key {
    User(Uuid),
    Ip(IpAddr),
    /// A person in one room (by the room's id).
    UserInRoom(Uuid, i64),
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

impl RetryAfter {
    pub fn millis(self) -> u64 {
        (self.0.as_millis() as u64).max(1)
    }

    /// Whole seconds, rounded up, for `Retry-After`.
    pub fn secs(self) -> u64 {
        self.0.as_secs() + u64::from(self.0.subsec_nanos() > 0)
    }
}

type Bucket = DefaultKeyedRateLimiter<Key>;

/// The live buckets. Cheap to share (`Arc` inside the server state).
pub struct Limiter {
    limits: Limits,
    send: Bucket,
    send_per_ip: Bucket,
    join: Bucket,
    create_room: Bucket,
    manage: Bucket,
    sign_in: Bucket,
    password: Bucket,
    history: Bucket,
    replay: Bucket,
    replay_per_ip: Bucket,
    typing: Bucket,
}

fn bucket(rate: Rate) -> Bucket {
    let burst = NonZeroU32::new(rate.burst.max(1)).expect("not zero");
    let period = (rate.per / rate.burst.max(1)).max(Duration::from_nanos(1));
    let quota = Quota::with_period(period)
        .expect("period is not zero")
        .allow_burst(burst);
    RateLimiter::keyed(quota)
}

impl Limiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            send: bucket(limits.send),
            send_per_ip: bucket(limits.send_per_ip),
            join: bucket(limits.join),
            create_room: bucket(limits.create_room),
            manage: bucket(limits.manage),
            sign_in: bucket(limits.sign_in),
            password: bucket(limits.password),
            history: bucket(limits.history),
            replay: bucket(limits.replay),
            replay_per_ip: bucket(limits.replay_per_ip),
            typing: bucket(limits.typing),
            limits,
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Takes a token from `kind`'s bucket for `key`, or says how long until there is one.
    pub fn check(&self, kind: Limit, key: Key) -> Result<(), RetryAfter> {
        self.check_n(kind, key, 1)
    }

    /// Takes `n` tokens at once (none if there are not `n`), or says how long until there
    /// are. More than the bucket holds waits for a full bucket and takes it all.
    pub fn check_n(&self, kind: Limit, key: Key, n: u32) -> Result<(), RetryAfter> {
        if !self.limits.enabled || n == 0 {
            return Ok(());
        }
        let bucket = self.bucket(kind);
        let n = NonZeroU32::new(n.min(self.rate(kind).burst.max(1))).expect("not zero");
        match bucket.check_key_n(&key, n) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(not_until)) => {
                let now = governor::clock::DefaultClock::default().now();
                Err(RetryAfter(not_until.wait_time_from(now)))
            }
            // More than the bucket can ever hold: wait for one whole period.
            Err(_) => Err(RetryAfter(Duration::from_secs(60))),
        }
    }

    fn rate(&self, kind: Limit) -> Rate {
        let l = &self.limits;
        match kind {
            Limit::Send => l.send,
            Limit::SendPerIp => l.send_per_ip,
            Limit::Join => l.join,
            Limit::CreateRoom => l.create_room,
            Limit::Manage => l.manage,
            Limit::SignIn => l.sign_in,
            Limit::Password => l.password,
            Limit::History => l.history,
            Limit::Replay => l.replay,
            Limit::ReplayPerIp => l.replay_per_ip,
            Limit::Typing => l.typing,
        }
    }

    fn bucket(&self, kind: Limit) -> &Bucket {
        match kind {
            Limit::Send => &self.send,
            Limit::SendPerIp => &self.send_per_ip,
            Limit::Join => &self.join,
            Limit::CreateRoom => &self.create_room,
            Limit::Manage => &self.manage,
            Limit::SignIn => &self.sign_in,
            Limit::Password => &self.password,
            Limit::History => &self.history,
            Limit::Replay => &self.replay,
            Limit::ReplayPerIp => &self.replay_per_ip,
            Limit::Typing => &self.typing,
        }
    }

    /// Forgets buckets that are full again, so memory follows the active users only.
    pub fn prune(&self) {
        for bucket in [
            &self.send,
            &self.send_per_ip,
            &self.join,
            &self.create_room,
            &self.manage,
            &self.sign_in,
            &self.password,
            &self.history,
            &self.replay,
            &self.replay_per_ip,
            &self.typing,
        ] {
            bucket.retain_recent();
            bucket.shrink_to_fit();
        }
    }
}

/// The default number of password workers: the cores, at most 4.
pub fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_parse_in_every_unit() {
        assert_eq!("30/10s".parse(), Ok(Rate::new(30, 10)));
        assert_eq!("20/1h".parse(), Ok(Rate::new(20, 3600)));
        assert_eq!("50/m".parse(), Ok(Rate::new(50, 60)));
        assert_eq!(
            "5/500ms".parse::<Rate>().unwrap().per,
            Duration::from_millis(500)
        );
        for bad in ["", "30", "0/1s", "3/0s", "x/1s", "3/1d"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad}");
        }
    }

    #[test]
    fn limits_are_off_or_overridden_one_by_one() {
        assert!(!Limits::parse("off").unwrap().enabled);
        let off = Limits::parse("off, password_workers=1").unwrap();
        assert!(!off.enabled);
        assert_eq!(off.password_workers, 1);
        let l = Limits::parse("send=5/1s, sockets_per_user=2").unwrap();
        assert_eq!(l.send, Rate::new(5, 1));
        assert_eq!(l.sockets_per_user, 2);
        assert_eq!(l.join, Limits::default().join);
        assert!(Limits::parse("speed=1/1s").is_err());
        assert!(Limits::parse("send").is_err());
    }

    #[test]
    fn a_burst_passes_then_the_bucket_says_when_to_come_back() {
        let limiter = Limiter::new(Limits::parse("send=3/3s").unwrap());
        let me = Key::User(Uuid::from_u128(1));
        for _ in 0..3 {
            assert_eq!(limiter.check(Limit::Send, me), Ok(()));
        }
        let wait = limiter.check(Limit::Send, me).unwrap_err();
        assert!(wait.0 > Duration::from_millis(500) && wait.0 <= Duration::from_secs(1));
        assert_eq!(wait.secs(), 1);
        // Someone else has a bucket of their own.
        assert_eq!(
            limiter.check(Limit::Send, Key::User(Uuid::from_u128(2))),
            Ok(())
        );
        // Off means off.
        let off = Limiter::new(Limits::parse("off").unwrap());
        for _ in 0..1000 {
            assert_eq!(off.check(Limit::Send, me), Ok(()));
        }
    }
}
