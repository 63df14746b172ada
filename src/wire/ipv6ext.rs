//! IPv6 extension headers: Hop-by-Hop and Destination Options with their TLV options,
//! Routing, Fragment, and a bounded walk over the whole header chain.
//!
//! Governing RFCs: RFC 8200 §4 (extension headers, option-type action bits), RFC 2711
//! (Router Alert), RFC 5095 (Routing type 0 deprecated), RFC 6946 (atomic fragments),
//! RFC 7112 (header chain in the first fragment).

use core::fmt;

use super::ipv6::IPV6_HEADER_LEN;
use super::{Error, IpProtocol, Result};

mod field {
    use crate::wire::{Field, Rest};

    // Shared by Hop-by-Hop, Destination Options and Routing (RFC 8200 §4.3, §4.4, §4.6).
    pub const NEXT_HEADER: usize = 0;
    pub const HDR_EXT_LEN: usize = 1;
    /// Options area of Hop-by-Hop and Destination Options, up to the header length.
    pub const OPTIONS: Rest = 2..;
    // Routing header (RFC 8200 §4.4).
    pub const ROUTING_TYPE: usize = 2;
    pub const SEGMENTS_LEFT: usize = 3;
    /// Type-specific data of a Routing header, up to the header length.
    pub const ROUTING_DATA: Rest = 4..;
    // Fragment header (RFC 8200 §4.5): fixed 8 bytes.
    pub const FRAG_RESERVED: usize = 1;
    /// Fragment Offset (13 bits, 8-octet units), Res (2 bits), M flag.
    pub const FRAG_OFFSET_M: Field = 2..4;
    pub const FRAG_IDENT: Field = 4..8;
    pub const FRAG_END: usize = 8;
    // One option inside an options header (RFC 8200 §4.2).
    pub const OPT_TYPE: usize = 0;
    pub const OPT_LEN: usize = 1;
    pub const OPT_DATA: Rest = 2..;
}

/// Length of the Fragment header, which has no length field.
pub const IPV6_FRAGMENT_HEADER_LEN: usize = field::FRAG_END;

/// The most extension headers [`walk_ext_headers`] follows before calling the chain
/// malformed (CONFORMANCE C6.4). RFC 8200 §4.1 names six kinds, each at most once (twice
/// for Destination Options), so a legitimate chain has at most seven.
pub const IPV6_MAX_EXT_HEADERS: usize = 8;

/// Smallest length of a Hop-by-Hop, Destination Options or Routing header.
const EXT_HEADER_MIN_LEN: usize = 8;

/// A zero-copy view of a Hop-by-Hop, Destination Options or Routing header: the three
/// share Next Header, Hdr Ext Len (8-octet units, not counting the first 8) and a
/// multiple-of-8 length. Build it with [`Ipv6ExtHeader::new_checked`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6ExtHeader<T: AsRef<[u8]>> {
    buffer: T,
}

/// A Hop-by-Hop or Destination Options header view ([`Ipv6ExtHeader::options`]).
pub type Ipv6OptionsHeader<T> = Ipv6ExtHeader<T>;

/// A Routing header view ([`Ipv6ExtHeader::routing_type`] and friends).
pub type Ipv6RoutingHeader<T> = Ipv6ExtHeader<T>;

impl<T: AsRef<[u8]>> Ipv6ExtHeader<T> {
    /// Wraps a buffer that starts at the header, without checking it.
    pub const fn new_unchecked(buffer: T) -> Ipv6ExtHeader<T> {
        Ipv6ExtHeader { buffer }
    }

    /// Wraps a buffer and validates it with [`Ipv6ExtHeader::check_len`].
    pub fn new_checked(buffer: T) -> Result<Ipv6ExtHeader<T>> {
        let header = Self::new_unchecked(buffer);
        header.check_len()?;
        Ok(header)
    }

    /// `Truncated` unless the buffer holds the whole header that Hdr Ext Len announces
    /// (at least 8 bytes). Bytes after the header are allowed and ignored.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        if data.len() < EXT_HEADER_MIN_LEN || data.len() < self.header_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Consumes the view and returns the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The Next Header field.
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::NEXT_HEADER])
    }

    /// The raw Hdr Ext Len field: 8-octet units after the first 8 bytes.
    pub fn hdr_ext_len(&self) -> u8 {
        self.buffer.as_ref()[field::HDR_EXT_LEN]
    }

    /// The header's length in bytes, `(Hdr Ext Len + 1) * 8`: 8 to 2048.
    pub fn header_len(&self) -> usize {
        (usize::from(self.hdr_ext_len()) + 1) * 8
    }

    /// The options area of a Hop-by-Hop or Destination Options header (after the first
    /// two bytes, up to the header length). Walk it with [`Ipv6OptionsIter`].
    pub fn options(&self) -> &[u8] {
        &self.buffer.as_ref()[field::OPTIONS.start..self.header_len()]
    }

    /// The Routing Type of a Routing header.
    pub fn routing_type(&self) -> Ipv6RoutingType {
        Ipv6RoutingType::from(self.buffer.as_ref()[field::ROUTING_TYPE])
    }

    /// The Segments Left field of a Routing header.
    pub fn segments_left(&self) -> u8 {
        self.buffer.as_ref()[field::SEGMENTS_LEFT]
    }

    /// The type-specific data of a Routing header (after Segments Left).
    pub fn routing_data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::ROUTING_DATA.start..self.header_len()]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6ExtHeader<T> {
    /// Sets the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NEXT_HEADER] = value.into();
    }

    /// Sets the raw Hdr Ext Len field.
    pub fn set_hdr_ext_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::HDR_EXT_LEN] = value;
    }

    /// Sets the Routing Type of a Routing header.
    pub fn set_routing_type(&mut self, value: Ipv6RoutingType) {
        self.buffer.as_mut()[field::ROUTING_TYPE] = value.into();
    }

    /// Sets the Segments Left field of a Routing header.
    pub fn set_segments_left(&mut self, value: u8) {
        self.buffer.as_mut()[field::SEGMENTS_LEFT] = value;
    }

    /// The options area, mutable (Hdr Ext Len must be set first).
    pub fn options_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[field::OPTIONS.start..end]
    }

    /// The Routing header's type-specific data, mutable (Hdr Ext Len must be set first).
    pub fn routing_data_mut(&mut self) -> &mut [u8] {
        let end = self.header_len();
        &mut self.buffer.as_mut()[field::ROUTING_DATA.start..end]
    }
}

/// Hdr Ext Len for a header of `total_len` bytes rounded up to a multiple of 8; saturates
/// for oversized (caller-built) content.
fn hdr_ext_len_for(total_len: usize) -> u8 {
    u8::try_from(total_len.div_ceil(8).saturating_sub(1)).unwrap_or(u8::MAX)
}

enum_with_unknown! {
    /// The type byte of a Hop-by-Hop or Destination option (RFC 8200 §4.2).
    pub enum Ipv6OptionType(u8) {
        /// One byte of padding, no length byte.
        Pad1 = 0,
        /// Two or more bytes of padding.
        PadN = 1,
        /// Router Alert (RFC 2711), used by MLD.
        RouterAlert = 5,
    }
}

impl Ipv6OptionType {
    /// What a node that does not recognise this option must do: the two top bits of the
    /// type (RFC 8200 §4.2, CONFORMANCE C6.7).
    pub fn action(self) -> Ipv6OptionAction {
        match u8::from(self) >> 6 {
            0 => Ipv6OptionAction::Skip,
            1 => Ipv6OptionAction::Discard,
            2 => Ipv6OptionAction::DiscardSendIcmp,
            _ => Ipv6OptionAction::DiscardSendIcmpIfNotMulticast,
        }
    }

    /// Whether the option data may change en route (the third-highest bit of the type).
    pub fn may_change_en_route(self) -> bool {
        u8::from(self) & 0x20 != 0
    }
}

/// What to do with an option this node does not recognise (RFC 8200 §4.2, C6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ipv6OptionAction {
    /// `00`: skip over the option and continue with the header.
    Skip,
    /// `01`: discard the packet silently.
    Discard,
    /// `10`: discard and send Parameter Problem code 2 pointing at the option type, even
    /// when the destination was multicast.
    DiscardSendIcmp,
    /// `11`: discard and send the same Parameter Problem only when the destination was
    /// not multicast.
    DiscardSendIcmpIfNotMulticast,
}

/// One option of a Hop-by-Hop or Destination Options header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ipv6OptionRepr<'a> {
    /// A single padding byte.
    Pad1,
    /// Padding with this many data bytes (sent as zeros; RFC 8200 says receivers ignore
    /// them, so their contents are not kept).
    PadN(u8),
    /// Router Alert with its 16-bit value (RFC 2711; 0 means MLD).
    RouterAlert(u16),
    /// Any other option, kept as bytes so the caller can apply [`Ipv6OptionType::action`].
    Unknown {
        /// The option type, action bits included.
        option_type: u8,
        /// The option data.
        data: &'a [u8],
    },
}

impl<'a> Ipv6OptionRepr<'a> {
    /// The option's type.
    pub fn option_type(&self) -> Ipv6OptionType {
        match self {
            Ipv6OptionRepr::Pad1 => Ipv6OptionType::Pad1,
            Ipv6OptionRepr::PadN(_) => Ipv6OptionType::PadN,
            Ipv6OptionRepr::RouterAlert(_) => Ipv6OptionType::RouterAlert,
            Ipv6OptionRepr::Unknown { option_type, .. } => Ipv6OptionType::from(*option_type),
        }
    }

    /// Bytes the option occupies: 1 for Pad1, else 2 + data length.
    pub fn buffer_len(&self) -> usize {
        match self {
            Ipv6OptionRepr::Pad1 => 1,
            Ipv6OptionRepr::PadN(n) => 2 + usize::from(*n),
            Ipv6OptionRepr::RouterAlert(_) => 4,
            Ipv6OptionRepr::Unknown { data, .. } => 2 + data.len(),
        }
    }

    /// Writes the option at the start of `buffer`, which holds at least `buffer_len()`
    /// bytes. Unknown data longer than 255 bytes is cut to 255 (a caller bug).
    pub fn emit(&self, buffer: &mut [u8]) {
        match *self {
            Ipv6OptionRepr::Pad1 => buffer[field::OPT_TYPE] = 0,
            Ipv6OptionRepr::PadN(n) => {
                buffer[field::OPT_TYPE] = Ipv6OptionType::PadN.into();
                buffer[field::OPT_LEN] = n;
                buffer[field::OPT_DATA][..usize::from(n)].fill(0);
            }
            Ipv6OptionRepr::RouterAlert(value) => {
                buffer[field::OPT_TYPE] = Ipv6OptionType::RouterAlert.into();
                buffer[field::OPT_LEN] = 2;
                buffer[field::OPT_DATA][..2].copy_from_slice(&value.to_be_bytes());
            }
            Ipv6OptionRepr::Unknown { option_type, data } => {
                let len = u8::try_from(data.len()).unwrap_or(u8::MAX);
                buffer[field::OPT_TYPE] = option_type;
                buffer[field::OPT_LEN] = len;
                buffer[field::OPT_DATA][..usize::from(len)]
                    .copy_from_slice(&data[..usize::from(len)]);
            }
        }
    }
}

/// Iterates over the options of a Hop-by-Hop or Destination Options header, yielding
/// each option with its offset from the start of the extension header (add the header's
/// offset in the packet to get a Parameter Problem pointer, C6.7).
///
/// Bounded: every option consumes at least one byte of an area of at most 2046 bytes.
/// After an error it yields nothing more.
#[derive(Debug, Clone)]
pub struct Ipv6OptionsIter<'a> {
    options: &'a [u8],
    pos: usize,
}

impl<'a> Ipv6OptionsIter<'a> {
    /// Iterates over an options area as returned by [`Ipv6ExtHeader::options`].
    pub fn new(options: &'a [u8]) -> Ipv6OptionsIter<'a> {
        Ipv6OptionsIter { options, pos: 0 }
    }

    fn parse_one(&self) -> Result<(usize, Ipv6OptionRepr<'a>)> {
        let rest = self.options.get(self.pos..).unwrap_or(&[]);
        let offset = field::OPTIONS.start + self.pos;
        let option_type = rest.first().copied().ok_or(Error::Truncated)?;
        if option_type == u8::from(Ipv6OptionType::Pad1) {
            return Ok((offset, Ipv6OptionRepr::Pad1));
        }
        // RFC 8200 §4.2: an option's length must fit its header; a length that runs past
        // the options area is a lie about the header's contents.
        let len = usize::from(*rest.get(field::OPT_LEN).ok_or(Error::Malformed)?);
        let data = rest
            .get(field::OPT_DATA.start..2 + len)
            .ok_or(Error::Malformed)?;
        let repr = match Ipv6OptionType::from(option_type) {
            Ipv6OptionType::PadN => Ipv6OptionRepr::PadN(len as u8),
            Ipv6OptionType::RouterAlert => match data {
                [a, b] => Ipv6OptionRepr::RouterAlert(u16::from_be_bytes([*a, *b])),
                // RFC 2711: Opt Data Len is 2.
                _ => return Err(Error::Malformed),
            },
            _ => Ipv6OptionRepr::Unknown { option_type, data },
        };
        Ok((offset, repr))
    }
}

impl<'a> Iterator for Ipv6OptionsIter<'a> {
    type Item = Result<(usize, Ipv6OptionRepr<'a>)>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.pos >= self.options.len() {
            return None;
        }
        let item = self.parse_one();
        match &item {
            Ok((_, repr)) => self.pos += repr.buffer_len(),
            Err(_) => self.pos = self.options.len(),
        }
        Some(item)
    }
}

/// A Hop-by-Hop or Destination Options header as plain values. The options stay raw bytes
/// (validated by `parse`); walk them with [`Ipv6OptionsRepr::options`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6OptionsRepr<'a> {
    /// Next Header.
    pub next_header: IpProtocol,
    /// The options area (header length minus 2 bytes).
    pub options: &'a [u8],
}

impl<'a> Ipv6OptionsRepr<'a> {
    /// Reads an options header and checks that its options are well formed: no option
    /// runs past the header, Router Alert has length 2. Unknown options are kept.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6ExtHeader<&'a T>) -> Result<Self> {
        header.check_len()?;
        let options = &header.buffer.as_ref()[field::OPTIONS.start..header.header_len()];
        for option in Ipv6OptionsIter::new(options) {
            option?;
        }
        Ok(Ipv6OptionsRepr {
            next_header: header.next_header(),
            options,
        })
    }

    /// The options with their offsets from the start of the header.
    pub fn options(&self) -> Ipv6OptionsIter<'a> {
        Ipv6OptionsIter::new(self.options)
    }

    /// Header length: 2 + options, rounded up to a multiple of 8.
    pub fn buffer_len(&self) -> usize {
        (field::OPTIONS.start + self.options.len()).next_multiple_of(8)
    }

    /// Writes the header. Options that do not end on a multiple of 8 are followed by Pad1
    /// or PadN, so a parsed header comes back byte for byte.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6ExtHeader<T>) {
        header.set_next_header(self.next_header);
        header.set_hdr_ext_len(hdr_ext_len_for(self.buffer_len()));
        let area = header.options_mut();
        let (used, pad) = area.split_at_mut(self.options.len().min(area.len()));
        used.copy_from_slice(&self.options[..used.len()]);
        match pad.len() {
            0 => {}
            1 => Ipv6OptionRepr::Pad1.emit(pad),
            n => Ipv6OptionRepr::PadN((n - 2) as u8).emit(pad),
        }
    }
}

enum_with_unknown! {
    /// The Routing Type of a Routing header (IANA registry).
    pub enum Ipv6RoutingType(u8) {
        /// Type 0, deprecated by RFC 5095: never processed.
        Type0 = 0,
        /// Type 2, Mobile IPv6 (RFC 6275).
        Type2 = 2,
        /// RPL source route (RFC 6554).
        Rpl = 3,
        /// Segment Routing Header (RFC 8754).
        Srh = 4,
    }
}

/// A Routing header as plain values. A host processes none of the types: with Segments
/// Left 0 it is ignored, otherwise the packet gets Parameter Problem code 0 pointing at
/// the Routing Type (CONFORMANCE C6.8); that decision is the interface's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6RoutingRepr<'a> {
    /// Next Header.
    pub next_header: IpProtocol,
    /// Routing Type.
    pub routing_type: Ipv6RoutingType,
    /// Segments Left: route segments still to visit.
    pub segments_left: u8,
    /// Type-specific data after Segments Left (header length minus 4 bytes).
    pub data: &'a [u8],
}

impl<'a> Ipv6RoutingRepr<'a> {
    /// Reads a Routing header.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6ExtHeader<&'a T>) -> Result<Self> {
        header.check_len()?;
        Ok(Ipv6RoutingRepr {
            next_header: header.next_header(),
            routing_type: header.routing_type(),
            segments_left: header.segments_left(),
            data: &header.buffer.as_ref()[field::ROUTING_DATA.start..header.header_len()],
        })
    }

    /// Header length: 4 + data, rounded up to a multiple of 8.
    pub fn buffer_len(&self) -> usize {
        (field::ROUTING_DATA.start + self.data.len()).next_multiple_of(8)
    }

    /// Writes the header; data not ending on a multiple of 8 is followed by zeros.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6ExtHeader<T>) {
        header.set_next_header(self.next_header);
        header.set_hdr_ext_len(hdr_ext_len_for(self.buffer_len()));
        header.set_routing_type(self.routing_type);
        header.set_segments_left(self.segments_left);
        let area = header.routing_data_mut();
        let (used, pad) = area.split_at_mut(self.data.len().min(area.len()));
        used.copy_from_slice(&self.data[..used.len()]);
        pad.fill(0);
    }
}

/// A zero-copy view of a Fragment header (fixed 8 bytes, RFC 8200 §4.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ipv6FragmentHeader<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Ipv6FragmentHeader<T> {
    /// Wraps a buffer that starts at the header, without checking it.
    pub const fn new_unchecked(buffer: T) -> Ipv6FragmentHeader<T> {
        Ipv6FragmentHeader { buffer }
    }

    /// Wraps a buffer and validates it with [`Ipv6FragmentHeader::check_len`].
    pub fn new_checked(buffer: T) -> Result<Ipv6FragmentHeader<T>> {
        let header = Self::new_unchecked(buffer);
        header.check_len()?;
        Ok(header)
    }

    /// `Truncated` when the buffer is shorter than 8 bytes.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < IPV6_FRAGMENT_HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Consumes the view and returns the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Next Header: of the fragmentable part (only the offset-0 fragment's counts, C7.1).
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol::from(self.buffer.as_ref()[field::NEXT_HEADER])
    }

    /// The reserved byte after Next Header (zero when sent, ignored on receipt).
    pub fn reserved(&self) -> u8 {
        self.buffer.as_ref()[field::FRAG_RESERVED]
    }

    fn offset_m(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::FRAG_OFFSET_M];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// The fragment's offset in the fragmentable part, in bytes (a multiple of 8).
    pub fn frag_offset(&self) -> u16 {
        self.offset_m() & 0xfff8
    }

    /// The two reserved bits between Fragment Offset and M.
    pub fn res_bits(&self) -> u8 {
        ((self.offset_m() >> 1) & 0b11) as u8
    }

    /// The M flag: more fragments follow.
    pub fn more_frags(&self) -> bool {
        self.offset_m() & 1 != 0
    }

    /// The Identification field.
    pub fn ident(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::FRAG_IDENT];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Ipv6FragmentHeader<T> {
    /// Sets the Next Header field.
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NEXT_HEADER] = value.into();
    }

    /// Sets the reserved byte.
    pub fn set_reserved(&mut self, value: u8) {
        self.buffer.as_mut()[field::FRAG_RESERVED] = value;
    }

    /// Sets the Fragment Offset in bytes (the low three bits are dropped) and the M flag,
    /// clearing the two reserved bits.
    pub fn set_frag_offset_and_more(&mut self, frag_offset: u16, more_frags: bool) {
        let value = (frag_offset & 0xfff8) | u16::from(more_frags);
        self.buffer.as_mut()[field::FRAG_OFFSET_M].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the Identification field.
    pub fn set_ident(&mut self, value: u32) {
        self.buffer.as_mut()[field::FRAG_IDENT].copy_from_slice(&value.to_be_bytes());
    }
}

/// A Fragment header as plain values. `Copy`.
///
/// The reserved byte and the two reserved bits are not kept and are emitted as zeros
/// (RFC 8200: zero when sent, ignored on receipt); every other bit round-trips.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6FragmentRepr {
    /// Next Header of the fragmentable part.
    pub next_header: IpProtocol,
    /// Offset of this fragment in the fragmentable part, in bytes (a multiple of 8).
    pub frag_offset: u16,
    /// M flag: more fragments follow.
    pub more_frags: bool,
    /// Identification: with source and destination, the reassembly key (C7.1).
    pub ident: u32,
}

impl Ipv6FragmentRepr {
    /// Reads a Fragment header.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(header: &Ipv6FragmentHeader<&T>) -> Result<Self> {
        header.check_len()?;
        Ok(Ipv6FragmentRepr {
            next_header: header.next_header(),
            frag_offset: header.frag_offset(),
            more_frags: header.more_frags(),
            ident: header.ident(),
        })
    }

    /// Whether this is an atomic fragment (offset 0, M=0): processed on its own by
    /// dropping the Fragment header, never joined to a reassembly (RFC 6946, C7.6).
    pub fn is_atomic(&self) -> bool {
        self.frag_offset == 0 && !self.more_frags
    }

    /// Header length: 8.
    pub const fn buffer_len(&self) -> usize {
        IPV6_FRAGMENT_HEADER_LEN
    }

    /// Writes the header, reserved fields zero.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, header: &mut Ipv6FragmentHeader<T>) {
        header.set_next_header(self.next_header);
        header.set_reserved(0);
        header.set_frag_offset_and_more(self.frag_offset, self.more_frags);
        header.set_ident(self.ident);
    }
}

impl fmt::Display for Ipv6FragmentRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "IPv6-Frag id=0x{:08x} off={} more={} next={}",
            self.ident, self.frag_offset, self.more_frags, self.next_header
        )
    }
}

/// One parsed extension header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Ipv6ExtHeaderRepr<'a> {
    /// Hop-by-Hop Options (Next Header 0).
    HopByHop(Ipv6OptionsRepr<'a>),
    /// Routing (Next Header 43).
    Routing(Ipv6RoutingRepr<'a>),
    /// Fragment (Next Header 44).
    Fragment(Ipv6FragmentRepr),
    /// Destination Options (Next Header 60).
    DestinationOptions(Ipv6OptionsRepr<'a>),
}

impl<'a> Ipv6ExtHeaderRepr<'a> {
    /// Parses the extension header `protocol` at the start of `bytes`; `Unsupported` when
    /// `protocol` is not one of the four kinds above.
    pub fn parse(protocol: IpProtocol, bytes: &'a [u8]) -> Result<Self> {
        Ok(match protocol {
            IpProtocol::HopByHop => Ipv6ExtHeaderRepr::HopByHop(Ipv6OptionsRepr::parse(
                &Ipv6ExtHeader::new_checked(bytes)?,
            )?),
            IpProtocol::Ipv6Opts => Ipv6ExtHeaderRepr::DestinationOptions(Ipv6OptionsRepr::parse(
                &Ipv6ExtHeader::new_checked(bytes)?,
            )?),
            IpProtocol::Ipv6Route => Ipv6ExtHeaderRepr::Routing(Ipv6RoutingRepr::parse(
                &Ipv6ExtHeader::new_checked(bytes)?,
            )?),
            IpProtocol::Ipv6Frag => Ipv6ExtHeaderRepr::Fragment(Ipv6FragmentRepr::parse(
                &Ipv6FragmentHeader::new_checked(bytes)?,
            )?),
            _ => return Err(Error::Unsupported),
        })
    }

    /// The header's Next Header field.
    pub fn next_header(&self) -> IpProtocol {
        match self {
            Ipv6ExtHeaderRepr::HopByHop(r) | Ipv6ExtHeaderRepr::DestinationOptions(r) => {
                r.next_header
            }
            Ipv6ExtHeaderRepr::Routing(r) => r.next_header,
            Ipv6ExtHeaderRepr::Fragment(r) => r.next_header,
        }
    }

    /// The header's length in bytes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Ipv6ExtHeaderRepr::HopByHop(r) | Ipv6ExtHeaderRepr::DestinationOptions(r) => {
                r.buffer_len()
            }
            Ipv6ExtHeaderRepr::Routing(r) => r.buffer_len(),
            Ipv6ExtHeaderRepr::Fragment(r) => r.buffer_len(),
        }
    }
}

/// One step of a header-chain walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ipv6ExtHeaderStep<'a> {
    /// Which extension header this is.
    pub protocol: IpProtocol,
    /// Its offset within the IPv6 payload (add 40 for an offset in the packet).
    pub offset: usize,
    /// The parsed header.
    pub header: Ipv6ExtHeaderRepr<'a>,
}

/// Walks an IPv6 extension-header chain one header at a time (CONFORMANCE C6.4, C6.5).
///
/// Yields each extension header; stops (yields `None`) at the first Next Header that is
/// not Hop-by-Hop, Routing, Fragment or Destination Options, and after a Fragment header
/// that is not atomic, because what follows it is a piece of the fragmentable part. After
/// the end, [`Self::next_header`] and [`Self::offset`] name the header that follows the
/// chain. Errors (then nothing more):
/// - `Truncated`: a header runs past the payload;
/// - `Malformed`: Hop-by-Hop anywhere but first (C6.5), a second Fragment header, an
///   option running past its header, or more than [`IPV6_MAX_EXT_HEADERS`] headers (C6.4).
///
/// After an error, [`Self::next_header_pointer`] still names the Next Header field that
/// led to the bad header, ready for a Parameter Problem. At most
/// `IPV6_MAX_EXT_HEADERS + 1` steps; every step reads inside `payload` only.
#[derive(Debug, Clone)]
pub struct Ipv6ExtHeaderWalker<'a> {
    payload: &'a [u8],
    next_header: IpProtocol,
    offset: usize,
    next_header_pointer: usize,
    count: usize,
    seen_fragment: bool,
    done: bool,
}

impl<'a> Ipv6ExtHeaderWalker<'a> {
    /// Starts a walk over an IPv6 payload whose fixed header says `first`.
    pub fn new(first: IpProtocol, payload: &'a [u8]) -> Ipv6ExtHeaderWalker<'a> {
        Ipv6ExtHeaderWalker {
            payload,
            next_header: first,
            offset: 0,
            // The fixed header's Next Header field is its byte 6.
            next_header_pointer: 6,
            count: 0,
            seen_fragment: false,
            done: false,
        }
    }

    /// The header the walk is at: after the last step, the upper-layer protocol (or, after
    /// a non-atomic Fragment header, the fragmentable part's first header).
    pub fn next_header(&self) -> IpProtocol {
        self.next_header
    }

    /// Offset within the payload of the header returned by [`Self::next_header`].
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Offset from the start of the IPv6 packet of the Next Header field that named
    /// [`Self::next_header`]: the Parameter Problem pointer for C6.5 and C6.6 (6 for the
    /// fixed header's own field).
    pub fn next_header_pointer(&self) -> usize {
        self.next_header_pointer
    }

    fn is_ext_header(protocol: IpProtocol) -> bool {
        matches!(
            protocol,
            IpProtocol::HopByHop
                | IpProtocol::Ipv6Route
                | IpProtocol::Ipv6Frag
                | IpProtocol::Ipv6Opts
        )
    }

    fn step(&mut self) -> Result<Ipv6ExtHeaderStep<'a>> {
        let protocol = self.next_header;
        // RFC 8200 §4.1, C6.5: Hop-by-Hop only directly after the fixed header.
        if protocol == IpProtocol::HopByHop && self.count > 0 {
            return Err(Error::Malformed);
        }
        // C6.4 [!]: a bounded number of headers, whatever the chain says.
        if self.count >= IPV6_MAX_EXT_HEADERS {
            return Err(Error::Malformed);
        }
        if protocol == IpProtocol::Ipv6Frag && self.seen_fragment {
            return Err(Error::Malformed);
        }
        let bytes = self.payload.get(self.offset..).ok_or(Error::Truncated)?;
        let header = Ipv6ExtHeaderRepr::parse(protocol, bytes)?;
        let step = Ipv6ExtHeaderStep {
            protocol,
            offset: self.offset,
            header,
        };
        self.next_header_pointer = IPV6_HEADER_LEN + self.offset + field::NEXT_HEADER;
        // Cannot overflow: the header fit inside `payload`.
        self.offset += header.buffer_len();
        self.next_header = header.next_header();
        self.count += 1;
        if let Ipv6ExtHeaderRepr::Fragment(frag) = header {
            self.seen_fragment = true;
            if !frag.is_atomic() {
                self.done = true;
            }
        }
        Ok(step)
    }
}

impl<'a> Iterator for Ipv6ExtHeaderWalker<'a> {
    type Item = Result<Ipv6ExtHeaderStep<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || !Self::is_ext_header(self.next_header) {
            self.done = true;
            return None;
        }
        let step = self.step();
        if step.is_err() {
            self.done = true;
        }
        Some(step)
    }
}

/// The result of [`walk_ext_headers`]: the extension headers in order and what follows.
/// `Copy`; borrows the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ipv6HeaderChain<'a> {
    steps: [Option<Ipv6ExtHeaderStep<'a>>; IPV6_MAX_EXT_HEADERS],
    /// The protocol after the last extension header. When [`Self::fragment`] holds a
    /// non-atomic fragment, this is the fragmentable part's first header, to be walked
    /// again after reassembly.
    pub upper_layer: IpProtocol,
    /// Offset of that header within the IPv6 payload.
    pub upper_layer_offset: usize,
    /// Offset in the IPv6 packet of the Next Header field naming `upper_layer`: the
    /// Parameter Problem pointer when it is unrecognised (C6.6).
    pub upper_layer_pointer: usize,
    /// The Fragment header, if any, with its offset within the payload.
    pub fragment: Option<(usize, Ipv6FragmentRepr)>,
}

impl<'a> Ipv6HeaderChain<'a> {
    /// The extension headers in the order they appear.
    pub fn headers(&self) -> impl Iterator<Item = &Ipv6ExtHeaderStep<'a>> {
        self.steps.iter().map_while(Option::as_ref)
    }

    /// How many extension headers the chain has.
    pub fn len(&self) -> usize {
        self.headers().count()
    }

    /// Whether the payload starts directly with the upper layer.
    pub fn is_empty(&self) -> bool {
        self.steps[0].is_none()
    }
}

/// Walks the extension-header chain of an IPv6 payload whose fixed header's Next Header is
/// `first`, with the checks and bounds of [`Ipv6ExtHeaderWalker`]. No copy; at most
/// [`IPV6_MAX_EXT_HEADERS`] headers are parsed.
pub fn walk_ext_headers(first: IpProtocol, payload: &[u8]) -> Result<Ipv6HeaderChain<'_>> {
    let mut walker = Ipv6ExtHeaderWalker::new(first, payload);
    let mut steps = [None; IPV6_MAX_EXT_HEADERS];
    let mut fragment = None;
    for (index, step) in walker.by_ref().enumerate() {
        let step = step?;
        if let Ipv6ExtHeaderRepr::Fragment(frag) = step.header {
            fragment = Some((step.offset, frag));
        }
        // The walker yields at most IPV6_MAX_EXT_HEADERS steps; `get_mut` keeps it total.
        *steps.get_mut(index).ok_or(Error::Malformed)? = Some(step);
    }
    Ok(Ipv6HeaderChain {
        steps,
        upper_layer: walker.next_header(),
        upper_layer_offset: walker.offset(),
        upper_layer_pointer: walker.next_header_pointer(),
        fragment,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::vec;
    use std::vec::Vec;

    /// Hop-by-Hop as MLD sends it: next UDP... here next Destination Options, Router Alert
    /// (MLD), PadN of 0 data bytes.
    const HBH: [u8; 8] = [60, 0, 5, 2, 0, 0, 1, 0];
    /// Destination Options: next Routing, an unknown option type 0x1e with 2 data bytes,
    /// Pad1, Pad1.
    const DEST: [u8; 8] = [43, 0, 0x1e, 2, 0xaa, 0xbb, 0, 0];
    /// Routing type 4 (SRH) with Segments Left 0 and 12 bytes of data, next Fragment.
    const ROUTE: [u8; 16] = [44, 1, 4, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];
    /// Atomic Fragment header, next UDP, ident 0x01020304.
    const FRAG_ATOMIC: [u8; 8] = [17, 0, 0, 0, 1, 2, 3, 4];

    fn chain() -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&HBH);
        v.extend_from_slice(&DEST);
        v.extend_from_slice(&ROUTE);
        v.extend_from_slice(&FRAG_ATOMIC);
        v.extend_from_slice(&[0x12, 0x34, 0x56, 0x78, 0, 8, 0, 0]); // UDP header
        v
    }

    fn options_of(bytes: &[u8]) -> Vec<Result<(usize, Ipv6OptionRepr<'_>)>> {
        Ipv6OptionsIter::new(&bytes[2..]).collect()
    }

    #[test]
    fn options_are_read_with_their_offsets_in_the_header() {
        assert_eq!(
            options_of(&HBH),
            vec![
                Ok((2, Ipv6OptionRepr::RouterAlert(0))),
                Ok((6, Ipv6OptionRepr::PadN(0)))
            ]
        );
        assert_eq!(
            options_of(&DEST),
            vec![
                Ok((
                    2,
                    Ipv6OptionRepr::Unknown {
                        option_type: 0x1e,
                        data: &[0xaa, 0xbb]
                    }
                )),
                Ok((6, Ipv6OptionRepr::Pad1)),
                Ok((7, Ipv6OptionRepr::Pad1)),
            ]
        );
    }

    #[test]
    fn option_type_top_bits_choose_the_action_for_unknown_options() {
        let cases = [
            (0x1e, Ipv6OptionAction::Skip),
            (0x5e, Ipv6OptionAction::Discard),
            (0x9e, Ipv6OptionAction::DiscardSendIcmp),
            (0xde, Ipv6OptionAction::DiscardSendIcmpIfNotMulticast),
        ];
        for (option_type, action) in cases {
            assert_eq!(Ipv6OptionType::from(option_type).action(), action);
        }
        assert!(Ipv6OptionType::from(0x3e).may_change_en_route());
        assert!(!Ipv6OptionType::from(0x1e).may_change_en_route());
        assert_eq!(Ipv6OptionType::RouterAlert.action(), Ipv6OptionAction::Skip);
    }

    #[test]
    fn a_padn_running_past_its_header_is_malformed() {
        // PadN claims 6 data bytes where only 4 remain in the 8-byte header.
        let bytes = [17, 0, 1, 6, 0, 0, 0, 0];
        let header = Ipv6ExtHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(Ipv6OptionsRepr::parse(&header), Err(Error::Malformed));
        assert_eq!(options_of(&bytes), vec![Err(Error::Malformed)]);
        // A type byte in the last position with no room for its length byte.
        let bytes = [17, 0, 1, 3, 0, 0, 0, 0x1e];
        let header = Ipv6ExtHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(Ipv6OptionsRepr::parse(&header), Err(Error::Malformed));
    }

    #[test]
    fn a_router_alert_of_the_wrong_length_is_malformed() {
        let bytes = [17, 0, 5, 3, 0, 0, 0, 0];
        let header = Ipv6ExtHeader::new_checked(&bytes[..]).unwrap();
        assert_eq!(Ipv6OptionsRepr::parse(&header), Err(Error::Malformed));
    }

    #[test]
    fn a_hdr_ext_len_past_the_buffer_is_truncated() {
        let mut bytes = HBH;
        bytes[1] = 1; // claims 16 bytes, 8 present
        assert_eq!(
            Ipv6ExtHeader::new_checked(&bytes[..]),
            Err(Error::Truncated)
        );
        for len in 0..8 {
            assert_eq!(
                Ipv6ExtHeader::new_checked(&HBH[..len]),
                Err(Error::Truncated)
            );
        }
        let mut payload = HBH.to_vec();
        payload[1] = 255; // 2048 bytes claimed
        payload.extend_from_slice(&[0; 100]);
        assert_eq!(
            walk_ext_headers(IpProtocol::HopByHop, &payload),
            Err(Error::Truncated)
        );
    }

    #[test]
    fn options_headers_round_trip_and_pad_to_eight_bytes() {
        for bytes in [&HBH[..], &DEST[..]] {
            let header = Ipv6ExtHeader::new_checked(bytes).unwrap();
            let repr = Ipv6OptionsRepr::parse(&header).unwrap();
            assert_eq!(repr.buffer_len(), 8);
            let mut out = vec![0xffu8; 8];
            repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
            assert_eq!(out, bytes);
        }
        // Four bytes of options need two bytes of padding: one PadN with no data.
        let repr = Ipv6OptionsRepr {
            next_header: IpProtocol::Udp,
            options: &[5, 2, 0, 0],
        };
        let mut out = vec![0xffu8; repr.buffer_len()];
        repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, [17, 0, 5, 2, 0, 0, 1, 0]);
        // Five bytes of options need one Pad1.
        let repr = Ipv6OptionsRepr {
            next_header: IpProtocol::Udp,
            options: &[0x1e, 3, 1, 2, 3],
        };
        let mut out = vec![0xffu8; repr.buffer_len()];
        repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, [17, 0, 0x1e, 3, 1, 2, 3, 0]);
    }

    #[test]
    fn option_reprs_emit_what_they_parse() {
        let options = [
            Ipv6OptionRepr::Pad1,
            Ipv6OptionRepr::PadN(3),
            Ipv6OptionRepr::RouterAlert(0x0102),
            Ipv6OptionRepr::Unknown {
                option_type: 0xc2,
                data: &[9, 8, 7],
            },
        ];
        for option in options {
            let mut out = vec![0xffu8; option.buffer_len()];
            option.emit(&mut out);
            let parsed: Vec<_> = Ipv6OptionsIter::new(&out).collect();
            assert_eq!(parsed, vec![Ok((2, option))]);
        }
    }

    #[test]
    fn routing_header_round_trips() {
        let header = Ipv6RoutingHeader::new_checked(&ROUTE[..]).unwrap();
        let repr = Ipv6RoutingRepr::parse(&header).unwrap();
        assert_eq!(repr.routing_type, Ipv6RoutingType::Srh);
        assert_eq!(repr.segments_left, 0);
        assert_eq!(repr.data, &ROUTE[4..]);
        assert_eq!(repr.buffer_len(), 16);
        let mut out = vec![0xffu8; 16];
        repr.emit(&mut Ipv6ExtHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, ROUTE);
    }

    #[test]
    fn fragment_header_round_trips_and_drops_reserved_bits() {
        let bytes = [6, 0, 0x05, 0xa9, 0xde, 0xad, 0xbe, 0xef];
        let header = Ipv6FragmentHeader::new_checked(&bytes[..]).unwrap();
        let repr = Ipv6FragmentRepr::parse(&header).unwrap();
        assert_eq!(
            repr,
            Ipv6FragmentRepr {
                next_header: IpProtocol::Tcp,
                frag_offset: 0x05a8,
                more_frags: true,
                ident: 0xdead_beef,
            }
        );
        assert!(!repr.is_atomic());
        let mut out = vec![0xffu8; repr.buffer_len()];
        repr.emit(&mut Ipv6FragmentHeader::new_unchecked(&mut out[..]));
        assert_eq!(out, bytes);
        // Reserved byte and bits set on the wire are read but not kept.
        let noisy = [6, 0x77, 0x05, 0xaf, 0xde, 0xad, 0xbe, 0xef];
        let header = Ipv6FragmentHeader::new_checked(&noisy[..]).unwrap();
        assert_eq!((header.reserved(), header.res_bits()), (0x77, 0b11));
        assert_eq!(Ipv6FragmentRepr::parse(&header), Ok(repr));
        assert_eq!(
            Ipv6FragmentHeader::new_checked(&bytes[..7]),
            Err(Error::Truncated)
        );
        assert_eq!(
            format!("{repr}"),
            "IPv6-Frag id=0xdeadbeef off=1448 more=true next=TCP"
        );
    }

    #[test]
    fn the_walk_reports_every_header_and_the_upper_layer() {
        let payload = chain();
        let chain = walk_ext_headers(IpProtocol::HopByHop, &payload).unwrap();
        let kinds: Vec<_> = chain.headers().map(|s| (s.protocol, s.offset)).collect();
        assert_eq!(
            kinds,
            vec![
                (IpProtocol::HopByHop, 0),
                (IpProtocol::Ipv6Opts, 8),
                (IpProtocol::Ipv6Route, 16),
                (IpProtocol::Ipv6Frag, 32),
            ]
        );
        assert_eq!(chain.len(), 4);
        assert_eq!(chain.upper_layer, IpProtocol::Udp);
        assert_eq!(chain.upper_layer_offset, 40);
        assert_eq!(chain.upper_layer_pointer, 40 + 32);
        let (offset, frag) = chain.fragment.unwrap();
        assert_eq!(
            (offset, frag.ident, frag.is_atomic()),
            (32, 0x0102_0304, true)
        );
    }

    #[test]
    fn a_payload_without_extension_headers_is_an_empty_chain() {
        let chain = walk_ext_headers(IpProtocol::Tcp, &[]).unwrap();
        assert!(chain.is_empty());
        assert_eq!(
            (
                chain.upper_layer,
                chain.upper_layer_offset,
                chain.upper_layer_pointer
            ),
            (IpProtocol::Tcp, 0, 6)
        );
        // An unknown Next Header ends the walk; the pointer names the field (C6.6).
        let chain = walk_ext_headers(IpProtocol::Unknown(253), &[1, 2, 3]).unwrap();
        assert_eq!(chain.upper_layer, IpProtocol::Unknown(253));
        assert_eq!(chain.upper_layer_pointer, 6);
    }

    #[test]
    fn hop_by_hop_anywhere_but_first_is_malformed_and_points_at_its_next_header() {
        let mut payload = DEST.to_vec();
        payload[0] = 0; // Destination Options says Hop-by-Hop follows
        payload.extend_from_slice(&HBH);
        assert_eq!(
            walk_ext_headers(IpProtocol::Ipv6Opts, &payload),
            Err(Error::Malformed)
        );
        let mut walker = Ipv6ExtHeaderWalker::new(IpProtocol::Ipv6Opts, &payload);
        assert!(walker.next().unwrap().is_ok());
        assert_eq!(walker.next(), Some(Err(Error::Malformed)));
        assert_eq!(walker.next_header_pointer(), 40);
        assert_eq!(walker.next(), None);
    }

    #[test]
    fn a_chain_of_nine_extension_headers_is_malformed_and_eight_are_accepted() {
        let mut payload = Vec::new();
        for _ in 0..8 {
            payload.extend_from_slice(&[60, 0, 1, 4, 0, 0, 0, 0]);
        }
        *payload.last_chunk_mut::<8>().unwrap() = [59, 0, 1, 4, 0, 0, 0, 0];
        let chain = walk_ext_headers(IpProtocol::Ipv6Opts, &payload).unwrap();
        assert_eq!(chain.len(), IPV6_MAX_EXT_HEADERS);
        assert_eq!(chain.upper_layer, IpProtocol::Ipv6NoNxt);
        payload[8 * 7] = 60;
        payload.extend_from_slice(&[59, 0, 1, 4, 0, 0, 0, 0]);
        assert_eq!(
            walk_ext_headers(IpProtocol::Ipv6Opts, &payload),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn a_long_would_be_loop_of_options_headers_stops_after_the_bound() {
        // 5000 Destination Options headers each naming another: the walk must stop after
        // IPV6_MAX_EXT_HEADERS + 1 steps, not read them all.
        let payload: Vec<u8> = [60u8, 0, 1, 4, 0, 0, 0, 0].repeat(5000);
        let mut walker = Ipv6ExtHeaderWalker::new(IpProtocol::HopByHop, &payload);
        let steps: Vec<_> = walker.by_ref().collect();
        assert_eq!(steps.len(), IPV6_MAX_EXT_HEADERS + 1);
        assert_eq!(steps.last(), Some(&Err(Error::Malformed)));
        // All-zero bytes: Hop-by-Hop naming Hop-by-Hop.
        let zeros = [0u8; 64];
        assert_eq!(
            walk_ext_headers(IpProtocol::HopByHop, &zeros),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn a_second_fragment_header_is_malformed() {
        let mut payload = FRAG_ATOMIC.to_vec();
        payload[0] = 44;
        payload.extend_from_slice(&FRAG_ATOMIC);
        assert_eq!(
            walk_ext_headers(IpProtocol::Ipv6Frag, &payload),
            Err(Error::Malformed)
        );
    }

    #[test]
    fn the_walk_stops_after_a_non_atomic_fragment_header() {
        // Offset 8, M=0, next Destination Options: the bytes after it are fragment data.
        let mut payload = vec![60, 0, 0, 8, 0, 0, 0, 9];
        payload.extend_from_slice(&[0xff; 16]);
        let chain = walk_ext_headers(IpProtocol::Ipv6Frag, &payload).unwrap();
        assert_eq!(chain.len(), 1);
        assert_eq!(chain.upper_layer, IpProtocol::Ipv6Opts);
        assert_eq!(chain.upper_layer_offset, 8);
        assert_eq!(chain.fragment.map(|(_, f)| f.frag_offset), Some(8));
    }

    #[test]
    fn a_header_cut_by_the_end_of_the_payload_is_truncated() {
        let payload = chain();
        for len in 0..40 {
            let walked = walk_ext_headers(IpProtocol::HopByHop, &payload[..len]);
            assert_eq!(walked, Err(Error::Truncated), "len {len}");
        }
    }

    #[test]
    fn random_bytes_never_panic_and_never_walk_past_the_payload() {
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        let mut buf = [0u8; 96];
        let kinds = [0u8, 43, 44, 60];
        for round in 0..5000 {
            for b in buf.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            // Bias toward chains: small lengths and extension-header Next Headers.
            for i in (0..buf.len()).step_by(8) {
                buf[i] = kinds[usize::from(buf[i]) % 4];
                buf[i + 1] &= 0x03;
            }
            let len = (state >> 16) as usize % (buf.len() + 1);
            let first = IpProtocol::from(kinds[round % 4]);
            if let Ok(chain) = walk_ext_headers(first, &buf[..len]) {
                assert!(chain.upper_layer_offset <= len);
                assert!(chain.len() <= IPV6_MAX_EXT_HEADERS);
                let _ = format!("{chain:?}");
            }
            for option in Ipv6OptionsIter::new(&buf[..len]) {
                let _ = option;
            }
        }
    }
}
