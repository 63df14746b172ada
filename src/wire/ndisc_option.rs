//! Neighbour Discovery options: link-layer addresses, prefix information, redirected
//! header and MTU, with a bounded, length-checked iterator over an options area.
//!
//! Governing RFC: RFC 4861 §4.6 (option formats), §4.6.1 for Ethernet link-layer
//! addresses (RFC 2464 §8).

use core::fmt;

use super::{Error, Ipv6Address, Result};

mod field {
    use crate::wire::{Field, Rest};

    pub const TYPE: usize = 0;
    /// Length of the whole option in units of 8 octets; 0 is invalid.
    pub const LENGTH: usize = 1;
    // Source / Target Link-Layer Address (Ethernet: length 1).
    pub const LLADDR: Field = 2..8;
    // Prefix Information (length 4).
    pub const PREFIX_LEN: usize = 2;
    pub const PREFIX_FLAGS: usize = 3;
    pub const VALID_LIFETIME: Field = 4..8;
    pub const PREFERRED_LIFETIME: Field = 8..12;
    pub const PREFIX_RESERVED: Field = 12..16;
    pub const PREFIX: Field = 16..32;
    // MTU (length 1).
    pub const MTU_RESERVED: Field = 2..4;
    pub const MTU: Field = 4..8;
    // Redirected Header: 6 reserved bytes, then the quoted packet.
    pub const REDIRECTED_RESERVED: Field = 2..8;
    pub const REDIRECTED_DATA: Rest = 8..;
    /// Data of an option skiff does not parse.
    pub const DATA: Rest = 2..;
}

/// Bytes of a Link-Layer Address option carrying an Ethernet address.
const LLADDR_OPTION_LEN: usize = 8;
/// Bytes of a Prefix Information option.
const PREFIX_OPTION_LEN: usize = 32;
/// Bytes of an MTU option.
const MTU_OPTION_LEN: usize = 8;

enum_with_unknown! {
    /// NDP option types (RFC 4861 §4.6).
    pub enum NdiscOptionType(u8) {
        /// Source Link-Layer Address.
        SourceLinkLayerAddr = 1,
        /// Target Link-Layer Address.
        TargetLinkLayerAddr = 2,
        /// Prefix Information.
        PrefixInformation = 3,
        /// Redirected Header.
        RedirectedHeader = 4,
        /// MTU.
        Mtu = 5,
    }
}

/// An Ethernet (EUI-48) link-layer address as carried in NDP options. Kept local to NDP;
/// converts to and from `[u8; 6]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NdiscLinkLayerAddress(pub [u8; 6]);

impl From<[u8; 6]> for NdiscLinkLayerAddress {
    fn from(bytes: [u8; 6]) -> Self {
        NdiscLinkLayerAddress(bytes)
    }
}

impl From<NdiscLinkLayerAddress> for [u8; 6] {
    fn from(addr: NdiscLinkLayerAddress) -> Self {
        addr.0
    }
}

impl fmt::Display for NdiscLinkLayerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

bitflags::bitflags! {
    /// Flags of a Prefix Information option. Bits skiff does not name (RFC 6275's R, the
    /// reserved ones) are kept so that a parsed option emits unchanged.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct NdiscPrefixInfoFlags: u8 {
        /// L: the prefix is on-link.
        const ON_LINK = 0x80;
        /// A: the prefix may be used for SLAAC (RFC 4862).
        const ADDRCONF = 0x40;
    }
}

/// The Prefix Information option (RFC 4861 §4.6.2). `Copy`. The 4 reserved bytes are
/// emitted as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NdiscPrefixInformation {
    /// Number of leading bits of `prefix` that are valid (0..=128 on a sane sender; not
    /// checked here, the consumer builds an `Ipv6Cidr` from it).
    pub prefix_len: u8,
    /// L and A flags, plus any others on the wire.
    pub flags: NdiscPrefixInfoFlags,
    /// Valid lifetime in seconds; `u32::MAX` means infinity.
    pub valid_lifetime: u32,
    /// Preferred lifetime in seconds; `u32::MAX` means infinity.
    pub preferred_lifetime: u32,
    /// The prefix.
    pub prefix: Ipv6Address,
}

/// One NDP option.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdiscOptionRepr<'a> {
    /// Source Link-Layer Address.
    SourceLinkLayerAddr(NdiscLinkLayerAddress),
    /// Target Link-Layer Address.
    TargetLinkLayerAddr(NdiscLinkLayerAddress),
    /// Prefix Information.
    PrefixInformation(NdiscPrefixInformation),
    /// Redirected Header: the bytes after the 8-byte option header (the start of the
    /// redirected packet, plus the sender's padding).
    RedirectedHeader(&'a [u8]),
    /// MTU of the link.
    Mtu(u32),
    /// An option skiff does not parse, or a known one whose length does not fit its type
    /// (Linux ignores those too); callers skip it (RFC 4861 §4.6).
    Unknown {
        /// The option type.
        option_type: u8,
        /// The Length field (8-octet units, at least 1).
        length: u8,
        /// The option's bytes after type and length.
        data: &'a [u8],
    },
}

impl<'a> NdiscOptionRepr<'a> {
    /// Reads one option from the start of `bytes` and returns it with its length.
    ///
    /// - `Truncated`: fewer than 2 bytes, or the Length runs past `bytes`;
    /// - `Malformed`: Length 0 (RFC 4861 §4.6: MUST silently discard; CONFORMANCE C9.1).
    pub fn parse(bytes: &'a [u8]) -> Result<(NdiscOptionRepr<'a>, usize)> {
        let option_type = *bytes.get(field::TYPE).ok_or(Error::Truncated)?;
        let length = *bytes.get(field::LENGTH).ok_or(Error::Truncated)?;
        if length == 0 {
            return Err(Error::Malformed);
        }
        let len = usize::from(length) * 8;
        let option = bytes.get(..len).ok_or(Error::Truncated)?;
        let repr = match (NdiscOptionType::from(option_type), len) {
            (NdiscOptionType::SourceLinkLayerAddr, LLADDR_OPTION_LEN) => {
                NdiscOptionRepr::SourceLinkLayerAddr(read_lladdr(option))
            }
            (NdiscOptionType::TargetLinkLayerAddr, LLADDR_OPTION_LEN) => {
                NdiscOptionRepr::TargetLinkLayerAddr(read_lladdr(option))
            }
            (NdiscOptionType::PrefixInformation, PREFIX_OPTION_LEN) => {
                NdiscOptionRepr::PrefixInformation(read_prefix(option))
            }
            (NdiscOptionType::Mtu, MTU_OPTION_LEN) => {
                NdiscOptionRepr::Mtu(read_u32(&option[field::MTU]))
            }
            (NdiscOptionType::RedirectedHeader, _) => {
                NdiscOptionRepr::RedirectedHeader(&option[field::REDIRECTED_DATA])
            }
            _ => NdiscOptionRepr::Unknown {
                option_type,
                length,
                data: &option[field::DATA],
            },
        };
        Ok((repr, len))
    }

    /// Bytes the option occupies, a multiple of 8.
    pub fn buffer_len(&self) -> usize {
        match self {
            NdiscOptionRepr::SourceLinkLayerAddr(_) | NdiscOptionRepr::TargetLinkLayerAddr(_) => {
                LLADDR_OPTION_LEN
            }
            NdiscOptionRepr::PrefixInformation(_) => PREFIX_OPTION_LEN,
            NdiscOptionRepr::Mtu(_) => MTU_OPTION_LEN,
            NdiscOptionRepr::RedirectedHeader(data) => {
                (field::REDIRECTED_DATA.start + data.len()).next_multiple_of(8)
            }
            // Length 0 never parses; a caller-built one is written as 1.
            NdiscOptionRepr::Unknown { length, .. } => usize::from((*length).max(1)) * 8,
        }
    }

    /// Writes the option at the start of `buffer`, which holds at least `buffer_len()`
    /// bytes; padding and reserved bytes are zero. A Redirected Header too long for the
    /// 8-bit Length (over 2032 bytes) is cut (a caller bug, not wire input).
    pub fn emit(&self, buffer: &mut [u8]) {
        let len = self.buffer_len().min(255 * 8);
        let option = &mut buffer[..len];
        option.fill(0);
        option[field::LENGTH] = (len / 8) as u8;
        match *self {
            NdiscOptionRepr::SourceLinkLayerAddr(addr) => {
                option[field::TYPE] = NdiscOptionType::SourceLinkLayerAddr.into();
                option[field::LLADDR].copy_from_slice(&addr.0);
            }
            NdiscOptionRepr::TargetLinkLayerAddr(addr) => {
                option[field::TYPE] = NdiscOptionType::TargetLinkLayerAddr.into();
                option[field::LLADDR].copy_from_slice(&addr.0);
            }
            NdiscOptionRepr::PrefixInformation(info) => {
                option[field::TYPE] = NdiscOptionType::PrefixInformation.into();
                option[field::PREFIX_LEN] = info.prefix_len;
                option[field::PREFIX_FLAGS] = info.flags.bits();
                option[field::VALID_LIFETIME].copy_from_slice(&info.valid_lifetime.to_be_bytes());
                option[field::PREFERRED_LIFETIME]
                    .copy_from_slice(&info.preferred_lifetime.to_be_bytes());
                option[field::PREFIX_RESERVED].fill(0);
                option[field::PREFIX].copy_from_slice(&info.prefix.octets());
            }
            NdiscOptionRepr::Mtu(mtu) => {
                option[field::TYPE] = NdiscOptionType::Mtu.into();
                option[field::MTU_RESERVED].fill(0);
                option[field::MTU].copy_from_slice(&mtu.to_be_bytes());
            }
            NdiscOptionRepr::RedirectedHeader(data) => {
                option[field::TYPE] = NdiscOptionType::RedirectedHeader.into();
                option[field::REDIRECTED_RESERVED].fill(0);
                let area = &mut option[field::REDIRECTED_DATA];
                let n = data.len().min(area.len());
                area[..n].copy_from_slice(&data[..n]);
            }
            NdiscOptionRepr::Unknown {
                option_type, data, ..
            } => {
                option[field::TYPE] = option_type;
                let area = &mut option[field::DATA];
                let n = data.len().min(area.len());
                area[..n].copy_from_slice(&data[..n]);
            }
        }
    }
}

fn read_u32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

/// `option` is a whole 8-byte link-layer address option.
fn read_lladdr(option: &[u8]) -> NdiscLinkLayerAddress {
    let mut addr = [0u8; 6];
    addr.copy_from_slice(&option[field::LLADDR]);
    NdiscLinkLayerAddress(addr)
}

/// `option` is a whole 32-byte Prefix Information option.
fn read_prefix(option: &[u8]) -> NdiscPrefixInformation {
    let mut prefix = [0u8; 16];
    prefix.copy_from_slice(&option[field::PREFIX]);
    NdiscPrefixInformation {
        prefix_len: option[field::PREFIX_LEN],
        flags: NdiscPrefixInfoFlags::from_bits_retain(option[field::PREFIX_FLAGS]),
        valid_lifetime: read_u32(&option[field::VALID_LIFETIME]),
        preferred_lifetime: read_u32(&option[field::PREFERRED_LIFETIME]),
        prefix: Ipv6Address::from(prefix),
    }
}

/// Iterates over an NDP options area. Bounded: every option is at least 8 bytes (Length 0
/// is an error), so an area of `n` bytes yields at most `n / 8 + 1` items; after an error
/// it yields nothing more.
#[derive(Debug, Clone)]
pub struct NdiscOptionsIter<'a> {
    rest: &'a [u8],
}

impl<'a> NdiscOptionsIter<'a> {
    /// Iterates over `options` (the bytes after a message's fixed part).
    pub fn new(options: &'a [u8]) -> NdiscOptionsIter<'a> {
        NdiscOptionsIter { rest: options }
    }
}

impl<'a> Iterator for NdiscOptionsIter<'a> {
    type Item = Result<NdiscOptionRepr<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match NdiscOptionRepr::parse(self.rest) {
            Ok((repr, len)) => {
                self.rest = self.rest.get(len..).unwrap_or(&[]);
                Some(Ok(repr))
            }
            Err(err) => {
                self.rest = &[];
                Some(Err(err))
            }
        }
    }
}

impl fmt::Display for NdiscPrefixInformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.prefix, self.prefix_len)?;
        if self.flags.contains(NdiscPrefixInfoFlags::ON_LINK) {
            f.write_str(" L")?;
        }
        if self.flags.contains(NdiscPrefixInfoFlags::ADDRCONF) {
            f.write_str(" A")?;
        }
        write!(
            f,
            " valid={} preferred={}",
            self.valid_lifetime, self.preferred_lifetime
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::format;
    use std::vec;
    use std::vec::Vec;

    const MAC: NdiscLinkLayerAddress = NdiscLinkLayerAddress([0x02, 0, 0, 0, 0, 0x01]);

    fn all_options() -> Vec<NdiscOptionRepr<'static>> {
        vec![
            NdiscOptionRepr::SourceLinkLayerAddr(MAC),
            NdiscOptionRepr::TargetLinkLayerAddr(MAC),
            NdiscOptionRepr::PrefixInformation(NdiscPrefixInformation {
                prefix_len: 64,
                flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
                valid_lifetime: 86400,
                preferred_lifetime: 14400,
                prefix: Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 0),
            }),
            NdiscOptionRepr::Mtu(1500),
            NdiscOptionRepr::RedirectedHeader(&[0x60, 0, 0, 0, 0, 0, 0, 0]),
            NdiscOptionRepr::Unknown {
                option_type: 25,
                length: 1,
                data: &[0, 0, 1, 2, 3, 4],
            },
        ]
    }

    #[test]
    fn every_option_round_trips() {
        for option in all_options() {
            let mut out = vec![0xffu8; option.buffer_len()];
            option.emit(&mut out);
            assert_eq!(NdiscOptionRepr::parse(&out), Ok((option, out.len())));
        }
    }

    #[test]
    fn link_layer_address_option_has_the_ethernet_layout() {
        let mut out = [0u8; 8];
        NdiscOptionRepr::SourceLinkLayerAddr(MAC).emit(&mut out);
        assert_eq!(out, [1, 1, 0x02, 0, 0, 0, 0, 0x01]);
        assert_eq!(format!("{MAC}"), "02:00:00:00:00:01");
    }

    #[test]
    fn an_option_of_length_zero_is_malformed_and_ends_the_iteration() {
        let bytes = [1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0, 0, 0, 0, 1];
        let items: Vec<_> = NdiscOptionsIter::new(&bytes).collect();
        assert_eq!(items, vec![Err(Error::Malformed)]);
    }

    #[test]
    fn an_option_running_past_the_end_is_truncated() {
        let bytes = [3, 4, 64, 0xc0, 0, 0, 0, 0];
        assert_eq!(NdiscOptionRepr::parse(&bytes), Err(Error::Truncated));
        assert_eq!(NdiscOptionRepr::parse(&[1]), Err(Error::Truncated));
        let items: Vec<_> = NdiscOptionsIter::new(&[1, 1, 2, 0, 0, 0, 0, 1, 5]).collect();
        assert_eq!(
            items,
            vec![
                Ok(NdiscOptionRepr::SourceLinkLayerAddr(MAC)),
                Err(Error::Truncated)
            ]
        );
    }

    #[test]
    fn a_known_option_with_an_unexpected_length_is_kept_as_unknown() {
        // An 802.15.4-sized link-layer address (length 2) on an Ethernet stack.
        let bytes = [1, 2, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0];
        let (repr, len) = NdiscOptionRepr::parse(&bytes).unwrap();
        assert_eq!(len, 16);
        assert!(matches!(
            repr,
            NdiscOptionRepr::Unknown {
                option_type: 1,
                length: 2,
                ..
            }
        ));
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut state = 0x1234_5678_9abc_def1u64;
        let mut buf = [0u8; 64];
        for _ in 0..4000 {
            for b in buf.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            for i in (1..buf.len()).step_by(8) {
                buf[i] &= 0x07;
            }
            let len = (state >> 20) as usize % (buf.len() + 1);
            let count = NdiscOptionsIter::new(&buf[..len]).count();
            assert!(count <= len / 8 + 1);
        }
    }
}
