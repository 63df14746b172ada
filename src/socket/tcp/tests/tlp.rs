//! The tail loss probe as conversations (CONFORMANCE B5.5–B5.6, RFC 8985 §7): the peer
//! MSS is 1000, SACK is agreed, SRTT is 100 ms, and our 1000-byte segments leave at
//! 0 ms; the tests assert when the probe goes, what it carries, and what follows.

use super::*;
use crate::socket::tcp::congestion::CongestionControl;
use crate::socket::tcp::timer::Timer;

use super::sack::{DATA, WND, established_with as probing, peer_ack};

/// Our segment of the 1000 bytes at octet `n` (sent or resent).
fn segment(c: &Conv, n: usize) -> TcpRepr<'static> {
    data(c.ours(TcpFlags::empty(), n, Some(1), WND), &DATA[..1000])
}

/// The same, as the last segment of what was queued (PSH).
fn last_segment(c: &Conv, n: usize) -> TcpRepr<'static> {
    data(c.ours(TcpFlags::PSH, n, Some(1), WND), &DATA[..1000])
}

#[test]
fn a_tail_loss_is_repaired_by_the_probe_and_sack_recovery_without_a_timeout() {
    // Four segments; the last two are lost. The ACK of the first two restarts the PTO
    // (2·SRTT = 200 ms); the probe resends the highest segment; its SACK shows the hole
    // below it, which recovery resends at once: no retransmission timeout.
    let mut c = probing(true, 4000);
    c.at_ms(100);
    c.feed(&peer_ack(&c, 2001, &[]));
    c.expect_silence();
    c.at_ms(299);
    c.expect_silence();
    c.at_ms(300);
    assert_eq!(c.out(), Some(last_segment(&c, 3001)));
    c.expect_silence();
    assert_eq!(c.socket.counters().tlp_probes, 1);
    c.at_ms(400);
    c.feed(&peer_ack(&c, 2001, &[(3001, 4001)]));
    assert_eq!(c.out(), Some(segment(&c, 2001)));
    c.expect_silence();
    assert!(c.socket.sack.in_recovery());
    c.at_ms(500);
    c.feed(&peer_ack(&c, 4001, &[]));
    c.expect_silence();
    assert!(!c.socket.sack.in_recovery());
    let counters = c.socket.counters();
    assert_eq!(
        (
            counters.timeouts,
            counters.sack_recoveries,
            counters.retransmits
        ),
        (0, 1, 2)
    );
    assert_eq!(c.socket.timers.get(Timer::LossProbe), None);
    c.socket.debug_invariants().unwrap();
}

#[test]
fn the_probe_timeout_is_twice_srtt_and_allows_for_a_delayed_ack_with_one_segment_in_flight() {
    // RFC 8985 §7.2 (B5.5): 2·SRTT after the last send with several segments in
    // flight; with one, plus the worst-case delayed ACK (200 ms); 1 s without SRTT;
    // never after the RTO.
    let c = probing(true, 4000);
    let pto = c.socket.timers.get(Timer::LossProbe);
    assert_eq!(pto, Some(Instant::from_millis(200)));
    // B5.8: the PTO stands in for the RTO, whose deadline is later and not armed.
    assert!(pto < c.socket.timers.rto_deadline());
    assert_eq!(c.socket.timers.get(Timer::Retransmit), None);
    let mut c = probing(true, 1000);
    assert_eq!(
        c.socket.timers.get(Timer::LossProbe),
        Some(Instant::from_millis(400))
    );
    // Without an RTT sample: 1 s (which the 1 s initial RTO leaves unarmed).
    c.socket.rtt = RttEstimator::new(c.socket.rtt.config());
    assert_eq!(c.socket.probe_timeout(), Duration::from_secs(1));
    // A near-zero SRTT: the 10 ms floor.
    c.socket.rtt.on_sample(Duration::from_micros(50));
    c.socket.send_slice(&DATA[..1000]).unwrap();
    assert_eq!(c.out_all().len(), 1);
    assert_eq!(c.socket.probe_timeout(), Duration::from_millis(10));
}

#[test]
fn no_probe_is_scheduled_unless_it_would_fire_before_the_retransmission_timeout() {
    // SRTT 600 ms with little variance: 2·SRTT = 1.2 s, later than the RTO (1 s, the
    // floor): the retransmission timer alone guards the flight.
    let mut c = probing(true, 0);
    c.socket.rtt = RttEstimator::new(c.socket.rtt.config());
    c.socket.rtt.on_sample(Duration::from_millis(600));
    c.socket.rtt.on_sample(Duration::from_millis(600));
    c.socket.rtt.on_sample(Duration::from_millis(600));
    c.socket.rtt.on_sample(Duration::from_millis(600));
    c.socket.rtt.on_sample(Duration::from_millis(600));
    c.socket.send_slice(&DATA[..3000]).unwrap();
    assert_eq!(c.out_all().len(), 3);
    let rto = c.socket.timers.get(Timer::Retransmit).unwrap();
    assert!(rto < Instant::from_millis(1200), "{rto}");
    assert_eq!(c.socket.timers.get(Timer::LossProbe), None);
}

#[test]
fn only_one_probe_is_outstanding_until_an_ack_delivers_it() {
    // The probe is lost too: no second probe; the retransmission timer, re-armed when
    // the probe went, resends from SND.UNA.
    let mut c = probing(true, 3000);
    c.at_ms(200);
    assert_eq!(c.out(), Some(last_segment(&c, 2001)));
    assert_eq!(c.socket.timers.get(Timer::LossProbe), None);
    assert_eq!(
        c.socket.timers.get(Timer::Retransmit),
        Some(Instant::from_millis(1200))
    );
    // A duplicate ACK that does not deliver the probe schedules none.
    c.at_ms(300);
    c.feed(&peer_ack(&c, 1, &[]));
    c.expect_silence();
    assert_eq!(c.socket.timers.get(Timer::LossProbe), None);
    c.at_ms(1199);
    c.expect_silence();
    c.at_ms(1200);
    assert_eq!(c.out(), Some(segment(&c, 1)));
    let counters = c.socket.counters();
    assert_eq!((counters.tlp_probes, counters.timeouts), (1, 1));
    c.socket.debug_invariants().unwrap();
}

#[test]
fn a_probe_delivered_by_the_cumulative_ack_allows_the_next_one() {
    // The probe repaired the lone tail loss: the ACK covers everything; the next
    // flight gets a probe again.
    let mut c = probing(true, 3000);
    c.at_ms(200);
    assert_eq!(c.out(), Some(last_segment(&c, 2001)));
    c.at_ms(300);
    c.feed(&peer_ack(&c, 3001, &[]));
    assert_eq!(c.socket.tlp_probe, None);
    c.socket.send_slice(&DATA[..2000]).unwrap();
    assert_eq!(c.out_all().len(), 2);
    assert_eq!(
        c.socket.timers.get(Timer::LossProbe),
        Some(Instant::from_millis(500))
    );
}

#[test]
fn without_sack_no_probe_is_sent_and_the_timeout_repairs_the_tail() {
    let mut c = probing(false, 3000);
    assert_eq!(c.socket.timers.get(Timer::LossProbe), None);
    c.at_ms(200);
    c.expect_silence();
    c.at_ms(999);
    c.expect_silence();
    c.at_ms(1000);
    assert_eq!(c.out(), Some(segment(&c, 1)));
    assert_eq!(c.socket.counters().tlp_probes, 0);
    c.socket.debug_invariants().unwrap();
}

#[test]
fn the_probe_sends_new_data_beyond_cwnd_and_does_not_reduce_it() {
    // Ten segments fill the initial window; 10 000 bytes wait and the peer's window
    // (20 000) allows them: the probe is the next new segment (B5.6), sent although
    // cwnd is full, and it is no congestion event.
    let mut c = probing(true, 20_000);
    c.expect_silence();
    let (cwnd, ssthresh) = (c.socket.cwnd(), c.socket.cc.ssthresh());
    c.at_ms(200);
    assert_eq!(c.out(), Some(segment(&c, 10_001)));
    c.expect_silence();
    assert_eq!((c.socket.cwnd(), c.socket.cc.ssthresh()), (cwnd, ssthresh));
    assert_eq!(c.socket.counters().retransmits, 0);
    // Everything arrives: slow start goes on.
    c.at_ms(300);
    c.feed(&peer_ack(&c, 11_001, &[]));
    assert!(c.socket.cwnd() > cwnd);
    assert_eq!(c.socket.counters().timeouts, 0);
}

/// Three segments; the last is lost; the probe at 200 ms resends it and the ACK of
/// 300 ms covers everything. Returns cwnd then (the verdict is still open).
fn tail_repaired_by_the_probe(c: &mut Conv) -> usize {
    c.at_ms(200);
    assert_eq!(c.out(), Some(last_segment(c, 2001)));
    c.at_ms(300);
    let cwnd = c.socket.cwnd();
    c.feed(&peer_ack(c, 3001, &[]));
    assert_eq!(c.socket.tlp_repair.map(|r| r.end), Some(c.seq(3001)));
    cwnd
}

#[test]
fn a_loss_repaired_by_the_probe_alone_still_reduces_cwnd() {
    // B5.7, RFC 8985 §7.4: no D-SACK of the probe came, and the next cumulative ACK
    // goes beyond it: the probe alone repaired a loss, so cwnd is reduced (halved, as
    // NewReno's recovery would) without any recovery.
    let mut c = probing(true, 3000);
    let cwnd = tail_repaired_by_the_probe(&mut c);
    assert_eq!(c.socket.cwnd(), cwnd);
    c.socket.send_slice(&DATA[..1000]).unwrap();
    assert_eq!(c.out(), Some(last_segment(&c, 3001)));
    c.at_ms(400);
    c.feed(&peer_ack(&c, 4001, &[]));
    assert_eq!(c.socket.cwnd(), cwnd / 2);
    assert_eq!(c.socket.cc.ssthresh(), cwnd / 2);
    let counters = c.socket.counters();
    assert_eq!(
        (
            counters.tlp_repairs,
            counters.sack_recoveries,
            counters.timeouts
        ),
        (1, 0, 0)
    );
    assert_eq!(c.socket.tlp_repair, None);
}

#[test]
fn a_probe_whose_original_also_arrived_leaves_cwnd_alone() {
    // B5.7: the peer reports the probe as a duplicate (D-SACK, RFC 2883): nothing was
    // lost, and nothing is reduced.
    let mut c = probing(true, 3000);
    let cwnd = tail_repaired_by_the_probe(&mut c);
    c.feed(&peer_ack(&c, 3001, &[(2001, 3001)]));
    assert_eq!(c.socket.tlp_repair, None);
    c.socket.send_slice(&DATA[..1000]).unwrap();
    c.out_all();
    c.at_ms(400);
    c.feed(&peer_ack(&c, 4001, &[]));
    assert!(c.socket.cwnd() >= cwnd);
    assert_eq!(c.socket.counters().tlp_repairs, 0);
}
