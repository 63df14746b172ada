//! TCP interop with the Linux kernel at full size: 1 GiB each way with the stack as
//! server and as client (checked by SHA-256 of both directions and, on the stack side,
//! byte for byte), and 200 concurrent Linux connections to one `tcp::Listener`.
//!
//! Same harness and namespace rules as `interop_tcp.rs`: every test makes its own
//! network namespace and deletes it when done, even on failure. Throughput is printed,
//! never asserted.

#[macro_use]
mod common;

use std::net::SocketAddr;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::*;
use sha2::{Digest, Sha256};
use skiff::iface::Interface;
use skiff::socket::tcp::{self, Listener, RecvError, State};
use skiff::socket::{SocketHandle, SocketSet};
use skiff::time::Instant;

const GIB: u64 = 1024 * 1024 * 1024;
const LINUX_TCP_PORT: u16 = 9001;

/// Connects to (host, port), streams `n` bytes of a seeded random stream (1 MiB
/// chunks, never all in memory) while a thread reads the echo, hashes both directions
/// with SHA-256, shuts its sending side down (Linux closes first) and compares. Prints
/// `OK <seconds> <sha256>`.
const PY_STREAM_ECHO_CLIENT: &str = r#"
import hashlib, random, socket, sys, threading, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(11)
s = socket.create_connection((host, port), timeout=60)
got = [0, hashlib.sha256()]
def reader():
    while True:
        b = s.recv(1 << 18)
        if not b:
            break
        got[0] += len(b)
        got[1].update(b)
t0 = time.monotonic()
th = threading.Thread(target=reader)
th.start()
sent = hashlib.sha256()
left = n
while left > 0:
    chunk = rng.randbytes(min(left, 1 << 20))
    sent.update(chunk)
    s.sendall(chunk)
    left -= len(chunk)
s.shutdown(socket.SHUT_WR)
th.join()
dt = time.monotonic() - t0
s.close()
if got[0] != n:
    sys.exit("echo incomplete: %d of %d bytes back" % (got[0], n))
if got[1].digest() != sent.digest():
    sys.exit("echo differs: sha256 %s sent, %s back" % (sent.hexdigest(), got[1].hexdigest()))
print("OK %.6f %s" % (dt, sent.hexdigest()))
"#;

/// `count` connections to (host, port) that are all open at once: each connects, waits
/// at a barrier until every one has connected, then sends a line, reads it back and
/// closes; `waves` times. Prints the number that succeeded.
const PY_CONCURRENT_CLIENTS: &str = r#"
import socket, sys, threading
host, port, count, waves = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok, errors = [], []
def one(i, barrier):
    try:
        s = socket.create_connection((host, port), timeout=30)
    except Exception as e:
        errors.append("%d: connect: %s" % (i, e))
        barrier.abort()
        return
    try:
        barrier.wait(timeout=30)
        line = ("connection %d says hello %s\n" % (i, "x" * (i % 97))).encode()
        s.sendall(line)
        got = b""
        while len(got) < len(line):
            b = s.recv(4096)
            if not b:
                break
            got += b
        s.close()
        (ok if got == line else errors).append("%d: got %r" % (i, got))
    except Exception as e:
        errors.append("%d: %s" % (i, e))
for w in range(waves):
    barrier = threading.Barrier(count)
    threads = [threading.Thread(target=one, args=(w * count + i, barrier)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(len(ok))
for e in errors[:10]:
    print(e, file=sys.stderr)
sys.exit(0 if not errors else 1)
"#;

// ---------------------------------------------------------------------------------------
// Stack side

/// A one-connection echo server on `port` that only counts and hashes what it echoes
/// (the Linux client compares both directions). Closes after the peer; done once CLOSED.
struct StreamEchoServer {
    port: u16,
    handle: Option<SocketHandle>,
    pending: Vec<u8>,
    echoed: u64,
    connected: bool,
    states: Vec<State>,
    finished: bool,
    counters: Option<tcp::TcpCounters>,
}

impl App for StreamEchoServer {
    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let mut s = tcp::Socket::with_capacity(256 * 1024, 256 * 1024);
        s.listen(self.port).expect("port free");
        self.handle = Some(sockets.add_socket(s).expect("room"));
    }

    fn step(&mut self, _: Instant, _: &Interface<'_>, sockets: &mut SocketSet<'static>) -> bool {
        let h = self.handle.expect("set up");
        let mut s = sockets.get_mut_as::<tcp::Socket>(h).expect("live");
        if self.states.last() != Some(&s.state()) {
            self.states.push(s.state());
        }
        self.connected |= s.state() == State::Established;
        if self.connected && !self.finished {
            let (n, result) = echo_some(&mut s, &mut self.pending);
            self.echoed += n as u64;
            self.finished = result == Err(RecvError::Finished);
        }
        if self.finished && self.pending.is_empty() && s.may_send() {
            s.close().expect("open");
        }
        let done = self.connected && s.state() == State::Closed;
        if done {
            self.counters = Some(s.counters());
        }
        done
    }
}

/// A byte stream that can be regenerated from its seed: xorshift64, eight bytes a step.
struct Stream {
    state: u64,
    buf: [u8; 8],
    used: usize,
}

impl Stream {
    fn new(seed: u64) -> Stream {
        Stream {
            state: seed | 1,
            buf: [0; 8],
            used: 8,
        }
    }

    fn fill(&mut self, out: &mut [u8]) {
        for byte in out {
            if self.used == 8 {
                self.state ^= self.state << 13;
                self.state ^= self.state >> 7;
                self.state ^= self.state << 17;
                self.buf = self.state.to_le_bytes();
                self.used = 0;
            }
            *byte = self.buf[self.used];
            self.used += 1;
        }
    }
}

/// Connects to `remote`, streams `total` bytes of a seeded pattern through the echo,
/// compares what comes back byte for byte with the regenerated pattern and hashes both
/// directions, then closes first. Done in TIME-WAIT or CLOSED.
struct StreamEchoClient {
    remote: SocketAddr,
    local: SocketAddr,
    total: u64,
    handle: Option<SocketHandle>,
    out: Stream,
    expect: Stream,
    /// Generated but not yet taken by the send buffer.
    unsent: Vec<u8>,
    sent: u64,
    received: u64,
    mismatch_at: Option<u64>,
    sent_hash: Sha256,
    received_hash: Sha256,
    started: Option<StdInstant>,
    elapsed: Option<StdDuration>,
    closed: bool,
    end_state: Option<State>,
    counters: Option<tcp::TcpCounters>,
}

impl StreamEchoClient {
    fn new(remote: SocketAddr, local: SocketAddr, total: u64) -> StreamEchoClient {
        StreamEchoClient {
            remote,
            local,
            total,
            handle: None,
            out: Stream::new(5),
            expect: Stream::new(5),
            unsent: Vec::new(),
            sent: 0,
            received: 0,
            mismatch_at: None,
            sent_hash: Sha256::new(),
            received_hash: Sha256::new(),
            started: None,
            elapsed: None,
            closed: false,
            end_state: None,
            counters: None,
        }
    }

    fn send_some(&mut self, s: &mut tcp::Socket<'_>) {
        while s.can_send() {
            if self.unsent.is_empty() {
                let n = (self.total - self.sent).min(64 * 1024) as usize;
                if n == 0 {
                    return;
                }
                self.unsent.resize(n, 0);
                self.out.fill(&mut self.unsent);
                self.sent_hash.update(&self.unsent);
                self.sent += n as u64;
            }
            match s.send_slice(&self.unsent) {
                Ok(0) | Err(_) => return,
                Ok(n) => drop(self.unsent.drain(..n)),
            }
        }
    }

    fn receive_some(&mut self, s: &mut tcp::Socket<'_>) {
        let mut buf = [0u8; 65536];
        let mut want = [0u8; 65536];
        while let Ok(n) = s.recv_slice(&mut buf) {
            if n == 0 {
                break;
            }
            self.expect.fill(&mut want[..n]);
            if self.mismatch_at.is_none() && buf[..n] != want[..n] {
                let i = buf[..n].iter().zip(&want[..n]).position(|(a, b)| a != b);
                self.mismatch_at = Some(self.received + i.unwrap_or(0) as u64);
            }
            self.received_hash.update(&buf[..n]);
            self.received += n as u64;
        }
    }
}

impl App for StreamEchoClient {
    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let s = tcp::Socket::with_capacity(256 * 1024, 256 * 1024);
        self.handle = Some(sockets.add_socket(s).expect("room"));
    }

    fn step(
        &mut self,
        now: Instant,
        iface: &Interface<'_>,
        sockets: &mut SocketSet<'static>,
    ) -> bool {
        let h = self.handle.expect("set up");
        let mut s = sockets.get_mut_as::<tcp::Socket>(h).expect("live");
        connect_once(
            &mut s,
            &mut self.started,
            (now, iface),
            self.remote,
            self.local,
        );
        self.send_some(&mut s);
        self.receive_some(&mut s);
        if !self.closed && self.received >= self.total {
            self.elapsed = self.started.map(|t| t.elapsed());
            s.close().expect("open");
            self.closed = true;
        }
        let state = s.state();
        let done = (self.closed && matches!(state, State::TimeWait | State::Closed))
            || (!self.closed && state == State::Closed);
        if done {
            self.end_state = Some(state);
            self.counters = Some(s.counters());
        }
        done
    }
}

/// A `tcp::Listener` on `port` over a pool of `pool` sockets: accepts, echoes each
/// connection, closes after the peer and hands the socket back to the pool.
struct ListenerEcho {
    port: u16,
    pool: usize,
    backlog: usize,
    listener: Option<Listener<'static>>,
    conns: Vec<(SocketHandle, Vec<u8>)>,
    most_open: usize,
    served: u64,
    resets: u64,
}

impl App for ListenerEcho {
    fn socket_capacity(&self) -> usize {
        self.pool
    }

    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let handles: Vec<SocketHandle> = (0..self.pool)
            .map(|_| {
                let s = tcp::Socket::with_capacity(4096, 4096);
                sockets.add_socket(s).expect("room")
            })
            .collect();
        let listener = Listener::from_handles(self.port, self.backlog, handles).expect("port");
        self.listener = Some(listener);
    }

    fn step(&mut self, _: Instant, _: &Interface<'_>, sockets: &mut SocketSet<'static>) -> bool {
        let listener = self.listener.as_mut().expect("set up");
        let (served, resets) = (&mut self.served, &mut self.resets);
        self.conns.retain_mut(|(h, pending)| {
            let mut s = sockets.get_mut_as::<tcp::Socket>(*h).expect("live");
            if s.state() == State::Closed {
                if s.close_reason().is_some() {
                    *resets += 1;
                } else {
                    *served += 1;
                }
                drop(s);
                listener.release(*h, sockets);
                return false;
            }
            let (_, result) = echo_some(&mut s, pending);
            if result == Err(RecvError::Finished) && pending.is_empty() && s.may_send() {
                s.close().expect("open");
            }
            true
        });
        listener.poll(sockets);
        while let Some(h) = listener.accept() {
            self.conns.push((h, Vec::new()));
        }
        self.most_open = self.most_open.max(self.conns.len());
        false
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios

#[test]
fn tap_linux_streams_1_gib_each_way_through_the_stack_echo_server_checked_by_sha256() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-gib-srv");
    let stack = StackThread::start(
        &ns,
        Wire::Tap,
        StreamEchoServer {
            port: ECHO_PORT,
            handle: None,
            pending: Vec::new(),
            echoed: 0,
            connected: false,
            states: Vec::new(),
            finished: false,
            counters: None,
        },
    );
    let client = LinuxProcess::python(
        &ns,
        PY_STREAM_ECHO_CLIENT,
        &[STACK_V4, &ECHO_PORT.to_string(), &GIB.to_string()],
    );
    let (ok, out, err) = client.wait(StdDuration::from_secs(900));
    let (server, counters) = stack.finish(StdDuration::from_secs(5));
    let out = String::from_utf8_lossy(&out);
    assert!(
        ok,
        "Linux client failed: {out}{err}\nstack states {:?}\n{counters}",
        server.states
    );
    let mut fields = out.split_whitespace().skip(1);
    let secs: f64 = fields
        .next()
        .and_then(|t| t.parse().ok())
        .expect("OK <seconds>");
    println!(
        "TAP IPv4: Linux -> stack echo of 1 GiB in {secs:.1} s: {:.1} MB/s each way, sha256 {}; {:?}",
        GIB as f64 / 1e6 / secs,
        fields.next().unwrap_or("?"),
        server.counters
    );
    assert_eq!(server.echoed, GIB);
    assert_eq!(
        server.states.last(),
        Some(&State::Closed),
        "{:?}",
        server.states
    );
}

#[test]
fn tap_the_stack_streams_1_gib_each_way_through_a_socat_echo_checked_by_sha256() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-gib-cli");
    // socat echoes through one pipe; -b 4096 keeps each write within PIPE_BUF (see
    // interop_tcp.rs).
    let socat = LinuxProcess::spawn(
        &ns,
        "socat",
        &[
            "-b",
            "4096",
            &format!("TCP-LISTEN:{LINUX_TCP_PORT},reuseaddr"),
            "PIPE",
        ],
    );
    wait_for_listener(&ns, LINUX_TCP_PORT);
    let remote: SocketAddr = format!("{LINUX_V4}:{LINUX_TCP_PORT}")
        .parse()
        .expect("literal");
    let local: SocketAddr = format!("{STACK_V4}:49160").parse().expect("literal");
    let stack = StackThread::start(&ns, Wire::Tap, StreamEchoClient::new(remote, local, GIB));
    let (client, counters) = stack.finish(StdDuration::from_secs(900));
    let (socat_ok, _, socat_err) = socat.wait(StdDuration::from_secs(5));
    let elapsed = client.elapsed.unwrap_or_default();
    let sent = client.sent_hash.clone().finalize();
    let received = client.received_hash.clone().finalize();
    println!(
        "TAP IPv4: stack -> socat echo of 1 GiB in {:.1} s: {:.1} MB/s each way; sha256 {}; {:?}",
        elapsed.as_secs_f64(),
        GIB as f64 / 1e6 / elapsed.as_secs_f64().max(1e-9),
        sent.iter().map(|b| format!("{b:02x}")).collect::<String>(),
        client.counters
    );
    assert_eq!(client.sent, GIB, "{counters}");
    assert_eq!(client.received, GIB, "echo incomplete\n{counters}");
    assert_eq!(client.mismatch_at, None, "echo differs from the pattern");
    assert_eq!(
        sent, received,
        "SHA-256 of the echo differs from what was sent"
    );
    assert!(
        matches!(client.end_state, Some(State::TimeWait | State::Closed)),
        "stack ended in {:?}",
        client.end_state
    );
    assert!(socat_ok, "socat did not exit cleanly: {socat_err}");
}

#[test]
fn tap_200_concurrent_linux_connections_are_served_through_one_listener() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-listener");
    let app = ListenerEcho {
        port: ECHO_PORT,
        // The pool keeps one socket as the gate that drops SYNs when full, so 201
        // sockets serve 200 connections at once.
        pool: 201,
        backlog: 256,
        listener: None,
        conns: Vec::new(),
        most_open: 0,
        served: 0,
        resets: 0,
    };
    let stack = StackThread::start(&ns, Wire::Tap, app);
    let started = StdInstant::now();
    let clients = LinuxProcess::python(
        &ns,
        PY_CONCURRENT_CLIENTS,
        &[STACK_V4, &ECHO_PORT.to_string(), "200", "2"],
    );
    let (ok, out, err) = clients.wait(StdDuration::from_secs(120));
    let elapsed = started.elapsed();
    // Let the last LAST-ACKs complete before looking.
    std::thread::sleep(StdDuration::from_millis(300));
    let (app, counters) = stack.stop();
    let out = String::from_utf8_lossy(&out);
    let lc = app.listener.as_ref().map(|l| l.counters());
    println!(
        "2 waves of 200 connections in {:.3} s; served {} resets {}; at most {} open; listener {lc:?}",
        elapsed.as_secs_f64(),
        app.served,
        app.resets,
        app.most_open
    );
    assert!(ok, "clients failed ({} ok): {err}\n{counters}", out.trim());
    assert_eq!(out.trim(), "400");
    assert_eq!(app.served, 400, "{counters}");
    assert_eq!(app.resets, 0);
    assert_eq!(
        app.most_open, 200,
        "the clients wait until all 200 are connected"
    );
}
