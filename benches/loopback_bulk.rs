//! Bulk TCP between two skiff stacks on an in-memory cable: one connection, payload
//! bytes per second with 64 KiB and with 256 KiB socket buffers (both directions, both
//! ends). Before criterion runs, a counting global allocator proves the steady state
//! allocates nothing: after a warm-up transfer, 1,000 more segments go through the
//! whole path (send buffer, both stacks, the cable, receive buffer) and the allocation
//! count must not move; the bench exits non-zero if it does.
//!
//! ```sh
//! cargo bench --bench loopback_bulk -- --warm-up-time 1 --measurement-time 5
//! ```
//!
//! Time is virtual for the stacks (the loop advances a clock by 10 µs per round while
//! frames are in flight); criterion measures the wall clock. Before criterion, the bench
//! also prints its own median in Gbit/s of payload for each buffer size.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use common::{Host, cable, next_instant};
use criterion::{BenchmarkId, Criterion, Throughput};
use skiff::socket::SocketHandle;
use skiff::socket::tcp::{self, State};
use skiff::time::Instant;

/// Counts every allocation (fresh, zeroed or grown) made by the process.
struct CountingAlloc;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every method forwards to `System` with the caller's own arguments, so
// `System`'s guarantees carry over unchanged; the only addition is a relaxed counter
// increment, which neither allocates nor touches the memory handed out.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which we pass on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from this allocator, i.e. from `System`, with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

const MIB: usize = 1024 * 1024;
/// Bytes per criterion iteration: short enough that a 5 s measurement holds many.
const TRANSFER: usize = 8 * MIB;

/// A server host streaming to a client host over one established TCP connection.
struct Bulk {
    client: Host,
    server: Host,
    hc: SocketHandle,
    hs: SocketHandle,
    now: Instant,
    /// What the server application sends (a repeating pattern, copied in per send).
    pattern: Vec<u8>,
    /// Where the client application reads into.
    sink: Vec<u8>,
}

impl Bulk {
    /// Two hosts and one connection with `buffer`-byte send and receive buffers on
    /// both ends, established (ARP and handshake done).
    fn new(buffer: usize) -> Bulk {
        let (a, b) = cable();
        let mut client = Host::new(a, 1, 4);
        let mut server = Host::new(b, 2, 4);
        let mut listener = tcp::Socket::with_capacity(buffer, buffer);
        listener.listen(80).expect("port 80 free");
        let hs = server.sockets.add_socket(listener).expect("room");
        let remote: SocketAddr = "192.0.2.2:80".parse().expect("literal");
        let local: SocketAddr = "192.0.2.1:40000".parse().expect("literal");
        let mut socket = tcp::Socket::with_capacity(buffer, buffer);
        let cx = client.iface.tcp_context(Instant::ZERO, remote.ip());
        socket.connect(&cx, remote, local).expect("connect");
        let hc = client.sockets.add_socket(socket).expect("room");
        let mut bulk = Bulk {
            client,
            server,
            hc,
            hs,
            now: Instant::ZERO,
            pattern: (0..64 * 1024).map(|i| (i % 251) as u8).collect(),
            sink: vec![0; 64 * 1024],
        };
        for _ in 0..10_000 {
            bulk.round();
            let state = |h: &Host, s| h.sockets.get_as::<tcp::Socket>(s).expect("live").state();
            if state(&bulk.client, hc) == State::Established
                && state(&bulk.server, hs) == State::Established
            {
                return bulk;
            }
        }
        panic!("loopback_bulk: handshake did not complete");
    }

    /// Polls both stacks once and moves the clock on.
    fn round(&mut self) {
        self.client.poll(self.now);
        self.server.poll(self.now);
        self.now = next_instant(self.now, &self.client, &self.server);
    }

    /// Streams `bytes` from server to client; returns the client's frames received.
    fn transfer(&mut self, bytes: usize) -> u64 {
        let frames_before = self.client.iface.counters().rx_frames;
        let (mut sent, mut received) = (0, 0);
        while received < bytes {
            self.client.poll(self.now);
            self.server.poll(self.now);
            {
                let mut s = self
                    .server
                    .sockets
                    .get_mut_as::<tcp::Socket>(self.hs)
                    .expect("live");
                while sent < bytes {
                    let n = (bytes - sent).min(self.pattern.len());
                    match s.send_slice(&self.pattern[..n]) {
                        Ok(0) | Err(_) => break,
                        Ok(k) => sent += k,
                    }
                }
            }
            {
                let mut c = self
                    .client
                    .sockets
                    .get_mut_as::<tcp::Socket>(self.hc)
                    .expect("live");
                while let Ok(n @ 1..) = c.recv_slice(&mut self.sink) {
                    received += n;
                }
            }
            self.now = next_instant(self.now, &self.client, &self.server);
        }
        self.client.iface.counters().rx_frames - frames_before
    }
}

/// Warm up, then count allocations over at least 1,000 more received segments.
fn allocations_per_segment() {
    let mut bulk = Bulk::new(256 * 1024);
    bulk.transfer(TRANSFER);
    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let mut frames = 0;
    while frames < 1_000 {
        frames += bulk.transfer(256 * 1024);
    }
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;
    println!(
        "loopback_bulk: {allocations} heap allocations over {frames} frames received \
         in steady state ({:.4} per segment)",
        allocations as f64 / frames as f64
    );
    if allocations != 0 {
        eprintln!("loopback_bulk: the steady state must not allocate");
        std::process::exit(1);
    }
}

fn bulk(c: &mut Criterion) {
    let mut group = c.benchmark_group("loopback_bulk");
    group.throughput(Throughput::Bytes(TRANSFER as u64));
    for buffer_kib in [64, 256] {
        let mut bulk = Bulk::new(buffer_kib * 1024);
        // Reach the steady-state congestion window before measuring.
        bulk.transfer(TRANSFER);
        group.bench_function(BenchmarkId::new("buffers_KiB", buffer_kib), |b| {
            b.iter(|| bulk.transfer(TRANSFER))
        });
    }
    group.finish();
}

/// Criterion reports bytes per second; the README wants Gbit/s of payload: the median of
/// 9 timed transfers of `TRANSFER` bytes per buffer size, on the bench's own clock.
fn gbits_per_second() {
    for buffer_kib in [64, 256] {
        let mut bulk = Bulk::new(buffer_kib * 1024);
        bulk.transfer(TRANSFER);
        let mut runs: Vec<f64> = (0..9)
            .map(|_| {
                let started = std::time::Instant::now();
                bulk.transfer(TRANSFER);
                TRANSFER as f64 * 8.0 / started.elapsed().as_secs_f64() / 1e9
            })
            .collect();
        runs.sort_by(f64::total_cmp);
        println!(
            "loopback_bulk: {buffer_kib} KiB buffers: median {:.2} Gbit/s of payload \
             (9 transfers of {} MiB; min {:.2}, max {:.2})",
            runs[4],
            TRANSFER / MIB,
            runs[0],
            runs[8]
        );
    }
}

fn main() {
    allocations_per_segment();
    gbits_per_second();
    let mut c = Criterion::default().configure_from_args();
    bulk(&mut c);
    c.final_summary();
}
