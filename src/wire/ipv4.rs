//! IPv4 headers: the checked view, options, the plain representation and CIDR prefixes.
//!
//! Governed by RFC 791 (format, options), RFC 1122 §3.2.1 (host validation), RFC 2474 /
//! RFC 3168 (DSCP/ECN), RFC 2113 (Router Alert) and RFC 4632 (CIDR notation).

use core::fmt;
use core::str::FromStr;

use super::checksum;
use super::{ChecksumCapabilities, Error, IpProtocol, Ipv4Address, Result};

mod field {
    use crate::wire::{Field, Rest};

    pub const VER_IHL: usize = 0;
    pub const DSCP_ECN: usize = 1;
    pub const LENGTH: Field = 2..4;
    pub const IDENT: Field = 4..6;
    pub const FLG_OFF: Field = 6..8;
    pub const TTL: usize = 8;
    pub const PROTOCOL: usize = 9;
    pub const CHECKSUM: Field = 10..12;
    pub const SRC_ADDR: Field = 12..16;
    pub const DST_ADDR: Field = 16..20;
    pub const OPTIONS: Rest = 20..;
}

/// Length of an IPv4 header without options.
pub const IPV4_HEADER_LEN: usize = 20;
/// Longest options area: IHL is at most 15 words, 5 of which are the fixed header.
pub const IPV4_MAX_OPTIONS_LEN: usize = 40;
/// Minimum datagram size every host must accept (RFC 791, RFC 1122 §3.3.2 EMTU_R).
pub const IPV4_MIN_MTU: usize = 576;

const FLAG_DF: u16 = 0x4000;
const FLAG_MF: u16 = 0x2000;
const OFFSET_MASK: u16 = 0x1fff;

/// A read/write view of an IPv4 header and its payload. Zero-copy: it wraps any byte
/// buffer; [`Ipv4Packet::new_checked`] validates every length once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv4Packet<T> {
    /// Wraps a buffer without checking it; call [`check_len`](Self::check_len) before
    /// using any getter on untrusted bytes.
    pub const fn new_unchecked(buffer: T) -> Ipv4Packet<T> {
        Ipv4Packet { buffer }
    }

    /// Wraps a buffer and validates it with [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Ipv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Validates the lengths the getters rely on, plus the version.
    ///
    /// - `Truncated`: shorter than 20 bytes, or shorter than the total length.
    /// - `Malformed`: version not 4, IHL < 5, or IHL·4 > total length.
    ///
    /// A buffer longer than the total length is fine: the excess is link-layer padding
    /// and [`payload`](Self::payload) excludes it (CONFORMANCE C1.4).
    pub fn check_len(&self) -> Result<()> {
        self.check_header()?;
        // CONFORMANCE C3.2: total length ≤ frame length.
        if usize::from(self.total_len()) > self.buffer.as_ref().len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The checks of [`check_len`](Self::check_len) that need only the header itself
    /// present: used for headers quoted in ICMP errors, whose payload is cut short.
    fn check_header(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < IPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        // RFC 1122 §3.2.1.1 MUST: a version other than 4 is discarded (CONFORMANCE C3.1).
        if self.version() != 4 {
            return Err(Error::Malformed);
        }
        // RFC 791: the header is at least five 32-bit words (CONFORMANCE C3.2).
        let header_len = self.header_len();
        if header_len < IPV4_HEADER_LEN || header_len > usize::from(self.total_len()) {
            return Err(Error::Malformed);
        }
        if header_len > len {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The version field (4 for every packet `check_len` accepts).
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// The header length in bytes (IHL·4), options included.
    pub fn header_len(&self) -> usize {
        usize::from(self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// The Differentiated Services Code Point (RFC 2474), 6 bits.
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] >> 2
    }

    /// The Explicit Congestion Notification bits (RFC 3168), 2 bits.
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] & 0x03
    }

    /// The total length field: header plus payload, in bytes.
    pub fn total_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::LENGTH.start)
    }

    /// The identification field.
    pub fn ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::IDENT.start)
    }

    fn flags_offset(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLG_OFF.start)
    }

    /// The Don't Fragment flag.
    pub fn dont_frag(&self) -> bool {
        self.flags_offset() & FLAG_DF != 0
    }

    /// The More Fragments flag.
    pub fn more_frags(&self) -> bool {
        self.flags_offset() & FLAG_MF != 0
    }

    /// The fragment offset in bytes (the field counts 8-byte units; at most 65528).
    pub fn frag_offset(&self) -> u16 {
        (self.flags_offset() & OFFSET_MASK) << 3
    }

    /// The time-to-live field.
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// The protocol field: what the payload is.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// The header checksum field.
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The source address.
    pub fn src_addr(&self) -> Ipv4Address {
        read_addr(self.buffer.as_ref(), field::SRC_ADDR.start)
    }

    /// The destination address.
    pub fn dst_addr(&self) -> Ipv4Address {
        read_addr(self.buffer.as_ref(), field::DST_ADDR.start)
    }

    /// The raw options area (between byte 20 and the IHL), possibly empty.
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS.start..self.header_len()]
    }

    /// Whether the header checksum verifies. Reads the header only.
    pub fn verify_checksum(&self) -> bool {
        checksum::verifies(checksum::sum(&self.buffer.as_ref()[..self.header_len()]))
    }

    /// The payload: from the end of the header to the total length. Link-layer padding
    /// beyond the total length is not payload (CONFORMANCE C1.4).
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..usize::from(self.total_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv4Packet<T> {
    /// Sets the version field.
    pub fn set_version(&mut self, version: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (version << 4);
    }

    /// Sets the header length in bytes; it is stored as `len / 4` (4 bits).
    pub fn set_header_len(&mut self, len: usize) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((len / 4) as u8 & 0x0f);
    }

    /// Sets the DSCP (low 6 bits of `dscp` used).
    pub fn set_dscp(&mut self, dscp: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0x03) | (dscp << 2);
    }

    /// Sets the ECN bits (low 2 bits of `ecn` used).
    pub fn set_ecn(&mut self, ecn: u8) {
        let b = &mut self.buffer.as_mut()[field::DSCP_ECN];
        *b = (*b & 0xfc) | (ecn & 0x03);
    }

    /// Sets the total length field.
    pub fn set_total_len(&mut self, len: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&len.to_be_bytes());
    }

    /// Sets the identification field.
    pub fn set_ident(&mut self, ident: u16) {
        self.buffer.as_mut()[field::IDENT].copy_from_slice(&ident.to_be_bytes());
    }

    fn set_flags_offset(&mut self, value: u16) {
        self.buffer.as_mut()[field::FLG_OFF].copy_from_slice(&value.to_be_bytes());
    }

    /// Clears the reserved flag, both flags and the offset.
    pub fn clear_flags(&mut self) {
        self.set_flags_offset(0);
    }

    /// Sets or clears the Don't Fragment flag.
    pub fn set_dont_frag(&mut self, value: bool) {
        let raw = (self.flags_offset() & !FLAG_DF) | if value { FLAG_DF } else { 0 };
        self.set_flags_offset(raw);
    }

    /// Sets or clears the More Fragments flag.
    pub fn set_more_frags(&mut self, value: bool) {
        let raw = (self.flags_offset() & !FLAG_MF) | if value { FLAG_MF } else { 0 };
        self.set_flags_offset(raw);
    }

    /// Sets the fragment offset in bytes; the low 3 bits are dropped (offsets count
    /// 8-byte units, RFC 791).
    pub fn set_frag_offset(&mut self, offset: u16) {
        let raw = (self.flags_offset() & !OFFSET_MASK) | (offset >> 3);
        self.set_flags_offset(raw);
    }

    /// Sets the time-to-live field.
    pub fn set_hop_limit(&mut self, ttl: u8) {
        self.buffer.as_mut()[field::TTL] = ttl;
    }

    /// Sets the protocol field.
    pub fn set_next_header(&mut self, protocol: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = protocol.into();
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the source address.
    pub fn set_src_addr(&mut self, addr: Ipv4Address) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&addr.octets());
    }

    /// Sets the destination address.
    pub fn set_dst_addr(&mut self, addr: Ipv4Address) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&addr.octets());
    }

    /// The options area, writable; its size follows the header length field.
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[field::OPTIONS.start..end]
    }

    /// Computes and stores the header checksum. Reads the header only.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::sum(&self.buffer.as_ref()[..self.header_len()]);
        self.set_checksum(checksum::finish(sum));
    }

    /// The payload, writable: from the end of the header to the total length.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.header_len()..usize::from(self.total_len());
        &mut self.buffer.as_mut()[range]
    }
}

fn read_u16(bytes: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([bytes[at], bytes[at + 1]])
}

fn read_addr(bytes: &[u8], at: usize) -> Ipv4Address {
    Ipv4Address::new(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3])
}

/// One IPv4 option, borrowed from the options area. `data` fields exclude the type and
/// length octets. NOP and End of Option List are consumed by [`Ipv4OptionsIter`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ipv4Option<'a> {
    /// Record Route (type 7): pointer, then recorded addresses.
    RecordRoute {
        /// Octet offset (from the option start) of the next free slot.
        pointer: u8,
        /// The route data after the pointer.
        data: &'a [u8],
    },
    /// Internet Timestamp (type 68).
    Timestamp {
        /// Octet offset of the next free slot.
        pointer: u8,
        /// Overflow count (high 4 bits of the fourth octet).
        overflow: u8,
        /// Flags (low 4 bits of the fourth octet).
        flags: u8,
        /// The timestamp data after the fourth octet.
        data: &'a [u8],
    },
    /// Loose Source and Record Route (type 131).
    LooseSourceRoute {
        /// Octet offset of the next address.
        pointer: u8,
        /// The route data after the pointer.
        data: &'a [u8],
    },
    /// Strict Source and Record Route (type 137).
    StrictSourceRoute {
        /// Octet offset of the next address.
        pointer: u8,
        /// The route data after the pointer.
        data: &'a [u8],
    },
    /// Router Alert (type 148, RFC 2113), always 4 octets long.
    RouterAlert {
        /// The 16-bit value (0: routers shall examine the packet).
        value: u16,
    },
    /// Any other option; RFC 1122 §3.2.1.8 says hosts ignore unknown options.
    Unknown {
        /// The type octet.
        kind: u8,
        /// The data after the length octet.
        data: &'a [u8],
    },
}

const OPT_EOL: u8 = 0;
const OPT_NOP: u8 = 1;
const OPT_RR: u8 = 7;
const OPT_TS: u8 = 68;
const OPT_LSRR: u8 = 131;
const OPT_SSRR: u8 = 137;
const OPT_RA: u8 = 148;

impl Ipv4Option<'_> {
    /// The option type octet.
    pub fn kind(&self) -> u8 {
        match self {
            Ipv4Option::RecordRoute { .. } => OPT_RR,
            Ipv4Option::Timestamp { .. } => OPT_TS,
            Ipv4Option::LooseSourceRoute { .. } => OPT_LSRR,
            Ipv4Option::StrictSourceRoute { .. } => OPT_SSRR,
            Ipv4Option::RouterAlert { .. } => OPT_RA,
            Ipv4Option::Unknown { kind, .. } => *kind,
        }
    }

    /// Whether the option is copied into every fragment (the high bit of the type,
    /// RFC 791; CONFORMANCE C3.13).
    pub fn is_copied(&self) -> bool {
        self.kind() & 0x80 != 0
    }
}

/// Walks an IPv4 options area, yielding `Ok(option)` for each option and `Err(Malformed)`
/// once (then stopping) for an option whose length is < 2 or runs past the area
/// (CONFORMANCE C3.9, CVE-2019-12256). Every step consumes at least one octet, so the
/// walk ends after at most 40 steps.
#[derive(Debug, Clone)]
pub struct Ipv4OptionsIter<'a> {
    rest: &'a [u8],
}

impl<'a> Ipv4OptionsIter<'a> {
    /// Starts a walk over `options` (the bytes between offset 20 and the IHL).
    pub fn new(options: &'a [u8]) -> Self {
        Ipv4OptionsIter { rest: options }
    }

    fn parse_one(kind: u8, data: &'a [u8]) -> Result<Ipv4Option<'a>> {
        let route = |data: &'a [u8]| match data.split_first() {
            Some((&pointer, data)) => Ok((pointer, data)),
            None => Err(Error::Malformed),
        };
        Ok(match kind {
            OPT_RR => {
                let (pointer, data) = route(data)?;
                Ipv4Option::RecordRoute { pointer, data }
            }
            OPT_LSRR => {
                let (pointer, data) = route(data)?;
                Ipv4Option::LooseSourceRoute { pointer, data }
            }
            OPT_SSRR => {
                let (pointer, data) = route(data)?;
                Ipv4Option::StrictSourceRoute { pointer, data }
            }
            OPT_TS => match data {
                [pointer, oflw_flg, data @ ..] => Ipv4Option::Timestamp {
                    pointer: *pointer,
                    overflow: oflw_flg >> 4,
                    flags: oflw_flg & 0x0f,
                    data,
                },
                _ => return Err(Error::Malformed),
            },
            // RFC 2113: Router Alert has length 4 exactly.
            OPT_RA => match data {
                [a, b] => Ipv4Option::RouterAlert {
                    value: u16::from_be_bytes([*a, *b]),
                },
                _ => return Err(Error::Malformed),
            },
            kind => Ipv4Option::Unknown { kind, data },
        })
    }
}

impl<'a> Iterator for Ipv4OptionsIter<'a> {
    type Item = Result<Ipv4Option<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let (&kind, after_kind) = self.rest.split_first()?;
            match kind {
                // RFC 791: End of Option List ends the area; what follows is padding.
                OPT_EOL => {
                    self.rest = &[];
                    return None;
                }
                OPT_NOP => self.rest = after_kind,
                _ => {
                    let len = after_kind.first().copied().map(usize::from);
                    // CONFORMANCE C3.9: length ≥ 2 and within the IHL, else drop.
                    let option = match len {
                        Some(len) if len >= 2 && len <= self.rest.len() => {
                            let data = &self.rest[2..len];
                            self.rest = &self.rest[len..];
                            Self::parse_one(kind, data)
                        }
                        _ => Err(Error::Malformed),
                    };
                    if option.is_err() {
                        self.rest = &[];
                    }
                    return Some(option);
                }
            }
        }
    }
}

/// Checks every option of an options area (see [`Ipv4OptionsIter`]).
pub fn ipv4_check_options(options: &[u8]) -> Result<()> {
    Ipv4OptionsIter::new(options).try_for_each(|option| option.map(|_| ()))
}

/// The options of one header, stored inline (at most 40 bytes) so that [`Ipv4Repr`] stays
/// `Copy` without a lifetime and re-emits a header byte for byte. Always a multiple of
/// 4 bytes long, as the IHL requires.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Options {
    bytes: [u8; IPV4_MAX_OPTIONS_LEN],
    len: u8,
}

impl Ipv4Options {
    /// No options.
    pub const EMPTY: Ipv4Options = Ipv4Options {
        bytes: [0; IPV4_MAX_OPTIONS_LEN],
        len: 0,
    };

    /// Copies and validates an options area: `Malformed` if it is longer than 40 bytes,
    /// not a multiple of 4, or holds a malformed option (CONFORMANCE C3.9).
    pub fn new(options: &[u8]) -> Result<Ipv4Options> {
        if options.len() > IPV4_MAX_OPTIONS_LEN || options.len() % 4 != 0 {
            return Err(Error::Malformed);
        }
        ipv4_check_options(options)?;
        let mut out = Ipv4Options::EMPTY;
        out.bytes[..options.len()].copy_from_slice(options);
        out.len = options.len() as u8;
        Ok(out)
    }

    /// The raw options area, padding included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// The area's length in bytes (0..=40, a multiple of 4).
    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    /// Whether there are no options.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Walks the options.
    pub fn iter(&self) -> Ipv4OptionsIter<'_> {
        Ipv4OptionsIter::new(self.as_bytes())
    }
}

impl Default for Ipv4Options {
    fn default() -> Self {
        Ipv4Options::EMPTY
    }
}

impl fmt::Debug for Ipv4Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Ipv4Options")
            .field(&self.as_bytes())
            .finish()
    }
}

/// A parsed IPv4 header, without its payload. `Copy`; options are kept inline (see
/// [`Ipv4Options`]) so that emit reproduces a parsed header exactly.
///
/// Normalised on emit: the reserved flag bit (RFC 791 "must be zero") is written as 0;
/// the checksum is recomputed (or left 0 when offloaded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Repr {
    /// Source address.
    pub src_addr: Ipv4Address,
    /// Destination address.
    pub dst_addr: Ipv4Address,
    /// Protocol of the payload.
    pub next_header: IpProtocol,
    /// Payload length in bytes (total length minus header length).
    pub payload_len: usize,
    /// Time to live.
    pub hop_limit: u8,
    /// DSCP, 6 bits (CONFORMANCE C3.10; default 0).
    pub dscp: u8,
    /// ECN, 2 bits (default 0).
    pub ecn: u8,
    /// Identification.
    pub ident: u16,
    /// Don't Fragment.
    pub dont_frag: bool,
    /// More Fragments.
    pub more_frags: bool,
    /// Fragment offset in bytes (a multiple of 8).
    pub frag_offset: u16,
    /// Options, validated; empty for most packets.
    pub options: Ipv4Options,
}

impl Ipv4Repr {
    /// Parses a checked packet. Verifies the header checksum when `caps.ipv4.rx()`
    /// (`Error::Checksum`, CONFORMANCE C3.3) and every option (`Malformed`, C3.9).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Ipv4Packet<&T>,
        caps: &ChecksumCapabilities,
    ) -> Result<Ipv4Repr> {
        packet.check_len()?;
        if caps.ipv4.rx() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        Self::from_header(packet)
    }

    /// Parses the IPv4 header quoted in an ICMP error: `quoted` is the ICMP data. The
    /// checksum is not verified (routers change TTL and may not fix it), and the total
    /// length may exceed the bytes present. Returns the header and the quoted payload:
    /// the bytes actually present after the header (CONFORMANCE C5.2), capped at the
    /// payload length the header claims (anything after is padding or RFC 4884
    /// extensions).
    pub fn parse_quoted(quoted: &[u8]) -> Result<(Ipv4Repr, &[u8])> {
        let packet = Ipv4Packet::new_unchecked(quoted);
        packet.check_header()?;
        let repr = Self::from_header(&packet)?;
        let present = &quoted[packet.header_len()..];
        let data = present.get(..repr.payload_len).unwrap_or(present);
        Ok((repr, data))
    }

    /// Builds the repr from a header that passed `check_header`.
    fn from_header<T: AsRef<[u8]> + ?Sized>(packet: &Ipv4Packet<&T>) -> Result<Ipv4Repr> {
        Ok(Ipv4Repr {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            next_header: packet.next_header(),
            payload_len: usize::from(packet.total_len()) - packet.header_len(),
            hop_limit: packet.hop_limit(),
            dscp: packet.dscp(),
            ecn: packet.ecn(),
            ident: packet.ident(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            frag_offset: packet.frag_offset(),
            options: Ipv4Options::new(packet.options())?,
        })
    }

    /// A plain header: no options, DSCP/ECN 0, ident 0, not fragmented, DF clear.
    pub fn new(
        src_addr: Ipv4Address,
        dst_addr: Ipv4Address,
        next_header: IpProtocol,
        payload_len: usize,
        hop_limit: u8,
    ) -> Ipv4Repr {
        Ipv4Repr {
            src_addr,
            dst_addr,
            next_header,
            payload_len,
            hop_limit,
            dscp: 0,
            ecn: 0,
            ident: 0,
            dont_frag: false,
            more_frags: false,
            frag_offset: 0,
            options: Ipv4Options::EMPTY,
        }
    }

    /// The header length in bytes: 20 plus the options.
    pub fn buffer_len(&self) -> usize {
        IPV4_HEADER_LEN + self.options.len()
    }

    /// The total length field this header emits: header plus payload. Saturates at
    /// 65535; callers keep `payload_len` within what IPv4 can carry.
    pub fn total_len(&self) -> u16 {
        u16::try_from(self.buffer_len() + self.payload_len).unwrap_or(u16::MAX)
    }

    /// Whether this datagram is a fragment (MF set or a nonzero offset).
    pub fn is_fragment(&self) -> bool {
        self.more_frags || self.frag_offset != 0
    }

    /// Whether this is the first fragment of a datagram (offset 0), or not a fragment.
    pub fn is_first_fragment(&self) -> bool {
        self.frag_offset == 0
    }

    /// Writes the header into the first [`buffer_len`](Self::buffer_len) bytes of
    /// `packet` (the payload is the caller's). Fills the checksum when `caps.ipv4.tx()`,
    /// else leaves it 0. The buffer must hold at least `buffer_len()` bytes.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut Ipv4Packet<&mut T>,
        caps: &ChecksumCapabilities,
    ) {
        packet.set_version(4);
        packet.set_header_len(self.buffer_len());
        packet.set_dscp(self.dscp);
        packet.set_ecn(self.ecn);
        packet.set_total_len(self.total_len());
        packet.set_ident(self.ident);
        packet.clear_flags();
        packet.set_dont_frag(self.dont_frag);
        packet.set_more_frags(self.more_frags);
        packet.set_frag_offset(self.frag_offset);
        packet.set_hop_limit(self.hop_limit);
        packet.set_next_header(self.next_header);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet
            .options_mut()
            .copy_from_slice(self.options.as_bytes());
        if caps.ipv4.tx() {
            packet.fill_checksum();
        } else {
            packet.set_checksum(0);
        }
    }
}

impl fmt::Display for Ipv4Repr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv4 {} > {} proto={} ttl={} len={}",
            self.src_addr,
            self.dst_addr,
            self.next_header,
            self.hop_limit,
            self.total_len()
        )?;
        if self.ident != 0 || self.is_fragment() {
            write!(f, " id={}", self.ident)?;
        }
        if self.dont_frag {
            f.write_str(" DF")?;
        }
        if self.more_frags {
            f.write_str(" MF")?;
        }
        if self.frag_offset != 0 {
            write!(f, " off={}", self.frag_offset)?;
        }
        if !self.options.is_empty() {
            write!(f, " optlen={}", self.options.len())?;
        }
        Ok(())
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Ipv4Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let packet = Ipv4Packet::new_unchecked(self.buffer.as_ref());
        match Ipv4Repr::parse(&packet, &ChecksumCapabilities::ignored()) {
            Ok(repr) if packet.verify_checksum() => write!(f, "{repr}"),
            Ok(repr) => write!(f, "{repr} (bad checksum)"),
            Err(err) => write!(f, "IPv4 ({err})"),
        }
    }
}

/// An IPv4 address with a prefix length: an interface address and its subnet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv4Cidr {
    address: Ipv4Address,
    prefix_len: u8,
}

impl Ipv4Cidr {
    /// `address/prefix_len`; `None` if `prefix_len > 32`.
    pub const fn new(address: Ipv4Address, prefix_len: u8) -> Option<Ipv4Cidr> {
        if prefix_len > 32 {
            return None;
        }
        Some(Ipv4Cidr {
            address,
            prefix_len,
        })
    }

    /// The address, host bits included.
    pub const fn address(&self) -> Ipv4Address {
        self.address
    }

    /// The prefix length, 0..=32.
    pub const fn prefix_len(&self) -> u8 {
        self.prefix_len
    }

    fn mask_bits(&self) -> u32 {
        u32::MAX
            .checked_shl(32 - u32::from(self.prefix_len))
            .unwrap_or(0)
    }

    /// The netmask (`/24` gives 255.255.255.0).
    pub fn netmask(&self) -> Ipv4Address {
        Ipv4Address::from(self.mask_bits())
    }

    /// The network: the address with host bits cleared, same prefix length.
    pub fn network(&self) -> Ipv4Cidr {
        Ipv4Cidr {
            address: Ipv4Address::from(self.address.to_bits() & self.mask_bits()),
            prefix_len: self.prefix_len,
        }
    }

    /// The directed broadcast address, or `None` for /31 and /32, which have none
    /// (RFC 3021).
    pub fn broadcast(&self) -> Option<Ipv4Address> {
        if self.prefix_len >= 31 {
            return None;
        }
        Some(Ipv4Address::from(
            self.address.to_bits() | !self.mask_bits(),
        ))
    }

    /// Whether `addr` lies in this prefix.
    pub fn contains_addr(&self, addr: &Ipv4Address) -> bool {
        (addr.to_bits() ^ self.address.to_bits()) & self.mask_bits() == 0
    }

    /// Whether every address of `other` lies in this prefix.
    pub fn contains_subnet(&self, other: &Ipv4Cidr) -> bool {
        self.prefix_len <= other.prefix_len && self.contains_addr(&other.address)
    }
}

impl fmt::Display for Ipv4Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

impl FromStr for Ipv4Cidr {
    type Err = Error;

    /// Parses `a.b.c.d/n` with `n` written in decimal digits, 0..=32.
    fn from_str(s: &str) -> Result<Ipv4Cidr> {
        let (addr, prefix) = s.split_once('/').ok_or(Error::Malformed)?;
        let address = Ipv4Address::from_str(addr).map_err(|_| Error::Malformed)?;
        if prefix.is_empty() || prefix.len() > 2 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Error::Malformed);
        }
        let prefix_len = prefix.parse::<u8>().map_err(|_| Error::Malformed)?;
        Ipv4Cidr::new(address, prefix_len).ok_or(Error::Malformed)
    }
}

#[cfg(test)]
mod tests;
