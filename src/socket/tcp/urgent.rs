//! Urgent data (RFC 9293 §3.8.5, §3.10.7.4 "sixth, check the URG bit"; CONFORMANCE
//! MUST-30..33, MUST-62, MUST-66, SHLD-13).
//!
//! Urgent bytes are always delivered inline, in stream order, like `SO_OOBINLINE`: the
//! socket never takes a byte out of band. What the mechanism adds is a mark. The urgent
//! pointer names the octet just after the urgent data (MUST-62); the receiver keeps the
//! highest such point as RCV.UP and tells the application how many bytes it still has
//! to read to get past it ([`Socket::urgent_pending`]). The "asynchronous" report of
//! MUST-32 is a flag raised whenever urgent data first appears or the pointer advances,
//! to be checked after `Interface::poll` like readiness ([`Socket::take_urgent_signal`]).
//! New applications should not use any of this (SHLD-13); it exists for telnet-era
//! protocols.
//!
//! Hostile pointers (CVE-2019-12255 class, MUST-62 `[!]`) cannot cause harm: the pointer
//! is only ever added to a wrapping [`SeqNumber`], never subtracted, and a distance is
//! taken with `bytes_since`, which refuses to go negative. A pointer of 0 names no
//! urgent octet and is ignored; a pointer beyond the data received is legal (the urgent
//! data may be of any length and continue in later segments, MUST-31).

use super::{SendError, Socket, State};
use crate::wire::{SeqNumber, TcpFlags, TcpRepr};

/// The largest urgent pointer field; a farther SND.UP is sent as this and moves closer
/// with each segment (as BSD and Linux do).
const MAX_URGENT_FIELD: usize = 0xffff;

impl Socket<'_> {
    /// RFC 9293 §3.10.7.4, sixth step, for an acceptable segment whose ACK field was
    /// processed: raise RCV.UP if URG points past it (ESTABLISHED, FIN-WAIT-1/2 only:
    /// after the peer's FIN, URG is ignored, CORE-14), and forget SND.UP once the peer
    /// has acknowledged all our urgent data. Runs also when RCV.WND is 0 (MUST-66).
    pub(super) fn process_urgent(&mut self, repr: &TcpRepr<'_>) {
        if self.snd_up.is_some_and(|up| up <= self.snd_una) {
            self.snd_up = None;
        }
        let receiving = matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        );
        if !receiving || !repr.flags.contains(TcpFlags::URG) || repr.urgent_pointer == 0 {
            return;
        }
        self.forget_read_urgent();
        let seg_up = repr.seq_number + usize::from(repr.urgent_pointer);
        let read = self.read_seq();
        // Urgent data the application has read already is no news.
        if seg_up <= read || self.rcv_up.is_some_and(|up| seg_up <= up) {
            return;
        }
        // MUST-32: first appearance, or the pointer advanced.
        self.rcv_up = Some(seg_up);
        self.urgent_signal = true;
    }

    /// The invariants of the urgent marks, for [`debug_invariants`](Self::debug_invariants):
    /// RCV.UP, while kept, lies ahead of the next byte to read, by at most the receive
    /// ring plus the largest pointer field (a segment starts at most a window ahead);
    /// SND.UP, while kept, lies after the ISS and within the data queued so far.
    pub(super) fn check_urgent(&self) -> Result<(), &'static str> {
        if let Some(up) = self.rcv_up {
            let ahead = up.bytes_since(self.read_seq()).unwrap_or(0);
            let reach = self
                .rx_buffer
                .capacity()
                .saturating_add(2 * MAX_URGENT_FIELD);
            if ahead == 0 || ahead > reach {
                return Err("RCV.UP not ahead of the read point within a window and a pointer");
            }
        }
        if let Some(up) = self.snd_up {
            if up <= self.iss || up > self.data_seq() + self.tx_buffer.len() {
                return Err("SND.UP outside the data queued");
            }
        }
        Ok(())
    }

    /// The sequence number of the next byte the application will read.
    fn read_seq(&self) -> SeqNumber {
        let fin = usize::from(self.rx_fin);
        let unread = self.rx_buffer.len().saturating_add(fin);
        self.rcv_nxt - unread.min(0x7fff_ffff)
    }

    /// Drops RCV.UP once the application has read past it, so that a stale mark can
    /// never look "ahead" again after the sequence space wraps.
    pub(super) fn forget_read_urgent(&mut self) {
        let read = self.read_seq();
        if self.rcv_up.is_some_and(|up| up <= read) {
            self.rcv_up = None;
        }
    }

    /// MUST-33: whether urgent data is pending, and how much: `Some(n)` means the next
    /// `n` bytes of the stream reach the end of the urgent data (the urgent mark). `n`
    /// may exceed [`recv_queue`](Self::recv_queue) while the rest of the urgent data is
    /// still on its way. The bytes themselves are read with `recv_*` as usual.
    pub fn urgent_pending(&self) -> Option<usize> {
        let up = self.rcv_up?;
        up.bytes_since(self.read_seq()).filter(|&n| n > 0)
    }

    /// MUST-32: returns `true` once after urgent data first arrived or the urgent
    /// pointer advanced, and clears the signal. In skiff's poll model this is the
    /// asynchronous notice: check it after `Interface::poll`, like `can_recv`, then
    /// read up to [`urgent_pending`](Self::urgent_pending) bytes.
    pub fn take_urgent_signal(&mut self) -> bool {
        core::mem::take(&mut self.urgent_signal)
    }

    /// Queues `data` as urgent (RFC 9293 §3.8.5): the segments that carry it, and any
    /// segment before it, go out with URG and a pointer to the octet after its last
    /// byte (MUST-62), and Nagle does not hold them back. Returns how many bytes were
    /// queued; when only part of `data` fits, that part is the urgent data. Copies once.
    /// Errors as [`send_slice`](Self::send_slice). SHLD-13: new protocols should not
    /// use urgent data.
    pub fn send_urgent(&mut self, data: &[u8]) -> Result<usize, SendError> {
        let n = self.send_slice(data)?;
        if n > 0 {
            self.snd_up = Some(self.data_seq() + self.tx_buffer.len());
        }
        Ok(n)
    }

    /// Whether queued urgent data has not all been sent yet (it then skips Nagle).
    pub(super) fn urgent_unsent(&self) -> bool {
        self.snd_up.is_some_and(|up| up > self.snd_nxt)
    }

    /// Sets URG and the urgent pointer on an outgoing non-SYN segment that starts
    /// before SND.UP, while urgent data is unacknowledged.
    pub(super) fn mark_urgent(&self, repr: &mut TcpRepr<'_>) {
        let Some(up) = self.snd_up.filter(|&up| up > self.snd_una) else {
            return;
        };
        if let Some(distance) = up.bytes_since(repr.seq_number).filter(|&d| d > 0) {
            repr.flags |= TcpFlags::URG;
            repr.urgent_pointer = distance.min(MAX_URGENT_FIELD) as u16;
        }
    }
}
