//! CUBIC congestion control: after a loss the window follows a cubic curve in time that
//! is concave up to the previous maximum `W_max` and convex beyond it.
//!
//! Governed by RFC 9438 (CONFORMANCE B6). Slow start, fast recovery and limited transmit
//! are NewReno's (RFC 9438 §4.9, §4.10); only the decrease factor and the growth in
//! congestion avoidance differ. Integer arithmetic only: time in microseconds, windows in
//! bytes, `C = 0.4 = 2/5`, `β = 0.7 = 7/10`.

use super::CongestionControl;
use super::newreno::NewReno;
use crate::time::{Duration, Instant};

/// Multiplicative decrease factor `β_cubic = 0.7` as numerator / denominator (RFC 9438 §4.6).
const BETA_NUM: usize = 7;
const BETA_DEN: usize = 10;

/// `α_cubic = 3·(1 − β)/(1 + β) = 0.9/1.7 = 9/17` (RFC 9438 §4.3): the Reno-friendly
/// estimate grows this many segments per RTT until it reaches `cwnd_prior`, then 1.
const ALPHA_NUM: u128 = 9;
const ALPHA_DEN: u128 = 17;

/// `C·mss·t³` with `C = 0.4 seg/s³` and `t` in µs is `2·mss·t³ / 5e18` bytes.
const CUBE_DEN: u128 = 5_000_000_000_000_000_000;

/// The largest `|t − K|` the curve is evaluated at: 2^42 µs (about 51 days), so that the
/// cube fits a `u128`. Beyond it the window is saturated anyway.
const MAX_OFFSET_US: u128 = 1 << 42;

/// CUBIC (RFC 9438) on a byte-counted window.
///
/// Size: a few dozen bytes; every method is O(1) (the cube root is a fixed 43-step loop)
/// and never allocates or panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cubic {
    /// Window, ssthresh, slow start, fast recovery and limited transmit.
    reno: NewReno,
    /// `W_max`: the window just before the last reduction, in bytes (RFC 9438 §4.1).
    w_max: usize,
    /// `cwnd_prior`: cwnd when ssthresh was last set, in bytes (RFC 9438 §4.6).
    cwnd_prior: usize,
    /// Start of the current congestion-avoidance epoch; `None` until the first ACK in
    /// congestion avoidance after a reduction (RFC 9438 §4.2: t counts from there).
    epoch_start: Option<Instant>,
    /// `K` of the current epoch in µs: when the curve reaches `origin` again.
    k_us: u64,
    /// The plateau of the current epoch's curve (W_max, or cwnd if it was above W_max).
    origin: usize,
    /// `W_est`: the Reno-friendly estimate in bytes (RFC 9438 §4.3).
    w_est: usize,
    /// Remainders of the integer divisions that grow `w_est` and cwnd, so that large
    /// windows still grow by fractions of a byte per ACK.
    est_rem: u128,
    cwnd_rem: u128,
    /// Smoothed RTT; the per-ACK target looks this far ahead (RFC 9438 §4.4).
    srtt: Duration,
    /// The next epoch follows a timeout: K = 0 and W_max = cwnd (RFC 9438 §4.8).
    epoch_after_rto: bool,
}

impl Cubic {
    /// A controller for segments of `mss` bytes (0 is treated as 1), with the RFC 6928
    /// initial window and no loss history.
    pub fn new(mss: usize) -> Cubic {
        let reno = NewReno::new(mss);
        Cubic {
            w_max: 0,
            cwnd_prior: 0,
            epoch_start: None,
            k_us: 0,
            origin: reno.cwnd(),
            w_est: reno.cwnd(),
            est_rem: 0,
            cwnd_rem: 0,
            srtt: Duration::ZERO,
            epoch_after_rto: false,
            reno,
        }
    }

    /// `W_max` in bytes (0 before the first loss).
    pub fn w_max(&self) -> usize {
        self.w_max
    }

    /// `K` of the current epoch, if one has started.
    pub fn k(&self) -> Option<Duration> {
        self.epoch_start.map(|_| Duration::from_micros(self.k_us))
    }

    /// The Reno-friendly estimate `W_est` in bytes.
    pub fn w_est(&self) -> usize {
        self.w_est
    }

    /// `ssthresh = max(FlightSize·β, 2·SMSS)` (RFC 9438 §4.6; the floor is applied by
    /// NewReno). `in_flight / 10 * 7` keeps the product from overflowing.
    fn reduced(in_flight: usize) -> usize {
        (in_flight / BETA_DEN)
            .saturating_mul(BETA_NUM)
            .saturating_add(in_flight % BETA_DEN * BETA_NUM / BETA_DEN)
    }

    /// Starts a congestion-avoidance epoch at `now` (RFC 9438 §4.2, §4.8).
    fn start_epoch(&mut self, now: Instant) {
        let cwnd = self.reno.cwnd();
        self.epoch_start = Some(now);
        if self.epoch_after_rto {
            self.epoch_after_rto = false;
            self.w_max = cwnd;
        }
        if cwnd < self.w_max {
            // K = cbrt((W_max − cwnd_epoch)/C) s = cbrt(diff/mss · 2.5e18) µs.
            let diff = (self.w_max - cwnd) as u128;
            let mss = self.reno.mss() as u128;
            self.k_us = cbrt_u128(diff.saturating_mul(CUBE_DEN) / mss.saturating_mul(2)) as u64;
            self.origin = self.w_max;
        } else {
            self.k_us = 0;
            self.origin = cwnd;
        }
        self.w_est = cwnd;
        self.est_rem = 0;
        self.cwnd_rem = 0;
    }

    /// `W_cubic(t) = C·(t − K)³ + W_max` in bytes, `t` in µs since the epoch started
    /// (RFC 9438 equation (1)), saturating at 0 and `usize::MAX`.
    /// RFC 9438 §4.6–§4.7 at a loss detected by duplicate ACKs or SACK, once per loss
    /// episode (the recovery state enforces `recover` / RecoveryPoint): W_max with fast
    /// convergence, cwnd_prior, and a new epoch.
    fn on_congestion_event(&mut self) {
        let cwnd = self.reno.cwnd();
        self.w_max = if cwnd < self.w_max {
            // Fast convergence: release bandwidth to newer flows, W_max = cwnd·(1+β)/2.
            (cwnd / 20).saturating_mul(17) + cwnd % 20 * 17 / 20
        } else {
            cwnd
        };
        self.cwnd_prior = cwnd;
        self.epoch_start = None;
        self.epoch_after_rto = false;
    }

    fn w_cubic(&self, t_us: u64) -> usize {
        let below = t_us < self.k_us;
        let offset = u128::from(t_us.abs_diff(self.k_us)).min(MAX_OFFSET_US);
        let cube = offset * offset * offset;
        let two_mss = (self.reno.mss() as u128).saturating_mul(2);
        let delta = match cube.checked_mul(two_mss) {
            Some(v) => v / CUBE_DEN,
            None => (cube / CUBE_DEN).saturating_mul(two_mss),
        };
        let delta = usize::try_from(delta).unwrap_or(usize::MAX);
        if below {
            self.origin.saturating_sub(delta)
        } else {
            self.origin.saturating_add(delta)
        }
    }

    /// Congestion-avoidance growth for an ACK of `acked` bytes (RFC 9438 §4.3–§4.5).
    fn grow(&mut self, now: Instant, acked: usize) {
        let start = match self.epoch_start {
            Some(start) => start,
            None => {
                self.start_epoch(now);
                now
            }
        };
        let cwnd = self.reno.cwnd();
        let acked = acked.min(cwnd) as u128;
        let t_us = now.saturating_duration_since(start).total_micros();

        // Reno-friendly estimate: W_est += α·acked/cwnd segments.
        let (num, den) = if self.w_est >= self.cwnd_prior {
            (1, 1)
        } else {
            (ALPHA_NUM, ALPHA_DEN)
        };
        let mss = self.reno.mss() as u128;
        let grow_num = (num * acked)
            .saturating_mul(mss)
            .saturating_add(self.est_rem);
        let grow_den = den * cwnd as u128;
        self.w_est = self.w_est.saturating_add(to_usize(grow_num / grow_den));
        self.est_rem = grow_num % grow_den;

        if self.w_cubic(t_us) < self.w_est {
            // Reno-friendly region: cwnd follows W_est (never shrinks on an ACK).
            self.reno.set_cwnd(cwnd.max(self.w_est));
            return;
        }
        // Concave or convex region: aim at W_cubic(t + RTT), clamped to [cwnd, 1.5·cwnd],
        // and close the gap by (target − cwnd)/cwnd per acknowledged segment.
        let ahead = t_us.saturating_add(self.srtt.total_micros());
        let target = self
            .w_cubic(ahead)
            .clamp(cwnd, cwnd.saturating_add(cwnd / 2));
        let num = ((target - cwnd) as u128)
            .saturating_mul(acked)
            .saturating_add(self.cwnd_rem);
        let den = cwnd as u128;
        self.reno.set_cwnd(cwnd.saturating_add(to_usize(num / den)));
        self.cwnd_rem = num % den;
    }
}

fn to_usize(x: u128) -> usize {
    usize::try_from(x).unwrap_or(usize::MAX)
}

/// The integer cube root `⌊x^(1/3)⌋`, bit by bit from the top: 43 fixed steps, since
/// `cbrt(2^128) < 2^43`. No floats (no_std), no overflow.
pub fn cbrt_u128(x: u128) -> u128 {
    let mut root: u128 = 0;
    for bit in (0..43).rev() {
        let candidate = root | (1 << bit);
        let cube = candidate
            .checked_mul(candidate)
            .and_then(|sq| sq.checked_mul(candidate));
        if matches!(cube, Some(c) if c <= x) {
            root = candidate;
        }
    }
    root
}

impl CongestionControl for Cubic {
    fn cwnd(&self) -> usize {
        self.reno.cwnd()
    }

    fn ssthresh(&self) -> usize {
        self.reno.ssthresh()
    }

    fn on_ack(&mut self, now: Instant, newly_acked: usize, in_flight: usize) {
        if self.reno.in_recovery()
            || newly_acked == 0
            || !self.reno.cwnd_limited(newly_acked, in_flight)
        {
            return;
        }
        if self.reno.slow_start(newly_acked) {
            return;
        }
        self.grow(now, newly_acked);
    }

    fn on_dup_ack(&mut self, count: u32, in_flight: usize) -> bool {
        if self.reno.in_recovery() || count != 3 {
            return self.reno.on_dup_ack(count, in_flight);
        }
        self.on_congestion_event();
        self.reno.enter_recovery(Self::reduced(in_flight));
        true
    }

    fn on_sack_recovery(&mut self, in_flight: usize) {
        self.on_congestion_event();
        self.reno.enter_sack_recovery(Self::reduced(in_flight));
    }

    fn on_congestion_signal(&mut self, in_flight: usize) {
        // RFC 9438 §4.6 treats ECN-Echo as a congestion event like a loss.
        self.on_congestion_event();
        self.reno.reduce_without_recovery(Self::reduced(in_flight));
    }

    fn on_partial_ack(&mut self, newly_acked: usize) {
        self.reno.on_partial_ack(newly_acked);
    }

    fn on_recovery_exit(&mut self) {
        self.reno.on_recovery_exit();
    }

    fn on_rto(&mut self, in_flight: usize) {
        // RFC 9438 §4.8: Reno's timeout response with CUBIC's ssthresh; the next epoch
        // starts with K = 0 and W_max = cwnd at its start.
        if !self.reno.after_rto() {
            self.cwnd_prior = self.reno.cwnd();
        }
        self.epoch_start = None;
        self.epoch_after_rto = true;
        self.reno.enter_loss(Self::reduced(in_flight));
    }

    fn in_recovery(&self) -> bool {
        self.reno.in_recovery()
    }

    fn limited_transmit_allowance(&self, dup_acks: u32) -> usize {
        self.reno.limited_transmit_allowance(dup_acks)
    }

    fn on_idle_restart(&mut self) {
        // The curve's clock must not run while the window was unused (CONFORMANCE B6.9):
        // the next ACK starts a fresh epoch from the restart window.
        self.reno.on_idle_restart();
        self.epoch_start = None;
    }

    fn on_syn_loss(&mut self) {
        // A fresh controller (no W_max from the handshake's timeouts) at one segment.
        let srtt = self.srtt;
        *self = Cubic::new(self.reno.mss());
        self.srtt = srtt;
        self.reno.on_syn_loss();
        self.w_est = self.reno.cwnd();
        self.origin = self.reno.cwnd();
    }

    fn set_srtt(&mut self, srtt: Duration) {
        self.srtt = srtt;
    }

    fn set_mss(&mut self, mss: usize) {
        self.reno.set_mss(mss);
    }
}

#[cfg(test)]
mod tests;
