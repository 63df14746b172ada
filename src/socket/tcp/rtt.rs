//! Round-trip time estimation and the retransmission timeout (RTO) of one connection.
//!
//! Governed by RFC 6298 (CONFORMANCE B1). Pure arithmetic on [`Duration`]s in integer
//! microseconds: no clock, no allocation, no panics, every sum saturating.

use crate::time::Duration;

/// Clock granularity `G` of RFC 6298 §2: the resolution of [`crate::time::Instant`], one
/// microsecond. It only matters when `4·RTTVAR` is zero (CONFORMANCE B1.8); the real
/// granularity of a caller that polls every few milliseconds is covered by `min_rto`.
pub const CLOCK_GRANULARITY: Duration = Duration::from_micros(1);

/// RTO bound above which a connection that is setting up after a SYN timeout starts
/// (RFC 6298 §5.7: re-initialise RTO to 3 s when data transfer begins).
pub const SYN_TIMEOUT_RTO: Duration = Duration::from_secs(3);

/// Bounds and starting point of the retransmission timeout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttConfig {
    /// RTO before the first RTT sample. RFC 6298 §2.1: 1 s (SHOULD); larger values such as
    /// 3 s are allowed.
    pub initial_rto: Duration,
    /// Floor of the RTO. RFC 6298 §2.4 rounds an RTO below 1 s up to 1 s (SHOULD), which is
    /// the default. Linux uses 200 ms (`TCP_RTO_MIN`); setting 200 ms here is that
    /// documented deviation (CONFORMANCE B1.4) and makes recovery on fast links quicker.
    pub min_rto: Duration,
    /// Ceiling of the RTO, also for backoff. RFC 6298 §2.5: optional, at least 60 s if
    /// present. Default 60 s (Linux: 120 s). A value below `min_rto` is raised to it.
    pub max_rto: Duration,
}

impl Default for RttConfig {
    fn default() -> Self {
        RttConfig {
            initial_rto: Duration::from_secs(1),
            min_rto: Duration::from_secs(1),
            max_rto: Duration::from_secs(60),
        }
    }
}

/// The RFC 6298 estimator: smoothed RTT, RTT variance and the current (possibly backed
/// off) retransmission timeout.
///
/// Karn's rule is the caller's job (CONFORMANCE B1.6): feed [`on_sample`](Self::on_sample)
/// only with RTTs of segments that were not retransmitted, unless a TCP timestamp echo
/// identifies which copy was acknowledged. Take at least one sample per RTT (B1.7).
///
/// Size: a few words; every method is O(1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RttEstimator {
    config: RttConfig,
    /// SRTT in µs; `None` until the first sample (RFC 6298 §2.1).
    srtt_us: Option<u64>,
    /// RTTVAR in µs.
    rttvar_us: u64,
    /// RTO from the estimate alone, clamped to the bounds.
    base_rto: Duration,
    /// RTO in force: `base_rto` doubled once per [`backoff`](Self::backoff), capped.
    rto: Duration,
    /// Number of backoffs since the last sample or [`reset_backoff`](Self::reset_backoff).
    backoffs: u32,
}

impl RttEstimator {
    /// An estimator with no sample yet: RTO is `config.initial_rto`, clamped to the bounds.
    pub fn new(config: RttConfig) -> RttEstimator {
        let config = RttConfig {
            max_rto: config.max_rto.max(config.min_rto),
            ..config
        };
        let base_rto = clamp(config.initial_rto, &config);
        RttEstimator {
            config,
            srtt_us: None,
            rttvar_us: 0,
            base_rto,
            rto: base_rto,
            backoffs: 0,
        }
    }

    /// The bounds this estimator works with (after `max_rto` was raised to `min_rto`).
    pub fn config(&self) -> RttConfig {
        self.config
    }

    /// Feeds one RTT measurement `rtt` (RFC 6298 §2.2/§2.3) and recomputes the RTO. A new
    /// sample also ends any backoff (CONFORMANCE B1.13, RFC 9293 §3.8.2: the backed-off
    /// RTO stays until new data is acknowledged without retransmission).
    pub fn on_sample(&mut self, rtt: Duration) {
        let r = rtt.total_micros();
        match self.srtt_us {
            None => {
                // RFC 6298 §2.2: SRTT <- R, RTTVAR <- R/2.
                self.srtt_us = Some(r);
                self.rttvar_us = r / 2;
            }
            Some(srtt) => {
                // RFC 6298 §2.3, in this order (CONFORMANCE B1.3): RTTVAR uses the old SRTT.
                // beta = 1/4, alpha = 1/8; u128 keeps 3·x and 7·x from overflowing.
                let delta = u128::from(srtt.abs_diff(r));
                let rttvar = (3 * u128::from(self.rttvar_us) + delta) / 4;
                let srtt = (7 * u128::from(srtt) + u128::from(r)) / 8;
                self.rttvar_us = saturate_u64(rttvar);
                self.srtt_us = Some(saturate_u64(srtt));
            }
        }
        self.base_rto = self.estimate();
        self.reset_backoff();
    }

    /// RTO = SRTT + max(G, 4·RTTVAR), clamped to [min_rto, max_rto] (RFC 6298 §2.2–§2.5).
    fn estimate(&self) -> Duration {
        let srtt = self.srtt_us.unwrap_or(0);
        let var = self
            .rttvar_us
            .saturating_mul(4)
            .max(CLOCK_GRANULARITY.total_micros());
        clamp(
            Duration::from_micros(srtt.saturating_add(var)),
            &self.config,
        )
    }

    /// The retransmission timeout in force now (including any backoff).
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// Doubles the RTO, capped at `max_rto` (RFC 6298 §5.5). Call once each time the
    /// retransmission timer expires, before restarting it.
    pub fn backoff(&mut self) {
        self.rto = self.rto.saturating_mul(2).min(self.config.max_rto);
        self.backoffs = self.backoffs.saturating_add(1);
    }

    /// Returns the RTO to the value of the estimate (undoes every backoff).
    /// [`on_sample`](Self::on_sample) already does this; call it directly only when new
    /// data was acknowledged but Karn's rule forbade taking a sample and the caller still
    /// wants to collapse the backoff (e.g. a timestamp-less ACK after a long outage).
    pub fn reset_backoff(&mut self) {
        self.rto = self.base_rto;
        self.backoffs = 0;
    }

    /// How many times [`backoff`](Self::backoff) ran since the last reset; the socket
    /// compares it with its give-up threshold (RFC 9293 R2 / user timeout).
    pub fn backoffs(&self) -> u32 {
        self.backoffs
    }

    /// RFC 6298 §5.7: when the SYN (or SYN-ACK) timed out and the handshake then
    /// completed, raise the RTO to at least 3 s for data transfer. Call once, when the
    /// connection reaches ESTABLISHED after such a timeout. A later sample replaces it.
    pub fn on_established_after_syn_timeout(&mut self) {
        self.base_rto = clamp(self.base_rto.max(SYN_TIMEOUT_RTO), &self.config);
        self.reset_backoff();
    }

    /// Smoothed RTT, or `None` before the first sample.
    pub fn srtt(&self) -> Option<Duration> {
        self.srtt_us.map(Duration::from_micros)
    }

    /// RTT variance (zero before the first sample).
    pub fn rttvar(&self) -> Duration {
        Duration::from_micros(self.rttvar_us)
    }
}

impl Default for RttEstimator {
    fn default() -> Self {
        RttEstimator::new(RttConfig::default())
    }
}

/// `d` bounded to `[min_rto, max_rto]`; `max_rto >= min_rto` is guaranteed by `new`, and
/// `min` then `max` never panics even if it were not.
fn clamp(d: Duration, config: &RttConfig) -> Duration {
    d.min(config.max_rto).max(config.min_rto)
}

fn saturate_u64(x: u128) -> u64 {
    u64::try_from(x).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    fn linux_like() -> RttEstimator {
        RttEstimator::new(RttConfig {
            min_rto: ms(200),
            ..RttConfig::default()
        })
    }

    #[test]
    fn before_any_sample_the_rto_is_one_second() {
        let est = RttEstimator::default();
        assert_eq!(est.rto(), Duration::from_secs(1));
        assert_eq!(est.srtt(), None);
        assert_eq!(est.rttvar(), Duration::ZERO);
    }

    #[test]
    fn a_first_sample_of_100_ms_gives_300_ms_floored_to_one_second() {
        // CONFORMANCE B1.14: SRTT = 100, RTTVAR = 50, RTO = 100 + 4·50 = 300 ms -> 1 s.
        let mut est = RttEstimator::default();
        est.on_sample(ms(100));
        assert_eq!(est.srtt(), Some(ms(100)));
        assert_eq!(est.rttvar(), ms(50));
        assert_eq!(est.rto(), Duration::from_secs(1));
        // With a Linux-like 200 ms floor the unfloored value shows.
        let mut est = linux_like();
        est.on_sample(ms(100));
        assert_eq!(est.rto(), ms(300));
    }

    #[test]
    fn a_first_sample_of_two_seconds_gives_six_seconds() {
        // CONFORMANCE B1.14: 2 s + 4·1 s = 6 s.
        let mut est = RttEstimator::default();
        est.on_sample(Duration::from_secs(2));
        assert_eq!(est.rto(), Duration::from_secs(6));
    }

    #[test]
    fn later_samples_update_rttvar_with_the_old_srtt_then_srtt() {
        let mut est = linux_like();
        est.on_sample(ms(100));
        // R' = 120 ms: RTTVAR = 3/4·50 + 1/4·|100-120| = 37.5 + 5 = 42.5 ms;
        // SRTT = 7/8·100 + 1/8·120 = 87.5 + 15 = 102.5 ms; RTO = 102.5 + 170 = 272.5 ms.
        est.on_sample(ms(120));
        assert_eq!(est.rttvar(), Duration::from_micros(42_500));
        assert_eq!(est.srtt(), Some(Duration::from_micros(102_500)));
        assert_eq!(est.rto(), Duration::from_micros(272_500));
        // R'' = 80 ms: |102.5-80| = 22.5; RTTVAR = 3/4·42.5 + 22.5/4 = 31.875 + 5.625 = 37.5;
        // SRTT = 7/8·102.5 + 10 = 89.6875 + 10 = 99.6875 ms; RTO = 99.6875 + 150 = 249.6875.
        est.on_sample(ms(80));
        assert_eq!(est.rttvar(), Duration::from_micros(37_500));
        assert_eq!(est.srtt(), Some(Duration::from_micros(99_687)));
        assert_eq!(est.rto(), Duration::from_micros(249_687));
    }

    #[test]
    fn a_steady_rtt_converges_and_the_rto_approaches_srtt_plus_granularity() {
        let mut est = linux_like();
        for _ in 0..200 {
            est.on_sample(ms(300));
        }
        assert_eq!(est.srtt(), Some(ms(300)));
        // RTTVAR decays by 3/4 each time; integer division reaches exactly zero and G
        // stands in for the variance term (CONFORMANCE B1.8).
        assert_eq!(est.rttvar(), Duration::ZERO);
        assert_eq!(est.rto(), ms(300) + CLOCK_GRANULARITY);
    }

    #[test]
    fn backoff_doubles_up_to_the_ceiling_and_a_sample_collapses_it() {
        let mut est = RttEstimator::default();
        let mut seen = [Duration::ZERO; 8];
        for slot in seen.iter_mut() {
            est.backoff();
            *slot = est.rto();
        }
        let secs = [2, 4, 8, 16, 32, 60, 60, 60].map(Duration::from_secs);
        assert_eq!(seen, secs);
        assert_eq!(est.backoffs(), 8);
        est.on_sample(ms(100));
        assert_eq!(est.rto(), Duration::from_secs(1));
        assert_eq!(est.backoffs(), 0);
    }

    #[test]
    fn reset_backoff_returns_to_the_estimate_without_a_sample() {
        let mut est = linux_like();
        est.on_sample(ms(100));
        est.backoff();
        est.backoff();
        assert_eq!(est.rto(), ms(1200));
        est.reset_backoff();
        assert_eq!(est.rto(), ms(300));
    }

    #[test]
    fn a_syn_timeout_raises_the_data_rto_to_three_seconds_until_a_sample() {
        let mut est = RttEstimator::default();
        est.backoff();
        est.on_established_after_syn_timeout();
        assert_eq!(est.rto(), Duration::from_secs(3));
        est.on_sample(ms(100));
        assert_eq!(est.rto(), Duration::from_secs(1));
    }

    #[test]
    fn a_ceiling_below_the_floor_is_raised_to_the_floor() {
        let est = RttEstimator::new(RttConfig {
            initial_rto: ms(10),
            min_rto: Duration::from_secs(2),
            max_rto: ms(500),
        });
        assert_eq!(est.config().max_rto, Duration::from_secs(2));
        assert_eq!(est.rto(), Duration::from_secs(2));
    }

    #[test]
    fn huge_samples_and_ceilings_saturate_instead_of_overflowing() {
        let mut est = RttEstimator::new(RttConfig {
            max_rto: Duration::MAX,
            ..RttConfig::default()
        });
        est.on_sample(Duration::MAX);
        assert_eq!(est.rto(), Duration::MAX);
        est.on_sample(Duration::ZERO);
        est.on_sample(Duration::MAX);
        for _ in 0..100 {
            est.backoff();
        }
        assert_eq!(est.rto(), Duration::MAX);
        assert_eq!(est.backoffs(), 100);
    }
}
