//! Temporary stand-ins with the API of `rtt.rs` and `congestion/` (written on branch
//! `tcp-algos`), so that the state machine compiles before that branch is merged.
//! Removed at the merge.
#![allow(dead_code)]

/// RFC 6298 estimator (stand-in).
pub mod rtt {
    use crate::time::Duration;

    /// Bounds of the retransmission timeout.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct RttConfig {
        /// RTO before the first sample.
        pub initial_rto: Duration,
        /// Lower bound.
        pub min_rto: Duration,
        /// Upper bound.
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

    /// RFC 6298 estimator.
    #[derive(Debug, Clone, Copy)]
    pub struct RttEstimator {
        config: RttConfig,
        srtt: Option<Duration>,
        rttvar: Duration,
        rto: Duration,
        backoff: u32,
    }

    impl RttEstimator {
        /// A fresh estimator.
        pub fn new(config: RttConfig) -> Self {
            RttEstimator {
                config,
                srtt: None,
                rttvar: Duration::ZERO,
                rto: config.initial_rto,
                backoff: 0,
            }
        }
        /// Feeds one sample.
        pub fn on_sample(&mut self, rtt: Duration) {
            match self.srtt {
                None => {
                    self.srtt = Some(rtt);
                    self.rttvar = rtt / 2;
                }
                Some(srtt) => {
                    let diff = if srtt > rtt { srtt - rtt } else { rtt - srtt };
                    self.rttvar = (self.rttvar * 3 + diff) / 4;
                    self.srtt = Some((srtt * 7 + rtt) / 8);
                }
            }
            let var = (self.rttvar * 4).max(Duration::from_micros(1));
            let rto = self.srtt.unwrap_or_default().saturating_add(var);
            self.rto = rto.max(self.config.min_rto).min(self.config.max_rto);
            self.backoff = 0;
        }
        /// The current RTO, backed off.
        pub fn rto(&self) -> Duration {
            self.rto
                .saturating_mul(1u32 << self.backoff.min(16))
                .min(self.config.max_rto)
        }
        /// Doubles the RTO.
        pub fn backoff(&mut self) {
            self.backoff = self.backoff.saturating_add(1).min(16);
        }
        /// Forgets the backoff.
        pub fn reset_backoff(&mut self) {
            self.backoff = 0;
        }
        /// The smoothed RTT.
        pub fn srtt(&self) -> Option<Duration> {
            self.srtt
        }
    }
}

/// Congestion control (stand-in).
pub mod congestion {
    use crate::time::Instant;

    /// A congestion controller.
    pub trait CongestionControl {
        /// Congestion window in bytes.
        fn cwnd(&self) -> usize;
        /// Slow-start threshold in bytes.
        fn ssthresh(&self) -> usize;
        /// New data acknowledged.
        fn on_ack(&mut self, now: Instant, newly_acked: usize, in_flight: usize);
        /// A duplicate ACK; true: fast retransmit now.
        fn on_dup_ack(&mut self, count: u32, in_flight: usize) -> bool;
        /// Recovery ended.
        fn on_recovery_exit(&mut self);
        /// Retransmission timeout.
        fn on_rto(&mut self, in_flight: usize);
        /// The MSS changed.
        fn set_mss(&mut self, mss: usize);
    }

    /// RFC 5681 / 6582 (stand-in).
    #[derive(Debug, Clone, Copy)]
    pub struct NewReno {
        mss: usize,
        cwnd: usize,
        ssthresh: usize,
        in_recovery: bool,
    }

    impl NewReno {
        /// Initial window per RFC 5681.
        pub fn new(mss: usize) -> Self {
            let mut s = NewReno {
                mss,
                cwnd: 0,
                ssthresh: usize::MAX,
                in_recovery: false,
            };
            s.set_mss(mss);
            s
        }
    }

    impl CongestionControl for NewReno {
        fn cwnd(&self) -> usize {
            self.cwnd
        }
        fn ssthresh(&self) -> usize {
            self.ssthresh
        }
        fn on_ack(&mut self, _now: Instant, newly_acked: usize, _in_flight: usize) {
            if self.in_recovery {
                return;
            }
            if self.cwnd < self.ssthresh {
                self.cwnd = self.cwnd.saturating_add(newly_acked.min(self.mss));
            } else {
                let inc = (self.mss * self.mss / self.cwnd.max(1)).max(1);
                self.cwnd = self.cwnd.saturating_add(inc);
            }
        }
        fn on_dup_ack(&mut self, count: u32, in_flight: usize) -> bool {
            if count == 3 && !self.in_recovery {
                self.ssthresh = (in_flight / 2).max(2 * self.mss);
                self.cwnd = self.ssthresh + 3 * self.mss;
                self.in_recovery = true;
                true
            } else {
                if self.in_recovery {
                    self.cwnd = self.cwnd.saturating_add(self.mss);
                }
                false
            }
        }
        fn on_recovery_exit(&mut self) {
            self.in_recovery = false;
            self.cwnd = self.ssthresh;
        }
        fn on_rto(&mut self, in_flight: usize) {
            self.ssthresh = (in_flight / 2).max(2 * self.mss);
            self.cwnd = self.mss;
            self.in_recovery = false;
        }
        fn set_mss(&mut self, mss: usize) {
            self.mss = mss.max(1);
            self.cwnd = (4 * self.mss).min((2 * self.mss).max(4380));
        }
    }
}
