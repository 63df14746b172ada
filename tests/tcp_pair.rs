//! TCP between two skiff interfaces on one cable: handshake, a transfer each way,
//! and the close, through the interface's demux and dispatch.

mod common;

use common::{Host, cable, run};
use skiff::socket::tcp::{self, State};
use skiff::time::{Duration, Instant};

fn pair() -> (Host, Host) {
    let (a, b) = cable();
    (Host::new(a, 1, 11), Host::new(b, 2, 22))
}

/// What the server's interface saw of a transfer.
struct Seen {
    tcp_rx: u64,
    predicted: u64,
    /// TCP packets its raw socket received, if it had one.
    raw: Option<usize>,
}

fn transfer(server_addr: &str, client_addr: &str) -> Seen {
    transfer_with(server_addr, client_addr, false)
}

/// A transfer each way and the close; with `raw_tap`, the server also has a raw socket
/// for TCP of the server's IP version open throughout.
fn transfer_with(server_addr: &str, client_addr: &str, raw_tap: bool) -> Seen {
    let (mut a, mut b) = pair();
    let ipv6 = server_addr.starts_with('[');
    let raw = raw_tap.then(|| {
        let raw = skiff::socket::raw::Socket::with_capacity(
            ipv6,
            skiff::wire::IpProtocol::Tcp,
            4096,
            8 << 20,
        );
        b.sockets.add_socket(raw).unwrap()
    });
    let mut server = tcp::Socket::with_capacity(64 * 1024, 64 * 1024);
    server.listen(80).unwrap();
    let hs = b.sockets.add_socket(server).unwrap();
    let remote: core::net::SocketAddr = server_addr.parse().unwrap();
    let local: core::net::SocketAddr = client_addr.parse().unwrap();
    let mut client = tcp::Socket::with_capacity(64 * 1024, 64 * 1024);
    let cx = a.iface.tcp_context(Instant::ZERO, remote.ip());
    client.connect(&cx, remote, local).unwrap();
    let hc = a.sockets.add_socket(client).unwrap();

    let upload: Vec<u8> = (0..300_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let download: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 253) as u8).collect();
    let (mut up_sent, mut down_sent) = (0, 0);
    let (mut up_got, mut down_got) = (Vec::new(), Vec::new());
    let mut now = Instant::ZERO;
    let mut raw_seen = 0;
    for _ in 0..20_000 {
        run(&mut a, &mut b, &mut now, 1, Duration::from_micros(100));
        {
            let mut c = a.sockets.get_mut_as::<tcp::Socket>(hc).unwrap();
            if c.can_send() && up_sent < upload.len() {
                up_sent += c.send_slice(&upload[up_sent..]).unwrap();
            }
            let mut buf = [0u8; 8192];
            while let Ok(n) = c.recv_slice(&mut buf) {
                if n == 0 {
                    break;
                }
                down_got.extend_from_slice(&buf[..n]);
            }
            if up_sent == upload.len()
                && down_got.len() == download.len()
                && c.state() == State::Established
            {
                c.close().unwrap();
            }
        }
        {
            let mut s = b.sockets.get_mut_as::<tcp::Socket>(hs).unwrap();
            if s.can_send() && down_sent < download.len() {
                down_sent += s.send_slice(&download[down_sent..]).unwrap();
            }
            let mut buf = [0u8; 8192];
            while let Ok(n) = s.recv_slice(&mut buf) {
                if n == 0 {
                    break;
                }
                up_got.extend_from_slice(&buf[..n]);
            }
            if s.state() == State::CloseWait {
                s.close().unwrap();
            }
        }
        if let Some(h) = raw {
            let mut r = b
                .sockets
                .get_mut_as::<skiff::socket::raw::Socket>(h)
                .unwrap();
            while r.recv().is_ok() {
                raw_seen += 1;
            }
        }
        let client_state = a.sockets.get_as::<tcp::Socket>(hc).unwrap().state();
        let server_state = b.sockets.get_as::<tcp::Socket>(hs).unwrap().state();
        if client_state == State::TimeWait && server_state == State::Closed {
            break;
        }
    }
    assert_eq!(up_got.len(), upload.len(), "upload incomplete");
    assert!(up_got == upload, "upload corrupted");
    assert!(
        down_got == download,
        "download incomplete or corrupted ({} bytes)",
        down_got.len()
    );
    assert_eq!(
        a.sockets.get_as::<tcp::Socket>(hc).unwrap().state(),
        State::TimeWait
    );
    assert_eq!(
        b.sockets.get_as::<tcp::Socket>(hs).unwrap().state(),
        State::Closed
    );
    assert!(a.iface.counters().tcp_tx > 0 && b.iface.counters().tcp_rx > 0);
    let c = b.iface.counters();
    Seen {
        tcp_rx: c.tcp_rx,
        predicted: c.rx_predicted,
        raw: raw.map(|_| raw_seen),
    }
}

impl Seen {
    /// Header prediction took the bulk of the segments (all but the handshake, the
    /// close and a connection's first segment).
    fn assert_mostly_predicted(&self) {
        let (predicted, total) = (self.predicted, self.tcp_rx);
        assert!(predicted * 10 > total * 9, "{predicted} of {total}");
    }
}

#[test]
fn tcp_over_ipv4_transfers_both_ways_and_closes_through_the_interface() {
    transfer("192.0.2.2:80", "192.0.2.1:40000").assert_mostly_predicted();
}

#[test]
fn tcp_over_ipv6_transfers_both_ways_and_closes_through_the_interface() {
    transfer("[2001:db8::2]:80", "[2001:db8::1]:40000").assert_mostly_predicted();
}

/// A raw socket for TCP sees every TCP packet, so header prediction, which would skip
/// it, stands aside while one is open.
#[test]
fn with_a_raw_tcp_socket_open_every_segment_reaches_it_and_none_is_predicted() {
    for (server, client) in [
        ("192.0.2.2:80", "192.0.2.1:40000"),
        ("[2001:db8::2]:80", "[2001:db8::1]:40000"),
    ] {
        let seen = transfer_with(server, client, true);
        assert_eq!(seen.predicted, 0);
        assert_eq!(seen.raw, Some(seen.tcp_rx as usize));
    }
}

/// SHLD-19 with MUST-59: a bulk receiver sends at most one ACK per two full-sized
/// segments (counting segments as they really are: timestamps shorten them by 12 bytes)
/// and one per batch that a poll reads, yet keeps the sender's ACK clock going.
#[test]
fn a_bulk_receiver_acks_at_most_every_second_full_segment_and_once_per_batch() {
    let (mut a, mut b) = pair();
    let mut server = tcp::Socket::with_capacity(256 * 1024, 4 * 1024);
    server.listen(80).unwrap();
    let hs = b.sockets.add_socket(server).unwrap();
    let remote: core::net::SocketAddr = "192.0.2.2:80".parse().unwrap();
    let mut client = tcp::Socket::with_capacity(4 * 1024, 256 * 1024);
    let cx = a.iface.tcp_context(Instant::ZERO, remote.ip());
    client
        .connect(&cx, remote, "192.0.2.1:40001".parse().unwrap())
        .unwrap();
    let hc = a.sockets.add_socket(client).unwrap();
    let mut now = Instant::ZERO;
    let (total, mut sent, mut got) = (1_000_000usize, 0usize, 0usize);
    let chunk = vec![7u8; 16 * 1024];
    for _ in 0..10_000 {
        run(&mut a, &mut b, &mut now, 1, Duration::from_micros(100));
        {
            let mut c = a.sockets.get_mut_as::<tcp::Socket>(hc).unwrap();
            if c.can_send() && sent < total {
                sent += c
                    .send_slice(&chunk[..chunk.len().min(total - sent)])
                    .unwrap();
            }
        }
        let mut s = b.sockets.get_mut_as::<tcp::Socket>(hs).unwrap();
        let mut buf = [0u8; 16 * 1024];
        while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
            got += n;
        }
        if got == total {
            break;
        }
    }
    assert_eq!(got, total);
    let data_segments = a.iface.counters().tcp_tx as f64;
    let acks = b.iface.counters().tcp_tx as f64;
    assert!(
        acks <= data_segments / 2.0 + 20.0,
        "{acks} ACKs for {data_segments} segments"
    );
    // Batches here are a few dozen segments (what one 100 µs step delivers).
    assert!(
        acks >= data_segments / 64.0,
        "{acks} ACKs for {data_segments} segments: the ACK clock stopped"
    );
}

/// B10 (RFC 6056): 1,000 connects to one server get distinct, non-sequential ports
/// spread over 1024–65535, never a 4-tuple already in use.
#[test]
fn ephemeral_ports_are_spread_out_and_never_reuse_a_live_four_tuple() {
    let (a, _b) = cable();
    let mut host = Host::new(a, 1, 11);
    host.sockets = skiff::socket::SocketSet::with_capacity(1000, 5);
    let remote: core::net::SocketAddr = "192.0.2.2:80".parse().unwrap();
    let mut ports = Vec::new();
    for _ in 0..1000 {
        let h = host
            .sockets
            .add_socket(tcp::Socket::with_capacity(64, 64))
            .unwrap();
        let local = host
            .iface
            .tcp_connect(Instant::ZERO, &mut host.sockets, h, remote)
            .unwrap();
        assert_eq!(local.ip(), "192.0.2.1".parse::<std::net::IpAddr>().unwrap());
        ports.push(local.port());
    }
    let mut sorted = ports.clone();
    sorted.sort_unstable();
    sorted.dedup();
    assert_eq!(
        sorted.len(),
        1000,
        "a port was handed out twice while its 4-tuple was live"
    );
    assert!(
        sorted[0] >= 1024 && sorted[0] < 12_000,
        "low end {}",
        sorted[0]
    );
    assert!(sorted[999] > 55_000, "high end {}", sorted[999]);
    let sequential = ports
        .windows(2)
        .filter(|w| w[1] == w[0].wrapping_add(1))
        .count();
    assert!(sequential < 20, "{sequential} consecutive pairs");
}

/// The ACK numbers of the TCP segments among IPv4 `frames`.
fn acks_in(frames: &[Vec<u8>]) -> Vec<u32> {
    use skiff::wire::{EthernetFrame, Ipv4Packet, TcpPacket};
    frames
        .iter()
        .filter_map(|f| {
            let eth = EthernetFrame::new_checked(&f[..]).ok()?;
            let ip = Ipv4Packet::new_checked(eth.payload()).ok()?;
            let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
            Some(tcp.ack_number().0)
        })
        .collect()
}

/// MUST-58, MUST-59, B2.14: a burst of ten in-order segments that one poll reads at
/// once is processed whole and ACKed once; each out-of-order segment draws an immediate
/// duplicate ACK (RFC 5681 §4.2), which also carries the in-order segments before it;
/// the segment that fills the hole is ACKed at once.
#[test]
fn a_burst_read_in_one_poll_is_acked_once_and_gaps_at_once() {
    let (mut a, mut b) = pair();
    let mut server = tcp::Socket::with_capacity(64 * 1024, 1024);
    server.listen(80).unwrap();
    let hs = b.sockets.add_socket(server).unwrap();
    let remote: core::net::SocketAddr = "192.0.2.2:80".parse().unwrap();
    let mut client = tcp::Socket::with_capacity(1024, 64 * 1024);
    client.set_nodelay(true);
    let cx = a.iface.tcp_context(Instant::ZERO, remote.ip());
    client
        .connect(&cx, remote, "192.0.2.1:40002".parse().unwrap())
        .unwrap();
    let hc = a.sockets.add_socket(client).unwrap();
    let mut now = Instant::ZERO;
    run(&mut a, &mut b, &mut now, 4, Duration::from_millis(1));
    assert_eq!(
        b.sockets.get_as::<tcp::Socket>(hs).unwrap().state(),
        State::Established
    );
    // Two bursts of ten full segments (timestamps on: 1448 bytes each); the whole
    // first burst is in B's queue before B polls.
    let burst = |a: &mut common::Host, now| {
        let mut c = a.sockets.get_mut_as::<tcp::Socket>(hc).unwrap();
        assert_eq!(c.send_slice(&[9u8; 10 * 1448]), Ok(10 * 1448));
        drop(c);
        a.poll(now);
    };
    burst(&mut a, now);
    assert_eq!(b.dev.incoming().len(), 10);
    let before = b.dev.sent.borrow().len();
    b.poll(now);
    let acks = acks_in(&b.dev.sent.borrow()[before..]);
    assert_eq!(acks.len(), 1, "one ACK for the batch: {acks:?}");
    let base = acks[0].wrapping_sub(10 * 1448);
    a.poll(now);

    // The second burst loses its third segment on the way; it arrives after the rest.
    now += Duration::from_millis(1);
    burst(&mut a, now);
    let late = b.dev.incoming().remove(2).unwrap();
    let before = b.dev.sent.borrow().len();
    b.poll(now);
    let acks = acks_in(&b.dev.sent.borrow()[before..]);
    let edge = base.wrapping_add(10 * 1448);
    let hole = edge.wrapping_add(2 * 1448);
    // Two in order (their ACK waits), then seven out of order: a duplicate ACK each,
    // the first of which also ACKs the two.
    assert_eq!(acks, [hole; 7]);
    b.dev.incoming().push_back(late);
    let before = b.dev.sent.borrow().len();
    b.poll(now);
    let acks = acks_in(&b.dev.sent.borrow()[before..]);
    assert_eq!(
        acks,
        [edge.wrapping_add(10 * 1448)],
        "the filled hole is ACKed at once"
    );
}
