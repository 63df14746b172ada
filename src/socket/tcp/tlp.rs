//! The tail loss probe of RFC 8985 §7 (CONFORMANCE B5.5–B5.8), with SACK only.
//!
//! When the last segments of a flight are lost no duplicate ACK comes back, and without
//! a probe only the retransmission timeout repairs them. While data is in flight and no
//! recovery runs, the probe timer ([`Timer::LossProbe`], in the socket's timer table like
//! every other timer) is armed `PTO = 2·SRTT` after new data went out or an ACK
//! acknowledged new data, plus [`WORST_CASE_ACK_DELAY`] when one segment or less is in
//! flight, or [`PTO_WITHOUT_RTT`] before any RTT sample. When it fires, one probe goes
//! out: a new segment if the peer's window allows one (congestion control does not
//! limit the probe), otherwise the highest segment sent again; the retransmission timer
//! is re-armed for it. The probe is not a congestion event. At most one probe is
//! outstanding, until an ACK delivers it or a timeout forgets it.
//!
//! # Choices and simplifications, documented once
//!
//! - The PTO is at least [`PTO_FLOOR`] (RFC 8985 sets no floor).
//! - The PTO is armed only when it fires before the retransmission timer; otherwise the
//!   RTO alone runs (RFC 8985 §7.2 instead shortens the PTO to the RTO's deadline and
//!   lets the probe take the timeout's place).
//! - Detecting the loss the probe revealed: when an ACK delivers (cumulatively ACKs or
//!   SACKs) the probe while bytes below it are still missing, those bytes were sent at
//!   least a PTO before the probe, so RACK's time rule (§6.2) judges all of them lost;
//!   SACK recovery starts at once (without DupThresh duplicates) with them counted as
//!   lost ([`SackRecovery::on_probe_delivered`]). RACK (`congestion/sack/rack.rs`)
//!   reaches the same verdict from the probe's send time, a PTO (at least 2·SRTT, so
//!   more than reo_wnd) after the rest; this direct rule is kept as it was.
//! - §7.4 (TLP recovery detection, B5.7): a probe that resent the highest segment is
//!   remembered until ACKs decide. A D-SACK of it, or a pure duplicate ACK once it is
//!   acknowledged, says both copies arrived: no loss. A cumulative ACK beyond it
//!   without such a sign says the probe alone repaired a loss: the congestion
//!   controller makes its reduction (`on_congestion_signal`, with cwnd as the flight,
//!   as for an ECN-Echo), counted in `tlp_repairs`. A recovery or a timeout ends
//!   the wait (they make their own reduction).
//! - Only one of the probe timer, the RACK reordering timer and the RTO is armed (see
//!   `timer.rs`); a pending reordering timer takes precedence over the probe.
//!
//! [`SackRecovery::on_probe_delivered`]: super::congestion::SackRecovery::on_probe_delivered

use super::Socket;
use super::congestion::CongestionControl;
use super::congestion::sack::SeqRange;
use super::timer::Timer;
use crate::time::{Duration, Instant};
use crate::wire::SeqNumber;

/// WCDelAckT of RFC 8985 §7.2: the longest the peer may hold back the ACK of a lone
/// segment (RFC 5681's 500 ms bound is rare; 200 ms is the RFC's suggestion).
pub const WORST_CASE_ACK_DELAY: Duration = Duration::from_millis(200);

/// The least PTO, whatever SRTT: a path whose RTT is below the caller's polling
/// granularity (loopback) would otherwise probe after every send. Linux uses 10 ms too.
pub const PTO_FLOOR: Duration = Duration::from_millis(10);

/// The PTO before any RTT sample (RFC 8985 §7.2).
pub const PTO_WITHOUT_RTT: Duration = Duration::from_secs(1);

impl Socket<'_> {
    /// The probe timeout for what is in flight now (RFC 8985 §7.2).
    pub(super) fn probe_timeout(&self) -> Duration {
        let Some(srtt) = self.rtt.srtt() else {
            return PTO_WITHOUT_RTT;
        };
        let pto = srtt.saturating_mul(2).max(PTO_FLOOR);
        let in_flight = self.snd_max.bytes_since(self.snd_una).unwrap_or(0);
        if in_flight <= self.send_mss() {
            pto.saturating_add(WORST_CASE_ACK_DELAY)
        } else {
            pto
        }
    }

    /// Whether a probe may be scheduled: SACK agreed and data in flight in a
    /// synchronized state, no recovery (nor a timeout's resending) runs, no fast
    /// retransmit is owed and no probe is outstanding (RFC 8985 §7.2).
    pub(super) fn may_probe(&self) -> bool {
        self.resends_by_scoreboard()
            && !self.sack.sends_by_scoreboard()
            && !self.fast_retransmit
            && self.tlp_probe.is_none()
            && self.snd_max != self.snd_una
    }

    /// (Re)starts the probe timer `PTO` from `now`, or stops it when no probe may be
    /// scheduled or the retransmission timer would fire first. A probe that is due but
    /// not sent yet is called off either way.
    pub(super) fn arm_loss_probe(&mut self, now: Instant) {
        self.tlp_pending = false;
        if self.timers.get(Timer::Reorder).is_some() {
            // RFC 8985 §8: the reordering timer will decide first.
            return;
        }
        if !self.may_probe() {
            // (The bulk receiver's case on every segment: nothing to time.)
            self.timers.stop(Timer::LossProbe);
            return;
        }
        let at = now.saturating_add(self.probe_timeout());
        let before_rto = self.timers.rto_deadline().is_some_and(|rto| at < rto);
        if before_rto {
            self.timers.set(Timer::LossProbe, at);
        } else {
            self.timers.stop(Timer::LossProbe);
        }
    }

    /// After an ACK (already fed to SACK recovery) that moved SND.UNA to `ack`: forgets
    /// a probe it delivered, starting recovery if bytes below the probe are missing
    /// (see the module docs); then restarts the probe timer on a cumulative ACK or
    /// stops it if no probe may be scheduled. Returns whether recovery started.
    pub(super) fn on_ack_for_loss_probe(
        &mut self,
        now: Instant,
        ack: SeqNumber,
        cumulative: bool,
        dsack: Option<SeqRange>,
        pure_duplicate: bool,
    ) -> bool {
        self.detect_tlp_repair(ack, dsack, pure_duplicate);
        let mut started = false;
        if let Some(probe) = self.tlp_probe {
            let sacked = self
                .sack
                .scoreboard()
                .sacked()
                .iter()
                .any(|r| r.start < probe.end && r.end > probe.start);
            if ack >= probe.end || sacked {
                self.tlp_probe = None;
                started =
                    self.sack
                        .on_probe_delivered(&mut self.cc, ack, self.snd_max, probe.start);
            }
        }
        if cumulative || !self.may_probe() {
            self.arm_loss_probe(now);
        }
        started
    }

    /// RFC 8985 §7.4 (B5.7) for one ACK: decides, when it can, whether the probe that
    /// resent the highest segment repaired a loss alone, and if so reduces cwnd.
    fn detect_tlp_repair(&mut self, ack: SeqNumber, dsack: Option<SeqRange>, pure_dup: bool) {
        let Some(probe) = self.tlp_repair else {
            return;
        };
        let probe_dsacked = dsack.is_some_and(|d| d.start < probe.end && d.end > probe.start);
        if probe_dsacked || (pure_dup && ack >= probe.end) {
            // Both the original and the probe arrived: nothing was lost.
            self.tlp_repair = None;
        } else if ack > probe.end {
            self.tlp_repair = None;
            if !self.sack.sends_by_scoreboard() {
                let cwnd = self.cc.cwnd();
                self.cc.on_congestion_signal(cwnd);
                self.counters.tlp_repairs = self.counters.tlp_repairs.wrapping_add(1);
            }
        }
    }

    /// The retransmission timer fired: the probe in flight, if any, is forgotten and no
    /// other is scheduled (recovery after a timeout is the scoreboard's).
    pub(super) fn forget_loss_probe(&mut self) {
        self.tlp_pending = false;
        self.tlp_probe = None;
        self.tlp_repair = None;
        self.timers.stop(Timer::LossProbe);
        self.timers.stop(Timer::Reorder);
    }

    /// A probe covering `range` went out at `now` (`resent`: the highest segment sent
    /// again): it is outstanding, counted, and the retransmission timer (not the probe
    /// timer) guards it (RFC 8985 §7.3).
    pub(super) fn on_loss_probe_sent(&mut self, now: Instant, range: SeqRange, resent: bool) {
        self.tlp_pending = false;
        self.tlp_probe = Some(range);
        self.tlp_repair = resent.then_some(range);
        self.counters.tlp_probes = self.counters.tlp_probes.wrapping_add(1);
        self.timers.stop(Timer::LossProbe);
        let rto = self.rtt.rto();
        self.timers.set(Timer::Retransmit, now.saturating_add(rto));
    }

    /// The invariants: probe state exists only with SACK; the outstanding probe is a
    /// non-empty range within what was sent.
    pub(super) fn check_loss_probe(&self) -> Result<(), &'static str> {
        let armed = self.tlp_pending || self.timers.get(Timer::LossProbe).is_some();
        if (armed || self.tlp_probe.is_some() || self.tlp_repair.is_some()) && !self.sack_ok {
            return Err("tail loss probe state without SACK");
        }
        if let Some(p) = self.tlp_probe {
            if p.start >= p.end || p.end > self.snd_max {
                return Err("tail loss probe outside what was sent");
            }
        }
        Ok(())
    }
}
