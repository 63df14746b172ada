//! The classic libpcap file format: a writer for captures a user opens in Wireshark or
//! `tshark`, and a reader for replaying captures (including ones made by Linux) in tests
//! and tools.
//!
//! Format: a 24-byte global header (magic, version 2.4, snap length, link type) then
//! records of a 16-byte header (seconds, sub-second part, captured length, original
//! length) and the frame bytes. The magic number says the byte order and whether the
//! sub-second part is in micro- or nanoseconds. <https://www.tcpdump.org/manpages/pcap-savefile.5.html>
//!
//! The writer takes timestamps from the caller's [`Instant`]; it reads no clock.

use core::fmt;

use crate::time::Instant;

const MAGIC_MICROS: u32 = 0xa1b2_c3d4;
const MAGIC_NANOS: u32 = 0xa1b2_3c4d;
const GLOBAL_HEADER_LEN: usize = 24;
const RECORD_HEADER_LEN: usize = 16;

/// What the frames in a capture start with (the `LINKTYPE_*` registry value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PcapLinkType {
    /// `LINKTYPE_ETHERNET` (1): Ethernet II frames without FCS.
    Ethernet,
    /// `LINKTYPE_RAW` (101): bare IPv4 or IPv6 packets.
    Raw,
    /// Any other link type, carried through when reading.
    Other(u32),
}

impl PcapLinkType {
    fn to_u32(self) -> u32 {
        match self {
            PcapLinkType::Ethernet => 1,
            PcapLinkType::Raw => 101,
            PcapLinkType::Other(n) => n,
        }
    }

    fn from_u32(n: u32) -> Self {
        match n {
            1 => PcapLinkType::Ethernet,
            101 => PcapLinkType::Raw,
            n => PcapLinkType::Other(n),
        }
    }
}

/// Resolution of the timestamps in a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PcapTimestamp {
    /// Microseconds (magic `a1b2c3d4`), readable by every tool.
    Micros,
    /// Nanoseconds (magic `a1b23c4d`). skiff time is in microseconds, so the last three
    /// digits are always zero when writing.
    Nanos,
}

/// Where a [`PcapWriter`] puts its bytes. Implemented for `Vec<u8>` (with `alloc`) and,
/// through [`IoSink`], for any `std::io::Write` (with `std`).
pub trait PcapSink {
    /// Appends `data` to the capture. A sink that fails records it itself; the writer
    /// must never stop the network stack because a capture file filled a disk.
    fn write_bytes(&mut self, data: &[u8]);
}

#[cfg(feature = "alloc")]
impl PcapSink for alloc::vec::Vec<u8> {
    fn write_bytes(&mut self, data: &[u8]) {
        self.extend_from_slice(data);
    }
}

impl<S: PcapSink + ?Sized> PcapSink for &mut S {
    fn write_bytes(&mut self, data: &[u8]) {
        (**self).write_bytes(data)
    }
}

/// Adapts a `std::io::Write` into a [`PcapSink`], keeping the first I/O error so the
/// caller can check it when convenient instead of on every frame.
#[cfg(feature = "std")]
#[derive(Debug)]
pub struct IoSink<W: std::io::Write> {
    inner: W,
    error: Option<std::io::Error>,
}

#[cfg(feature = "std")]
impl<W: std::io::Write> IoSink<W> {
    /// Wraps a writer (a `File`, a `BufWriter`, a pipe ...).
    pub fn new(inner: W) -> Self {
        IoSink { inner, error: None }
    }

    /// The first write error, if any; once one happened, later frames are discarded.
    pub fn error(&self) -> Option<&std::io::Error> {
        self.error.as_ref()
    }

    /// Flushes and returns the writer, or the first error seen.
    pub fn into_inner(mut self) -> std::io::Result<W> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.inner.flush()?;
        Ok(self.inner)
    }
}

#[cfg(feature = "std")]
impl<W: std::io::Write> PcapSink for IoSink<W> {
    fn write_bytes(&mut self, data: &[u8]) {
        if self.error.is_none() {
            if let Err(e) = self.inner.write_all(data) {
                self.error = Some(e);
            }
        }
    }
}

/// Writes a pcap capture into a [`PcapSink`]. Costs one copy of each frame (into the
/// sink) and no allocation of its own.
#[derive(Debug)]
pub struct PcapWriter<S: PcapSink> {
    sink: S,
    resolution: PcapTimestamp,
    snap_len: u32,
}

impl<S: PcapSink> PcapWriter<S> {
    /// Starts a capture: writes the global header. `snap_len` bounds how many bytes of
    /// each frame are kept (65535 keeps everything an Ethernet device produces).
    pub fn new(
        mut sink: S,
        link_type: PcapLinkType,
        resolution: PcapTimestamp,
        snap_len: u32,
    ) -> Self {
        let magic = match resolution {
            PcapTimestamp::Micros => MAGIC_MICROS,
            PcapTimestamp::Nanos => MAGIC_NANOS,
        };
        let mut header = [0u8; GLOBAL_HEADER_LEN];
        header[0..4].copy_from_slice(&magic.to_le_bytes());
        header[4..6].copy_from_slice(&2u16.to_le_bytes());
        header[6..8].copy_from_slice(&4u16.to_le_bytes());
        // thiszone and sigfigs stay zero, as every modern writer leaves them.
        header[16..20].copy_from_slice(&snap_len.to_le_bytes());
        header[20..24].copy_from_slice(&link_type.to_u32().to_le_bytes());
        sink.write_bytes(&header);
        PcapWriter {
            sink,
            resolution,
            snap_len,
        }
    }

    /// Appends one frame seen at `timestamp`. Frames longer than the snap length are cut,
    /// with the original length recorded. Instants before the epoch are written as 0.
    pub fn write_frame(&mut self, timestamp: Instant, frame: &[u8]) {
        let micros = timestamp.total_micros().max(0) as u64;
        let secs = u32::try_from(micros / 1_000_000).unwrap_or(u32::MAX);
        let frac = (micros % 1_000_000) as u32;
        let frac = match self.resolution {
            PcapTimestamp::Micros => frac,
            PcapTimestamp::Nanos => frac * 1_000,
        };
        let orig_len = u32::try_from(frame.len()).unwrap_or(u32::MAX);
        let incl_len = orig_len.min(self.snap_len);
        let mut header = [0u8; RECORD_HEADER_LEN];
        header[0..4].copy_from_slice(&secs.to_le_bytes());
        header[4..8].copy_from_slice(&frac.to_le_bytes());
        header[8..12].copy_from_slice(&incl_len.to_le_bytes());
        header[12..16].copy_from_slice(&orig_len.to_le_bytes());
        self.sink.write_bytes(&header);
        self.sink.write_bytes(&frame[..incl_len as usize]);
    }

    /// The sink, for inspection.
    pub fn sink(&self) -> &S {
        &self.sink
    }

    /// Ends the capture and returns the sink.
    pub fn into_sink(self) -> S {
        self.sink
    }
}

/// Why a byte string is not a readable pcap capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PcapError {
    /// Shorter than the 24-byte global header, or a record runs past the end.
    Truncated,
    /// The magic number is not one of the four classic pcap ones (pcapng is not read).
    BadMagic,
    /// A record claims more captured bytes than its original length or the snap length.
    BadRecord,
}

impl fmt::Display for PcapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PcapError::Truncated => "pcap data is truncated",
            PcapError::BadMagic => "not a pcap capture (unknown magic number)",
            PcapError::BadRecord => "pcap record has inconsistent lengths",
        })
    }
}

impl core::error::Error for PcapError {}

/// One frame of a capture, borrowed from the capture's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PcapRecord<'a> {
    /// When the frame was seen, on the capture's clock (microseconds; nanosecond
    /// captures are rounded down).
    pub timestamp: Instant,
    /// The frame's length on the wire, which may exceed `data.len()` if it was cut.
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
}

/// Reads a classic pcap capture held in memory, in either byte order and resolution.
/// Never copies a frame: records borrow from the input.
#[derive(Debug, Clone)]
pub struct PcapReader<'a> {
    rest: &'a [u8],
    big_endian: bool,
    nanos: bool,
    snap_len: u32,
    link_type: PcapLinkType,
    failed: bool,
}

impl<'a> PcapReader<'a> {
    /// Validates the global header. Records are checked one by one as they are read.
    pub fn new(data: &'a [u8]) -> Result<Self, PcapError> {
        let header = data.get(..GLOBAL_HEADER_LEN).ok_or(PcapError::Truncated)?;
        let magic_le = u32::from_le_bytes([header[0], header[1], header[2], header[3]]);
        let (big_endian, nanos) = match magic_le {
            MAGIC_MICROS => (false, false),
            MAGIC_NANOS => (false, true),
            m if m.swap_bytes() == MAGIC_MICROS => (true, false),
            m if m.swap_bytes() == MAGIC_NANOS => (true, true),
            _ => return Err(PcapError::BadMagic),
        };
        let mut reader = PcapReader {
            rest: &data[GLOBAL_HEADER_LEN..],
            big_endian,
            nanos,
            snap_len: 0,
            link_type: PcapLinkType::Ethernet,
            failed: false,
        };
        reader.snap_len = reader.u32_at(header, 16);
        // The top bits of the link-type field carry FCS flags (pcap-savefile(5)).
        reader.link_type = PcapLinkType::from_u32(reader.u32_at(header, 20) & 0x0fff_ffff);
        Ok(reader)
    }

    /// The capture's link type.
    pub fn link_type(&self) -> PcapLinkType {
        self.link_type
    }

    /// The capture's snap length.
    pub fn snap_len(&self) -> u32 {
        self.snap_len
    }

    fn u32_at(&self, bytes: &[u8], at: usize) -> u32 {
        let b = [bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }

    fn next_record(&mut self) -> Result<PcapRecord<'a>, PcapError> {
        let header = self
            .rest
            .get(..RECORD_HEADER_LEN)
            .ok_or(PcapError::Truncated)?;
        let secs = self.u32_at(header, 0) as i64;
        let frac = self.u32_at(header, 4) as i64;
        let incl_len = self.u32_at(header, 8);
        let orig_len = self.u32_at(header, 12);
        // Some writers set a snap length of 0 meaning "unlimited"; only the
        // original-length bound is always meaningful.
        if incl_len > orig_len && incl_len > self.snap_len {
            return Err(PcapError::BadRecord);
        }
        let end = RECORD_HEADER_LEN
            .checked_add(incl_len as usize)
            .ok_or(PcapError::Truncated)?;
        let data = self
            .rest
            .get(RECORD_HEADER_LEN..end)
            .ok_or(PcapError::Truncated)?;
        self.rest = &self.rest[end..];
        let micros = if self.nanos { frac / 1_000 } else { frac };
        Ok(PcapRecord {
            timestamp: Instant::from_micros(secs * 1_000_000 + micros),
            orig_len,
            data,
        })
    }
}

impl<'a> Iterator for PcapReader<'a> {
    type Item = Result<PcapRecord<'a>, PcapError>;

    /// Yields each record; after the first error, yields that error once and then ends.
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let record = self.next_record();
        if record.is_err() {
            self.failed = true;
        }
        Some(record)
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn written_capture_reads_back_with_the_same_frames_and_times() {
        for resolution in [PcapTimestamp::Micros, PcapTimestamp::Nanos] {
            let mut w = PcapWriter::new(Vec::new(), PcapLinkType::Ethernet, resolution, 65535);
            w.write_frame(Instant::from_micros(1_500_000), &[1, 2, 3]);
            w.write_frame(Instant::from_micros(2_000_001), &[0xaa; 60]);
            let bytes = w.into_sink();
            assert_eq!(bytes.len(), 24 + 16 + 3 + 16 + 60);
            let reader = PcapReader::new(&bytes).unwrap();
            assert_eq!(reader.link_type(), PcapLinkType::Ethernet);
            let records: Vec<_> = reader.map(|r| r.unwrap()).collect();
            assert_eq!(records.len(), 2);
            assert_eq!(records[0].timestamp, Instant::from_micros(1_500_000));
            assert_eq!(records[0].data, &[1, 2, 3]);
            assert_eq!(records[1].timestamp, Instant::from_micros(2_000_001));
            assert_eq!(records[1].orig_len, 60);
        }
    }

    #[test]
    fn global_header_has_the_layout_libpcap_expects() {
        let w = PcapWriter::new(Vec::new(), PcapLinkType::Raw, PcapTimestamp::Micros, 65535);
        let b = w.into_sink();
        assert_eq!(&b[0..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
        assert_eq!(&b[4..8], &[2, 0, 4, 0]);
        assert_eq!(&b[16..20], &65535u32.to_le_bytes());
        assert_eq!(&b[20..24], &101u32.to_le_bytes());
    }

    #[test]
    fn frames_longer_than_the_snap_length_are_cut_but_keep_their_length() {
        let mut w = PcapWriter::new(
            Vec::new(),
            PcapLinkType::Ethernet,
            PcapTimestamp::Micros,
            10,
        );
        w.write_frame(Instant::ZERO, &[7u8; 100]);
        let bytes = w.into_sink();
        let r = PcapReader::new(&bytes).unwrap().next().unwrap().unwrap();
        assert_eq!(r.data.len(), 10);
        assert_eq!(r.orig_len, 100);
    }

    #[test]
    fn big_endian_captures_are_read() {
        let mut b = Vec::new();
        b.extend_from_slice(&MAGIC_MICROS.to_be_bytes());
        b.extend_from_slice(&[0, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0]);
        b.extend_from_slice(&65535u32.to_be_bytes());
        b.extend_from_slice(&1u32.to_be_bytes());
        b.extend_from_slice(&3u32.to_be_bytes());
        b.extend_from_slice(&5u32.to_be_bytes());
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend_from_slice(&[9, 9]);
        let r = PcapReader::new(&b).unwrap().next().unwrap().unwrap();
        assert_eq!(r.timestamp, Instant::from_micros(3_000_005));
        assert_eq!(r.data, &[9, 9]);
    }

    #[test]
    fn hostile_captures_give_errors_not_panics() {
        assert_eq!(
            PcapReader::new(&[0u8; 10]).unwrap_err(),
            PcapError::Truncated
        );
        assert_eq!(
            PcapReader::new(&[0u8; 24]).unwrap_err(),
            PcapError::BadMagic
        );
        let w = PcapWriter::new(
            Vec::new(),
            PcapLinkType::Ethernet,
            PcapTimestamp::Micros,
            65535,
        );
        let mut b = w.into_sink();
        // A record claiming 4 GiB of data.
        b.extend_from_slice(&[
            0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        ]);
        let mut reader = PcapReader::new(&b).unwrap();
        assert_eq!(reader.next(), Some(Err(PcapError::Truncated)));
        assert_eq!(reader.next(), None);
        // A record whose captured length exceeds both its original and the snap length.
        let n = b.len();
        b[n - 4..].copy_from_slice(&10u32.to_le_bytes());
        let mut reader = PcapReader::new(&b).unwrap();
        assert_eq!(reader.next(), Some(Err(PcapError::BadRecord)));
        assert_eq!(reader.next(), None);
        // Every truncation of a valid capture reads without panicking.
        let mut w = PcapWriter::new(
            Vec::new(),
            PcapLinkType::Ethernet,
            PcapTimestamp::Micros,
            65535,
        );
        w.write_frame(Instant::ZERO, &[1u8; 40]);
        w.write_frame(Instant::ZERO, &[2u8; 40]);
        let full = w.into_sink();
        for len in 0..full.len() {
            if let Ok(reader) = PcapReader::new(&full[..len]) {
                let n = reader.count();
                assert!(n <= 2);
            }
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn io_sink_keeps_the_first_error() {
        struct Full;
        impl std::io::Write for Full {
            fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk full"))
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let mut w = PcapWriter::new(
            IoSink::new(Full),
            PcapLinkType::Ethernet,
            PcapTimestamp::Micros,
            65535,
        );
        w.write_frame(Instant::ZERO, &[0; 4]);
        assert!(w.sink().error().is_some());
        assert!(w.into_sink().into_inner().is_err());
    }
}
