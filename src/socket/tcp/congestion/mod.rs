//! Congestion control: how many bytes a TCP connection may have in flight, and the
//! NewReno loss-recovery bookkeeping that decides when to retransmit on duplicate ACKs.
//!
//! Governed by RFC 5681, RFC 6582, RFC 3042, RFC 6928 (NewReno) and RFC 9438 (CUBIC);
//! CONFORMANCE B2 and B6. Pure arithmetic: time comes in as `now`, nothing allocates.
//!
//! # How a socket drives it
//!
//! A socket holds a [`Congestion`] (the algorithm, chosen by a [`CongestionAlgorithm`]),
//! a [`LossRecovery`] (sequence-number state of RFC 6582, used when the peer did not
//! agree to SACK) and a [`SackRecovery`] (the RFC 6675 scoreboard, used when it did),
//! and calls:
//!
//! | event (RFC 9293 / RFC 5681 terms)                           | call                                      |
//! |-------------------------------------------------------------|-------------------------------------------|
//! | MSS known (after the handshake, on a PMTU change)            | [`CongestionControl::set_mss`]            |
//! | an RTT sample was taken                                     | [`CongestionControl::set_srtt`] with SRTT |
//! | ACK with `SND.UNA < SEG.ACK <= SND.NXT`                      | [`LossRecovery::on_new_ack`]              |
//! | duplicate ACK (CONFORMANCE B2.1)                             | [`LossRecovery::on_dup_ack`]              |
//! | retransmission timer expired                                 | [`LossRecovery::on_rto`]                  |
//! | with SACK: every acceptable ACK, with its SACK blocks         | [`SackRecovery::on_ack`]                  |
//! | with SACK: deciding what to send in recovery                 | [`SackRecovery::next_seg`], `pipe`        |
//! | with SACK: retransmission timer expired                      | [`SackRecovery::on_rto`]                  |
//! | about to send after an idle period longer than the RTO       | [`CongestionControl::on_idle_restart`]    |
//! | deciding how much to send                                    | [`LossRecovery::send_window`]             |
//!
//! When `on_new_ack` or `on_dup_ack` returns [`AckAction::RetransmitFirstUnacked`], the
//! socket retransmits one segment starting at (the new) SND.UNA at once, regardless of the
//! window. It then sends new data while
//! `in_flight < min(send_window, SND.WND)`. The ACK that advanced SND.UNA also restarts
//! the retransmission timer (RFC 6298 §5.3), which with partial ACKs gives RFC 6582's
//! "Slow-but-Steady" variant.
//!
//! The ACKs of the SYN-ACK and of the SYN carry no data and must not reach `on_new_ack`
//! (CONFORMANCE B2.3). Algorithms that need only byte counts may be driven through the
//! [`CongestionControl`] trait directly; `LossRecovery` shows the order of calls.

pub mod cubic;
pub mod newreno;
pub mod sack;

pub use self::cubic::Cubic;
pub use self::newreno::{NewReno, initial_window};
pub use self::sack::{SackRecovery, Scoreboard};

use crate::time::{Duration, Instant};
use crate::wire::SeqNumber;

/// A congestion-control algorithm on a byte-counted window (CONFORMANCE B2.15).
///
/// Methods never panic and saturate instead of overflowing. `in_flight` is always
/// FlightSize (`SND.NXT - SND.UNA` less what SACK says has left the network), in bytes.
pub trait CongestionControl {
    /// Congestion window in bytes: at most this much may be in flight (besides the
    /// limited-transmit allowance and retransmissions the socket is told to make).
    fn cwnd(&self) -> usize;
    /// Slow-start threshold in bytes.
    fn ssthresh(&self) -> usize;
    /// New data acknowledged (not a duplicate), outside fast recovery. `in_flight` before
    /// this ACK. Grows the window by slow start or congestion avoidance. Ignored while
    /// [`in_recovery`](Self::in_recovery).
    fn on_ack(&mut self, now: Instant, newly_acked: usize, in_flight: usize);
    /// The `count`th duplicate ACK in a row; returns true when fast retransmit must happen
    /// now (count == 3 outside recovery), having entered fast recovery. In recovery each
    /// call inflates cwnd by one SMSS and returns false.
    fn on_dup_ack(&mut self, count: u32, in_flight: usize) -> bool;
    /// An ACK of new data in fast recovery that does not cover `recover` (RFC 6582 partial
    /// ACK): deflates cwnd by `newly_acked` and adds back one SMSS if at least one SMSS
    /// was acknowledged. The caller retransmits the first unacknowledged segment.
    fn on_partial_ack(&mut self, newly_acked: usize);
    /// The ACK that ends fast recovery arrived (NewReno: a full ACK covering `recover`):
    /// cwnd deflates to ssthresh.
    fn on_recovery_exit(&mut self);
    /// Loss detected through SACK (RFC 6675 §5 step 4.2, CONFORMANCE B4.12): ssthresh
    /// from FlightSize by the algorithm's own reduction, `cwnd = ssthresh` with no
    /// inflation, and recovery begins. In that recovery the socket sends by `pipe`
    /// (B4.11) and calls neither `on_dup_ack` nor `on_partial_ack`; it ends with
    /// [`on_recovery_exit`](Self::on_recovery_exit) or [`on_rto`](Self::on_rto).
    fn on_sack_recovery(&mut self, in_flight: usize);
    /// Retransmission timeout: ssthresh from FlightSize (held on a repeated timeout), cwnd
    /// to one segment, fast recovery abandoned.
    fn on_rto(&mut self, in_flight: usize);
    /// A congestion signal that needs nothing resent, outside loss recovery: an
    /// ECN-Echo (RFC 3168 §6.1.2, at most once per window of data) or a loss the tail
    /// loss probe alone repaired (RFC 8985 §7.4). ssthresh from `in_flight` by the
    /// algorithm's own reduction and `cwnd = ssthresh`, as for a loss, with no
    /// recovery entered.
    fn on_congestion_signal(&mut self, in_flight: usize);
    /// In fast recovery (between a fast retransmit and its exit or a timeout).
    fn in_recovery(&self) -> bool;
    /// Bytes beyond cwnd the socket may have in flight after `dup_acks` duplicate ACKs,
    /// for limited transmit (RFC 3042): one SMSS after the first, two after the second,
    /// zero otherwise and in recovery. cwnd itself does not change.
    fn limited_transmit_allowance(&self, dup_acks: u32) -> usize;
    /// The connection was idle for longer than the RTO and is about to send again:
    /// cwnd shrinks to the restart window `min(IW, cwnd)` (RFC 5681 §4.1).
    fn on_idle_restart(&mut self);
    /// The SYN or SYN-ACK was lost (retransmitted) and the handshake then completed: the
    /// window starts at one segment instead of the initial window (RFC 5681 §3.1 and
    /// RFC 6928 §2, CONFORMANCE B2.4). ssthresh is unchanged.
    fn on_syn_loss(&mut self);
    /// The smoothed RTT changed (call after each sample). CUBIC uses it for its target;
    /// NewReno ignores it.
    fn set_srtt(&mut self, srtt: Duration);
    /// The sender MSS in bytes (0 is treated as 1). Before any ACK it also recomputes the
    /// initial window; later it changes only the growth step.
    fn set_mss(&mut self, mss: usize);
}

/// Which algorithm a socket runs; the value of a socket option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CongestionAlgorithm {
    /// NewReno: RFC 5681 with RFC 6582 recovery. The default, for predictability.
    #[default]
    NewReno,
    /// CUBIC, RFC 9438 (Linux's default): faster growth on long fat paths.
    Cubic,
}

/// One of the algorithms, held inline (no `dyn`, no allocation); implements
/// [`CongestionControl`] by delegation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Congestion {
    /// NewReno.
    NewReno(NewReno),
    /// CUBIC.
    Cubic(Cubic),
}

impl Congestion {
    /// A fresh controller of the given kind for segments of `mss` bytes.
    pub fn new(algorithm: CongestionAlgorithm, mss: usize) -> Congestion {
        match algorithm {
            CongestionAlgorithm::NewReno => Congestion::NewReno(NewReno::new(mss)),
            CongestionAlgorithm::Cubic => Congestion::Cubic(Cubic::new(mss)),
        }
    }

    /// Which algorithm this is.
    pub fn algorithm(&self) -> CongestionAlgorithm {
        match self {
            Congestion::NewReno(_) => CongestionAlgorithm::NewReno,
            Congestion::Cubic(_) => CongestionAlgorithm::Cubic,
        }
    }
}

macro_rules! delegate {
    ($self:ident, $cc:ident => $call:expr) => {
        match $self {
            Congestion::NewReno($cc) => $call,
            Congestion::Cubic($cc) => $call,
        }
    };
}

impl CongestionControl for Congestion {
    fn cwnd(&self) -> usize {
        delegate!(self, cc => cc.cwnd())
    }
    fn ssthresh(&self) -> usize {
        delegate!(self, cc => cc.ssthresh())
    }
    fn on_ack(&mut self, now: Instant, newly_acked: usize, in_flight: usize) {
        delegate!(self, cc => cc.on_ack(now, newly_acked, in_flight))
    }
    fn on_dup_ack(&mut self, count: u32, in_flight: usize) -> bool {
        delegate!(self, cc => cc.on_dup_ack(count, in_flight))
    }
    fn on_partial_ack(&mut self, newly_acked: usize) {
        delegate!(self, cc => cc.on_partial_ack(newly_acked))
    }
    fn on_recovery_exit(&mut self) {
        delegate!(self, cc => cc.on_recovery_exit())
    }
    fn on_sack_recovery(&mut self, in_flight: usize) {
        delegate!(self, cc => cc.on_sack_recovery(in_flight))
    }
    fn on_rto(&mut self, in_flight: usize) {
        delegate!(self, cc => cc.on_rto(in_flight))
    }
    fn on_congestion_signal(&mut self, in_flight: usize) {
        delegate!(self, cc => cc.on_congestion_signal(in_flight))
    }
    fn in_recovery(&self) -> bool {
        delegate!(self, cc => cc.in_recovery())
    }
    fn limited_transmit_allowance(&self, dup_acks: u32) -> usize {
        delegate!(self, cc => cc.limited_transmit_allowance(dup_acks))
    }
    fn on_idle_restart(&mut self) {
        delegate!(self, cc => cc.on_idle_restart())
    }
    fn on_syn_loss(&mut self) {
        delegate!(self, cc => cc.on_syn_loss())
    }
    fn set_srtt(&mut self, srtt: Duration) {
        delegate!(self, cc => cc.set_srtt(srtt))
    }
    fn set_mss(&mut self, mss: usize) {
        delegate!(self, cc => cc.set_mss(mss))
    }
}

/// What the socket must do after an ACK went through [`LossRecovery`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AckAction {
    /// Nothing extra: send new data as the window allows.
    Continue,
    /// Retransmit the segment at SND.UNA now (fast retransmit after the third duplicate
    /// ACK, or the next hole after a partial ACK), then send as the window allows.
    RetransmitFirstUnacked,
}

/// NewReno loss-recovery state that needs sequence numbers (RFC 6582 §3.2): the duplicate
/// ACK count and `recover`, which keeps one window of losses from cutting cwnd twice.
///
/// `recover` starts unset (RFC 6582 initialises it to the ISS, which would forbid a fast
/// retransmit of the very first data segment; unset allows it). Size: a few words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LossRecovery {
    /// SND.NXT when fast recovery or the last timeout began: RFC 6582's `recover` (the
    /// highest sequence number sent) plus one.
    recover_end: Option<SeqNumber>,
    /// Duplicate ACKs in a row (RFC 5681 §3.2).
    dup_acks: u32,
}

impl LossRecovery {
    /// No loss seen yet.
    pub fn new() -> LossRecovery {
        LossRecovery::default()
    }

    /// Duplicate ACKs received in a row since the last ACK of new data.
    pub fn dup_acks(&self) -> u32 {
        self.dup_acks
    }

    /// Feeds an ACK that acknowledges new data (`SND.UNA < ack <= SND.NXT`);
    /// `newly_acked = ack - SND.UNA`, `in_flight` is FlightSize before this ACK.
    /// Outside recovery the window grows; in recovery a full ACK (`ack` covers
    /// `recover`) ends it, and a partial ACK asks for the next hole to be retransmitted.
    pub fn on_new_ack<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        now: Instant,
        ack: SeqNumber,
        newly_acked: usize,
        in_flight: usize,
    ) -> AckAction {
        self.dup_acks = 0;
        if !cc.in_recovery() {
            self.forget_passed_recover(ack);
            cc.on_ack(now, newly_acked, in_flight);
            return AckAction::Continue;
        }
        match self.recover_end {
            // RFC 6582 §3.2 step 3: full ACK, everything up to and including recover.
            Some(end) if ack < end => {
                // Step 4: partial ACK.
                cc.on_partial_ack(newly_acked);
                AckAction::RetransmitFirstUnacked
            }
            _ => {
                cc.on_recovery_exit();
                self.forget_passed_recover(ack);
                AckAction::Continue
            }
        }
    }

    /// Once the cumulative ACK covers more than `recover`, `recover` has no more to say
    /// (step 2 would allow a fast retransmit either way): forget it, so that a stale
    /// mark 2^31 bytes behind does not compare as "ahead" and forbid fast retransmit.
    fn forget_passed_recover(&mut self, ack: SeqNumber) {
        if self.recover_end.is_some_and(|end| ack > end) {
            self.recover_end = None;
        }
    }

    /// Feeds a duplicate ACK (CONFORMANCE B2.1: data outstanding, no data, no SYN/FIN,
    /// `ack == SND.UNA`, window unchanged). `snd_nxt` is the highest sequence number sent
    /// plus one (before any go-back-N rewinding).
    pub fn on_dup_ack<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        ack: SeqNumber,
        snd_nxt: SeqNumber,
        in_flight: usize,
    ) -> AckAction {
        self.dup_acks = self.dup_acks.saturating_add(1);
        if !cc.in_recovery() && self.dup_acks == 3 && !self.may_enter_recovery(ack) {
            // RFC 6582 §3.2 step 2: these duplicates may stem from retransmissions of a
            // window that already cut cwnd once; no second fast retransmit.
            return AckAction::Continue;
        }
        if cc.on_dup_ack(self.dup_acks, in_flight) {
            self.recover_end = Some(snd_nxt);
            return AckAction::RetransmitFirstUnacked;
        }
        AckAction::Continue
    }

    /// RFC 6582 §3.2 step 2: the cumulative ACK covers more than `recover`.
    fn may_enter_recovery(&self, ack: SeqNumber) -> bool {
        match self.recover_end {
            None => true,
            Some(end) => ack > end,
        }
    }

    /// The retransmission timer expired. `snd_nxt` as in [`on_dup_ack`](Self::on_dup_ack)
    /// (RFC 6582 §3.2 step 5 records it in `recover`); ends fast recovery.
    pub fn on_rto<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        snd_nxt: SeqNumber,
        in_flight: usize,
    ) {
        self.recover_end = Some(snd_nxt);
        self.dup_acks = 0;
        cc.on_rto(in_flight);
    }

    /// Bytes that may be in flight now: cwnd plus the limited-transmit allowance of the
    /// current duplicate-ACK count. The socket sends while
    /// `in_flight < min(send_window, SND.WND)`.
    pub fn send_window<C: CongestionControl>(&self, cc: &C) -> usize {
        cc.cwnd()
            .saturating_add(cc.limited_transmit_allowance(self.dup_acks))
    }
}

#[cfg(test)]
mod tests;
