//! Connection rate between two skiff stacks on an in-memory cable: each iteration is one
//! whole short-lived TCP connection, the way an HTTP/1.0 client and server use them:
//! the client connects from a fresh ephemeral port (`Interface::tcp_connect`), sends a
//! small request, the server (a `tcp::Listener` over a pool of sockets) accepts, reads
//! it, answers and closes; the client reads the answer and the FIN, then closes. The
//! server, as the active closer, ends in TIME-WAIT and the client in CLOSED; the
//! iteration ends there. Connections per second is the figure.
//!
//! TIME-WAIT must not exhaust the pool: the server retires each socket once its side
//! has closed (`Listener::retire`), and the sockets use an MSL of 1 ms of virtual time (a
//! documented `TcpConfig` knob), so a socket leaves TIME-WAIT after 2 ms and the
//! listener recycles it into the pool, as a real server's would be after 2·MSL. Before criterion runs, the bench makes 2,000 connections on its own clock and
//! checks that every one completed and that the listener never dropped a SYN for want
//! of a socket; it exits non-zero otherwise.
//!
//! ```sh
//! cargo bench --bench connection_rate -- --warm-up-time 1 --measurement-time 5
//! ```

mod common;

use std::net::SocketAddr;

use common::{Host, cable, next_instant};
use criterion::{Criterion, Throughput};
use skiff::socket::SocketHandle;
use skiff::socket::tcp::{self, Listener, State, TcpConfig};
use skiff::time::{Duration, Instant};

const REQUEST: &[u8] = b"GET / HTTP/1.0\r\nHost: 192.0.2.2\r\n\r\n";
const RESPONSE: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 6\r\n\r\nhello\n";
/// Server sockets in the listener's pool: room for the sockets in TIME-WAIT (2 ms of
/// virtual time is a few dozen connections), the backlog and the gate.
const POOL: usize = 64;
const BACKLOG: usize = 8;
/// Socket buffers on both sides: the exchange is a few dozen bytes.
const BUFFER: usize = 4096;
/// Rounds one connection may take before the bench calls it stuck.
const MAX_ROUNDS: u32 = 100_000;

/// A client host with one socket and a server host with a listener's pool.
struct World {
    client: Host,
    server: Host,
    listener: Listener<'static>,
    hc: SocketHandle,
    now: Instant,
    buf: Vec<u8>,
}

fn state(host: &Host, h: SocketHandle) -> State {
    host.sockets.get_as::<tcp::Socket>(h).expect("live").state()
}

impl World {
    fn new() -> World {
        let (a, b) = cable();
        let client = Host::new(a, 1, 2);
        let mut server = Host::new(b, 2, POOL);
        let config = TcpConfig {
            msl: Duration::from_millis(1),
            ..TcpConfig::default()
        };
        let handles: Vec<_> = (0..POOL)
            .map(|_| {
                let mut socket = tcp::Socket::with_capacity(BUFFER, BUFFER);
                socket.set_config(config);
                server.sockets.add_socket(socket).expect("room")
            })
            .collect();
        let listener = Listener::from_handles(80, BACKLOG, handles).expect("port 80");
        let mut client = client;
        let hc = client
            .sockets
            .add_socket(tcp::Socket::with_capacity(BUFFER, BUFFER))
            .expect("room");
        World {
            client,
            server,
            listener,
            hc,
            now: Instant::ZERO,
            buf: vec![0; BUFFER],
        }
    }

    /// One connection from SYN to the client's CLOSED and the server's TIME-WAIT.
    fn connection(&mut self) {
        let remote = SocketAddr::from(([192, 0, 2, 2], 80));
        self.client
            .iface
            .tcp_connect(self.now, &mut self.client.sockets, self.hc, remote)
            .expect("a free ephemeral port");
        let (mut requested, mut closed) = (false, false);
        let mut served: Option<SocketHandle> = None;
        let mut answered = false;
        for _ in 0..MAX_ROUNDS {
            self.client.poll(self.now);
            self.server.poll(self.now);
            self.listener.poll(&mut self.server.sockets);
            if served.is_none() {
                served = self.listener.accept();
            }
            if let Some(hs) = served {
                let mut s = self
                    .server
                    .sockets
                    .get_mut_as::<tcp::Socket>(hs)
                    .expect("live");
                // The request fits one segment; answer once all of it is in.
                if !answered && s.recv_queue() >= REQUEST.len() {
                    let n = s.recv_slice(&mut self.buf).expect("readable");
                    assert_eq!(&self.buf[..n], REQUEST);
                    s.send_slice(RESPONSE).expect("room");
                    s.close().expect("open");
                    answered = true;
                }
            }
            {
                let mut c = self
                    .client
                    .sockets
                    .get_mut_as::<tcp::Socket>(self.hc)
                    .expect("live");
                if !requested && c.may_send() {
                    c.send_slice(REQUEST).expect("room");
                    requested = true;
                }
                while let Ok(n @ 1..) = c.recv_slice(&mut self.buf) {
                    std::hint::black_box(n);
                }
                // The passive close: only after the server's FIN, so that the server
                // alone carries TIME-WAIT.
                if !closed && c.state() == State::CloseWait {
                    c.close().expect("open");
                    closed = true;
                }
            }
            let done = closed
                && state(&self.client, self.hc) == State::Closed
                && served.is_some_and(|hs| {
                    matches!(state(&self.server, hs), State::TimeWait | State::Closed)
                });
            if let (true, Some(hs)) = (done, served) {
                // Done with it, as a server is once its side has closed: the listener takes
                // the socket back when TIME-WAIT has run its course.
                assert!(self.listener.retire(hs));
                return;
            }
            self.now = next_instant(self.now, &self.client, &self.server);
        }
        panic!("connection_rate: a connection did not complete");
    }
}

/// 2,000 connections on the bench's own clock: prints the rate and the virtual time per
/// connection, and fails the bench if the listener ever ran out of sockets.
fn self_check() {
    let mut world = World::new();
    let connections = 2_000;
    let started = std::time::Instant::now();
    let virtual_start = world.now;
    for _ in 0..connections {
        world.connection();
    }
    let wall = started.elapsed();
    let counters = world.listener.counters();
    println!(
        "connection_rate: {connections} connections in {:.1} ms ({:.0} per second), \
         {:.0} µs of virtual time each; listener: {} accepted, {} recycled, {} SYNs \
         dropped for want of a socket",
        wall.as_secs_f64() * 1e3,
        f64::from(connections) / wall.as_secs_f64(),
        (world.now - virtual_start).total_micros() as f64 / f64::from(connections),
        counters.accepted,
        counters.recycled,
        counters.syn_dropped_full,
    );
    if counters.accepted != u64::from(connections as u32) || counters.syn_dropped_full != 0 {
        eprintln!("connection_rate: every connection must be accepted without a drop");
        std::process::exit(1);
    }
}

fn main() {
    self_check();
    let mut c = Criterion::default().configure_from_args();
    let mut group = c.benchmark_group("connection_rate");
    group.throughput(Throughput::Elements(1));
    let mut world = World::new();
    group.bench_function("connect_request_response_close", |b| {
        b.iter(|| world.connection())
    });
    group.finish();
    c.final_summary();
}
