//! TCP interop with the Linux kernel: skiff's `tcp::Socket` on a TAP device (and once on
//! AF_PACKET) in a private namespace, Linux's own TCP on the other side driven by small
//! `python3` programs and `socat`. The stack as server and as client, Linux closing
//! first and the stack closing first, many concurrent connections, a RST in the middle
//! of a transfer, and a transfer through a receive window held at zero.
//!
//! Every byte is compared: the Linux programs either check the echo themselves or hand
//! what they received back on stdout. Throughput is printed, never asserted.

#[macro_use]
mod common;

use std::net::SocketAddr;
use std::time::{Duration as StdDuration, Instant as StdInstant};

use common::*;
use skiff::iface::Interface;
use skiff::socket::tcp::{self, CloseReason, RecvError, State};
use skiff::socket::{SocketHandle, SocketSet};
use skiff::time::Instant;

const MIB: usize = 1024 * 1024;
const LINUX_TCP_PORT: u16 = 9001;

/// Connects to (host, port), sends `n` bytes of a seeded random stream while reading the
/// echo on a thread, shuts its sending side down (Linux closes first), reads to the end,
/// and checks the echo byte for byte and by SHA-256. Prints `OK <seconds>`.
const PY_ECHO_CLIENT: &str = r#"
import hashlib, random, socket, sys, threading, time
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
data = random.Random(7).randbytes(n)
s = socket.create_connection((host, port), timeout=30)
got = bytearray()
def reader():
    while True:
        b = s.recv(1 << 16)
        if not b:
            break
        got.extend(b)
t0 = time.monotonic()
th = threading.Thread(target=reader)
th.start()
s.sendall(data)
s.shutdown(socket.SHUT_WR)
th.join()
dt = time.monotonic() - t0
s.close()
if bytes(got) != data or hashlib.sha256(got).digest() != hashlib.sha256(data).digest():
    sys.exit("echo differs: %d of %d bytes back" % (len(got), n))
print("OK %.6f" % dt)
"#;

/// `count` connections at once to (host, port), each sending one line and reading it
/// back, then closing; `waves` times. Prints the number that succeeded.
const PY_MANY_CLIENTS: &str = r#"
import socket, sys, threading
host, port, count, waves = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ok = []
errors = []
def one(i):
    try:
        line = ("connection %d says hello %s\n" % (i, "x" * (i % 97))).encode()
        s = socket.create_connection((host, port), timeout=20)
        s.sendall(line)
        got = b""
        while len(got) < len(line):
            b = s.recv(4096)
            if not b:
                break
            got += b
        s.close()
        if got == line:
            ok.append(i)
        else:
            errors.append("%d: got %r" % (i, got))
    except Exception as e:
        errors.append("%d: %s" % (i, e))
for w in range(waves):
    threads = [threading.Thread(target=one, args=(w * count + i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
print(len(ok))
for e in errors[:10]:
    print(e, file=sys.stderr)
sys.exit(0 if not errors else 1)
"#;

/// Sends up to `n` bytes to an echo server without ever reading the echo, so both
/// directions are still busy (the stack's send queue full, Linux's own send queue
/// stuck) after half a second, then aborts with SO_LINGER 0: a RST mid-transfer.
const PY_RST_CLIENT: &str = r#"
import socket, struct, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port), timeout=10)
s.settimeout(0.5)
sent = 0
try:
    while sent < n:
        sent += s.send(bytes(range(256)) * 256)
except socket.timeout:
    pass
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print(sent)
"#;

/// A server with a tiny receive buffer that accepts one connection, reads nothing for
/// `hold` seconds (its window closes), then reads to the end and writes everything it
/// got to stdout.
const PY_SLOW_SERVER: &str = r#"
import socket, sys, time
port, hold = int(sys.argv[1]), float(sys.argv[2])
l = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
l.bind(("0.0.0.0", port))
l.listen(1)
c, _ = l.accept()
time.sleep(hold)
got = bytearray()
while True:
    b = c.recv(1 << 16)
    if not b:
        break
    got.extend(b)
c.close()
sys.stdout.buffer.write(got)
"#;

// ---------------------------------------------------------------------------------------
// Stack side apps

/// One listening socket on `port` that echoes one connection and closes when the peer has closed and everything is sent. Done when
/// the socket is CLOSED again after having been connected.
struct TcpServer {
    port: u16,
    handle: Option<SocketHandle>,
    pending: Vec<u8>,
    received: usize,
    connected: bool,
    states: Vec<State>,
    end: Option<RecvError>,
    close_reason: Option<CloseReason>,
    counters: Option<tcp::TcpCounters>,
    /// ECN (RFC 3168) was agreed on the connection.
    ecn_agreed: bool,
}

impl TcpServer {
    fn new(port: u16) -> TcpServer {
        TcpServer {
            port,
            handle: None,
            pending: Vec::new(),
            received: 0,
            connected: false,
            states: Vec::new(),
            end: None,
            close_reason: None,
            counters: None,
            ecn_agreed: false,
        }
    }
}

impl App for TcpServer {
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
        self.ecn_agreed |= s.ecn_agreed();
        // recv_slice refuses (InvalidState) until the handshake is done.
        if self.connected && self.end.is_none() {
            let (n, result) = echo_some(&mut s, &mut self.pending);
            self.received += n;
            if let Err(e) = result {
                self.end = Some(e);
            }
        }
        if self.end == Some(RecvError::Finished) && self.pending.is_empty() && s.may_send() {
            s.close().expect("open");
        }
        let done = self.connected && s.state() == State::Closed;
        if done {
            // What a reader sees now (the echo may have stopped reading when its
            // send ring filled).
            if self.end.is_none() {
                self.end = s.recv_slice(&mut [0u8; 1]).err();
            }
            self.close_reason = s.close_reason();
            self.counters = Some(s.counters());
        }
        done
    }
}

/// Connects to `remote`, sends `data`, reads back an echo of it, then closes first.
/// Done in TIME-WAIT (or CLOSED).
struct TcpEchoClient {
    remote: SocketAddr,
    local: SocketAddr,
    data: Vec<u8>,
    handle: Option<SocketHandle>,
    sent: usize,
    got: Vec<u8>,
    started: Option<StdInstant>,
    elapsed: Option<StdDuration>,
    closed: bool,
    end_state: Option<State>,
    counters: Option<tcp::TcpCounters>,
}

impl TcpEchoClient {
    fn new(remote: SocketAddr, local: SocketAddr, data: Vec<u8>) -> TcpEchoClient {
        TcpEchoClient {
            remote,
            local,
            data,
            handle: None,
            sent: 0,
            got: Vec::new(),
            started: None,
            elapsed: None,
            closed: false,
            end_state: None,
            counters: None,
        }
    }
}

impl App for TcpEchoClient {
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
        if self.sent < self.data.len() && s.can_send() {
            self.sent += s.send_slice(&self.data[self.sent..]).expect("send");
        }
        let mut buf = [0u8; 65536];
        while let Ok(n) = s.recv_slice(&mut buf) {
            if n == 0 {
                break;
            }
            self.got.extend_from_slice(&buf[..n]);
        }
        if !self.closed && self.got.len() >= self.data.len() {
            self.elapsed = self.started.map(|t| t.elapsed());
            s.close().expect("open");
            self.closed = true;
        }
        let state = s.state();
        let done = (self.closed && matches!(state, State::TimeWait | State::Closed))
            || (!self.closed && state == State::Closed && self.started.is_some());
        if done {
            self.end_state = Some(state);
            self.counters = Some(s.counters());
        }
        done
    }
}

/// Connects to `remote`, sends `data` and closes (a one-way upload). Done once CLOSED
/// or in TIME-WAIT.
struct TcpUploader {
    inner: TcpEchoClient,
}

impl App for TcpUploader {
    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let s = tcp::Socket::with_capacity(64 * 1024, 256 * 1024);
        self.inner.handle = Some(sockets.add_socket(s).expect("room"));
    }

    fn step(
        &mut self,
        now: Instant,
        iface: &Interface<'_>,
        sockets: &mut SocketSet<'static>,
    ) -> bool {
        let c = &mut self.inner;
        let h = c.handle.expect("set up");
        let mut s = sockets.get_mut_as::<tcp::Socket>(h).expect("live");
        connect_once(&mut s, &mut c.started, (now, iface), c.remote, c.local);
        if c.sent < c.data.len() && s.can_send() {
            c.sent += s.send_slice(&c.data[c.sent..]).expect("send");
        }
        if !c.closed && c.sent == c.data.len() {
            s.close().expect("open");
            c.closed = true;
        }
        let state = s.state();
        let done = matches!(state, State::TimeWait)
            || (state == State::Closed && c.started.is_some() && s.close_reason().is_some())
            || (c.closed && state == State::Closed);
        if done {
            c.elapsed = c.started.map(|t| t.elapsed());
            c.end_state = Some(state);
            c.counters = Some(s.counters());
        }
        done
    }
}

/// `slots` sockets listening on one port: each echoes its connection, closes after the
/// peer, and listens again once CLOSED.
struct TcpPool {
    port: u16,
    slots: usize,
    handles: Vec<SocketHandle>,
    pending: Vec<Vec<u8>>,
    served: usize,
    resets: usize,
}

impl App for TcpPool {
    fn socket_capacity(&self) -> usize {
        self.slots
    }

    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        for _ in 0..self.slots {
            let mut s = tcp::Socket::with_capacity(4096, 4096);
            s.listen(self.port).expect("port");
            self.handles.push(sockets.add_socket(s).expect("room"));
            self.pending.push(Vec::new());
        }
    }

    fn step(&mut self, _: Instant, _: &Interface<'_>, sockets: &mut SocketSet<'static>) -> bool {
        for (h, pending) in self.handles.iter().zip(&mut self.pending) {
            let mut s = sockets.get_mut_as::<tcp::Socket>(*h).expect("live");
            match s.state() {
                State::Listen | State::SynReceived => continue,
                State::Closed => {
                    if s.close_reason().is_some() {
                        self.resets += 1;
                    } else {
                        self.served += 1;
                    }
                    pending.clear();
                    s.listen(self.port).expect("closed socket listens again");
                    continue;
                }
                _ => {}
            }
            let (_, result) = echo_some(&mut s, pending);
            if result == Err(RecvError::Finished) && pending.is_empty() && s.may_send() {
                s.close().expect("open");
            }
        }
        false
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios

/// Linux sends `MIB_COUNT` MiB to the stack's echo port and checks the echo; Linux
/// closes first, the stack goes through CLOSE-WAIT and LAST-ACK to CLOSED.
fn linux_client_echo(
    linux: &Netns,
    stack_ns: &Netns,
    wire: Wire,
    dst: &str,
    label: &str,
) -> TcpServer {
    let n = 8 * MIB;
    let _pcap = Capture::start(linux, "any");
    let stack = StackThread::start(stack_ns, wire, TcpServer::new(ECHO_PORT));
    let client = LinuxProcess::python(
        linux,
        PY_ECHO_CLIENT,
        &[dst, &ECHO_PORT.to_string(), &n.to_string()],
    );
    let (ok, out, err) = client.wait(StdDuration::from_secs(60));
    let (server, counters) = stack.finish(StdDuration::from_secs(5));
    let out = String::from_utf8_lossy(&out);
    assert!(
        ok,
        "Linux client failed: {out}{err}\nstack states {:?}\n{counters}",
        server.states
    );
    let secs: f64 = out
        .trim()
        .strip_prefix("OK ")
        .and_then(|t| t.parse().ok())
        .expect("OK <seconds>");
    println!(
        "{label}: Linux -> stack echo of {} MiB in {secs:.3} s: {:.1} MB/s each way",
        n / MIB,
        mb_per_s(n, StdDuration::from_secs_f64(secs))
    );
    assert_eq!(server.received, n);
    assert!(
        server.states.contains(&State::Established)
            && server
                .states
                .ends_with(&[State::CloseWait, State::LastAck, State::Closed])
            // LAST-ACK can begin and end within one poll (our FIN and Linux's ACK of it
            // cross while the app is not looking), so the app may see it skipped.
            || server.states.ends_with(&[State::CloseWait, State::Closed]),
        "Linux closed first, so the stack should pass CLOSE-WAIT and LAST-ACK: {:?}",
        server.states
    );
    assert_eq!(server.close_reason, None, "orderly close expected");
    println!("stack counters: {:?}", server.counters);
    server
}

#[test]
fn tap_linux_sends_8_mib_to_the_stack_echo_server_over_ipv4_and_closes_first() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-echo4");
    let server = linux_client_echo(&ns, &ns, Wire::Tap, STACK_V4, "TAP IPv4");
    // Linux's default (tcp_ecn = 2) does not ask for ECN, and the stack does not offer it.
    assert!(!server.ecn_agreed);
}

#[test]
fn tap_linux_asking_for_ecn_agrees_it_with_the_stack_and_the_8_mib_echo_completes() {
    // SHLD-8 (RFC 3168 §6.1.1): Linux with tcp_ecn = 1 sends an ECN-setup SYN; the
    // stack's default (EcnMode::Accept) answers with an ECN-setup SYN-ACK, and data
    // then flows as ECT(0) both ways.
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-ecn");
    let set = ns.exec("sh", &["-c", "echo 1 > /proc/sys/net/ipv4/tcp_ecn"]);
    assert!(set.status.success(), "tcp_ecn: {set:?}");
    let server = linux_client_echo(&ns, &ns, Wire::Tap, STACK_V4, "TAP IPv4 with ECN");
    assert!(server.ecn_agreed, "ECN was not agreed with Linux");
}

#[test]
fn tap_linux_sends_8_mib_to_the_stack_echo_server_over_ipv6_and_closes_first() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-echo6");
    linux_client_echo(&ns, &ns, Wire::Tap, STACK_V6, "TAP IPv6");
}

#[test]
fn af_packet_linux_sends_8_mib_to_the_stack_echo_server_and_closes_first() {
    require_netns!("python3", "ss");
    let (linux, stack) = veth_namespaces("tcp-afp");
    linux_client_echo(&linux, &stack, Wire::AfPacket, STACK_V4, "AF_PACKET IPv4");
}

#[test]
fn tap_the_stack_sends_8_mib_to_a_socat_echo_server_and_closes_first() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-client");
    let _pcap = Capture::start(&ns, "tap0");
    // socat echoes through one pipe; a write larger than PIPE_BUF can block forever
    // when the pipe is nearly full (socat itself is the only reader), so -b 4096.
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
    let n = 8 * MIB;
    let remote: SocketAddr = format!("{LINUX_V4}:{LINUX_TCP_PORT}")
        .parse()
        .expect("literal");
    let local: SocketAddr = format!("{STACK_V4}:49152").parse().expect("literal");
    let stack = StackThread::start(
        &ns,
        Wire::Tap,
        TcpEchoClient::new(remote, local, pattern(n, 1)),
    );
    let (client, counters) = stack.finish(StdDuration::from_secs(60));
    let (socat_ok, _, socat_err) = socat.wait(StdDuration::from_secs(5));
    let elapsed = client.elapsed.unwrap_or_default();
    println!(
        "TAP IPv4: stack -> socat echo of {} MiB in {:.3} s: {:.1} MB/s each way; {:?}",
        n / MIB,
        elapsed.as_secs_f64(),
        mb_per_s(n, elapsed),
        client.counters
    );
    assert_eq!(client.sent, n, "{counters}");
    assert_eq!(client.got.len(), n, "echo incomplete\n{counters}");
    assert!(client.got == client.data, "echo differs");
    assert!(
        matches!(client.end_state, Some(State::TimeWait | State::Closed)),
        "stack ended in {:?}",
        client.end_state
    );
    assert!(socat_ok, "socat did not exit cleanly: {socat_err}");
}

#[test]
fn tap_50_concurrent_linux_connections_to_one_port_are_served_by_a_pool_of_listeners() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-many");
    let _pcap = Capture::start(&ns, "tap0");
    let pool = TcpPool {
        port: ECHO_PORT,
        slots: 50,
        handles: Vec::new(),
        pending: Vec::new(),
        served: 0,
        resets: 0,
    };
    let stack = StackThread::start(&ns, Wire::Tap, pool);
    let started = StdInstant::now();
    let clients = LinuxProcess::python(
        &ns,
        PY_MANY_CLIENTS,
        &[STACK_V4, &ECHO_PORT.to_string(), "50", "2"],
    );
    let (ok, out, err) = clients.wait(StdDuration::from_secs(60));
    let elapsed = started.elapsed();
    // Let the last LAST-ACKs complete before looking at the pool.
    std::thread::sleep(StdDuration::from_millis(200));
    let (pool, counters) = stack.stop();
    let out = String::from_utf8_lossy(&out);
    println!(
        "2 waves of 50 connections in {:.3} s; served {} resets {}",
        elapsed.as_secs_f64(),
        pool.served,
        pool.resets
    );
    assert!(ok, "clients failed ({} ok): {err}\n{counters}", out.trim());
    assert_eq!(out.trim(), "100");
    assert_eq!(pool.served, 100, "{counters}");
    assert_eq!(pool.resets, 0);
}

#[test]
fn tap_a_linux_rst_mid_transfer_closes_the_stack_socket_with_a_reset_reason() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-rst");
    let _pcap = Capture::start(&ns, "tap0");
    let stack = StackThread::start(&ns, Wire::Tap, TcpServer::new(ECHO_PORT));
    let client = LinuxProcess::python(
        &ns,
        PY_RST_CLIENT,
        &[STACK_V4, &ECHO_PORT.to_string(), &(64 * MIB).to_string()],
    );
    let (ok, out, err) = client.wait(StdDuration::from_secs(30));
    let (server, counters) = stack.finish(StdDuration::from_secs(5));
    assert!(ok, "{}{err}", String::from_utf8_lossy(&out));
    assert!(server.received > 0, "no data before the RST\n{counters}");
    assert_eq!(
        server.states.last(),
        Some(&State::Closed),
        "{:?}",
        server.states
    );
    assert_eq!(server.close_reason, Some(CloseReason::Reset), "{counters}");
    assert_eq!(server.end, Some(RecvError::Reset));
    let sent: usize = String::from_utf8_lossy(&out)
        .trim()
        .parse()
        .expect("bytes sent");
    println!(
        "Linux sent {sent} bytes, the stack echoed {} before the RST; states {:?}",
        server.received, server.states
    );
    assert!(
        server.received < sent,
        "the RST came after the transfer ended"
    );
}

#[test]
fn tap_a_transfer_to_a_linux_receiver_that_holds_its_window_at_zero_for_5_s_completes() {
    require_netns!("python3", "ss");
    let ns = tap_namespace("tcp-zwnd");
    let _pcap = Capture::start(&ns, "tap0");
    let hold = "5";
    let server = LinuxProcess::python(&ns, PY_SLOW_SERVER, &[&LINUX_TCP_PORT.to_string(), hold]);
    wait_for_listener(&ns, LINUX_TCP_PORT);
    let n = MIB;
    let remote: SocketAddr = format!("{LINUX_V4}:{LINUX_TCP_PORT}")
        .parse()
        .expect("literal");
    let local: SocketAddr = format!("{STACK_V4}:49153").parse().expect("literal");
    let uploader = TcpUploader {
        inner: TcpEchoClient::new(remote, local, pattern(n, 2)),
    };
    let stack = StackThread::start(&ns, Wire::Tap, uploader);
    let (ok, got, err) = server.wait(StdDuration::from_secs(30));
    let (uploader, counters) = stack.finish(StdDuration::from_secs(5));
    let c = &uploader.inner;
    println!(
        "zero-window upload of {} bytes in {:.3} s; end {:?}; {:?}",
        n,
        c.elapsed.unwrap_or_default().as_secs_f64(),
        c.end_state,
        c.counters
    );
    assert!(ok, "Linux receiver failed: {err}\n{counters}");
    assert_eq!(got.len(), n, "bytes missing\n{counters}");
    assert!(got == c.data, "bytes differ");
    assert!(
        matches!(c.end_state, Some(State::TimeWait | State::Closed)),
        "{:?}",
        c.end_state
    );
    let elapsed = c.elapsed.unwrap_or_default();
    assert!(
        elapsed >= StdDuration::from_secs(5),
        "the window never held"
    );
}
