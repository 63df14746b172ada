//! NewReno congestion control: slow start, congestion avoidance, fast retransmit and
//! fast recovery with partial-ACK handling.
//!
//! Governed by RFC 5681, RFC 6582 (NewReno), RFC 3042 (limited transmit) and RFC 6928
//! (initial window); CONFORMANCE B2. Windows are counted in bytes (B2.15).

use super::CongestionControl;
use crate::time::Instant;

/// Initial window of RFC 6928: `min(10·MSS, max(2·MSS, 14600))` bytes (CONFORMANCE B2.2).
pub fn initial_window(mss: usize) -> usize {
    mss.saturating_mul(10)
        .min(mss.saturating_mul(2).max(14_600))
}

/// NewReno (RFC 5681 + RFC 6582) on a byte-counted congestion window.
///
/// Size: a few words; every method is O(1) and never allocates or panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReno {
    /// Sender maximum segment size (SMSS, RFC 5681 §2), never 0.
    mss: usize,
    /// Congestion window in bytes (RFC 5681 §2).
    cwnd: usize,
    /// Slow-start threshold in bytes (RFC 5681 §3.1); starts "arbitrarily high" (B2.5).
    ssthresh: usize,
    /// Bytes acknowledged in congestion avoidance not yet turned into window growth
    /// (appropriate byte counting, RFC 5681 §3.1 / RFC 3465).
    ca_acked: usize,
    /// In fast recovery (RFC 5681 §3.2 step 4 to step 6).
    in_recovery: bool,
    /// The last congestion event was a timeout and no new data was ACKed since: a
    /// further timeout holds ssthresh instead of halving it again (CONFORMANCE B2.9).
    after_rto: bool,
    /// Nothing was acknowledged yet, so a new MSS may recompute the initial window.
    pristine: bool,
    /// The largest FlightSize seen by an ACK in the current window's worth of ACKs, and
    /// in the previous one; `window_acked` counts bytes towards the next window.
    peak_flight: usize,
    last_peak_flight: usize,
    window_acked: usize,
}

impl NewReno {
    /// A controller for segments of `mss` bytes (0 is treated as 1), starting with the
    /// RFC 6928 initial window and an unbounded ssthresh.
    pub fn new(mss: usize) -> NewReno {
        let mss = mss.max(1);
        NewReno {
            mss,
            cwnd: initial_window(mss),
            ssthresh: usize::MAX,
            ca_acked: 0,
            in_recovery: false,
            after_rto: false,
            pristine: true,
            peak_flight: 0,
            last_peak_flight: 0,
            window_acked: 0,
        }
    }

    /// SMSS in bytes.
    pub fn mss(&self) -> usize {
        self.mss
    }

    /// `max(flight_size / 2, 2·SMSS)`: RFC 5681 equation (4). FlightSize, not cwnd.
    fn halved(&self, in_flight: usize) -> usize {
        (in_flight / 2).max(self.two_mss())
    }

    fn two_mss(&self) -> usize {
        self.mss.saturating_mul(2)
    }

    /// Notes an ACK of `newly_acked` bytes that found `in_flight` bytes outstanding, and
    /// says whether the window was used enough for the ACK to grow it: the largest flight
    /// of this or the previous window's worth of ACKs is at least half of cwnd (RFC 7661's
    /// validated phase, `pipeACK >= cwnd/2`; Linux keeps the same per-window maximum).
    /// A sender held back by its application or by the peer's window so stops growing
    /// cwnd at about twice what it uses, and a later loss halves a window the path has
    /// really carried (without this, cwnd reached tens of MB behind a 256 KiB buffer).
    pub(super) fn cwnd_limited(&mut self, newly_acked: usize, in_flight: usize) -> bool {
        // Any ACK of new data ends the initial window's pristine state and the timeout's
        // aftermath, used or not.
        self.after_rto = false;
        self.pristine = false;
        self.peak_flight = self.peak_flight.max(in_flight);
        let limited = self
            .peak_flight
            .max(self.last_peak_flight)
            .saturating_mul(2)
            >= self.cwnd;
        self.window_acked = self.window_acked.saturating_add(newly_acked);
        if self.window_acked >= self.cwnd {
            self.window_acked = 0;
            self.last_peak_flight = self.peak_flight;
            self.peak_flight = 0;
        }
        limited
    }

    /// Grows the window for an ACK of `newly_acked` new bytes outside recovery. CUBIC
    /// reuses the slow-start half; it returns `false` when the window is in congestion
    /// avoidance and the caller must grow it.
    pub(super) fn slow_start(&mut self, newly_acked: usize) -> bool {
        self.after_rto = false;
        self.pristine = false;
        if self.cwnd >= self.ssthresh {
            return false;
        }
        // RFC 5681 §3.1 equation (2): cwnd += min(N, SMSS). RFC 3465 allows L = 2·SMSS
        // to make up for delayed ACKs; we keep RFC 5681's stricter L = 1·SMSS.
        self.cwnd = self.cwnd.saturating_add(newly_acked.min(self.mss));
        true
    }

    /// Sets the window after a congestion event detected by three duplicate ACKs, given
    /// the ssthresh the algorithm chose (RFC 5681 §3.2 steps 2–4).
    pub(super) fn enter_recovery(&mut self, ssthresh: usize) {
        self.ssthresh = ssthresh.max(self.two_mss());
        self.cwnd = self.ssthresh.saturating_add(self.mss.saturating_mul(3));
        self.ca_acked = 0;
        self.in_recovery = true;
        self.after_rto = false;
        self.pristine = false;
    }

    /// Sets the window after a loss detected through SACK, given the ssthresh the
    /// algorithm chose: `cwnd = ssthresh`, no inflation (RFC 6675 §5 step 4.2).
    pub(super) fn enter_sack_recovery(&mut self, ssthresh: usize) {
        self.enter_recovery(ssthresh);
        self.cwnd = self.ssthresh;
    }

    /// Sets the window after a congestion signal that needs no retransmission (an
    /// ECN-Echo, a loss the probe alone repaired), given the ssthresh the algorithm
    /// chose: `cwnd = ssthresh`, outside any recovery.
    pub(super) fn reduce_without_recovery(&mut self, ssthresh: usize) {
        self.ssthresh = ssthresh.max(self.two_mss());
        self.cwnd = self.ssthresh;
        self.ca_acked = 0;
        self.pristine = false;
    }

    /// Collapses the window after a timeout, given the ssthresh the algorithm chose
    /// unless this is a repeated timeout (RFC 5681 §3.1 equation (4) and the note on
    /// repeated timeouts; CONFORMANCE B2.9).
    pub(super) fn enter_loss(&mut self, ssthresh: usize) {
        if !self.after_rto {
            self.ssthresh = ssthresh.max(self.two_mss());
        }
        self.cwnd = self.mss;
        self.ca_acked = 0;
        self.in_recovery = false;
        self.after_rto = true;
        self.pristine = false;
    }

    /// The last event was a timeout with no new data acknowledged since.
    pub(super) fn after_rto(&self) -> bool {
        self.after_rto
    }

    pub(super) fn set_cwnd(&mut self, cwnd: usize) {
        self.cwnd = cwnd.max(self.mss);
    }
}

impl CongestionControl for NewReno {
    fn cwnd(&self) -> usize {
        self.cwnd
    }

    fn ssthresh(&self) -> usize {
        self.ssthresh
    }

    fn on_ack(&mut self, _now: Instant, newly_acked: usize, in_flight: usize) {
        if self.in_recovery || newly_acked == 0 || !self.cwnd_limited(newly_acked, in_flight) {
            return;
        }
        if self.slow_start(newly_acked) {
            return;
        }
        // Congestion avoidance by byte counting (RFC 5681 §3.1, RECOMMENDED): one SMSS
        // per cwnd of acknowledged bytes. On full-sized ACKs this is the average of
        // `cwnd += SMSS·SMSS/cwnd` per ACK, but it never exceeds SMSS per RTT (MUST NOT)
        // and resists ACK division. Capping the carry at cwnd limits a stretch ACK to one
        // SMSS of growth.
        self.ca_acked = self.ca_acked.saturating_add(newly_acked).min(self.cwnd);
        if self.ca_acked >= self.cwnd {
            self.ca_acked = 0;
            self.cwnd = self.cwnd.saturating_add(self.mss);
        }
    }

    fn on_dup_ack(&mut self, count: u32, in_flight: usize) -> bool {
        if self.in_recovery {
            // RFC 5681 §3.2 step 4: each further duplicate ACK means a segment left the
            // network; inflate the window by one SMSS.
            self.cwnd = self.cwnd.saturating_add(self.mss);
            return false;
        }
        if count != 3 {
            return false;
        }
        self.enter_recovery(self.halved(in_flight));
        true
    }

    fn on_partial_ack(&mut self, newly_acked: usize) {
        if !self.in_recovery {
            return;
        }
        // RFC 6582 §3.2 step 4: deflate by the newly acknowledged bytes, then add back
        // one SMSS if at least one SMSS was acknowledged, so that about ssthresh bytes
        // stay in flight once recovery ends.
        self.cwnd = self.cwnd.saturating_sub(newly_acked);
        if newly_acked >= self.mss {
            self.cwnd = self.cwnd.saturating_add(self.mss);
        }
        self.cwnd = self.cwnd.max(self.mss);
    }

    fn on_recovery_exit(&mut self) {
        if !self.in_recovery {
            return;
        }
        // RFC 6582 §3.2 step 3, option (2) / RFC 5681 §3.2 step 6: deflate to ssthresh.
        self.in_recovery = false;
        self.ca_acked = 0;
        self.cwnd = self.ssthresh.max(self.mss);
    }

    fn on_sack_recovery(&mut self, in_flight: usize) {
        self.enter_sack_recovery(self.halved(in_flight));
    }

    fn on_rto(&mut self, in_flight: usize) {
        self.enter_loss(self.halved(in_flight));
    }

    fn on_congestion_signal(&mut self, in_flight: usize) {
        self.reduce_without_recovery(self.halved(in_flight));
    }

    fn in_recovery(&self) -> bool {
        self.in_recovery
    }

    fn limited_transmit_allowance(&self, dup_acks: u32) -> usize {
        // RFC 3042 §2: on the first and second duplicate ACK one new segment may go out
        // each, as long as FlightSize stays within cwnd + 2·SMSS.
        match (self.in_recovery, dup_acks) {
            (false, 1) => self.mss,
            (false, 2) => self.two_mss(),
            _ => 0,
        }
    }

    fn on_idle_restart(&mut self) {
        // RFC 5681 §4.1: restart window = min(IW, cwnd) after an idle period > RTO.
        self.cwnd = self.cwnd.min(initial_window(self.mss));
        self.ca_acked = 0;
    }

    fn on_syn_loss(&mut self) {
        // B2.4: one segment, and slow start from there: the handshake's timeouts said
        // nothing about the path's capacity for data, so ssthresh is unbounded again
        // (as Linux does). `set_mss` later keeps the window (no longer pristine).
        *self = NewReno::new(self.mss);
        self.cwnd = self.mss;
        self.pristine = false;
    }

    fn set_srtt(&mut self, _srtt: crate::time::Duration) {}

    fn set_mss(&mut self, mss: usize) {
        self.mss = mss.max(1);
        if self.pristine {
            self.cwnd = initial_window(self.mss);
        } else {
            self.cwnd = self.cwnd.max(self.mss);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Instant = Instant::ZERO;

    /// Acknowledges one window's worth of `mss`-sized segments, one ACK each, the way a
    /// receiver without delayed ACKs does in one RTT.
    fn ack_one_rtt(cc: &mut NewReno, mss: usize) {
        let segments = cc.cwnd() / mss;
        for _ in 0..segments {
            let flight = cc.cwnd();
            cc.on_ack(NOW, mss, flight);
        }
    }

    #[test]
    fn the_initial_window_follows_rfc_6928() {
        assert_eq!(initial_window(1460), 14_600);
        // 536: min(5360, max(1072, 14600)) = 5360.
        assert_eq!(initial_window(536), 5_360);
        // 9000 (jumbo): min(90000, max(18000, 14600)) = 18000.
        assert_eq!(initial_window(9000), 18_000);
        assert_eq!(NewReno::new(1460).cwnd(), 14_600);
        assert_eq!(NewReno::new(1460).ssthresh(), usize::MAX);
        assert_eq!(NewReno::new(0).mss(), 1);
    }

    #[test]
    fn slow_start_doubles_the_window_every_round_trip() {
        let mut cc = NewReno::new(1000);
        assert_eq!(cc.cwnd(), 10_000);
        ack_one_rtt(&mut cc, 1000);
        assert_eq!(cc.cwnd(), 20_000);
        ack_one_rtt(&mut cc, 1000);
        assert_eq!(cc.cwnd(), 40_000);
    }

    #[test]
    fn slow_start_counts_at_most_one_mss_per_ack() {
        let mut cc = NewReno::new(1000);
        // A stretch ACK of 5 segments grows cwnd by one SMSS only (RFC 5681 eq. (2)).
        cc.on_ack(NOW, 5000, 10_000);
        assert_eq!(cc.cwnd(), 11_000);
        // ACK division: 1-byte ACKs grow by 1 byte each.
        cc.on_ack(NOW, 1, 11_000);
        assert_eq!(cc.cwnd(), 11_001);
    }

    #[test]
    fn congestion_avoidance_grows_one_mss_per_round_trip() {
        let mut cc = NewReno::new(1000);
        cc.ssthresh = 10_000;
        ack_one_rtt(&mut cc, 1000);
        assert_eq!(cc.cwnd(), 11_000);
        ack_one_rtt(&mut cc, 1000);
        assert_eq!(cc.cwnd(), 12_000);
        // Many tiny ACKs cannot beat byte counting: 12_000 one-byte ACKs = one SMSS.
        for _ in 0..12_000 {
            cc.on_ack(NOW, 1, 12_000);
        }
        assert_eq!(cc.cwnd(), 13_000);
    }

    #[test]
    fn three_duplicate_acks_trigger_fast_retransmit_with_halved_flight() {
        let mut cc = NewReno::new(1000);
        cc.cwnd = 20_000;
        // FlightSize 16 000 (application-limited; the halving uses it, not cwnd).
        assert!(!cc.on_dup_ack(1, 16_000));
        assert!(!cc.on_dup_ack(2, 16_000));
        assert_eq!(cc.cwnd(), 20_000);
        assert!(cc.on_dup_ack(3, 16_000));
        assert!(cc.in_recovery());
        assert_eq!(cc.ssthresh(), 8_000);
        assert_eq!(cc.cwnd(), 8_000 + 3_000);
        // Each further duplicate inflates by SMSS; none re-triggers.
        assert!(!cc.on_dup_ack(4, 16_000));
        assert!(!cc.on_dup_ack(5, 16_000));
        assert_eq!(cc.cwnd(), 13_000);
        cc.on_recovery_exit();
        assert!(!cc.in_recovery());
        assert_eq!(cc.cwnd(), 8_000);
    }

    #[test]
    fn a_tiny_flight_still_keeps_ssthresh_at_two_segments() {
        let mut cc = NewReno::new(1000);
        assert!(cc.on_dup_ack(3, 3_000));
        assert_eq!(cc.ssthresh(), 2_000);
        assert_eq!(cc.cwnd(), 5_000);
    }

    #[test]
    fn a_partial_ack_deflates_by_the_acked_bytes_and_adds_back_one_mss() {
        let mut cc = NewReno::new(1000);
        cc.cwnd = 20_000;
        assert!(cc.on_dup_ack(3, 20_000));
        assert_eq!(cc.cwnd(), 13_000);
        cc.on_dup_ack(4, 20_000);
        assert_eq!(cc.cwnd(), 14_000);
        // Partial ACK of 4 segments: 14 000 - 4 000 + 1 000.
        cc.on_partial_ack(4_000);
        assert_eq!(cc.cwnd(), 11_000);
        assert!(cc.in_recovery());
        // Less than one SMSS acknowledged: no add-back.
        cc.on_partial_ack(500);
        assert_eq!(cc.cwnd(), 10_500);
        // Normal ACK processing is suspended in recovery.
        cc.on_ack(NOW, 1000, 10_000);
        assert_eq!(cc.cwnd(), 10_500);
        cc.on_recovery_exit();
        assert_eq!(cc.cwnd(), 10_000);
    }

    #[test]
    fn a_timeout_collapses_the_window_to_one_segment_and_holds_ssthresh_on_repeat() {
        let mut cc = NewReno::new(1000);
        cc.cwnd = 30_000;
        cc.on_rto(24_000);
        assert_eq!(cc.cwnd(), 1_000);
        assert_eq!(cc.ssthresh(), 12_000);
        // The retransmission times out again: FlightSize is now small, but ssthresh is
        // held rather than halved again (RFC 5681 §3.1 note).
        cc.on_rto(1_000);
        assert_eq!(cc.ssthresh(), 12_000);
        assert_eq!(cc.cwnd(), 1_000);
        // After an ACK, slow start runs up to ssthresh again.
        cc.on_ack(NOW, 1000, 1000);
        assert_eq!(cc.cwnd(), 2_000);
        cc.on_rto(2_000);
        assert_eq!(cc.ssthresh(), 2_000);
    }

    #[test]
    fn a_timeout_during_fast_recovery_leaves_recovery() {
        let mut cc = NewReno::new(1000);
        assert!(cc.on_dup_ack(3, 10_000));
        cc.on_rto(10_000);
        assert!(!cc.in_recovery());
        assert_eq!(cc.cwnd(), 1_000);
    }

    #[test]
    fn limited_transmit_allows_one_extra_segment_per_early_duplicate() {
        let mut cc = NewReno::new(1000);
        assert_eq!(cc.limited_transmit_allowance(0), 0);
        assert_eq!(cc.limited_transmit_allowance(1), 1_000);
        assert_eq!(cc.limited_transmit_allowance(2), 2_000);
        assert_eq!(cc.limited_transmit_allowance(3), 0);
        // cwnd is unchanged by the first two duplicates (RFC 3042).
        cc.on_dup_ack(1, 10_000);
        cc.on_dup_ack(2, 10_000);
        assert_eq!(cc.cwnd(), 10_000);
        cc.on_dup_ack(3, 10_000);
        assert_eq!(cc.limited_transmit_allowance(1), 0);
    }

    #[test]
    fn an_idle_restart_shrinks_the_window_to_the_initial_window() {
        let mut cc = NewReno::new(1000);
        cc.cwnd = 50_000;
        cc.on_idle_restart();
        assert_eq!(cc.cwnd(), 10_000);
        cc.cwnd = 3_000;
        cc.on_idle_restart();
        assert_eq!(cc.cwnd(), 3_000);
    }

    #[test]
    fn a_sender_that_uses_less_than_half_the_window_does_not_grow_it() {
        // RFC 7661: only a validated (used) window grows.
        let mut cc = NewReno::new(1000);
        for _ in 0..100 {
            cc.on_ack(NOW, 1000, 4000);
        }
        assert_eq!(cc.cwnd(), 10_000, "application-limited: no growth");
        // Half the window in flight is enough, in slow start and in avoidance.
        cc.on_ack(NOW, 1000, 5000);
        assert_eq!(cc.cwnd(), 11_000);
        cc.ssthresh = 11_000;
        ack_one_rtt(&mut cc, 1000);
        assert_eq!(cc.cwnd(), 12_000);
        // The full flight still counts for the next window of ACKs (one more SMSS in
        // avoidance), then no longer.
        for _ in 0..30 {
            cc.on_ack(NOW, 1000, 2000);
        }
        assert_eq!(cc.cwnd(), 13_000);
        for _ in 0..100 {
            cc.on_ack(NOW, 1000, 2000);
        }
        assert_eq!(cc.cwnd(), 13_000);
    }

    #[test]
    fn a_new_mss_before_any_ack_recomputes_the_initial_window() {
        let mut cc = NewReno::new(536);
        assert_eq!(cc.cwnd(), 5_360);
        cc.set_mss(1460);
        assert_eq!(cc.cwnd(), 14_600);
        cc.on_ack(NOW, 1460, 14_600);
        cc.set_mss(1200);
        assert_eq!(cc.cwnd(), 16_060);
        assert_eq!(cc.mss(), 1200);
    }

    #[test]
    fn windows_near_the_top_of_usize_saturate() {
        let mut cc = NewReno::new(usize::MAX / 2);
        // IW = min(10·MSS (saturated), max(2·MSS, 14600)) = 2·MSS = usize::MAX - 1.
        assert_eq!(cc.cwnd(), usize::MAX - 1);
        cc.on_ack(NOW, usize::MAX, usize::MAX);
        assert_eq!(cc.cwnd(), usize::MAX);
        cc.ssthresh = usize::MAX / 2;
        for _ in 0..3 {
            cc.on_ack(NOW, usize::MAX, usize::MAX);
        }
        assert!(cc.on_dup_ack(3, usize::MAX));
        assert_eq!(cc.ssthresh(), usize::MAX - 1);
        assert_eq!(cc.cwnd(), usize::MAX);
        cc.on_dup_ack(4, usize::MAX);
        cc.on_partial_ack(usize::MAX);
        cc.on_recovery_exit();
        cc.on_rto(usize::MAX);
        assert_eq!(cc.cwnd(), usize::MAX / 2);
        assert_eq!(cc.limited_transmit_allowance(2), usize::MAX - 1);
    }
}
