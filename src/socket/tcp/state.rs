//! Segment arrival: RFC 9293 §3.10.7, one `match` over (state, segment kind) in
//! [`Socket::process`], then the synchronized-state steps in the RFC's order
//! (PAWS, acceptability, RST, SYN, ACK, text, FIN).

use core::net::SocketAddr;

use super::options::{self, MAX_WINDOW_SHIFT};
use super::timer::Timer;
use super::{
    CloseReason, CongestionControl, PAWS_IDLE_LIMIT, Socket, State, TcpContext, Timestamps,
};
use crate::time::{Duration, Instant};
use crate::wire::{IpAddress, SeqNumber, TcpFlags, TcpRepr};

/// The control bits of an arriving segment that decide its first branch in §3.10.7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum SegmentKind {
    /// RST set (whatever else is).
    Rst,
    /// SYN without ACK.
    Syn,
    /// SYN with ACK.
    SynAck,
    /// ACK without SYN or RST.
    Ack,
    /// None of SYN, ACK, RST (e.g. a bare FIN or a null segment).
    Bare,
}

impl SegmentKind {
    pub(super) fn of(repr: &TcpRepr<'_>) -> SegmentKind {
        let ack = repr.ack_number.is_some();
        match (repr.is_rst(), repr.is_syn(), ack) {
            (true, _, _) => SegmentKind::Rst,
            (false, true, false) => SegmentKind::Syn,
            (false, true, true) => SegmentKind::SynAck,
            (false, false, true) => SegmentKind::Ack,
            (false, false, false) => SegmentKind::Bare,
        }
    }
}

/// The verdict of the acceptability test (CORE-3, CORE-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Acceptance {
    /// Process everything.
    Accept,
    /// RCV.WND is 0 and the segment sits at RCV.NXT: process its ACK and RST, not its
    /// data (CORE-5, MUST-66).
    ControlsOnly,
    /// Unacceptable.
    Reject,
}

/// CORE-7: the RST that answers `repr` when no connection owns it:
/// `<SEQ=SEG.ACK><CTL=RST>`, or `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
pub(crate) fn rst_reply(repr: &TcpRepr<'_>) -> TcpRepr<'static> {
    let (seq, ack) = match repr.ack_number {
        Some(ack) => (ack, None),
        None => (SeqNumber(0), Some(repr.seq_number + repr.segment_len())),
    };
    let mut flags = TcpFlags::RST;
    flags.set(TcpFlags::ACK, ack.is_some());
    TcpRepr {
        src_port: repr.dst_port,
        dst_port: repr.src_port,
        flags,
        seq_number: seq,
        ack_number: ack,
        window_len: 0,
        window_scale: None,
        max_seg_size: None,
        sack_permitted: false,
        sack_ranges: [None; 4],
        timestamp: None,
        urgent_pointer: 0,
        payload: &[],
    }
}

impl Socket<'_> {
    /// Feeds one segment that the interface demultiplexed to this socket (for a
    /// listener: a segment to its port) and that passed the checksum (MUST-3). Returns
    /// an empty segment to send back at once from `dst` to `src` (a RST, a challenge
    /// ACK, or the ACK for an unacceptable segment); data and ordinary ACKs go out
    /// through `dispatch`. Never panics, whatever the segment.
    pub(crate) fn process(
        &mut self,
        cx: &TcpContext,
        src: IpAddress,
        dst: IpAddress,
        repr: &TcpRepr<'_>,
    ) -> Option<TcpRepr<'static>> {
        self.counters.segments_in = self.counters.segments_in.wrapping_add(1);
        let kind = SegmentKind::of(repr);
        let reply = match (self.state, kind) {
            // CORE-7: no TCB. An arriving RST is dropped; anything else draws a RST.
            (State::Closed, SegmentKind::Rst) => None,
            (State::Closed, _) => Some(rst_reply(repr)),
            // CORE-8: LISTEN. RST ignored; any ACK (also on a SYN) draws a RST before the
            // SYN check; a SYN opens; the rest is dropped.
            (State::Listen, SegmentKind::Rst) => None,
            (State::Listen, SegmentKind::Ack | SegmentKind::SynAck) => Some(rst_reply(repr)),
            // B11.2: a listener whose backlog is full drops the SYN silently (the peer
            // retransmits it) instead of refusing the connection.
            (State::Listen, SegmentKind::Syn) if !self.syn_accepting => {
                self.counters.syns_dropped = self.counters.syns_dropped.wrapping_add(1);
                None
            }
            (State::Listen, SegmentKind::Syn) => {
                self.accept_syn(cx, src, dst, repr);
                None
            }
            (State::Listen, SegmentKind::Bare) => None,
            // CORE-9: SYN-SENT.
            (State::SynSent, _) => self.process_syn_sent(cx, kind, repr),
            // §3.10.7.4: SYN-RECEIVED and every synchronized state.
            (
                State::SynReceived
                | State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
                | State::Closing
                | State::LastAck
                | State::TimeWait,
                _,
            ) => self.process_synchronized(cx, kind, repr),
        };
        if reply.is_some() {
            self.counters.segments_out = self.counters.segments_out.wrapping_add(1);
        }
        self.update_idle_timers(cx.now);
        reply
    }

    /// CORE-8: a SYN to our listener. Records the peer, picks the ISS (B9) and moves to
    /// SYN-RECEIVED; the SYN-ACK goes out at the next dispatch.
    fn accept_syn(&mut self, cx: &TcpContext, src: IpAddress, dst: IpAddress, repr: &TcpRepr<'_>) {
        // MUST-57/63: a SYN to or from a group, or from the unspecified address, is
        // silently discarded.
        let group = |a: IpAddress| match a {
            IpAddress::V4(a) => a.is_multicast() || a.is_broadcast(),
            IpAddress::V6(a) => a.is_multicast(),
        };
        if group(src) || group(dst) || src.is_unspecified() {
            return;
        }
        let local = SocketAddr::new(dst, repr.dst_port);
        let remote = SocketAddr::new(src, repr.src_port);
        let listen = self.listen_endpoint;
        let config = self.config;
        self.reset_connection();
        self.listen_endpoint = listen;
        self.config = config;
        self.local = Some(local);
        self.remote = Some(remote);
        self.passive = true;
        self.iss = options::initial_seq_number(cx.isn_key, cx.now, local, remote);
        self.snd_una = self.iss;
        self.snd_nxt = self.iss;
        self.snd_max = self.iss;
        self.local_mss = usize::from(self.config.mss.min(cx.mss));
        // Offer back only what the peer offered (B3.1, B3.6, RFC 2018 §2).
        self.ws_ok = self.config.window_scale && repr.window_scale.is_some();
        self.rcv_shift = if self.ws_ok {
            options::window_shift_for(self.rx_buffer.capacity())
        } else {
            0
        };
        self.timestamps =
            (self.config.timestamps && repr.timestamp.is_some()).then(|| Timestamps {
                recent: 0,
                recent_at: cx.now,
                offset: options::timestamp_offset(cx.isn_key, local, remote),
            });
        self.sack_ok = self.config.sack;
        self.ecn_on_syn(repr);
        self.learn_syn(cx, repr);
        self.state = State::SynReceived;
        self.arm_user_timeout(cx.now);
        // CORE-21: data on the SYN is kept, not discarded. (A FIN on a SYN is not
        // processed here; the peer sends it again.)
        self.accept_text(cx.now, repr.seq_number + 1, repr.payload);
    }

    /// Takes what a SYN (or SYN-ACK) tells us: IRS, the peer's MSS, window scale,
    /// timestamps and SACK-permitted (MUST-14/15, B3.1/B3.2/B3.6).
    fn learn_syn(&mut self, cx: &TcpContext, repr: &TcpRepr<'_>) {
        self.irs = repr.seq_number;
        self.rcv_nxt = repr.seq_number + 1;
        self.last_ack_sent = self.rcv_nxt;
        // B3.3: the window of a SYN is never scaled; we advertised (or will advertise)
        // at most 65535 on ours.
        let initial = self.rx_buffer.window().min(options::MAX_WINDOW_FIELD);
        self.rcv_edge = self.rcv_nxt + initial;
        let remote_ip = self
            .remote
            .map(|r| r.ip())
            .unwrap_or(IpAddress::V4(crate::wire::Ipv4Address::UNSPECIFIED));
        // Linux's floor of 88 bytes keeps a hostile MSS of 0 or 1 from making
        // one segment per byte.
        self.remote_mss = repr
            .max_seg_size
            .map_or(options::default_send_mss(remote_ip), usize::from)
            .max(88);
        self.path_mss = usize::from(cx.mss).max(88);
        self.iface_mss = self.path_mss;
        self.pmtu_lowered_at = None;
        match (self.config.window_scale, repr.window_scale) {
            (true, Some(shift)) => {
                // B3.2: a shift above 14 is treated as 14.
                self.snd_shift = shift.min(MAX_WINDOW_SHIFT);
            }
            _ => {
                self.snd_shift = 0;
                self.rcv_shift = 0;
                self.ws_ok = false;
            }
        }
        match (&mut self.timestamps, repr.timestamp) {
            (Some(ts), Some(seg)) => {
                ts.recent = seg.tsval;
                ts.recent_at = cx.now;
            }
            _ => self.timestamps = None,
        }
        self.sack_ok = self.sack_ok && repr.sack_permitted;
        if !self.sack_ok {
            // A SYN timeout recorded a RecoveryPoint while SACK was only offered: the
            // connection goes on without RFC 6675, so drop what it left behind.
            self.sack = Default::default();
        }
        self.snd_wnd = usize::from(repr.window_len);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = repr.seq_number;
        self.cc.set_mss(self.send_mss());
    }

    /// CORE-9: a segment in SYN-SENT.
    fn process_syn_sent(
        &mut self,
        cx: &TcpContext,
        kind: SegmentKind,
        repr: &TcpRepr<'_>,
    ) -> Option<TcpRepr<'static>> {
        if let Some(ack) = repr.ack_number {
            // An ACK at or below ISS, or above what we sent, draws `<SEQ=SEG.ACK><RST>`
            // (or nothing if it is itself a RST).
            if ack <= self.iss || ack > self.snd_max {
                return (kind != SegmentKind::Rst).then(|| rst_reply(repr));
            }
        }
        match kind {
            // Honoured only with an acceptable ACK: "connection refused".
            SegmentKind::Rst if repr.ack_number.is_some() => {
                self.enter_closed(Some(CloseReason::Refused));
                None
            }
            SegmentKind::SynAck => {
                let ack = repr.ack_number.unwrap_or(self.snd_una);
                self.after_handshake();
                self.learn_syn(cx, repr);
                self.ecn_on_syn_ack(repr);
                self.snd_wl2 = ack;
                self.ack_new_data(cx.now, repr, ack);
                self.state = State::Established;
                self.ack_promptly();
                self.accept_text(cx.now, repr.seq_number + 1, repr.payload);
                None
            }
            // Simultaneous open (MUST-10): SYN-RECEIVED, and our SYN is sent again as a
            // SYN-ACK with the same ISS.
            SegmentKind::Syn => {
                self.learn_syn(cx, repr);
                self.ecn_on_crossed_syn(repr);
                self.state = State::SynReceived;
                self.snd_nxt = self.iss;
                self.timers.stop(Timer::Retransmit);
                self.rtt_probe = None;
                None
            }
            _ => None,
        }
    }

    /// RFC 9293 §3.10.7.4 for SYN-RECEIVED and the synchronized states.
    fn process_synchronized(
        &mut self,
        cx: &TcpContext,
        kind: SegmentKind,
        repr: &TcpRepr<'_>,
    ) -> Option<TcpRepr<'static>> {
        let now = cx.now;
        // SHLD-4 (RFC 6191), MAY-2: a new SYN for this 4-tuple ends TIME-WAIT when it
        // cannot belong to the old incarnation; the interface hands it on to a listener.
        if self.state == State::TimeWait && kind == SegmentKind::Syn && self.syn_reopens(repr) {
            self.counters.time_wait_reopened = self.counters.time_wait_reopened.wrapping_add(1);
            self.enter_closed(None);
            return None;
        }
        // B3.7: once timestamps are on, a non-RST segment without one is dropped
        // silently (it never aborts the connection).
        if kind != SegmentKind::Rst && self.timestamps.is_some() && repr.timestamp.is_none() {
            self.counters.dropped = self.counters.dropped.wrapping_add(1);
            return None;
        }
        // B3.12 PAWS: an old timestamp makes a non-RST segment unacceptable.
        if kind != SegmentKind::Rst && self.fails_paws(now, repr) {
            self.counters.dropped = self.counters.dropped.wrapping_add(1);
            return Some(self.ack_reply(now));
        }
        let acceptance = self.acceptability(repr);
        if acceptance == Acceptance::Reject {
            self.counters.dropped = self.counters.dropped.wrapping_add(1);
            self.note_duplicate(repr.seq_number, repr.payload.len());
            // CORE-12: a retransmitted FIN in TIME-WAIT restarts the 2·MSL timer.
            if self.state == State::TimeWait && repr.is_fin() {
                self.enter_time_wait(now);
            }
            // CORE-4: an ACK, unless it is a RST (dropped silently).
            return (kind != SegmentKind::Rst).then(|| self.ack_reply(now));
        }
        self.note_activity(now);
        match kind {
            SegmentKind::Rst => return self.process_rst(now, repr),
            // B8.5: a SYN in a synchronized state gets a challenge ACK. In a passive
            // SYN-RECEIVED it means the peer restarted: back to LISTEN (§3.10.7.4).
            SegmentKind::Syn | SegmentKind::SynAck => {
                if self.state == State::SynReceived && self.passive {
                    self.return_to_listen();
                    return None;
                }
                return self.challenge_ack(now);
            }
            // Without ACK, a segment is dropped (§3.10.7.4 fifth).
            SegmentKind::Bare => return None,
            SegmentKind::Ack => {}
        }
        let ack = repr.ack_number.unwrap_or(self.snd_una);
        if let Err(reply) = self.process_ack(now, repr, ack) {
            return reply;
        }
        // RFC 3168 §6.1.2 and §6.1.3: ECN-Echo for our sending, CE and CWR for our ACKs.
        self.ecn_on_ack(repr, ack);
        self.ecn_on_segment(cx.ecn, repr);
        self.update_ts_recent(now, repr);
        self.hold_user_timeout_while_window_closed();
        // Sixth, the URG bit (MUST-30..33, 62), also with a zero window (MUST-66).
        self.process_urgent(repr);
        match acceptance {
            Acceptance::Accept => self.process_text_and_fin(now, repr),
            // CORE-4: the text did not fit a zero window; the ACK tells the peer so.
            _ if repr.segment_len() > 0 => return Some(self.ack_reply(now)),
            _ => {}
        }
        None
    }

    /// RFC 6191 §2: whether a SYN in TIME-WAIT may open a new incarnation. With
    /// timestamps on both the old connection and the SYN: its TSval is above TS.Recent,
    /// or equal with an ISN above RCV.NXT. Otherwise (RFC 9293 §3.10.7.4, MAY-2): its
    /// ISN is above RCV.NXT, every sequence number the old connection used. Anything
    /// else keeps TIME-WAIT (and gets the B8.5 challenge ACK).
    fn syn_reopens(&self, repr: &TcpRepr<'_>) -> bool {
        let isn_above = repr.seq_number > self.rcv_nxt;
        match (self.timestamps, repr.timestamp) {
            (Some(ts), Some(seg)) => match (seg.tsval.wrapping_sub(ts.recent) as i32).signum() {
                1 => true,
                0 => isn_above,
                _ => false,
            },
            _ => isn_above,
        }
    }

    /// B3.12: PAWS, when timestamps were negotiated. B3.14: not against a TS.Recent
    /// older than [`PAWS_IDLE_LIMIT`]; after such an idle period the peer's clock may
    /// have wrapped past it.
    fn fails_paws(&self, now: Instant, repr: &TcpRepr<'_>) -> bool {
        match (self.timestamps, repr.timestamp) {
            (Some(ts), Some(seg)) => {
                (seg.tsval.wrapping_sub(ts.recent) as i32) < 0 && !ts_recent_expired(&ts, now)
            }
            _ => false,
        }
    }

    /// B3.10: TS.Recent follows the segment that our next ACK acknowledges; B3.14: an
    /// expired TS.Recent is replaced by that segment's TSval, older or not.
    fn update_ts_recent(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        let last_ack_sent = self.last_ack_sent;
        if let (Some(ts), Some(seg)) = (&mut self.timestamps, repr.timestamp) {
            let newer = (seg.tsval.wrapping_sub(ts.recent) as i32) >= 0;
            if (newer || ts_recent_expired(ts, now)) && repr.seq_number <= last_ack_sent {
                ts.recent = seg.tsval;
                ts.recent_at = now;
            }
        }
    }

    /// CORE-3 and CORE-5: the acceptability test, SEG.LEN counting SYN and FIN.
    fn acceptability(&self, repr: &TcpRepr<'_>) -> Acceptance {
        let wnd = self.rcv_wnd();
        let seq = repr.seq_number;
        let len = repr.segment_len();
        let wnd32 = u32::try_from(wnd).unwrap_or(u32::MAX);
        let ok = match (len, wnd) {
            (0, 0) => seq == self.rcv_nxt,
            (0, _) => seq.in_window(self.rcv_nxt, wnd32),
            (_, 0) => false,
            (_, _) => {
                seq.in_window(self.rcv_nxt, wnd32)
                    || (seq + (len - 1)).in_window(self.rcv_nxt, wnd32)
            }
        };
        match ok {
            true => Acceptance::Accept,
            // CORE-5 / MUST-66: a zero window still takes ACKs and RSTs at RCV.NXT.
            false if wnd == 0 && seq == self.rcv_nxt && !repr.is_syn() => Acceptance::ControlsOnly,
            false => Acceptance::Reject,
        }
    }

    /// RCV.WND as last advertised.
    pub(super) fn rcv_wnd(&self) -> usize {
        self.rcv_edge.bytes_since(self.rcv_nxt).unwrap_or(0)
    }

    /// B8.1–B8.3 and CORE-15: a RST that passed the acceptability test.
    fn process_rst(&mut self, now: Instant, repr: &TcpRepr<'_>) -> Option<TcpRepr<'static>> {
        if repr.seq_number != self.rcv_nxt {
            // B8.3: in the window but not exact: challenge ACK, no state change.
            return self.challenge_ack(now);
        }
        match self.state {
            // CORE-10: back to LISTEN if the connection came from a passive open.
            State::SynReceived if self.passive => self.return_to_listen(),
            State::SynReceived => self.enter_closed(Some(CloseReason::Refused)),
            // RFC 1337 F1 (B12.2): TIME-WAIT ignores RST, so that no stray RST can end
            // it early and let an old duplicate into the next incarnation.
            State::TimeWait => {}
            _ => self.enter_closed(Some(CloseReason::Reset)),
        }
        None
    }

    /// CORE-10: a passive SYN-RECEIVED that was reset goes back to LISTEN on its
    /// original endpoint, its retransmission queue flushed.
    pub(super) fn return_to_listen(&mut self) {
        let listen = self.listen_endpoint;
        self.reset_connection();
        self.listen_endpoint = listen;
        self.state = if listen.is_some() {
            State::Listen
        } else {
            State::Closed
        };
    }

    /// B8.7: a challenge ACK, unless this connection's budget for the current 5 s is
    /// spent (a per-connection budget avoids the CVE-2016-5696 side channel).
    fn challenge_ack(&mut self, now: Instant) -> Option<TcpRepr<'static>> {
        let (start, count) = self.challenge_window;
        let (start, count) = if now.saturating_duration_since(start) >= Duration::from_secs(5) {
            (now, 0)
        } else {
            (start, count)
        };
        if count >= self.config.challenge_ack_limit {
            self.challenge_window = (start, count);
            self.counters.challenge_acks_suppressed =
                self.counters.challenge_acks_suppressed.wrapping_add(1);
            return None;
        }
        self.challenge_window = (start, count + 1);
        self.counters.challenge_acks = self.counters.challenge_acks.wrapping_add(1);
        Some(self.ack_reply(now))
    }

    /// CORE-10, CORE-11, CORE-12, B8.6: the ACK field. `Err(reply)` stops processing.
    fn process_ack(
        &mut self,
        now: Instant,
        repr: &TcpRepr<'_>,
        ack: SeqNumber,
    ) -> Result<(), Option<TcpRepr<'static>>> {
        if self.state == State::SynReceived {
            if !(self.snd_una < ack && ack <= self.snd_max) {
                // CORE-10/17: `<SEQ=SEG.ACK><RST>`, and the state stays.
                return Err(Some(rst_reply(repr)));
            }
            self.after_handshake();
            // A CLOSE issued in SYN-RECEIVED takes effect now (RFC 9293 §3.10.4).
            self.state = if self.tx_closed {
                State::FinWait1
            } else {
                State::Established
            };
            self.snd_wnd = usize::from(repr.window_len) << self.snd_shift;
            self.snd_wl1 = repr.seq_number;
            self.snd_wl2 = ack;
        }
        // CORE-11: an ACK of data never sent draws an ACK and the segment is dropped.
        // B8.6 (RFC 5961 §5): so does one older than SND.UNA − MAX.SND.WND.
        let oldest = self.snd_una - self.max_snd_wnd.min(0x3fff_ffff);
        if ack > self.snd_max || ack < oldest {
            self.counters.dropped = self.counters.dropped.wrapping_add(1);
            return Err(self.challenge_ack(now));
        }
        let seg_wnd = usize::from(repr.window_len) << self.snd_shift;
        // SND.UNA, duplicate ACKs, SACK blocks and loss recovery: `recovery.rs`.
        self.on_acceptable_ack(now, repr, ack, seg_wnd);
        // CORE-11: window update only from a segment newer than the last one used.
        if self.snd_una <= ack
            && (self.snd_wl1 < repr.seq_number
                || (self.snd_wl1 == repr.seq_number && self.snd_wl2 <= ack))
        {
            self.snd_wnd = seg_wnd;
            self.snd_wl1 = repr.seq_number;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(seg_wnd);
            if seg_wnd > 0 {
                self.persist_backoff = 0;
            }
        }
        // CORE-12: the ACK of our FIN.
        let fin_acked = self.tx_closed && self.snd_una == self.fin_seq + 1;
        match self.state {
            State::FinWait1 if fin_acked => self.state = State::FinWait2,
            State::Closing if fin_acked => self.enter_time_wait(now),
            State::LastAck if fin_acked => {
                self.enter_closed(None);
                return Err(None);
            }
            _ => {}
        }
        Ok(())
    }

    /// The sequence number of the first byte in the transmit ring.
    pub(super) fn data_seq(&self) -> SeqNumber {
        if self.snd_una == self.iss {
            self.snd_una + 1
        } else {
            self.snd_una
        }
    }

    /// CORE-11: SND.UNA advances; acknowledged bytes leave the ring; RTT sample
    /// (RFC 6298 with Karn, or RFC 7323 RTTM); timers (B1.10). Returns the data bytes
    /// acknowledged (SYN and FIN not counted, B2.3), for congestion control.
    pub(super) fn ack_new_data(
        &mut self,
        now: Instant,
        repr: &TcpRepr<'_>,
        ack: SeqNumber,
    ) -> usize {
        let mut acked = ack.bytes_since(self.snd_una).unwrap_or(0);
        if self.snd_una == self.iss {
            acked = acked.saturating_sub(1); // our SYN
        }
        if self.tx_closed && ack > self.fin_seq {
            acked = acked.saturating_sub(1); // our FIN
        }
        self.tx_buffer.dequeue_allocated(acked);
        self.snd_una = ack;
        self.snd_nxt = self.snd_nxt.max(ack);
        self.take_rtt_sample(now, repr, ack);
        if self.snd_una == self.snd_max {
            self.timers.stop(Timer::Retransmit);
            self.timers.stop(Timer::UserTimeout);
        } else {
            let rto = self.rtt.rto();
            self.timers.set(Timer::Retransmit, now.saturating_add(rto));
            self.timers.stop(Timer::UserTimeout);
            self.arm_user_timeout(now);
        }
        acked
    }

    /// B1.12 (RFC 6298 §5.7): if the SYN or SYN-ACK timed out, data transfer starts
    /// with an RTO of at least 3 s, and (B2.4) a window of one segment.
    fn after_handshake(&mut self) {
        if self.rtt.backoffs() > 0 {
            self.rtt.on_established_after_syn_timeout();
            self.cc.on_syn_loss();
        }
    }

    /// B1.6/B3.11: one RTT sample per ACK that advances SND.UNA: from TSecr when
    /// timestamps are on, else from the timed segment unless it was retransmitted.
    fn take_rtt_sample(&mut self, now: Instant, repr: &TcpRepr<'_>, ack: SeqNumber) {
        // B1.6 with B3.11: TSecr tells which copy the ACK answers only if the receiver
        // took the TSval of the copy that made it ACK. A copy that arrives as a duplicate
        // (its first ACK was lost) is dropped before TS.Recent moves (RFC 7323 §5.3
        // R2/R3), so the ACK echoes an older copy and "now − TSecr" spans the lost ACKs
        // and the backed-off timeout. Fed back, that sample inflates SRTT, the next
        // timeout waits longer, the next sample grows again (found by the soak: SRTT
        // 19 s on a 12 ms path at 20% loss). Such an echo gives no sample.
        let echo_predates_resend = match (self.rexmit_ts, repr.timestamp) {
            (Some((_, latest)), Some(seg)) => (seg.tsecr.wrapping_sub(latest) as i32) < 0,
            _ => false,
        };
        if self.rexmit_ts.is_some_and(|(end, _)| ack >= end) {
            self.rexmit_ts = None;
        }
        let sample = match (self.timestamps, repr.timestamp) {
            (Some(_), Some(_)) if echo_predates_resend => None,
            (Some(ts), Some(seg)) if seg.tsecr != 0 => {
                let ms = options::timestamp_now(now, ts.offset).wrapping_sub(seg.tsecr);
                // A TSecr from the future is bogus: no sample.
                (ms < 0x8000_0000).then(|| Duration::from_millis(u64::from(ms)))
            }
            _ => match self.rtt_probe {
                Some((end, sent)) if ack >= end => Some(now.saturating_duration_since(sent)),
                _ => None,
            },
        };
        if self.rtt_probe.is_some_and(|(end, _)| ack >= end) {
            self.rtt_probe = None;
        }
        if let Some(rtt) = sample {
            self.rtt.on_sample(rtt);
            if let Some(srtt) = self.rtt.srtt() {
                self.cc.set_srtt(srtt);
            }
            // B1.13: a clean sample collapses the backed-off RTO.
            self.rtt.reset_backoff();
        }
    }

    /// CORE-6, CORE-13, CORE-14: the segment text and FIN.
    fn process_text_and_fin(&mut self, now: Instant, repr: &TcpRepr<'_>) {
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            // CORE-14: after the peer's FIN, data is ignored.
            return;
        }
        let seq = repr.seq_number + usize::from(repr.is_syn());
        self.accept_text(now, seq, repr.payload);
        if repr.is_fin() && seq + repr.payload.len() == self.rcv_nxt {
            self.accept_fin(now);
        }
    }

    /// CORE-13: the peer's FIN, in order: RCV.NXT passes it, it is ACKed at once, and
    /// the state moves on.
    fn accept_fin(&mut self, now: Instant) {
        self.rcv_nxt += 1;
        self.rcv_edge = self.rcv_edge.max(self.rcv_nxt);
        self.rx_fin = true;
        self.ack_promptly();
        let fin_acked = self.tx_closed && self.snd_una == self.fin_seq + 1;
        match self.state {
            State::SynReceived | State::Established => self.state = State::CloseWait,
            State::FinWait1 if fin_acked => self.enter_time_wait(now),
            State::FinWait1 => self.state = State::Closing,
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    /// CORE-6 / SHLD-31: places the bytes of a segment starting at `seq` into the
    /// receive ring, trimmed to RCV.NXT and the window; out-of-order bytes are kept
    /// with the assembler and ACKed at once (with SACK blocks when permitted).
    pub(super) fn accept_text(&mut self, now: Instant, seq: SeqNumber, payload: &[u8]) {
        if payload.is_empty() {
            return;
        }
        let (skip, offset) = match seq.bytes_since(self.rcv_nxt) {
            Some(offset) => (0, offset),
            None => (self.rcv_nxt.bytes_since(seq).unwrap_or(usize::MAX), 0),
        };
        if skip > 0 {
            // The part below RCV.NXT arrived before (RFC 2883 §4 case 1).
            self.note_duplicate(seq, skip.min(payload.len()));
        } else if let Some((start, end)) = self
            .assembler
            .iter_data(0)
            .find(|&(start, end)| start < offset.saturating_add(payload.len()) && offset < end)
        {
            // Overlaps data already held out of order (RFC 2883 §4 case 3).
            let (from, to) = (start.max(offset), end.min(offset + payload.len()));
            self.note_duplicate(self.rcv_nxt + from, to - from);
        }
        let data = payload.get(skip..).unwrap_or_default();
        // CORE-6: trimmed to the advertised window (the ring trims to its free space).
        let room = self.rcv_wnd().saturating_sub(offset);
        let data = data.get(..room.min(data.len())).unwrap_or_default();
        let had_holes = !self.assembler.is_empty();
        let written = self.rx_buffer.write_unallocated(offset, data);
        let contiguous = if offset == 0 && !had_holes {
            // In order with nothing held out of order (the bulk receiver's every
            // segment): all of it is contiguous, no assembler bookkeeping.
            written
        } else {
            if written > 0 && self.assembler.add(offset, written).is_err() {
                self.counters.ooo_dropped = self.counters.ooo_dropped.wrapping_add(written as u64);
            }
            self.assembler.remove_front()
        };
        let contiguous = self.rx_buffer.enqueue_unallocated(contiguous);
        self.rcv_nxt += contiguous;
        self.rcv_edge = self.rcv_edge.max(self.rcv_nxt);
        if offset > 0 {
            // RFC 5681 §4.2: out of order: an immediate (duplicate) ACK.
            self.latest_ooo = Some(seq);
            self.ack_promptly();
        } else if contiguous == 0 || had_holes {
            // A duplicate, or data filling a hole: ACK at once too.
            self.ack_promptly();
        } else {
            self.schedule_ack(now, contiguous);
        }
    }

    /// RFC 2883: `len` bytes from `seq` arrived again; the next ACK reports them in a
    /// D-SACK block (its first SACK block) when SACK was agreed. A segment rejected for
    /// lying beyond the window is no duplicate, hence the right-edge check; a later
    /// report replaces one not sent yet.
    fn note_duplicate(&mut self, seq: SeqNumber, len: usize) {
        if self.sack_ok && len > 0 && seq + len <= self.rcv_edge.max(self.rcv_nxt) {
            self.dsack = Some((seq, seq + len));
        }
    }

    /// Owes an ACK that goes out before the interface takes its next frame.
    fn ack_promptly(&mut self) {
        self.ack_now = true;
        self.ack_prompt = true;
    }

    /// Whether the ACK this socket owes must go out before the interface processes the
    /// rest of its batch of received frames (see `ack_prompt`).
    pub(crate) fn owes_prompt_ack(&self) -> bool {
        self.ack_now && self.ack_prompt
    }

    /// SHLD-18/19, MUST-40: delay the ACK of in-order data, but ACK at least every
    /// second full-sized segment (MUST-59: within one batch of received frames, the
    /// interface sends one ACK for all of them).
    fn schedule_ack(&mut self, now: Instant, bytes: usize) {
        self.unacked_bytes = self.unacked_bytes.saturating_add(bytes);
        match self.config.delayed_ack {
            Some(delay) if self.unacked_bytes < 2 * self.full_segment_len() => {
                self.timers
                    .set_if_idle(Timer::DelayedAck, now.saturating_add(delay));
            }
            _ => self.ack_now = true,
        }
    }

    /// The payload of a full-sized segment from the peer: our MSS less the timestamp
    /// option every segment carries once negotiated (RFC 7323 §3.2), so that two of
    /// the peer's full segments do count as two.
    fn full_segment_len(&self) -> usize {
        let options = if self.timestamps.is_some() {
            super::options::TIMESTAMP_OPTION_LEN
        } else {
            0
        };
        self.local_mss.saturating_sub(options).max(1)
    }

    /// MUST-13, CORE-12: TIME-WAIT for 2·MSL (restarted by a retransmitted FIN).
    fn enter_time_wait(&mut self, now: Instant) {
        self.state = State::TimeWait;
        self.timers.stop_all();
        let linger = self.config.msl.saturating_mul(2);
        self.timers.set(Timer::TimeWait, now.saturating_add(linger));
    }

    /// MUST-37: a peer that answers with a zero window holds our data back on
    /// purpose, so R2 stops; the persist timer arms it again with each probe, and only
    /// a probe left unanswered for the user timeout ends the connection (as Linux
    /// does). R2 used to run from the last send: data sent just before the window
    /// closed timed the connection out although every probe was answered.
    fn hold_user_timeout_while_window_closed(&mut self) {
        if self.snd_wnd == 0 {
            self.timers.stop(Timer::UserTimeout);
        }
    }
}

/// RFC 7323 §5.5 (B3.14): TS.Recent was last set more than [`PAWS_IDLE_LIMIT`] ago.
fn ts_recent_expired(ts: &Timestamps, now: Instant) -> bool {
    now - ts.recent_at > PAWS_IDLE_LIMIT
}
