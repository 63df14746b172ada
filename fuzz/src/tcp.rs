//! The `tcp_conversation` target: TCP sockets in every state, behind a real `Interface`,
//! fed fuzzed segments (valid Ethernet/IP headers, correct checksums) with fuzzed timing
//! and fuzzed application calls.
//!
//! Five sockets: a listener on port 80 (any address, so IPv4 and IPv6 SYNs reach it), a
//! client from 192.0.2.1:40000 to 192.0.2.2:7, a listener on port 81 that a handshake
//! brings to ESTABLISHED before the script starts, an IPv6 client from
//! [2001:db8::1]:40001 to [2001:db8::2]:7, and a spare listener on port 80, registered
//! second, that takes SYNs while the first is busy (among them a SYN that ends the
//! first's TIME-WAIT, RFC 6191) and listens again whenever it is CLOSED. The harness dissects every frame the interface
//! sends and remembers, per 4-tuple, the last ACK number, the end of the sequence space
//! and the ISS it saw, so that fuzzed sequence and acknowledgment numbers are "what the
//! socket sent, plus a small fuzzed delta": they land in and around the windows.
//!
//! Input format: byte 0 is the socket configuration (bits: nodelay, no delayed ACK, no
//! timestamps, no SACK, no window scaling, keep-alive 1 s, small 512-byte rings, user
//! timeout 10 s); the byte's value modulo 3 also rotates the ECN modes (RFC 3168:
//! Accept, Request, Off, in socket order from `cfg % 3`), so every run has all three.
//! Then operations, each one tag byte (`tag % 8`) and its arguments:
//! - 0..=3, a segment: flow (low 3 bits: which 4-tuple; bits 3-4: how SEQ is chosen; bits
//!   5-6: how ACK is chosen, among them "the peer's last ACK plus a delta", which makes
//!   duplicate ACKs; bit 7: an ICMP error instead, see below), flags (the 8 TCP flag bits
//!   as is), SEQ delta (i8), ACK delta (i8), window, options (bit 0 MSS, bits 1-2 its
//!   value, bit 3 window scale with shift `(opts >> 4) & 15`, bit 4 SACK-permitted, bit 5
//!   timestamps, bit 6 SACK blocks, bit 7 payload, whose length follows in one byte).
//!   With SACK blocks, one byte gives their count and unit and one byte each their place
//!   around the ACK (`sack_blocks`); with URG, one byte gives the urgent pointer.
//!   Payload bytes are the low byte of their own sequence number, so any correct
//!   reassembly reads `b[k] = b[0] + k`. The tag's low two bits are the IP ECN field
//!   the segment arrives with (Not-ECT, ECT(1), ECT(0), CE); the flags byte carries ECE
//!   and CWR as any other flag, so SYNs can be ECN-setup SYNs. Tags 0xf8..=0xfb make
//!   the TSval stale (older than any sent), for PAWS and its 24-day expiry (B3.14).
//!   With SACK count bit 4 the first block is a D-SACK below the previous ACK.
//!
//!   With flow bit 7 the peer's router sends an ICMP error (Destination Unreachable,
//!   Packet Too Big / Fragmentation Needed, Time Exceeded, Parameter Problem; type and
//!   code from the window byte) quoting one of our segments on that 4-tuple, whose SEQ is
//!   chosen as the ACK would be.
//! - 4, time: one byte `t`, the clock moves `t² · 4` ms (up to 260 s), then a poll;
//!   tag 0xfc moves it `t² · 40` s (up to 30 days, past B3.14's 24 from `t = 228`).
//! - 5 and 6, an application call: socket (low 2 bits; the spare listener if the top
//!   three bits are set), call (bits 2-4), one argument byte.
//! - 7, a short step: one byte of milliseconds, then a poll; tag 0xff steps in units of
//!   10 µs (RACK's reordering timer), tag 0xf7 has the peer send its ARP request and
//!   neighbour solicitation again first (answering R1's re-probe).
//!
//! Invariants, after every poll: no panic; every frame sent dissects with correct
//! checksums and no invalid transport; every non-RST segment sent on a connection has
//! SEQ at or after that connection's ISS; each socket's `debug_invariants()` holds
//! (SND.UNA <= SND.NXT, in-flight bounded by the ring, the SACK scoreboard's ranges
//! sorted, disjoint and within SND.UNA..SND.NXT, its size fixed by its type, RFC 6675's
//! RecoveryPoint within SND.UNA..=SND.NXT and past SND.UNA in recovery, RescueRxt not
//! beyond SND.NXT, no RFC 6675 state without SACK, RCV.UP ahead of the read point by at
//! most a window and a pointer, SND.UP within the queued data, ...); RFC 3168: a socket
//! with ECN off never agrees to it, nothing we send is ECT(1) or CE, ECT(0) only on new
//! data (never a SYN, RST, pure ACK or retransmission) of a connection whose handshake
//! could have agreed ECN, CWR only with ECT, never CWR on a SYN-ACK; rings
//! stay within capacity; the application never reads more bytes than the fuzzed peers
//! sent, and what it reads is one consistent byte stream per connection.

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::rc::Rc;

use skiff::iface::{Config, Interface};
use skiff::socket::tcp::{self, EcnMode, State, TcpConfig};
use skiff::socket::{SocketHandle, SocketSet};
use skiff::time::{Duration, Instant};
use skiff::wire::{
    ArpOperation, ArpPacket, ArpRepr, ChecksumCapabilities, ETHERNET_MIN_FRAME_LEN,
    EthernetAddress, EthernetFrame, EthernetProtocol, EthernetRepr, IPV6_HEADER_LEN,
    Icmpv4DstUnreachable, Icmpv4Packet, Icmpv4ParamProblem, Icmpv4Repr, Icmpv4TimeExceeded,
    Icmpv6DstUnreachable, Icmpv6Packet, Icmpv6ParamProblem, Icmpv6Repr, Icmpv6TimeExceeded,
    IpAddress, IpProtocol, Ipv4Address, Ipv4Packet, Ipv4Repr, Ipv6Address, Ipv6Packet, Ipv6Repr,
    NdiscLinkLayerAddress, NdiscRepr, SeqNumber, TcpFlags, TcpPacket, TcpRepr, TcpTimestampRepr,
    frame,
};

use crate::iface::{FuzzDevice, OUR_MAC};

const PEER_MAC: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);
const US4: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
const PEER4: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);
const US6: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
const PEER6: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);

/// The 4-tuples segments come from: (IPv6?, peer port, our port). Flows 6 and 7 take
/// their peer port from the SEQ delta byte's value, to reach closed ports too.
const FLOWS: [(bool, u16, u16); 6] = [
    (false, 5000, 80),
    (false, 7, 40000),
    (false, 5001, 81),
    (true, 7, 40001),
    (true, 5000, 80),
    (false, 5002, 80),
];

/// What the harness saw the interface send on one 4-tuple.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    /// The ISS of the current connection (the SEQ of the last SYN sent).
    iss: Option<SeqNumber>,
    /// The highest SEQ + SEG.LEN sent.
    snd_end: Option<SeqNumber>,
    /// The last ACK number sent: the socket's RCV.NXT.
    ack: Option<SeqNumber>,
    /// The last ACK number the peer sent on this connection (for duplicate ACKs).
    peer_ack: Option<SeqNumber>,
    /// The last TSval sent, echoed back.
    tsval: u32,
    /// The window field of the last segment sent.
    window: u16,
    /// RFC 3168 §6.1.1: the handshake on this connection could have agreed ECN (an
    /// ECN-setup SYN one way and an ECN-setup SYN-ACK, or a crossed ECN-setup SYN, the
    /// other), or a frame was lost unseen since our last SYN. Only then may a segment
    /// we send be ECT.
    ecn_setup: bool,
    /// Our last SYN (no ACK) was an ECN-setup SYN.
    ecn_syn_sent: bool,
}

/// Listener :80, client :40000, server :81, IPv6 client :40001, spare listener :80.
const SOCKETS: usize = 5;

/// Flow key: (IPv6?, peer port, our port).
type Key = (bool, u16, u16);

/// What the application side tracks per socket.
#[derive(Debug, Default)]
struct App {
    received: u64,
    /// The byte the stream must continue with, once one byte was read.
    next_byte: Option<u8>,
}

struct Harness {
    iface: Interface<'static>,
    device: FuzzDevice,
    sent: Rc<RefCell<Vec<Vec<u8>>>>,
    /// Every frame sent, in order (for the comparison with prediction off).
    transcript: Vec<Vec<u8>>,
    sockets: SocketSet<'static>,
    handles: [SocketHandle; SOCKETS],
    apps: [App; SOCKETS],
    /// The ECN mode each socket was configured with.
    ecn: [EcnMode; SOCKETS],
    seen: HashMap<Key, Seen>,
    now: Instant,
    /// Payload bytes fed so far, over all flows.
    fed_payload: u64,
    /// Our peer's timestamp clock.
    peer_ts: u32,
    /// Next local port for a reconnecting client.
    next_port: u16,
}

/// The target body. The script runs twice, with the fast paths on and off
/// (`Config::header_prediction`, `Config::fast_send`): the stack must send the very same
/// frames and end with the same counters (they are shortcuts, never other decisions).
pub fn tcp_conversation(data: &[u8]) {
    let with = converse(data, true);
    let without = converse(data, false);
    assert!(
        with.frames == without.frames,
        "the fast paths changed the frames sent"
    );
    let mut counters = with.counters;
    assert_eq!(without.counters.rx_predicted, 0);
    assert_eq!(without.counters.tx_templated, 0);
    (counters.rx_predicted, counters.tx_templated) = (0, 0);
    assert_eq!(
        counters, without.counters,
        "the fast paths changed the counters"
    );
    assert_eq!(
        with.tcp, without.tcp,
        "the fast paths changed the TCP counters"
    );
}

/// What one run of a script left behind.
struct Transcript {
    frames: Vec<Vec<u8>>,
    counters: skiff::iface::Counters,
    tcp: Vec<tcp::TcpCounters>,
}

fn converse(data: &[u8], prediction: bool) -> Transcript {
    let Some((&cfg, mut rest)) = data.split_first() else {
        return Transcript {
            frames: Vec::new(),
            counters: Default::default(),
            tcp: Vec::new(),
        };
    };
    let mut h = Harness::new(cfg, prediction);
    let mut ops = 0;
    while let Some((&tag, tail)) = rest.split_first() {
        if ops == 256 {
            break;
        }
        ops += 1;
        rest = tail;
        match tag % 8 {
            0..=3 => h.segment(tag, &mut rest),
            4 => {
                let t = u64::from(take(&mut rest));
                // 0xfc: a long step, up to 30 days (B3.14's 24 days from t = 228).
                let unit = if tag == 0xfc { 40_000 } else { 4 };
                h.step(Duration::from_millis(t * t * unit));
            }
            5 | 6 => {
                let which = take(&mut rest);
                let arg = take(&mut rest);
                h.app(which, arg);
                h.step(Duration::ZERO);
            }
            _ => {
                let t = u64::from(take(&mut rest));
                match tag {
                    // Steps of 10 µs, to land on either side of a reordering timer.
                    0xff => h.step(Duration::from_micros(t * 10)),
                    // The peer answers our neighbour probes (R1's re-probe), then steps.
                    0xf7 => {
                        h.learn_peer();
                        h.step(Duration::from_millis(t));
                    }
                    _ => h.step(Duration::from_millis(t)),
                }
            }
        }
    }
    // Let every timer fire: retransmissions, user timeouts, TIME-WAIT.
    for _ in 0..12 {
        h.step(Duration::from_secs(30));
    }
    let tcp = h
        .sockets
        .iter()
        .filter_map(|(_, s)| match s {
            skiff::socket::Socket::Tcp(t) => Some(t.counters()),
            _ => None,
        })
        .collect();
    Transcript {
        frames: core::mem::take(&mut h.transcript),
        counters: h.iface.counters().clone(),
        tcp,
    }
}

/// The next input byte, or 0 once the input is spent.
fn take(rest: &mut &[u8]) -> u8 {
    match rest.split_first() {
        Some((&b, tail)) => {
            *rest = tail;
            b
        }
        None => 0,
    }
}

/// The ECN mode of socket `i`: every mode occurs in every run, and the configuration
/// byte rotates which socket has which.
fn ecn_mode(cfg: u8, i: usize) -> EcnMode {
    [EcnMode::Accept, EcnMode::Request, EcnMode::Off][(usize::from(cfg) + i) % 3]
}

fn tcp_config(cfg: u8, ecn: EcnMode) -> TcpConfig {
    let mut c = TcpConfig {
        msl: Duration::from_secs(2),
        ecn,
        ..TcpConfig::default()
    };
    c.nodelay = cfg & 0x01 != 0;
    if cfg & 0x02 != 0 {
        c.delayed_ack = None;
    }
    c.timestamps = cfg & 0x04 == 0;
    c.sack = cfg & 0x08 == 0;
    c.window_scale = cfg & 0x10 == 0;
    if cfg & 0x20 != 0 {
        c.keep_alive = Some(Duration::from_secs(1));
    }
    if cfg & 0x80 != 0 {
        c.user_timeout = Some(Duration::from_secs(10));
    }
    c
}

impl Harness {
    fn new(cfg: u8, prediction: bool) -> Harness {
        let sent = Rc::new(RefCell::new(Vec::new()));
        let mut device = FuzzDevice {
            rx: VecDeque::new(),
            sent: sent.clone(),
        };
        let mut config = Config::new(OUR_MAC, 0x7cf);
        config.header_prediction = prediction;
        config.fast_send = prediction;
        let mut iface = Interface::new(config, &mut device, Instant::ZERO);
        iface.add_ip_addr("192.0.2.1/24".parse().expect("valid literal"));
        iface.add_ip_addr("2001:db8::1/64".parse().expect("valid literal"));
        let ring = if cfg & 0x40 != 0 { 512 } else { 4096 };
        let ecn: [EcnMode; SOCKETS] = core::array::from_fn(|i| ecn_mode(cfg, i));
        let new_socket = |i: usize| {
            let mut s = tcp::Socket::with_capacity(ring, ring);
            s.set_config(tcp_config(cfg, ecn[i]));
            s
        };
        let mut sockets = SocketSet::with_capacity(8, 3);
        let mut listener = new_socket(0);
        let _ = listener.listen(80);
        let mut client = new_socket(1);
        let _ = client.connect(
            &iface.tcp_context(Instant::ZERO, PEER4.into()),
            SocketAddr::new(PEER4.into(), 7),
            SocketAddr::new(US4.into(), 40000),
        );
        let mut server = new_socket(2);
        let _ = server.listen(81);
        let mut client6 = new_socket(3);
        let _ = client6.connect(
            &iface.tcp_context(Instant::ZERO, PEER6.into()),
            SocketAddr::new(PEER6.into(), 7),
            SocketAddr::new(US6.into(), 40001),
        );
        // A second listener on :80, registered after the first: it takes SYNs while the
        // first is busy, among them a SYN that ends the first's TIME-WAIT (RFC 6191).
        let mut spare = new_socket(4);
        let _ = spare.listen(80);
        let handles = [listener, client, server, client6, spare]
            .map(|s| sockets.add_socket(s).expect("room for five sockets"));
        let mut h = Harness {
            iface,
            device,
            sent,
            transcript: Vec::new(),
            sockets,
            handles,
            apps: Default::default(),
            ecn,
            seen: HashMap::new(),
            now: Instant::ZERO,
            fed_payload: 0,
            peer_ts: 1,
            next_port: 40002,
        };
        h.learn_peer();
        // Bring the port-81 socket to ESTABLISHED: SYN, (SYN-ACK), ACK.
        let key = (false, 5001, 81);
        let syn = bare(key, TcpFlags::SYN, SeqNumber(5000), None);
        h.feed(key, 0, &syn);
        let ack = h.seen.get(&key).and_then(|s| s.snd_end);
        let ack_seg = bare(key, TcpFlags::ACK, SeqNumber(5001), ack);
        h.feed(key, 0, &ack_seg);
        h
    }

    /// An ARP request and an NS from the peer teach the interface its MAC.
    fn learn_peer(&mut self) {
        let arp = ArpRepr::EthernetIpv4 {
            operation: ArpOperation::Request,
            source_hardware_addr: PEER_MAC,
            source_protocol_addr: PEER4,
            target_hardware_addr: EthernetAddress([0; 6]),
            target_protocol_addr: US4,
        };
        let mut buf = vec![0u8; arp.buffer_len()];
        arp.emit(&mut ArpPacket::new_unchecked(&mut buf[..]));
        self.push(ethernet(
            EthernetAddress::BROADCAST,
            EthernetProtocol::Arp,
            &buf,
        ));
        self.step(Duration::ZERO);
        let ns = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
            target_addr: US6,
            lladdr: Some(NdiscLinkLayerAddress(PEER_MAC.0)),
        });
        let mut buf = vec![0u8; ns.buffer_len()];
        ns.emit(
            &PEER6,
            &US6,
            &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
            &ChecksumCapabilities::default(),
        );
        self.push(ip_frame(true, IpProtocol::Icmpv6, 255, 0, &buf));
        self.step(Duration::ZERO);
    }

    fn push(&mut self, frame: Vec<u8>) {
        self.device.rx.push_back(frame);
    }

    /// Emits `repr` from the peer on flow `key`, in an IP packet whose ECN field is
    /// `ecn`, and polls.
    fn feed(&mut self, key: Key, ecn: u8, repr: &TcpRepr<'_>) {
        let (src, dst) = addrs(key.0);
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(
            &mut TcpPacket::new_unchecked(&mut buf[..]),
            &src,
            &dst,
            &ChecksumCapabilities::default(),
        );
        self.fed_payload += repr.payload.len() as u64;
        if repr.flags.contains(TcpFlags::SYN) {
            // Our ECN-setup SYN answered by an ECN-setup SYN-ACK (ECE without CWR), or
            // crossed by an ECN-setup SYN.
            let setup = if repr.flags.contains(TcpFlags::ACK) {
                TcpFlags::ECE
            } else {
                TcpFlags::ECE | TcpFlags::CWR
            };
            let seen = self.seen.entry(key).or_default();
            if seen.ecn_syn_sent && repr.flags & (TcpFlags::ECE | TcpFlags::CWR) == setup {
                seen.ecn_setup = true;
            }
        }
        self.push(ip_frame(key.0, IpProtocol::Tcp, 64, ecn, &buf));
        self.step(Duration::ZERO);
    }

    /// One fuzzed segment; `tag`'s low two bits are the IP ECN codepoint it arrives with
    /// (Not-ECT, ECT(1), ECT(0), CE), and `tag & 0xf8 == 0xf8` makes its TSval stale.
    fn segment(&mut self, tag: u8, rest: &mut &[u8]) {
        let f = take(rest);
        let flags = TcpFlags::from_bits_truncate(u16::from(take(rest)));
        let seq_delta = i32::from(take(rest) as i8);
        let ack_delta = i32::from(take(rest) as i8);
        let w = take(rest);
        let opts = take(rest);
        let payload_len = if opts & 0x80 != 0 {
            usize::from(take(rest)) * 6
        } else {
            0
        };
        let key = match usize::from(f & 7) {
            i @ 0..6 => FLOWS[i],
            i => (
                i == 7,
                1 + (seq_delta as u16 & 0xff),
                80 + (ack_delta as u16 & 3),
            ),
        };
        let seen = self.seen.get(&key).copied().unwrap_or_default();
        let peer_base = SeqNumber(1000 * u32::from(key.1));
        let rcv_nxt = seen.ack.unwrap_or(peer_base);
        let seq = match (f >> 3) & 3 {
            0 => off(rcv_nxt, seq_delta),
            1 => off(peer_base, seq_delta),
            2 => off(rcv_nxt, seq_delta * 1024),
            _ => off(rcv_nxt, seq_delta * 0x0100_0000),
        };
        let snd_end = seen.snd_end.unwrap_or(SeqNumber(0));
        let ack = match (f >> 5) & 3 {
            0 => off(snd_end, ack_delta),
            1 => off(seen.peer_ack.unwrap_or(snd_end), ack_delta),
            2 => off(seen.iss.unwrap_or(SeqNumber(0)), ack_delta),
            _ => off(snd_end, ack_delta * 4096),
        };
        if f & 0x80 != 0 {
            // An ICMP error quoting one of our segments, its SEQ chosen like an ACK.
            self.icmp_error(key, ack, w, window_len(w));
            return;
        }
        let sack_ranges = if opts & 0x40 != 0 {
            let below = seen.peer_ack.unwrap_or(ack);
            sack_blocks(ack, below, rest)
        } else {
            [None; 4]
        };
        let urgent_pointer = if flags.contains(TcpFlags::URG) {
            let u = take(rest);
            u16::from(u) << (u32::from(u & 3) * 4)
        } else {
            0
        };
        if flags.contains(TcpFlags::ACK) {
            if let Some(seen) = self.seen.get_mut(&key) {
                seen.peer_ack = Some(ack);
            }
        }
        let mss = [1, 64, 536, 1460][usize::from((opts >> 1) & 3)];
        let payload: Vec<u8> = (0..payload_len)
            .map(|i| {
                (seq.0.wrapping_add(u32::from(flags.contains(TcpFlags::SYN))) as usize + i) as u8
            })
            .collect();
        let stale = tag & 0xf8 == 0xf8;
        let mut tsval = self.peer_ts;
        if opts & 0x20 != 0 {
            if stale {
                // Older than any TSval sent so far: PAWS drops it, unless TS.Recent
                // has expired (B3.14).
                tsval = tsval.wrapping_sub(1 + (u32::from(w) << 16));
            } else {
                self.peer_ts = self.peer_ts.wrapping_add(u32::from(w) + 1);
                tsval = self.peer_ts;
            }
        }
        let window_len = window_len(w);
        let repr = TcpRepr {
            src_port: key.1,
            dst_port: key.2,
            flags,
            seq_number: seq,
            ack_number: flags.contains(TcpFlags::ACK).then_some(ack),
            window_len,
            window_scale: (opts & 0x08 != 0).then_some((opts >> 4) & 15),
            max_seg_size: (opts & 0x01 != 0).then_some(mss),
            sack_permitted: opts & 0x10 != 0,
            sack_ranges,
            timestamp: (opts & 0x20 != 0).then_some(TcpTimestampRepr {
                tsval,
                tsecr: seen.tsval,
            }),
            urgent_pointer,
            payload: &payload,
        };
        self.feed(key, tag & 3, &repr);
    }

    /// An ICMP error from the peer's router about our segment on flow `key` that began at
    /// `seq`: its type and code picked by `kind`, an MTU (where the type has one) of `mtu`.
    fn icmp_error(&mut self, key: Key, seq: SeqNumber, kind: u8, mtu: u16) {
        let (peer, us) = addrs(key.0);
        // The first 8 bytes of the quoted segment: ports, then SEQ.
        let mut quoted = [0u8; 8];
        quoted[..2].copy_from_slice(&key.2.to_be_bytes());
        quoted[2..4].copy_from_slice(&key.1.to_be_bytes());
        quoted[4..].copy_from_slice(&seq.0.to_be_bytes());
        let code = kind >> 3;
        let mut buf;
        if let (IpAddress::V6(peer), IpAddress::V6(us)) = (peer, us) {
            let header = Ipv6Repr {
                src_addr: us,
                dst_addr: peer,
                next_header: IpProtocol::Tcp,
                payload_len: 40,
                hop_limit: 64,
                traffic_class: 0,
                flow_label: 0,
            };
            let data = &quoted[..];
            let repr = match kind & 3 {
                0 => Icmpv6Repr::DstUnreachable {
                    reason: Icmpv6DstUnreachable::from(code & 7),
                    header,
                    data,
                },
                1 => Icmpv6Repr::PktTooBig {
                    mtu: u32::from(mtu),
                    header,
                    data,
                },
                2 => Icmpv6Repr::TimeExceeded {
                    reason: Icmpv6TimeExceeded::from(code & 1),
                    header,
                    data,
                },
                _ => Icmpv6Repr::ParamProblem {
                    reason: Icmpv6ParamProblem::from(code & 3),
                    pointer: u32::from(mtu),
                    header,
                    data,
                },
            };
            buf = vec![0u8; repr.buffer_len()];
            repr.emit(
                &PEER6,
                &US6,
                &mut Icmpv6Packet::new_unchecked(&mut buf[..]),
                &ChecksumCapabilities::default(),
            );
            self.push(ip_frame(true, IpProtocol::Icmpv6, 64, 0, &buf));
        } else {
            let header = Ipv4Repr::new(US4, PEER4, IpProtocol::Tcp, 40, 64);
            let data = &quoted[..];
            let repr = match kind & 3 {
                0 | 1 => Icmpv4Repr::DstUnreachable {
                    reason: Icmpv4DstUnreachable::from(code & 15),
                    next_hop_mtu: mtu,
                    header,
                    data,
                },
                2 => Icmpv4Repr::TimeExceeded {
                    reason: Icmpv4TimeExceeded::from(code & 1),
                    header,
                    data,
                },
                _ => Icmpv4Repr::ParamProblem {
                    reason: Icmpv4ParamProblem::from(code & 3),
                    pointer: mtu as u8,
                    header,
                    data,
                },
            };
            buf = vec![0u8; repr.buffer_len()];
            repr.emit(
                &mut Icmpv4Packet::new_unchecked(&mut buf[..]),
                &ChecksumCapabilities::default(),
            );
            self.push(ip_frame(false, IpProtocol::Icmp, 64, 0, &buf));
        }
        self.step(Duration::ZERO);
    }

    /// One application call on socket `which & 3`, or the spare listener when the top
    /// three bits are set.
    fn app(&mut self, which: u8, arg: u8) {
        let i = if which >> 5 == 7 {
            4
        } else {
            usize::from(which & 3)
        };
        let handle = self.handles[i];
        let n = usize::from(arg) * 16;
        let fed = self.fed_payload;
        let next_port = self.next_port;
        let cx4 = self.iface.tcp_context(self.now, PEER4.into());
        let cx6 = self.iface.tcp_context(self.now, PEER6.into());
        let app = &mut self.apps[i];
        let Some(mut s) = self.sockets.get_mut_as::<tcp::Socket>(handle) else {
            return;
        };
        let mut buf = vec![0u8; n];
        match (which >> 2) % 8 {
            0 => {
                let data: Vec<u8> = (0..n).map(|k| k as u8).collect();
                let _ = s.send_slice(&data);
            }
            1 => {
                if let Ok(got) = s.recv_slice(&mut buf) {
                    app.read(&buf[..got], fed);
                }
            }
            2 => {
                if let Ok(got) = s.peek(&mut buf) {
                    assert!(got <= s.recv_queue(), "peek returned more than queued");
                }
            }
            3 => {
                let _ = s.close();
            }
            4 => s.abort(),
            5 => {
                if s.state() == State::Closed {
                    *app = App::default();
                    let _ = match i {
                        0 | 4 => s.listen(80).map_err(drop),
                        2 => s.listen(81).map_err(drop),
                        1 => s
                            .connect(
                                &cx4,
                                SocketAddr::new(PEER4.into(), 7),
                                SocketAddr::new(US4.into(), next_port),
                            )
                            .map_err(drop),
                        _ => s
                            .connect(
                                &cx6,
                                SocketAddr::new(PEER6.into(), 7),
                                SocketAddr::new(US6.into(), next_port),
                            )
                            .map_err(drop),
                    };
                    self.next_port = next_port.wrapping_add(1).max(40002);
                }
            }
            6 => {
                s.set_nodelay(arg & 1 != 0);
                s.set_keep_alive(
                    (arg & 2 != 0).then(|| Duration::from_millis(u64::from(arg) * 10)),
                );
                // Urgent data: sent as the same filler bytes, the mark read back.
                if arg & 4 != 0 {
                    let _ = s.send_urgent(&[0x5a; 3][..n.min(3)]);
                }
                let _ = (
                    s.urgent_pending(),
                    s.take_urgent_signal(),
                    s.take_soft_error(),
                );
            }
            _ => {
                let _ = s.send_with(|space| {
                    let k = space.len().min(n);
                    space[..k].fill(0x5a);
                    (k, ())
                });
                if let Ok(bytes) = s.recv_with(|data| {
                    let k = data.len().min(n);
                    (k, data[..k].to_vec())
                }) {
                    app.read(&bytes, fed);
                }
            }
        }
    }

    /// Moves the clock, polls, and checks every invariant.
    fn step(&mut self, by: Duration) {
        self.now += by;
        // The spare listener listens again once its connection is over.
        if let Some(mut spare) = self.sockets.get_mut_as::<tcp::Socket>(self.handles[4]) {
            if spare.state() == State::Closed {
                let _ = spare.listen(80);
                self.apps[4] = App::default();
            }
        }
        let lost = self.neighbor_drops();
        self.iface
            .poll(self.now, &mut self.device, &mut self.sockets);
        if self.neighbor_drops() != lost {
            // A frame waiting for address resolution was dropped: lost on the way, as
            // on a real link. What was sent before (an ISS, a handshake that agreed
            // ECN) may be unseen, so each flow starts over at its next SYN.
            for seen in self.seen.values_mut() {
                seen.iss = None;
                seen.snd_end = None;
                seen.ecn_setup = true;
            }
        }
        self.check_sent();
        for (i, &handle) in self.handles.iter().enumerate() {
            let s = self
                .sockets
                .get_as::<tcp::Socket>(handle)
                .expect("sockets are never removed");
            if let Err(what) = s.debug_invariants() {
                panic!("socket {i} in {}: {what}: {s:?}", s.state());
            }
            // RFC 3168 §6.1.1: a socket with ECN off never agrees to it.
            assert!(
                self.ecn[i] != EcnMode::Off || !s.ecn_agreed(),
                "socket {i} agreed ECN with ECN off"
            );
            assert!(!s.ecn_echoing() || s.ecn_agreed(), "ECE echo without ECN");
            assert!(s.recv_queue() <= 4096 && s.send_queue() <= 4096);
            if matches!(
                s.state(),
                State::Closed | State::Listen | State::SynSent | State::SynReceived
            ) && s.recv_queue() == 0
            {
                // A new connection starts a new stream.
                self.apps[i].next_byte = None;
            }
        }
        if let Some(at) = self.iface.poll_at(self.now, &self.sockets) {
            assert!(
                at >= self.now - Duration::from_secs(1),
                "poll_at {at} far behind now {}",
                self.now
            );
        }
    }

    /// Frames the interface dropped while resolving the peer's address.
    fn neighbor_drops(&self) -> u64 {
        let c = self.iface.counters();
        c.neighbor_queue_full + c.neighbor_unresolved + c.neighbor_cache_full
    }

    /// Dissects every frame sent; records what TCP sent per flow.
    fn check_sent(&mut self) {
        let frames: Vec<Vec<u8>> = self.sent.borrow_mut().drain(..).collect();
        self.transcript.extend(frames.iter().cloned());
        for out in frames {
            let f = match frame::dissect_ethernet(&out, &ChecksumCapabilities::default()) {
                Ok(f) => f,
                Err(e) => panic!("skiff sent an undecodable frame ({e}): {out:02x?}"),
            };
            assert_eq!(f.ethernet.map(|e| e.src_addr), Some(OUR_MAC));
            let (v6, ecn) = match f.network {
                frame::Network::Ipv4(ip) => (false, ip.ecn),
                frame::Network::Ipv6(ip) => (true, ip.traffic_class & 3),
                frame::Network::Arp(_) => continue,
            };
            match f.transport {
                Some(frame::Transport::Tcp(repr)) => self.record(v6, ecn, &repr),
                Some(frame::Transport::Invalid { protocol, error }) => {
                    panic!("skiff sent an invalid {protocol} payload ({error}): {out:02x?}")
                }
                _ => {}
            }
        }
    }

    fn record(&mut self, v6: bool, ecn: u8, repr: &TcpRepr<'_>) {
        let seen = self
            .seen
            .entry((v6, repr.dst_port, repr.src_port))
            .or_default();
        check_ecn(seen, ecn, repr);
        if repr.flags.contains(TcpFlags::RST) {
            // A RST answers the segment it resets (SEQ = its ACK): no ordering to check.
            return;
        }
        let syn = repr.flags.contains(TcpFlags::SYN);
        if syn && seen.iss.is_none_or(|iss| iss != repr.seq_number) {
            seen.iss = Some(repr.seq_number);
            seen.snd_end = None;
            seen.peer_ack = None;
            seen.ecn_setup = false;
        }
        if syn {
            let flags = repr.flags & (TcpFlags::ECE | TcpFlags::CWR);
            if repr.flags.contains(TcpFlags::ACK) {
                // We agreed as the passive side: an ECN-setup SYN-ACK.
                seen.ecn_setup |= flags == TcpFlags::ECE;
            } else {
                seen.ecn_syn_sent = flags == TcpFlags::ECE | TcpFlags::CWR;
            }
        }
        if let Some(iss) = seen.iss {
            assert!(
                repr.seq_number >= iss,
                "SEQ {} before the ISS {iss}: {repr}",
                repr.seq_number
            );
        }
        let end = repr.seq_number + repr.segment_len();
        if seen.snd_end.is_none_or(|e| end > e) {
            seen.snd_end = Some(end);
        }
        if repr.ack_number.is_some() {
            seen.ack = repr.ack_number;
        }
        if let Some(ts) = repr.timestamp {
            seen.tsval = ts.tsval;
        }
        seen.window = repr.window_len;
    }
}

/// RFC 3168 §6.1.1–§6.1.6 on a segment we sent in an IP packet with ECN field `ecn`,
/// before `seen` records it: ECT(0) or Not-ECT, never ECT(1) or CE; ECT only on a
/// connection whose handshake could have agreed ECN, and only on new data (never a SYN,
/// RST, pure ACK, or a retransmission); CWR only on such a segment; ECE outside the
/// handshake only once it could have been agreed; a SYN-ACK never carries CWR.
fn check_ecn(seen: &Seen, ecn: u8, repr: &TcpRepr<'_>) {
    assert!(
        ecn == 0b00 || ecn == 0b10,
        "IP ECN field {ecn:#04b} on {repr}"
    );
    let syn = repr.flags.contains(TcpFlags::SYN);
    assert!(
        !(syn && repr.flags.contains(TcpFlags::ACK | TcpFlags::CWR)),
        "a SYN-ACK with CWR: {repr}"
    );
    if ecn != 0 {
        assert!(seen.ecn_setup, "ECT without an ECN-setup handshake: {repr}");
        let new = seen.snd_end.is_none_or(|end| repr.seq_number >= end);
        assert!(
            !syn && !repr.flags.contains(TcpFlags::RST) && !repr.payload.is_empty() && new,
            "ECT on a segment that is not new data (sent up to {:?}): {repr}",
            seen.snd_end
        );
    } else if !syn {
        assert!(
            !repr.flags.contains(TcpFlags::CWR),
            "CWR on a Not-ECT segment: {repr}"
        );
    }
    assert!(
        syn || seen.ecn_setup || !repr.flags.contains(TcpFlags::ECE),
        "ECE without an ECN-setup handshake: {repr}"
    );
}

impl App {
    /// Checks bytes the application read: within what was fed, one consistent stream.
    fn read(&mut self, bytes: &[u8], fed: u64) {
        self.received += bytes.len() as u64;
        assert!(
            self.received <= fed,
            "read {} bytes, only {fed} were sent",
            self.received
        );
        for &b in bytes {
            if let Some(want) = self.next_byte {
                assert_eq!(b, want, "the received stream is not the stream sent");
            }
            self.next_byte = Some(b.wrapping_add(1));
        }
    }
}

/// The window field for the fuzzed byte `w`: small values as is, larger ones spread out.
fn window_len(w: u8) -> u16 {
    if w < 32 {
        u16::from(w)
    } else {
        u16::from(w) * 257
    }
}

/// Up to four SACK blocks around the segment's ACK number: one byte gives their count
/// (low 2 bits, plus one) and unit (bits 2-3: 536, 64, 1460 or 1 bytes); one byte per
/// block gives its left edge (`>> 2`, in units from one below the ACK, so a D-SACK too)
/// and length (low 2 bits, plus one, in units). With bit 4 of the first byte the first
/// block is a D-SACK (RFC 2883) wholly below `below` (the peer's previous ACK, or this
/// one): it ends `b >> 2` units below it.
fn sack_blocks(ack: SeqNumber, below: SeqNumber, rest: &mut &[u8]) -> [Option<(u32, u32)>; 4] {
    let s = take(rest);
    let unit = [536, 64, 1460, 1][usize::from((s >> 2) & 3)];
    let mut blocks = [None; 4];
    for (i, block) in blocks.iter_mut().take(usize::from(s & 3) + 1).enumerate() {
        let b = take(rest);
        let len = (i32::from(b & 3) + 1) * unit;
        let left = if i == 0 && s & 0x10 != 0 {
            off(below, -(i32::from(b >> 2) * unit) - len)
        } else {
            off(ack, (i32::from(b >> 2) - 1) * unit)
        };
        *block = Some((left.0, off(left, len).0));
    }
    blocks
}

/// `s` moved by a signed `d` (wrapping, as sequence space does).
fn off(s: SeqNumber, d: i32) -> SeqNumber {
    SeqNumber(s.0.wrapping_add_signed(d))
}

/// A segment with no options and no data.
fn bare(key: Key, flags: TcpFlags, seq: SeqNumber, ack: Option<SeqNumber>) -> TcpRepr<'static> {
    TcpRepr {
        src_port: key.1,
        dst_port: key.2,
        flags: if ack.is_some() {
            flags | TcpFlags::ACK
        } else {
            flags
        },
        seq_number: seq,
        ack_number: ack,
        window_len: 8192,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload: &[],
    }
}

/// (peer, us) addresses of one IP version.
fn addrs(v6: bool) -> (IpAddress, IpAddress) {
    if v6 {
        (PEER6.into(), US6.into())
    } else {
        (PEER4.into(), US4.into())
    }
}

/// An Ethernet frame from the peer to us carrying an IP packet with `payload`, its ECN
/// field `ecn`.
fn ip_frame(v6: bool, protocol: IpProtocol, hop_limit: u8, ecn: u8, payload: &[u8]) -> Vec<u8> {
    let packet = if v6 {
        let ip = Ipv6Repr {
            src_addr: PEER6,
            dst_addr: US6,
            next_header: protocol,
            payload_len: payload.len(),
            hop_limit,
            traffic_class: ecn,
            flow_label: 0,
        };
        let mut packet = vec![0u8; IPV6_HEADER_LEN + payload.len()];
        ip.emit(&mut Ipv6Packet::new_unchecked(&mut packet[..]));
        packet[IPV6_HEADER_LEN..].copy_from_slice(payload);
        packet
    } else {
        let ip = Ipv4Repr {
            ecn,
            ..Ipv4Repr::new(PEER4, US4, protocol, payload.len(), hop_limit)
        };
        let mut packet = vec![0u8; ip.buffer_len() + payload.len()];
        ip.emit(
            &mut Ipv4Packet::new_unchecked(&mut packet[..]),
            &ChecksumCapabilities::default(),
        );
        packet[ip.buffer_len()..].copy_from_slice(payload);
        packet
    };
    let ethertype = if v6 {
        EthernetProtocol::Ipv6
    } else {
        EthernetProtocol::Ipv4
    };
    ethernet(OUR_MAC, ethertype, &packet)
}

/// An Ethernet II frame from the peer, zero-padded to the 60-byte minimum.
fn ethernet(dst: EthernetAddress, ethertype: EthernetProtocol, payload: &[u8]) -> Vec<u8> {
    let eth = EthernetRepr {
        src_addr: PEER_MAC,
        dst_addr: dst,
        ethertype,
        vlan: None,
    };
    let header = eth.buffer_len();
    let mut frame = vec![0u8; (header + payload.len()).max(ETHERNET_MIN_FRAME_LEN)];
    eth.emit(&mut EthernetFrame::new_unchecked(&mut frame[..]));
    frame[header..header + payload.len()].copy_from_slice(payload);
    frame
}
