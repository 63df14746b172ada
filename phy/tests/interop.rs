//! Interop with the Linux kernel: skiff on a TAP device or an AF_PACKET socket, Linux's
//! own `ping`, `socat` and neighbour cache on the other side. The harness (namespaces,
//! the stack thread, prerequisites) is in `common/mod.rs`.

#[macro_use]
mod common;

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::process::Stdio;
use std::time::Duration as StdDuration;

use common::*;
use skiff::iface::Interface;
use skiff::socket::{SocketHandle, SocketSet, icmp, udp};
use skiff::time::{Duration, Instant};
use skiff::wire::IpAddress;
use skiff_phy::{AfPacketDevice, PhyError, TapDevice};

/// Echoes every UDP datagram sent to port 7 (both IP versions).
#[derive(Default)]
struct UdpEcho {
    handle: Option<SocketHandle>,
    echoed: usize,
}

impl App for UdpEcho {
    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let mut s = udp::Socket::with_capacity(64, 512 * 1024);
        s.bind(ECHO_PORT).expect("port 7 free");
        self.handle = Some(sockets.add_socket(s).expect("room"));
    }

    fn step(&mut self, _: Instant, _: &Interface<'_>, sockets: &mut SocketSet<'static>) -> bool {
        let h = self.handle.expect("set up");
        let mut s = sockets.get_mut_as::<udp::Socket>(h).expect("live");
        let mut buf = vec![0u8; 65536];
        while let Ok((n, meta)) = s.recv_slice(&mut buf) {
            if s.send_slice(&buf[..n], meta.remote).is_ok() {
                self.echoed += 1;
            }
        }
        false
    }
}

/// Pings each target `count` times, `interval` apart; done when every reply is in or
/// `give_up` after the last request.
struct Pinger {
    targets: Vec<IpAddress>,
    count: u16,
    interval: Duration,
    handle: Option<SocketHandle>,
    next_seq: u16,
    next_at: Instant,
    last_sent: Option<Instant>,
    sent: HashMap<(IpAddress, u16), Instant>,
    rtts: Vec<Duration>,
    bad_replies: usize,
}

const PING_DATA: &[u8] = b"skiff interop ping, 56 bytes of payload like ping(8)...";

impl Pinger {
    fn new(targets: &[&str], count: u16, interval: Duration) -> Pinger {
        Pinger {
            targets: targets
                .iter()
                .map(|t| t.parse().expect("literal"))
                .collect(),
            count,
            interval,
            handle: None,
            next_seq: 1,
            next_at: Instant::ZERO,
            last_sent: None,
            sent: HashMap::new(),
            rtts: Vec::new(),
            bad_replies: 0,
        }
    }

    fn expected(&self) -> usize {
        self.targets.len() * usize::from(self.count)
    }
}

impl App for Pinger {
    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let mut s = icmp::Socket::with_capacity(64, 64 * 1024);
        s.bind(0x5eed).expect("ident free");
        self.handle = Some(sockets.add_socket(s).expect("room"));
    }

    fn step(&mut self, now: Instant, _: &Interface<'_>, sockets: &mut SocketSet<'static>) -> bool {
        let h = self.handle.expect("set up");
        let mut s = sockets.get_mut_as::<icmp::Socket>(h).expect("live");
        // The first echo to each target also resolves its address; the link may have
        // just come up and the first ARP/NS may go unanswered (retried after 1 s). Hold
        // the train until those replies are in (or 3 s pass) instead of filling the
        // neighbour queue, which keeps only the newest packets (C9.6).
        let warming_up = self.next_seq == 2
            && self.rtts.len() < self.targets.len()
            && self
                .last_sent
                .is_some_and(|t| now < t + Duration::from_secs(3));
        if self.next_seq <= self.count && now >= self.next_at && !warming_up {
            for &target in &self.targets {
                if s.send_echo_request(target, self.next_seq, PING_DATA)
                    .is_ok()
                {
                    self.sent.insert((target, self.next_seq), now);
                }
            }
            self.next_seq += 1;
            self.next_at = now + self.interval;
            self.last_sent = Some(now);
        }
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = s.recv_slice(&mut buf) {
            let reply_type = if from.is_ipv4() { 0 } else { 129 };
            let seq = u16::from_be_bytes([buf[6], buf[7]]);
            match self.sent.remove(&(from, seq)) {
                Some(at) if buf[0] == reply_type && buf[8..n] == *PING_DATA => {
                    self.rtts.push(now - at);
                }
                _ => self.bad_replies += 1,
            }
        }
        let all_in = self.rtts.len() == self.expected();
        let gave_up = self
            .last_sent
            .is_some_and(|t| self.next_seq > self.count && now > t + Duration::from_secs(2));
        all_in || gave_up
    }
}

/// Sends each payload to the Linux echo server and checks what comes back, one at a
/// time (so a lost datagram is attributed to its size).
struct UdpClient {
    jobs: Vec<(IpAddress, Vec<u8>)>,
    handle: Option<SocketHandle>,
    current: usize,
    sent_at: Option<Instant>,
    results: Vec<(IpAddress, usize, bool)>,
}

impl UdpClient {
    fn new(jobs: Vec<(IpAddress, Vec<u8>)>) -> UdpClient {
        UdpClient {
            jobs,
            handle: None,
            current: 0,
            sent_at: None,
            results: Vec::new(),
        }
    }
}

impl App for UdpClient {
    fn setup(&mut self, sockets: &mut SocketSet<'static>) {
        let mut s = udp::Socket::with_capacity(16, 256 * 1024);
        s.bind(40000).expect("port free");
        self.handle = Some(sockets.add_socket(s).expect("room"));
    }

    fn step(&mut self, now: Instant, _: &Interface<'_>, sockets: &mut SocketSet<'static>) -> bool {
        let h = self.handle.expect("set up");
        let mut s = sockets.get_mut_as::<udp::Socket>(h).expect("live");
        let Some((dst, payload)) = self.jobs.get(self.current) else {
            return true;
        };
        let Some(sent_at) = self.sent_at else {
            let to = core::net::SocketAddr::new(*dst, LINUX_ECHO_PORT);
            if s.send_slice(payload, to).is_ok() {
                self.sent_at = Some(now);
            }
            return false;
        };
        let mut buf = vec![0u8; 65536];
        let mut outcome = None;
        while let Ok((n, meta)) = s.recv_slice(&mut buf) {
            outcome = Some(meta.remote.ip() == *dst && buf[..n] == payload[..]);
        }
        if outcome.is_none() && now > sent_at + Duration::from_secs(2) {
            outcome = Some(false);
        }
        if let Some(ok) = outcome {
            self.results.push((*dst, payload.len(), ok));
            self.current += 1;
            self.sent_at = None;
        }
        false
    }
}

// ---------------------------------------------------------------------------------------
// Linux side helpers

/// `ping` from Linux to `dst`: `count` echoes `interval_s` apart; returns (sent, received)
/// and the summary lines.
fn linux_ping(
    ns: &Netns,
    dst: &str,
    count: u32,
    interval_s: &str,
    size: u32,
) -> (u32, u32, String) {
    let out = ns.exec(
        "ping",
        &[
            "-n",
            "-q",
            "-c",
            &count.to_string(),
            "-i",
            interval_s,
            "-s",
            &size.to_string(),
            "-W",
            "1",
            "-w",
            "30",
            dst,
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    // "1000 packets transmitted, 1000 received, 0% packet loss, time 2034ms"
    let numbers: Vec<u32> = text
        .lines()
        .find(|l| l.contains("packets transmitted"))
        .map(|l| {
            l.split(',')
                .filter_map(|part| part.split_whitespace().next()?.parse().ok())
                .collect()
        })
        .unwrap_or_default();
    match numbers[..] {
        [sent, received, ..] => (sent, received, text),
        _ => panic!(
            "unexpected ping output: {text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

/// Sends `payload` from Linux to the stack's echo port with socat; returns the reply.
fn socat_roundtrip(ns: &Netns, family: &str, dst: &str, payload: &[u8], tag: &str) -> Vec<u8> {
    // A regular file as stdin: socat reads it whole in one read, so the payload leaves
    // as one datagram (a pipe could split it).
    let path = std::env::temp_dir().join(format!("skiff-{}-{tag}", std::process::id()));
    File::create(&path)
        .and_then(|mut f| f.write_all(payload))
        .expect("temp file");
    let target = format!("{family}:{dst}:{ECHO_PORT}");
    let out = ns
        .command("socat", &["-b", "65536", "-t", "0.5", "-", &target])
        .stdin(File::open(&path).expect("temp file"))
        .output()
        .expect("socat runs");
    let _ = std::fs::remove_file(&path);
    out.stdout
}

fn payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + len) as u8).collect()
}

/// Payload sizes for the UDP cases: 1 byte, small, exactly one Ethernet frame, the first
/// that fragments, and fragment trains up to 8 KiB, over both IP versions.
const V4_SIZES: &[usize] = &[1, 100, 1472, 1473, 4000, 8192];
const V6_SIZES: &[usize] = &[1, 100, 1452, 1453, 4000, 8192];

/// Starts `socat` as a UDP echo server on Linux's side (both IP versions, port 9000).
struct LinuxEchoServer(std::process::Child);

impl LinuxEchoServer {
    fn start(ns: &Netns) -> LinuxEchoServer {
        let child = ns
            .command(
                "socat",
                &[
                    "-b",
                    "65536",
                    &format!("UDP6-RECVFROM:{LINUX_ECHO_PORT},ipv6only=0,fork"),
                    "PIPE",
                ],
            )
            .stdin(Stdio::null())
            .spawn()
            .expect("socat runs");
        // socat binds within a few milliseconds; wait until the port is open.
        for _ in 0..100 {
            let out = ns.exec("ss", &["-Hlun", &format!("sport = :{LINUX_ECHO_PORT}")]);
            if !out.stdout.is_empty() {
                break;
            }
            std::thread::sleep(StdDuration::from_millis(10));
        }
        LinuxEchoServer(child)
    }
}

impl Drop for LinuxEchoServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

// ---------------------------------------------------------------------------------------
// Scenarios shared by TAP and AF_PACKET

fn linux_pings_the_stack(linux: &Netns, stack_ns: &Netns, wire: Wire) {
    let stack = StackThread::start(stack_ns, wire, UdpEcho::default());
    let (v4, v6) = std::thread::scope(|s| {
        let v4 = s.spawn(|| linux_ping(linux, STACK_V4, 1000, "0.002", 56));
        let v6 = s.spawn(|| linux_ping(linux, STACK_V6, 1000, "0.002", 56));
        (v4.join().expect("v4"), v6.join().expect("v6"))
    });
    // One MTU-sized and one fragmented echo: the stack reassembles the request and
    // fragments its reply.
    let big = linux_ping(linux, STACK_V4, 5, "0.01", 1472);
    let frag = linux_ping(linux, STACK_V4, 5, "0.01", 8000);
    let (_, counters) = stack.stop();
    assert_eq!(
        (v4.0, v4.1),
        (1000, 1000),
        "IPv4 ping lost echoes:\n{}",
        v4.2
    );
    assert_eq!(
        (v6.0, v6.1),
        (1000, 1000),
        "IPv6 ping lost echoes:\n{}",
        v6.2
    );
    assert_eq!((big.0, big.1), (5, 5), "1472-byte ping:\n{}", big.2);
    assert_eq!((frag.0, frag.1), (5, 5), "8000-byte ping:\n{}", frag.2);
    assert!(counters.icmpv4_echo_replies >= 1010, "{counters}");
    assert!(counters.icmpv6_echo_replies >= 1000, "{counters}");
}

fn stack_pings_linux(stack_ns: &Netns, wire: Wire) {
    let pinger = Pinger::new(&[LINUX_V4, LINUX_V6], 100, Duration::from_millis(2));
    let stack = StackThread::start(stack_ns, wire, pinger);
    let (pinger, _) = stack.finish(StdDuration::from_secs(10));
    assert_eq!(pinger.bad_replies, 0);
    assert_eq!(
        pinger.rtts.len(),
        pinger.expected(),
        "replies missing; unanswered: {:?}",
        pinger.sent.keys().take(10).collect::<Vec<_>>()
    );
    let max = pinger.rtts.iter().max().copied().unwrap_or_default();
    println!(
        "stack -> Linux: {} echoes, max RTT {max}",
        pinger.rtts.len()
    );
}

fn udp_echo_linux_to_stack(linux: &Netns, stack_ns: &Netns, wire: Wire) {
    let stack = StackThread::start(stack_ns, wire, UdpEcho::default());
    let cases: Vec<(&str, &str, usize)> = V4_SIZES
        .iter()
        .map(|&n| ("UDP4", STACK_V4, n))
        .chain(V6_SIZES.iter().map(|&n| ("UDP6", "[2001:db8::2]", n)))
        .collect();
    // All cases at once, each from its own socat (own source port): ~0.5 s in total.
    let results: Vec<(String, bool)> = std::thread::scope(|s| {
        let handles: Vec<_> = cases
            .iter()
            .map(|&(family, dst, n)| {
                s.spawn(move || {
                    let sent = payload(n);
                    let tag = format!("{family}-{n}");
                    let got = socat_roundtrip(linux, family, dst, &sent, &tag);
                    (format!("{tag} (got {} bytes)", got.len()), got == sent)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("case"))
            .collect()
    });
    let (udp_echo, counters) = stack.stop();
    let failed: Vec<_> = results.iter().filter(|r| !r.1).map(|r| &r.0).collect();
    assert!(failed.is_empty(), "failed: {failed:?}\n{counters}");
    assert_eq!(udp_echo.echoed, cases.len());
    assert!(counters.ipv4_reassembled >= 3, "{counters}");
}

fn udp_echo_stack_to_linux(linux: &Netns, stack_ns: &Netns, wire: Wire) {
    let _server = LinuxEchoServer::start(linux);
    let v4: IpAddress = LINUX_V4.parse().expect("literal");
    let v6: IpAddress = LINUX_V6.parse().expect("literal");
    let jobs = V4_SIZES
        .iter()
        .map(|&n| (v4, payload(n)))
        .chain(V6_SIZES.iter().map(|&n| (v6, payload(n))))
        .collect();
    let stack = StackThread::start(stack_ns, wire, UdpClient::new(jobs));
    let (client, counters) = stack.finish(StdDuration::from_secs(30));
    let failed: Vec<_> = client.results.iter().filter(|r| !r.2).collect();
    assert_eq!(
        client.results.len(),
        V4_SIZES.len() + V6_SIZES.len(),
        "{counters}"
    );
    assert!(failed.is_empty(), "failed: {failed:?}\n{counters}");
    assert!(counters.ipv4_frags_tx > 0, "{counters}");
}

// ---------------------------------------------------------------------------------------
// TAP

#[test]
fn tap_linux_pings_the_stack_1000_times_over_ipv4_and_ipv6_without_loss() {
    require_netns!();
    let ns = tap_namespace("tap-ping-in");
    linux_pings_the_stack(&ns, &ns, Wire::Tap);
}

#[test]
fn tap_the_stack_pings_linux_over_ipv4_and_ipv6() {
    require_netns!();
    let ns = tap_namespace("tap-ping-out");
    stack_pings_linux(&ns, Wire::Tap);
}

#[test]
fn tap_linux_resolves_the_stack_by_arp_and_ndp() {
    require_netns!();
    let ns = tap_namespace("tap-neigh");
    let stack = StackThread::start(&ns, Wire::Tap, UdpEcho::default());
    for dst in [STACK_V4, STACK_V6] {
        let (_, received, text) = linux_ping(&ns, dst, 1, "0.2", 56);
        assert_eq!(received, 1, "{text}");
    }
    let out = ns.ip(&["neigh", "show", "dev", "tap0"]);
    let (_, counters) = stack.stop();
    let table = String::from_utf8_lossy(&out.stdout).into_owned();
    for addr in [STACK_V4, STACK_V6] {
        let line = table
            .lines()
            .find(|l| l.starts_with(&format!("{addr} ")))
            .unwrap_or_else(|| panic!("{addr} not in Linux's neighbour table:\n{table}"));
        assert!(
            line.contains(&format!("lladdr {STACK_MAC_TEXT}")),
            "{line}\n{counters}"
        );
        assert!(
            !line.contains("FAILED") && !line.contains("INCOMPLETE"),
            "{line}"
        );
    }
    assert!(counters.arp_tx_replies >= 1, "{counters}");
    assert!(counters.ndp_tx_advertisements >= 1, "{counters}");
}

#[test]
fn tap_udp_echo_from_linux_to_the_stack_from_1_byte_to_8_kib_fragments() {
    require_netns!();
    let ns = tap_namespace("tap-udp-in");
    udp_echo_linux_to_stack(&ns, &ns, Wire::Tap);
}

#[test]
fn tap_udp_echo_from_the_stack_to_linux_from_1_byte_to_8_kib_fragments() {
    require_netns!();
    let ns = tap_namespace("tap-udp-out");
    udp_echo_stack_to_linux(&ns, &ns, Wire::Tap);
}

#[test]
fn tap_open_reports_typed_errors_for_bad_names_and_busy_devices() {
    require_netns!();
    let ns = tap_namespace("tap-errors");
    let name = ns.name.clone();
    std::thread::spawn(move || {
        enter_netns(&name);
        let err = TapDevice::open("0123456789abcdef").unwrap_err();
        assert!(matches!(err, PhyError::NameTooLong { .. }), "{err}");
        let first = TapDevice::open("tap0").expect("tap0 opens");
        assert_eq!(first.mtu(), 1500);
        let err = TapDevice::open("tap0").unwrap_err();
        assert!(matches!(err, PhyError::Busy { .. }), "{err}");
        assert!(err.os_error().is_some());
        // The loopback exists but is not a TAP.
        let err = TapDevice::open("lo").unwrap_err();
        assert!(matches!(err, PhyError::NotFound { .. }), "{err}");
        let err = AfPacketDevice::bind("nosuchif0").unwrap_err();
        assert!(matches!(err, PhyError::NotFound { .. }), "{err}");
        let err = AfPacketDevice::bind("0123456789abcdef").unwrap_err();
        assert!(matches!(err, PhyError::NameTooLong { .. }), "{err}");
    })
    .join()
    .expect("checks pass");
}

// ---------------------------------------------------------------------------------------
// AF_PACKET on a veth pair

#[test]
fn af_packet_linux_pings_the_stack_1000_times_over_ipv4_and_ipv6_without_loss() {
    require_netns!();
    let (linux, stack) = veth_namespaces("afp-ping-in");
    linux_pings_the_stack(&linux, &stack, Wire::AfPacket);
}

#[test]
fn af_packet_the_stack_pings_linux_over_ipv4_and_ipv6() {
    require_netns!();
    let (_linux, stack) = veth_namespaces("afp-ping-out");
    stack_pings_linux(&stack, Wire::AfPacket);
}

#[test]
fn af_packet_udp_echo_from_linux_to_the_stack_from_1_byte_to_8_kib_fragments() {
    require_netns!();
    let (linux, stack) = veth_namespaces("afp-udp-in");
    udp_echo_linux_to_stack(&linux, &stack, Wire::AfPacket);
}

#[test]
fn af_packet_udp_echo_from_the_stack_to_linux_from_1_byte_to_8_kib_fragments() {
    require_netns!();
    let (linux, stack) = veth_namespaces("afp-udp-out");
    udp_echo_stack_to_linux(&linux, &stack, Wire::AfPacket);
}
