//! TCP conformance through the interface: the CONFORMANCE A.1 rules that involve more
//! than one socket, the IP layer or the exact bytes on the wire (MUST-3, 41..45, 49,
//! 55, 57, 63, 64, 69; CORE-22 on the wire). The host under test is 192.0.2.1/24 at
//! 02:00:00:00:00:01; the peer 192.0.2.2. The table in `docs/tcp-conformance.md`
//! points here.

mod common;

use common::script::*;
use skiff::iface::NeighborState;
use skiff::socket::SocketHandle;
use skiff::socket::tcp::{self, State, TcpConfig};
use skiff::time::Duration;
use skiff::wire::frame::{Network, Transport};
use skiff::wire::*;

/// The peer's initial sequence number.
const PEER_ISN: u32 = 7_000_000;

/// A segment from 192.0.2.2:`sport` to us, in a frame.
fn from_peer(src: Ipv4Address, repr: &TcpRepr<'_>) -> Vec<u8> {
    frame4(
        ip4(src, v4(1), IpProtocol::Tcp),
        &tcp(src.into(), v4(1).into(), repr),
    )
}

/// A segment from the peer: `sport` -> `dport`, `seq` relative to [`PEER_ISN`].
fn peer_seg(
    sport: u16,
    dport: u16,
    flags: TcpFlags,
    seq: u32,
    ack: Option<SeqNumber>,
) -> TcpRepr<'static> {
    TcpRepr {
        ack_number: ack,
        flags: flags | ack.map_or(TcpFlags::empty(), |_| TcpFlags::ACK),
        ..tcp_repr(
            sport,
            dport,
            TcpFlags::empty(),
            PEER_ISN.wrapping_add(seq),
            None,
        )
    }
}

/// Source, destination, TTL and segment of a TCP frame we sent.
fn tcp_of(frame: &[u8]) -> (IpAddress, IpAddress, u8, TcpRepr<'_>) {
    let f = dissect(frame);
    match (f.network, f.transport) {
        (Network::Ipv4(ip), Some(Transport::Tcp(t))) => {
            (ip.src_addr.into(), ip.dst_addr.into(), ip.hop_limit, t)
        }
        (Network::Ipv6(ip), Some(Transport::Tcp(t))) => {
            (ip.src_addr.into(), ip.dst_addr.into(), ip.hop_limit, t)
        }
        _ => panic!("not TCP: {f}"),
    }
}

/// A plain socket (no options, immediate ACKs) listening on `port`.
fn listener(s: &mut Script, port: u16) -> SocketHandle {
    let mut socket = tcp::Socket::with_capacity(4096, 4096);
    socket.set_config(TcpConfig {
        window_scale: false,
        timestamps: false,
        sack: false,
        delayed_ack: None,
        ..TcpConfig::default()
    });
    socket.listen(port).unwrap();
    s.sockets.add_socket(socket).unwrap()
}

/// A SYN from 192.0.2.2:`sport` to port 80; the single segment that answers it (no
/// payload) and its TTL.
fn syn_from(s: &mut Script, sport: u16) -> (TcpRepr<'static>, u8) {
    let out = s.exchange(from_peer(
        v4(2),
        &peer_seg(sport, 80, TcpFlags::SYN, 0, None),
    ));
    let (_, _, ttl, reply) = tcp_of(only(&out));
    (
        TcpRepr {
            payload: &[],
            ..reply
        },
        ttl,
    )
}

/// An ICMPv4 message of `kind` and `code` from the peer quoting the start of a
/// segment we sent to it, in a frame.
fn icmp_about(ours: &TcpRepr<'_>, kind: u8, code: u8) -> Vec<u8> {
    let quoted = tcp(v4(1).into(), v4(2).into(), ours);
    let mut icmp = vec![kind, code, 0, 0, 0, 0, 0, 0];
    icmp.extend(ipv4(ip4(v4(1), v4(2), IpProtocol::Tcp), &quoted[..8]));
    let sum = checksum::finish(checksum::sum(&icmp));
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &icmp)
}

fn state(s: &Script, h: SocketHandle) -> State {
    s.sockets.get_as::<tcp::Socket>(h).unwrap().state()
}

#[test]
fn a_segment_with_a_bad_checksum_is_dropped_silently_and_counted() {
    // MUST-3.
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let mut frame = from_peer(v4(2), &peer_seg(40000, 80, TcpFlags::SYN, 0, None));
    frame[14 + 20 + 16] ^= 0x40; // the TCP checksum field
    silent(&s.exchange(frame));
    assert_eq!(s.counters().tcp_bad_checksum, 1);
    assert_eq!(state(&s, h), State::Listen);
}

#[test]
fn a_new_listener_on_a_port_leaves_the_connections_on_it_alone() {
    // MUST-41 (opening a listener changes no connection) and MUST-42 (a port listens
    // while other connections on it are in SYN-RECEIVED and SYN-SENT).
    let mut s = Script::new();
    s.learn_peer();
    let first = listener(&mut s, 80);
    let (synack, _) = syn_from(&mut s, 40000);
    let iss = synack.seq_number;
    assert_eq!(state(&s, first), State::SynReceived);
    // A second listener on the same port, and an active open from that port.
    let second = listener(&mut s, 80);
    let mut active = tcp::Socket::with_capacity(1024, 1024);
    let cx = s.iface.tcp_context(s.now, v4(2).into());
    let peer_srv: core::net::SocketAddr = "192.0.2.2:9999".parse().unwrap();
    active
        .connect(&cx, peer_srv, "192.0.2.1:80".parse().unwrap())
        .unwrap();
    let active = s.sockets.add_socket(active).unwrap();
    let out = s.poll();
    let (_, _, _, syn) = tcp_of(only(&out));
    assert_eq!(
        (syn.flags, syn.src_port, syn.dst_port),
        (TcpFlags::SYN, 80, 9999)
    );
    assert_eq!(state(&s, active), State::SynSent);
    // The first connection completes, untouched by the new listener.
    silent(&s.exchange(from_peer(
        v4(2),
        &peer_seg(40000, 80, TcpFlags::empty(), 1, Some(iss + 1)),
    )));
    assert_eq!(state(&s, first), State::Established);
    assert_eq!(state(&s, second), State::Listen);
    // A SYN from another client goes to the listener ...
    let out = s.exchange(from_peer(
        v4(2),
        &peer_seg(40001, 80, TcpFlags::SYN, 0, None),
    ));
    let (_, _, _, synack2) = tcp_of(only(&out));
    assert_eq!(
        (synack2.flags, synack2.dst_port),
        (TcpFlags::SYN | TcpFlags::ACK, 40001)
    );
    assert_eq!(state(&s, second), State::SynReceived);
    // ... and the SYN-ACK from port 9999 to the active open.
    let synack = peer_seg(9999, 80, TcpFlags::SYN, 0, Some(syn.seq_number + 1));
    let out = s.exchange(from_peer(v4(2), &synack));
    let (_, _, _, ack) = tcp_of(only(&out));
    assert_eq!((ack.flags, ack.dst_port), (TcpFlags::ACK, 9999));
    assert_eq!(state(&s, active), State::Established);
    assert_eq!(state(&s, first), State::Established);
}

#[test]
fn an_open_without_a_local_address_gets_one_chosen_and_keeps_it_for_every_segment() {
    // MUST-43 (the local IP is optional: `Interface::tcp_connect` leaves it out,
    // `Socket::connect` takes one), MUST-44 (IP chooses it before the SYN), MUST-45
    // (every later segment uses it).
    let mut s = Script::new();
    assert!(s.iface.add_ip_addr("198.51.100.7/24".parse().unwrap()));
    s.learn_peer();
    let h = s
        .sockets
        .add_socket(tcp::Socket::with_capacity(4096, 4096))
        .unwrap();
    let remote: core::net::SocketAddr = "192.0.2.2:80".parse().unwrap();
    let local = s
        .iface
        .tcp_connect(s.now, &mut s.sockets, h, remote)
        .unwrap();
    assert_eq!(
        local.ip(),
        IpAddress::from(v4(1)),
        "the address on the peer's subnet"
    );
    let out = s.poll();
    let (src, dst, _, syn) = tcp_of(only(&out));
    assert_eq!((src, dst), (local.ip(), remote.ip()));
    let synack = TcpRepr {
        max_seg_size: Some(1000),
        ..peer_seg(80, local.port(), TcpFlags::SYN, 0, Some(syn.seq_number + 1))
    };
    let mut sent = s.exchange(from_peer(v4(2), &synack));
    s.sockets
        .get_mut_as::<tcp::Socket>(h)
        .unwrap()
        .send_slice(&[1u8; 3000])
        .unwrap();
    sent.extend(s.poll());
    s.sockets
        .get_mut_as::<tcp::Socket>(h)
        .unwrap()
        .close()
        .unwrap();
    sent.extend(s.advance(Duration::from_secs(1)));
    assert!(sent.len() >= 3);
    for frame in &sent {
        let (src, _, _, seg) = tcp_of(frame);
        assert_eq!((src, seg.src_port), (local.ip(), local.port()));
    }
}

#[test]
fn tcp_segments_leave_with_the_configured_hop_limit() {
    // MUST-49: the TTL of TCP segments is configurable (per interface).
    let mut s = Script::with_config(|c| c.hop_limit = 17);
    s.learn_peer();
    listener(&mut s, 80);
    let (synack, ttl) = syn_from(&mut s, 40000);
    assert_eq!((ttl, synack.flags), (17, TcpFlags::SYN | TcpFlags::ACK));
}

#[test]
fn an_icmp_source_quench_is_silently_discarded() {
    // MUST-55: type 4 changes nothing and draws nothing.
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let (synack, _) = syn_from(&mut s, 40000);
    silent(&s.exchange(icmp_about(&synack, 4, 0)));
    assert_eq!(state(&s, h), State::SynReceived);
    silent(&s.advance(Duration::from_millis(100)));
}

#[test]
fn a_syn_to_a_broadcast_address_reaches_no_listener_and_draws_no_rst() {
    // MUST-57.
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let syn = peer_seg(40000, 80, TcpFlags::SYN, 0, None);
    let ip = ip4(v4(2), Ipv4Address::new(192, 0, 2, 255), IpProtocol::Tcp);
    let packet = ipv4(
        ip,
        &tcp(v4(2).into(), Ipv4Address::new(192, 0, 2, 255).into(), &syn),
    );
    let frame = ethernet(
        PEER_MAC,
        EthernetAddress::BROADCAST,
        EthernetProtocol::Ipv4,
        &packet,
    );
    silent(&s.exchange(frame));
    assert_eq!(state(&s, h), State::Listen);
    assert_eq!(s.counters().tcp_tx_rst, 0);
}

#[test]
fn a_syn_from_an_address_that_cannot_send_is_ignored() {
    // MUST-63: broadcast, multicast, loopback, class E and (for TCP) unspecified
    // sources; the IP layer drops them before TCP sees them (C3.4).
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let bad = [
        Ipv4Address::new(255, 255, 255, 255),
        Ipv4Address::new(192, 0, 2, 255),
        Ipv4Address::new(224, 0, 0, 9),
        Ipv4Address::new(127, 0, 0, 1),
        Ipv4Address::new(240, 0, 0, 1),
        Ipv4Address::new(0, 0, 0, 0),
    ];
    for src in bad {
        silent(&s.exchange(from_peer(src, &peer_seg(40000, 80, TcpFlags::SYN, 0, None))));
        assert_eq!(state(&s, h), State::Listen, "from {src}");
    }
    assert_eq!(s.counters().ipv4_bad_src, bad.len() as u64);
}

#[test]
fn options_are_parsed_at_any_alignment() {
    // MUST-64: WS at offset 0, MSS at 3, SACK-permitted at 7, TS at 9, EOL at 19 (no
    // NOP padding at all); the SYN-ACK shows every one was understood.
    let mut s = Script::new();
    s.learn_peer();
    let mut socket = tcp::Socket::with_capacity(4096, 4096);
    socket.listen(80).unwrap();
    let h = s.sockets.add_socket(socket).unwrap();
    let mut options = vec![3, 3, 2, 2, 4, 0x01, 0xf4, 4, 2, 8, 10];
    options.extend(0x0102_0304u32.to_be_bytes());
    options.extend(0u32.to_be_bytes());
    options.push(0);
    assert_eq!(options.len(), 20);
    let base = peer_seg(40000, 80, TcpFlags::SYN, 0, None);
    let mut segment = tcp(v4(2).into(), v4(1).into(), &base);
    segment[12] = (5 + 5) << 4;
    segment.splice(20..20, options);
    segment[16..18].fill(0);
    let pseudo = checksum::pseudo_header_v4(&v4(2), &v4(1), 6, segment.len() as u16);
    let sum = checksum::finish(checksum::combine(&[pseudo, checksum::sum(&segment)]));
    segment[16..18].copy_from_slice(&sum.to_be_bytes());
    let out = s.exchange(frame4(ip4(v4(2), v4(1), IpProtocol::Tcp), &segment));
    let (_, _, _, synack) = tcp_of(only(&out));
    assert_eq!(synack.flags, TcpFlags::SYN | TcpFlags::ACK);
    assert!(synack.window_scale.is_some(), "WS understood");
    assert!(synack.sack_permitted, "SACK-permitted understood");
    assert_eq!(
        synack.timestamp.map(|t| t.tsecr),
        Some(0x0102_0304),
        "TS understood"
    );
    assert_eq!(state(&s, h), State::SynReceived);
    // The MSS (500) is honoured for data.
    let ack = TcpRepr {
        timestamp: Some(TcpTimestampRepr {
            tsval: 0x0102_0305,
            tsecr: synack.timestamp.unwrap().tsval,
        }),
        ..peer_seg(40000, 80, TcpFlags::empty(), 1, Some(synack.seq_number + 1))
    };
    s.exchange(from_peer(v4(2), &ack));
    s.sockets
        .get_mut_as::<tcp::Socket>(h)
        .unwrap()
        .send_slice(&[0u8; 2000])
        .unwrap();
    let out = s.poll();
    let (_, _, _, data) = tcp_of(&out[0]);
    assert_eq!(data.payload.len(), 500 - 12);
}

#[test]
fn emitted_headers_have_zero_reserved_bits_and_zero_bytes_after_an_eol() {
    // MUST-68 (every option but EOL/NOP has a length), MUST-69 (bytes after an EOL
    // are zero), CORE-22 (reserved bits sent as zero): the emitter writes every byte
    // of the header, whatever the buffer held before.
    let ts = Some(TcpTimestampRepr { tsval: 1, tsecr: 2 });
    let base = tcp_repr(1, 2, TcpFlags::SYN, 9, None);
    let cases = [
        TcpRepr {
            max_seg_size: Some(1460),
            ..base
        },
        TcpRepr {
            window_scale: Some(7),
            ..base
        },
        TcpRepr {
            max_seg_size: Some(1460),
            window_scale: Some(7),
            sack_permitted: true,
            timestamp: ts,
            ..base
        },
        TcpRepr {
            sack_ranges: [Some((1, 2)), Some((3, 4)), None, None],
            timestamp: ts,
            ..tcp_repr(1, 2, TcpFlags::ACK, 9, Some(1))
        },
        TcpRepr {
            sack_permitted: true,
            ..base
        },
    ];
    for repr in cases {
        let mut buf = vec![0xaau8; repr.buffer_len()];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut buf[..]),
            &v4(1).into(),
            &v4(2).into(),
            &ChecksumCapabilities::default(),
        );
        assert_eq!(buf[12] & 0x0e, 0, "reserved bits: {repr:?}");
        let options = &buf[20..];
        let mut i = 0;
        while i < options.len() {
            match options[i] {
                0 => {
                    assert!(
                        options[i..].iter().all(|&b| b == 0),
                        "after EOL: {options:02x?}"
                    );
                    break;
                }
                1 => i += 1,
                _ => {
                    let len = options[i + 1] as usize;
                    assert!(len >= 2, "length byte: {options:02x?}");
                    i += len;
                }
            }
        }
        assert!(i <= options.len(), "an option overruns: {options:02x?}");
        assert!(!buf.contains(&0xaa), "a byte left unwritten: {buf:02x?}");
    }
}

#[test]
fn ip_options_tcp_does_not_understand_are_ignored() {
    // MUST-50: a SYN in a datagram with an unknown IPv4 option (type 0x9e, length 4)
    // and a Record Route option opens the connection as usual.
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let options = Ipv4Options::new(&[0x9e, 4, 0xab, 0xcd, 7, 7, 4, 0, 0, 0, 0, 0]).unwrap();
    let ip = Ipv4Repr {
        options,
        ..ip4(v4(2), v4(1), IpProtocol::Tcp)
    };
    let syn = peer_seg(40000, 80, TcpFlags::SYN, 0, None);
    let out = s.exchange(frame4(ip, &tcp(v4(2).into(), v4(1).into(), &syn)));
    let (_, _, _, synack) = tcp_of(only(&out));
    assert_eq!(synack.flags, TcpFlags::SYN | TcpFlags::ACK);
    assert_eq!(state(&s, h), State::SynReceived);
}

#[test]
fn the_isn_key_comes_from_the_seed() {
    // B9.2: the same seed gives the same ISNs (deterministic by design: production
    // seeds must be secret); another seed gives unrelated ones.
    let isn = |seed: u64| {
        let mut s = Script::with_config(|c| c.random_seed = seed);
        s.learn_peer();
        listener(&mut s, 80);
        syn_from(&mut s, 40000).0.seq_number
    };
    assert_eq!(isn(1), isn(1));
    assert_ne!(isn(1), isn(2));
}

#[test]
fn soft_icmp_errors_never_abort_a_connection() {
    // MUST-56: Destination Unreachable codes 0, 1, 5, Time Exceeded, Parameter Problem
    // are reported (SHLD-25) and never abort; a hard error (port unreachable) after the
    // SYN-SENT state is reported too, as RFC 5927 advises, without an abort.
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let (synack, _) = syn_from(&mut s, 40000);
    for (kind, code) in [(3u8, 0u8), (3, 1), (3, 5), (11, 0), (12, 0), (3, 3)] {
        silent(&s.exchange(icmp_about(&synack, kind, code)));
        assert_eq!(state(&s, h), State::SynReceived, "type {kind} code {code}");
        // SHLD-25, MUST-47: each is made available to the application.
        let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
        let report = socket.take_soft_error().expect("a soft error report");
        assert_eq!((report.icmp_type, report.icmp_code), (kind, code));
        assert_eq!(report.from, IpAddress::from(v4(2)));
    }
    // The handshake goes on: the SYN-ACK is retransmitted at its timeout.
    let out = s.advance(Duration::from_secs(1));
    let (_, _, _, again) = tcp_of(only(&out));
    assert_eq!(again.flags, TcpFlags::SYN | TcpFlags::ACK);
}

/// An active open through `tcp_connect` to `remote`; the handle and our SYN.
fn active_open(s: &mut Script, remote: &str) -> (SocketHandle, TcpRepr<'static>) {
    let h = s
        .sockets
        .add_socket(tcp::Socket::with_capacity(1024, 1024))
        .unwrap();
    let remote: core::net::SocketAddr = remote.parse().unwrap();
    s.iface
        .tcp_connect(s.now, &mut s.sockets, h, remote)
        .unwrap();
    let out = s.poll();
    let (_, _, _, syn) = tcp_of(only(&out));
    (
        h,
        TcpRepr {
            payload: &[],
            ..syn
        },
    )
}

#[test]
fn a_port_unreachable_during_the_handshake_refuses_the_connection() {
    // MUST-54 (ICMP errors reach the connection by the quoted 4-tuple), SHLD-26 (a
    // hard error aborts; here, as RFC 5927 advises, only during setup).
    let mut s = Script::new();
    s.learn_peer();
    let (h, syn) = active_open(&mut s, "192.0.2.2:80");
    silent(&s.exchange(icmp_about(&syn, 3, 3)));
    let socket = s.sockets.get_as::<tcp::Socket>(h).unwrap();
    assert_eq!(socket.state(), State::Closed);
    assert_eq!(socket.close_reason(), Some(tcp::CloseReason::Refused));
    assert_eq!(socket.counters().icmp_errors, 1);
    silent(&s.advance(Duration::from_secs(1)));
}

#[test]
fn an_icmp_error_quoting_a_sequence_number_not_in_flight_is_ignored() {
    // RFC 5927 §4.1 (B7.2's validation): only SND.UNA <= SEQ < SND.NXT is believed.
    let mut s = Script::new();
    s.learn_peer();
    let (h, syn) = active_open(&mut s, "192.0.2.2:80");
    let forged = TcpRepr {
        seq_number: syn.seq_number + 1000,
        ..syn
    };
    silent(&s.exchange(icmp_about(&forged, 3, 3)));
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
    assert_eq!(socket.state(), State::SynSent);
    assert_eq!(socket.take_soft_error(), None);
    assert_eq!(socket.counters().icmp_errors_ignored, 1);
}

#[test]
fn a_port_unreachable_over_ipv6_during_the_handshake_refuses_the_connection() {
    // MUST-54 over IPv6: ICMPv6 Destination Unreachable code 4 (port) is hard; a
    // Parameter Problem is soft (MUST-56) and only reported.
    let mut s = Script::new();
    s.learn_peer();
    let (h, syn) = active_open(&mut s, "[2001:db8::2]:80");
    let quoted = tcp(v6(1).into(), v6(2).into(), &syn);
    let error = |kind: u8, code: u8| {
        let mut icmp = vec![kind, code, 0, 0, 0, 0, 0, 0];
        icmp.extend(ipv6(ip6(v6(1), v6(2), IpProtocol::Tcp, 64), &quoted[..8]));
        let pseudo = checksum::pseudo_header_v6(&v6(2), &v6(1), 58, icmp.len() as u32);
        let sum = checksum::finish(checksum::combine(&[pseudo, checksum::sum(&icmp)]));
        icmp[2..4].copy_from_slice(&sum.to_be_bytes());
        frame6(ip6(v6(2), v6(1), IpProtocol::Icmpv6, 64), &icmp)
    };
    silent(&s.exchange(error(4, 1)));
    {
        let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
        assert_eq!(socket.state(), State::SynSent);
        let report = socket.take_soft_error().expect("reported");
        assert_eq!((report.icmp_type, report.icmp_code), (4, 1));
    }
    silent(&s.exchange(error(1, 4)));
    let socket = s.sockets.get_as::<tcp::Socket>(h).unwrap();
    assert_eq!(socket.close_reason(), Some(tcp::CloseReason::Refused));
}

/// The DSCP of an IPv4 frame we sent, or of an IPv6 one (from its traffic class).
fn dscp_of(frame: &[u8]) -> u8 {
    match dissect(frame).network {
        Network::Ipv4(ip) => ip.dscp,
        Network::Ipv6(ip) => ip.traffic_class >> 2,
        _ => panic!("not IP"),
    }
}

#[test]
fn segments_carry_the_sockets_dscp_which_may_change_mid_connection() {
    // MUST-48 (the application sets the DSCP), SHLD-21 (it may change during the
    // connection), SHLD-22 (passed to IP unchanged), over IPv4 and IPv6.
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
    let config = TcpConfig {
        dscp: 46,
        ..*socket.config()
    };
    socket.set_config(config);
    drop(socket);
    let out = s.exchange(from_peer(
        v4(2),
        &peer_seg(40000, 80, TcpFlags::SYN, 0, None),
    ));
    assert_eq!(dscp_of(only(&out)), 46);
    let (_, _, _, synack) = tcp_of(only(&out));
    let ack = peer_seg(40000, 80, TcpFlags::empty(), 1, Some(synack.seq_number + 1));
    s.exchange(from_peer(v4(2), &ack));
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
    socket.set_config(TcpConfig { dscp: 10, ..config });
    socket.send_slice(b"af11").unwrap();
    drop(socket);
    assert_eq!(dscp_of(only(&s.poll())), 10);
    // IPv6: the DSCP sits in the top six bits of the traffic class.
    let (h6, _) = active_open(&mut s, "[2001:db8::2]:81");
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h6).unwrap();
    socket.set_config(TcpConfig { dscp: 46, ..config });
    drop(socket);
    // The SYN's retransmission at 1 s (beside that of the unacknowledged data).
    let out = s.advance(Duration::from_secs(1));
    let syn = out.iter().find(|f| tcp_of(f).3.flags == TcpFlags::SYN);
    assert_eq!(dscp_of(syn.expect("the SYN again")), 46);
}

/// An ICMPv4 Fragmentation Needed (type 3, code 4) about `ours`, reporting `mtu`.
fn frag_needed_about(ours: &TcpRepr<'_>, mtu: u16) -> Vec<u8> {
    let quoted = tcp(v4(1).into(), v4(2).into(), ours);
    let mut icmp = vec![3, 4, 0, 0, 0, 0];
    icmp.extend(mtu.to_be_bytes());
    icmp.extend(ipv4(ip4(v4(1), v4(2), IpProtocol::Tcp), &quoted[..8]));
    let sum = checksum::finish(checksum::sum(&icmp));
    icmp[2..4].copy_from_slice(&sum.to_be_bytes());
    frame4(ip4(v4(2), v4(1), IpProtocol::Icmp), &icmp)
}

#[test]
fn a_fragmentation_needed_shrinks_the_segments_which_carry_df_and_resends_at_once() {
    // B7.1 (DF on every IPv4 segment), B7.2 (a validated report lowers the path MTU),
    // B7.6 (the dropped data is resent at once, cut to the new size; not congestion).
    let mut s = Script::new();
    s.learn_peer();
    let h = listener(&mut s, 80);
    let out = s.exchange(from_peer(
        v4(2),
        &peer_seg(40000, 80, TcpFlags::SYN, 0, None),
    ));
    let (_, _, _, synack) = tcp_of(only(&out));
    let ack = peer_seg(40000, 80, TcpFlags::empty(), 1, Some(synack.seq_number + 1));
    s.exchange(from_peer(v4(2), &ack));
    // Mid-transfer: some data is acknowledged (so the window is no longer the initial
    // one, which RFC 6928 computes from the MSS), more is in flight.
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
    socket.send_slice(&[5u8; 500]).unwrap();
    drop(socket);
    let out = s.poll();
    let (_, _, _, first) = tcp_of(only(&out));
    let acked = first.seq_number + first.payload.len();
    let ack = peer_seg(40000, 80, TcpFlags::empty(), 1, Some(acked));
    s.exchange(from_peer(v4(2), &ack));
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
    socket.send_slice(&[5u8; 2000]).unwrap();
    drop(socket);
    let sent = s.poll();
    assert!(!sent.is_empty());
    for f in &sent {
        match dissect(f).network {
            Network::Ipv4(ip) => assert!(ip.dont_frag, "B7.1: DF set"),
            _ => panic!("not IPv4"),
        }
    }
    let first = tcp_of(&sent[0]).3;
    let (cwnd, rto) = {
        let socket = s.sockets.get_as::<tcp::Socket>(h).unwrap();
        (socket.cwnd(), socket.rto())
    };
    // A router on the way can only carry 300-byte packets.
    let resent = s.exchange(frag_needed_about(&first, 300));
    assert!(!resent.is_empty(), "resent at once, not after the RTO");
    let mut next = first.seq_number;
    for f in &resent {
        assert!(
            f.len() <= 14 + 300,
            "a {}-byte frame after the report",
            f.len()
        );
        let (_, _, _, seg) = tcp_of(f);
        assert_eq!(seg.seq_number, next, "in order from SND.UNA");
        next += seg.payload.len();
    }
    let socket = s.sockets.get_as::<tcp::Socket>(h).unwrap();
    assert_eq!(socket.path_mss(), 300 - 40);
    assert_eq!((socket.cwnd(), socket.rto()), (cwnd, rto), "not congestion");
    assert_eq!(socket.counters().timeouts, 0);
    assert_eq!(socket.counters().path_mtu_lowered, 1);
}

/// A frame we sent, as the R1 conversations see it: a TCP segment (its flags and
/// sequence number), or a solicitation for the peer's address, to the group (broadcast
/// ARP request, NS to the solicited-node group) or unicast to the peer's MAC (a NUD probe).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sent {
    Segment(TcpFlags, SeqNumber),
    SolicitGroup,
    SolicitUnicast,
}

fn sent(frame: &[u8]) -> Sent {
    let f = dissect(frame);
    let unicast = f.ethernet.map(|e| e.dst_addr) == Some(PEER_MAC);
    let solicit = match (f.network, f.transport) {
        (_, Some(Transport::Tcp(t))) => return Sent::Segment(t.flags, t.seq_number),
        (
            Network::Arp(ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                target_protocol_addr,
                ..
            }),
            _,
        ) => IpAddress::from(target_protocol_addr),
        (
            _,
            Some(Transport::Icmpv6(Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                target_addr,
                ..
            }))),
        ) => IpAddress::from(target_addr),
        _ => panic!("neither TCP nor a solicitation: {f}"),
    };
    assert!(
        solicit == IpAddress::from(v4(2)) || solicit == IpAddress::from(v6(2)),
        "{f}"
    );
    if unicast {
        Sent::SolicitUnicast
    } else {
        Sent::SolicitGroup
    }
}

/// Moves the clock to the interface's next deadlines until it sends something; what it
/// sent.
fn next_sent(s: &mut Script) -> Vec<Sent> {
    for _ in 0..16 {
        let at = s.iface.poll_at(s.now, &s.sockets).expect("a deadline");
        s.now = s.now.max(at);
        let out = s.poll();
        if !out.is_empty() {
            return out.iter().map(|f| sent(f)).collect();
        }
    }
    panic!("nothing sent");
}

/// An active open through `tcp_connect` to `remote`, whose address the interface does
/// not know yet: the SYN waits while the group solicitation goes out.
fn connect_unresolved(s: &mut Script, remote: &str) -> SocketHandle {
    let h = s
        .sockets
        .add_socket(tcp::Socket::with_capacity(1024, 1024))
        .unwrap();
    s.iface
        .tcp_connect(s.now, &mut s.sockets, h, remote.parse().unwrap())
        .unwrap();
    assert_eq!(next_sent(s), [Sent::SolicitGroup]);
    h
}

fn neighbor_state(s: &Script, addr: impl Into<IpAddress>) -> Option<NeighborState> {
    s.iface.neighbors().get(addr.into()).map(|e| e.state)
}

#[test]
fn after_r1_timeouts_the_next_hop_is_probed_by_unicast_arp_while_retransmissions_go_on() {
    // MUST-20 (R1: negative advice to IP), SHLD-10 (R1 = 3 retransmissions): the third
    // timeout of one segment re-verifies the neighbour (RFC 4861 §7.3.3 PROBE, used for
    // ARP too, C2.6) with a unicast request right after the retransmission. The entry
    // keeps carrying the segment; the peer's reply makes it REACHABLE again.
    let mut s = Script::new();
    let h = connect_unresolved(&mut s, "192.0.2.2:80");
    let reply = || arp_frame(ArpOperation::Reply, PEER_MAC, v4(2), US_MAC, v4(1));
    let out = s.exchange(reply());
    let (_, _, _, syn) = tcp_of(only(&out));
    assert_eq!(neighbor_state(&s, v4(2)), Some(NeighborState::Reachable));
    let synack = peer_seg(80, syn.src_port, TcpFlags::SYN, 0, Some(syn.seq_number + 1));
    tcp_of(only(&s.exchange(from_peer(v4(2), &synack))));
    let mut socket = s.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
    socket.send_slice(b"unanswered").unwrap();
    drop(socket);
    let again = sent(only(&s.poll()));
    assert_eq!(next_sent(&mut s), [again]);
    assert_eq!(next_sent(&mut s), [again]);
    assert_eq!(s.counters().neighbor_reverified, 0);
    assert_eq!(next_sent(&mut s), [again, Sent::SolicitUnicast]);
    assert_eq!(neighbor_state(&s, v4(2)), Some(NeighborState::Probe));
    assert_eq!(s.counters().neighbor_reverified, 1);
    let socket = s.sockets.get_as::<tcp::Socket>(h).unwrap();
    assert_eq!(socket.rto_backoffs(), tcp::R1_TIMEOUTS);
    assert_eq!(socket.counters().negative_advice, 1);
    silent(&s.exchange(reply()));
    assert_eq!(neighbor_state(&s, v4(2)), Some(NeighborState::Reachable));
    // The retransmissions go on to the same MAC; the advice was once per episode.
    assert_eq!(next_sent(&mut s), [again]);
    assert_eq!(s.counters().neighbor_reverified, 1);
    let socket = s.sockets.get_as::<tcp::Socket>(h).unwrap();
    assert_eq!(socket.counters().negative_advice, 1);
    assert_eq!(socket.state(), State::Established);
}

#[test]
fn a_syn_at_r1_has_the_neighbour_probed_by_unicast_ns_which_fails_only_after_the_nud_probes() {
    // MUST-20 and MUST-22 (SYN retransmissions go through R1 too), over IPv6: the third
    // timeout sends a unicast NS after the SYN. Unanswered, the entry stays usable
    // through the ordinary MAX_UNICAST_SOLICIT probes (C9.5) before it fails, and the
    // next SYN then resolves the peer afresh and waits for it, as at the start.
    let mut s = Script::new();
    let h = connect_unresolved(&mut s, "[2001:db8::2]:80");
    let answer = || {
        na_frame(
            v6(2),
            NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
            PEER_MAC,
        )
    };
    let again = sent(only(&s.exchange(answer())));
    assert!(matches!(again, Sent::Segment(TcpFlags::SYN, _)));
    assert_eq!(next_sent(&mut s), [again]);
    assert_eq!(next_sent(&mut s), [again]);
    let third = s.now;
    assert_eq!(next_sent(&mut s), [again, Sent::SolicitUnicast]);
    assert_eq!(s.counters().neighbor_reverified, 1);
    assert_eq!(next_sent(&mut s), [Sent::SolicitUnicast]);
    assert_eq!(next_sent(&mut s), [Sent::SolicitUnicast]);
    assert_eq!(neighbor_state(&s, v6(2)), Some(NeighborState::Probe));
    // The fourth timeout comes after the probes failed: resolution starts again and the
    // SYN waits for it.
    assert_eq!(next_sent(&mut s), [Sent::SolicitGroup]);
    assert!(s.now - third > Duration::from_secs(3));
    assert_eq!(neighbor_state(&s, v6(2)), Some(NeighborState::Incomplete));
    assert_eq!(sent(only(&s.exchange(answer()))), again);
    assert_eq!(state(&s, h), State::SynSent);
    assert_eq!(s.counters().neighbor_reverified, 1);
}

/// A connection from the peer's port 40000 to our listener on port 80, closed by us
/// first: our socket ends in TIME-WAIT. Returns the script and that socket.
fn time_wait_on_port_80() -> (Script, SocketHandle) {
    let mut s = Script::new();
    s.learn_peer();
    let old = listener(&mut s, 80);
    let (synack, _) = syn_from(&mut s, 40000);
    let ours = |n: usize| Some(synack.seq_number + n);
    s.exchange(from_peer(
        v4(2),
        &peer_seg(40000, 80, TcpFlags::empty(), 1, ours(1)),
    ));
    assert_eq!(state(&s, old), State::Established);
    s.sockets
        .get_mut_as::<tcp::Socket>(old)
        .unwrap()
        .close()
        .unwrap();
    assert!(matches!(sent(only(&s.poll())), Sent::Segment(f, _) if f.contains(TcpFlags::FIN)));
    s.exchange(from_peer(
        v4(2),
        &peer_seg(40000, 80, TcpFlags::FIN, 1, ours(2)),
    ));
    assert_eq!(state(&s, old), State::TimeWait);
    (s, old)
}

#[test]
fn a_syn_with_a_higher_isn_ends_time_wait_and_reaches_the_listener() {
    // SHLD-4 (RFC 6191; without timestamps, RFC 9293 §3.10.7.4's ISN rule, MAY-2): the
    // host that closed first sits in TIME-WAIT; the peer opens the same 4-tuple again
    // with an ISN above every sequence number of the old connection. TIME-WAIT ends and
    // the listener answers, instead of a challenge ACK and four minutes of waiting.
    let (mut s, old) = time_wait_on_port_80();
    let next = listener(&mut s, 80);
    assert_eq!(
        answer_to_reopening_syn(&mut s),
        TcpFlags::SYN | TcpFlags::ACK
    );
    assert_eq!(state(&s, old), State::Closed);
    assert_eq!(state(&s, next), State::SynReceived);
    let socket = s.sockets.get_as::<tcp::Socket>(old).unwrap();
    assert_eq!(socket.counters().time_wait_reopened, 1);
}

#[test]
fn a_syn_that_ends_time_wait_with_no_listener_left_draws_a_reset() {
    // SHLD-4 (RFC 6191) without a listener: TIME-WAIT ends for the new SYN as above, and
    // the SYN then meets a closed port: the RST a closed port sends (CORE-7), as Linux
    // does when no listener takes a SYN that ended TIME-WAIT.
    let (mut s, old) = time_wait_on_port_80();
    assert_eq!(
        answer_to_reopening_syn(&mut s),
        TcpFlags::RST | TcpFlags::ACK
    );
    assert_eq!(state(&s, old), State::Closed);
}

/// The peer opens the 4-tuple of the TIME-WAIT connection on port 80 again with an ISN
/// above every sequence number of the old one: the one answer, which acknowledges that
/// SYN, and its flags.
fn answer_to_reopening_syn(s: &mut Script) -> TcpFlags {
    let out = s.exchange(from_peer(
        v4(2),
        &peer_seg(40000, 80, TcpFlags::SYN, 100_000, None),
    ));
    let (_, _, _, answer) = tcp_of(only(&out));
    assert_eq!(
        answer.ack_number,
        Some(SeqNumber(PEER_ISN.wrapping_add(100_001)))
    );
    answer.flags
}
