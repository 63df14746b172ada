//! UDP and ICMP between two skiff stacks over simulated links with loss, corruption,
//! duplication, reordering and jitter, over many seeds. A failure names its seed;
//! `SKIFF_SEED=<n>` replays exactly that run and writes the link capture to target/.

#![cfg(feature = "sim")]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::sim::{App, LinkConfig, Network, NodeId, SimDevice, StackNode, for_each_seed};
use skiff::socket::{SocketSet, icmp, udp};
use skiff::time::{Duration, Instant};
use skiff::wire::{EthernetAddress, IpAddress};

fn stack(n: u8, seed: u64, app: App) -> StackNode {
    let mut dev = SimDevice::new(1514, 256);
    let mac = EthernetAddress([0x02, 0, 0, 0, 0, n]);
    let mut iface = Interface::new(
        Config::new(mac, seed ^ u64::from(n)),
        &mut dev,
        Instant::ZERO,
    );
    iface.add_ip_addr(format!("192.0.2.{n}/24").parse().unwrap());
    iface.add_ip_addr(format!("2001:db8::{n}/64").parse().unwrap());
    StackNode::new(iface, SocketSet::with_capacity(4, seed), app)
}

/// The payload of datagram `i`: its number, then a pattern. Sizes vary so that some
/// datagrams are fragmented, unless `i` has the `SINGLE_FRAME` bit, which keeps them
/// under 1400 bytes.
fn payload(i: u32) -> Vec<u8> {
    let max = if i & SINGLE_FRAME != 0 { 1400 } else { 4000 };
    let len = 4 + (i as usize * 389) % max;
    let mut p = i.to_be_bytes().to_vec();
    p.extend((4..len).map(|k| (k as u32 ^ i.wrapping_mul(2_654_435_761)) as u8));
    p
}

const SINGLE_FRAME: u32 = 1 << 31;

/// What one run produced: datagrams received by number, the network, the receiver.
type RunOutcome = (BTreeMap<u32, usize>, Network<StackNode>, NodeId);

type Received = Rc<RefCell<BTreeMap<u32, usize>>>;

fn sender(count: u32, to: SocketAddr, tag: u32) -> App {
    let mut socket = None;
    let mut next = 0u32;
    Box::new(move |now, sockets: &mut SocketSet<'static>| {
        let h = *socket.get_or_insert_with(|| {
            let mut s = udp::Socket::with_capacity(64, 256 * 1024);
            s.bind(40000).unwrap();
            sockets.add_socket(s).unwrap()
        });
        // One datagram every 2 ms.
        let due = Instant::from_millis(2 * i64::from(next));
        if next < count && now >= due {
            sockets
                .get_mut_as::<udp::Socket>(h)
                .unwrap()
                .send_slice(&payload(next | tag), to)
                .unwrap();
            next += 1;
        }
        (next < count).then(|| Instant::from_millis(2 * i64::from(next)))
    })
}

fn receiver(received: Received, bad: Rc<RefCell<Vec<String>>>) -> App {
    let mut socket = None;
    Box::new(move |_now, sockets: &mut SocketSet<'static>| {
        let h = *socket.get_or_insert_with(|| {
            let mut s = udp::Socket::with_capacity(64, 256 * 1024);
            s.bind(7).unwrap();
            sockets.add_socket(s).unwrap()
        });
        let mut s = sockets.get_mut_as::<udp::Socket>(h).unwrap();
        let mut buf = vec![0u8; 65536];
        while let Ok((n, _)) = s.recv_slice(&mut buf) {
            let data = &buf[..n];
            let i = u32::from_be_bytes([data[0], data[1], data[2], data[3]]);
            if data != payload(i) {
                let exp = payload(i);
                let diffs: Vec<usize> = (0..n.min(exp.len()))
                    .filter(|&k| data[k] != exp[k])
                    .take(10)
                    .collect();
                bad.borrow_mut().push(format!("datagram {i} arrived corrupted ({n} bytes, expected {}), first differing bytes at {diffs:?}", exp.len()));
            }
            *received.borrow_mut().entry(i).or_default() += 1;
        }
        None
    })
}

fn run_udp(
    seed: u64,
    link: LinkConfig,
    count: u32,
    dst: &str,
    tag: u32,
) -> Result<RunOutcome, String> {
    let received: Received = Default::default();
    let bad: Rc<RefCell<Vec<String>>> = Default::default();
    let mut net = Network::new(seed);
    let to: SocketAddr = dst.parse().unwrap();
    let a = net.add_node(stack(1, seed, sender(count, to, tag)));
    let b = net.add_node(stack(2, seed, receiver(received.clone(), bad.clone())));
    let l = net.connect(a, b, link);
    if std::env::var("SKIFF_SEED").is_ok() {
        net.link_mut(l).unwrap().enable_capture();
    }
    net.run_for(Duration::from_millis(2 * u64::from(count) + 5_000));
    if std::env::var("SKIFF_SEED").is_ok() {
        let _ = std::fs::create_dir_all("target");
        let _ = net.write_captures("target");
    }
    if let Some(problem) = bad.borrow().first() {
        return Err(problem.clone());
    }
    let got = received.borrow().clone();
    Ok((got, net, b))
}

fn counters(net: &Network<StackNode>, id: NodeId) -> skiff::iface::Counters {
    net.node(id).unwrap().iface.counters().clone()
}

#[test]
fn a_clean_link_delivers_every_datagram_once_over_both_ip_versions() {
    for_each_seed(20, |seed| {
        for dst in ["192.0.2.2:7", "[2001:db8::2]:7"] {
            let (got, _, _) = run_udp(seed, LinkConfig::default(), 100, dst, 0)?;
            if got.len() != 100 || got.values().any(|&n| n != 1) {
                return Err(format!(
                    "{dst}: {} of 100 arrived (or duplicated): {got:?}",
                    got.len()
                ));
            }
        }
        Ok(())
    });
}

#[test]
fn fragmented_datagrams_arrive_whole_or_not_at_all_under_loss_duplication_and_reordering() {
    let link = LinkConfig {
        loss_ppm: 50_000,
        duplicate_ppm: 30_000,
        reorder_ppm: 100_000,
        latency: Duration::from_millis(1),
        jitter: Duration::from_millis(1),
        ..LinkConfig::default()
    };
    let mut total = 0usize;
    let mut delivered = 0usize;
    for_each_seed(200, |seed| {
        for dst in ["192.0.2.2:7", "[2001:db8::2]:7"] {
            let (got, _, _) = run_udp(seed, link, 40, dst, 0)?;
            total += 40;
            delivered += got.len();
        }
        Ok(())
    });
    // A datagram of k fragments survives 5% loss with 0.95^k; k is at most 3 here.
    let ratio = delivered as f64 / total as f64;
    eprintln!(
        "lossy link: {delivered}/{total} datagrams delivered whole over 200 seeds x 2 IP versions"
    );
    assert!(ratio > 0.8, "only {delivered}/{total} datagrams delivered");
}

/// The internet checksum detects every single-bit error, so a datagram that fits one
/// frame arrives intact or not at all whatever the corruption rate. (Fragmented
/// datagrams are not in this test: two flips in two fragments can cancel in a
/// one's-complement sum, a known blind spot of RFC 1071 that TCP and UDP share.)
#[test]
fn corrupted_frames_never_reach_the_application() {
    let link = LinkConfig {
        corrupt_ppm: 100_000,
        duplicate_ppm: 20_000,
        ..LinkConfig::default()
    };
    let mut caught = 0u64;
    let mut delivered = 0usize;
    for_each_seed(200, |seed| {
        for dst in ["192.0.2.2:7", "[2001:db8::2]:7"] {
            let (got, net, b) = run_udp(seed, link, 40, dst, SINGLE_FRAME)?;
            delivered += got.len();
            let c = counters(&net, b);
            caught += c.ipv4_bad_checksum
                + c.ipv4_bad_header
                + c.udp_bad_checksum
                + c.udp_bad_length
                + c.ipv6_bad_header
                + c.ipv6_not_for_us
                + c.ipv4_not_for_us;
        }
        Ok(())
    });
    eprintln!(
        "corrupting link: {delivered} datagrams delivered intact, {caught} corrupted frames caught"
    );
    assert!(caught > 100, "10% corruption was rarely detected: {caught}");
}

#[test]
fn ping_gets_through_a_20_percent_loss_link_thanks_to_arp_retransmission() {
    for_each_seed(50, |seed| {
        let replies = Rc::new(RefCell::new(0u32));
        let r = replies.clone();
        let mut socket = None;
        let mut sent = 0u16;
        let app: App = Box::new(move |now, sockets: &mut SocketSet<'static>| {
            let h = *socket.get_or_insert_with(|| {
                let mut s = icmp::Socket::with_capacity(16, 4096);
                s.bind(7).unwrap();
                sockets.add_socket(s).unwrap()
            });
            let mut s = sockets.get_mut_as::<icmp::Socket>(h).unwrap();
            let mut buf = [0u8; 128];
            while s.recv_slice(&mut buf).is_ok() {
                *r.borrow_mut() += 1;
            }
            // One echo request per second, 20 in all.
            if sent < 20 && now >= Instant::from_secs(i64::from(sent)) {
                let dst: IpAddress = if sent % 2 == 0 {
                    "192.0.2.2".parse().unwrap()
                } else {
                    "2001:db8::2".parse().unwrap()
                };
                s.send_echo_request(dst, sent, b"ping").unwrap();
                sent += 1;
            }
            (sent < 20).then(|| Instant::from_secs(i64::from(sent)))
        });
        let mut net = Network::new(seed);
        let a = net.add_node(stack(1, seed, app));
        let b = net.add_node(stack(2, seed, Box::new(|_, _| None)));
        net.connect(
            a,
            b,
            LinkConfig {
                loss_ppm: 200_000,
                latency: Duration::from_millis(5),
                ..LinkConfig::default()
            },
        );
        net.run_for(Duration::from_secs(30));
        let got = *replies.borrow();
        // Each echo and reply is lost with 20% each: about 64% come back; resolution
        // itself must not be what fails (it retries every second, three times).
        if got < 6 {
            return Err(format!("only {got} of 20 echo replies"));
        }
        Ok(())
    });
}
