//! TCP options: one typed option at a time, a bounded iterator over an option area, and
//! the option block of `TcpRepr` (how it is read, and laid out the way Linux lays it out).
//!
//! RFC 9293 §3.1 and §3.2 (EOL, NOP, MSS), RFC 7323 (window scale, timestamps), RFC 2018
//! (SACK-permitted, SACK).

use super::TcpRepr;
use crate::wire::{Error, Result};

/// Option kind numbers (IANA "TCP Option Kind Numbers").
mod kind {
    pub const END_OF_LIST: u8 = 0;
    pub const NO_OPERATION: u8 = 1;
    pub const MAX_SEG_SIZE: u8 = 2;
    pub const WINDOW_SCALE: u8 = 3;
    pub const SACK_PERMITTED: u8 = 4;
    pub const SACK_RANGE: u8 = 5;
    pub const TIMESTAMP: u8 = 8;
}

/// The largest option area a TCP header can carry: data offset 15 gives 60 bytes, less
/// the 20-byte fixed header.
pub const TCP_MAX_OPTIONS_LEN: usize = 40;

/// One TCP option, borrowing unknown options' data from the header.
///
/// Lengths are checked strictly: a known kind whose length byte differs from the length
/// its RFC defines (MSS 4, window scale 3, SACK-permitted 2, timestamps 10, SACK 2 + 8n
/// with n in 1..=4) is [`Error::Malformed`] rather than skipped, so a hostile header
/// cannot make two parsers (ours and a middlebox's) disagree about what it said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// Kind 0: the option list ends here; the rest of the area is padding.
    EndOfList,
    /// Kind 1: one byte of padding, used to align the next option.
    NoOperation,
    /// Kind 2: the largest segment the sender of this option will receive (RFC 9293 §3.7.1).
    MaxSegmentSize(u16),
    /// Kind 3: the sender's receive-window shift count (RFC 7323 §2). Kept raw; a shift
    /// above 14 is the socket's business (B3.2), not the parser's.
    WindowScale(u8),
    /// Kind 4: the sender accepts SACK options (RFC 2018 §2).
    SackPermitted,
    /// Kind 5: up to four received blocks `(left edge, right edge)` (RFC 2018 §3).
    /// Blocks are filled from index 0; the unused tail is `None`.
    SackRange([Option<(u32, u32)>; 4]),
    /// Kind 8: timestamp value and echo reply (RFC 7323 §3).
    TimeStamp {
        /// TSval: the sender's timestamp clock.
        tsval: u32,
        /// TSecr: the most recent TSval the sender received (meaningful when ACK is set).
        tsecr: u32,
    },
    /// Any other kind, skipped by its length byte (RFC 9293 MUST-6).
    Unknown {
        /// The option kind.
        kind: u8,
        /// The option data after the kind and length bytes.
        data: &'a [u8],
    },
}

fn be_u16(b: &[u8]) -> u16 {
    let mut a = [0u8; 2];
    a.copy_from_slice(&b[..2]);
    u16::from_be_bytes(a)
}

fn be_u32(b: &[u8]) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    u32::from_be_bytes(a)
}

impl<'a> TcpOption<'a> {
    /// Parses the option at the start of `buffer` and returns the bytes after it with it.
    ///
    /// After `EndOfList` the returned rest is empty: everything after EOL is padding.
    /// Errors: an empty buffer or an option whose length runs past `buffer` is
    /// [`Error::Truncated`]; a length byte of 0 or 1 (which would make a naive loop stand
    /// still or read its own kind byte again, RFC 9293 MUST-7) or a known kind with the
    /// wrong length is [`Error::Malformed`]. Reads at most 40 bytes; no copy.
    pub fn parse(buffer: &'a [u8]) -> Result<(&'a [u8], TcpOption<'a>)> {
        let (&kind, after_kind) = buffer.split_first().ok_or(Error::Truncated)?;
        match kind {
            kind::END_OF_LIST => return Ok((&[], TcpOption::EndOfList)),
            kind::NO_OPERATION => return Ok((after_kind, TcpOption::NoOperation)),
            _ => {}
        }
        let &len = after_kind.first().ok_or(Error::Truncated)?;
        let len = usize::from(len);
        // RFC 9293 MUST-7: the length counts the kind and length bytes, so 0 and 1 are
        // impossible.
        if len < 2 {
            return Err(Error::Malformed);
        }
        let whole = buffer.get(..len).ok_or(Error::Truncated)?;
        let rest = buffer.get(len..).ok_or(Error::Truncated)?;
        let data = whole.get(2..).ok_or(Error::Truncated)?;
        let option = match (kind, len) {
            (kind::MAX_SEG_SIZE, 4) => TcpOption::MaxSegmentSize(be_u16(data)),
            (kind::WINDOW_SCALE, 3) => TcpOption::WindowScale(data[0]),
            (kind::SACK_PERMITTED, 2) => TcpOption::SackPermitted,
            (kind::TIMESTAMP, 10) => TcpOption::TimeStamp {
                tsval: be_u32(&data[0..4]),
                tsecr: be_u32(&data[4..8]),
            },
            (kind::SACK_RANGE, 10 | 18 | 26 | 34) => {
                let mut blocks = [None; 4];
                for (slot, block) in blocks.iter_mut().zip(data.chunks_exact(8)) {
                    *slot = Some((be_u32(&block[0..4]), be_u32(&block[4..8])));
                }
                TcpOption::SackRange(blocks)
            }
            (
                kind::MAX_SEG_SIZE
                | kind::WINDOW_SCALE
                | kind::SACK_PERMITTED
                | kind::TIMESTAMP
                | kind::SACK_RANGE,
                _,
            ) => return Err(Error::Malformed),
            (kind, _) => TcpOption::Unknown { kind, data },
        };
        Ok((rest, option))
    }

    /// The number of bytes [`emit`](Self::emit) writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            TcpOption::EndOfList | TcpOption::NoOperation => 1,
            TcpOption::MaxSegmentSize(_) => 4,
            TcpOption::WindowScale(_) => 3,
            TcpOption::SackPermitted => 2,
            TcpOption::SackRange(blocks) => 2 + 8 * blocks.iter().flatten().count(),
            TcpOption::TimeStamp { .. } => 10,
            TcpOption::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buffer` and returns the bytes after it.
    ///
    /// SACK blocks are written in index order, skipping `None` slots; a `SackRange` with
    /// no blocks writes `05 02`, which [`parse`](Self::parse) rejects, so do not emit one.
    /// An unknown option's data must be at most 253 bytes (the length byte saturates).
    ///
    /// # Panics
    /// If `buffer` is shorter than [`buffer_len`](Self::buffer_len); callers size it.
    pub fn emit<'b>(&self, buffer: &'b mut [u8]) -> &'b mut [u8] {
        let len = self.buffer_len();
        let (out, rest) = buffer.split_at_mut(len);
        match *self {
            TcpOption::EndOfList => out[0] = kind::END_OF_LIST,
            TcpOption::NoOperation => out[0] = kind::NO_OPERATION,
            TcpOption::MaxSegmentSize(mss) => {
                out[0] = kind::MAX_SEG_SIZE;
                out[2..4].copy_from_slice(&mss.to_be_bytes());
            }
            TcpOption::WindowScale(shift) => {
                out[0] = kind::WINDOW_SCALE;
                out[2] = shift;
            }
            TcpOption::SackPermitted => out[0] = kind::SACK_PERMITTED,
            TcpOption::SackRange(blocks) => {
                out[0] = kind::SACK_RANGE;
                for (chunk, (left, right)) in
                    out[2..].chunks_exact_mut(8).zip(blocks.iter().flatten())
                {
                    chunk[..4].copy_from_slice(&left.to_be_bytes());
                    chunk[4..].copy_from_slice(&right.to_be_bytes());
                }
            }
            TcpOption::TimeStamp { tsval, tsecr } => {
                out[0] = kind::TIMESTAMP;
                out[2..6].copy_from_slice(&tsval.to_be_bytes());
                out[6..10].copy_from_slice(&tsecr.to_be_bytes());
            }
            TcpOption::Unknown { kind, data } => {
                out[0] = kind;
                out[2..].copy_from_slice(data);
            }
        }
        if len >= 2 {
            out[1] = u8::try_from(len).unwrap_or(u8::MAX);
        }
        rest
    }
}

/// An iterator over the options of one option area, yielding each option or the first
/// error.
///
/// It stops after `EndOfList`, after the first error, at the end of the area, and in any
/// case after [`TCP_MAX_OPTIONS_LEN`] items: every option consumes at least one byte, so
/// the bound is never reached on a real header, but it makes termination obvious
/// (RFC 9293 MUST-7: no loop on hostile lengths).
#[derive(Debug, Clone)]
pub struct TcpOptionsIter<'a> {
    rest: &'a [u8],
    yielded: usize,
    done: bool,
}

impl<'a> TcpOptionsIter<'a> {
    /// Iterates over `options` (the bytes between the fixed header and the data offset).
    pub fn new(options: &'a [u8]) -> Self {
        TcpOptionsIter {
            rest: options,
            yielded: 0,
            done: false,
        }
    }
}

impl<'a> Iterator for TcpOptionsIter<'a> {
    type Item = Result<TcpOption<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.rest.is_empty() || self.yielded >= TCP_MAX_OPTIONS_LEN {
            self.done = true;
            return None;
        }
        self.yielded += 1;
        match TcpOption::parse(self.rest) {
            Ok((rest, option)) => {
                self.rest = rest;
                if option == TcpOption::EndOfList {
                    self.done = true;
                }
                Some(Ok(option))
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// The timestamps option's two values (RFC 7323 §3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcpTimestampRepr {
    /// TSval: the sender's timestamp clock.
    pub tsval: u32,
    /// TSecr: the echoed timestamp (meaningful when ACK is set).
    pub tsecr: u32,
}

/// NOP, NOP, then the timestamp option's kind and length (RFC 7323 Appendix A).
const ALIGNED_TIMESTAMP_PREFIX: [u8; 4] =
    [kind::NO_OPERATION, kind::NO_OPERATION, kind::TIMESTAMP, 10];

/// The timestamps of an option area that is exactly NOP, NOP, timestamps.
pub(crate) fn aligned_timestamp(options: &[u8]) -> Option<TcpTimestampRepr> {
    let (prefix, values) = options.split_first_chunk::<4>()?;
    if *prefix != ALIGNED_TIMESTAMP_PREFIX {
        return None;
    }
    let (tsval, tsecr) = values.split_first_chunk::<4>()?;
    let tsecr: &[u8; 4] = tsecr.try_into().ok()?;
    Some(TcpTimestampRepr {
        tsval: u32::from_be_bytes(*tsval),
        tsecr: u32::from_be_bytes(*tsecr),
    })
}

/// The option block of a [`TcpRepr`]: how `parse` reads it and how `emit` lays it out.
impl TcpRepr<'_> {
    /// Folds the option area into the repr's option fields (a later duplicate wins).
    /// Any bad option fails the whole area (RFC 9293 MUST-7); unknown kinds are skipped
    /// (MUST-6).
    pub(super) fn parse_options(&mut self, options: &[u8]) -> Result<()> {
        // RFC 7323 Appendix A: NOP, NOP, timestamps is what nearly every segment past the
        // handshake carries; read it without the general walk (same result).
        if let Some(timestamp) = aligned_timestamp(options) {
            self.timestamp = Some(timestamp);
            return Ok(());
        }
        for option in TcpOptionsIter::new(options) {
            match option? {
                TcpOption::EndOfList | TcpOption::NoOperation | TcpOption::Unknown { .. } => {}
                TcpOption::MaxSegmentSize(mss) => self.max_seg_size = Some(mss),
                TcpOption::WindowScale(shift) => self.window_scale = Some(shift),
                TcpOption::SackPermitted => self.sack_permitted = true,
                TcpOption::SackRange(blocks) => self.sack_ranges = blocks,
                TcpOption::TimeStamp { tsval, tsecr } => {
                    self.timestamp = Some(TcpTimestampRepr { tsval, tsecr })
                }
            }
        }
        Ok(())
    }

    /// Bytes of MSS, timestamps/SACK-permitted and window scale, each NOP-aligned to 4.
    pub(super) fn fixed_options_len(&self) -> usize {
        let mss = if self.max_seg_size.is_some() { 4 } else { 0 };
        // SACK-permitted rides in the two NOPs before the timestamps when both are sent.
        let ts_sack = match (self.timestamp.is_some(), self.sack_permitted) {
            (true, _) => 12,
            (false, true) => 4,
            (false, false) => 0,
        };
        let ws = if self.window_scale.is_some() { 4 } else { 0 };
        mss + ts_sack + ws
    }

    /// How many SACK blocks `emit` sends: as many as fit (RFC 2018 §3: 4, or 3 beside
    /// timestamps), each costing 8 bytes after a 4-byte NOP,NOP,kind,length prefix.
    pub(super) fn sack_blocks_sent(&self) -> usize {
        let room = TCP_MAX_OPTIONS_LEN.saturating_sub(self.fixed_options_len());
        let fit = room.saturating_sub(4) / 8;
        self.sack_ranges.iter().flatten().count().min(fit)
    }

    /// Writes the option area in Linux's order and alignment: MSS; SACK-permitted and
    /// timestamps (`04 02 08 0a ..` or NOP,NOP before whichever is alone); NOP, window
    /// scale; NOP,NOP, SACK blocks. Every piece is 4-byte aligned, so no EOL is needed;
    /// any space left is zeroed (EOL).
    pub(super) fn emit_options(&self, mut buf: &mut [u8]) {
        // The established-segment case, NOP, NOP, timestamps, written in one go (the same
        // bytes as the general path below).
        if let (Some(ts), None, None, false, [None, None, None, None], [a, b, c, d, tail @ ..]) = (
            self.timestamp,
            self.max_seg_size,
            self.window_scale,
            self.sack_permitted,
            self.sack_ranges,
            &mut *buf,
        ) {
            if tail.len() == 8 {
                [*a, *b, *c, *d] = ALIGNED_TIMESTAMP_PREFIX;
                tail[..4].copy_from_slice(&ts.tsval.to_be_bytes());
                tail[4..].copy_from_slice(&ts.tsecr.to_be_bytes());
                return;
            }
        }
        if let Some(mss) = self.max_seg_size {
            buf = TcpOption::MaxSegmentSize(mss).emit(buf);
        }
        match (self.timestamp, self.sack_permitted) {
            (Some(ts), sack_permitted) => {
                if sack_permitted {
                    buf = TcpOption::SackPermitted.emit(buf);
                } else {
                    buf = TcpOption::NoOperation.emit(buf);
                    buf = TcpOption::NoOperation.emit(buf);
                }
                let (tsval, tsecr) = (ts.tsval, ts.tsecr);
                buf = TcpOption::TimeStamp { tsval, tsecr }.emit(buf);
            }
            (None, true) => {
                buf = TcpOption::NoOperation.emit(buf);
                buf = TcpOption::NoOperation.emit(buf);
                buf = TcpOption::SackPermitted.emit(buf);
            }
            (None, false) => {}
        }
        if let Some(shift) = self.window_scale {
            buf = TcpOption::NoOperation.emit(buf);
            buf = TcpOption::WindowScale(shift).emit(buf);
        }
        let sent = self.sack_blocks_sent();
        if sent > 0 {
            let mut blocks = [None; 4];
            for (slot, block) in blocks.iter_mut().zip(self.sack_ranges.iter().flatten()) {
                *slot = Some(*block);
            }
            blocks[sent..].fill(None);
            buf = TcpOption::NoOperation.emit(buf);
            buf = TcpOption::NoOperation.emit(buf);
            buf = TcpOption::SackRange(blocks).emit(buf);
        }
        buf.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn collect(bytes: &[u8]) -> Vec<Result<TcpOption<'_>>> {
        TcpOptionsIter::new(bytes).collect()
    }

    #[test]
    fn linux_syn_options_parse_to_mss_sack_permitted_timestamps_and_window_scale() {
        let bytes = [
            0x02, 0x04, 0x05, 0xb4, 0x04, 0x02, 0x08, 0x0a, 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0,
            0x01, 0x03, 0x03, 0x07,
        ];
        assert_eq!(
            collect(&bytes),
            [
                Ok(TcpOption::MaxSegmentSize(1460)),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::TimeStamp {
                    tsval: 0x1234_5678,
                    tsecr: 0
                }),
                Ok(TcpOption::NoOperation),
                Ok(TcpOption::WindowScale(7)),
            ]
        );
    }

    #[test]
    fn option_length_zero_or_one_is_malformed_and_iteration_stops() {
        // CONFORMANCE MUST-7 [!]: a length of 0 or 1 must not make the parser loop.
        for len in [0u8, 1] {
            let bytes = [0x01, 0x1e, len, 0x01, 0x01, 0x01];
            assert_eq!(
                collect(&bytes),
                [Ok(TcpOption::NoOperation), Err(Error::Malformed)]
            );
            let mut known = [0x02, len, 0x05, 0xb4];
            assert_eq!(TcpOption::parse(&known), Err(Error::Malformed));
            known[0] = 8;
            assert_eq!(TcpOption::parse(&known), Err(Error::Malformed));
        }
    }

    #[test]
    fn option_running_past_the_area_is_truncated() {
        // CONFORMANCE MUST-7 [!]: an option claiming more bytes than the area holds.
        assert_eq!(
            TcpOption::parse(&[0x08, 0x0a, 0, 0, 0]),
            Err(Error::Truncated)
        );
        assert_eq!(TcpOption::parse(&[0xfe, 40, 1, 2]), Err(Error::Truncated));
        // A kind byte with no room for its length byte.
        assert_eq!(
            collect(&[0x01, 0x02]),
            [Ok(TcpOption::NoOperation), Err(Error::Truncated)]
        );
        assert_eq!(TcpOption::parse(&[]), Err(Error::Truncated));
    }

    #[test]
    fn unknown_option_is_skipped_by_its_length() {
        // CONFORMANCE MUST-6: kind 30 (MPTCP) is not implemented and is skipped.
        let bytes = [30, 4, 0xaa, 0xbb, 0x03, 0x03, 0x02];
        assert_eq!(
            collect(&bytes),
            [
                Ok(TcpOption::Unknown {
                    kind: 30,
                    data: &[0xaa, 0xbb]
                }),
                Ok(TcpOption::WindowScale(2)),
            ]
        );
        // The smallest unknown option has no data.
        assert_eq!(
            TcpOption::parse(&[99, 2]),
            Ok((
                &[][..],
                TcpOption::Unknown {
                    kind: 99,
                    data: &[]
                }
            ))
        );
    }

    #[test]
    fn known_options_with_the_wrong_length_are_malformed() {
        for bytes in [
            &[0x02, 0x03, 0x05][..],
            &[0x02, 0x05, 0x05, 0xb4, 0x00],
            &[0x03, 0x04, 0x07, 0x00],
            &[0x03, 0x02],
            &[0x04, 0x03, 0x00],
            &[0x08, 0x08, 0, 0, 0, 0, 0, 0],
            &[0x05, 0x02],
            &[0x05, 0x06, 0, 0, 0, 0],
            &[0x05, 0x0b, 0, 0, 0, 0, 0, 0, 0, 0, 0],
        ] {
            assert_eq!(TcpOption::parse(bytes), Err(Error::Malformed), "{bytes:?}");
        }
    }

    #[test]
    fn end_of_list_stops_iteration_and_hides_the_padding() {
        let bytes = [0x01, 0x00, 0x02, 0x04, 0x05, 0xb4];
        assert_eq!(
            collect(&bytes),
            [Ok(TcpOption::NoOperation), Ok(TcpOption::EndOfList)]
        );
    }

    #[test]
    fn a_full_area_of_nops_yields_forty_options_and_stops() {
        let bytes = [0x01; TCP_MAX_OPTIONS_LEN];
        assert_eq!(collect(&bytes).len(), TCP_MAX_OPTIONS_LEN);
        let bytes = [0x01; 200];
        assert_eq!(collect(&bytes).len(), TCP_MAX_OPTIONS_LEN);
    }

    #[test]
    fn every_option_round_trips_through_emit_and_parse() {
        let options = [
            TcpOption::EndOfList,
            TcpOption::NoOperation,
            TcpOption::MaxSegmentSize(536),
            TcpOption::WindowScale(14),
            TcpOption::SackPermitted,
            TcpOption::SackRange([Some((1, 2)), None, None, None]),
            TcpOption::SackRange([Some((1, 2)), Some((3, 4)), Some((5, 6)), Some((7, 8))]),
            TcpOption::TimeStamp {
                tsval: 0xdead_beef,
                tsecr: 7,
            },
            TcpOption::Unknown {
                kind: 34,
                data: &[1, 2, 3],
            },
        ];
        for option in options {
            let mut buf = [0xffu8; 40];
            let rest_len = option.emit(&mut buf).len();
            assert_eq!(rest_len, 40 - option.buffer_len());
            let (rest, parsed) = TcpOption::parse(&buf[..option.buffer_len()]).unwrap();
            assert!(rest.is_empty());
            assert_eq!(parsed, option);
        }
    }

    #[test]
    fn sack_blocks_are_read_in_order_in_big_endian() {
        let bytes = [
            0x05, 0x12, 0, 0, 0x10, 0, 0, 0, 0x20, 0, 0xff, 0xff, 0xff, 0xf0, 0, 0, 0, 0x10,
        ];
        assert_eq!(
            TcpOption::parse(&bytes),
            Ok((
                &[][..],
                TcpOption::SackRange([
                    Some((0x1000, 0x2000)),
                    Some((0xffff_fff0, 0x10)),
                    None,
                    None
                ])
            ))
        );
    }

    #[test]
    fn random_option_areas_never_panic_or_run_long() {
        let mut x: u64 = 0x0bad_cafe;
        let mut buf = [0u8; TCP_MAX_OPTIONS_LEN];
        for _ in 0..5000 {
            for b in buf.iter_mut() {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                // Favour small values so that real kinds and short lengths are common.
                *b = if x & 0x100 == 0 {
                    (x % 12) as u8
                } else {
                    x as u8
                };
            }
            let len = (x >> 32) as usize % (TCP_MAX_OPTIONS_LEN + 1);
            assert!(TcpOptionsIter::new(&buf[..len]).count() <= TCP_MAX_OPTIONS_LEN);
        }
    }

    /// Segment-level tests of the option block that `TcpRepr` parses and emits.
    mod repr {
        use super::super::super::tests::{DST, SRC, caps, emit, linux_syn, parse, repr};
        use crate::wire::tcp::{TcpControl, TcpFlags, TcpPacket, TcpRepr, TcpTimestampRepr};
        use crate::wire::{Error, SeqNumber};
        use std::vec::Vec;

        #[test]
        fn linux_syn_parses_to_the_right_values_and_re_emits_byte_for_byte() {
            let bytes = linux_syn();
            let packet = TcpPacket::new_checked(&bytes[..]).unwrap();
            assert_eq!(packet.header_len(), 40);
            assert!(packet.syn() && !packet.ack() && !packet.fin());
            let r = TcpRepr::parse(&packet, &SRC, &DST, &caps()).unwrap();
            assert_eq!(r.max_seg_size, Some(1460));
            assert!(r.sack_permitted);
            let timestamp = Some(TcpTimestampRepr {
                tsval: 0x0102_0304,
                tsecr: 0,
            });
            assert_eq!(r.timestamp, timestamp);
            assert_eq!(r.window_scale, Some(7));
            assert_eq!(r.window_len, 64240);
            assert_eq!(r.ack_number, None);
            assert_eq!(r.control(), Some(TcpControl::Syn));
            assert_eq!(r.segment_len(), 1);
            assert_eq!(r.header_len(), 40);
            assert_eq!(emit(&r, SRC, DST), bytes);
        }

        #[test]
        fn linux_data_segments_with_timestamps_and_sack_round_trip_exactly() {
            // ACK with NOP,NOP,TS then NOP,NOP,SACK(2 blocks), as Linux sends them.
            let mut r = repr(TcpFlags::ACK);
            r.ack_number = Some(SeqNumber(5000));
            r.timestamp = Some(TcpTimestampRepr { tsval: 9, tsecr: 8 });
            r.sack_ranges = [Some((6000, 7000)), Some((8000, 9000)), None, None];
            let bytes = emit(&r, SRC, DST);
            assert_eq!(
                &bytes[20..],
                &[
                    1, 1, 8, 10, 0, 0, 0, 9, 0, 0, 0, 8, 1, 1, 5, 18, 0, 0, 0x17, 0x70, 0, 0, 0x1b,
                    0x58, 0, 0, 0x1f, 0x40, 0, 0, 0x23, 0x28
                ][..]
            );
            assert_eq!(parse(&bytes, SRC, DST), Ok(r));
            r.payload = b"hello";
            r.sack_ranges = [None; 4];
            let bytes = emit(&r, SRC, DST);
            assert_eq!(bytes.len(), 20 + 12 + 5);
            assert_eq!(parse(&bytes, SRC, DST), Ok(r));
            assert_eq!(emit(&parse(&bytes, SRC, DST).unwrap(), SRC, DST), bytes);
        }

        #[test]
        fn nop_nop_timestamps_alone_read_and_write_as_the_general_walk_does() {
            // The short path for RFC 7323 Appendix A's layout must agree with the walk.
            let mut r = repr(TcpFlags::ACK);
            r.ack_number = Some(SeqNumber(1));
            r.timestamp = Some(TcpTimestampRepr {
                tsval: 0x0102_0304,
                tsecr: 0xa0b0_c0d0,
            });
            let bytes = emit(&r, SRC, DST);
            let area = [1, 1, 8, 10, 1, 2, 3, 4, 0xa0, 0xb0, 0xc0, 0xd0];
            assert_eq!(&bytes[20..], &area[..]);
            let walked: Vec<_> = super::collect(&area).into_iter().collect();
            assert_eq!(
                walked,
                [
                    Ok(super::TcpOption::NoOperation),
                    Ok(super::TcpOption::NoOperation),
                    Ok(super::TcpOption::TimeStamp {
                        tsval: 0x0102_0304,
                        tsecr: 0xa0b0_c0d0
                    }),
                ]
            );
            assert_eq!(parse(&bytes, SRC, DST), Ok(r));
        }

        /// A SYN whose option area (data offset 6 or more) holds `options`, checksummed.
        fn with_options(options: &[u8]) -> Vec<u8> {
            let mut bytes = emit(&repr(TcpFlags::SYN), SRC, DST);
            bytes[12] = (((20 + options.len()) / 4) as u8) << 4;
            bytes.extend_from_slice(options);
            let mut packet = TcpPacket::new_unchecked(&mut bytes[..]);
            packet.fill_checksum(&SRC, &DST);
            bytes
        }

        #[test]
        fn illegal_option_lengths_drop_the_segment_without_looping() {
            // CONFORMANCE MUST-7 [!]: length 0, length 1, and an option past the data offset.
            for options in [
                &[0x01, 0x1e, 0x00, 0x01][..],
                &[0x1e, 0x01, 0x01, 0x01],
                &[0x02, 0x00, 0x05, 0xb4],
                &[0x08, 0x01, 0, 0],
            ] {
                assert_eq!(
                    parse(&with_options(options), SRC, DST),
                    Err(Error::Malformed)
                );
            }
            // The timestamps option claims 10 bytes but the data offset leaves 8 (and the
            // payload behind it must not be read as option data).
            let mut bytes = with_options(&[0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 1]);
            bytes.extend_from_slice(&[0, 0]);
            TcpPacket::new_unchecked(&mut bytes[..]).fill_checksum(&SRC, &DST);
            assert_eq!(parse(&bytes, SRC, DST), Err(Error::Truncated));
        }

        #[test]
        fn unknown_options_are_skipped_and_options_count_on_any_segment() {
            // CONFORMANCE MUST-5, MUST-6: kind 30 skipped; MSS after it still read on a
            // non-SYN segment.
            let mut bytes = with_options(&[30, 4, 0xaa, 0xbb, 0x02, 0x04, 0x02, 0x18]);
            let mut packet = TcpPacket::new_unchecked(&mut bytes[..]);
            packet.set_syn(false);
            packet.set_ack(true);
            packet.fill_checksum(&SRC, &DST);
            let r = parse(&bytes, SRC, DST).unwrap();
            assert_eq!(r.max_seg_size, Some(536));
            assert_eq!(r.ack_number, Some(SeqNumber(0)));
            assert_eq!(r.header_len(), 24);
        }

        #[test]
        fn sack_blocks_that_do_not_fit_beside_other_options_are_left_out() {
            // CONFORMANCE B4.2: 4 blocks alone, 3 beside timestamps, fewer beside SYN options.
            let blocks = [Some((1, 2)), Some((3, 4)), Some((5, 6)), Some((7, 8))];
            let mut r = repr(TcpFlags::ACK);
            r.sack_ranges = blocks;
            for (ts, mss_ws, expect) in [(false, false, 4), (true, false, 3), (true, true, 2)] {
                r.timestamp = ts.then_some(TcpTimestampRepr { tsval: 1, tsecr: 2 });
                r.max_seg_size = mss_ws.then_some(1460);
                r.window_scale = mss_ws.then_some(7);
                r.sack_permitted = mss_ws;
                let bytes = emit(&r, SRC, DST);
                assert_eq!(bytes.len(), r.header_len());
                assert!(r.header_len() <= 60);
                let parsed = parse(&bytes, SRC, DST).unwrap();
                let n = parsed.sack_ranges.iter().flatten().count();
                assert_eq!(n, expect);
                assert_eq!(parsed.sack_ranges[..n], blocks[..n]);
            }
        }
    }
}
