//! An HTTP/1.1 server on a real device (TAP or AF_PACKET), IPv4 and IPv6, serving
//! hundreds of connections at once from a pool of sockets behind a `tcp::Listener`.
//!
//! Routes:
//! - `/`: a small page with live counters;
//! - `/stats`: the server's, the listener's, TCP's and the interface's counters as JSON;
//! - `/bytes/N`: N bytes of a fixed pattern (byte i is `i % 251`), generated straight
//!   into the send buffer, for bulk tests of any size;
//! - `PUT /upload`: reads the body (Content-Length or chunked, `Expect: 100-continue`
//!   honoured) and answers `{"bytes":N,"sha256":"..."}`;
//! - with `--root DIR`, any other path is a file under DIR (`..` is refused).
//!
//! Connections are persistent and pipelining-safe (requests are answered one after
//! another, in order); GET and HEAD everywhere, errors 400/404/405/413/417/431/501 with
//! a body and a correct Content-Length. SIGINT or SIGTERM stops accepting, lets every
//! connection finish its response and close with a FIN, and exits 0 (aborting what is
//! left after `--shutdown-timeout`); a second signal exits at once.
//!
//! ```sh
//! sudo scripts/netns.sh up demo
//! cargo build --release --example httpd
//! sudo ip netns exec demo target/release/examples/httpd --tap tap0 \
//!     --ip 192.0.2.2/24 --ip 2001:db8::2/64 &
//! sudo ip netns exec demo curl http://192.0.2.2/
//! sudo ip netns exec demo curl -s http://[2001:db8::2]/stats
//! sudo ip netns exec demo curl -s http://192.0.2.2/bytes/1073741824 | sha256sum
//! head -c 100000000 /dev/urandom > /tmp/blob
//! sudo ip netns exec demo curl -T /tmp/blob http://192.0.2.2/upload; sha256sum /tmp/blob
//! sudo ip netns exec demo wrk -c 200 -d 10s http://192.0.2.2/
//! sudo kill -INT %1
//! sudo scripts/netns.sh down demo
//! ```

mod common;
#[path = "httpd/connection.rs"]
mod connection;
#[path = "httpd/routes.rs"]
mod routes;

use std::collections::VecDeque;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::{COMMON_USAGE, CommonOptions, parse_seconds};
use connection::{Connection, Context};
use routes::Site;
use skiff::iface::{Counters, Interface};
use skiff::socket::tcp::{self, Listener, ListenerCounters, TcpConfig, TcpCounters};
use skiff::socket::{SocketHandle, SocketSet};
use skiff::time::Duration;
use skiff_phy::Clock;

fn usage() -> String {
    format!(
        "usage: httpd (--tap NAME | --af-packet NAME) --ip CIDR... [options]\n\
         {COMMON_USAGE}\n\
         \x20 --port PORT         TCP port to serve (default 80)\n\
         \x20 --root DIR          serve the files under DIR too\n\
         \x20 --max-conns N       connections served at once (default 256)\n\
         \x20 --max-upload BYTES  largest PUT /upload body (default 64 GiB)\n\
         \x20 --buffer BYTES      send buffer per connection (default 256 KiB; receive: 64 KiB)\n\
         \x20 --idle-timeout S    end a connection on which nothing moved for S (default 60)\n\
         \x20 --shutdown-timeout S  after SIGINT/SIGTERM, abort what is still open after S (default 5)"
    )
}

struct Options {
    common: CommonOptions,
    port: u16,
    root: Option<std::path::PathBuf>,
    max_conns: usize,
    max_upload: u64,
    tx_buffer: usize,
    idle_timeout: StdDuration,
    shutdown_timeout: StdDuration,
}

fn parse() -> Result<Options, String> {
    let mut o = Options {
        common: CommonOptions::new(),
        port: 80,
        root: None,
        max_conns: 256,
        max_upload: 64 << 30,
        tx_buffer: 256 * 1024,
        idle_timeout: StdDuration::from_secs(60),
        shutdown_timeout: StdDuration::from_secs(5),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if o.common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |text: String| {
            text.parse::<u64>()
                .map_err(|_| format!("{arg}: not a number"))
        };
        let seconds = |text: String| parse_seconds(&text).ok_or(format!("{arg}: not seconds"));
        match arg.as_str() {
            "--port" => o.port = value()?.parse().map_err(|_| "--port: not a port")?,
            "--root" => o.root = Some(value()?.into()),
            "--max-conns" => o.max_conns = number(value()?)?.clamp(1, 1 << 16) as usize,
            "--max-upload" => o.max_upload = number(value()?)?,
            "--buffer" => o.tx_buffer = number(value()?)?.clamp(4096, 1 << 30) as usize,
            "--idle-timeout" => o.idle_timeout = seconds(value()?)?,
            "--shutdown-timeout" => o.shutdown_timeout = seconds(value()?)?,
            "-h" | "--help" => return Err(usage()),
            _ => return Err(format!("unknown argument {arg}\n{}", usage())),
        }
    }
    o.common.validate()?;
    Ok(o)
}

/// The server's own counters (beside TCP's and the interface's).
#[derive(Debug, Clone, Copy, Default)]
pub struct HttpStats {
    /// Connections accepted.
    pub connections: u64,
    /// Connections open now.
    pub active: u64,
    /// Request heads read (answered or refused).
    pub requests: u64,
    /// Bytes read from connections (heads and bodies).
    pub bytes_received: u64,
    /// Bytes queued on connections (heads and bodies).
    pub bytes_sent: u64,
    /// `PUT /upload` requests.
    pub uploads: u64,
}

/// The counters `/` and `/stats` show besides the server's own, read at most every
/// [`SNAPSHOT_PERIOD`]: summing the TCP counters walks the pool, which is not worth
/// doing for every request.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub started: StdInstant,
    pub listener: ListenerCounters,
    /// Summed over the pool's sockets (which keep counting across connections).
    pub tcp: TcpCounters,
    pub iface: Counters,
}

const SNAPSHOT_PERIOD: StdDuration = StdDuration::from_millis(100);

/// The listener, the pool behind it and the connections being served.
struct Server {
    listener: Listener<'static>,
    pool: Vec<SocketHandle>,
    conns: Vec<Connection>,
    /// Finished connections whose socket is in TIME-WAIT, oldest first.
    time_wait: VecDeque<SocketHandle>,
    site: Site,
    stats: HttpStats,
    snapshot: Snapshot,
    snapshot_at: Option<StdInstant>,
    max_upload: u64,
    idle_timeout: StdDuration,
    shutting_down: bool,
}

impl Server {
    /// A pool of `max_conns + 1` sockets in `sockets` (a listener keeps one back to
    /// drop SYNs while the others are busy) listening on `port`.
    fn new(o: &Options, sockets: &mut SocketSet<'static>) -> Result<Server, String> {
        let root = match &o.root {
            Some(dir) => Some(
                dir.canonicalize()
                    .map_err(|e| format!("--root {}: {e}", dir.display()))?,
            ),
            None => None,
        };
        let config = TcpConfig {
            nodelay: true,
            // TIME-WAIT holds a pool socket for 2·MSL: one minute, as on Linux.
            msl: Duration::from_secs(30),
            ..TcpConfig::default()
        };
        let pool: Vec<SocketHandle> = (0..=o.max_conns)
            .map(|_| {
                let mut socket = tcp::Socket::with_capacity(64 * 1024, o.tx_buffer);
                socket.set_config(config);
                sockets
                    .add_socket(socket)
                    .expect("the set was sized for the pool")
            })
            .collect();
        let listener = Listener::from_handles(o.port, o.max_conns, pool.iter().copied())
            .map_err(|e| format!("--port {}: {e:?}", o.port))?;
        Ok(Server {
            listener,
            pool,
            conns: Vec::with_capacity(o.max_conns),
            time_wait: VecDeque::new(),
            site: Site { root },
            stats: HttpStats::default(),
            snapshot: Snapshot {
                started: StdInstant::now(),
                listener: ListenerCounters::default(),
                tcp: TcpCounters::default(),
                iface: Counters::default(),
            },
            snapshot_at: None,
            max_upload: o.max_upload,
            idle_timeout: o.idle_timeout,
            shutting_down: false,
        })
    }

    /// One turn after the interface ran: serve every connection, retire the finished
    /// ones, then accept (and serve) new ones. Returns when the server must run again
    /// even if no frame arrives (an idle connection's timeout).
    ///
    /// Connections are served before `Listener::poll`: the listener takes back an
    /// accepted socket once it is CLOSED and read out, so the server must see it CLOSED
    /// (and let go of it) first.
    fn step(
        &mut self,
        iface: &Interface<'_>,
        sockets: &mut SocketSet<'static>,
    ) -> Option<StdInstant> {
        let now = StdInstant::now();
        self.refresh_snapshot(iface, sockets, now);
        let mut next = self.serve(sockets, 0, now);
        self.reclaim_time_wait(sockets);
        self.listener.poll(sockets);
        if self.shutting_down {
            // Connections that completed their handshake are still taken (and closed
            // after one response), but nothing listens: new SYNs are refused.
            self.listener.unlisten(sockets);
        }
        let first_new = self.conns.len();
        self.accept(sockets, now);
        if let Some(at) = self.serve(sockets, first_new, now) {
            next = Some(next.map_or(at, |n| n.min(at)));
        }
        next
    }

    /// Serves the connections from index `from` on and retires the finished ones.
    fn serve(
        &mut self,
        sockets: &mut SocketSet<'static>,
        from: usize,
        now: StdInstant,
    ) -> Option<StdInstant> {
        let mut cx = Context {
            site: &self.site,
            snapshot: &self.snapshot,
            stats: &mut self.stats,
            max_upload: self.max_upload,
            now,
        };
        let mut next: Option<StdInstant> = None;
        let mut i = from;
        while let Some(conn) = self.conns.get_mut(i) {
            let mut socket = sockets
                .get_mut_as::<tcp::Socket>(conn.handle())
                .expect("pool sockets stay in the set");
            conn.serve(&mut socket, &mut cx);
            if let Some(at) = conn.check_idle(&mut socket, now, self.idle_timeout) {
                next = Some(next.map_or(at, |n| n.min(at)));
            }
            if !conn.is_finished(&socket, self.shutting_down) {
                i += 1;
                continue;
            }
            let state = socket.state();
            drop(socket);
            let handle = self.conns.swap_remove(i).handle();
            cx.stats.active -= 1;
            // A CLOSED socket goes back to the pool now; one in TIME-WAIT when that
            // ends, or earlier if the pool runs short.
            match state {
                tcp::State::Closed => {
                    self.listener.release(handle, sockets);
                }
                tcp::State::TimeWait => self.time_wait.push_back(handle),
                _ => {}
            }
        }
        next
    }

    /// Keeps a quarter of the pool free for new connections by cutting the oldest
    /// TIME-WAITs short. A server that closes first leaves every connection in
    /// TIME-WAIT for a minute, each holding a pool socket: without this, 256 requests
    /// with `Connection: close` would use up the pool for that minute. Linux does the
    /// same past `tcp_max_tw_buckets`; timestamps (PAWS) and time-based ISNs keep a
    /// new connection on the same ports safe from the old one's stray segments.
    fn reclaim_time_wait(&mut self, sockets: &mut SocketSet<'static>) {
        // Those whose TIME-WAIT ended go back to the pool.
        let listener = &mut self.listener;
        self.time_wait.retain(|&h| {
            let waiting = sockets
                .get_as::<tcp::Socket>(h)
                .is_some_and(|s| s.state() == tcp::State::TimeWait);
            if !waiting {
                listener.release(h, sockets);
            }
            waiting
        });
        let busy = self.conns.len()
            + self.time_wait.len()
            + self.listener.half_open()
            + self.listener.ready();
        let spare = self.pool.len().saturating_sub(busy);
        let wanted = self.pool.len() / 4;
        for _ in spare..wanted {
            let Some(handle) = self.time_wait.pop_front() else {
                break;
            };
            self.listener.release(handle, sockets);
        }
    }

    fn accept(&mut self, sockets: &mut SocketSet<'static>, now: StdInstant) {
        while let Some(handle) = self.listener.accept() {
            self.stats.connections += 1;
            self.stats.active += 1;
            let mut conn = Connection::new(handle, now);
            if self.shutting_down {
                if let Some(mut socket) = sockets.get_mut_as::<tcp::Socket>(handle) {
                    conn.shut_down(&mut socket, now);
                }
            }
            self.conns.push(conn);
        }
    }

    fn refresh_snapshot(
        &mut self,
        iface: &Interface<'_>,
        sockets: &SocketSet<'static>,
        now: StdInstant,
    ) {
        if self
            .snapshot_at
            .is_some_and(|at| now - at < SNAPSHOT_PERIOD)
        {
            return;
        }
        self.snapshot_at = Some(now);
        let mut tcp = TcpCounters::default();
        for &handle in &self.pool {
            if let Some(socket) = sockets.get_as::<tcp::Socket>(handle) {
                add_tcp_counters(&mut tcp, &socket.counters());
            }
        }
        self.snapshot.listener = self.listener.counters();
        self.snapshot.tcp = tcp;
        self.snapshot.iface = iface.counters().clone();
    }

    /// Stops accepting and asks every connection to close after its response.
    fn shut_down(&mut self, sockets: &mut SocketSet<'static>) {
        self.shutting_down = true;
        self.listener.unlisten(sockets);
        let now = StdInstant::now();
        for conn in &mut self.conns {
            if let Some(mut socket) = sockets.get_mut_as::<tcp::Socket>(conn.handle()) {
                conn.shut_down(&mut socket, now);
            }
        }
    }

    /// Whether every connection, half-open ones included, is over.
    fn is_drained(&self) -> bool {
        self.conns.is_empty() && self.listener.half_open() == 0 && self.listener.ready() == 0
    }

    /// Resets what is still open (the shutdown timeout passed).
    fn abort_all(&mut self, sockets: &mut SocketSet<'static>) -> usize {
        for conn in &self.conns {
            if let Some(mut socket) = sockets.get_mut_as::<tcp::Socket>(conn.handle()) {
                socket.abort();
            }
        }
        self.conns.len()
    }
}

fn add_tcp_counters(total: &mut TcpCounters, c: &TcpCounters) {
    total.segments_in += c.segments_in;
    total.segments_out += c.segments_out;
    total.retransmits += c.retransmits;
    total.timeouts += c.timeouts;
    total.fast_retransmits += c.fast_retransmits;
    total.challenge_acks += c.challenge_acks;
    total.challenge_acks_suppressed += c.challenge_acks_suppressed;
    total.dropped += c.dropped;
    total.ooo_dropped += c.ooo_dropped;
    total.syns_dropped += c.syns_dropped;
}

/// A flag raised by SIGINT or SIGTERM; a second signal while it is up exits at once.
fn stop_flag() -> std::io::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        // Registered first, so the first signal only raises the flag (signal-hook's
        // documented order).
        signal_hook::flag::register_conditional_shutdown(signal, 1, Arc::clone(&stop))?;
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    Ok(stop)
}

fn main() -> ExitCode {
    env_logger::init();
    let opts = match parse() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("httpd: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("httpd: {msg}");
            ExitCode::from(1)
        }
    }
}

fn run(opts: &Options) -> Result<(), String> {
    let stop = stop_flag().map_err(|e| format!("signal handlers: {e}"))?;
    let mut device = opts.common.open().map_err(|e| e.to_string())?;
    let clock = Clock::new();
    let mut iface = opts.common.interface(&mut device, clock.now());
    let mut sockets = SocketSet::with_capacity(opts.max_conns + 1, u64::from(std::process::id()));
    let mut server = Server::new(opts, &mut sockets)?;
    let addrs: Vec<String> = iface.ip_addrs().map(|a| a.to_string()).collect();
    println!(
        "httpd: serving HTTP on port {} of {} ({} connections at once)",
        opts.port,
        addrs.join(", "),
        opts.max_conns
    );
    let mut shutdown_deadline = None;
    loop {
        iface.poll(clock.now(), &mut device, &mut sockets);
        if stop.load(Ordering::Relaxed) && shutdown_deadline.is_none() {
            println!(
                "httpd: shutting down ({} connections open)",
                server.conns.len()
            );
            server.shut_down(&mut sockets);
            shutdown_deadline = Some(StdInstant::now() + opts.shutdown_timeout);
        }
        let app_deadline = server.step(&iface, &mut sockets);
        if let Some(deadline) = shutdown_deadline {
            if server.is_drained() {
                break;
            }
            if StdInstant::now() >= deadline {
                let aborted = server.abort_all(&mut sockets);
                println!("httpd: reset {aborted} connections still open");
                break;
            }
        }
        let wake = [app_deadline, shutdown_deadline]
            .into_iter()
            .flatten()
            .min();
        let app_delay = wake.map(|at| at.saturating_duration_since(StdInstant::now()));
        let stack_delay = iface
            .poll_delay(clock.now(), &sockets)
            .map(StdDuration::from);
        let delay = [app_delay, stack_delay].into_iter().flatten().min();
        skiff_phy::wait(&device, delay).map_err(|e| format!("wait: {e}"))?;
    }
    // Send what the last turn queued (FINs, ACKs, RSTs).
    iface.poll(clock.now(), &mut device, &mut sockets);
    let s = &server.stats;
    println!(
        "httpd: stopped after {} connections, {} requests, {} bytes in, {} bytes out",
        s.connections, s.requests, s.bytes_received, s.bytes_sent
    );
    Ok(())
}
