//! Conversation tests, packetdrill style: a [`Conv`] feeds segments to one socket at
//! given times and the tests assert the exact segments it sends back. Sequence numbers
//! are written relative to our ISS (`Conv::iss`) and the peer's ISN ([`PEER_ISN`]).

use core::net::SocketAddr;
use std::vec::Vec;

use super::options::initial_seq_number;
use super::*;
use crate::socket::DispatchError;
use crate::wire::{IpAddress, TcpFlags, TcpRepr, TcpTimestampRepr};

mod close;
mod conformance;
mod data;
mod dsack;
mod ecn;
mod handshake;
mod hardening;
mod pair;
mod pmtu;
mod rack;
mod sack;
mod shoulds;
mod timers;
mod tlp;
mod urgent;

/// The ISN key the tests' context carries.
const KEY: [u64; 2] = [0x0123_4567_89ab_cdef, 0xfedc_ba98_7654_3210];
/// The peer's initial sequence number.
const PEER_ISN: u32 = 1_000_000;
/// The interface MSS in the tests' context.
const PATH_MSS: u16 = 1460;

fn local() -> SocketAddr {
    "192.0.2.1:80".parse().unwrap()
}

fn remote() -> SocketAddr {
    "192.0.2.2:49500".parse().unwrap()
}

/// A plain configuration for conversations: no options beyond MSS, ACK every segment,
/// Nagle on. Tests that exercise an option turn it on.
fn plain_config() -> TcpConfig {
    TcpConfig {
        window_scale: false,
        timestamps: false,
        sack: false,
        delayed_ack: None,
        ..TcpConfig::default()
    }
}

/// An incoming segment from the peer: `seq` relative to [`PEER_ISN`], `ack` absolute
/// (use `conv.ack(n)`), window 8192, no options, no payload.
fn seg(seq: u32, ack: Option<SeqNumber>) -> TcpRepr<'static> {
    TcpRepr {
        src_port: remote().port(),
        dst_port: local().port(),
        flags: if ack.is_some() {
            TcpFlags::ACK
        } else {
            TcpFlags::empty()
        },
        seq_number: SeqNumber(PEER_ISN.wrapping_add(seq)),
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

/// Adds flags to a segment.
fn with(mut repr: TcpRepr<'static>, flags: TcpFlags) -> TcpRepr<'static> {
    repr.flags |= flags;
    repr
}

/// Gives a segment a payload.
fn data(mut repr: TcpRepr<'static>, payload: &'static [u8]) -> TcpRepr<'static> {
    repr.payload = payload;
    repr
}

/// A segment from the peer advertising `window_len`.
fn window(window_len: u16, repr: TcpRepr<'static>) -> TcpRepr<'static> {
    TcpRepr { window_len, ..repr }
}

/// One socket in a conversation, with a virtual clock.
struct Conv {
    socket: Socket<'static>,
    now: Instant,
    /// Our ISS, once known.
    iss: SeqNumber,
    /// The IP ECN field the last segment `out` returned would carry (RFC 3168).
    sent_ecn: u8,
}

/// A passive open that negotiated timestamps (the peer's TSval starts at 1000).
fn with_timestamps() -> Conv {
    let config = TcpConfig {
        timestamps: true,
        ..plain_config()
    };
    let mut c = Conv::new(config, 1024, 1024);
    c.socket.listen(80).unwrap();
    c.feed(&TcpRepr {
        timestamp: Some(TcpTimestampRepr {
            tsval: 1000,
            tsecr: 0,
        }),
        ..with(seg(0, None), TcpFlags::SYN)
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    c.out().unwrap();
    c.feed(&ts(1000, seg(1, c.ack(1))));
    assert_eq!(c.socket.state(), State::Established);
    c
}

/// Gives a segment the timestamp `tsval` (TSecr 0).
fn ts(tsval: u32, repr: TcpRepr<'static>) -> TcpRepr<'static> {
    TcpRepr {
        timestamp: Some(TcpTimestampRepr { tsval, tsecr: 0 }),
        ..repr
    }
}

impl Conv {
    fn new(config: TcpConfig, rx: usize, tx: usize) -> Conv {
        let mut socket = Socket::with_capacity(rx, tx);
        socket.set_config(config);
        Conv {
            socket,
            now: Instant::ZERO,
            iss: SeqNumber(0),
            sent_ecn: 0,
        }
    }

    fn cx(&self) -> TcpContext {
        TcpContext {
            now: self.now,
            isn_key: KEY,
            mss: PATH_MSS,
            ecn: 0,
        }
    }

    /// Advances the clock to `ms` milliseconds.
    fn at_ms(&mut self, ms: i64) -> &mut Conv {
        self.now = Instant::from_millis(ms);
        self
    }

    /// Our sequence number `n` octets after the ISS.
    fn seq(&self, n: usize) -> SeqNumber {
        self.iss + n
    }

    /// The peer's acknowledgment of our octet `n` (relative to the ISS).
    fn ack(&self, n: usize) -> Option<SeqNumber> {
        Some(self.iss + n)
    }

    /// Feeds a segment; returns the immediate reply.
    fn feed(&mut self, repr: &TcpRepr<'_>) -> Option<TcpRepr<'static>> {
        let cx = self.cx();
        let (src, dst) = (remote().ip(), local().ip());
        self.socket.process(&cx, src, dst, repr)
    }

    /// Dispatches once; returns the segment sent, if any (its payload leaked so that it
    /// compares as a `TcpRepr<'static>`).
    fn out(&mut self) -> Option<TcpRepr<'static>> {
        let cx = self.cx();
        let mut sent = None;
        let mut last_ecn = 0;
        self.socket
            .dispatch(&cx, |src, dst, ecn, repr| {
                assert_eq!((src, dst), (local().ip(), remote().ip()));
                last_ecn = ecn;
                let payload: &'static [u8] = repr.payload.to_vec().leak();
                sent = Some(TcpRepr { payload, ..*repr });
                Ok(())
            })
            .unwrap();
        if sent.is_some() {
            self.sent_ecn = last_ecn;
        }
        sent
    }

    /// Feeds a segment that arrived with IP ECN field `codepoint`; the immediate reply.
    fn feed_ecn(&mut self, repr: &TcpRepr<'_>, codepoint: u8) -> Option<TcpRepr<'static>> {
        let cx = TcpContext {
            ecn: codepoint,
            ..self.cx()
        };
        let (src, dst) = (remote().ip(), local().ip());
        self.socket.process(&cx, src, dst, repr)
    }

    /// Dispatches until nothing more is due (bounded).
    fn out_all(&mut self) -> Vec<TcpRepr<'static>> {
        let mut all = Vec::new();
        for _ in 0..64 {
            match self.out() {
                Some(s) => all.push(s),
                None => break,
            }
        }
        all
    }

    /// Asserts that nothing is sent now.
    fn expect_silence(&mut self) {
        assert_eq!(self.out(), None, "expected no segment at {}", self.now);
    }

    /// What we would send: flags, `seq` (relative to ISS), ACK, window, no options.
    fn ours(&self, flags: TcpFlags, seq: usize, ack: Option<u32>, window: u16) -> TcpRepr<'static> {
        TcpRepr {
            src_port: local().port(),
            dst_port: remote().port(),
            flags: flags | ack.map_or(TcpFlags::empty(), |_| TcpFlags::ACK),
            seq_number: self.seq(seq),
            ack_number: ack.map(|a| SeqNumber(PEER_ISN.wrapping_add(a))),
            window_len: window,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 4],
            timestamp: None,
            urgent_pointer: 0,
            payload: &[],
        }
    }

    /// A listener on port 80 that received the peer's SYN; returns with our SYN-ACK
    /// taken and checked.
    fn passive(config: TcpConfig, rx: usize, tx: usize) -> Conv {
        let mut c = Conv::new(config, rx, tx);
        c.socket.listen(80).unwrap();
        let syn = TcpRepr {
            max_seg_size: Some(1000),
            ..with(seg(0, None), TcpFlags::SYN)
        };
        assert_eq!(c.feed(&syn), None);
        assert_eq!(c.socket.state(), State::SynReceived);
        c.iss = initial_seq_number(KEY, c.now, local(), remote());
        let synack = c.out().expect("SYN-ACK");
        assert_eq!(synack.flags, TcpFlags::SYN | TcpFlags::ACK);
        assert_eq!(synack.seq_number, c.iss);
        c
    }

    /// A listener with SACK on that received a SYN offering SACK-permitted; returns
    /// with our SYN-ACK taken and checked to offer it back (RFC 2018 §2).
    fn passive_sack(rx: usize, tx: usize) -> Conv {
        let config = TcpConfig {
            sack: true,
            ..plain_config()
        };
        let mut c = Conv::new(config, rx, tx);
        c.socket.listen(80).unwrap();
        c.feed(&TcpRepr {
            sack_permitted: true,
            ..with(seg(0, None), TcpFlags::SYN)
        });
        c.iss = initial_seq_number(KEY, c.now, local(), remote());
        assert!(c.out().unwrap().sack_permitted);
        c
    }

    /// An ESTABLISHED connection from a passive open (peer MSS 1000, window 8192).
    fn established(config: TcpConfig, rx: usize, tx: usize) -> Conv {
        let mut c = Conv::passive(config, rx, tx);
        let ack = c.ack(1);
        assert_eq!(c.feed(&seg(1, ack)), None);
        assert_eq!(c.socket.state(), State::Established);
        c
    }

    /// An active open: the SYN is taken and returned.
    fn active(config: TcpConfig, rx: usize, tx: usize) -> (Conv, TcpRepr<'static>) {
        let mut c = Conv::new(config, rx, tx);
        let cx = c.cx();
        c.socket.connect(&cx, remote(), local()).unwrap();
        c.iss = initial_seq_number(KEY, c.now, local(), remote());
        let syn = c.out().expect("SYN");
        (c, syn)
    }
}

#[test]
fn a_dispatch_refused_by_the_device_sends_the_same_segment_next_time() {
    let (mut c, _) = Conv::active(plain_config(), 1024, 1024);
    // Rewind by timeout so that the SYN is due again, then refuse it once.
    c.at_ms(1000);
    let cx = c.cx();
    let r = c
        .socket
        .dispatch(&cx, |_, _, _, _| Err(DispatchError::Exhausted));
    assert_eq!(r, Err(DispatchError::Exhausted));
    let again = c.out().expect("SYN again");
    assert_eq!(again.flags, TcpFlags::SYN);
    assert_eq!(again.seq_number, c.iss);
}

#[test]
fn the_state_displays_in_rfc_spelling() {
    use std::string::ToString;
    assert_eq!(State::Established.to_string(), "ESTABLISHED");
    assert_eq!(State::FinWait2.to_string(), "FIN-WAIT-2");
    assert_eq!(State::TimeWait.to_string(), "TIME-WAIT");
}

#[test]
fn the_demux_key_follows_the_state() {
    let mut c = Conv::new(plain_config(), 64, 64);
    assert_eq!(c.socket.demux_key(), None);
    c.socket.listen(80).unwrap();
    assert_eq!(
        c.socket.demux_key(),
        Some(DemuxKey::TcpListen(IpListenEndpoint::from(80)))
    );
    let syn = with(seg(0, None), TcpFlags::SYN);
    c.feed(&syn);
    assert_eq!(
        c.socket.demux_key(),
        Some(DemuxKey::TcpConnection {
            local: local(),
            remote: remote()
        })
    );
}

#[test]
fn timestamps_are_echoed_on_every_segment_once_negotiated() {
    // B3.6: TS on every non-RST segment once negotiated; TSecr echoes TS.Recent.
    let config = TcpConfig {
        timestamps: true,
        ..plain_config()
    };
    let mut c = Conv::new(config, 1024, 1024);
    c.socket.listen(80).unwrap();
    let syn = TcpRepr {
        timestamp: Some(TcpTimestampRepr {
            tsval: 500,
            tsecr: 0,
        }),
        ..with(seg(0, None), TcpFlags::SYN)
    };
    c.feed(&syn);
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    let synack = c.out().unwrap();
    let ts = synack.timestamp.expect("TS on SYN-ACK");
    assert_eq!(ts.tsecr, 500);
    let ack = TcpRepr {
        timestamp: Some(TcpTimestampRepr {
            tsval: 501,
            tsecr: ts.tsval,
        }),
        ..seg(1, c.ack(1))
    };
    c.feed(&ack);
    assert_eq!(c.socket.state(), State::Established);
    c.socket.send_slice(b"hi").unwrap();
    let out = c.out().unwrap();
    assert_eq!(out.timestamp.map(|t| t.tsecr), Some(501));
    assert_eq!(out.payload, b"hi");
    let _ = IpAddress::V4(crate::wire::Ipv4Address::UNSPECIFIED);
}
