use super::*;

const MSS: usize = 1000;

/// A CUBIC sender that had 100 segments in flight, lost one, and finished fast
/// recovery: W_max = 100 000, ssthresh = cwnd = 70 000 bytes.
fn after_loss() -> Cubic {
    let mut cc = Cubic::new(MSS);
    cc.reno.set_cwnd(100_000);
    assert!(cc.on_dup_ack(3, 100_000));
    assert_eq!(cc.w_max(), 100_000);
    assert_eq!(cc.ssthresh(), 70_000);
    assert_eq!(cc.cwnd(), 73_000);
    cc.on_recovery_exit();
    assert_eq!(cc.cwnd(), 70_000);
    cc
}

/// One RTT of ACKs, one per segment, spread evenly over `rtt` from `start`.
fn ack_one_rtt(cc: &mut Cubic, start: Instant, rtt: Duration) {
    let segments = (cc.cwnd() / MSS).max(1) as u32;
    for i in 0..segments {
        let flight = cc.cwnd();
        cc.on_ack(start + rtt * i / segments, MSS, flight);
        assert!(
            cc.cwnd() >= cc.w_est(),
            "cwnd fell below the Reno-friendly estimate"
        );
    }
}

#[test]
fn the_integer_cube_root_is_exact_at_and_around_cubes() {
    assert_eq!(cbrt_u128(0), 0);
    assert_eq!(cbrt_u128(1), 1);
    assert_eq!(cbrt_u128(7), 1);
    assert_eq!(cbrt_u128(8), 2);
    assert_eq!(cbrt_u128(26), 2);
    assert_eq!(cbrt_u128(27), 3);
    assert_eq!(cbrt_u128(1_000_000_000_000_000_000), 1_000_000);
    assert_eq!(cbrt_u128(999_999_999_999_999_999), 999_999);
    // cbrt(2^128 - 1) = 6 981 463 658 331.56...
    assert_eq!(cbrt_u128(u128::MAX), 6_981_463_658_331);
}

#[test]
fn k_and_the_cubic_curve_match_hand_computed_values_after_a_loss() {
    let mut cc = after_loss();
    let t0 = Instant::from_secs(10);
    cc.on_ack(t0, MSS, 70_000);
    // K = cbrt((W_max - cwnd_epoch)/C) = cbrt(30 segments / 0.4) = cbrt(75) s
    //   = 4.2171633 s; in µs: floor(cbrt(7.5e19)) = 4 217 163.
    let k = 4_217_163;
    assert_eq!(cc.k(), Some(Duration::from_micros(k)));
    // W(t) = 0.4·(t−K)³ segments + W_max, in bytes ×1000:
    // t = 0: 100 000 − 0.4·1000·4.217163³ = 100 000 − 29 999.99 -> 70 001 (floor of the cut).
    assert_eq!(cc.w_cubic(0), 70_001);
    // t = K − 1 s: 100 000 − 400 = 99 600; t = K: W_max; t = K + 1 s: 100 400.
    assert_eq!(cc.w_cubic(k - 1_000_000), 99_600);
    assert_eq!(cc.w_cubic(k), 100_000);
    assert_eq!(cc.w_cubic(k + 1_000_000), 100_400);
    // t = 2K: symmetric to t = 0: 100 000 + 29 999 = 129 999.
    assert_eq!(cc.w_cubic(2 * k), 129_999);
    // t = K + 10 s: 100 000 + 0.4·1000·1000 = 500 000.
    assert_eq!(cc.w_cubic(k + 10_000_000), 500_000);
}

#[test]
fn the_window_climbs_the_concave_curve_and_flattens_near_w_max() {
    let mut cc = after_loss();
    let rtt = Duration::from_millis(100);
    cc.set_srtt(rtt);
    let start = Instant::from_secs(1);
    let mut trace = [0usize; 60];
    for (round, slot) in trace.iter_mut().enumerate() {
        ack_one_rtt(&mut cc, start + rtt * round as u32, rtt);
        *slot = cc.cwnd();
    }
    // K = 4.217 s, i.e. about 42 RTTs. The target looks one RTT ahead, so the window
    // reaches the plateau around round 41 and then stays within a few segments of it.
    assert!(trace[0] > 70_000 && trace[0] < 75_000, "{}", trace[0]);
    let early_growth = trace[5] - trace[0];
    let plateau_growth = trace[42] - trace[37];
    assert!(
        early_growth > 3 * plateau_growth,
        "{early_growth} vs {plateau_growth}"
    );
    assert!(trace[41] >= 97_000 && trace[41] <= 101_000, "{}", trace[41]);
    // Past K the curve turns convex: growth speeds up again.
    let late_growth = trace[59] - trace[54];
    assert!(
        late_growth > plateau_growth,
        "{late_growth} vs {plateau_growth}"
    );
    // Never more than 1.5·cwnd per RTT.
    for pair in trace.windows(2) {
        assert!(pair[1] <= pair[0] + pair[0] / 2);
    }
}

#[test]
fn on_a_short_rtt_path_the_window_follows_the_reno_friendly_estimate() {
    let mut cc = after_loss();
    let rtt = Duration::from_millis(1);
    cc.set_srtt(rtt);
    let start = Instant::from_secs(1);
    for round in 0..100u32 {
        ack_one_rtt(&mut cc, start + rtt * round, rtt);
    }
    // 100 ms after the epoch W_cubic is still ≈ 72 segments, while W_est grew by
    // 9/17 segment per RTT up to cwnd_prior (≈ 57 RTTs), then 1 per RTT: ≈ 143 segments.
    assert!(cc.w_cubic(100_000) < 73_000);
    assert_eq!(cc.cwnd(), cc.w_est());
    assert!(
        cc.cwnd() >= 135_000 && cc.cwnd() <= 150_000,
        "{}",
        cc.cwnd()
    );
}

#[test]
fn a_second_loss_below_w_max_triggers_fast_convergence() {
    let mut cc = after_loss();
    cc.reno.set_cwnd(90_000);
    assert!(cc.on_dup_ack(3, 90_000));
    // W_max = 90 000·(1 + 0.7)/2 = 76 500; ssthresh = 0.7·90 000 = 63 000.
    assert_eq!(cc.w_max(), 76_500);
    assert_eq!(cc.ssthresh(), 63_000);
    assert_eq!(cc.cwnd(), 66_000);
}

#[test]
fn a_timeout_collapses_to_one_segment_and_restarts_the_curve_at_k_zero() {
    let mut cc = Cubic::new(MSS);
    cc.reno.set_cwnd(100_000);
    cc.on_rto(100_000);
    assert_eq!(cc.cwnd(), MSS);
    assert_eq!(cc.ssthresh(), 70_000);
    cc.on_rto(1_000);
    assert_eq!(cc.ssthresh(), 70_000, "a repeated timeout holds ssthresh");
    // Slow start back to ssthresh, one segment per ACK.
    let now = Instant::from_secs(5);
    while cc.cwnd() < cc.ssthresh() {
        cc.on_ack(now, MSS, cc.cwnd());
    }
    assert_eq!(cc.cwnd(), 70_000);
    cc.on_ack(now, MSS, 70_000);
    assert_eq!(cc.k(), Some(Duration::ZERO));
    assert_eq!(cc.w_max(), 70_000);
}

#[test]
fn limited_transmit_and_partial_acks_behave_as_in_newreno() {
    let mut cc = after_loss();
    assert_eq!(cc.limited_transmit_allowance(2), 2 * MSS);
    cc.reno.set_cwnd(100_000);
    assert!(cc.on_dup_ack(3, 100_000));
    assert!(cc.in_recovery());
    // Fast convergence: 100 000 is not below W_max 100 000, so W_max = 100 000.
    assert_eq!(cc.cwnd(), 73_000);
    cc.on_dup_ack(4, 100_000);
    cc.on_partial_ack(5_000);
    assert_eq!(cc.cwnd(), 73_000 + 1_000 - 5_000 + 1_000);
    cc.on_recovery_exit();
    assert_eq!(cc.cwnd(), 70_000);
}

#[test]
fn an_idle_restart_shrinks_the_window_and_starts_a_new_epoch() {
    let mut cc = after_loss();
    cc.on_ack(Instant::from_secs(1), MSS, 70_000);
    assert!(cc.k().is_some());
    cc.on_idle_restart();
    assert_eq!(cc.cwnd(), 10_000);
    assert_eq!(cc.k(), None);
}

#[test]
fn huge_windows_and_times_saturate_without_overflow() {
    let mut cc = Cubic::new(MSS);
    cc.reno.set_cwnd(usize::MAX / 2);
    assert!(cc.on_dup_ack(3, usize::MAX / 2));
    cc.on_recovery_exit();
    cc.set_srtt(Duration::MAX);
    cc.on_ack(Instant::from_micros(i64::MIN), usize::MAX, usize::MAX);
    assert!(cc.k().is_some());
    cc.on_ack(Instant::MAX, usize::MAX, usize::MAX);
    cc.on_ack(Instant::MAX, usize::MAX, usize::MAX);
    assert!(cc.cwnd() >= usize::MAX / 2 / 10 * 7);
    assert_eq!(cc.w_cubic(u64::MAX), usize::MAX);
    // A giant MSS.
    let mut cc = Cubic::new(usize::MAX / 2);
    assert!(cc.on_dup_ack(3, usize::MAX));
    cc.on_recovery_exit();
    cc.on_ack(Instant::ZERO, usize::MAX, usize::MAX);
    cc.on_ack(Instant::MAX, usize::MAX, usize::MAX);
    cc.on_rto(usize::MAX);
    cc.on_ack(Instant::MAX, usize::MAX, usize::MAX);
    assert!(cc.cwnd() >= usize::MAX / 2);
}
