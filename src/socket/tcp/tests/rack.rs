//! RACK as conversations (CONFORMANCE B5.2, B5.3, B5.8; RFC 8985 §6): the peer MSS is
//! 1000, SACK is agreed, our ten 1000-byte segments left at 0 ms, and the peer's ACKs
//! come back 100 ms later (so RACK.rtt and min_RTT are 100 ms and reo_wnd is 25 ms).

use super::*;
use crate::socket::tcp::timer::Timer;

use super::sack::{established_with, peer_ack, resent};

/// Ten segments in flight, sent at 0 ms, SRTT 100 ms.
fn ten_in_flight() -> Conv {
    established_with(true, 10_000)
}

/// Ten in flight; at 100 ms the second segment is SACKed, at 110 ms the first arrives
/// (the cumulative ACK covers both).
fn reordered_by_10_ms() -> Conv {
    let mut c = ten_in_flight();
    c.at_ms(100);
    c.feed(&peer_ack(&c, 1, &[(1001, 2001)]));
    c.at_ms(110);
    c.feed(&peer_ack(&c, 2001, &[]));
    c
}

#[test]
fn a_segment_is_marked_lost_by_time_once_a_later_one_is_sacked_and_the_reorder_window_passes() {
    // B5.2: one segment above the hole is SACKed at 100 ms: far from DupThresh, but the
    // segment at octet 1 was sent before it. It is lost once 0 + RACK.rtt (100 ms) +
    // reo_wnd (min_RTT/4 = 25 ms) have passed; until then the reordering timer waits.
    let mut c = ten_in_flight();
    c.at_ms(100);
    c.feed(&peer_ack(&c, 1, &[(1001, 2001)]));
    c.expect_silence();
    // B5.8: the reordering timer alone is armed, and poll_at reports it.
    let reorder = Some(Instant::from_millis(125));
    assert_eq!(c.socket.timers.get(Timer::Reorder), reorder);
    assert_eq!(c.socket.timers.get(Timer::LossProbe), None);
    assert_eq!(c.socket.timers.get(Timer::Retransmit), None);
    assert_eq!(c.socket.poll_at(), reorder);
    c.at_ms(124);
    c.expect_silence();
    c.at_ms(125);
    assert_eq!(c.out(), Some(resent(&c, 1)));
    c.expect_silence();
    assert!(c.socket.sack.in_recovery());
    assert_eq!(c.socket.cwnd(), 5000);
    let counters = c.socket.counters();
    assert_eq!(
        (
            counters.reorder_timeouts,
            counters.rack_recoveries,
            counters.timeouts
        ),
        (1, 1, 0)
    );
    // The reordering timer gave way to the RTO again.
    assert_eq!(c.socket.timers.get(Timer::Reorder), None);
    assert!(c.socket.timers.get(Timer::Retransmit).is_some());
    c.socket.debug_invariants().unwrap();
}

#[test]
fn a_segment_overdue_when_a_later_one_is_sacked_is_lost_at_once() {
    // B5.2 on the ACK itself: octets 1..1001 leave at 0 ms, 1001..2001 at 50 ms. The
    // SACK of the second at 150 ms (RACK.rtt 100 ms) finds the first overdue: sent 125
    // ms (RACK.rtt + reo_wnd) or more before now. Recovery starts without a timer.
    let mut c = established_with(true, 1000);
    c.at_ms(50);
    c.socket.send_slice(&super::sack::DATA[..1000]).unwrap();
    assert_eq!(c.out_all().len(), 1);
    c.at_ms(150);
    c.feed(&peer_ack(&c, 1, &[(1001, 2001)]));
    assert_eq!(c.out(), Some(resent(&c, 1)));
    let counters = c.socket.counters();
    assert_eq!(
        (counters.rack_recoveries, counters.reorder_timeouts),
        (1, 0)
    );
}

#[test]
fn reordering_within_the_reorder_window_does_not_trigger_a_retransmission() {
    // B5.2/B5.3: the segment at octet 1 arrives 10 ms after the one above it, inside
    // its 25 ms window: nothing is resent, the reordering timer stops, and RACK has
    // seen reordering.
    let mut c = reordered_by_10_ms();
    c.expect_silence();
    assert_eq!(c.socket.timers.get(Timer::Reorder), None);
    c.at_ms(126);
    c.expect_silence();
    assert!(c.socket.sack.rack().reordering_seen());
    let counters = c.socket.counters();
    assert_eq!((counters.retransmits, counters.sack_recoveries), (0, 0));
    // The probe timer took over, the RTO suspended under it (B5.8).
    assert!(c.socket.timers.get(Timer::LossProbe).is_some());
    assert_eq!(c.socket.timers.get(Timer::Retransmit), None);
    c.socket.debug_invariants().unwrap();
}

#[test]
fn after_reordering_was_seen_three_duplicate_acks_wait_for_the_reorder_window() {
    // B5.3: before reordering is seen, DupThresh SACKed segments make reo_wnd 0 (the
    // RFC 6675 rule, kept); once seen, reo_wnd is min_RTT/4 even then, and RACK alone
    // starts recovery.
    let mut c = reordered_by_10_ms();
    assert!(c.socket.sack.rack().reordering_seen());
    // Segments 2001..3001 lost; three above it SACKed at 110 ms.
    for right in [4001, 5001, 6001] {
        c.feed(&peer_ack(&c, 2001, &[(3001, right)]));
    }
    c.expect_silence();
    // Sent at 0 ms: due at 0 + 110 (RACK.rtt) + 25 ms.
    assert_eq!(
        c.socket.timers.get(Timer::Reorder),
        Some(Instant::from_millis(135))
    );
    c.at_ms(135);
    assert_eq!(c.out(), Some(resent(&c, 2001)));
}

#[test]
fn a_dsack_widens_the_reorder_window() {
    // B5.3, RFC 2883: the first SACK block below the cumulative ACK is a D-SACK (the
    // peer got octets 1..1001 twice). reo_wnd's multiplier grows to 2: 50 ms instead of
    // 25; a second D-SACK in the same round trip does not grow it again.
    let mut c = ten_in_flight();
    c.at_ms(100);
    c.feed(&peer_ack(&c, 1001, &[(1, 1001)]));
    assert_eq!(c.socket.sack.rack().reo_wnd_mult(), 2);
    c.feed(&peer_ack(&c, 1001, &[(1, 1001)]));
    assert_eq!(c.socket.sack.rack().reo_wnd_mult(), 2);
    c.feed(&peer_ack(&c, 1001, &[(2001, 3001)]));
    assert_eq!(
        c.socket.timers.get(Timer::Reorder),
        Some(Instant::from_millis(150))
    );
    c.at_ms(149);
    c.expect_silence();
    c.at_ms(150);
    assert_eq!(c.out(), Some(resent(&c, 1001)));
}

#[test]
fn a_dsack_inside_the_second_block_is_recognised() {
    // RFC 2883 §4: a first block inside the second, above the cumulative ACK, reports a
    // duplicate too.
    let mut c = ten_in_flight();
    c.at_ms(100);
    c.feed(&peer_ack(&c, 1, &[(2001, 3001)]));
    c.feed(&peer_ack(&c, 1, &[(2001, 3001), (2001, 4001)]));
    assert_eq!(c.socket.sack.rack().reo_wnd_mult(), 2);
}

#[test]
fn the_reorder_window_is_capped_at_srtt() {
    // B5.3: a D-SACK in each of eight round trips makes the multiplier 9, 9 · 25 ms;
    // the cap is SRTT.
    let mut c = ten_in_flight();
    for i in 1..=8 {
        c.at_ms(100 * i);
        let all = 10_001 + 1000 * (i as usize - 1);
        c.feed(&peer_ack(&c, all, &[(1, 1001)]));
        c.socket.send_slice(&super::sack::DATA[..1000]).unwrap();
        assert_eq!(c.out_all().len(), 1);
    }
    assert_eq!(c.socket.sack.rack().reo_wnd_mult(), 9);
    let srtt = c.socket.rtt.srtt().unwrap();
    let (now, smss) = (c.now, c.socket.send_mss());
    assert_eq!(c.socket.sack.reo_wnd(now, smss, Some(srtt)), srtt);
}
