//! TCP segments: the header view `TcpPacket`, the plain `TcpRepr`, flags and options.
//!
//! RFC 9293 §3.1 (header format), RFC 7323 (window scale, timestamps), RFC 2018 (SACK).

use core::fmt;
use core::net::SocketAddr;

use crate::wire::ip::pseudo_header_sum;
use crate::wire::{
    ChecksumCapabilities, Error, IpAddress, IpProtocol, Ipv4Address, Result, SeqNumber, checksum,
};

mod option;
pub(crate) use self::option::aligned_timestamp;
pub use self::option::{TCP_MAX_OPTIONS_LEN, TcpOption, TcpOptionsIter, TcpTimestampRepr};

mod field {
    use crate::wire::Field;

    pub const SRC_PORT: Field = 0..2;
    pub const DST_PORT: Field = 2..4;
    pub const SEQ_NUM: Field = 4..8;
    pub const ACK_NUM: Field = 8..12;
    /// Data offset (4 bits), reserved (3 bits), then the nine flag bits NS..FIN.
    pub const FLAGS: Field = 12..14;
    pub const WIN_SIZE: Field = 14..16;
    pub const CHECKSUM: Field = 16..18;
    pub const URGENT: Field = 18..20;
    pub const OPTIONS_START: usize = 20;
    /// The bits of `FLAGS` that hold flags (the rest are data offset and reserved).
    pub const FLAG_BITS: u16 = 0x01ff;
}

/// The length of a TCP header without options.
pub const TCP_HEADER_LEN: usize = field::OPTIONS_START;

bitflags::bitflags! {
    /// The nine TCP flag bits, with their header bit values (RFC 9293 §3.1; NS from
    /// RFC 3540). Any combination is representable, including ones no honest sender
    /// produces (SYN+FIN, none, "Xmas"), so that the socket can be tested against them.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct TcpFlags: u16 {
        /// No more data from the sender; occupies one sequence number.
        const FIN = 0x001;
        /// Synchronise sequence numbers; occupies one sequence number.
        const SYN = 0x002;
        /// Reset the connection.
        const RST = 0x004;
        /// Push: deliver promptly.
        const PSH = 0x008;
        /// The acknowledgment field is significant.
        const ACK = 0x010;
        /// The urgent pointer is significant.
        const URG = 0x020;
        /// ECN echo (RFC 3168).
        const ECE = 0x040;
        /// Congestion window reduced (RFC 3168).
        const CWR = 0x080;
        /// ECN nonce sum (RFC 3540, historic).
        const NS = 0x100;
    }
}

/// The one control a well-formed segment carries, for code that builds segments: SYN,
/// FIN and RST are mutually exclusive in honest traffic. Wire-level flags live in
/// [`TcpFlags`]; [`TcpRepr::control`] maps back when the combination is unambiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpControl {
    /// No control flag.
    None,
    /// PSH alone.
    Psh,
    /// SYN.
    Syn,
    /// FIN.
    Fin,
    /// RST.
    Rst,
}

impl TcpControl {
    /// The flag bits this control sets.
    pub fn flags(self) -> TcpFlags {
        match self {
            TcpControl::None => TcpFlags::empty(),
            TcpControl::Psh => TcpFlags::PSH,
            TcpControl::Syn => TcpFlags::SYN,
            TcpControl::Fin => TcpFlags::FIN,
            TcpControl::Rst => TcpFlags::RST,
        }
    }

    /// How much sequence space the control occupies: 1 for SYN and FIN, else 0.
    pub fn seq_len(self) -> usize {
        match self {
            TcpControl::Syn | TcpControl::Fin => 1,
            _ => 0,
        }
    }
}

/// A read/write view of a TCP segment (header and payload) in a byte buffer.
///
/// The buffer is the whole segment, i.e. exactly the IP payload: the checksum and
/// `payload()` cover it to its end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TcpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

fn be_u16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

fn be_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// One getter per flag bit, so the list reads like the header diagram.
macro_rules! flag_getters {
    ($( $(#[$doc:meta])* $name:ident: $flag:ident, )*) => {$(
        $(#[$doc])*
        pub fn $name(&self) -> bool {
            self.flags().contains(TcpFlags::$flag)
        }
    )*};
}

/// One setter per flag bit; each keeps the other bits.
macro_rules! flag_setters {
    ($( $(#[$doc:meta])* $name:ident: $flag:ident, )*) => {$(
        $(#[$doc])*
        pub fn $name(&mut self, value: bool) {
            self.set_flag(TcpFlags::$flag, value)
        }
    )*};
}

impl<T: AsRef<[u8]>> TcpPacket<T> {
    /// Wraps `buffer` without checking it; call [`check_len`](Self::check_len) before
    /// any getter.
    pub const fn new_unchecked(buffer: T) -> TcpPacket<T> {
        TcpPacket { buffer }
    }

    /// Wraps `buffer` and checks that every getter can read what it needs.
    pub fn new_checked(buffer: T) -> Result<TcpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the fixed header fits and the data offset is sane: `Truncated` if the buffer
    /// is under 20 bytes or shorter than the data offset says, `Malformed` if the data
    /// offset is below 5 words (RFC 9293 §3.1: the header is at least 20 bytes).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < TCP_HEADER_LEN {
            return Err(Error::Truncated);
        }
        let header_len = usize::from(self.header_len());
        if header_len < TCP_HEADER_LEN {
            Err(Error::Malformed)
        } else if header_len > len {
            Err(Error::Truncated)
        } else {
            Ok(())
        }
    }

    /// Gives the buffer back.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The source port.
    pub fn src_port(&self) -> u16 {
        be_u16(&self.buffer.as_ref()[field::SRC_PORT])
    }

    /// The destination port.
    pub fn dst_port(&self) -> u16 {
        be_u16(&self.buffer.as_ref()[field::DST_PORT])
    }

    /// The sequence number of the first octet (or of the SYN).
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(be_u32(&self.buffer.as_ref()[field::SEQ_NUM]))
    }

    /// The acknowledgment field, significant only when ACK is set.
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(be_u32(&self.buffer.as_ref()[field::ACK_NUM]))
    }

    /// The header length in bytes: the data offset field times four (0 to 60).
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }

    /// The nine flag bits; the three reserved bits are not included.
    pub fn flags(&self) -> TcpFlags {
        let raw = be_u16(&self.buffer.as_ref()[field::FLAGS]);
        TcpFlags::from_bits_truncate(raw & field::FLAG_BITS)
    }

    /// The three reserved bits between the data offset and NS (sent as zero, ignored on
    /// receipt: CONFORMANCE CORE-22).
    pub fn reserved(&self) -> u8 {
        (self.buffer.as_ref()[field::FLAGS.start] >> 1) & 0x7
    }

    flag_getters! {
        /// FIN flag.
        fin: FIN,
        /// SYN flag.
        syn: SYN,
        /// RST flag.
        rst: RST,
        /// PSH flag.
        psh: PSH,
        /// ACK flag.
        ack: ACK,
        /// URG flag.
        urg: URG,
        /// ECE flag.
        ece: ECE,
        /// CWR flag.
        cwr: CWR,
        /// NS flag.
        ns: NS,
    }

    /// The window field, unscaled and unsigned (RFC 9293 MUST-1).
    pub fn window_len(&self) -> u16 {
        be_u16(&self.buffer.as_ref()[field::WIN_SIZE])
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        be_u16(&self.buffer.as_ref()[field::CHECKSUM])
    }

    /// The urgent pointer field, significant only when URG is set.
    pub fn urgent_at(&self) -> u16 {
        be_u16(&self.buffer.as_ref()[field::URGENT])
    }

    /// The option area: the bytes between the fixed header and the data offset.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS_START..usize::from(self.header_len())]
    }

    /// The data after the header, to the end of the buffer.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[usize::from(self.header_len())..]
    }

    /// The sequence space the segment occupies: payload length plus one each for SYN and
    /// FIN (RFC 9293 §3.4, SEG.LEN).
    pub fn segment_len(&self) -> usize {
        self.payload().len() + usize::from(self.syn()) + usize::from(self.fin())
    }

    /// Whether the checksum verifies over the pseudo-header for `src`/`dst` and the whole
    /// segment. False for mixed address versions or an IPv4 segment over 65535 bytes.
    /// One pass over the segment.
    pub fn verify_checksum(&self, src: &IpAddress, dst: &IpAddress) -> bool {
        let data = self.buffer.as_ref();
        let Ok(len) = u32::try_from(data.len()) else {
            return false;
        };
        match pseudo_header_sum(src, dst, IpProtocol::Tcp, len) {
            Some(pseudo) => checksum::verifies(checksum::combine(&[pseudo, checksum::sum(data)])),
            None => false,
        }
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> TcpPacket<T> {
    /// Sets the source port.
    pub fn set_src_port(&mut self, port: u16) {
        self.buffer.as_mut()[field::SRC_PORT].copy_from_slice(&port.to_be_bytes());
    }

    /// Sets the destination port.
    pub fn set_dst_port(&mut self, port: u16) {
        self.buffer.as_mut()[field::DST_PORT].copy_from_slice(&port.to_be_bytes());
    }

    /// Sets the sequence number.
    pub fn set_seq_number(&mut self, seq: SeqNumber) {
        self.buffer.as_mut()[field::SEQ_NUM].copy_from_slice(&seq.0.to_be_bytes());
    }

    /// Sets the acknowledgment field.
    pub fn set_ack_number(&mut self, ack: SeqNumber) {
        self.buffer.as_mut()[field::ACK_NUM].copy_from_slice(&ack.0.to_be_bytes());
    }

    /// Sets the data offset to `len / 4` (`len` a multiple of 4, 20 to 60), keeping the
    /// reserved and flag bits.
    pub fn set_header_len(&mut self, len: u8) {
        let byte = &mut self.buffer.as_mut()[field::FLAGS.start];
        *byte = ((len / 4) << 4) | (*byte & 0x0f);
    }

    /// Sets all nine flags and clears the reserved bits (RFC 9293: sent as zero), keeping
    /// the data offset.
    pub fn set_flags(&mut self, flags: TcpFlags) {
        let buf = self.buffer.as_mut();
        let raw = (be_u16(&buf[field::FLAGS]) & 0xf000) | flags.bits();
        buf[field::FLAGS].copy_from_slice(&raw.to_be_bytes());
    }

    fn set_flag(&mut self, flag: TcpFlags, value: bool) {
        let mut flags = self.flags();
        flags.set(flag, value);
        let buf = self.buffer.as_mut();
        let raw = (be_u16(&buf[field::FLAGS]) & !field::FLAG_BITS) | flags.bits();
        buf[field::FLAGS].copy_from_slice(&raw.to_be_bytes());
    }

    flag_setters! {
        /// Sets or clears FIN.
        set_fin: FIN,
        /// Sets or clears SYN.
        set_syn: SYN,
        /// Sets or clears RST.
        set_rst: RST,
        /// Sets or clears PSH.
        set_psh: PSH,
        /// Sets or clears ACK.
        set_ack: ACK,
        /// Sets or clears URG.
        set_urg: URG,
        /// Sets or clears ECE.
        set_ece: ECE,
        /// Sets or clears CWR.
        set_cwr: CWR,
        /// Sets or clears NS.
        set_ns: NS,
    }

    /// Sets the window field.
    pub fn set_window_len(&mut self, window: u16) {
        self.buffer.as_mut()[field::WIN_SIZE].copy_from_slice(&window.to_be_bytes());
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the urgent pointer field.
    pub fn set_urgent_at(&mut self, value: u16) {
        self.buffer.as_mut()[field::URGENT].copy_from_slice(&value.to_be_bytes());
    }

    /// The option area, writable (its length follows the data offset already set).
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = usize::from(self.header_len());
        &mut self.buffer.as_mut()[field::OPTIONS_START..end]
    }

    /// The payload, writable (from the data offset already set to the buffer's end).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = usize::from(self.header_len());
        &mut self.buffer.as_mut()[start..]
    }

    /// Computes and writes the checksum over the pseudo-header and the whole buffer
    /// (RFC 9293 MUST-2). With mixed address versions (which no real packet has) the
    /// field is left 0. One pass over the segment.
    pub fn fill_checksum(&mut self, src: &IpAddress, dst: &IpAddress) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        let pseudo = u32::try_from(data.len())
            .ok()
            .and_then(|len| pseudo_header_sum(src, dst, IpProtocol::Tcp, len));
        if let Some(pseudo) = pseudo {
            let sum = checksum::combine(&[pseudo, checksum::sum(data)]);
            self.set_checksum(checksum::finish(sum));
        }
    }
}

/// A TCP segment as plain values, borrowing its payload.
///
/// Normalisations (the only fields that do not round-trip byte for byte):
/// - the three reserved bits are emitted as zero (CONFORMANCE CORE-22);
/// - the acknowledgment field is `ack_number` when ACK is set and 0 otherwise, so a
///   segment with ACK clear and a non-zero acknowledgment field is re-emitted with 0;
/// - options are re-laid-out the way [`emit`](Self::emit) lays them out (Linux's order),
///   unknown options are dropped, a later duplicate of an option wins, and anything
///   after EOL is padding.
///
/// Every one of the nine flag bits round-trips exactly, in every combination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpRepr<'a> {
    /// Source port (never 0).
    pub src_port: u16,
    /// Destination port (never 0).
    pub dst_port: u16,
    /// All flag bits as sent. The ACK bit is emitted if it is here *or* `ack_number` is
    /// `Some`; `parse` keeps both in agreement.
    pub flags: TcpFlags,
    /// Sequence number.
    pub seq_number: SeqNumber,
    /// Acknowledgment number: `Some` exactly when the ACK flag is set.
    pub ack_number: Option<SeqNumber>,
    /// Window field, unscaled.
    pub window_len: u16,
    /// Window Scale option (RFC 7323 §2), raw shift count.
    pub window_scale: Option<u8>,
    /// Maximum Segment Size option.
    pub max_seg_size: Option<u16>,
    /// SACK-permitted option (RFC 2018 §2).
    pub sack_permitted: bool,
    /// SACK blocks `(left, right)`, used from index 0. If they do not all fit in the
    /// 40-byte option area beside the other options, `emit` sends the first ones that do.
    pub sack_ranges: [Option<(u32, u32)>; 4],
    /// Timestamps option.
    pub timestamp: Option<TcpTimestampRepr>,
    /// Urgent pointer field, kept whether or not URG is set.
    pub urgent_pointer: u16,
    /// Segment data.
    pub payload: &'a [u8],
}

impl<'a> TcpRepr<'a> {
    /// Parses a checked or unchecked view. Verifies the checksum when `caps.tcp.rx()`
    /// (`Error::Checksum`, RFC 9293 MUST-3); a zero port is `Malformed`; any bad option
    /// makes the whole segment `Malformed`/`Truncated` (MUST-7: the minimum is a drop),
    /// while unknown options are skipped (MUST-6). Options count on any segment (MUST-5).
    /// Does not copy the payload; reads the options once.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &TcpPacket<&'a T>,
        src_addr: &IpAddress,
        dst_addr: &IpAddress,
        caps: &ChecksumCapabilities,
    ) -> Result<TcpRepr<'a>> {
        packet.check_len()?;
        if caps.tcp.rx() && !packet.verify_checksum(src_addr, dst_addr) {
            return Err(Error::Checksum);
        }
        // RFC 9293 §3.1: port 0 is reserved; nothing legitimate sends from or to it.
        if packet.src_port() == 0 || packet.dst_port() == 0 {
            return Err(Error::Malformed);
        }
        let flags = packet.flags();
        let buffer: &'a T = packet.buffer;
        let bytes: &'a [u8] = buffer.as_ref();
        let header_len = usize::from(packet.header_len());
        let options = bytes
            .get(field::OPTIONS_START..header_len)
            .ok_or(Error::Truncated)?;
        let mut repr = TcpRepr {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            flags,
            seq_number: packet.seq_number(),
            ack_number: flags.contains(TcpFlags::ACK).then(|| packet.ack_number()),
            window_len: packet.window_len(),
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 4],
            timestamp: None,
            urgent_pointer: packet.urgent_at(),
            payload: bytes.get(header_len..).ok_or(Error::Truncated)?,
        };
        repr.parse_options(options)?;
        Ok(repr)
    }

    /// The flags as emitted: `flags`, plus ACK when `ack_number` is `Some`.
    pub fn wire_flags(&self) -> TcpFlags {
        let mut flags = self.flags;
        flags.set(
            TcpFlags::ACK,
            flags.contains(TcpFlags::ACK) || self.ack_number.is_some(),
        );
        flags
    }

    /// The single control of the segment, or `None` if SYN, FIN and RST are combined
    /// (hostile input the socket must still handle through `flags`). PSH counts only when
    /// no other control is set.
    pub fn control(&self) -> Option<TcpControl> {
        let f = self.flags;
        match (
            f.contains(TcpFlags::SYN),
            f.contains(TcpFlags::FIN),
            f.contains(TcpFlags::RST),
        ) {
            (false, false, false) if f.contains(TcpFlags::PSH) => Some(TcpControl::Psh),
            (false, false, false) => Some(TcpControl::None),
            (true, false, false) => Some(TcpControl::Syn),
            (false, true, false) => Some(TcpControl::Fin),
            (false, false, true) => Some(TcpControl::Rst),
            _ => None,
        }
    }

    /// SYN is set.
    pub fn is_syn(&self) -> bool {
        self.flags.contains(TcpFlags::SYN)
    }
    /// FIN is set.
    pub fn is_fin(&self) -> bool {
        self.flags.contains(TcpFlags::FIN)
    }
    /// RST is set.
    pub fn is_rst(&self) -> bool {
        self.flags.contains(TcpFlags::RST)
    }
    /// PSH is set.
    pub fn is_psh(&self) -> bool {
        self.flags.contains(TcpFlags::PSH)
    }

    /// SEG.LEN: payload length plus one each for SYN and FIN (RFC 9293 §3.4).
    pub fn segment_len(&self) -> usize {
        self.payload.len() + usize::from(self.is_syn()) + usize::from(self.is_fin())
    }

    /// Whether the segment occupies no sequence space (no data, SYN or FIN), like a bare
    /// ACK or RST.
    pub fn is_empty(&self) -> bool {
        self.segment_len() == 0
    }

    /// The header length `emit` writes: 20 plus the options, a multiple of 4, at most 60.
    pub fn header_len(&self) -> usize {
        let sack = match self.sack_blocks_sent() {
            0 => 0,
            n => 4 + 8 * n,
        };
        TCP_HEADER_LEN + self.fixed_options_len() + sack
    }

    /// The whole segment length: header plus payload. Size the emit buffer with this.
    pub fn buffer_len(&self) -> usize {
        self.header_len() + self.payload.len()
    }

    /// Writes the segment into `packet`, whose buffer must be exactly
    /// [`buffer_len`](Self::buffer_len) bytes. Fills the checksum when `caps.tcp.tx()`,
    /// else leaves it 0 for the device. Copies the payload once and sums the segment once.
    ///
    /// # Panics
    /// If the buffer is shorter than `buffer_len()`.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut TcpPacket<&mut T>,
        src_addr: &IpAddress,
        dst_addr: &IpAddress,
        caps: &ChecksumCapabilities,
    ) {
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number.unwrap_or(SeqNumber(0)));
        // header_len() is at most 60, so it fits the data offset field.
        packet.set_header_len(u8::try_from(self.header_len()).unwrap_or(60));
        packet.set_flags(self.wire_flags());
        packet.set_window_len(self.window_len);
        packet.set_urgent_at(self.urgent_pointer);
        packet.set_checksum(0);
        self.emit_options(packet.options_mut());
        packet.payload_mut()[..self.payload.len()].copy_from_slice(self.payload);
        if caps.tcp.tx() {
            packet.fill_checksum(src_addr, dst_addr);
        }
    }

    /// Formats the segment with addresses: `TCP 10.0.0.1:49152 > 10.0.0.2:80 [SYN] ...`
    /// (IPv6 addresses in brackets). Borrows `self`; formats without allocating.
    pub fn display_with(&self, src: IpAddress, dst: IpAddress) -> impl fmt::Display + '_ {
        TcpReprDisplay {
            repr: self,
            addrs: Some((src, dst)),
        }
    }
}

/// Flag names in the order tcpdump users read them.
const FLAG_NAMES: [(TcpFlags, &str); 9] = [
    (TcpFlags::SYN, "SYN"),
    (TcpFlags::FIN, "FIN"),
    (TcpFlags::RST, "RST"),
    (TcpFlags::PSH, "PSH"),
    (TcpFlags::ACK, "ACK"),
    (TcpFlags::URG, "URG"),
    (TcpFlags::ECE, "ECE"),
    (TcpFlags::CWR, "CWR"),
    (TcpFlags::NS, "NS"),
];

impl fmt::Display for TcpFlags {
    /// Flag names joined by commas in tcpdump's order, e.g. `SYN,ACK`; `none` for a
    /// segment with no flag at all.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (flag, name) in FLAG_NAMES {
            if self.contains(flag) {
                f.write_str(if first { "" } else { "," })?;
                f.write_str(name)?;
                first = false;
            }
        }
        if first {
            f.write_str("none")?;
        }
        Ok(())
    }
}

struct TcpReprDisplay<'r, 'a> {
    repr: &'r TcpRepr<'a>,
    addrs: Option<(IpAddress, IpAddress)>,
}

impl fmt::Display for TcpReprDisplay<'_, '_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let r = self.repr;
        match self.addrs {
            Some((src, dst)) => write!(
                f,
                "TCP {} > {} [",
                SocketAddr::new(src, r.src_port),
                SocketAddr::new(dst, r.dst_port)
            )?,
            None => write!(f, "TCP {} > {} [", r.src_port, r.dst_port)?,
        }
        let flags = r.wire_flags();
        write!(f, "{flags}] seq={}", r.seq_number)?;
        if let Some(ack) = r.ack_number {
            write!(f, " ack={ack}")?;
        }
        write!(f, " win={}", r.window_len)?;
        if flags.contains(TcpFlags::URG) {
            write!(f, " urg={}", r.urgent_pointer)?;
        }
        if !r.payload.is_empty() {
            write!(f, " len={}", r.payload.len())?;
        }
        if let Some(mss) = r.max_seg_size {
            write!(f, " mss={mss}")?;
        }
        if let Some(shift) = r.window_scale {
            write!(f, " ws={shift}")?;
        }
        if r.sack_permitted {
            f.write_str(" sackOK")?;
        }
        if let Some(ts) = r.timestamp {
            write!(f, " ts={}/{}", ts.tsval, ts.tsecr)?;
        }
        let mut blocks = r.sack_ranges.iter().flatten().peekable();
        if blocks.peek().is_some() {
            f.write_str(" sack=[")?;
            for (i, (left, right)) in blocks.enumerate() {
                write!(f, "{}{left}-{right}", if i == 0 { "" } else { "," })?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

impl fmt::Display for TcpRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        TcpReprDisplay {
            repr: self,
            addrs: None,
        }
        .fmt(f)
    }
}

impl<T: AsRef<[u8]>> fmt::Display for TcpPacket<T> {
    /// Parses without checking the checksum (the view has no addresses) and prints the
    /// repr, or `TCP malformed (<reason>)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unspecified = IpAddress::V4(Ipv4Address::UNSPECIFIED);
        let packet = TcpPacket::new_unchecked(self.buffer.as_ref());
        let caps = ChecksumCapabilities::ignored();
        match TcpRepr::parse(&packet, &unspecified, &unspecified, &caps) {
            Ok(repr) => repr.fmt(f),
            Err(e) => write!(f, "TCP malformed ({e})"),
        }
    }
}

#[cfg(test)]
mod tests;
