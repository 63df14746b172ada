//! RACK, the time-based half of RFC 8985 (§6; CONFORMANCE B5.1–B5.3): a segment is lost
//! once a segment sent after it was delivered (cumulatively ACKed or SACKed) and
//! `RACK.rtt + reo_wnd` have passed since it was sent; until then a reordering timer
//! waits for the rest of its window.
//!
//! # Bookkeeping and its granularity
//!
//! First transmissions are remembered in [`SendTimes`]: up to [`SEND_RECORDS`] records
//! of (end of sequence space, send time), in sequence order, one per segment sent. When
//! more are in flight than that, neighbouring records are merged in pairs and keep the
//! later time, so a record may then cover two, four, ... segments (the oldest records
//! the most, as each pass halves all of them) and is judged by its newest one: never
//! earlier than per segment, possibly later. Send times of first transmissions grow
//! with sequence numbers, so the segments RACK judges lost always form a prefix: the
//! result is a boundary below which every unSACKed byte is lost, like RFC 6675's IsLost.
//! Retransmissions keep their own send times in the scoreboard's retransmitted ranges
//! (the lost-retransmission rule there is RACK's rule for them). A tail loss probe that
//! resends the highest segment re-stamps the top records; a go-back-N resend (after a
//! path MTU drop) forgets the records above it until they are sent again.
//!
//! # Cost
//!
//! Per segment sent: one record written (a merge pass over [`SEND_RECORDS`] entries once
//! every `SEND_RECORDS / 2` segments while more are in flight). Per ACK that delivers
//! nothing and carries no D-SACK: nothing (the caller skips RACK). Per ACK without loss: the
//! records the ACK covers are dropped, the send time of its highest byte is read from the
//! last of them, and one comparison with the oldest record left shows that nothing was
//! sent before the delivered segment, so no walk follows. Only when a record older than
//! the latest delivered segment is outstanding (loss or reordering) are the records
//! walked, oldest first, up to the first one not yet due: at most [`SEND_RECORDS`], each
//! checked against the scoreboard's ranges.
//!
//! # reo_wnd (§6.2 step 4, B5.3)
//!
//! `min(reo_wnd_mult · min_RTT / 4, SRTT)`, with min_RTT a windowed minimum
//! ([`MinRtt`], over [`MIN_RTT_WINDOW`]) of RACK's own RTT samples from first
//! transmissions. It is 0 before any reordering was seen while in recovery or once
//! DupThresh segments are SACKed. A D-SACK (RFC 2883: the first SACK block lies below the
//! cumulative ACK or inside the second block) raises the multiplier by one, at most once
//! per round trip; sixteen recoveries without a D-SACK set it back to one.

use super::{SackRecovery, SeqRange, before};
use crate::time::{Duration, Instant};
use crate::wire::SeqNumber;

/// How many send records [`SendTimes`] keeps (B4.8-style bound: no heap).
pub const SEND_RECORDS: usize = 64;

/// The window of the min_RTT filter.
pub const MIN_RTT_WINDOW: Duration = Duration::from_secs(10);

/// Recoveries without a D-SACK after which reo_wnd's multiplier returns to 1 (§6.2).
const REO_WND_PERSIST: u32 = 16;

/// The largest reo_wnd multiplier (reo_wnd is capped at SRTT anyway).
const REO_WND_MULT_MAX: u32 = 64;

/// One first transmission (or a run of them, after merging): the sequence space up to
/// `end` since the previous record, sent from `first_sent` to `sent`. A record is judged
/// lost by its latest time, and serves as the delivered reference by its earliest, so a
/// merged record errs towards waiting either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct SendRecord {
    end: SeqNumber,
    first_sent: Instant,
    sent: Instant,
}

/// Send times of first transmissions between SND.UNA and SND.NXT, in a fixed ring.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendTimes {
    /// Where the oldest record starts.
    start: SeqNumber,
    records: [SendRecord; SEND_RECORDS],
    head: usize,
    len: usize,
}

impl Default for SendTimes {
    fn default() -> Self {
        SendTimes {
            start: SeqNumber(0),
            records: [SendRecord {
                end: SeqNumber(0),
                first_sent: Instant::ZERO,
                sent: Instant::ZERO,
            }; SEND_RECORDS],
            head: 0,
            len: 0,
        }
    }
}

impl SendTimes {
    fn at(&self, i: usize) -> Option<SendRecord> {
        if i >= self.len {
            return None;
        }
        self.records.get((self.head + i) % SEND_RECORDS).copied()
    }

    fn at_mut(&mut self, i: usize) -> Option<&mut SendRecord> {
        if i >= self.len {
            return None;
        }
        self.records.get_mut((self.head + i) % SEND_RECORDS)
    }

    /// The records, oldest first, each with where it starts.
    fn iter(&self) -> impl Iterator<Item = (SeqNumber, SendRecord)> + '_ {
        let mut start = self.start;
        (0..self.len).filter_map(move |i| {
            let r = self.at(i)?;
            let s = start;
            start = r.end;
            Some((s, r))
        })
    }

    fn last_end(&self) -> Option<SeqNumber> {
        self.len
            .checked_sub(1)
            .and_then(|i| self.at(i))
            .map(|r| r.end)
    }

    /// `[seq, end)` was sent at `now`: new data is appended; a resend below the newest
    /// record (a tail loss probe, a go-back-N resend) drops what lies above `seq` first.
    pub fn on_send(&mut self, seq: SeqNumber, end: SeqNumber, now: Instant) {
        if !before(seq, end) {
            return;
        }
        match self.last_end() {
            None => self.start = seq,
            Some(last) if seq > last || seq < self.start => {
                self.len = 0;
                self.start = seq;
            }
            Some(_) => self.truncate(seq),
        }
        if self.len == SEND_RECORDS {
            self.merge_pairs();
        }
        if let Some(slot) = self.records.get_mut((self.head + self.len) % SEND_RECORDS) {
            *slot = SendRecord {
                end,
                first_sent: now,
                sent: now,
            };
            self.len += 1;
        }
    }

    /// Forgets everything at or above `seq` (a record across it is cut there).
    fn truncate(&mut self, seq: SeqNumber) {
        while let Some(i) = self.len.checked_sub(1) {
            let Some(r) = self.at(i) else { break };
            let start = match i.checked_sub(1).and_then(|j| self.at(j)) {
                Some(prev) => prev.end,
                None => self.start,
            };
            if start >= seq {
                self.len = i;
            } else {
                if r.end > seq {
                    if let Some(r) = self.at_mut(i) {
                        r.end = seq;
                    }
                }
                break;
            }
        }
        if self.len == 0 {
            self.start = seq;
        }
    }

    /// Halves the resolution: each pair of neighbours becomes one record with the later
    /// send time.
    fn merge_pairs(&mut self) {
        let pairs = self.len / 2;
        for k in 0..pairs {
            let (Some(older), Some(newer)) = (self.at(2 * k), self.at(2 * k + 1)) else {
                break;
            };
            if let Some(slot) = self.at_mut(k) {
                *slot = SendRecord {
                    first_sent: older.first_sent,
                    ..newer
                };
            }
        }
        if self.len % 2 == 1 {
            if let (Some(last), Some(slot)) = (self.at(self.len - 1), self.at_mut(pairs)) {
                *slot = last;
            }
            self.len = pairs + 1;
        } else {
            self.len = pairs;
        }
    }

    /// SND.UNA moved to `una`: drops the records it covers and returns the (earliest)
    /// send time of the one that held `una − 1`, if it was recorded.
    pub fn advance(&mut self, una: SeqNumber) -> Option<Instant> {
        if !before(self.start, una) {
            return None;
        }
        let mut covered = None;
        while let Some(r) = self.at(0) {
            if r.end > una {
                covered = covered.or(Some(r.first_sent));
                break;
            }
            if r.end == una {
                covered = Some(r.first_sent);
            }
            self.head = (self.head + 1) % SEND_RECORDS;
            self.len -= 1;
        }
        self.start = una;
        covered
    }

    /// The (earliest) send time of the record that holds `seq`.
    fn sent_at(&self, seq: SeqNumber) -> Option<Instant> {
        self.iter()
            .find(|(start, r)| *start <= seq && seq < r.end)
            .map(|(_, r)| r.first_sent)
    }

    /// The invariants: records within `[una, high_data]`, ends and times ascending.
    pub fn check(&self, una: SeqNumber, high_data: SeqNumber) -> Result<(), &'static str> {
        let mut prev: Option<SendRecord> = None;
        for (start, r) in self.iter() {
            if !before(start, r.end) || r.end > high_data || r.end <= una {
                return Err("send record outside SND.UNA..SND.NXT or empty");
            }
            if prev.is_some_and(|p| p.sent > r.sent) {
                return Err("send records out of time order");
            }
            prev = Some(r);
        }
        Ok(())
    }
}

/// A windowed minimum of RTT samples: the least sample of each of four quarters of
/// [`MIN_RTT_WINDOW`]; the minimum is the least of the quarters not older than the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MinRtt {
    /// (index of the quarter, its least sample), newest last.
    quarters: [Option<(u64, Duration)>; 4],
}

impl MinRtt {
    fn quarter_of(now: Instant) -> u64 {
        let quarter = (MIN_RTT_WINDOW.total_micros() / 4).max(1);
        u64::try_from(now.total_micros()).unwrap_or(0) / quarter
    }

    /// Takes one sample at `now`.
    pub fn on_sample(&mut self, now: Instant, rtt: Duration) {
        let q = Self::quarter_of(now);
        match self.quarters.last_mut() {
            Some(Some((last, min))) if *last == q => *min = (*min).min(rtt),
            _ => {
                self.quarters.rotate_left(1);
                if let Some(slot) = self.quarters.last_mut() {
                    *slot = Some((q, rtt));
                }
            }
        }
    }

    /// min_RTT at `now`, if a sample lies within the window.
    pub fn get(&self, now: Instant) -> Option<Duration> {
        let q = Self::quarter_of(now);
        self.quarters
            .iter()
            .flatten()
            .filter(|(at, _)| q.saturating_sub(*at) < 4)
            .map(|&(_, min)| min)
            .min()
    }
}

/// RACK's state (RFC 8985 §6.1 names in the field docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rack {
    pub(super) times: SendTimes,
    min_rtt: MinRtt,
    /// RACK.xmit_ts and RACK.end_seq: the latest-sent segment delivered so far.
    latest: Option<(Instant, SeqNumber)>,
    /// RACK.rtt: the RTT of that segment.
    rtt: Duration,
    /// RACK.fack: the highest sequence number delivered.
    fack: Option<SeqNumber>,
    /// RACK.reordering_seen.
    reordering_seen: bool,
    /// RACK.reo_wnd_mult.
    reo_wnd_mult: u32,
    /// RACK.reo_wnd_persist.
    reo_wnd_persist: u32,
    /// RACK.dsack_round: SND.NXT when the multiplier last grew.
    dsack_round: Option<SeqNumber>,
    /// Every unSACKed byte below this was judged lost by RACK.
    pub(super) lost: Option<SeqNumber>,
    /// When the oldest segment sent before RACK.xmit_ts and not yet lost becomes lost.
    pub(super) deadline: Option<Instant>,
}

impl Default for Rack {
    fn default() -> Self {
        Rack {
            times: SendTimes::default(),
            min_rtt: MinRtt::default(),
            latest: None,
            rtt: Duration::ZERO,
            fack: None,
            reordering_seen: false,
            reo_wnd_mult: 1,
            reo_wnd_persist: 0,
            dsack_round: None,
            lost: None,
            deadline: None,
        }
    }
}

impl Rack {
    /// Whether reordering was seen (a segment delivered below RACK.fack that was never
    /// retransmitted).
    pub fn reordering_seen(&self) -> bool {
        self.reordering_seen
    }

    /// RACK.reo_wnd_mult.
    pub fn reo_wnd_mult(&self) -> u32 {
        self.reo_wnd_mult
    }

    /// min_RTT at `now`.
    pub fn min_rtt(&self, now: Instant) -> Option<Duration> {
        self.min_rtt.get(now)
    }

    /// A D-SACK arrived while SND.UNA was `una` and SND.NXT `high_data` (§6.2 step 4):
    /// the multiplier grows once per round trip.
    fn on_dsack(&mut self, una: SeqNumber, high_data: SeqNumber) {
        if self.dsack_round.is_some_and(|r| una >= r) {
            self.dsack_round = None;
        }
        if self.dsack_round.is_none() {
            self.dsack_round = Some(high_data);
            self.reo_wnd_mult = (self.reo_wnd_mult + 1).min(REO_WND_MULT_MAX);
            self.reo_wnd_persist = REO_WND_PERSIST;
        }
    }

    /// A recovery (fast or after a timeout) ended without a D-SACK since the last one
    /// widened the window: after sixteen such, the multiplier returns to 1.
    pub(super) fn on_recovery_end(&mut self) {
        self.reo_wnd_persist = self.reo_wnd_persist.saturating_sub(1);
        if self.reo_wnd_persist == 0 {
            self.reo_wnd_mult = 1;
        }
    }
}

/// What an ACK delivered, as [`SackRecovery::rack_on_ack`] needs it.
pub(super) struct Delivery {
    /// SND.UNA before the ACK, and SEG.ACK.
    pub una: SeqNumber,
    pub ack: SeqNumber,
    /// The send time of the record that held `ack − 1`, when the ACK advanced SND.UNA.
    pub cumulative_sent: Option<Instant>,
    /// The byte at `una` was retransmitted in this recovery.
    pub una_rexmit: bool,
    /// When `ack − 1` was last retransmitted, if it was.
    pub ack_rexmit_sent: Option<Instant>,
    /// The highest end of the SACK blocks that SACKed new bytes.
    pub sacked_end: Option<SeqNumber>,
    /// A newly SACKed block ended below RACK.fack (before this ACK).
    pub sacked_below_fack: bool,
    /// The first SACK block was a D-SACK.
    pub dsack: bool,
    pub high_data: SeqNumber,
    pub smss: usize,
    pub srtt: Option<Duration>,
}

impl SackRecovery {
    /// RACK's view of a range: its send time if it was retransmitted in this recovery.
    fn rexmit_sent(&self, seq: SeqNumber) -> Option<Instant> {
        self.scoreboard.rexmit_at(seq).map(|x| x.sent)
    }

    /// RFC 8985 §6.2 steps 1–5 for one ACK, after the scoreboard took its blocks:
    /// update RACK.xmit_ts / end_seq / rtt, min_RTT, reordering and the D-SACK
    /// multiplier; then, if a segment sent before the latest delivered one is still
    /// outstanding, mark what is overdue lost and note when the next becomes so.
    pub(super) fn rack_on_ack(&mut self, now: Instant, d: &Delivery) {
        let old_fack = self.rack.fack;
        // Step 3: a byte delivered below RACK.fack that was never retransmitted arrived
        // after a later one: reordering.
        let cumulative = d.ack > d.una;
        let filled_below = cumulative && old_fack.is_some_and(|f| d.una < f) && !d.una_rexmit;
        if filled_below || d.sacked_below_fack {
            self.rack.reordering_seen = true;
        }
        if self.rack.dsack_round.is_some_and(|r| d.ack >= r) {
            // Forget the round once SND.UNA passed it, before 2^31 bytes make it look
            // ahead again.
            self.rack.dsack_round = None;
        }
        if d.dsack {
            self.rack.on_dsack(d.una, d.high_data);
        }
        // Step 2: the latest-sent delivered segment. First transmissions are sent in
        // sequence order, so the highest delivered byte is the latest of them; a
        // retransmission counts with its own time unless its ACK came sooner than
        // min_RTT (it may answer the original).
        let min_rtt = self.rack.min_rtt.get(now);
        let mut candidates = [None, None];
        if cumulative {
            candidates[0] = match d.ack_rexmit_sent {
                Some(t) => Some((t, d.ack, true)),
                None => d.cumulative_sent.map(|t| (t, d.ack, false)),
            };
        }
        if let Some(end) = d.sacked_end {
            let last = end - 1;
            candidates[1] = match self.rexmit_sent(last) {
                Some(t) => Some((t, end, true)),
                None => self.rack.times.sent_at(last).map(|t| (t, end, false)),
            };
        }
        for (sent, end, retransmitted) in candidates.into_iter().flatten() {
            let rtt = now.saturating_duration_since(sent);
            if retransmitted && min_rtt.is_some_and(|m| rtt < m) {
                continue;
            }
            if !retransmitted {
                self.rack.min_rtt.on_sample(now, rtt);
            }
            let newer = match self.rack.latest {
                Some((t, e)) => sent > t || (sent == t && end > e),
                None => true,
            };
            if newer {
                self.rack.latest = Some((sent, end));
                self.rack.rtt = rtt;
            }
        }
        let delivered_end = d.sacked_end.into_iter().chain(cumulative.then_some(d.ack));
        for end in delivered_end {
            if self.rack.fack.is_none_or(|f| end > f) {
                self.rack.fack = Some(end);
            }
        }
        if self.rack.lost.is_some_and(|l| l <= d.ack) {
            self.rack.lost = None;
        }
        self.rack_detect_loss(now, d.ack, d.smss, d.srtt);
    }

    /// reo_wnd (RFC 8985 §6.2 step 4) at `now`, for a sender MSS of `smss`.
    pub fn reo_wnd(&self, now: Instant, smss: usize, srtt: Option<Duration>) -> Duration {
        if !self.rack.reordering_seen {
            let sacked_segments = self.scoreboard.sacked_bytes() / smss.max(1);
            if self.sends_by_scoreboard() || sacked_segments >= super::DUP_THRESH as usize {
                return Duration::ZERO;
            }
        }
        let base = self.rack.min_rtt.get(now).unwrap_or(self.rack.rtt) / 4;
        let wnd = base.saturating_mul(self.rack.reo_wnd_mult);
        let wnd = match srtt {
            Some(s) => wnd.min(s),
            None => wnd,
        };
        // A window is at least the clock granularity of a caller that polls every
        // millisecond or so: with an RTT sample near zero, an ACK already on its way
        // would otherwise find a segment "reordered" past its window.
        wnd.max(super::REO_WND_FLOOR)
    }

    /// §6.2 step 5: walks the records sent before RACK.xmit_ts, oldest first, marking
    /// those whose window has passed lost (they form a prefix) and noting the deadline of
    /// the first that has not. Nothing to walk unless the oldest record was sent before
    /// the latest delivered segment: the no-loss path costs one comparison.
    pub(super) fn rack_detect_loss(
        &mut self,
        now: Instant,
        una: SeqNumber,
        smss: usize,
        srtt: Option<Duration>,
    ) {
        self.rack.deadline = None;
        let Some((xmit, end_seq)) = self.rack.latest else {
            return;
        };
        let sent_before = |r: &SendRecord| r.sent < xmit || (r.sent == xmit && r.end <= end_seq);
        if !self.rack.times.at(0).is_some_and(|r| sent_before(&r)) {
            return;
        }
        let window = self.rack.rtt.saturating_add(self.reo_wnd(now, smss, srtt));
        let mut lost = self.rack.lost.filter(|&l| l > una);
        let mut deadline = None;
        for (start, r) in self.rack.times.iter() {
            if !sent_before(&r) {
                break;
            }
            if lost.is_some_and(|l| r.end <= l) || self.scoreboard.unsacked_in(start, r.end) == 0 {
                continue;
            }
            let due = r.sent.saturating_add(window);
            if due <= now {
                lost = Some(r.end);
            } else {
                deadline = Some(due);
                break;
            }
        }
        self.rack.lost = lost;
        self.rack.deadline = deadline;
    }

    /// RACK.fack.
    pub(super) fn rack_fack(&self) -> Option<SeqNumber> {
        self.rack.fack
    }

    /// RACK's first loss boundary, if any byte at or above `una` is lost by it.
    pub(super) fn rack_lost(&self) -> Option<SeqNumber> {
        self.rack.lost
    }

    /// The D-SACK test of RFC 2883 §4 on the first two blocks of an ACK.
    pub(super) fn is_dsack(first: SeqRange, second: Option<SeqRange>, ack: SeqNumber) -> bool {
        first.end <= ack || second.is_some_and(|s| s.start <= first.start && first.end <= s.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(n: u32) -> SeqNumber {
        SeqNumber(n)
    }

    #[test]
    fn send_times_stay_bounded_by_merging_neighbours_and_keep_the_later_time() {
        // B5.1 with a bound: 200 segments in flight in 64 records; a merged record is
        // judged by its newest segment, never earlier than per segment.
        let mut t = SendTimes::default();
        for i in 0..200u32 {
            t.on_send(
                s(i * 100),
                s(i * 100 + 100),
                Instant::from_millis(i64::from(i)),
            );
            assert!(t.len <= SEND_RECORDS);
            t.check(s(0), s(i * 100 + 100)).unwrap();
        }
        assert_eq!(t.sent_at(s(19_999)), Some(Instant::from_millis(199)));
        // Each merge pass halves every record's resolution, so the oldest are the
        // coarsest: here the first record covers 32 segments, judged by the last.
        assert_eq!(t.sent_at(s(0)), Some(Instant::ZERO));
        assert_eq!(t.at(0).map(|r| r.sent), Some(Instant::from_millis(31)));
        // The cumulative ACK drops what it covers and tells when its last byte left.
        let at = t.advance(s(10_000)).unwrap();
        assert!(at <= Instant::from_millis(99) && at >= Instant::from_millis(64));
        t.check(s(10_000), s(20_000)).unwrap();
        assert_eq!(t.sent_at(s(9_999)), None);
    }

    #[test]
    fn a_resend_of_the_top_restamps_it_and_a_go_back_resend_forgets_what_lies_above() {
        let mut t = SendTimes::default();
        for i in 0..4u32 {
            t.on_send(s(i * 100), s(i * 100 + 100), Instant::ZERO);
        }
        // A tail loss probe resends 350..400.
        t.on_send(s(350), s(400), Instant::from_millis(5));
        assert_eq!(t.sent_at(s(349)), Some(Instant::ZERO));
        assert_eq!(t.sent_at(s(350)), Some(Instant::from_millis(5)));
        // A go-back-N resend from 100.
        t.on_send(s(100), s(150), Instant::from_millis(9));
        assert_eq!(t.sent_at(s(120)), Some(Instant::from_millis(9)));
        assert_eq!(t.sent_at(s(200)), None);
        t.check(s(0), s(400)).unwrap();
    }

    #[test]
    fn min_rtt_is_the_least_sample_within_the_window() {
        let ms = Duration::from_millis;
        let mut m = MinRtt::default();
        assert_eq!(m.get(Instant::ZERO), None);
        m.on_sample(Instant::from_secs(1), ms(30));
        m.on_sample(Instant::from_secs(2), ms(20));
        m.on_sample(Instant::from_secs(6), ms(50));
        assert_eq!(m.get(Instant::from_secs(6)), Some(ms(20)));
        // Ten seconds on, the 20 ms sample has aged out; the 50 ms one has not.
        m.on_sample(Instant::from_secs(13), ms(60));
        assert_eq!(m.get(Instant::from_secs(13)), Some(ms(50)));
        assert_eq!(m.get(Instant::from_secs(40)), None);
    }
}
