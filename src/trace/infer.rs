//! What each endpoint of a traced connection is inferred to be doing: its TCP state, its
//! initial sequence number, and the sequence space it has already sent, all learnt only
//! from the segments that cross the link (RFC 9293 §3.3.2 for the state diagram).

use core::fmt;
use core::net::SocketAddr;

use crate::wire::{SeqNumber, TcpRepr};

/// The state of one endpoint as far as the segments show it (RFC 9293 §3.3.2). A tracer
/// sees the wire, not the socket, so the state is a best guess: `LISTEN` is what a SYN
/// is assumed to find, and TIME-WAIT never visibly ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LadderState {
    /// Nothing has been seen from or about this endpoint yet.
    Unseen,
    /// No connection: reset, or the last ACK of a close arrived.
    Closed,
    /// A SYN arrived and the endpoint has not answered yet.
    Listen,
    /// The endpoint sent a SYN.
    SynSent,
    /// The endpoint answered a SYN with SYN,ACK.
    SynReceived,
    /// The handshake is complete (or the connection was picked up mid-stream).
    Established,
    /// The endpoint sent its FIN first; not yet acknowledged.
    FinWait1,
    /// The endpoint's FIN was acknowledged; the peer's FIN has not arrived.
    FinWait2,
    /// The peer's FIN arrived; this endpoint has not sent its own.
    CloseWait,
    /// Both FINs crossed; this endpoint's is not yet acknowledged.
    Closing,
    /// The endpoint sent its FIN after the peer's; waiting for the last ACK.
    LastAck,
    /// Both FINs acknowledged by this endpoint's side: the 2·MSL wait.
    TimeWait,
}

impl LadderState {
    /// The state's name in the textbooks' notation (`SYN_SENT`, `FIN_WAIT_1`, ...).
    pub fn name(self) -> &'static str {
        match self {
            LadderState::Unseen => "",
            LadderState::Closed => "CLOSED",
            LadderState::Listen => "LISTEN",
            LadderState::SynSent => "SYN_SENT",
            LadderState::SynReceived => "SYN_RECEIVED",
            LadderState::Established => "ESTABLISHED",
            LadderState::FinWait1 => "FIN_WAIT_1",
            LadderState::FinWait2 => "FIN_WAIT_2",
            LadderState::CloseWait => "CLOSE_WAIT",
            LadderState::Closing => "CLOSING",
            LadderState::LastAck => "LAST_ACK",
            LadderState::TimeWait => "TIME_WAIT",
        }
    }
}

impl fmt::Display for LadderState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// How many holes in an endpoint's sequence space are remembered, to tell a reordered
/// segment from a re-sent one.
const HOLES: usize = 4;

/// Remarks about one segment, judged against what its sender sent before.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Remarks {
    /// The segment re-sends sequence space already seen.
    pub retransmission: bool,
    /// The segment fills a hole left earlier: it was reordered, or re-sent after a loss
    /// before the capture point (a tracer cannot tell which).
    pub out_of_order: bool,
    /// The segment starts beyond everything seen: something in between was not captured.
    pub gap: bool,
    /// The n-th repeat of the same pure ACK (same ack, same window), 0 if none.
    pub dup_ack: u32,
}

/// One endpoint of a traced connection.
#[derive(Debug, Clone, Copy)]
pub(super) struct Side {
    pub addr: SocketAddr,
    pub state: LadderState,
    /// The state last printed in this endpoint's column.
    pub shown: LadderState,
    /// The number shown as 0 in relative numbering: the ISN, or one before the first
    /// sequence number seen when the SYN was not (as Wireshark does).
    pub base: Option<SeqNumber>,
    /// One past the highest sequence number sent.
    high: Option<SeqNumber>,
    /// The latest holes `[start, end)` that jumps in sequence numbers left behind.
    holes: [Option<(SeqNumber, SeqNumber)>; HOLES],
    /// One past this endpoint's SYN and FIN: an ACK at or beyond acknowledges them.
    syn_end: Option<SeqNumber>,
    fin_end: Option<SeqNumber>,
    /// The last pure ACK sent (ack, window), and how many times it has been repeated.
    pure_ack: Option<(SeqNumber, u16)>,
    dup_acks: u32,
}

impl Side {
    pub fn new(addr: SocketAddr) -> Side {
        Side {
            addr,
            state: LadderState::Unseen,
            shown: LadderState::Unseen,
            base: None,
            high: None,
            holes: [None; HOLES],
            syn_end: None,
            fin_end: None,
            pure_ack: None,
            dup_acks: 0,
        }
    }

    /// Records a segment this endpoint sent and judges it against the earlier ones.
    pub fn sent(&mut self, repr: &TcpRepr) -> Remarks {
        let seq = repr.seq_number;
        if self.base.is_none() {
            self.base = Some(if repr.is_syn() { seq } else { seq - 1 });
        }
        let mut remarks = Remarks::default();
        let seg_len = repr.segment_len();
        if seg_len > 0 {
            let end = seq + seg_len;
            match self.high {
                None => self.high = Some(end),
                Some(high) if seq >= high => {
                    if seq > high {
                        remarks.gap = true;
                        self.remember_hole(high, seq);
                    }
                    self.high = Some(end);
                }
                Some(high) => {
                    if self.fill_hole(seq, end) {
                        remarks.out_of_order = true;
                    } else {
                        remarks.retransmission = true;
                    }
                    self.high = Some(high.max(end));
                }
            }
        }
        if repr.is_syn() {
            self.syn_end = Some(seq + 1);
        }
        if repr.is_fin() {
            self.fin_end = Some(seq + seg_len);
        }
        let pure = seg_len == 0 && !repr.is_rst();
        match repr.ack_number {
            Some(ack) if pure => {
                if self.pure_ack == Some((ack, repr.window_len)) {
                    self.dup_acks = self.dup_acks.saturating_add(1);
                    remarks.dup_ack = self.dup_acks;
                } else {
                    self.dup_acks = 0;
                    self.pure_ack = Some((ack, repr.window_len));
                }
            }
            _ => {
                self.dup_acks = 0;
                self.pure_ack = None;
            }
        }
        remarks
    }

    /// Remembers the hole `[start, end)`, forgetting the oldest one if all slots are
    /// taken (a segment in a forgotten hole is then called a retransmission).
    fn remember_hole(&mut self, start: SeqNumber, end: SeqNumber) {
        self.holes.rotate_right(1);
        self.holes[0] = Some((start, end));
    }

    /// If `[seq, end)` starts inside a remembered hole, shrinks the hole by it and
    /// returns true.
    fn fill_hole(&mut self, seq: SeqNumber, end: SeqNumber) -> bool {
        let Some(slot) = self
            .holes
            .iter()
            .position(|h| h.is_some_and(|(start, stop)| seq >= start && seq < stop))
        else {
            return false;
        };
        let Some((start, stop)) = self.holes[slot] else {
            return false;
        };
        // What is left of the hole before and after the segment.
        let before = (seq > start).then_some((start, seq));
        let after = (end < stop).then_some((end, stop));
        self.holes[slot] = before.or(after);
        if let (Some(_), Some((a, b))) = (before, after) {
            self.remember_hole(a, b);
        }
        true
    }

    /// Whether `ack` acknowledges everything up to `end` (true when `end` is unknown:
    /// a tracer that missed the SYN or FIN trusts the ACK).
    fn acks(ack: SeqNumber, end: Option<SeqNumber>) -> bool {
        end.is_none_or(|end| ack >= end)
    }

    /// Whether a new SYN from this endpoint starts a new incarnation of the connection
    /// (the old one ended: RFC 9293 §3.6.1 lets a SYN reopen from TIME-WAIT).
    pub fn reopens_with(&self, repr: &TcpRepr) -> bool {
        repr.is_syn()
            && repr.ack_number.is_none()
            && matches!(self.state, LadderState::Closed | LadderState::TimeWait)
    }
}

/// Moves both endpoints' states along for one segment from `s` to `r`: the sender's
/// state after sending it, the receiver's after processing it (RFC 9293 §3.10), except
/// that a SYN finds its receiver in LISTEN, which moves to SYN_RECEIVED when it answers.
pub(super) fn advance(s: &mut Side, r: &mut Side, repr: &TcpRepr) {
    use LadderState::*;
    let (syn, fin) = (repr.is_syn(), repr.is_fin());
    if repr.is_rst() {
        s.state = Closed;
        r.state = Closed;
        return;
    }
    if !syn {
        // A connection picked up mid-stream was established before the capture began.
        for side in [&mut *s, &mut *r] {
            if side.state == Unseen {
                side.state = Established;
            }
        }
    }
    // The sender, after sending.
    if syn && repr.ack_number.is_none() {
        if matches!(s.state, Unseen | Closed | Listen | TimeWait) {
            s.state = SynSent;
        }
    } else if syn && matches!(s.state, Unseen | Closed | Listen | SynSent) {
        s.state = SynReceived;
    }
    if fin {
        s.state = match s.state {
            Established | SynReceived => FinWait1,
            CloseWait => LastAck,
            other => other,
        };
    }
    // The receiver: the acknowledgment first, then SYN and FIN (RFC 9293 §3.10.7.4).
    if let Some(ack) = repr.ack_number {
        r.state = match r.state {
            SynReceived if Side::acks(ack, r.syn_end) => Established,
            FinWait1 if Side::acks(ack, r.fin_end) => FinWait2,
            Closing if Side::acks(ack, r.fin_end) => TimeWait,
            LastAck if Side::acks(ack, r.fin_end) => Closed,
            other => other,
        };
    }
    if syn {
        r.state = match (r.state, repr.ack_number) {
            (Unseen | Closed | Listen | TimeWait, None) => Listen,
            // Simultaneous open (RFC 9293 §3.5, figure 8).
            (SynSent, None) => SynReceived,
            (Unseen | SynSent, Some(_)) => Established,
            (other, _) => other,
        };
    }
    if fin {
        r.state = match r.state {
            Established | SynReceived => CloseWait,
            FinWait1 => Closing,
            FinWait2 => TimeWait,
            other => other,
        };
    }
}
