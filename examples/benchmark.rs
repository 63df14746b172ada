//! Bulk TCP between skiff on a TAP (or AF_PACKET) device and Linux: one connection that
//! moves `--bytes` (or runs for `--seconds`) in one direction, then prints the payload
//! rate and what the connection went through (retransmissions, RTT, dropped frames).
//!
//! `--mode writer` sends, `--mode reader` receives; `--connect ADDR:PORT` opens the
//! connection, `--listen PORT` waits for one. The bytes sent are the pattern
//! `offset % 251` (a prime, so a lost, repeated or misplaced segment shows), which the
//! reader checks with `--verify`. Linux's end is socat, in a private namespace
//! (release build: a debug build measures the compiler, not the stack):
//!
//! ```sh
//! cargo build --release --example benchmark
//! sudo scripts/netns.sh up bench
//! B=target/release/examples/benchmark; A="--tap tap0 --ip 192.0.2.2/24 --ip 2001:db8::2/64"
//!
//! # skiff writes 1 GiB, Linux discards it (or counts it: `... STDOUT | wc -c`)
//! sudo ip netns exec bench socat -u TCP-LISTEN:5001,reuseaddr OPEN:/dev/null &
//! sudo ip netns exec bench $B $A --mode writer --connect 192.0.2.1:5001 --bytes 1G
//!
//! # Linux writes 1 GiB of zeros, skiff counts it
//! sudo ip netns exec bench $B $A --mode reader --listen 5001 --bytes 1G &
//! sleep 1; head -c 1G /dev/zero | sudo ip netns exec bench socat -u - TCP:192.0.2.2:5001
//!
//! # the other way round: skiff listens and writes, Linux connects and reads (IPv6)
//! sudo ip netns exec bench $B $A --mode writer --listen 5001 --seconds 5 &
//! sleep 1; sudo ip netns exec bench socat -u 'TCP:[2001:db8::2]:5001' OPEN:/dev/null
//!
//! sudo scripts/netns.sh down bench
//! ```
//!
//! The run ends with exit status 0 when the transfer completed (and, for a reader given
//! `--bytes`, exactly that many bytes arrived), 1 otherwise. The clock starts when the
//! connection is established and stops when the writer's last byte and FIN are
//! acknowledged, or when the reader has the writer's FIN.

mod common;

use std::net::SocketAddr;
use std::process::ExitCode;
use std::time::{Duration, Instant as StdInstant};

use common::{AnyDevice, COMMON_USAGE, CommonOptions, parse_seconds};
use skiff::socket::SocketSet;
use skiff::socket::tcp::{self, CongestionAlgorithm, RecvError, State, TcpCounters};
use skiff_phy::{Clock, PhyStats};

/// The period of the byte pattern: prime, so it never lines up with segment sizes.
const PATTERN_PERIOD: usize = 251;
/// The most the writer copies into the send buffer in one go.
const FILL_CHUNK: usize = 64 * 1024;
/// After the transfer, how long to wait for the connection to close cleanly.
const CLOSE_GRACE: Duration = Duration::from_secs(1);

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Writer,
    Reader,
}

enum Peer {
    Connect(SocketAddr),
    Listen(u16),
}

struct Options {
    common: CommonOptions,
    mode: Mode,
    peer: Peer,
    /// Writer: bytes to send. Reader: bytes expected (anything else is a failure).
    bytes: Option<u64>,
    /// Writer: send for this long instead of a byte count.
    seconds: Option<Duration>,
    rx_buffer: usize,
    tx_buffer: usize,
    congestion: CongestionAlgorithm,
    verify: bool,
    timeout: Duration,
}

fn usage() -> String {
    format!(
        "usage: benchmark (--tap NAME | --af-packet NAME) --ip CIDR... \
         (--connect ADDR:PORT | --listen PORT) [options]\n\
         {COMMON_USAGE}\n\
         \x20 --mode writer|reader  send or receive (default writer)\n\
         \x20 --connect ADDR:PORT   open the connection to ADDR:PORT ([v6]:port for IPv6)\n\
         \x20 --listen PORT         wait for the connection on PORT\n\
         \x20 --bytes N             writer: bytes to send (default 1G); reader: bytes\n\
         \x20                       expected, any other count fails. Suffixes K, M, G (x1024)\n\
         \x20 --seconds S           writer: send for S seconds instead of --bytes\n\
         \x20 --rx-buffer N         receive buffer (default 256K)\n\
         \x20 --tx-buffer N         send buffer (default 256K)\n\
         \x20 --cc newreno|cubic    congestion control (default newreno)\n\
         \x20 --verify              reader: check that the bytes are the writer's pattern\n\
         \x20 --timeout S           give up after S seconds (default 120)"
    )
}

/// `64K`, `1M`, `1G` (binary multiples) or a plain count.
fn parse_size(text: &str) -> Option<u64> {
    let (digits, unit) = match text.char_indices().last()? {
        (i, 'k' | 'K') => (&text[..i], 1 << 10),
        (i, 'm' | 'M') => (&text[..i], 1 << 20),
        (i, 'g' | 'G') => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    digits.parse::<u64>().ok()?.checked_mul(unit)
}

fn parse() -> Result<Options, String> {
    let mut common = CommonOptions::new();
    let (mut mode, mut peer, mut bytes, mut seconds) = (Mode::Writer, None, None, None);
    let (mut rx_buffer, mut tx_buffer) = (256 * 1024, 256 * 1024);
    let (mut congestion, mut verify) = (CongestionAlgorithm::NewReno, false);
    let mut timeout = Duration::from_secs(120);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if common.take(&arg, &mut args)? {
            continue;
        }
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let size = |v: String| parse_size(&v).ok_or(format!("{arg} {v}: not a size"));
        let secs = |v: String| parse_seconds(&v).ok_or(format!("{arg} {v}: not seconds"));
        match arg.as_str() {
            "--mode" => {
                mode = match value()?.as_str() {
                    "writer" => Mode::Writer,
                    "reader" => Mode::Reader,
                    other => return Err(format!("--mode {other}: writer or reader")),
                }
            }
            "--connect" => {
                let v = value()?;
                let addr = v
                    .parse()
                    .map_err(|_| format!("--connect {v}: not ADDR:PORT"))?;
                peer = Some(Peer::Connect(addr));
            }
            "--listen" => {
                let v = value()?;
                peer = Some(Peer::Listen(
                    v.parse().map_err(|_| format!("--listen {v}: not a port"))?,
                ));
            }
            "--bytes" => bytes = Some(size(value()?)?),
            "--seconds" => seconds = Some(secs(value()?)?),
            "--rx-buffer" => rx_buffer = size(value()?)? as usize,
            "--tx-buffer" => tx_buffer = size(value()?)? as usize,
            "--cc" => {
                congestion = match value()?.as_str() {
                    "newreno" => CongestionAlgorithm::NewReno,
                    "cubic" => CongestionAlgorithm::Cubic,
                    other => return Err(format!("--cc {other}: newreno or cubic")),
                }
            }
            "--verify" => verify = true,
            "--timeout" => timeout = secs(value()?)?,
            "-h" | "--help" => return Err(usage()),
            _ => return Err(format!("unknown argument {arg}\n{}", usage())),
        }
    }
    common.validate()?;
    let peer = peer.ok_or("one of --connect ADDR:PORT or --listen PORT is required")?;
    if mode == Mode::Reader && seconds.is_some() {
        return Err("--seconds is for the writer; the reader reads until the writer's FIN".into());
    }
    if mode == Mode::Writer && bytes.is_none() && seconds.is_none() {
        bytes = Some(1 << 30);
    }
    if rx_buffer == 0 || tx_buffer == 0 {
        return Err("buffers must not be empty".into());
    }
    Ok(Options {
        common,
        mode,
        peer,
        bytes,
        seconds,
        rx_buffer,
        tx_buffer,
        congestion,
        verify,
        timeout,
    })
}

/// The byte stream `offset % 251`, as slices to copy from or compare with.
struct Pattern {
    table: Vec<u8>,
}

impl Pattern {
    fn new() -> Pattern {
        let table = (0..PATTERN_PERIOD + FILL_CHUNK)
            .map(|i| (i % PATTERN_PERIOD) as u8)
            .collect();
        Pattern { table }
    }

    /// The `len` bytes (at most `FILL_CHUNK`) of the stream from `offset` on.
    fn at(&self, offset: u64, len: usize) -> &[u8] {
        let start = (offset % PATTERN_PERIOD as u64) as usize;
        &self.table[start..start + len.min(FILL_CHUNK)]
    }
}

/// How the transfer ended.
enum Outcome {
    Completed,
    Failed(String),
}

/// One direction of bulk transfer over one socket, advanced after every poll.
struct Transfer {
    mode: Mode,
    pattern: Pattern,
    /// Writer: the byte count to send, if not time-bound. Reader: the count expected.
    bytes: Option<u64>,
    seconds: Option<Duration>,
    verify: bool,
    /// Bytes queued (writer) or received (reader).
    moved: u64,
    /// The first offset whose byte differed from the pattern (reader with `--verify`).
    mismatch: Option<u64>,
    started: Option<StdInstant>,
    finished: Option<StdInstant>,
    /// The socket's counters when the clock started: the report counts from there, so a
    /// retransmitted SYN is not charged to the transfer.
    counters_at_start: TcpCounters,
}

impl Transfer {
    /// Moves what can move now; `Some` once the transfer is over (and the connection
    /// closed, or given up on after `CLOSE_GRACE`).
    fn step(&mut self, socket: &mut tcp::Socket<'_>) -> Option<Outcome> {
        let now = StdInstant::now();
        let state = socket.state();
        if self.started.is_none()
            && !matches!(
                state,
                State::Listen | State::SynSent | State::SynReceived | State::Closed
            )
        {
            self.started = Some(now);
            self.counters_at_start = socket.counters();
        }
        if state == State::Closed {
            if let Some(reason) = socket.close_reason() {
                return Some(Outcome::Failed(format!("connection ended: {reason:?}")));
            }
            if self.started.is_some() && self.finished.is_none() {
                return Some(Outcome::Failed("connection closed before the end".into()));
            }
        }
        let started = self.started?;
        if self.finished.is_none() {
            let done = match self.mode {
                Mode::Writer => self.write(socket, now.duration_since(started)),
                Mode::Reader => self.read(socket),
            };
            if done {
                self.finished = Some(now);
            }
        }
        let finished = self.finished?;
        // Stay until the connection has closed cleanly (our FIN and the peer's
        // acknowledged), or the grace has passed; the clock has already stopped.
        let closed = matches!(state, State::Closed | State::TimeWait);
        (closed || now.duration_since(finished) > CLOSE_GRACE).then_some(Outcome::Completed)
    }

    /// Queues more of the stream; true once it is all queued, closed and acknowledged.
    fn write(&mut self, socket: &mut tcp::Socket<'_>, elapsed: Duration) -> bool {
        let time_up = self.seconds.is_some_and(|s| elapsed >= s);
        if socket.may_send() && !time_up {
            while socket.can_send() {
                let left = self.bytes.map_or(u64::MAX, |b| b - self.moved);
                let (pattern, offset) = (&self.pattern, self.moved);
                let queued = socket.send_with(|room| {
                    let n = room
                        .len()
                        .min(FILL_CHUNK)
                        .min(left.try_into().unwrap_or(usize::MAX));
                    room[..n].copy_from_slice(pattern.at(offset, n));
                    (n, n)
                });
                match queued {
                    Ok(n) if n > 0 => self.moved += n as u64,
                    _ => break,
                }
            }
        }
        let all_queued = time_up || self.bytes.is_some_and(|b| self.moved == b);
        if all_queued && socket.may_send() {
            let _ = socket.close();
        }
        // Everything sent, FIN included, is acknowledged once nothing is left queued in
        // FIN-WAIT-2 or later.
        all_queued
            && socket.send_queue() == 0
            && matches!(
                socket.state(),
                State::FinWait2 | State::TimeWait | State::Closed
            )
    }

    /// Takes what arrived; true once the writer's FIN has been read.
    fn read(&mut self, socket: &mut tcp::Socket<'_>) -> bool {
        loop {
            let (pattern, offset, verify) = (&self.pattern, self.moved, self.verify);
            let mut mismatch = None;
            let got = socket.recv_with(|data| {
                let n = data.len().min(FILL_CHUNK);
                if verify && data[..n] != *pattern.at(offset, n) {
                    let at = (0..n).find(|&i| data[i] != pattern.at(offset + i as u64, 1)[0]);
                    mismatch = at.map(|i| offset + i as u64);
                }
                (n, n)
            });
            if self.mismatch.is_none() {
                self.mismatch = mismatch;
            }
            match got {
                Ok(0) => return false,
                Ok(n) => self.moved += n as u64,
                Err(RecvError::Finished) => {
                    let _ = socket.close();
                    return true;
                }
                Err(_) => return false,
            }
        }
    }

    /// The verdict on a transfer that completed.
    fn check(&self) -> Result<(), String> {
        if let Some(offset) = self.mismatch {
            return Err(format!(
                "the byte at offset {offset} is not the writer's pattern"
            ));
        }
        match (self.mode, self.bytes) {
            (Mode::Reader, Some(expected)) if expected != self.moved => Err(format!(
                "expected {expected} bytes, received {}",
                self.moved
            )),
            _ => Ok(()),
        }
    }
}

fn device_stats(device: &AnyDevice) -> PhyStats {
    match device {
        AnyDevice::Tap(d) => d.stats(),
        AnyDevice::AfPacket(d) => d.stats(),
    }
}

fn main() -> ExitCode {
    env_logger::init();
    let opts = match parse() {
        Ok(opts) => opts,
        Err(msg) => {
            eprintln!("benchmark: {msg}");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("benchmark: {msg}");
            ExitCode::FAILURE
        }
    }
}

/// Waits (up to 3 s) until the kernel reports the device's link as up. Opening a TAP
/// raises its carrier, but Linux only starts sending on it once its link watcher has run,
/// up to a second later; a SYN or SYN-ACK sent before that is lost and costs a 1 s
/// retransmission timeout, and starts the connection with a collapsed window.
fn wait_link_up(device: &AnyDevice) {
    let name = match device {
        AnyDevice::Tap(d) => d.name(),
        AnyDevice::AfPacket(d) => d.name(),
    };
    let path = format!("/sys/class/net/{name}/operstate");
    let give_up = StdInstant::now() + Duration::from_secs(3);
    while StdInstant::now() < give_up {
        match std::fs::read_to_string(&path) {
            Ok(state) if state.trim() == "up" => return,
            Ok(_) => std::thread::sleep(Duration::from_millis(5)),
            // No sysfs for this device (another namespace's /sys): nothing to wait for.
            Err(_) => return,
        }
    }
    log::warn!("{name} is still not up; starting anyway");
}

fn run(opts: &Options) -> Result<(), String> {
    let mut device = opts.common.open().map_err(|e| e.to_string())?;
    wait_link_up(&device);
    let clock = Clock::new();
    let mut iface = opts.common.interface(&mut device, clock.now());
    let mut sockets = SocketSet::with_capacity(1, u64::from(std::process::id()));
    let mut socket = tcp::Socket::with_capacity(opts.rx_buffer, opts.tx_buffer);
    let mut config = *socket.config();
    config.congestion = opts.congestion;
    socket.set_config(config);
    if let Peer::Listen(port) = opts.peer {
        socket
            .listen(port)
            .map_err(|e| format!("listen on {port}: {e}"))?;
    }
    let handle = sockets.add_socket(socket).map_err(|e| format!("{e:?}"))?;
    match opts.peer {
        Peer::Connect(addr) => {
            let local = iface
                .tcp_connect(clock.now(), &mut sockets, handle, addr)
                .map_err(|e| format!("connect to {addr}: {e}"))?;
            println!("benchmark: {local} connecting to {addr}");
        }
        Peer::Listen(port) => println!("benchmark: listening on port {port}"),
    }

    let mut transfer = Transfer {
        mode: opts.mode,
        pattern: Pattern::new(),
        bytes: opts.bytes,
        seconds: opts.seconds,
        verify: opts.verify,
        moved: 0,
        mismatch: None,
        started: None,
        finished: None,
        counters_at_start: TcpCounters::default(),
    };
    let give_up = StdInstant::now() + opts.timeout;
    let outcome = loop {
        iface.poll(clock.now(), &mut device, &mut sockets);
        let mut socket = sockets
            .get_mut_as::<tcp::Socket>(handle)
            .expect("live handle");
        if let Some(outcome) = transfer.step(&mut socket) {
            break outcome;
        }
        drop(socket);
        let now = StdInstant::now();
        if now >= give_up {
            break Outcome::Failed(format!("no result after {:?}", opts.timeout));
        }
        let delay = iface
            .poll_delay(clock.now(), &sockets)
            .map_or(give_up - now, |d| Duration::from(d).min(give_up - now));
        skiff_phy::wait(&device, Some(delay)).map_err(|e| format!("wait: {e}"))?;
    };

    let socket = sockets.get_as::<tcp::Socket>(handle).expect("live handle");
    report(opts, &transfer, socket, device_stats(&device));
    if let Outcome::Failed(why) = outcome {
        return Err(why);
    }
    transfer.check()
}

fn report(opts: &Options, transfer: &Transfer, socket: &tcp::Socket<'_>, phy: PhyStats) {
    let role = match opts.mode {
        Mode::Writer => "writer sent",
        Mode::Reader => "reader received",
    };
    let secs = match (transfer.started, transfer.finished) {
        (Some(start), Some(end)) => end.duration_since(start).as_secs_f64(),
        (Some(start), None) => start.elapsed().as_secs_f64(),
        _ => 0.0,
    };
    let gbits = transfer.moved as f64 * 8.0 / secs.max(1e-9) / 1e9;
    println!(
        "benchmark: {role} {} bytes in {secs:.3} s: {gbits:.3} Gbit/s",
        transfer.moved
    );
    let (now, then) = (socket.counters(), transfer.counters_at_start);
    let c = TcpCounters {
        segments_out: now.segments_out.wrapping_sub(then.segments_out),
        segments_in: now.segments_in.wrapping_sub(then.segments_in),
        retransmits: now.retransmits.wrapping_sub(then.retransmits),
        timeouts: now.timeouts.wrapping_sub(then.timeouts),
        fast_retransmits: now.fast_retransmits.wrapping_sub(then.fast_retransmits),
        dropped: now.dropped.wrapping_sub(then.dropped),
        ..now
    };
    let ms = |d: skiff::time::Duration| Duration::from(d).as_secs_f64() * 1e3;
    let srtt = socket
        .rtt_estimate()
        .map_or("-".to_string(), |d| format!("{:.3} ms", ms(d)));
    println!(
        "benchmark: tcp during the transfer: segments out {} in {}, retransmits {} (timeouts {}, fast {}), \
         srtt {srtt}, rto {:.0} ms, cwnd {} bytes, dropped arrivals {}",
        c.segments_out,
        c.segments_in,
        c.retransmits,
        c.timeouts,
        c.fast_retransmits,
        ms(socket.rto()),
        socket.cwnd(),
        c.dropped
    );
    println!(
        "benchmark: device: {} frames out ({} refused), {} frames in ({} read errors)",
        phy.tx_frames, phy.tx_errors, phy.rx_frames, phy.rx_errors
    );
}
