//! SACK-based loss recovery as conversations (CONFORMANCE B4.7–B4.15, RFC 6675): the
//! peer MSS is 1000 and our ten 1000-byte segments are in flight; the peer's ACKs carry
//! SACK blocks, and the tests assert exactly what goes out again.

use std::vec::Vec;

use super::*;
use crate::socket::tcp::congestion::sack::SCOREBOARD_RANGES;

pub(super) const DATA: &[u8; 32768] = &[0x5a; 32768];
/// Our receive window as advertised in every segment (the rx ring).
pub(super) const WND: u16 = 4096;

/// ESTABLISHED by a passive open with SACK agreed; `queued` bytes were sent in full
/// segments (the initial window is ten of them) and are all in flight.
fn sack_established(queued: usize) -> Conv {
    established_with(true, queued)
}

/// ESTABLISHED by a passive open (peer MSS 1000), SACK agreed if `sack`, SRTT 100 ms;
/// `queued` bytes were sent at once in 1000-byte segments (at most ten: the initial
/// window). Shared with the tail loss probe's conversations.
pub(super) fn established_with(sack: bool, queued: usize) -> Conv {
    let config = TcpConfig {
        sack,
        ..plain_config()
    };
    let mut c = Conv::new(config, usize::from(WND), 32768);
    c.socket.listen(80).unwrap();
    c.feed(&TcpRepr {
        sack_permitted: true,
        max_seg_size: Some(1000),
        ..with(seg(0, None), TcpFlags::SYN)
    });
    c.iss = initial_seq_number(KEY, c.now, local(), remote());
    assert_eq!(c.out().unwrap().sack_permitted, sack);
    c.feed(&peer_ack(&c, 1, &[]));
    // A 100 ms path (the handshake above took no time): the tail loss probe, 2·SRTT
    // after the last send or ACK, stays out of 40 ms conversations.
    c.socket.rtt = RttEstimator::new(c.socket.rtt.config());
    c.socket.rtt.on_sample(Duration::from_millis(100));
    assert_eq!(c.socket.send_slice(&DATA[..queued]), Ok(queued));
    let sent = c.out_all();
    assert_eq!(sent.len(), queued.div_ceil(1000).min(10));
    assert!(sent.iter().all(|s| s.payload.len() == 1000));
    c
}

/// The peer's ACK of our octet `n` with SACK blocks `[l, r)` (relative to our ISS) and
/// a window of 20 000.
pub(super) fn peer_ack(c: &Conv, n: usize, blocks: &[(usize, usize)]) -> TcpRepr<'static> {
    let mut sack_ranges = [None; 4];
    for (slot, &(l, r)) in sack_ranges.iter_mut().zip(blocks) {
        *slot = Some((c.seq(l).0, c.seq(r).0));
    }
    TcpRepr {
        window_len: 20_000,
        sack_ranges,
        ..seg(1, c.ack(n))
    }
}

/// The sequence numbers of segments (short failure messages).
fn seqs(segments: &[TcpRepr<'_>]) -> Vec<SeqNumber> {
    segments.iter().map(|s| s.seq_number).collect()
}

/// Our retransmission of the 1000 bytes at octet `n`.
pub(super) fn resent(c: &Conv, n: usize) -> TcpRepr<'static> {
    data(c.ours(TcpFlags::empty(), n, Some(1), WND), &DATA[..1000])
}

#[test]
fn a_single_loss_with_sack_is_repaired_by_one_retransmission_without_a_timeout() {
    // B4.12: the third ACK that SACKs new data (here also IsLost(SND.UNA)) starts
    // recovery: the first unacknowledged segment goes again, cwnd = ssthresh.
    let mut c = sack_established(10_000);
    c.at_ms(20);
    c.feed(&peer_ack(&c, 1, &[(1001, 2001)]));
    c.expect_silence();
    c.feed(&peer_ack(&c, 1, &[(1001, 3001)]));
    c.expect_silence();
    c.feed(&peer_ack(&c, 1, &[(1001, 4001)]));
    assert_eq!(c.out(), Some(resent(&c, 1)));
    c.expect_silence();
    assert_eq!(c.socket.cwnd(), 5000);
    // The retransmission arrives: everything is acknowledged, recovery ends.
    c.at_ms(40);
    c.feed(&peer_ack(&c, 10_001, &[]));
    c.expect_silence();
    let counters = c.socket.counters();
    assert_eq!(counters.retransmits, 1);
    assert_eq!(counters.timeouts, 0);
    assert_eq!(counters.sack_recoveries, 1);
    assert!(!c.socket.sack.in_recovery());
    assert_eq!(c.socket.cwnd(), 5000);
}

#[test]
fn several_holes_are_repaired_in_sequence_order_as_sack_marks_them_lost() {
    // B4.10, B4.13 rule (1): segments at 1, 2001 and 4001 are lost.
    let mut c = sack_established(10_000);
    c.at_ms(20);
    c.feed(&peer_ack(&c, 1, &[(1001, 2001)]));
    c.feed(&peer_ack(&c, 1, &[(3001, 4001), (1001, 2001)]));
    c.expect_silence();
    // Three SACKed ranges above octet 1: it is lost; 2001 has two above it: not yet.
    c.feed(&peer_ack(
        &c,
        1,
        &[(5001, 6001), (3001, 4001), (1001, 2001)],
    ));
    assert_eq!(c.out(), Some(resent(&c, 1)));
    // pipe = 7000 unSACKed - 1000 lost + 1000 resent > cwnd 5000: nothing more.
    c.expect_silence();
    // 6001..8001 arrive: 2001 and 4001 are lost now; pipe falls to 3000, and the two
    // holes go, lowest first, until pipe reaches cwnd.
    c.feed(&peer_ack(
        &c,
        1,
        &[(5001, 8001), (3001, 4001), (1001, 2001)],
    ));
    assert_eq!(seqs(&c.out_all()), [c.seq(2001), c.seq(4001)]);
    c.at_ms(40);
    c.feed(&peer_ack(&c, 10_001, &[]));
    let counters = c.socket.counters();
    assert_eq!((counters.retransmits, counters.timeouts), (3, 0));
}

#[test]
fn in_recovery_pipe_not_the_flight_limits_new_data() {
    // B4.11, B4.13: new data goes only while cwnd - pipe >= SMSS.
    let mut c = sack_established(10_000);
    assert_eq!(c.socket.send_slice(&DATA[..10_000]), Ok(10_000));
    c.at_ms(20);
    for right in [2001, 3001, 4001] {
        c.feed(&peer_ack(&c, 1, &[(1001, right)]));
    }
    assert_eq!(c.out(), Some(resent(&c, 1)));
    // pipe 7000 against cwnd 5000, though the peer's window has room: silence.
    c.expect_silence();
    // Six more segments SACKed: pipe = 3000 (2001 unSACKed at the top + the resend).
    c.feed(&peer_ack(&c, 1, &[(1001, 8001)]));
    let sent = c.out_all();
    assert_eq!(seqs(&sent), [c.seq(10_001), c.seq(11_001)]);
    assert!(sent.iter().all(|s| s.payload.len() == 1000));
}

#[test]
fn a_timeout_clears_the_scoreboard_and_resends_from_snd_una_skipping_what_is_sacked_later() {
    // B4.9 (RFC 2018 §8: the scoreboard is cleared on a timeout, and the left edge is
    // always resent), B4.15 (no new recovery before RecoveryPoint).
    let mut c = sack_established(10_000);
    c.feed(&peer_ack(&c, 1, &[(1001, 3001)]));
    assert!(!c.socket.sack.scoreboard().is_empty());
    // RACK's reordering window (1 ms here: the RTT sample is 0) passes: recovery
    // resends octet 1 (B5.2), and that retransmission is lost too.
    c.at_ms(1);
    assert_eq!(c.out(), Some(resent(&c, 1)));
    // No further ACK comes: the retransmission timer (initial RTO 1 s) fires.
    c.at_ms(1000);
    assert_eq!(c.out(), Some(resent(&c, 1)));
    assert!(c.socket.sack.scoreboard().is_empty());
    assert_eq!(c.socket.counters().timeouts, 1);
    // cwnd is one segment: nothing else until an ACK.
    c.expect_silence();
    // The peer now holds 1..1001 and, by a fresh SACK, 2001..10001: only 1001..2001 is
    // missing, and that alone is resent (cwnd 2000 after slow start).
    c.at_ms(1020);
    c.feed(&peer_ack(&c, 1001, &[(2001, 10_001)]));
    let again = c.out_all();
    assert_eq!(seqs(&again), [c.seq(1001)]);
    assert_eq!(again[0], resent(&c, 1001));
    c.feed(&peer_ack(&c, 10_001, &[]));
    c.expect_silence();
    assert_eq!(c.socket.counters().retransmits, 3);
}

#[test]
fn reneged_sack_information_is_dropped_and_the_data_resent_by_the_timer() {
    // B4.7: SACKed data stays queued; when the cumulative ACK stops at a range the
    // peer had SACKed, the peer dropped it, and it is sent again.
    let mut c = sack_established(10_000);
    c.feed(&peer_ack(&c, 1, &[(1001, 3001)]));
    c.feed(&peer_ack(&c, 1001, &[]));
    assert_eq!(c.socket.counters().sack_reneged, 1);
    assert!(c.socket.sack.scoreboard().is_empty());
    c.expect_silence();
    c.at_ms(1000);
    assert_eq!(c.out(), Some(resent(&c, 1001)));
}

#[test]
fn sack_blocks_outside_the_flight_are_ignored_and_a_flood_of_blocks_stays_bounded() {
    // B4.8 ("SACK Panic"): blocks beyond SND.NXT or inverted change nothing; thousands
    // of distinct one-byte blocks leave at most SCOREBOARD_RANGES ranges, counted.
    let mut c = sack_established(10_000);
    c.feed(&peer_ack(&c, 1, &[(5001, 20_001), (3000, 2000)]));
    assert!(c.socket.sack.scoreboard().is_empty());
    for i in 0..1000 {
        let b = 2 + (i * 37) % 9990;
        c.feed(&peer_ack(&c, 1, &[(b, b + 1)]));
        c.socket.debug_invariants().unwrap();
    }
    assert!(c.socket.sack.scoreboard().sacked().len() <= SCOREBOARD_RANGES);
    assert!(c.socket.counters().scoreboard_overflows > 0);
}

#[test]
fn without_sack_three_duplicate_acks_still_run_newreno() {
    // B2.10/B2.12: SACK not agreed (the plain configuration): the RFC 5681 path.
    let mut c = Conv::established(plain_config(), 1024, 32768);
    c.feed(&TcpRepr {
        window_len: 20_000,
        ..seg(1, c.ack(1))
    });
    c.socket.send_slice(&DATA[..5000]).unwrap();
    assert_eq!(c.out_all().len(), 5);
    for _ in 0..3 {
        c.feed(&TcpRepr {
            window_len: 20_000,
            ..seg(1, c.ack(1))
        });
    }
    let again = c.out().unwrap();
    assert_eq!(again.seq_number, c.seq(1));
    assert_eq!(c.socket.counters().sack_recoveries, 0);
    assert_eq!(c.socket.counters().fast_retransmits, 1);
}

#[test]
fn a_lost_retransmission_is_sent_again_once_it_is_overdue_without_a_timeout() {
    // RFC 8985 §6.2 for retransmissions: still missing RACK.rtt + reo_wnd after it went
    // out, while later ACKs deliver other data, the retransmission was lost too.
    let mut c = sack_established(10_000);
    c.at_ms(20);
    for right in [2001, 3001, 4001] {
        c.feed(&peer_ack(&c, 1, &[(1001, right)]));
    }
    assert_eq!(c.out(), Some(resent(&c, 1)));
    // An ACK at the same instant delivers more: the retransmission cannot be late yet.
    c.feed(&peer_ack(&c, 1, &[(1001, 5001)]));
    c.expect_silence();
    // Later (SRTT is 100 ms here, so 126 ms is overdue), more arrives but not octet 1.
    c.at_ms(150);
    c.feed(&peer_ack(&c, 1, &[(1001, 8001)]));
    assert_eq!(c.out(), Some(resent(&c, 1)));
    let counters = c.socket.counters();
    assert_eq!((counters.lost_retransmits, counters.timeouts), (1, 0));
}
