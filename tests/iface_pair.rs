//! Two interfaces on one cable: ARP/NDP resolution, UDP both IP versions, ping, IPv4
//! fragmentation and reassembly, and the answers to closed ports.

mod common;

use common::{Host, cable, run};
use skiff::socket::{icmp, udp};
use skiff::time::{Duration, Instant};
use skiff::wire::{IpAddress, IpListenEndpoint};

fn pair() -> (Host, Host) {
    let (a, b) = cable();
    (Host::new(a, 1, 11), Host::new(b, 2, 22))
}

fn udp_socket(host: &mut Host, port: u16) -> skiff::socket::SocketHandle {
    let mut s = udp::Socket::with_capacity(8, 65536);
    s.bind(IpListenEndpoint::from(port)).unwrap();
    host.sockets.add_socket(s).unwrap()
}

#[test]
fn udp_over_ipv4_resolves_the_peer_by_arp_and_delivers_the_datagram() {
    let (mut a, mut b) = pair();
    let ha = udp_socket(&mut a, 5000);
    let hb = udp_socket(&mut b, 7);
    let dst: core::net::SocketAddr = "192.0.2.2:7".parse().unwrap();
    a.sockets
        .get_mut_as::<udp::Socket>(ha)
        .unwrap()
        .send_slice(b"hello", dst)
        .unwrap();
    let mut now = Instant::ZERO;
    run(&mut a, &mut b, &mut now, 5, Duration::from_millis(1));
    let mut buf = [0u8; 64];
    let (n, meta) = b
        .sockets
        .get_mut_as::<udp::Socket>(hb)
        .unwrap()
        .recv_slice(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], b"hello");
    assert_eq!(meta.remote, "192.0.2.1:5000".parse().unwrap());
    assert_eq!(meta.local_addr, Some("192.0.2.2".parse().unwrap()));
    assert_eq!(a.iface.counters().arp_tx_requests, 1);
    assert_eq!(b.iface.counters().arp_tx_replies, 1);
    assert_eq!(b.iface.counters().udp_rx, 1);
}

#[test]
fn udp_over_ipv6_resolves_the_peer_by_ndp_and_delivers_the_datagram() {
    let (mut a, mut b) = pair();
    let ha = udp_socket(&mut a, 5000);
    let hb = udp_socket(&mut b, 7);
    let dst: core::net::SocketAddr = "[2001:db8::2]:7".parse().unwrap();
    a.sockets
        .get_mut_as::<udp::Socket>(ha)
        .unwrap()
        .send_slice(b"hello6", dst)
        .unwrap();
    let mut now = Instant::ZERO;
    run(&mut a, &mut b, &mut now, 5, Duration::from_millis(1));
    let mut buf = [0u8; 64];
    let (n, meta) = b
        .sockets
        .get_mut_as::<udp::Socket>(hb)
        .unwrap()
        .recv_slice(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], b"hello6");
    assert_eq!(meta.remote, "[2001:db8::1]:5000".parse().unwrap());
    assert_eq!(a.iface.counters().ndp_tx_solicitations, 1);
    assert_eq!(b.iface.counters().ndp_tx_advertisements, 1);
}

#[test]
fn an_8_kib_udp_datagram_is_fragmented_and_reassembled() {
    let (mut a, mut b) = pair();
    let ha = udp_socket(&mut a, 5000);
    let hb = udp_socket(&mut b, 7);
    let payload: Vec<u8> = (0..8192u32).map(|i| (i * 7) as u8).collect();
    let dst: core::net::SocketAddr = "192.0.2.2:7".parse().unwrap();
    a.sockets
        .get_mut_as::<udp::Socket>(ha)
        .unwrap()
        .send_slice(&payload, dst)
        .unwrap();
    let mut now = Instant::ZERO;
    run(&mut a, &mut b, &mut now, 5, Duration::from_millis(1));
    let mut buf = vec![0u8; 9000];
    let (n, _) = b
        .sockets
        .get_mut_as::<udp::Socket>(hb)
        .unwrap()
        .recv_slice(&mut buf)
        .unwrap();
    assert_eq!(&buf[..n], &payload[..]);
    assert_eq!(a.iface.counters().ipv4_frags_tx, 6);
    assert_eq!(b.iface.counters().ipv4_reassembled, 1);
}

#[test]
fn ping_over_both_ip_versions_gets_echo_replies() {
    let (mut a, mut b) = pair();
    let mut s = icmp::Socket::with_capacity(8, 4096);
    s.bind(0x1234).unwrap();
    let h = a.sockets.add_socket(s).unwrap();
    let v4: IpAddress = "192.0.2.2".parse().unwrap();
    let v6: IpAddress = "2001:db8::2".parse().unwrap();
    {
        let mut s = a.sockets.get_mut_as::<icmp::Socket>(h).unwrap();
        s.send_echo_request(v4, 1, b"abcdefgh").unwrap();
        s.send_echo_request(v6, 2, b"ijklmnop").unwrap();
    }
    let mut now = Instant::ZERO;
    run(&mut a, &mut b, &mut now, 6, Duration::from_millis(1));
    let mut s = a.sockets.get_mut_as::<icmp::Socket>(h).unwrap();
    let mut buf = [0u8; 128];
    let (n1, from1) = s.recv_slice(&mut buf).unwrap();
    assert_eq!(from1, v4);
    assert_eq!(buf[0], 0, "ICMPv4 echo reply");
    assert_eq!(&buf[8..n1], b"abcdefgh");
    let (n2, from2) = s.recv_slice(&mut buf).unwrap();
    assert_eq!(from2, v6);
    assert_eq!(buf[0], 129, "ICMPv6 echo reply");
    assert_eq!(&buf[8..n2], b"ijklmnop");
    assert_eq!(b.iface.counters().icmpv4_echo_replies, 1);
    assert_eq!(b.iface.counters().icmpv6_echo_replies, 1);
}

#[test]
fn udp_to_a_closed_port_is_answered_with_port_unreachable() {
    let (mut a, mut b) = pair();
    let ha = udp_socket(&mut a, 5000);
    {
        let mut s = a.sockets.get_mut_as::<udp::Socket>(ha).unwrap();
        s.send_slice(
            b"x",
            "192.0.2.2:9".parse::<core::net::SocketAddr>().unwrap(),
        )
        .unwrap();
        s.send_slice(
            b"y",
            "[2001:db8::2]:9".parse::<core::net::SocketAddr>().unwrap(),
        )
        .unwrap();
    }
    let mut now = Instant::ZERO;
    run(&mut a, &mut b, &mut now, 6, Duration::from_millis(1));
    assert_eq!(b.iface.counters().udp_no_socket, 2);
    assert_eq!(b.iface.counters().icmpv4_errors_tx, 1);
    assert_eq!(b.iface.counters().icmpv6_errors_tx, 1);
    assert_eq!(a.iface.counters().icmpv4_errors_rx, 1);
    assert_eq!(a.iface.counters().icmpv6_errors_rx, 1);
    // D1.6: the sending socket hears of both errors.
    let mut s = a.sockets.get_mut_as::<udp::Socket>(ha).unwrap();
    assert_eq!(s.counters().icmp_errors, 2);
    let last = s.take_error().expect("an error report");
    assert_eq!(last.remote, "[2001:db8::2]:9".parse().unwrap());
    assert_eq!(
        (last.icmp_type, last.icmp_code),
        (1, 4),
        "ICMPv6 port unreachable"
    );
    assert_eq!(s.take_error(), None);
}

/// Demux cost is a keyed lookup: the chain entries compared per lookup stay flat from 1
/// to 10,000 bound sockets (DESIGN rule 4). Counted, not timed.
#[test]
fn per_datagram_demux_work_is_the_same_with_10000_bound_sockets_as_with_1() {
    let mut probes_per_datagram = Vec::new();
    for count in [1u16, 10_000] {
        let datagrams = 64u16;
        let (a, b) = cable();
        let mut a = Host::new(a, 1, 11);
        let mut b = Host::new(b, 2, 22);
        b.sockets = skiff::socket::SocketSet::with_capacity(usize::from(count), 33);
        let handles: Vec<_> = (0..count)
            .map(|i| {
                let per_socket = usize::from(datagrams / count + 2);
                let mut s = udp::Socket::with_capacity(per_socket, 64 * per_socket);
                s.bind(IpListenEndpoint::from(10_000 + i)).unwrap();
                b.sockets.add_socket(s).unwrap()
            })
            .collect();
        let ha = udp_socket(&mut a, 5000);
        let mut now = Instant::ZERO;
        let before = b.sockets.index_stats();
        for i in 0..datagrams {
            let port = 10_000 + (i * 157) % count;
            let dst = core::net::SocketAddr::new("192.0.2.2".parse().unwrap(), port);
            a.sockets
                .get_mut_as::<udp::Socket>(ha)
                .unwrap()
                .send_slice(b"x", dst)
                .unwrap();
            run(&mut a, &mut b, &mut now, 3, Duration::from_millis(1));
        }
        let after = b.sockets.index_stats();
        assert_eq!(b.iface.counters().udp_rx, u64::from(datagrams));
        let delivered: usize = handles
            .iter()
            .map(|h| {
                let mut n = 0;
                let mut s = b.sockets.get_mut_as::<udp::Socket>(*h).unwrap();
                while s.recv().is_ok() {
                    n += 1;
                }
                n
            })
            .sum();
        assert_eq!(delivered, usize::from(datagrams));
        probes_per_datagram.push((after.probes - before.probes) as f64 / f64::from(datagrams));
    }
    eprintln!("index probes per datagram with 1 and 10,000 sockets: {probes_per_datagram:?}");
    // The exact-address lookup misses (sockets are bound to any address), then the
    // wildcard lookup hits: about one compare per datagram either way.
    assert!(
        probes_per_datagram[1] <= probes_per_datagram[0] + 0.7,
        "{probes_per_datagram:?}"
    );
}
