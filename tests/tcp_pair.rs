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

fn transfer(server_addr: &str, client_addr: &str) {
    let (mut a, mut b) = pair();
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
}

#[test]
fn tcp_over_ipv4_transfers_both_ways_and_closes_through_the_interface() {
    transfer("192.0.2.2:80", "192.0.2.1:40000");
}

#[test]
fn tcp_over_ipv6_transfers_both_ways_and_closes_through_the_interface() {
    transfer("[2001:db8::2]:80", "[2001:db8::1]:40000");
}

/// SHLD-19: a bulk receiver ACKs every second full-sized segment, counting segments as
/// they really are (timestamps shorten them by 12 bytes), not every third.
#[test]
fn a_bulk_receiver_acks_every_second_full_segment() {
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
        acks >= data_segments / 2.0 - 5.0 && acks <= data_segments / 2.0 + 20.0,
        "{acks} ACKs for {data_segments} segments"
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
