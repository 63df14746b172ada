//! SACK-based loss recovery: the sender's scoreboard of what the peer holds out of order,
//! and the RFC 6675 rules that turn it into retransmissions (CONFORMANCE B4).
//!
//! Governed by RFC 2018 (the option, B4.1–B4.9) and RFC 6675 (DupThresh, IsLost, pipe,
//! NextSeg, RecoveryPoint; B4.10–B4.15). Pure sequence arithmetic over fixed arrays:
//! nothing allocates, every method is O(ranges) and never panics.
//!
//! # Deviations and choices, documented once
//!
//! - HighRxt is kept as a small set of retransmitted ranges instead of one pointer, each
//!   with HighData at the time it was sent. When more than `(DupThresh − 1)·SMSS` bytes
//!   sent after a retransmission are SACKed while it is still missing, the retransmission
//!   is judged lost and its range may be sent again (the sequence-based half of RACK,
//!   RFC 8985, CONFORMANCE B5.2); without this a lost retransmission waits for the RTO.
//! - When an ACK delivers a tail loss probe while bytes below it are missing, recovery
//!   starts at once and those bytes count as lost (RACK's time rule, which holds for
//!   everything sent a PTO before the probe; see `socket::tcp::tlp`).
//! - RACK (RFC 8985 §6, in [`rack`]) judges first transmissions lost by time as well;
//!   its boundary joins IsLost's, and recovery starts when it marks anything lost. The
//!   DupThresh rule of RFC 6675 also starts recovery until RACK has seen reordering;
//!   after that RACK alone does (DupThresh would start the spurious recoveries that
//!   reo_wnd exists to avoid). IsLost still marks holes lost inside a recovery.
//! - B4.9: the scoreboard is cleared on a retransmission timeout (RFC 2018 §8: the
//!   receiver may have reneged); SACK blocks that arrive after the timeout are used again,
//!   and the go-back-N resend skips what they cover.
//! - Reneging (B4.7): when the cumulative ACK stops at or inside a range the scoreboard
//!   holds as SACKed, the receiver dropped what it had SACKed; the scoreboard is cleared
//!   and the retransmission timer repairs the rest.
//! - B4.8: the scoreboard holds at most [`SCOREBOARD_RANGES`] ranges. A block that does
//!   not fit displaces the highest range (or is itself dropped when it is the highest);
//!   [`AckOutcome::overflowed`] counts it. Losing a range is safe: SACK is advisory.

use self::rack::{Delivery, Rack};
use super::{AckAction, CongestionControl};
use crate::time::{Duration, Instant};
use crate::wire::SeqNumber;

/// DupThresh of RFC 6675 §2 (B4.10).
pub const DUP_THRESH: u32 = 3;

/// The least reordering window added to SRTT before a missing retransmission counts as
/// lost (RFC 8985 §6.2 allows for timer granularity).
pub const REO_WND_FLOOR: Duration = Duration::from_millis(1);

/// How many SACKed ranges the scoreboard holds (B4.8: bounded, "SACK Panic").
pub const SCOREBOARD_RANGES: usize = 32;

/// How many retransmitted ranges are remembered for lost-retransmission detection.
pub const REXMIT_RANGES: usize = 16;

/// A half-open range `[start, end)` of sequence space, `start < end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqRange {
    /// The first sequence number in the range.
    pub start: SeqNumber,
    /// One past the last.
    pub end: SeqNumber,
}

impl SeqRange {
    const EMPTY: SeqRange = SeqRange {
        start: SeqNumber(0),
        end: SeqNumber(0),
    };

    fn len(&self) -> usize {
        self.end.bytes_since(self.start).unwrap_or(0)
    }

    /// Bytes of this range at or above `seq`.
    fn len_above(&self, seq: SeqNumber) -> usize {
        self.end.bytes_since(self.start.max(seq)).unwrap_or(0)
    }
}

/// A retransmitted range, HighData when it went out, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Rexmit {
    range: SeqRange,
    high_data: SeqNumber,
    sent: Instant,
}

/// The sender's record of SACKed sequence space between SND.UNA and SND.NXT, and of the
/// ranges retransmitted in the current recovery. Sorted, disjoint, bounded.
///
/// Size: `8·SCOREBOARD_RANGES + 12·REXMIT_RANGES` bytes and two counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scoreboard {
    sacked: [SeqRange; SCOREBOARD_RANGES],
    sacked_len: usize,
    rexmit: [Rexmit; REXMIT_RANGES],
    rexmit_len: usize,
}

impl Default for Scoreboard {
    fn default() -> Self {
        Scoreboard {
            sacked: [SeqRange::EMPTY; SCOREBOARD_RANGES],
            sacked_len: 0,
            rexmit: [Rexmit {
                range: SeqRange::EMPTY,
                high_data: SeqNumber(0),
                sent: Instant::ZERO,
            }; REXMIT_RANGES],
            rexmit_len: 0,
        }
    }
}

impl Scoreboard {
    /// The SACKed ranges, lowest first.
    pub fn sacked(&self) -> &[SeqRange] {
        self.sacked.get(..self.sacked_len).unwrap_or_default()
    }

    fn rexmits(&self) -> &[Rexmit] {
        self.rexmit.get(..self.rexmit_len).unwrap_or_default()
    }

    /// Whether nothing is SACKed.
    pub fn is_empty(&self) -> bool {
        self.sacked_len == 0
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.sacked_len = 0;
        self.rexmit_len = 0;
    }

    /// Bytes SACKed in total.
    pub fn sacked_bytes(&self) -> usize {
        self.sacked().iter().map(SeqRange::len).sum()
    }

    /// The SACKed range that holds `seq`, if any.
    pub fn sacked_at(&self, seq: SeqNumber) -> Option<SeqRange> {
        self.sacked()
            .iter()
            .find(|r| r.start <= seq && seq < r.end)
            .copied()
    }

    /// The start of the lowest SACKed range above `seq`.
    pub fn next_sacked_start(&self, seq: SeqNumber) -> Option<SeqNumber> {
        self.sacked().iter().map(|r| r.start).find(|&s| s > seq)
    }

    /// SND.UNA moved to `una`: drops what it covers. Returns true when `una` stops at or
    /// inside a range held as SACKed: the receiver reneged (B4.7), and the scoreboard is
    /// cleared.
    pub fn advance(&mut self, una: SeqNumber) -> bool {
        if self.sacked_at(una).is_some() {
            self.clear();
            return true;
        }
        retain_above(&mut self.sacked, &mut self.sacked_len, una, |r| r);
        retain_above(&mut self.rexmit, &mut self.rexmit_len, una, |x| {
            &mut x.range
        });
        false
    }

    /// Records one SACK block, clipped to `[una, high_data)` (B4.8: a block outside is
    /// ignored; one below SND.UNA is a D-SACK and carries nothing new). Returns the bytes
    /// newly SACKed and whether a range had to be dropped for room.
    pub fn add(&mut self, una: SeqNumber, high_data: SeqNumber, block: SeqRange) -> (usize, bool) {
        let start = block.start.max(una);
        let end = block.end.min(high_data);
        if !before(start, end) || block.end > high_data || !before(block.start, block.end) {
            return (0, false);
        }
        let before = self.sacked_bytes();
        // Rebuild in order, merging every range that overlaps or touches the new one.
        // What does not fit is the highest range: it is dropped (and counted).
        let old = self.sacked;
        let old_len = self.sacked_len;
        self.sacked_len = 0;
        let mut merged = SeqRange { start, end };
        let mut placed = false;
        let mut overflowed = false;
        for r in old.iter().take(old_len) {
            if r.end < merged.start {
                overflowed |= !self.push(*r);
            } else if r.start > merged.end {
                if !placed {
                    overflowed |= !self.push(merged);
                    placed = true;
                }
                overflowed |= !self.push(*r);
            } else {
                merged.start = merged.start.min(r.start);
                merged.end = merged.end.max(r.end);
            }
        }
        if !placed {
            overflowed |= !self.push(merged);
        }
        (self.sacked_bytes().saturating_sub(before), overflowed)
    }

    /// Appends `r` if there is room; false if not.
    fn push(&mut self, r: SeqRange) -> bool {
        match self.sacked.get_mut(self.sacked_len) {
            Some(slot) => {
                *slot = r;
                self.sacked_len += 1;
                true
            }
            None => false,
        }
    }

    /// The RFC 6675 loss boundary: every unSACKed byte below it has DupThresh SACKed
    /// ranges or more than `(DupThresh − 1)·SMSS` SACKed bytes above it, so `IsLost`
    /// holds for it (B4.10). `None` when nothing is lost.
    pub fn lost_boundary(&self, smss: usize) -> Option<SeqNumber> {
        let mut ranges = 0;
        let mut bytes = 0usize;
        for r in self.sacked().iter().rev() {
            ranges += 1;
            bytes = bytes.saturating_add(r.len());
            if is_lost_by(ranges, bytes, smss) {
                return Some(r.start);
            }
        }
        None
    }

    /// `IsLost(seq)` of RFC 6675 §4 for an unSACKed `seq`.
    pub fn is_lost(&self, seq: SeqNumber, smss: usize) -> bool {
        self.lost_boundary(smss).is_some_and(|b| seq < b)
    }

    /// Bytes of `[from, to)` that are not SACKed.
    fn unsacked_in(&self, from: SeqNumber, to: SeqNumber) -> usize {
        let total = to.bytes_since(from).unwrap_or(0);
        let sacked: usize = self
            .sacked()
            .iter()
            .map(|r| {
                let s = r.start.max(from);
                let e = r.end.min(to);
                e.bytes_since(s).unwrap_or(0)
            })
            .sum();
        total.saturating_sub(sacked)
    }

    /// `SetPipe()` of RFC 6675 §4 (B4.11): every unSACKed byte in `[una, high_data)`
    /// that is not lost (not below `lost_boundary`) counts once, and once more if it was
    /// retransmitted.
    pub fn pipe(
        &self,
        una: SeqNumber,
        high_data: SeqNumber,
        lost_boundary: Option<SeqNumber>,
    ) -> usize {
        let unsacked = self.unsacked_in(una, high_data);
        let lost = match lost_boundary {
            Some(b) => self.unsacked_in(una, b.min(high_data)),
            None => 0,
        };
        let rexmitted: usize = self
            .rexmits()
            .iter()
            .map(|x| self.unsacked_in(x.range.start, x.range.end))
            .sum();
        unsacked.saturating_sub(lost).saturating_add(rexmitted)
    }

    /// The lowest byte at or above `from` and below `limit` that is neither SACKed nor
    /// retransmitted in this recovery, and the range up to `max_len` bytes from it that
    /// stays so and below `limit`.
    pub fn next_unsent_hole(
        &self,
        from: SeqNumber,
        limit: SeqNumber,
        max_len: usize,
    ) -> Option<SeqRange> {
        let mut seq = from;
        // Each step jumps over one SACKed or retransmitted range: bounded by their count.
        for _ in 0..=(SCOREBOARD_RANGES + REXMIT_RANGES) {
            if !before(seq, limit) {
                return None;
            }
            let covering = self
                .sacked_at(seq)
                .or_else(|| self.rexmit_at(seq).map(|x| x.range));
            match covering {
                Some(r) => seq = r.end,
                None => {
                    let mut end = (seq + max_len).min(limit);
                    let next_starts = self
                        .sacked()
                        .iter()
                        .map(|r| r.start)
                        .chain(self.rexmits().iter().map(|x| x.range.start));
                    for s in next_starts {
                        if s > seq && s < end {
                            end = s;
                        }
                    }
                    return Some(SeqRange { start: seq, end });
                }
            }
        }
        None
    }

    fn rexmit_at(&self, seq: SeqNumber) -> Option<Rexmit> {
        self.rexmits()
            .iter()
            .find(|x| x.range.start <= seq && seq < x.range.end)
            .copied()
    }

    /// Remembers a retransmission of `range` sent at `now` while HighData was
    /// `high_data`. When the table is full the range joins the last entry (its later
    /// HighData and time only delay the lost-retransmission test).
    pub fn on_retransmit(&mut self, range: SeqRange, high_data: SeqNumber, now: Instant) {
        if self.rexmit_len < REXMIT_RANGES {
            if let Some(slot) = self.rexmit.get_mut(self.rexmit_len) {
                *slot = Rexmit {
                    range,
                    high_data,
                    sent: now,
                };
                self.rexmit_len += 1;
            }
            self.rexmit
                .get_mut(..self.rexmit_len)
                .unwrap_or_default()
                .sort_unstable_by(|a, b| {
                    a.range
                        .start
                        .partial_cmp(&b.range.start)
                        .unwrap_or(core::cmp::Ordering::Equal)
                });
        } else if let Some(last) = self.rexmit.get_mut(REXMIT_RANGES - 1) {
            last.range.start = last.range.start.min(range.start);
            last.range.end = last.range.end.max(range.end);
            last.high_data = last.high_data.max(high_data);
            last.sent = last.sent.max(now);
        }
    }

    /// Forgets the retransmissions that were lost too, and returns how many: those that
    /// more than `(DupThresh − 1)·SMSS` bytes sent after them overtook, and, when this
    /// ACK delivered something (`delivered`), those still missing `overdue` after they
    /// were sent (RFC 8985 §6.2 with `overdue` = RACK.rtt + reo_wnd).
    pub fn drop_lost_retransmits(
        &mut self,
        smss: usize,
        now: Instant,
        overdue: Option<Duration>,
        delivered: bool,
    ) -> usize {
        let mut kept = 0;
        let mut lost = 0;
        for i in 0..self.rexmit_len {
            let Some(x) = self.rexmit.get(i).copied() else {
                break;
            };
            let mut ranges = 0;
            let mut bytes = 0usize;
            for r in self.sacked() {
                let above = r.len_above(x.high_data);
                if above > 0 {
                    ranges += 1;
                    bytes = bytes.saturating_add(above);
                }
            }
            let missing = self.unsacked_in(x.range.start, x.range.end) > 0;
            let late =
                delivered && overdue.is_some_and(|d| now.saturating_duration_since(x.sent) >= d);
            if missing && (late || is_lost_by(ranges, bytes, smss)) {
                lost += 1;
            } else if let Some(slot) = self.rexmit.get_mut(kept) {
                *slot = x;
                kept += 1;
            }
        }
        self.rexmit_len = kept;
        lost
    }

    /// Forgets every retransmission (a new recovery starts).
    fn clear_rexmits(&mut self) {
        self.rexmit_len = 0;
    }

    /// The invariants: ranges sorted, disjoint, non-empty and within `[una, high_data]`.
    pub fn check(&self, una: SeqNumber, high_data: SeqNumber) -> Result<(), &'static str> {
        let mut prev: Option<SeqNumber> = None;
        for r in self.sacked() {
            if !before(r.start, r.end) || r.start < una || r.end > high_data {
                return Err("SACKed range outside SND.UNA..SND.NXT");
            }
            if prev.is_some_and(|p| !before(p, r.start)) {
                return Err("SACKed ranges overlap or are unsorted");
            }
            prev = Some(r.end);
        }
        for x in self.rexmits() {
            if !before(x.range.start, x.range.end) || x.range.start < una || x.range.end > high_data
            {
                return Err("retransmitted range outside SND.UNA..SND.NXT");
            }
        }
        Ok(())
    }
}

/// `a < b` in sequence space (false when they are 2^31 apart and so unordered).
pub(crate) fn before(a: SeqNumber, b: SeqNumber) -> bool {
    a < b
}

/// RFC 6675 §4 IsLost given what is SACKed above a byte: DupThresh ranges, or more than
/// `(DupThresh − 1)·SMSS` bytes.
fn is_lost_by(ranges: u32, bytes: usize, smss: usize) -> bool {
    let threshold = smss.saturating_mul((DUP_THRESH - 1) as usize);
    ranges >= DUP_THRESH || bytes > threshold
}

/// Keeps the entries of `items[..*len]` that end above `una`, trimming their start to it.
fn retain_above<T: Copy>(
    items: &mut [T],
    len: &mut usize,
    una: SeqNumber,
    range: impl Fn(&mut T) -> &mut SeqRange,
) {
    let mut kept = 0;
    for i in 0..*len {
        let Some(mut item) = items.get(i).copied() else {
            break;
        };
        let r = range(&mut item);
        if r.end > una {
            r.start = r.start.max(una);
            if let Some(slot) = items.get_mut(kept) {
                *slot = item;
                kept += 1;
            }
        }
    }
    *len = kept;
}

/// What one ACK changed, for the socket's counters and actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckOutcome {
    /// Retransmit the segment at SND.UNA now, whatever the windows say: recovery began
    /// (RFC 6675 §5 step 4.3).
    pub retransmit_first: bool,
    /// The receiver reneged: the scoreboard was cleared (B4.7).
    pub reneged: bool,
    /// SACK blocks dropped for want of room (B4.8).
    pub overflowed: u32,
    /// Retransmissions judged lost again.
    pub lost_retransmits: u32,
    /// The first SACK block was a D-SACK (RFC 2883): the peer received these bytes
    /// twice.
    pub dsack: Option<SeqRange>,
    /// Recovery started because RACK judged a segment lost by time (RFC 8985 §6.2).
    pub by_rack: bool,
}

/// An ACK as [`SackRecovery::on_ack`] needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SackAck {
    /// SND.UNA before the ACK.
    pub una: SeqNumber,
    /// SEG.ACK (at least `una`).
    pub ack: SeqNumber,
    /// HighData: one past the highest sequence number sent.
    pub high_data: SeqNumber,
    /// Data bytes newly acknowledged (SYN and FIN not counted).
    pub newly_acked: usize,
    /// An RFC 5681 duplicate ACK (B2.1) that carried no SACK block at all: counted too,
    /// for a peer that agreed to SACK but does not send blocks.
    pub plain_duplicate: bool,
    /// The sender MSS.
    pub smss: usize,
    /// SRTT, once measured: a retransmission still missing 5/4 of it after it was sent,
    /// when this ACK delivered something, was lost (RFC 8985: RACK.rtt + reo_wnd).
    pub srtt: Option<Duration>,
}

/// RFC 6675 loss recovery for a connection that negotiated SACK: the scoreboard, DupAcks,
/// RecoveryPoint and RescueRxt. Drives a [`CongestionControl`] through
/// [`CongestionControl::on_sack_recovery`], `on_ack`, `on_recovery_exit` and `on_rto`.
///
/// Size: the [`Scoreboard`] and a few words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SackRecovery {
    scoreboard: Scoreboard,
    /// DupAcks of RFC 6675 §5: ACKs that SACKed new data since the last cumulative ACK.
    dup_acks: u32,
    /// In loss recovery (RFC 6675 §5 steps 4 to A).
    in_recovery: bool,
    /// After a retransmission timeout, until SND.UNA reaches RecoveryPoint: every
    /// unSACKed byte below it counts as lost and is resent by NextSeg() under cwnd −
    /// pipe, skipping what new SACK blocks report, while cwnd grows by slow start.
    after_rto: bool,
    /// RecoveryPoint plus one: HighData when recovery or the last timeout began. No new
    /// recovery starts before SND.UNA reaches it (B4.14, B4.15).
    recovery_point: Option<SeqNumber>,
    /// RescueRxt (NextSeg rule 4): one rescue retransmission per recovery.
    rescue_rxt: Option<SeqNumber>,
    /// In a recovery a tail loss probe started: every unSACKed byte below this (the
    /// probe's first byte) counts as lost (RFC 8985 §6.2 applied to the probe; see
    /// [`on_probe_delivered`](Self::on_probe_delivered)).
    probe_lost: Option<SeqNumber>,
    /// RACK (RFC 8985 §6): send times, RACK.xmit_ts, min_RTT, reo_wnd.
    rack: Rack,
}

/// Which segment NextSeg() picks (RFC 6675 §4, B4.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextSeg {
    /// Rules (1) and (3): retransmit this hole.
    Retransmit(SeqRange),
    /// Rule (2): send new data.
    NewData,
    /// Rule (4): the rescue retransmission, ending at the highest unSACKed byte.
    Rescue(SeqRange),
    /// Rule (5): nothing.
    Nothing,
}

impl SackRecovery {
    /// No loss seen yet.
    pub fn new() -> SackRecovery {
        SackRecovery::default()
    }

    /// The scoreboard.
    pub fn scoreboard(&self) -> &Scoreboard {
        &self.scoreboard
    }

    /// Whether loss recovery runs.
    pub fn in_recovery(&self) -> bool {
        self.in_recovery
    }

    /// Whether the socket sends by NextSeg() and pipe: in recovery, or resending after a
    /// timeout.
    pub fn sends_by_scoreboard(&self) -> bool {
        self.in_recovery || self.after_rto
    }

    /// Below this every unSACKed byte counts as lost: IsLost's boundary, or, after a
    /// timeout, RecoveryPoint.
    fn lost_boundary(&self, smss: usize) -> Option<SeqNumber> {
        let by_sack = self.scoreboard.lost_boundary(smss);
        let by_sack = [self.probe_lost, self.rack_lost()]
            .into_iter()
            .flatten()
            .fold(by_sack, |b, p| Some(b.map_or(p, |b| b.max(p))));
        match (self.after_rto, self.recovery_point) {
            (true, Some(point)) => Some(by_sack.map_or(point, |b| b.max(point))),
            _ => by_sack,
        }
    }

    /// DupAcks (RFC 6675 §5).
    pub fn dup_acks(&self) -> u32 {
        self.dup_acks
    }

    /// Feeds an acceptable ACK (`ack >= una`) and its SACK blocks: updates the
    /// scoreboard, ends recovery on a cumulative ACK past RecoveryPoint, grows the window
    /// outside recovery, and enters recovery on the DupThresh-th duplicate or when
    /// `IsLost(HighACK + 1)` (B4.12).
    pub fn on_ack<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        now: Instant,
        a: &SackAck,
        blocks: impl IntoIterator<Item = SeqRange>,
    ) -> AckOutcome {
        let mut out = AckOutcome::default();
        let cumulative = a.ack > a.una;
        let mut blocks = blocks.into_iter().peekable();
        // A data segment's ACK that moves nothing (the bulk receiver's every segment):
        // no block to add, no retransmission to judge, no duplicate to count, and RACK
        // has marked nothing at or beyond it. Every step below would leave all as it is.
        if !cumulative
            && !a.plain_duplicate
            && self.scoreboard.rexmit_len == 0
            && self.rack_lost().is_none_or(|l| l <= a.ack)
            && blocks.peek().is_none()
        {
            return out;
        }
        // Before the scoreboard forgets what the ACK covers: was the first byte it
        // delivered, or its last, retransmitted (RFC 8985 §6.2 steps 2 and 3)?
        let una_rexmit = cumulative && self.scoreboard.rexmit_at(a.una).is_some();
        let ack_rexmit_sent = if cumulative {
            self.scoreboard.rexmit_at(a.ack - 1).map(|x| x.sent)
        } else {
            None
        };
        if cumulative {
            out.reneged = self.scoreboard.advance(a.ack);
        }
        let cumulative_sent = if cumulative {
            self.rack.times.advance(a.ack)
        } else {
            None
        };
        let mut new_bytes = 0;
        let mut any_block = false;
        let mut first = None;
        let mut dsack = false;
        let mut sacked_end: Option<SeqNumber> = None;
        let mut sacked_below_fack = false;
        for (i, block) in blocks.enumerate() {
            any_block = true;
            // RFC 2883 §4: only the first block may be a D-SACK; the second tells when
            // it lies above the cumulative ACK.
            match i {
                0 => dsack = block.end <= a.ack,
                1 => dsack |= first.is_some_and(|f| Self::is_dsack(f, Some(block), a.ack)),
                _ => {}
            }
            if i == 0 {
                first = Some(block);
            }
            let (bytes, overflowed) = self.scoreboard.add(a.ack, a.high_data, block);
            if bytes > 0 {
                let end = block.end.min(a.high_data);
                sacked_end = Some(sacked_end.map_or(end, |e| e.max(end)));
                let fresh = self.scoreboard.rexmit_at(end - 1).is_none();
                sacked_below_fack |= fresh && self.rack_fack().is_some_and(|f| end < f);
            }
            new_bytes += bytes;
            out.overflowed += u32::from(overflowed);
        }
        out.dsack = first.filter(|_| dsack);
        // RACK (RFC 8985 §6.2) runs on an ACK that delivered something or carried a
        // D-SACK; otherwise nothing it keeps can change (time alone is its timer's).
        if cumulative || new_bytes > 0 || dsack {
            let delivery = Delivery {
                una: a.una,
                ack: a.ack,
                cumulative_sent,
                una_rexmit,
                ack_rexmit_sent,
                sacked_end,
                sacked_below_fack,
                dsack,
                high_data: a.high_data,
                smss: a.smss,
                srtt: a.srtt,
            };
            self.rack_on_ack(now, &delivery);
        }
        // RACK.rtt + reo_wnd (RFC 8985 §6.2) with SRTT for RACK.rtt, and a floor of one
        // millisecond on reo_wnd for clock granularity, so that an RTT estimate near zero
        // does not judge a retransmission lost by an ACK that was already on its way.
        let overdue = match a.srtt {
            Some(rtt) if self.scoreboard.rexmit_len > 0 => {
                let reo_wnd = self.reo_wnd(now, a.smss, a.srtt).max(REO_WND_FLOOR);
                Some(rtt.saturating_add(reo_wnd))
            }
            _ => None,
        };
        let delivered = cumulative || new_bytes > 0;
        let lost = self
            .scoreboard
            .drop_lost_retransmits(a.smss, now, overdue, delivered);
        out.lost_retransmits = u32::try_from(lost).unwrap_or(u32::MAX);
        if cumulative {
            // RFC 6675 §5: a cumulative ACK resets DupAcks.
            self.dup_acks = 0;
            let in_flight = a.high_data.bytes_since(a.una).unwrap_or(0);
            let past_point = self.recovery_point.is_none_or(|p| a.ack >= p);
            if self.after_rto && past_point {
                self.after_rto = false;
                self.scoreboard.clear_rexmits();
                self.rack.on_recovery_end();
            }
            if self.in_recovery && past_point {
                // Step (A): the end of recovery; cwnd = ssthresh.
                self.in_recovery = false;
                self.probe_lost = None;
                self.scoreboard.clear_rexmits();
                self.rack.on_recovery_end();
                cc.on_recovery_exit();
            } else if !self.in_recovery && a.newly_acked > 0 {
                cc.on_ack(now, a.newly_acked, in_flight);
            }
            if past_point && !self.sends_by_scoreboard() {
                // SND.UNA reached RecoveryPoint: forget it (and RescueRxt) rather than
                // keep a stale mark that, once 2^31 bytes later the sequence space
                // compares it as "ahead" again, would forbid recovery for 2 GiB.
                self.recovery_point = None;
                self.rescue_rxt = None;
            }
        }
        let duplicate = new_bytes > 0 || (a.plain_duplicate && !any_block);
        if self.sends_by_scoreboard() || !self.may_enter_recovery(a.ack) {
            return out;
        }
        if duplicate {
            self.dup_acks = self.dup_acks.saturating_add(1);
        }
        let by_dupthresh = duplicate
            && !self.rack.reordering_seen()
            && (self.dup_acks >= DUP_THRESH || self.scoreboard.is_lost(a.ack, a.smss));
        // RFC 8985 §6.2: RACK marked the segment at SND.UNA (and so maybe more) lost.
        let by_rack = self.rack_lost().is_some_and(|l| l > a.ack);
        if by_dupthresh || by_rack {
            self.enter_recovery(cc, a.ack, a.high_data);
            out.retransmit_first = true;
            out.by_rack = by_rack && !by_dupthresh;
        }
        out
    }

    /// RFC 8985 §6.3: the reordering timer fired. RACK runs again at `now`; when it
    /// marks the segment at SND.UNA lost outside recovery, recovery starts (retransmit
    /// it first) and this returns true.
    pub fn on_reorder_timeout<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        now: Instant,
        una: SeqNumber,
        high_data: SeqNumber,
        smss: usize,
        srtt: Option<Duration>,
    ) -> bool {
        self.rack_detect_loss(now, una, smss, srtt);
        let lost = self.rack_lost().is_some_and(|l| l > una);
        if lost && !self.sends_by_scoreboard() && self.may_enter_recovery(una) {
            self.enter_recovery(cc, una, high_data);
            return true;
        }
        false
    }

    /// When RACK's reordering timer should fire (RFC 8985 §6.3), if a segment sent
    /// before the latest delivered one is still within its reordering window.
    pub fn reorder_deadline(&self) -> Option<Instant> {
        self.rack.deadline
    }

    /// RACK's state.
    pub fn rack(&self) -> &Rack {
        &self.rack
    }

    /// `[seq, end)` was sent at `now`, for the first time or as a tail loss probe or a
    /// go-back-N resend (not a retransmission of a hole: see
    /// [`on_retransmit`](Self::on_retransmit)). O(1), a merge pass now and then.
    pub fn on_send(&mut self, seq: SeqNumber, end: SeqNumber, now: Instant) {
        self.rack.times.on_send(seq, end, now);
    }

    /// Step (4): RecoveryPoint = HighData; ssthresh = cwnd = FlightSize / 2 by the
    /// algorithm's reduction; the caller retransmits the segment at HighACK + 1.
    fn enter_recovery<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        ack: SeqNumber,
        high_data: SeqNumber,
    ) {
        let in_flight = high_data.bytes_since(ack).unwrap_or(0);
        self.in_recovery = true;
        self.recovery_point = Some(high_data);
        self.rescue_rxt = None;
        self.probe_lost = None;
        self.scoreboard.clear_rexmits();
        cc.on_sack_recovery(in_flight);
    }

    /// A tail loss probe that began at `probe_start` was delivered (cumulatively
    /// ACKed or SACKed) by the ACK that moved SND.UNA to `ack`, already fed to
    /// [`on_ack`](Self::on_ack). Everything still unSACKed below the probe was sent at
    /// least a PTO (2·SRTT) before it, so RACK's rule (RFC 8985 §6.2: a segment is lost
    /// once one sent after it is delivered and RACK.rtt + reo_wnd have passed since it
    /// went out) holds for all of it: recovery starts, with those bytes counted as lost,
    /// even without DupThresh duplicate ACKs. Returns whether it started (retransmit the
    /// segment at SND.UNA first).
    pub fn on_probe_delivered<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        ack: SeqNumber,
        high_data: SeqNumber,
        probe_start: SeqNumber,
    ) -> bool {
        if ack >= probe_start
            || probe_start > high_data
            || self.sends_by_scoreboard()
            || !self.may_enter_recovery(ack)
        {
            return false;
        }
        self.enter_recovery(cc, ack, high_data);
        self.probe_lost = Some(probe_start);
        true
    }

    /// The invariants: the scoreboard's (see [`Scoreboard::check`]); RecoveryPoint, while
    /// remembered, lies in `[una, high_data]` and, in recovery, past `una`; a timeout's
    /// resending has a RecoveryPoint; RescueRxt is never beyond `high_data`.
    pub fn check(&self, una: SeqNumber, high_data: SeqNumber) -> Result<(), &'static str> {
        self.scoreboard.check(una, high_data)?;
        self.rack.times.check(una, high_data)?;
        if let Some(point) = self.recovery_point {
            if point < una || point > high_data {
                return Err("RecoveryPoint outside SND.UNA..=SND.NXT");
            }
        }
        if self.in_recovery && self.recovery_point.is_none_or(|p| p <= una) {
            return Err("in recovery with SND.UNA at or past RecoveryPoint");
        }
        if self.after_rto && self.recovery_point.is_none() {
            return Err("resending after a timeout without a RecoveryPoint");
        }
        if self.rescue_rxt.is_some_and(|r| r > high_data) {
            return Err("RescueRxt beyond SND.NXT");
        }
        if let Some(p) = self.probe_lost {
            if !self.in_recovery || p > high_data {
                return Err("probe loss boundary outside a recovery or beyond SND.NXT");
            }
        }
        Ok(())
    }

    /// B4.14/B4.15: no new recovery until SND.UNA passes RecoveryPoint.
    fn may_enter_recovery(&self, una: SeqNumber) -> bool {
        self.recovery_point.is_none_or(|p| una >= p)
    }

    /// The same decision as [`on_ack`](Self::on_ack) as an [`AckAction`], for callers
    /// that share code with [`super::LossRecovery`].
    pub fn action(out: &AckOutcome) -> AckAction {
        if out.retransmit_first {
            AckAction::RetransmitFirstUnacked
        } else {
            AckAction::Continue
        }
    }

    /// `SetPipe()` (B4.11).
    pub fn pipe(&self, una: SeqNumber, high_data: SeqNumber, smss: usize) -> usize {
        self.scoreboard
            .pipe(una, high_data, self.lost_boundary(smss))
    }

    /// `NextSeg()` (B4.13) for a segment of up to `smss` bytes; `new_data` says whether
    /// unsent data exists and the peer's window allows some of it.
    pub fn next_seg(
        &self,
        una: SeqNumber,
        high_data: SeqNumber,
        smss: usize,
        new_data: bool,
    ) -> NextSeg {
        // (1) The lowest unSACKed, not yet retransmitted byte that IsLost.
        if let Some(boundary) = self.lost_boundary(smss) {
            if let Some(hole) = self.scoreboard.next_unsent_hole(una, boundary, smss) {
                return NextSeg::Retransmit(hole);
            }
        }
        // (2) New data.
        if new_data {
            return NextSeg::NewData;
        }
        // (3) An unSACKed byte below the highest SACKed one, not lost yet.
        if let Some(highest) = self.scoreboard.sacked().last() {
            if let Some(hole) = self.scoreboard.next_unsent_hole(una, highest.start, smss) {
                return NextSeg::Retransmit(hole);
            }
        }
        // (4) One rescue retransmission per recovery, ending at the highest unSACKed byte.
        if self.rescue_rxt.is_none_or(|r| una > r) {
            let top = match self.scoreboard.sacked().last() {
                Some(r) if r.end == high_data => r.start,
                _ => high_data,
            };
            if una < top {
                let len = top.bytes_since(una).unwrap_or(0).min(smss);
                let start = top - len;
                // Stay clear of a SACKed range below `top`.
                let start = self
                    .scoreboard
                    .sacked()
                    .iter()
                    .filter(|r| r.end <= top && r.end > start)
                    .map(|r| r.end)
                    .fold(start, SeqNumber::max);
                if start < top {
                    return NextSeg::Rescue(SeqRange { start, end: top });
                }
            }
        }
        NextSeg::Nothing
    }

    /// A retransmission of `range` went out at `now` while HighData was `high_data`.
    /// The first of a recovery (step 4.3) also sets RescueRxt; a rescue (rule 4) sets
    /// RescueRxt to RecoveryPoint and is not remembered as retransmitted.
    pub fn on_retransmit(
        &mut self,
        range: SeqRange,
        high_data: SeqNumber,
        now: Instant,
        kind: Retransmission,
    ) {
        match kind {
            Retransmission::First => {
                self.rescue_rxt = Some(range.end);
                self.scoreboard.on_retransmit(range, high_data, now);
            }
            Retransmission::Hole => self.scoreboard.on_retransmit(range, high_data, now),
            Retransmission::Rescue => self.rescue_rxt = self.recovery_point,
        }
    }

    /// The retransmission timer expired (B4.15, B4.9): recovery ends, RecoveryPoint
    /// becomes HighData, the scoreboard is cleared; the congestion controller collapses
    /// its window. With `resend_by_scoreboard`, what is outstanding is then resent by
    /// NextSeg() (see [`sends_by_scoreboard`](Self::sends_by_scoreboard)); without it
    /// (a SYN, say) the socket goes back to SND.UNA itself.
    pub fn on_rto<C: CongestionControl>(
        &mut self,
        cc: &mut C,
        high_data: SeqNumber,
        in_flight: usize,
        resend_by_scoreboard: bool,
    ) {
        self.scoreboard.clear();
        self.dup_acks = 0;
        self.in_recovery = false;
        self.probe_lost = None;
        // RFC 8985 §6.3: everything outstanding is lost now (RecoveryPoint below).
        self.rack.lost = None;
        self.rack.deadline = None;
        self.after_rto = resend_by_scoreboard;
        self.recovery_point = Some(high_data);
        // Everything is resent after a timeout: no rescue retransmission (rule 4).
        self.rescue_rxt = Some(high_data);
        cc.on_rto(in_flight);
    }
}

/// Which kind of retransmission [`SackRecovery::on_retransmit`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retransmission {
    /// The segment at HighACK + 1 when recovery begins (step 4.3).
    First,
    /// NextSeg rule (1) or (3).
    Hole,
    /// NextSeg rule (4).
    Rescue,
}

pub mod rack;
#[cfg(test)]
mod tests;
