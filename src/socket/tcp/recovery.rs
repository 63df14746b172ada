//! Loss recovery on the sending side: what an acceptable ACK means for retransmission and
//! the congestion window, and how much recovery lets `dispatch` send.
//!
//! With SACK agreed (RFC 2018 §2) the RFC 6675 rules of [`SackRecovery`] run (CONFORMANCE
//! B4): the scoreboard, DupThresh, IsLost, pipe and NextSeg. Without it, RFC 5681 fast
//! retransmit with RFC 6582 NewReno recovery (B2.10–B2.12) through [`LossRecovery`].
//! Either way the algorithm behind [`CongestionControl`] sets cwnd and ssthresh; the
//! state machine in `state.rs` only hands each acceptable ACK over.
//!
//! [`SackRecovery`]: super::congestion::SackRecovery
//! [`LossRecovery`]: super::congestion::LossRecovery

use super::congestion::sack::{NextSeg, SackAck, SeqRange};
use super::congestion::{AckAction, CongestionControl};
use super::timer::Timer;
use super::{Socket, State};
use crate::time::Instant;
use crate::wire::{SeqNumber, TcpRepr};

impl Socket<'_> {
    /// The sender's half of an ACK that passed validation (CORE-11, B8.6): SND.UNA
    /// advances, then loss recovery and congestion control see it. `seg_wnd` is the
    /// segment's window, scaled; SND.WND is not updated yet.
    pub(super) fn on_acceptable_ack(
        &mut self,
        now: Instant,
        repr: &TcpRepr<'_>,
        ack: SeqNumber,
        seg_wnd: usize,
    ) {
        let una = self.snd_una;
        if ack < una {
            return;
        }
        let high_data = self.snd_max;
        let in_flight = high_data.bytes_since(una).unwrap_or(0);
        let duplicate = ack == una && self.is_duplicate_ack(repr, seg_wnd);
        let newly_acked = if ack > una {
            self.ack_new_data(now, repr, ack)
        } else {
            0
        };
        if self.sack_ok {
            let blocks = repr.sack_ranges.iter().flatten().map(|&(l, r)| SeqRange {
                start: SeqNumber(l),
                end: SeqNumber(r),
            });
            let info = SackAck {
                una,
                ack,
                high_data,
                newly_acked,
                plain_duplicate: duplicate,
                smss: self.send_mss(),
                srtt: self.rtt.srtt(),
            };
            let out = self.sack.on_ack(&mut self.cc, now, &info, blocks);
            let c = &mut self.counters;
            c.sack_reneged = c.sack_reneged.wrapping_add(u64::from(out.reneged));
            c.scoreboard_overflows = c
                .scoreboard_overflows
                .wrapping_add(u64::from(out.overflowed));
            c.lost_retransmits = c
                .lost_retransmits
                .wrapping_add(u64::from(out.lost_retransmits));
            let no_blocks = repr.sack_ranges.iter().all(Option::is_none);
            self.arm_reorder_timer(now);
            let pure_duplicate = duplicate && no_blocks;
            let by_probe =
                self.on_ack_for_loss_probe(now, ack, ack > una, out.dsack, pure_duplicate);
            if out.retransmit_first || by_probe {
                let c = &mut self.counters;
                c.sack_recoveries = c.sack_recoveries.wrapping_add(1);
                c.rack_recoveries = c.rack_recoveries.wrapping_add(u64::from(out.by_rack));
                self.start_recovery_retransmit(now);
            }
            return;
        }
        // RFC 5681 §3.2 / RFC 6582 (B2.10, B2.12).
        if newly_acked > 0 {
            let action = self
                .loss
                .on_new_ack(&mut self.cc, now, ack, newly_acked, in_flight);
            // RFC 6582: a partial ACK resends the next hole.
            if action == AckAction::RetransmitFirstUnacked {
                self.fast_retransmit = true;
            }
        }
        if duplicate {
            let action = self
                .loss
                .on_dup_ack(&mut self.cc, self.snd_una, self.snd_max, in_flight);
            if action == AckAction::RetransmitFirstUnacked {
                self.start_fast_retransmit();
            }
        }
    }

    /// RFC 5681 §2 duplicate ACK (B2.1), for an ACK equal to SND.UNA: no data, no
    /// SYN/FIN, the same window, data outstanding.
    fn is_duplicate_ack(&self, repr: &TcpRepr<'_>, seg_wnd: usize) -> bool {
        self.snd_max != self.snd_una && repr.segment_len() == 0 && seg_wnd == self.snd_wnd
    }

    /// SACK recovery began: the segment at SND.UNA goes at once; the probe's verdict is
    /// the recovery's (its reduction is made); no probe during recovery (RFC 8985 §7.2).
    fn start_recovery_retransmit(&mut self, now: Instant) {
        self.tlp_repair = None;
        self.start_fast_retransmit();
        self.arm_loss_probe(now);
    }

    /// RFC 8985 §6.3: (re)arms the reordering timer at RACK's deadline, or stops it.
    /// It stands in for the RTO, so it is armed only if it fires first; when it stops,
    /// the probe timer may take its place.
    fn arm_reorder_timer(&mut self, now: Instant) {
        let rto = self.timers.rto_deadline();
        match self.sack.reorder_deadline() {
            Some(at) if rto.is_none_or(|rto| at < rto) => self.timers.set(Timer::Reorder, at),
            _ if self.timers.get(Timer::Reorder).is_some() => {
                self.timers.stop(Timer::Reorder);
                self.arm_loss_probe(now);
            }
            _ => {}
        }
    }

    /// The reordering timer fired (RFC 8985 §6.3): RACK runs again; what is now overdue
    /// is lost, and outside recovery recovery starts.
    pub(super) fn on_reorder_timeout(&mut self, now: Instant) {
        self.counters.reorder_timeouts = self.counters.reorder_timeouts.wrapping_add(1);
        let (una, high_data, smss) = (self.snd_una, self.snd_max, self.send_mss());
        let srtt = self.rtt.srtt();
        let started = self
            .sack
            .on_reorder_timeout(&mut self.cc, now, una, high_data, smss, srtt);
        self.arm_reorder_timer(now);
        if started {
            let c = &mut self.counters;
            c.sack_recoveries = c.sack_recoveries.wrapping_add(1);
            c.rack_recoveries = c.rack_recoveries.wrapping_add(1);
            self.start_recovery_retransmit(now);
        } else {
            self.arm_loss_probe(now);
        }
    }

    /// Resend the segment at SND.UNA at the next dispatch, whatever the windows say.
    fn start_fast_retransmit(&mut self) {
        self.ecn_window_reduced();
        self.fast_retransmit = true;
        self.rtt_probe = None; // Karn
        self.counters.fast_retransmits = self.counters.fast_retransmits.wrapping_add(1);
    }

    /// RFC 6675 §5 step (C): in SACK recovery, what NextSeg() picks while
    /// `cwnd − pipe ≥ SMSS`, for segments of up to `mss` bytes.
    pub(super) fn sack_next_seg(&self, mss: usize) -> NextSeg {
        let smss = self.send_mss();
        let pipe = self.sack.pipe(self.snd_una, self.snd_max, smss);
        if self.cc.cwnd().saturating_sub(pipe) < smss {
            return NextSeg::Nothing;
        }
        let unsent = self.snd_max.bytes_since(self.data_seq()).unwrap_or(0) < self.tx_buffer.len();
        let fin_unsent = self.tx_closed && self.snd_max <= self.fin_seq;
        let window_open = (self.snd_una + self.snd_wnd) > self.snd_max;
        let new_data = (unsent && window_open) || fin_unsent;
        self.sack
            .next_seg(self.snd_una, self.snd_max, mss, new_data)
    }

    /// Bytes congestion control lets `dispatch` send from `start`: in SACK recovery or
    /// after a timeout with SACK `cwnd − pipe` (B4.13), else cwnd plus the
    /// limited-transmit allowance less what is in flight (B2.11, B2.15).
    pub(super) fn congestion_room(&self, start: SeqNumber) -> usize {
        if self.sack.sends_by_scoreboard() {
            let pipe = self.sack.pipe(self.snd_una, self.snd_max, self.send_mss());
            return self.cc.cwnd().saturating_sub(pipe);
        }
        let window = if self.sack_ok {
            self.cc
                .cwnd()
                .saturating_add(self.cc.limited_transmit_allowance(self.sack.dup_acks()))
        } else {
            self.loss.send_window(&self.cc)
        };
        (self.snd_una + window).bytes_since(start).unwrap_or(0)
    }
}

impl Socket<'_> {
    /// Whether a timeout now resends by the scoreboard (RFC 6675 §5.1 with B4.9: what
    /// is outstanding counts as lost and NextSeg() resends it under `cwnd − pipe`,
    /// skipping what later SACK blocks report) rather than by going back to SND.UNA:
    /// with SACK, once the SYN is acknowledged, while data or our FIN may be in flight.
    pub(super) fn resends_by_scoreboard(&self) -> bool {
        self.sack_ok
            && self.snd_una != self.iss
            && matches!(
                self.state,
                State::Established
                    | State::FinWait1
                    | State::CloseWait
                    | State::Closing
                    | State::LastAck
            )
    }
}
