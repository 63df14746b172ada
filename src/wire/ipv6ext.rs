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
mod tests;
