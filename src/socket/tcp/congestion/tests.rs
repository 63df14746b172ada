use super::*;

const MSS: usize = 1000;

fn seq(n: u32) -> SeqNumber {
    SeqNumber(n)
}

#[test]
fn the_selector_builds_each_algorithm_with_the_rfc_6928_initial_window() {
    for algorithm in [CongestionAlgorithm::NewReno, CongestionAlgorithm::Cubic] {
        let cc = Congestion::new(algorithm, 1460);
        assert_eq!(cc.algorithm(), algorithm);
        assert_eq!(cc.cwnd(), 14_600);
        assert_eq!(cc.ssthresh(), usize::MAX);
        assert!(!cc.in_recovery());
    }
    assert_eq!(CongestionAlgorithm::default(), CongestionAlgorithm::NewReno);
}

#[test]
fn a_lost_syn_leaves_each_algorithm_one_segment_and_an_unbounded_ssthresh() {
    // B2.4: whatever the handshake's timeouts did, data starts at one SMSS in slow start.
    for algorithm in [CongestionAlgorithm::NewReno, CongestionAlgorithm::Cubic] {
        let mut cc = Congestion::new(algorithm, 1460);
        cc.on_rto(0);
        cc.on_syn_loss();
        assert_eq!(
            (cc.cwnd(), cc.ssthresh()),
            (1460, usize::MAX),
            "{algorithm:?}"
        );
        cc.on_ack(Instant::ZERO, 1460, 1460);
        assert!(cc.cwnd() > 1460, "{algorithm:?}: slow start grows");
    }
}

/// RFC 6582 conversation: segments 1000.. are sent, the ones at 1000 and 5000 are lost.
#[test]
fn newreno_recovers_two_losses_in_one_window_with_one_window_cut() {
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut lr = LossRecovery::new();
    // 10 segments in flight: SND.UNA = 1000, SND.NXT = 11000, cwnd = 10 000.
    let una = seq(1000);
    let a = lr.on_dup_ack(&mut cc, una, seq(11_000), 10_000);
    assert_eq!(a, AckAction::Continue);
    // Limited transmit: one more segment may go out (11 000 in flight allowed).
    assert_eq!(lr.send_window(&cc), 11_000);
    let a = lr.on_dup_ack(&mut cc, una, seq(12_000), 11_000);
    assert_eq!(a, AckAction::Continue);
    assert_eq!(lr.send_window(&cc), 12_000);
    // Third duplicate: fast retransmit. FlightSize 12 000 -> ssthresh 6 000, cwnd 9 000.
    let a = lr.on_dup_ack(&mut cc, una, seq(13_000), 12_000);
    assert_eq!(a, AckAction::RetransmitFirstUnacked);
    assert_eq!((cc.ssthresh(), cc.cwnd()), (6_000, 9_000));
    assert_eq!(lr.send_window(&cc), 9_000);
    // A fourth duplicate inflates.
    assert_eq!(
        lr.on_dup_ack(&mut cc, una, seq(13_000), 12_000),
        AckAction::Continue
    );
    assert_eq!(cc.cwnd(), 10_000);
    // The retransmission fills the first hole; the ACK stops at the second (5000):
    // partial ACK, deflate 10 000 - 4 000 + 1 000 and retransmit the segment at 5000.
    let now = Instant::from_millis(300);
    let a = lr.on_new_ack(&mut cc, now, seq(5000), 4000, 12_000);
    assert_eq!(a, AckAction::RetransmitFirstUnacked);
    assert_eq!(cc.cwnd(), 7_000);
    assert!(cc.in_recovery());
    assert_eq!(lr.dup_acks(), 0);
    // Full ACK of everything up to recover: leave recovery with cwnd = ssthresh.
    let a = lr.on_new_ack(&mut cc, now, seq(13_000), 8000, 8_000);
    assert_eq!(a, AckAction::Continue);
    assert!(!cc.in_recovery());
    assert_eq!(cc.cwnd(), 6_000);
    // Duplicates that do not pass recover (ACK 13 000 covers only up to recover) do not
    // cut the window a second time (RFC 6582 §3.2 step 2).
    for _ in 0..5 {
        let a = lr.on_dup_ack(&mut cc, seq(13_000), seq(19_000), 6_000);
        assert_eq!(a, AckAction::Continue);
    }
    assert_eq!((cc.ssthresh(), cc.cwnd()), (6_000, 6_000));
    // A later loss, past recover, is a new episode.
    lr.on_new_ack(&mut cc, now, seq(14_000), 1000, 6_000);
    for _ in 0..2 {
        lr.on_dup_ack(&mut cc, seq(14_000), seq(20_000), 6_000);
    }
    let a = lr.on_dup_ack(&mut cc, seq(14_000), seq(20_000), 6_000);
    assert_eq!(a, AckAction::RetransmitFirstUnacked);
    assert_eq!(cc.ssthresh(), 3_000);
}

#[test]
fn the_very_first_data_segment_can_be_fast_retransmitted() {
    let mut cc = Congestion::new(CongestionAlgorithm::Cubic, MSS);
    let mut lr = LossRecovery::new();
    let iss_plus_one = seq(u32::MAX);
    lr.on_dup_ack(&mut cc, iss_plus_one, seq(9000), 10_000);
    lr.on_dup_ack(&mut cc, iss_plus_one, seq(9000), 10_000);
    let a = lr.on_dup_ack(&mut cc, iss_plus_one, seq(9000), 10_000);
    assert_eq!(a, AckAction::RetransmitFirstUnacked);
    // CUBIC: ssthresh = 0.7 × 10 000.
    assert_eq!(cc.ssthresh(), 7_000);
    assert_eq!(cc.cwnd(), 10_000);
}

#[test]
fn after_a_timeout_duplicates_below_the_old_snd_nxt_do_not_fast_retransmit() {
    for algorithm in [CongestionAlgorithm::NewReno, CongestionAlgorithm::Cubic] {
        let mut cc = Congestion::new(algorithm, MSS);
        let mut lr = LossRecovery::new();
        lr.on_dup_ack(&mut cc, seq(1000), seq(11_000), 10_000);
        lr.on_rto(&mut cc, seq(11_000), 10_000);
        assert_eq!(cc.cwnd(), MSS);
        assert_eq!(lr.dup_acks(), 0);
        // Go-back-N resends; the receiver's duplicates for old data arrive.
        for _ in 0..4 {
            let a = lr.on_dup_ack(&mut cc, seq(3000), seq(11_000), 1_000);
            assert_eq!(a, AckAction::Continue);
        }
        assert_eq!(cc.cwnd(), MSS);
        assert!(!cc.in_recovery());
    }
}

#[test]
fn a_timeout_in_fast_recovery_ends_it() {
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut lr = LossRecovery::new();
    for _ in 0..3 {
        lr.on_dup_ack(&mut cc, seq(1000), seq(11_000), 10_000);
    }
    assert!(cc.in_recovery());
    lr.on_rto(&mut cc, seq(11_000), 10_000);
    assert!(!cc.in_recovery());
    // The next ACK of new data grows the window by slow start again.
    let a = lr.on_new_ack(&mut cc, Instant::ZERO, seq(2000), 1000, 1000);
    assert_eq!(a, AckAction::Continue);
    assert_eq!(cc.cwnd(), 2 * MSS);
}

#[test]
fn sequence_numbers_wrapping_around_zero_keep_recover_ordered() {
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut lr = LossRecovery::new();
    let una = seq(u32::MAX - 4999);
    let nxt = una + 10_000usize;
    for _ in 0..3 {
        lr.on_dup_ack(&mut cc, una, nxt, 10_000);
    }
    assert!(cc.in_recovery());
    let partial = una + 3000usize;
    let a = lr.on_new_ack(&mut cc, Instant::ZERO, partial, 3000, 10_000);
    assert_eq!(a, AckAction::RetransmitFirstUnacked);
    let a = lr.on_new_ack(&mut cc, Instant::ZERO, nxt, 7000, 7000);
    assert_eq!(a, AckAction::Continue);
    assert!(!cc.in_recovery());
}

#[test]
fn fast_retransmit_still_works_two_gib_after_the_last_recovery() {
    // `recover` must not come back "ahead" once the sequence space has moved on by
    // 2^31 bytes: an old mark would forbid fast retransmit for the next 2 GiB.
    let mut cc = Congestion::new(CongestionAlgorithm::NewReno, MSS);
    let mut lr = LossRecovery::new();
    let mut una = seq(1000);
    for _ in 0..3 {
        lr.on_dup_ack(&mut cc, una, una + 10_000usize, 10_000);
    }
    assert!(cc.in_recovery());
    una += 10_000usize;
    lr.on_new_ack(&mut cc, Instant::ZERO, una, 10_000, 10_000);
    assert!(!cc.in_recovery());
    // 2^31 + 5000 bytes later, in acknowledgements of 2^28 bytes.
    for step in [1usize << 28; 8].into_iter().chain([5000]) {
        una += step;
        lr.on_new_ack(&mut cc, Instant::ZERO, una, step, 10_000);
    }
    let mut action = AckAction::Continue;
    for _ in 0..3 {
        action = lr.on_dup_ack(&mut cc, una, una + 10_000usize, 10_000);
    }
    assert_eq!(action, AckAction::RetransmitFirstUnacked);
    assert!(cc.in_recovery());
}
