//! The interface's shortcuts for bulk TCP (`Config::header_prediction`,
//! `Config::fast_send`) against the general path with several connections on one
//! interface: the frames sent must be the same, in the same order. (`tests/sim_tcp.rs`
//! compares one connection per run over many seeds and loss rates.)

mod common;

use common::script::*;
use common::{Host, WireEnd, cable, mac};
use skiff::iface::{Config, Counters, Interface};
use skiff::socket::tcp::{self, TcpConfig};
use skiff::socket::{SocketHandle, SocketSet};
use skiff::time::{Duration, Instant};
use skiff::wire::frame::{Network, Transport};
use skiff::wire::*;

fn tcp_of(frame: &[u8]) -> TcpRepr<'_> {
    let f = dissect(frame);
    match (f.network, f.transport) {
        (Network::Ipv4(_), Some(Transport::Tcp(t))) => t,
        _ => panic!("not TCP: {f}"),
    }
}

/// The peer's ISN in the scripted conversation below.
const PEER_ISN: u32 = 7_000_000;

/// A segment from the peer (192.0.2.2) port `sport` to our port `dport`.
fn segment(sport: u16, dport: u16, flags: TcpFlags, ack: SeqNumber, window: u16) -> Vec<u8> {
    segment_with(sport, dport, flags, ack, window, &[])
}

fn segment_with(
    sport: u16,
    dport: u16,
    flags: TcpFlags,
    ack: SeqNumber,
    window: u16,
    payload: &[u8],
) -> Vec<u8> {
    let seq = if flags.contains(TcpFlags::SYN) {
        PEER_ISN
    } else {
        PEER_ISN + 1
    };
    let repr = TcpRepr {
        ack_number: Some(ack),
        flags: flags | TcpFlags::ACK,
        window_len: window,
        payload,
        ..tcp_repr(sport, dport, TcpFlags::empty(), seq, None)
    };
    frame4(
        ip4(v4(2), v4(1), IpProtocol::Tcp),
        &tcp(v4(2).into(), v4(1).into(), &repr),
    )
}

/// A client socket without options (MSS 536), connected to the peer's `port`: its
/// handle, local port and ISS.
fn open(s: &mut Script, port: u16) -> (SocketHandle, u16, SeqNumber) {
    let mut sock = tcp::Socket::with_capacity(8192, 8192);
    sock.set_config(TcpConfig {
        window_scale: false,
        timestamps: false,
        sack: false,
        delayed_ack: None,
        ..TcpConfig::default()
    });
    let h = s.sockets.add_socket(sock).unwrap();
    let remote: core::net::SocketAddr = format!("192.0.2.2:{port}").parse().unwrap();
    s.iface
        .tcp_connect(s.now, &mut s.sockets, h, remote)
        .unwrap();
    let out = s.poll();
    let syn = tcp_of(only(&out));
    (h, syn.src_port, syn.seq_number)
}

/// Two connections, A and B; one batch of five frames: A's duplicate ACK (general
/// path, it becomes the predicted connection), A's ACK that opens room to send
/// (predicted), A's ACK that closes the window again (predicted), data for B (general),
/// A's window opening again (general). A wanted to send after the second frame, so it
/// is ahead of B on the ready list, as the general path puts it there.
fn ready_order_run(fast: bool) -> Vec<Vec<u8>> {
    let mut s = Script::with_config(|c| {
        c.header_prediction = fast;
        c.fast_send = fast;
    });
    s.learn_peer();
    let (ha, pa, isa) = open(&mut s, 80);
    let (_, pb, isb) = open(&mut s, 81);
    let mut log = Vec::new();
    s.push(segment(80, pa, TcpFlags::SYN, isa + 1, 1072));
    s.push(segment(81, pb, TcpFlags::SYN, isb + 1, 1072));
    log.extend(s.poll());
    let data = vec![7u8; 4000];
    let mut a = s.sockets.get_mut_as::<tcp::Socket>(ha).unwrap();
    a.send_slice(&data).unwrap();
    drop(a);
    log.extend(s.poll());
    let una = isa + 1;
    s.push(segment(80, pa, TcpFlags::empty(), una, 1072));
    s.push(segment(80, pa, TcpFlags::empty(), una + 536, 1072));
    s.push(segment(80, pa, TcpFlags::empty(), una + 536, 536));
    s.push(segment_with(81, pb, TcpFlags::PSH, isb + 1, 1072, b"x"));
    s.push(segment(80, pa, TcpFlags::empty(), una + 536, 1072));
    log.extend(s.poll());
    if fast {
        assert_eq!(
            s.counters().rx_predicted,
            2,
            "the scenario needs two predicted frames"
        );
    }
    log
}

#[test]
fn sockets_send_in_the_same_order_when_predicted_segments_made_one_ready() {
    let with = ready_order_run(true);
    let without = ready_order_run(false);
    assert!(with == without, "the frames differ with the shortcuts on");
}

fn host(dev: WireEnd, last: u8, seed: u64, fast: bool) -> Host {
    let mut dev = dev;
    let mut config = Config::new(mac(last), seed);
    config.header_prediction = fast;
    config.fast_send = fast;
    let mut iface = Interface::new(config, &mut dev, Instant::ZERO);
    assert!(iface.add_ip_addr(format!("192.0.2.{last}/24").parse().unwrap()));
    assert!(iface.add_ip_addr(format!("2001:db8::{last}/64").parse().unwrap()));
    Host {
        iface,
        sockets: SocketSet::with_capacity(16, seed),
        dev,
    }
}

fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// Connections per run, each sending at its own pace both ways.
const CONNECTIONS: usize = 4;

/// What both hosts sent, in order, and their counters.
type Run = (Vec<Vec<u8>>, Vec<Vec<u8>>, Counters, Counters);

/// Four connections between two hosts, both ways, at their own paces, with `loss_pct`
/// percent of frames dropped each way and `step_us` between polls.
fn many_connections(seed: u64, fast: bool, loss_pct: u64, step_us: u64) -> Run {
    let (ea, eb) = cable();
    let mut a = host(ea, 1, 11 ^ seed, fast);
    let mut b = host(eb, 2, 22 ^ seed, fast);
    let v6 = seed % 2 == 1;
    let (mut servers, mut clients) = (Vec::new(), Vec::new());
    for i in 0..CONNECTIONS as u16 {
        let mut server = tcp::Socket::with_capacity(16 * 1024, 16 * 1024);
        server.listen(80 + i).unwrap();
        servers.push(b.sockets.add_socket(server).unwrap());
        let (remote, local) = if v6 {
            (
                format!("[2001:db8::2]:{}", 80 + i),
                format!("[2001:db8::1]:{}", 40000 + i),
            )
        } else {
            (
                format!("192.0.2.2:{}", 80 + i),
                format!("192.0.2.1:{}", 40000 + i),
            )
        };
        let remote: core::net::SocketAddr = remote.parse().unwrap();
        let mut client = tcp::Socket::with_capacity(16 * 1024, 16 * 1024);
        let cx = a.iface.tcp_context(Instant::ZERO, remote.ip());
        client.connect(&cx, remote, local.parse().unwrap()).unwrap();
        clients.push(a.sockets.add_socket(client).unwrap());
    }
    let total = 60_000usize;
    let data: Vec<u8> = (0..total as u32).map(|i| (i * 13 % 251) as u8).collect();
    let (mut sent, mut got) = ([[0usize; CONNECTIONS]; 2], [[0usize; CONNECTIONS]; 2]);
    let mut now = Instant::ZERO;
    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut buf = vec![0u8; 4096];
    let lose = |end: &WireEnd, rng: &mut u64| {
        let mut queue = end.incoming();
        let frames: Vec<Vec<u8>> = queue.drain(..).collect();
        queue.extend(
            frames
                .into_iter()
                .filter(|_| xorshift(rng) % 100 >= loss_pct),
        );
    };
    for round in 0..40_000 {
        a.poll(now);
        lose(&b.dev, &mut rng);
        b.poll(now);
        lose(&a.dev, &mut rng);
        now += Duration::from_micros(step_us);
        let mut done = true;
        for (side, host, handles) in [(0, &mut a, &clients), (1, &mut b, &servers)] {
            for (i, &h) in handles.iter().enumerate() {
                let mut s = host.sockets.get_mut_as::<tcp::Socket>(h).unwrap();
                if s.can_send() && sent[side][i] < total && round % (i + 1) == 0 {
                    let end = (sent[side][i] + 3000).min(total);
                    sent[side][i] += s.send_slice(&data[sent[side][i]..end]).unwrap_or(0);
                }
                if (round + i) % 3 != 0 {
                    while let Ok(n @ 1..) = s.recv_slice(&mut buf) {
                        got[side][i] += n;
                    }
                }
                if sent[side][i] == total && got[side][i] == total {
                    let _ = s.close();
                }
                done &= got[side][i] == total;
            }
        }
        if done && round > 1000 {
            break;
        }
    }
    let (sa, sb) = (a.dev.sent.borrow().clone(), b.dev.sent.borrow().clone());
    (
        sa,
        sb,
        a.iface.counters().clone(),
        b.iface.counters().clone(),
    )
}

#[test]
fn four_connections_both_ways_send_the_same_frames_with_and_without_the_shortcuts() {
    let mut predicted = 0;
    for loss_pct in [0, 2, 5] {
        for step_us in [100, 1000] {
            for seed in 0..8 {
                let (a1, b1, ca, cb) = many_connections(seed, true, loss_pct, step_us);
                let (a2, b2, _, _) = many_connections(seed, false, loss_pct, step_us);
                predicted += ca.rx_predicted + cb.rx_predicted;
                let first = |x: &[Vec<u8>], y: &[Vec<u8>]| {
                    (0..x.len().max(y.len())).find(|&i| x.get(i) != y.get(i))
                };
                assert_eq!(
                    (first(&a1, &a2), first(&b1, &b2)),
                    (None, None),
                    "loss {loss_pct}%, step {step_us} µs, seed {seed}: first differing frame"
                );
            }
        }
    }
    assert!(predicted > 1000, "only {predicted} segments were predicted");
}
