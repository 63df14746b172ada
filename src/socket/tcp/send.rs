//! Segments out: which segment `dispatch` sends next (SYN, data within the send and
//! congestion windows, FIN, ACK, probe), how it is built, and what sending it changes.
//! Also the timers' expiry, since every timer ends in something to send or a close.
//!
//! RFC 9293 §3.8.6 (Nagle, SWS avoidance: MUST-38, SHLD-7), §3.8.6.1 (zero-window
//! probing: MUST-35/36, SHLD-29/30), RFC 6298 §5 (the retransmission timer), RFC 5681
//! §3.2 (fast retransmit), RFC 7323 (window field, timestamps on every segment).

use super::congestion::sack::{NextSeg, Retransmission, SeqRange};
use super::ecn;
use super::options::{self, MAX_WINDOW_FIELD, TIMESTAMP_OPTION_LEN};
use super::timer::Timer;
use super::{CloseReason, CongestionControl, R1_TIMEOUTS, Socket, State, TcpContext};
use crate::socket::DispatchError;
use crate::time::{Duration, Instant};
use crate::wire::{IpAddress, SeqNumber, TcpFlags, TcpRepr, TcpTimestampRepr};

/// Why a segment is sent; decides what sending it changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SegmentPurpose {
    /// New data, a (re)sent SYN or FIN after a timeout, or a bare ACK.
    Normal,
    /// One segment from SND.UNA after three duplicate ACKs or a partial ACK; SND.NXT
    /// stays where it is.
    FastRetransmit,
    /// A keep-alive or zero-window probe: `<SEQ=SND.UNA-1>`, no data (CORE-20).
    Probe,
    /// A hole NextSeg() picked in SACK recovery (RFC 6675 rules 1, 3, 4); SND.NXT stays.
    SackRetransmit(Retransmission),
    /// A tail loss probe (RFC 8985 §7.3): new data beyond the congestion window, or the
    /// highest segment sent again.
    LossProbe,
}

/// The segment `dispatch` is about to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SegmentPlan {
    seq: SeqNumber,
    syn: bool,
    ack: bool,
    fin: bool,
    /// Where the payload starts in the transmit ring, and its length.
    data_offset: usize,
    data_len: usize,
    purpose: SegmentPurpose,
}

impl SegmentPlan {
    fn control(seq: SeqNumber, syn: bool, ack: bool) -> SegmentPlan {
        SegmentPlan {
            seq,
            syn,
            ack,
            fin: false,
            data_offset: 0,
            data_len: 0,
            purpose: SegmentPurpose::Normal,
        }
    }

    /// SEG.LEN.
    fn seq_len(&self) -> usize {
        self.data_len + usize::from(self.syn) + usize::from(self.fin)
    }
}

/// What [`Socket::dispatch_burst`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Burst {
    /// Segments that went out (counted as sent, also those `emit` dropped).
    pub(crate) sent: usize,
    /// `emit` found no room in the device: the segment is built again next time.
    pub(crate) exhausted: bool,
    /// Stopped with more perhaps due: the budget ran out, or TCP gave negative advice
    /// (MUST-20 R1) that the interface acts on before the next segment.
    pub(crate) more: bool,
}

/// What the header of a data segment shares with the next one of the same burst when
/// the next differs only in SEQ, PSH and payload: the interface then builds it from
/// the previous frame's header (see `egress.rs`). `None` for any segment with a SYN,
/// FIN, RST, URG, SACK blocks or SYN options, and for segments without data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct HeaderShape {
    flags: TcpFlags,
    ack: Option<SeqNumber>,
    window: u16,
    timestamp: Option<TcpTimestampRepr>,
    codepoint: u8,
}

impl HeaderShape {
    fn of(repr: &TcpRepr<'_>, codepoint: u8) -> Option<HeaderShape> {
        let special = TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST | TcpFlags::URG;
        let plain = !repr.payload.is_empty()
            && !repr.flags.intersects(special)
            && repr.urgent_pointer == 0
            && repr.sack_ranges.iter().all(Option::is_none)
            && repr.window_scale.is_none()
            && repr.max_seg_size.is_none()
            && !repr.sack_permitted;
        plain.then(|| HeaderShape {
            flags: repr.wire_flags() - TcpFlags::PSH,
            ack: repr.ack_number,
            window: repr.window_len,
            timestamp: repr.timestamp,
            codepoint,
        })
    }
}

impl Socket<'_> {
    /// Emits at most one segment through `emit(src, dst, ecn, repr)`. Timers that
    /// expired by `cx.now` are acted on first (a timeout rewinds SND.NXT, TIME-WAIT
    /// ends, ...). On `Err(Exhausted)` the segment is not counted as sent and is built
    /// again at the next call; on `Err(Dropped)` it counts as sent and lost
    /// (retransmission covers it). `Ok(true)`: a segment went out; `Ok(false)`: nothing
    /// was due. (The interface sends through [`Socket::dispatch_burst`].)
    #[cfg(test)]
    pub(crate) fn dispatch<F>(&mut self, cx: &TcpContext, emit: F) -> Result<bool, DispatchError>
    where
        F: FnOnce(IpAddress, IpAddress, u8, &TcpRepr<'_>) -> Result<(), DispatchError>,
    {
        let mut emit = Some(emit);
        let mut dropped = false;
        let burst = self.dispatch_burst(cx, 1, |src, dst, ecn, repr, _| {
            let result = match emit.take() {
                Some(emit) => emit(src, dst, ecn, repr),
                None => Err(DispatchError::Exhausted),
            };
            dropped = result == Err(DispatchError::Dropped);
            result
        });
        match burst {
            Burst {
                exhausted: true, ..
            } => Err(DispatchError::Exhausted),
            _ if dropped => Err(DispatchError::Dropped),
            Burst { sent, .. } => Ok(sent > 0),
        }
    }

    /// Up to `max` segments, each exactly as one [`Socket::dispatch`] call would send it
    /// (timers first, then the plan, the segment, what sending it changes), through
    /// `emit(src, dst, ecn, repr, again)`. `again` says that the segment's header is the
    /// previous one's of this call but for SEQ, PSH and the payload length, so the
    /// interface may build it from that header instead of from scratch.
    pub(crate) fn dispatch_burst<F>(&mut self, cx: &TcpContext, max: usize, mut emit: F) -> Burst
    where
        F: FnMut(IpAddress, IpAddress, u8, &TcpRepr<'_>, bool) -> Result<(), DispatchError>,
    {
        let mut burst = Burst::default();
        let mut previous = None;
        while burst.sent < max {
            match self.dispatch_one(cx, &mut emit, &mut previous) {
                Ok(false) => return burst,
                Ok(true) | Err(DispatchError::Dropped) => burst.sent += 1,
                Err(DispatchError::Exhausted) => {
                    burst.exhausted = true;
                    return burst;
                }
            }
            if self.negative_advice {
                break;
            }
        }
        burst.more = true;
        burst
    }

    /// One segment of [`Socket::dispatch_burst`]; `previous` is the shape of the last
    /// header sent in this burst, if it may serve again.
    fn dispatch_one<F>(
        &mut self,
        cx: &TcpContext,
        emit: &mut F,
        previous: &mut Option<HeaderShape>,
    ) -> Result<bool, DispatchError>
    where
        F: FnMut(IpAddress, IpAddress, u8, &TcpRepr<'_>, bool) -> Result<(), DispatchError>,
    {
        let now = cx.now;
        self.on_timers(now);
        self.age_path_mtu(now);
        let (Some(local), Some(remote)) = (self.local, self.remote) else {
            return Ok(false);
        };
        if let Some(seq) = self.rst_pending {
            *previous = None;
            let repr = self.rst_segment(seq);
            let result = emit(local.ip(), remote.ip(), ecn::NOT_ECT, &repr, false);
            if result != Err(DispatchError::Exhausted) {
                self.rst_pending = None;
                self.counters.segments_out = self.counters.segments_out.wrapping_add(1);
            }
            return result.map(|()| true);
        }
        self.restart_after_idle(now);
        let Some(plan) = self.plan_segment() else {
            self.update_idle_timers(now);
            return Ok(false);
        };
        let (result, edge, cwr) = {
            let payload = self
                .tx_buffer
                .get_allocated(plan.data_offset, plan.data_len);
            let (repr, edge) = self.segment_repr(now, &plan, payload);
            let codepoint = self.ecn_codepoint(self.is_new_data(&plan));
            let cwr = repr.flags.contains(TcpFlags::CWR);
            let shape = HeaderShape::of(&repr, codepoint);
            let again = shape.is_some() && shape == *previous;
            let result = emit(local.ip(), remote.ip(), codepoint, &repr, again);
            *previous = shape.filter(|_| result.is_ok());
            (result, edge, cwr)
        };
        if result == Err(DispatchError::Exhausted) {
            return Err(DispatchError::Exhausted);
        }
        if cwr {
            self.ecn_cwr_sent();
        }
        if plan.ack {
            // A D-SACK is reported once (RFC 2883 §4).
            self.dsack = None;
        }
        self.commit(now, &plan, edge);
        self.update_idle_timers(now);
        result.map(|()| true)
    }

    /// Whether `dispatch` would send something now (ignoring timers, which `poll_at`
    /// reports), or must run to arm the persist timer.
    pub(super) fn segment_due(&self) -> bool {
        self.rst_pending.is_some() || self.plan_segment().is_some() || self.persist_unarmed()
    }

    /// Whether `plan` carries data never sent before, outside a SYN (not a
    /// retransmission, a probe or a go-back-N resend after a timeout): what ECN marks
    /// ECT and CWR may ride on.
    fn is_new_data(&self, plan: &SegmentPlan) -> bool {
        !plan.syn
            && plan.data_len > 0
            && plan.seq >= self.snd_max
            && plan.purpose != SegmentPurpose::Probe
    }

    /// The effective send MSS for data (MUST-16, B3.16): the peer's MSS and our path's,
    /// less the timestamp option when it rides on every segment.
    pub(super) fn send_mss(&self) -> usize {
        let ts = if self.timestamps.is_some() {
            TIMESTAMP_OPTION_LEN
        } else {
            0
        };
        self.remote_mss.min(self.path_mss).saturating_sub(ts).max(1)
    }

    /// The next segment to send, if any.
    fn plan_segment(&self) -> Option<SegmentPlan> {
        match self.state {
            State::Closed | State::Listen => None,
            State::SynSent => {
                (self.snd_nxt == self.iss).then(|| SegmentPlan::control(self.iss, true, false))
            }
            State::SynReceived if self.snd_nxt == self.iss => {
                Some(SegmentPlan::control(self.iss, true, true))
            }
            State::SynReceived | State::TimeWait => self.plan_ack(),
            State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait
            | State::Closing
            | State::LastAck => self.plan_data().or_else(|| self.plan_ack()),
        }
    }

    /// A bare ACK (owed, or a window update), else a probe if one is owed. A bare ACK
    /// carries RFC 9293's SND.NXT, the highest sequence number sent (`snd_max`), not the
    /// go-back-N position: the peer may already hold everything up to it, and would
    /// judge an ACK with an older SEQ unacceptable and ignore its ACK field. With both
    /// sides going back after timeouts, neither then hears the other (found by the
    /// two-way simulation at 20% loss).
    fn plan_ack(&self) -> Option<SegmentPlan> {
        if self.ack_now || self.window_update {
            return Some(SegmentPlan::control(self.snd_max, false, true));
        }
        self.probe_now.then(|| SegmentPlan {
            purpose: SegmentPurpose::Probe,
            ..SegmentPlan::control(self.snd_una - 1, false, true)
        })
    }

    /// Data and/or FIN, within the windows and subject to Nagle and sender SWS
    /// avoidance.
    fn plan_data(&self) -> Option<SegmentPlan> {
        let mss = self.data_mss();
        let queued = self.tx_buffer.len();
        if self.fast_retransmit {
            let purpose = SegmentPurpose::FastRetransmit;
            let plan = self.retransmit_plan(self.snd_una, self.snd_max, mss, purpose);
            // Nothing left to resend: a bare ACK clears the request.
            return plan.or(Some(SegmentPlan {
                purpose,
                ..SegmentPlan::control(self.snd_una, false, true)
            }));
        }
        if self.tlp_pending && !self.sack.sends_by_scoreboard() {
            if let Some(plan) = self.loss_probe_plan(mss) {
                return Some(plan);
            }
        }
        if self.sack.sends_by_scoreboard() {
            // RFC 6675 §5 step (C): NextSeg() while cwnd − pipe ≥ SMSS.
            let hole = |r: SeqRange, kind| {
                self.retransmit_plan(r.start, r.end, mss, SegmentPurpose::SackRetransmit(kind))
            };
            match self.sack_next_seg(mss) {
                NextSeg::Retransmit(r) => return hole(r, Retransmission::Hole),
                NextSeg::Rescue(r) => return hole(r, Retransmission::Rescue),
                NextSeg::Nothing => return None,
                NextSeg::NewData => {}
            }
        }
        if queued == 0 && !self.tx_closed {
            // Nothing queued and no FIN to come: no data segment (a receiver's usual
            // answer, asked after every segment it takes).
            return None;
        }
        let start = self.snd_nxt;
        let offset = start.bytes_since(self.data_seq()).unwrap_or(0);
        let unsent = queued.saturating_sub(offset);
        // MUST-34: a window that shrank below what is in flight gives 0, never less.
        let usable = (self.snd_una + self.snd_wnd)
            .bytes_since(start)
            .unwrap_or(0)
            .min(self.congestion_room(start));
        let len = unsent.min(usable).min(mss);
        let resending = start < self.snd_max;
        let idle = self.snd_max == self.snd_una;
        // Nagle (SHLD-7, off with MUST-17's nodelay; a closed stream pushes its tail)
        // and sender SWS avoidance (MUST-38 (1)-(3)).
        let may_send_small = self.config.nodelay || idle || self.tx_closed || self.urgent_unsent();
        // MUST-38 (4), the override: with nothing in flight no ACK will come to open
        // the window further, so what fits goes now (an override timeout of zero).
        let window_bound = idle && len == usable;
        let send_data = len > 0
            && (len == mss
                || resending
                || (len == unsent && may_send_small)
                || (self.max_snd_wnd > 0 && len >= self.max_snd_wnd / 2 && may_send_small)
                || window_bound);
        // Where the ring wraps, the segment stops at the end of the storage; the rest
        // follows in the next one (the decision above was taken on the whole run).
        let data_len = if send_data {
            self.tx_buffer.get_allocated(offset, len).len()
        } else {
            0
        };
        let fin = self.tx_closed && start + data_len == self.fin_seq;
        (send_data || fin).then(|| SegmentPlan {
            fin,
            data_offset: offset,
            data_len,
            ..SegmentPlan::control(start, false, true)
        })
    }

    /// RFC 8985 §7.3: the tail loss probe is a new segment if there is unsent data and
    /// the peer's window allows some (the congestion window does not limit it), else
    /// the highest segment sent, again.
    fn loss_probe_plan(&self, mss: usize) -> Option<SegmentPlan> {
        let purpose = SegmentPurpose::LossProbe;
        if self.snd_nxt == self.snd_max {
            let start = self.snd_nxt;
            let offset = start.bytes_since(self.data_seq()).unwrap_or(usize::MAX);
            let unsent = self.tx_buffer.len().saturating_sub(offset);
            let usable = (self.snd_una + self.snd_wnd)
                .bytes_since(start)
                .unwrap_or(0);
            let len = unsent.min(usable).min(mss);
            let data_len = self.tx_buffer.get_allocated(offset, len).len();
            if data_len > 0 {
                return Some(SegmentPlan {
                    fin: self.tx_closed && start + data_len == self.fin_seq,
                    data_offset: offset,
                    data_len,
                    purpose,
                    ..SegmentPlan::control(start, false, true)
                });
            }
        }
        let start = (self.snd_max - mss).max(self.snd_una);
        self.retransmit_plan(start, self.snd_max, mss, purpose)
    }

    /// A retransmission of what was sent in `[seq, end)`: up to `mss` bytes, stopping
    /// short of the next SACKed range, with the FIN if it falls inside. `None` when that
    /// holds nothing.
    fn retransmit_plan(
        &self,
        seq: SeqNumber,
        end: SeqNumber,
        mss: usize,
        purpose: SegmentPurpose,
    ) -> Option<SegmentPlan> {
        let offset = seq.bytes_since(self.data_seq())?;
        // Never past what was sent: a retransmission carries no new data.
        let end = end.min(self.snd_max);
        let end = match self.sack.scoreboard().next_sacked_start(seq) {
            Some(sacked) => sacked.min(end),
            None => end,
        };
        let room = end.bytes_since(seq).unwrap_or(0).min(mss);
        let len = self.tx_buffer.get_allocated(offset, room).len();
        let fin = self.tx_closed
            && self.snd_max > self.fin_seq
            && seq + len == self.fin_seq
            && end > self.fin_seq;
        (len > 0 || fin).then_some(SegmentPlan {
            fin,
            data_offset: offset,
            data_len: len,
            purpose,
            ..SegmentPlan::control(seq, false, true)
        })
    }

    /// The payload bound of a data segment: the send MSS less any SACK blocks that ride
    /// along (MUST-16).
    fn data_mss(&self) -> usize {
        let sack = if self.sack_ok && !self.assembler.is_empty() {
            let blocks = self.sack_ranges().iter().flatten().count();
            let room = if self.timestamps.is_some() { 3 } else { 4 };
            4 + 8 * blocks.min(room)
        } else {
            0
        };
        self.send_mss().saturating_sub(sack).max(1)
    }

    fn sack_ranges(&self) -> [Option<(u32, u32)>; 4] {
        let blocks = options::sack_blocks(&self.assembler, self.rcv_nxt, self.latest_ooo);
        let Some((start, end)) = self.dsack else {
            return blocks;
        };
        // RFC 2883 §4: the D-SACK block first, then the usual blocks (the first of them
        // holds the latest arrival, which contains an out-of-order duplicate).
        [Some((start.0, end.0)), blocks[0], blocks[1], blocks[2]]
    }

    /// The window field to send and the right edge it advertises. A SYN's window is
    /// never scaled (B3.3); later windows are rounded up so that the edge never moves
    /// left (CORE-16, B3.4).
    fn advertised_window(&self, syn: bool) -> (u16, SeqNumber) {
        if syn {
            let wnd = self.rx_buffer.window().min(MAX_WINDOW_FIELD);
            return (wnd as u16, self.rcv_nxt + wnd);
        }
        let edge = self.next_rcv_edge();
        let wnd = edge.bytes_since(self.rcv_nxt).unwrap_or(0);
        let unit = 1usize << self.rcv_shift;
        let field = wnd.div_ceil(unit).min(MAX_WINDOW_FIELD);
        (field as u16, self.rcv_nxt + (field << self.rcv_shift))
    }

    /// Builds the segment for `plan` with `payload`, and the receive edge it advertises.
    fn segment_repr<'p>(
        &self,
        now: Instant,
        plan: &SegmentPlan,
        payload: &'p [u8],
    ) -> (TcpRepr<'p>, SeqNumber) {
        let mut flags = if plan.syn {
            self.ecn_syn_flags(plan.ack)
        } else {
            self.ecn_flags(self.is_new_data(plan))
        };
        flags.set(TcpFlags::SYN, plan.syn);
        flags.set(TcpFlags::FIN, plan.fin);
        flags.set(TcpFlags::ACK, plan.ack);
        // MUST-61: the segment that empties the queue carries PSH.
        let last = plan.data_offset + payload.len() == self.tx_buffer.len();
        flags.set(TcpFlags::PSH, !payload.is_empty() && last);
        let (window_len, edge) = self.advertised_window(plan.syn);
        let timestamp = self.timestamps.map(|ts| TcpTimestampRepr {
            tsval: options::timestamp_now(now, ts.offset),
            // B3.9: TSecr is meaningful only with ACK.
            tsecr: if plan.ack { ts.recent } else { 0 },
        });
        let sack = self.sack_ok
            && plan.ack
            && !plan.syn
            && (!self.assembler.is_empty() || self.dsack.is_some());
        let mut repr = TcpRepr {
            src_port: self.local.map_or(0, |l| l.port()),
            dst_port: self.remote.map_or(0, |r| r.port()),
            flags,
            seq_number: plan.seq,
            ack_number: plan.ack.then_some(self.rcv_nxt),
            window_len,
            // MUST-14/65, B3.1: MSS and window scale only on SYNs.
            window_scale: (plan.syn && self.ws_ok).then_some(self.rcv_shift),
            max_seg_size: plan
                .syn
                .then(|| u16::try_from(self.local_mss).unwrap_or(u16::MAX)),
            sack_permitted: plan.syn && self.sack_ok,
            sack_ranges: if sack { self.sack_ranges() } else { [None; 4] },
            timestamp,
            urgent_pointer: 0,
            payload,
        };
        if !plan.syn {
            self.mark_urgent(&mut repr);
        }
        (repr, edge)
    }

    /// A bare `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` to send at once (CORE-4, B8.3).
    pub(super) fn ack_reply(&mut self, now: Instant) -> TcpRepr<'static> {
        let plan = SegmentPlan::control(self.snd_max, false, true);
        let (repr, edge) = self.segment_repr(now, &plan, &[]);
        self.rcv_edge = self.rcv_edge.max(edge);
        self.last_ack_sent = self.rcv_nxt;
        self.dsack = None;
        repr
    }

    /// The RST that `abort` owes: `<SEQ=SND.NXT><CTL=RST>`.
    fn rst_segment(&self, seq: SeqNumber) -> TcpRepr<'static> {
        let plan = SegmentPlan::control(seq, false, false);
        let (mut repr, _) = self.segment_repr(Instant::ZERO, &plan, &[]);
        repr.flags = TcpFlags::RST;
        repr.urgent_pointer = 0;
        repr.window_len = 0;
        repr.timestamp = None;
        repr.sack_ranges = [None; 4];
        repr
    }

    /// What sending `plan` changes: sequence variables, RTT timing, timers, owed ACKs.
    fn commit(&mut self, now: Instant, plan: &SegmentPlan, edge: SeqNumber) {
        let seq_len = plan.seq_len();
        let end = plan.seq + seq_len;
        match plan.purpose {
            SegmentPurpose::Probe => self.probe_now = false,
            SegmentPurpose::FastRetransmit => {
                self.fast_retransmit = false;
                self.count_retransmit();
                self.note_retransmit(now, end);
                if self.sack.in_recovery() && seq_len > 0 {
                    let range = SeqRange {
                        start: plan.seq,
                        end,
                    };
                    let first = Retransmission::First;
                    self.sack.on_retransmit(range, self.snd_max, now, first);
                }
            }
            SegmentPurpose::SackRetransmit(kind) => {
                self.count_retransmit();
                self.note_retransmit(now, end);
                self.rtt_probe = None; // Karn
                let range = SeqRange {
                    start: plan.seq,
                    end,
                };
                self.sack.on_retransmit(range, self.snd_max, now, kind);
            }
            SegmentPurpose::Normal if seq_len > 0 => {
                if self.sack_ok && !plan.syn {
                    // RFC 8985 §6.1: the send time of every segment, for RACK.
                    self.sack.on_send(plan.seq, end, now);
                }
                if plan.seq < self.snd_max {
                    self.count_retransmit();
                    self.note_retransmit(now, end);
                } else if self.rtt_probe.is_none() {
                    self.rtt_probe = Some((end, now));
                }
                self.snd_nxt = end;
                self.snd_max = self.snd_max.max(end);
            }
            SegmentPurpose::Normal => {}
            SegmentPurpose::LossProbe => {
                self.sack.on_send(plan.seq, end, now);
                let resent = plan.seq < self.snd_max;
                if resent {
                    self.count_retransmit();
                    self.note_retransmit(now, end);
                    self.rtt_probe = None; // Karn
                } else {
                    if self.rtt_probe.is_none() {
                        self.rtt_probe = Some((end, now));
                    }
                    self.snd_nxt = end;
                    self.snd_max = end;
                }
                let range = SeqRange {
                    start: plan.seq,
                    end,
                };
                self.on_loss_probe_sent(now, range, resent);
            }
        }
        if seq_len > 0 {
            self.last_send = now;
            // B1.10: start the timer when data goes out and it is idle.
            let rto = self.rtt.rto();
            self.timers
                .set_if_idle(Timer::Retransmit, now.saturating_add(rto));
            self.arm_user_timeout(now);
            if plan.purpose == SegmentPurpose::Normal {
                // RFC 8985 §7.2: new data (re)starts the probe timer.
                self.arm_loss_probe(now);
            }
        }
        if plan.ack {
            self.ack_now = false;
            self.ack_prompt = false;
            self.window_update = false;
            self.unacked_bytes = 0;
            self.timers.stop(Timer::DelayedAck);
            self.last_ack_sent = self.rcv_nxt;
            self.rcv_edge = self.rcv_edge.max(edge);
        }
        self.counters.segments_out = self.counters.segments_out.wrapping_add(1);
    }

    fn count_retransmit(&mut self) {
        self.counters.retransmits = self.counters.retransmits.wrapping_add(1);
    }

    /// Remembers, with timestamps, how far data was resent and our TSval on the latest
    /// resend (see `rexmit_ts`).
    fn note_retransmit(&mut self, now: Instant, end: SeqNumber) {
        let Some(ts) = self.timestamps else {
            return;
        };
        let tsval = options::timestamp_now(now, ts.offset);
        let end = self.rexmit_ts.map_or(end, |(old, _)| old.max(end));
        self.rexmit_ts = Some((end, tsval));
    }

    /// RFC 5681 §4.1: after an idle period longer than one RTO, new data starts again
    /// from the restart window instead of a stale, possibly large, cwnd.
    fn restart_after_idle(&mut self, now: Instant) {
        let idle = self.snd_una == self.snd_max && self.snd_max != self.iss;
        let has_data = self.tx_buffer.len()
            > self
                .snd_nxt
                .bytes_since(self.data_seq())
                .unwrap_or(usize::MAX);
        let quiet = now.saturating_duration_since(self.last_send) > self.rtt.rto();
        if idle && has_data && quiet && self.state.is_synchronized() {
            self.cc.on_idle_restart();
            // Once per idle period.
            self.last_send = now;
        }
    }

    /// Acts on every timer that expired by `now` (CORE-18).
    fn on_timers(&mut self, now: Instant) {
        if self.timers.is_expired(Timer::UserTimeout, now) {
            if self.state == State::SynReceived && self.passive {
                // A handshake that never completed: the listener listens again.
                self.return_to_listen();
            } else {
                // MUST-20 (R2): give up and report it.
                self.enter_closed(Some(CloseReason::TimedOut));
            }
            return;
        }
        if self.timers.is_expired(Timer::TimeWait, now) {
            self.enter_closed(None);
            return;
        }
        if self.timers.is_expired(Timer::Retransmit, now) {
            self.on_retransmit_timeout();
        }
        if self.timers.is_expired(Timer::Reorder, now) {
            self.timers.stop(Timer::Reorder);
            self.on_reorder_timeout(now);
        }
        if self.timers.is_expired(Timer::LossProbe, now) {
            self.timers.stop(Timer::LossProbe);
            self.tlp_pending = self.may_probe() && self.loss_probe_plan(self.data_mss()).is_some();
        }
        if self.timers.is_expired(Timer::DelayedAck, now) {
            self.timers.stop(Timer::DelayedAck);
            self.ack_now = true;
        }
        if self.timers.is_expired(Timer::Persist, now) {
            self.timers.stop(Timer::Persist);
            self.probe_now = true;
            self.persist_backoff = self.persist_backoff.saturating_add(1);
            // MUST-37: R2 runs while a zero-window probe is unanswered.
            self.arm_user_timeout(now);
        }
        if self.timers.is_expired(Timer::KeepAlive, now) {
            self.on_keep_alive_timeout(now);
        }
    }

    /// B1.11: go back to SND.UNA and send again, with the RTO doubled; congestion
    /// control collapses the window; Karn: the timed segment gives no sample.
    fn on_retransmit_timeout(&mut self) {
        self.timers.stop(Timer::Retransmit);
        let in_flight = self.snd_max.bytes_since(self.snd_una).unwrap_or(0);
        let by_scoreboard = self.resends_by_scoreboard();
        if !by_scoreboard {
            self.snd_nxt = self.snd_una;
        }
        self.rtt.backoff();
        if self.rtt.backoffs() == R1_TIMEOUTS {
            self.negative_advice = true;
            self.counters.negative_advice = self.counters.negative_advice.wrapping_add(1);
        }
        self.forget_loss_probe();
        if self.sack_ok {
            // B4.9, B4.15: the scoreboard is cleared and recovery ends; what is
            // outstanding is resent from SND.UNA by NextSeg().
            let high_data = self.snd_max;
            self.sack
                .on_rto(&mut self.cc, high_data, in_flight, by_scoreboard);
        } else {
            self.loss.on_rto(&mut self.cc, self.snd_max, in_flight);
        }
        self.rtt_probe = None;
        self.fast_retransmit = false;
        self.counters.timeouts = self.counters.timeouts.wrapping_add(1);
        self.ecn_on_timeout();
    }

    /// MUST-35/36: whether the persist timer should run: the window is zero, data
    /// waits at SND.NXT and nothing in flight is guarded by the retransmission timer.
    /// The last also holds after a timeout rewound SND.NXT to SND.UNA while the window
    /// was zero: go-back-N cannot resend into a zero window, so without the persist
    /// timer nothing would ever be sent again (found by simulation: a reordered
    /// window-0 ACK overtook the window update).
    fn persist_wanted(&self) -> bool {
        let open = matches!(
            self.state,
            State::Established
                | State::CloseWait
                | State::FinWait1
                | State::FinWait2
                | State::Closing
                | State::LastAck
        );
        let unguarded = self.timers.rto_deadline().is_none();
        let unsent = self.tx_buffer.len()
            > self
                .snd_nxt
                .bytes_since(self.data_seq())
                .unwrap_or(usize::MAX);
        open && unguarded && unsent && self.snd_wnd == 0
    }

    /// The persist timer should run but does not: the user queued data after the
    /// window closed (`send` has no clock), so the socket asks for a dispatch, which
    /// arms it.
    fn persist_unarmed(&self) -> bool {
        self.timers.get(Timer::Persist).is_none() && self.persist_wanted()
    }

    /// Arms or stops the persist and keep-alive timers after anything changed.
    pub(super) fn update_idle_timers(&mut self, now: Instant) {
        // MUST-35/36, SHLD-29/30: a zero window with data waiting and nothing in flight
        // is probed after one RTO, then at exponentially growing intervals.
        if self.persist_wanted() {
            let backoff = 1u32 << self.persist_backoff.min(6);
            let interval = self
                .rtt
                .rto()
                .saturating_mul(backoff)
                .min(Duration::from_secs(60));
            self.timers
                .set_if_idle(Timer::Persist, now.saturating_add(interval));
        } else {
            self.timers.stop(Timer::Persist);
        }
        let keep_alive = matches!(
            self.state,
            State::Established | State::CloseWait | State::FinWait2
        );
        match self.config.keep_alive {
            Some(interval) if keep_alive => {
                self.timers
                    .set_if_idle(Timer::KeepAlive, now.saturating_add(interval));
            }
            _ => self.timers.stop(Timer::KeepAlive),
        }
    }
}
