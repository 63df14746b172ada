//! Demultiplexing cost against the number of open connections: the time the receiving
//! stack's `Interface::poll` spends per received data segment of one active TCP flow
//! while 1, 100, 1,000 or 10,000 idle, established TCP connections sit in the same
//! socket set. The set's hash index and ready list mean no per-packet walk of the
//! sockets, so the figure must stay flat (DESIGN rule 4; target: 10,000 within 1.2 times
//! the cost at 1). After criterion's figures, the bench takes its own medians and prints
//! the ratio 10,000 / 1.
//!
//! ```sh
//! cargo bench --bench demux_scale -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! The active flow's segments come in runs, so after the first one each is taken by
//! header prediction (`Config::header_prediction`), which checks the one connection it
//! expects and skips the demux; the bench measures that path, then the general one with
//! prediction off, where each lookup is answered by the index's one-entry cache of its
//! last hit. The hash and chain walk are paid when flows interleave (their cost per
//! lookup is checked by the set's unit test
//! `demux_work_per_lookup_does_not_grow_with_the_number_of_sockets`).
//!
//! What one measured poll covers: taking a batch of full-size data segments for the
//! active connection off the cable, demultiplexing each, queueing its payload, and
//! sending the ACKs owed (one per two segments). The sender's work and the receiving
//! application's reads happen between measured polls, off the clock.

mod common;

use std::net::SocketAddr;
use std::time::Duration as WallDuration;

use common::{Host, cable, next_instant};
use criterion::{BenchmarkId, Criterion, Throughput};
use skiff::socket::SocketHandle;
use skiff::socket::tcp::{self, State};
use skiff::time::Instant;

/// Idle connection counts measured.
const IDLE: [usize; 4] = [1, 100, 1_000, 10_000];
/// Bytes the sender queues per measured batch: 32 full segments (1460-byte MSS less
/// 12 bytes of the RFC 7323 timestamp option, on by default).
const BATCH: usize = 32 * 1448;

/// Sender (client, 192.0.2.1) and receiver (server, 192.0.2.2) with `idle` established
/// idle connections between them and one active connection.
struct World {
    client: Host,
    server: Host,
    hc: SocketHandle,
    hs: SocketHandle,
    now: Instant,
    pattern: Vec<u8>,
    sink: Vec<u8>,
}

fn state(host: &Host, h: SocketHandle) -> State {
    host.sockets.get_as::<tcp::Socket>(h).expect("live").state()
}

/// Opens a listener on the server at `ports.0` and connects a client socket to it from
/// `ports.1`, both with `buffer`-byte buffers.
fn connect(
    client: &mut Host,
    server: &mut Host,
    now: Instant,
    ports: (u16, u16),
    buffer: usize,
) -> (SocketHandle, SocketHandle) {
    let mut listener = tcp::Socket::with_capacity(buffer, buffer);
    listener.listen(ports.0).expect("port free");
    let hs = server.sockets.add_socket(listener).expect("room");
    let remote = SocketAddr::from(([192, 0, 2, 2], ports.0));
    let local = SocketAddr::from(([192, 0, 2, 1], ports.1));
    let mut socket = tcp::Socket::with_capacity(buffer, buffer);
    let cx = client.iface.tcp_context(now, remote.ip());
    socket.connect(&cx, remote, local).expect("connect");
    let hc = client.sockets.add_socket(socket).expect("room");
    (hc, hs)
}

/// Polls until every pair is established on both ends and the cable is quiet.
fn settle(
    client: &mut Host,
    server: &mut Host,
    now: &mut Instant,
    pairs: &[(SocketHandle, SocketHandle)],
) {
    for round in 0..1_000_000u32 {
        client.poll(*now);
        server.poll(*now);
        *now = next_instant(*now, client, server);
        if round % 16 == 0
            && client.device.pending() == 0
            && server.device.pending() == 0
            && pairs.iter().all(|&(hc, hs)| {
                state(client, hc) == State::Established && state(server, hs) == State::Established
            })
        {
            return;
        }
    }
    panic!("demux_scale: handshakes did not complete");
}

impl World {
    fn new(idle: usize, prediction: bool) -> World {
        let (a, b) = cable();
        let mut client = Host::new(a, 1, idle + 1);
        let mut server = Host::with_config(b, 2, idle + 1, |c| c.header_prediction = prediction);
        let mut now = Instant::ZERO;
        // The active connection first: it also resolves the neighbours (ARP).
        let (hc, hs) = connect(&mut client, &mut server, now, (80, 40_000), 256 * 1024);
        settle(&mut client, &mut server, &mut now, &[(hc, hs)]);
        // Idle connections: small buffers, each to its own listening port (a listener
        // becomes its connection, as in BSD's accept without a backlog).
        let pairs: Vec<_> = (0..idle as u16)
            .map(|i| {
                connect(
                    &mut client,
                    &mut server,
                    now,
                    (10_000 + i, 20_000 + i),
                    1024,
                )
            })
            .collect();
        settle(&mut client, &mut server, &mut now, &pairs);
        World {
            client,
            server,
            hc,
            hs,
            now,
            pattern: (0..BATCH).map(|i| (i % 251) as u8).collect(),
            sink: vec![0; 64 * 1024],
        }
    }

    /// One batch: the sender queues and transmits (off the clock), the receiver's poll
    /// takes the segments (timed), then the receiving application reads and the sender
    /// takes the ACKs (off the clock). Returns (segments received, time).
    fn batch(&mut self) -> (u64, WallDuration) {
        {
            let mut c = self
                .client
                .sockets
                .get_mut_as::<tcp::Socket>(self.hc)
                .expect("live");
            let _ = c.send_slice(&self.pattern);
        }
        self.client.poll(self.now);
        self.now += skiff::time::Duration::from_micros(10);
        let frames_before = self.server.iface.counters().rx_frames;
        let started = std::time::Instant::now();
        self.server.poll(self.now);
        let elapsed = started.elapsed();
        let frames = self.server.iface.counters().rx_frames - frames_before;
        {
            let mut s = self
                .server
                .sockets
                .get_mut_as::<tcp::Socket>(self.hs)
                .expect("live");
            while let Ok(n @ 1..) = s.recv_slice(&mut self.sink) {
                std::hint::black_box(n);
            }
        }
        self.now = next_instant(self.now, &self.client, &self.server);
        self.client.poll(self.now);
        (frames, elapsed)
    }

    /// Runs batches until at least `segments` were received; returns (count, time).
    fn run(&mut self, segments: u64) -> (u64, WallDuration) {
        let (mut count, mut time) = (0, WallDuration::ZERO);
        while count < segments {
            let (n, t) = self.batch();
            count += n;
            time += t;
        }
        (count, time)
    }
}

/// Median of `samples` measurements of nanoseconds per segment over 2,000 segments.
fn median_ns_per_segment(world: &mut World, samples: usize) -> f64 {
    let mut v: Vec<f64> = (0..samples)
        .map(|_| {
            let (n, t) = world.run(2_000);
            t.as_nanos() as f64 / n as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    let mut medians = Vec::new();
    let mut group = c.benchmark_group("demux_scale");
    group.throughput(Throughput::Elements(1));
    for prediction in [true, false] {
        let path = if prediction { "predicted" } else { "general" };
        for idle in IDLE {
            let setup = std::time::Instant::now();
            let mut world = World::new(idle, prediction);
            let setup = setup.elapsed();
            // Reach the steady-state window before measuring.
            world.run(5_000);
            let id = BenchmarkId::new(format!("{path}/idle_connections"), idle);
            group.bench_function(id, |b| {
                b.iter_custom(|iters| {
                    let (n, t) = world.run(iters);
                    t.mul_f64(iters as f64 / n as f64)
                })
            });
            let median = median_ns_per_segment(&mut world, 21);
            let polls = 100;
            let segments: u64 = (0..polls).map(|_| world.batch().0).sum();
            println!(
                "demux_scale ({path}): {idle} idle connections (set up in {:.2} s, {} sockets \
                 per host): median {median:.1} ns per received segment, {:.1} segments per \
                 measured poll",
                setup.as_secs_f64(),
                world.server.sockets.iter().count(),
                segments as f64 / f64::from(polls),
            );
            medians.push((path, idle, median));
        }
    }
    group.finish();
    println!("\ndemux_scale summary (median ns per received segment, own timing):");
    for (path, idle, median) in &medians {
        println!("  {path:>9}, {idle:>6} idle connections: {median:8.1} ns");
    }
    for path in ["predicted", "general"] {
        let of = |n| {
            medians
                .iter()
                .find(|m| m.0 == path && m.1 == n)
                .map(|m| m.2)
        };
        if let (Some(one), Some(most)) = (of(1), of(10_000)) {
            println!("  {path}: ratio 10,000 / 1: {:.3}", most / one);
        }
    }
    c.final_summary();
}
