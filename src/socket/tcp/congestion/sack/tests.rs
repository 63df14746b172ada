//! The scoreboard and the RFC 6675 rules on plain numbers (CONFORMANCE B4.8–B4.15).

use super::*;
use crate::socket::tcp::congestion::{Congestion, CongestionAlgorithm};

const MSS: usize = 1000;

fn s(n: u32) -> SeqNumber {
    SeqNumber(n)
}

fn r(start: u32, end: u32) -> SeqRange {
    SeqRange {
        start: s(start),
        end: s(end),
    }
}

/// An ACK of SND.UNA = 0 with 10 000 bytes in flight, RFC 5681-duplicate.
fn dup_ack() -> SackAck {
    SackAck {
        una: s(0),
        ack: s(0),
        high_data: s(10_000),
        newly_acked: 0,
        plain_duplicate: true,
        smss: MSS,
        srtt: None,
    }
}

#[test]
fn sack_blocks_merge_into_sorted_disjoint_ranges_clipped_to_the_flight() {
    // B4.8: blocks are validated against SND.UNA..SND.NXT and kept bounded.
    let mut sb = Scoreboard::default();
    assert_eq!(sb.add(s(1000), s(9000), r(3000, 4000)), (1000, false));
    assert_eq!(sb.add(s(1000), s(9000), r(6000, 7000)), (1000, false));
    // Touching and overlapping blocks merge.
    assert_eq!(sb.add(s(1000), s(9000), r(4000, 5000)), (1000, false));
    assert_eq!(sb.add(s(1000), s(9000), r(4500, 6500)), (1000, false));
    assert_eq!(sb.sacked(), &[r(3000, 7000)]);
    // A block beyond SND.NXT, an inverted block and a D-SACK below SND.UNA add nothing.
    assert_eq!(sb.add(s(1000), s(9000), r(8000, 9500)), (0, false));
    assert_eq!(sb.add(s(1000), s(9000), r(5000, 4000)), (0, false));
    assert_eq!(sb.add(s(1000), s(9000), r(200, 900)), (0, false));
    assert_eq!(sb.sacked(), &[r(3000, 7000)]);
    assert!(sb.check(s(1000), s(9000)).is_ok());
}

#[test]
fn a_full_scoreboard_drops_its_highest_range_and_says_so() {
    // B4.8: a crafted stream of tiny blocks cannot grow the scoreboard.
    let mut sb = Scoreboard::default();
    let una = s(0);
    let top = s(1_000_000);
    for i in 0..SCOREBOARD_RANGES as u32 {
        assert!(!sb.add(una, top, r(10 + i * 10, 15 + i * 10)).1);
    }
    // Above all: dropped.
    assert_eq!(sb.add(una, top, r(900_000, 900_001)), (0, true));
    // Below the highest: kept, and the highest goes.
    let highest = *sb.sacked().last().unwrap();
    let (_, overflowed) = sb.add(una, top, r(1, 2));
    assert!(overflowed);
    assert_eq!(sb.sacked().len(), SCOREBOARD_RANGES);
    assert_eq!(sb.sacked()[0], r(1, 2));
    assert!(!sb.sacked().contains(&highest));
    assert!(sb.check(una, top).is_ok());
}

#[test]
fn is_lost_needs_three_sacked_ranges_or_more_than_two_segments_above() {
    // B4.10: DupThresh = 3.
    let mut sb = Scoreboard::default();
    sb.add(s(0), s(10_000), r(1000, 2000));
    sb.add(s(0), s(10_000), r(3000, 4000));
    assert!(!sb.is_lost(s(0), MSS));
    // A third range above byte 0: lost. Byte 2500 has only two above it.
    sb.add(s(0), s(10_000), r(5000, 5500));
    assert!(sb.is_lost(s(0), MSS));
    assert!(!sb.is_lost(s(2500), MSS));
    // More than 2·SMSS bytes in one range also makes it lost.
    let mut sb = Scoreboard::default();
    sb.add(s(0), s(10_000), r(1000, 3000));
    assert!(!sb.is_lost(s(0), MSS));
    sb.add(s(0), s(10_000), r(3000, 3001));
    assert!(sb.is_lost(s(0), MSS));
}

#[test]
fn pipe_counts_unsacked_bytes_not_lost_and_retransmitted_ones_again() {
    // B4.11. Flight 0..10 000; SACKed 1000..2000, 3000..4000, 5000..6000.
    let mut sb = Scoreboard::default();
    for b in [r(1000, 2000), r(3000, 4000), r(5000, 6000)] {
        sb.add(s(0), s(10_000), b);
    }
    // Lost: 0..1000 (three ranges above). Not lost: 2000..3000, 4000..5000,
    // 6000..10 000 = 6000 bytes.
    assert_eq!(sb.pipe(s(0), s(10_000), sb.lost_boundary(MSS)), 6000);
    // Retransmitting the lost hole puts it back in the pipe once.
    sb.on_retransmit(r(0, 1000), s(10_000), Instant::ZERO);
    assert_eq!(sb.pipe(s(0), s(10_000), sb.lost_boundary(MSS)), 7000);
}

#[test]
fn next_seg_retransmits_lost_holes_in_order_then_sends_new_data() {
    // B4.13 rules (1) and (2).
    let mut rec = SackRecovery::new();
    for b in [r(1000, 2000), r(3000, 4000), r(5000, 6000), r(7000, 8000)] {
        rec.scoreboard.add(s(0), s(10_000), b);
    }
    let next = |rec: &SackRecovery| rec.next_seg(s(0), s(10_000), MSS, true);
    assert_eq!(next(&rec), NextSeg::Retransmit(r(0, 1000)));
    rec.on_retransmit(r(0, 1000), s(10_000), Instant::ZERO, Retransmission::Hole);
    assert_eq!(next(&rec), NextSeg::Retransmit(r(2000, 3000)));
    rec.on_retransmit(
        r(2000, 3000),
        s(10_000),
        Instant::ZERO,
        Retransmission::Hole,
    );
    // 4000..5000 has only two ranges (2000 bytes) above: not lost yet: new data first.
    assert_eq!(next(&rec), NextSeg::NewData);
    // Without new data, rule (3) picks it.
    assert_eq!(
        rec.next_seg(s(0), s(10_000), MSS, false),
        NextSeg::Retransmit(r(4000, 5000))
    );
}

#[test]
fn the_rescue_retransmission_goes_once_per_recovery() {
    // B4.13 rule (4): the highest unSACKed segment, once.
    let mut rec = SackRecovery::new();
    rec.in_recovery = true;
    rec.recovery_point = Some(s(10_000));
    rec.scoreboard.add(s(0), s(10_000), r(1000, 2000));
    rec.on_retransmit(r(0, 1000), s(10_000), Instant::ZERO, Retransmission::First);
    rec.on_retransmit(
        r(2000, 3000),
        s(10_000),
        Instant::ZERO,
        Retransmission::Hole,
    );
    rec.on_retransmit(
        r(3000, 10_000),
        s(10_000),
        Instant::ZERO,
        Retransmission::Hole,
    );
    // Nothing lost, nothing new, every hole retransmitted; SND.UNA not yet past the
    // first retransmission: no rescue.
    assert_eq!(rec.next_seg(s(0), s(10_000), MSS, false), NextSeg::Nothing);
    // The first retransmission filled 0..1000: the ACK jumps over the SACKed range.
    assert!(!rec.scoreboard.advance(s(2000)));
    let rescue = rec.next_seg(s(2000), s(10_000), MSS, false);
    assert_eq!(rescue, NextSeg::Rescue(r(9000, 10_000)));
    rec.on_retransmit(
        r(9000, 10_000),
        s(10_000),
        Instant::ZERO,
        Retransmission::Rescue,
    );
    assert_eq!(
        rec.next_seg(s(2000), s(10_000), MSS, false),
        NextSeg::Nothing
    );
}

#[test]
fn a_retransmission_overtaken_by_later_data_is_judged_lost_again() {
    // RFC 8985 in sequence terms: data sent after the retransmission was SACKed.
    let mut sb = Scoreboard::default();
    sb.add(s(0), s(10_000), r(1000, 4000));
    sb.on_retransmit(r(0, 1000), s(10_000), Instant::ZERO);
    assert_eq!(sb.drop_lost_retransmits(MSS, Instant::ZERO, None, true), 0);
    // HighData grew to 14 000; 10 000..13 001 arrived: more than 2·SMSS after it.
    sb.add(s(0), s(14_000), r(10_000, 13_001));
    assert_eq!(sb.drop_lost_retransmits(MSS, Instant::ZERO, None, true), 1);
    assert_eq!(
        sb.next_unsent_hole(s(0), s(1000), MSS),
        Some(r(0, 1000)),
        "the hole may be sent again"
    );
}

#[test]
fn an_ack_that_stops_inside_a_sacked_range_means_reneging() {
    // B4.7: SACKed data stays queued; the receiver may drop it.
    let mut sb = Scoreboard::default();
    sb.add(s(0), s(10_000), r(2000, 4000));
    assert!(!sb.advance(s(1000)));
    assert_eq!(sb.sacked(), &[r(2000, 4000)]);
    assert!(sb.advance(s(2000)));
    assert!(sb.is_empty());
}

#[test]
fn recovery_starts_on_the_third_sacking_ack_with_cwnd_at_half_the_flight() {
    // B4.12: DupAcks >= DupThresh; RecoveryPoint = HighData; cwnd = ssthresh.
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut rec = SackRecovery::new();
    let now = Instant::ZERO;
    let a = dup_ack();
    assert!(
        !rec.on_ack(&mut cc, now, &a, [r(1000, 1500)])
            .retransmit_first
    );
    assert!(
        !rec.on_ack(&mut cc, now, &a, [r(1500, 2000)])
            .retransmit_first
    );
    // A duplicate of the last ACK SACKs nothing new: no count (RFC 6675 §2).
    assert!(
        !rec.on_ack(&mut cc, now, &a, [r(1500, 2000)])
            .retransmit_first
    );
    assert_eq!(rec.dup_acks(), 2);
    assert!(
        rec.on_ack(&mut cc, now, &a, [r(2000, 2500)])
            .retransmit_first
    );
    assert!(rec.in_recovery());
    assert_eq!((cc.ssthresh(), cc.cwnd()), (5000, 5000));
    // A cumulative ACK below RecoveryPoint keeps recovery; past it, recovery ends.
    let partial = SackAck {
        ack: s(1000),
        newly_acked: 1000,
        plain_duplicate: false,
        ..a
    };
    rec.on_ack(&mut cc, now, &partial, []);
    assert!(rec.in_recovery());
    let full = SackAck {
        una: s(1000),
        ack: s(10_000),
        newly_acked: 9000,
        ..partial
    };
    rec.on_ack(&mut cc, now, &full, []);
    assert!(!rec.in_recovery());
    assert_eq!(cc.cwnd(), 5000);
}

#[test]
fn is_lost_at_snd_una_starts_recovery_before_three_duplicates() {
    // B4.12: IsLost(HighACK + 1) is the other trigger.
    let mut cc = Congestion::new(CongestionAlgorithm::Cubic, MSS);
    let mut rec = SackRecovery::new();
    let a = dup_ack();
    let out = rec.on_ack(&mut cc, Instant::ZERO, &a, [r(1000, 4000)]);
    assert!(out.retransmit_first);
    assert_eq!(rec.dup_acks(), 1);
    // CUBIC's own reduction: β = 0.7 of the flight.
    assert_eq!(cc.cwnd(), 7000);
}

#[test]
fn a_timeout_clears_the_scoreboard_and_blocks_recovery_until_recovery_point() {
    // B4.9 (our choice: clear), B4.15.
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut rec = SackRecovery::new();
    let a = dup_ack();
    assert!(
        rec.on_ack(&mut cc, Instant::ZERO, &a, [r(1000, 4000)])
            .retransmit_first
    );
    rec.on_rto(&mut cc, s(10_000), 10_000, false);
    assert!(!rec.in_recovery());
    assert!(rec.scoreboard().is_empty());
    assert_eq!(cc.cwnd(), MSS);
    // SACKs after the timeout are recorded but start no recovery before SND.UNA
    // reaches 10 000.
    let out = rec.on_ack(&mut cc, Instant::ZERO, &a, [r(1000, 5000)]);
    assert!(!out.retransmit_first);
    assert_eq!(rec.scoreboard().sacked(), &[r(1000, 5000)]);
}

#[test]
fn sack_recovery_still_starts_two_gib_after_the_last_one() {
    // RecoveryPoint must not come back "ahead" of SND.UNA once the sequence space has
    // moved on by 2^31 bytes: a stale point would forbid recovery for the next 2 GiB.
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut rec = SackRecovery::new();
    let now = Instant::ZERO;
    let a = dup_ack();
    assert!(
        rec.on_ack(&mut cc, now, &a, [r(1000, 4000)])
            .retransmit_first
    );
    // The hole is resent (so filling it is no sign of reordering, RFC 8985 §6.2).
    rec.on_retransmit(r(0, 1000), s(10_000), now, Retransmission::First);
    let mut una = s(0);
    let mut high_data = s(10_000);
    // Recovery ends at 10 000, then 2^31 + 5000 bytes go by in ACKs of 2^28 bytes.
    for step in [10_000usize].into_iter().chain([1 << 28; 8]).chain([5000]) {
        let ack = una + step;
        let x = SackAck {
            una,
            ack,
            high_data,
            newly_acked: step,
            plain_duplicate: false,
            ..a
        };
        rec.on_ack(&mut cc, now, &x, []);
        assert!(rec.check(ack, high_data).is_ok());
        una = ack;
        high_data = una + 10_000usize;
    }
    assert!(!rec.in_recovery());
    let dup = SackAck {
        una,
        ack: una,
        high_data,
        ..a
    };
    let started = (1..=3u32).any(|k| {
        let block = SeqRange {
            start: una + (k as usize) * MSS,
            end: una + (k as usize + 1) * MSS,
        };
        rec.on_ack(&mut cc, now, &dup, [block]).retransmit_first
    });
    assert!(started);
    assert!(rec.in_recovery());
    assert!(rec.check(una, high_data).is_ok());
}

#[test]
fn a_delivered_probe_starts_recovery_with_every_unsacked_byte_below_it_lost() {
    // RFC 8985 §6.2 applied to a tail loss probe at 9000..10 000: one SACKed range, no
    // DupThresh, yet 0..9000 (less what is SACKed) counts as lost and is resent first.
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut rec = SackRecovery::new();
    rec.scoreboard.add(s(0), s(10_000), r(9000, 10_000));
    rec.scoreboard.add(s(0), s(10_000), r(3000, 4000));
    assert!(!rec.in_recovery());
    assert!(rec.on_probe_delivered(&mut cc, s(0), s(10_000), s(9000)));
    assert!(rec.in_recovery());
    assert!(rec.check(s(0), s(10_000)).is_ok());
    // Lost: 0..3000 and 4000..9000; pipe counts nothing of them.
    assert_eq!(rec.pipe(s(0), s(10_000), MSS), 0);
    let next = |rec: &SackRecovery| rec.next_seg(s(0), s(10_000), MSS, false);
    assert_eq!(next(&rec), NextSeg::Retransmit(r(0, 1000)));
    for start in [0, 1000, 2000, 4000, 5000, 6000, 7000] {
        let range = r(start, start + 1000);
        rec.on_retransmit(range, s(10_000), Instant::ZERO, Retransmission::Hole);
    }
    assert_eq!(next(&rec), NextSeg::Retransmit(r(8000, 9000)));
    // No second recovery while this one runs, nor for a probe at or below SND.UNA.
    assert!(!rec.on_probe_delivered(&mut cc, s(0), s(10_000), s(9000)));
    let mut fresh = SackRecovery::new();
    assert!(!fresh.on_probe_delivered(&mut cc, s(9000), s(10_000), s(9000)));
    // A timeout forgets the boundary.
    rec.on_rto(&mut cc, s(10_000), 10_000, true);
    assert!(rec.check(s(0), s(10_000)).is_ok());
}
