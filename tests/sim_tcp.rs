//! TCP between two skiff stacks over simulated links with loss, duplication,
//! reordering and corruption, over many seeds: both sides send the same amount at once,
//! every byte arrives exactly once and in order both ways, and both ends close cleanly
//! (CLOSED or TIME-WAIT, no reset, no timeout). SACK is on, so losses are repaired by
//! RFC 6675 recovery (CONFORMANCE B4) with the retransmission timer as the fallback.
//! `SKIFF_SEED=<n>` replays one run and writes the link capture to target/.

#![cfg(feature = "sim")]

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;

use skiff::iface::{Config, Counters, Interface};
use skiff::sim::{App, LinkConfig, Network, SimDevice, StackNode, for_each_seed};
use skiff::socket::SocketSet;
use skiff::socket::tcp::{self, EcnMode, State, TcpCounters};
use skiff::time::{Duration, Instant};
use skiff::wire::EthernetAddress;

/// A socket for the runs: default options, but a user timeout (R2, MUST-20) of 30 minutes
/// instead of 5. With 20% loss both ways a run has about a thousand timeouts, Karn's
/// rule keeps the backed-off RTO while nearly every window holds a retransmission, and
/// with the RTO at its 60 s ceiling five losses in a row of a retransmission or its ACK
/// (and, on the IPv6 runs, of the neighbour probes) pass 300 s: about one run in 150 of
/// 16 MiB each way ended by R2, a documented give-up rather than a protocol fault. The
/// one-hour budget of virtual time still catches any real stall.
///
/// For the same reason MSL is 10 minutes instead of 2: the side that closes first waits
/// 2·MSL in TIME-WAIT for the other's FIN, and with the RTO at its 60 s ceiling four
/// losses in a row of that FIN (after the ACKs of the earlier copies were lost) outlast
/// 240 s: the FIN then meets a closed port and draws a RST (seed 545 at 20% loss, once in
/// 2,000 runs with RACK). RFC 9293 behaviour on both sides, not a fault.
fn socket(ecn: EcnMode) -> tcp::Socket<'static> {
    let mut s = tcp::Socket::with_capacity(RX_BYTES, TX_BYTES);
    let config = tcp::TcpConfig {
        user_timeout: Some(Duration::from_secs(1800)),
        msl: Duration::from_secs(600),
        ecn,
        ..*s.config()
    };
    s.set_config(config);
    s
}

/// Ring sizes of both sockets: several segments in flight, so that one window holds
/// several losses at 5% and 20%.
const RX_BYTES: usize = 64 * 1024;
const TX_BYTES: usize = 64 * 1024;

thread_local! {
    /// `Config::header_prediction` and `Config::fast_send` of both stacks of the runs
    /// on this thread.
    static FAST_PATHS: Cell<bool> = const { Cell::new(true) };
    /// Record the link's frames (for the differential test).
    static CAPTURE: Cell<bool> = const { Cell::new(false) };
}

fn stack(n: u8, seed: u64, app: App) -> StackNode {
    let mut dev = SimDevice::new(1514, 256);
    let mac = EthernetAddress([0x02, 0, 0, 0, 0, n]);
    let mut config = Config::new(mac, seed ^ u64::from(n));
    config.header_prediction = FAST_PATHS.get();
    config.fast_send = FAST_PATHS.get();
    let mut iface = Interface::new(config, &mut dev, Instant::ZERO);
    iface.add_ip_addr(format!("192.0.2.{n}/24").parse().unwrap());
    iface.add_ip_addr(format!("2001:db8::{n}/64").parse().unwrap());
    StackNode::new(iface, SocketSet::with_capacity(4, seed), app)
}

/// The byte at offset `i` of the stream a side sends (`salt` differs per direction).
fn byte(i: usize, salt: usize) -> u8 {
    (i.wrapping_add(salt).wrapping_mul(2_654_435_761) >> 13) as u8
}

/// What one side saw.
#[derive(Default, Clone, Copy)]
struct Side {
    received: usize,
    corrupt_at: Option<usize>,
    state: Option<State>,
    reset: bool,
    reason: Option<tcp::CloseReason>,
    counters: TcpCounters,
}

#[derive(Default)]
struct Outcome {
    client: Side,
    server: Side,
    /// The interfaces' counters at the end (client, server).
    ifaces: [Counters; 2],
    /// The link's frames, when `CAPTURE` is set.
    capture: Vec<u8>,
}

/// One endpoint's application: send `len` bytes of its stream, read the peer's `len`,
/// close once everything is queued. `salt` picks the stream each side sends.
struct Endpoint {
    sent: usize,
    len: usize,
    salt_out: usize,
    salt_in: usize,
}

impl Endpoint {
    fn pump(&mut self, s: &mut tcp::Socket<'static>, side: &mut Side) {
        while s.can_send() && self.sent < self.len {
            let (sent, len, salt) = (self.sent, self.len, self.salt_out);
            let n = s
                .send_with(|buf| {
                    let n = buf.len().min(len - sent);
                    for (k, b) in buf[..n].iter_mut().enumerate() {
                        *b = byte(sent + k, salt);
                    }
                    (n, n)
                })
                .unwrap_or(0);
            if n == 0 {
                break;
            }
            self.sent += n;
        }
        let salt_in = self.salt_in;
        while let Ok(n) = s.recv_with(|buf| {
            for (k, b) in buf.iter().enumerate() {
                if *b != byte(side.received + k, salt_in) && side.corrupt_at.is_none() {
                    side.corrupt_at = Some(side.received + k);
                }
            }
            side.received += buf.len();
            (buf.len(), buf.len())
        }) {
            if n == 0 {
                break;
            }
        }
        if self.sent == self.len && s.may_send() && s.state() != State::SynSent {
            let _ = s.close();
        }
        side.state = Some(s.state());
        side.reset |= s.close_reason().is_some();
        side.reason = side.reason.or(s.close_reason());
        side.counters = s.counters();
    }
}

/// Both sides send `len` bytes to each other at once and close. The interface is
/// captured through a shared cell because `StackNode` owns it.
fn run(
    seed: u64,
    link: LinkConfig,
    len: usize,
    v6: bool,
    budget: Duration,
) -> (Outcome, Network<StackNode>) {
    run_with(seed, link, len, v6, budget, EcnMode::default())
}

/// [`run`] with the client's ECN mode (the server takes the default, which agrees when
/// asked).
fn run_with(
    seed: u64,
    link: LinkConfig,
    len: usize,
    v6: bool,
    budget: Duration,
    client_ecn: EcnMode,
) -> (Outcome, Network<StackNode>) {
    let out = Rc::new(RefCell::new(Outcome::default()));
    let (server_addr, client_addr): (SocketAddr, SocketAddr) = if v6 {
        (
            "[2001:db8::2]:80".parse().unwrap(),
            "[2001:db8::1]:40000".parse().unwrap(),
        )
    } else {
        (
            "192.0.2.2:80".parse().unwrap(),
            "192.0.2.1:40000".parse().unwrap(),
        )
    };

    let o = out.clone();
    let mut server = None;
    let mut server_end = Endpoint {
        sent: 0,
        len,
        salt_out: 1,
        salt_in: 0,
    };
    let server_app: App = Box::new(move |_now, sockets: &mut SocketSet<'static>| {
        let h = *server.get_or_insert_with(|| {
            let mut s = socket(EcnMode::default());
            s.listen(80).unwrap();
            sockets.add_socket(s).unwrap()
        });
        let mut s = sockets.get_mut_as::<tcp::Socket>(h).unwrap();
        if s.state() != State::Listen {
            server_end.pump(&mut s, &mut o.borrow_mut().server);
        }
        None
    });

    let o = out.clone();
    let mut client = None;
    let mut client_end = Endpoint {
        sent: 0,
        len,
        salt_out: 0,
        salt_in: 1,
    };
    let client_app: App = Box::new(move |_now, sockets: &mut SocketSet<'static>| {
        let h = *client.get_or_insert_with(|| sockets.add_socket(socket(client_ecn)).unwrap());
        let mut s = sockets.get_mut_as::<tcp::Socket>(h).unwrap();
        if s.state() == State::Closed && client_end.sent == 0 && s.close_reason().is_none() {
            // Connect on the first run; the context's clock and MSS come from the interface,
            // which the app cannot reach here, so a fixed context stands in (ISN key fixed
            // per seed is fine for a simulation).
            let cx = tcp::TcpContext {
                now: Instant::ZERO,
                isn_key: [seed, !seed],
                mss: if v6 { 1440 } else { 1460 },
                ecn: 0,
            };
            s.connect(&cx, server_addr, client_addr).unwrap();
        }
        client_end.pump(&mut s, &mut o.borrow_mut().client);
        None
    });

    let mut net = Network::new(seed);
    let a = net.add_node(stack(1, seed, client_app));
    let b = net.add_node(stack(2, seed, server_app));
    let l = net.connect(a, b, link);
    let replay = std::env::var("SKIFF_SEED").is_ok();
    if replay || CAPTURE.get() {
        net.link_mut(l).unwrap().enable_capture();
    }
    let o2 = out.clone();
    net.run_until(move |_| finished(&o2.borrow(), len), budget);
    if replay {
        let _ = net.write_captures("target");
    }
    let mut outcome = std::mem::take(&mut *out.borrow_mut());
    outcome.ifaces = [a, b].map(|n| net.node(n).unwrap().iface.counters().clone());
    if CAPTURE.get() {
        outcome.capture = net.link(l).unwrap().capture().unwrap_or_default().to_vec();
    }
    (outcome, net)
}

fn closed(state: Option<State>) -> bool {
    matches!(state, Some(State::Closed | State::TimeWait))
}

fn finished(o: &Outcome, len: usize) -> bool {
    let done = |s: &Side| s.received == len && closed(s.state);
    (done(&o.client) && done(&o.server)) || o.client.reset || o.server.reset
}

fn check(o: &Outcome, len: usize) -> Result<(), String> {
    for (name, side) in [("client", &o.client), ("server", &o.server)] {
        if let Some(at) = side.corrupt_at {
            return Err(format!("{name}: byte {at} arrived wrong"));
        }
        if side.received != len || !closed(side.state) || side.reset {
            return Err(format!(
                "{name}: {} of {len} bytes arrived, ended in {:?} ({:?}); client {:?}, \
                 server {:?}",
                side.received, side.state, side.reason, o.client.state, o.server.state
            ));
        }
    }
    // An orderly close leaves at least one side in TIME-WAIT (both after a simultaneous
    // close): never both CLOSED.
    if o.client.state == Some(State::Closed) && o.server.state == Some(State::Closed) {
        return Err("both sides CLOSED: no side went through TIME-WAIT".into());
    }
    Ok(())
}

fn lossy(loss_ppm: u32) -> LinkConfig {
    LinkConfig {
        loss_ppm,
        duplicate_ppm: 10_000,
        reorder_ppm: 20_000,
        corrupt_ppm: 5_000,
        latency: Duration::from_millis(5),
        jitter: Duration::from_millis(2),
        bandwidth_bytes_per_sec: Some(10_000_000),
        ..LinkConfig::default()
    }
}

/// A 10 MB/s bottleneck with a 40-frame queue, 5 ms each way: the window outgrows the
/// queue, so without ECN the queue overflows; with `ce_threshold` the link marks
/// ECN-capable packets once 10 frames wait, as an ECN-capable AQM router would.
fn bottleneck(mark: bool) -> LinkConfig {
    LinkConfig {
        latency: Duration::from_millis(5),
        bandwidth_bytes_per_sec: Some(10_000_000),
        queue_limit: 40,
        ce_threshold: mark.then_some(10),
        ..LinkConfig::default()
    }
}

#[test]
fn ecn_marks_instead_of_drops_keep_a_bottleneck_queue_from_overflowing() {
    // SHLD-8 (RFC 3168): with ECN agreed, the senders back off at the CE marks and the
    // drop-tail queue behind them never fills; without ECN the same link drops.
    const LEN: usize = 2 * 1024 * 1024;
    let (mut drops_without, mut marked, mut reductions) = (0, 0, 0);
    for seed in 0..8u64 {
        let v6 = seed % 2 == 1;
        let (o, net) = run_with(seed, bottleneck(true), LEN, v6, BUDGET, EcnMode::Request);
        check(&o, LEN).unwrap_or_else(|e| panic!("seed {seed} with ECN: {e}"));
        let stats = net.links().next().expect("one link").1.stats();
        assert!(
            stats.ce_marked > 0,
            "seed {seed}: the queue never reached the mark"
        );
        marked += stats.ce_marked;
        assert_eq!(
            stats.queue_drops, 0,
            "seed {seed}: ECN still overflowed the queue"
        );
        for side in [&o.client, &o.server] {
            assert!(
                side.counters.ecn_reductions > 0,
                "seed {seed}: {:?}",
                side.counters
            );
            assert_eq!(
                side.counters.retransmits, 0,
                "seed {seed}: nothing was lost"
            );
            reductions += side.counters.ecn_reductions;
        }
        let (o, net) = run_with(seed, bottleneck(false), LEN, v6, BUDGET, EcnMode::Off);
        check(&o, LEN).unwrap_or_else(|e| panic!("seed {seed} without ECN: {e}"));
        drops_without += net.links().next().expect("one link").1.stats().queue_drops;
    }
    eprintln!(
        "8 runs of 2 MiB each way: {marked} CE marks, {reductions} ECN window reductions, 0 drops with ECN; {drops_without} queue drops without"
    );
    assert!(
        drops_without > 0,
        "the bottleneck must overflow without ECN"
    );
}

/// The simulated-time budget of one run: generous, so that a run that fails did stall.
const BUDGET: Duration = Duration::from_secs(3600);

fn many_seeds(count: u64, loss_ppm: u32, len: usize) {
    for_each_seed(count, |seed| {
        let v6 = seed % 2 == 1;
        let (o, _) = run(seed, lossy(loss_ppm), len, v6, BUDGET);
        check(&o, len)
    });
}

/// Header prediction on receive and bursts with header templates on send
/// (`Config::header_prediction`, `Config::fast_send`) are shortcuts, never different
/// decisions: the same runs with them on and off put the same frames on the wire, byte
/// for byte and at the same virtual instants, and end with the same counters (but the
/// count of predicted segments), at every loss rate, over IPv4 and IPv6.
fn fast_paths_change_nothing_on_the_wire(seeds: u64, loss_ppm: u32, len: usize) {
    let (mut predicted, mut templated) = (0, 0);
    for seed in 0..seeds {
        let v6 = seed % 2 == 1;
        let mut runs = [true, false].map(|on| {
            FAST_PATHS.set(on);
            CAPTURE.set(true);
            let (o, _) = run(seed, lossy(loss_ppm), len, v6, BUDGET);
            FAST_PATHS.set(true);
            CAPTURE.set(false);
            o
        });
        let [with, without] = &mut runs;
        check(with, len).unwrap_or_else(|e| panic!("seed {seed}, prediction on: {e}"));
        assert!(!with.capture.is_empty());
        assert!(
            with.capture == without.capture,
            "seed {seed} ({loss_ppm} ppm, v6 {v6}): the frames differ with the fast paths on"
        );
        for (on, off) in with.ifaces.iter_mut().zip(&without.ifaces) {
            assert_eq!((off.rx_predicted, off.tx_templated), (0, 0));
            predicted += on.rx_predicted;
            templated += on.tx_templated;
            (on.rx_predicted, on.tx_templated) = (0, 0);
            assert_eq!(on, off, "seed {seed}: the interface counters differ");
        }
        for (on, off) in [
            (&with.client, &without.client),
            (&with.server, &without.server),
        ] {
            assert_eq!(
                on.counters, off.counters,
                "seed {seed}: the TCP counters differ"
            );
        }
    }
    // The comparison means something only if the shortcut was taken.
    assert!(predicted > 0, "no segment was predicted");
    assert!(templated > 0, "no segment was built from a template");
}

#[test]
fn fast_paths_change_no_frame_over_a_clean_link() {
    fast_paths_change_nothing_on_the_wire(8, 0, 64 * 1024);
    fast_paths_change_nothing_on_the_wire(8, 0, 256 * 1024);
}

#[test]
fn fast_paths_change_no_frame_under_loss_reordering_and_corruption() {
    for loss_ppm in [10_000, 50_000, 200_000] {
        fast_paths_change_nothing_on_the_wire(12, loss_ppm, 64 * 1024);
    }
}

#[test]
fn tcp_delivers_every_byte_once_in_order_over_a_clean_link() {
    many_seeds(20, 0, 256 * 1024);
}

#[test]
fn tcp_delivers_every_byte_once_in_order_with_1_percent_loss() {
    many_seeds(300, 10_000, 64 * 1024);
}

#[test]
fn tcp_delivers_every_byte_once_in_order_with_5_percent_loss() {
    many_seeds(300, 50_000, 64 * 1024);
}

#[test]
fn tcp_delivers_every_byte_once_in_order_with_20_percent_loss() {
    many_seeds(100, 200_000, 32 * 1024);
}

/// Seeds per loss rate of the release-only runs below: `SKIFF_SIM_SEEDS`, default 250
/// (1,000 runs of 16 MiB each way in all; about 0.1–0.2 s each in release on the
/// 2-core machine).
fn release_seeds() -> u64 {
    env_num("SKIFF_SIM_SEEDS", 250)
}

/// Issue 5's simulation at full size, for CI: 16 MiB each way per run. Release only (a
/// debug build is about 35 times slower): `cargo test --release --features sim --test
/// sim_tcp`.
fn sixteen_mib_each_way(loss_ppm: u32) {
    many_seeds(release_seeds(), loss_ppm, 16 * 1024 * 1024);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only")]
fn tcp_delivers_16_mib_each_way_over_a_clean_link_over_many_seeds() {
    sixteen_mib_each_way(0);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only")]
fn tcp_delivers_16_mib_each_way_with_1_percent_loss_over_many_seeds() {
    sixteen_mib_each_way(10_000);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only")]
fn tcp_delivers_16_mib_each_way_with_5_percent_loss_over_many_seeds() {
    sixteen_mib_each_way(50_000);
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only")]
fn tcp_delivers_16_mib_each_way_with_20_percent_loss_over_many_seeds() {
    sixteen_mib_each_way(200_000);
}

/// Reads a number from the environment, with a default.
fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The long soak: 16 MiB each way per run under 0, 1, 5 and 20% loss, counting passes
/// instead of stopping at the first failure. Minutes per seed and loss rate:
/// `cargo test --features sim --release --test sim_tcp -- --ignored --nocapture`.
/// `SKIFF_SOAK_SEEDS` (default 20), `SKIFF_SOAK_FIRST` (first seed, default 0),
/// `SKIFF_SOAK_MIB` (default 16) and `SKIFF_SOAK_LOSS_PPM` (one rate instead of all four)
/// change the run.
#[test]
#[ignore]
fn soak_tcp_16_mib_each_way_under_every_loss_rate() {
    let seeds = env_num("SKIFF_SOAK_SEEDS", 20);
    let first = env_num("SKIFF_SOAK_FIRST", 0);
    let len = usize::try_from(env_num("SKIFF_SOAK_MIB", 16)).unwrap() * 1024 * 1024;
    let rates = match std::env::var("SKIFF_SOAK_LOSS_PPM") {
        Ok(v) => vec![v.parse().unwrap()],
        Err(_) => vec![0, 10_000, 50_000, 200_000],
    };
    let mut failures = Vec::new();
    for loss in rates {
        let started = std::time::Instant::now();
        let mut passed = 0;
        let mut sums = TcpCounters::default();
        let mut virtual_secs = 0.0;
        for seed in first..first + seeds {
            let (o, net) = run(seed, lossy(loss), len, seed % 2 == 1, BUDGET);
            virtual_secs += net.now().total_micros() as f64 / 1e6;
            let c = o.client.counters;
            sums.timeouts += c.timeouts;
            sums.retransmits += c.retransmits;
            sums.sack_recoveries += c.sack_recoveries;
            sums.lost_retransmits += c.lost_retransmits;
            sums.tlp_probes += c.tlp_probes;
            sums.rack_recoveries += c.rack_recoveries;
            sums.reorder_timeouts += c.reorder_timeouts;
            sums.tlp_repairs += c.tlp_repairs;
            sums.negative_advice += c.negative_advice;
            match check(&o, len) {
                Ok(()) => passed += 1,
                Err(e) => failures.push(format!("loss {loss} ppm, SKIFF_SEED={seed}: {e}")),
            }
        }
        println!(
            "loss {loss:>6} ppm, {} MiB each way: {passed}/{seeds} passed in {:.1} s \
             ({:.1} virtual s/run); client per run: {:.1} timeouts, {:.0} retransmits, \
             {:.1} SACK recoveries ({:.1} by RACK), {:.1} lost retransmits, {:.1} reordering \
             timeouts, {:.1} tail loss probes ({:.1} repaired a loss alone), {:.2} R1 negative \
             advices",
            len >> 20,
            started.elapsed().as_secs_f64(),
            virtual_secs / seeds as f64,
            sums.timeouts as f64 / seeds as f64,
            sums.retransmits as f64 / seeds as f64,
            sums.sack_recoveries as f64 / seeds as f64,
            sums.rack_recoveries as f64 / seeds as f64,
            sums.lost_retransmits as f64 / seeds as f64,
            sums.reorder_timeouts as f64 / seeds as f64,
            sums.tlp_probes as f64 / seeds as f64,
            sums.tlp_repairs as f64 / seeds as f64,
            sums.negative_advice as f64 / seeds as f64,
        );
    }
    assert!(failures.is_empty(), "failures:\n{}", failures.join("\n"));
}
