//! Ethernet II frames (RFC 894) with an optional IEEE 802.1Q VLAN tag, and MAC addresses.
//!
//! Governing texts: RFC 894 (IP over Ethernet), RFC 1112 §6.4 and RFC 2464 §7 (multicast
//! MAC mapping), IEEE 802.3 (frame layout, 60-byte minimum) and IEEE 802.1Q (VLAN tag).
//!
//! The frame check sequence is never part of the buffers seen here: devices strip it on
//! receive and append it on transmit.

use core::fmt;
use core::str::FromStr;

use super::{Error, Ipv4Address, Ipv6Address, Result};

mod field {
    use crate::wire::{Field, Rest};

    pub const DESTINATION: Field = 0..6;
    pub const SOURCE: Field = 6..12;
    /// EtherType of an untagged frame, or the TPID (0x8100) of a tagged one.
    pub const TPID: Field = 12..14;
    /// Untagged frames: the payload. Tagged frames: the tag control information.
    pub const TCI: Field = 14..16;
    /// The inner EtherType of a tagged frame.
    pub const INNER_ETHERTYPE: Field = 16..18;
    pub const PAYLOAD: Rest = 14..;
    pub const TAGGED_PAYLOAD: Rest = 18..;
}

/// Length of an untagged Ethernet II header: destination, source, EtherType.
pub const ETHERNET_HEADER_LEN: usize = 14;
/// Length of an Ethernet II header carrying one 802.1Q tag.
pub const ETHERNET_VLAN_HEADER_LEN: usize = 18;
/// The shortest frame IEEE 802.3 allows on the wire, without the 4-byte FCS. Shorter
/// frames are zero-padded on transmit (CONFORMANCE C1.4), and the padding is never
/// payload on receive: the IP layer trims to its own total length.
pub const ETHERNET_MIN_FRAME_LEN: usize = 60;
/// EtherType values below this are IEEE 802.3 length fields, not protocols.
const ETHERTYPE_MIN: u16 = 0x0600;
/// The 802.1Q tag protocol identifier.
const TPID_VLAN: u16 = 0x8100;

/// A 48-bit IEEE MAC address. `Copy`, six bytes, no allocation.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct EthernetAddress(pub [u8; 6]);

impl EthernetAddress {
    /// `ff:ff:ff:ff:ff:ff`.
    pub const BROADCAST: EthernetAddress = EthernetAddress([0xff; 6]);

    /// The address in `data`, or `None` unless `data` is exactly six bytes long.
    pub fn from_bytes(data: &[u8]) -> Option<EthernetAddress> {
        <[u8; 6]>::try_from(data).ok().map(EthernetAddress)
    }

    /// The six bytes, in wire order.
    pub const fn as_bytes(&self) -> &[u8; 6] {
        &self.0
    }

    /// Whether this names one station (the I/G bit is clear).
    pub const fn is_unicast(&self) -> bool {
        self.0[0] & 0x01 == 0
    }

    /// Whether this names a group (the I/G bit is set). Broadcast is a multicast address.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Whether this is `ff:ff:ff:ff:ff:ff`.
    pub fn is_broadcast(&self) -> bool {
        *self == Self::BROADCAST
    }

    /// Whether the locally administered (U/L) bit is set, as in `02:00:00:00:00:01`.
    pub const fn is_local(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// The MAC an IPv4 multicast group maps to: `01:00:5e` plus the low 23 bits of the
    /// group (RFC 1112 §6.4, CONFORMANCE C1.5). `None` for a non-multicast address.
    pub fn from_ipv4_multicast(group: Ipv4Address) -> Option<EthernetAddress> {
        if !group.is_multicast() {
            return None;
        }
        let o = group.octets();
        Some(EthernetAddress([0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]))
    }

    /// The MAC an IPv6 multicast group maps to: `33:33` plus the low 32 bits of the group
    /// (RFC 2464 §7, CONFORMANCE C1.5). `None` for a non-multicast address.
    pub fn from_ipv6_multicast(group: Ipv6Address) -> Option<EthernetAddress> {
        if !group.is_multicast() {
            return None;
        }
        let o = group.octets();
        Some(EthernetAddress([0x33, 0x33, o[12], o[13], o[14], o[15]]))
    }
}

impl From<[u8; 6]> for EthernetAddress {
    fn from(bytes: [u8; 6]) -> Self {
        EthernetAddress(bytes)
    }
}

impl fmt::Display for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            b[0], b[1], b[2], b[3], b[4], b[5]
        )
    }
}

impl fmt::Debug for EthernetAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EthernetAddress({self})")
    }
}

impl FromStr for EthernetAddress {
    type Err = Error;

    /// Parses six hex pairs separated by `:` or `-` (one separator throughout), as in
    /// `02:00:00:00:00:01`. Any other text is `Error::Malformed`.
    fn from_str(s: &str) -> Result<Self> {
        let sep = if s.contains('-') { '-' } else { ':' };
        let mut parts = s.split(sep);
        let mut out = [0u8; 6];
        for byte in out.iter_mut() {
            let part = parts.next().ok_or(Error::Malformed)?;
            // from_str_radix alone would accept "+f".
            if part.len() != 2 || !part.bytes().all(|c| c.is_ascii_hexdigit()) {
                return Err(Error::Malformed);
            }
            *byte = u8::from_str_radix(part, 16).map_err(|_| Error::Malformed)?;
        }
        match parts.next() {
            None => Ok(EthernetAddress(out)),
            Some(_) => Err(Error::Malformed),
        }
    }
}

enum_with_unknown! {
    /// The EtherType of an Ethernet II frame (IEEE registry). Values below 0x0600 are
    /// 802.3 length fields and arrive here as `Unknown(len)`.
    pub enum EthernetProtocol(u16) {
        /// IPv4 (RFC 894).
        Ipv4 = 0x0800,
        /// ARP (RFC 826).
        Arp = 0x0806,
        /// IPv6 (RFC 2464).
        Ipv6 = 0x86DD,
        /// An IEEE 802.1Q VLAN tag follows.
        Vlan = 0x8100,
        /// An IEEE 802.1ad service tag (QinQ) follows; skiff does not parse it.
        QinQ = 0x88A8,
    }
}

impl fmt::Display for EthernetProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EthernetProtocol::Ipv4 => f.write_str("IPv4"),
            EthernetProtocol::Arp => f.write_str("ARP"),
            EthernetProtocol::Ipv6 => f.write_str("IPv6"),
            EthernetProtocol::Vlan => f.write_str("802.1Q"),
            EthernetProtocol::QinQ => f.write_str("802.1ad"),
            EthernetProtocol::Unknown(n) => write!(f, "0x{n:04x}"),
        }
    }
}

/// The tag control information of an IEEE 802.1Q tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct EthernetVlanTag {
    /// Priority code point, 0..=7.
    pub pcp: u8,
    /// Drop eligible indicator.
    pub dei: bool,
    /// VLAN identifier, 0..=4095 (0: priority tag only; 4095 reserved).
    pub vid: u16,
}

impl EthernetVlanTag {
    /// Splits a 16-bit TCI into its fields. Every TCI value maps to a distinct tag.
    pub const fn from_tci(tci: u16) -> EthernetVlanTag {
        EthernetVlanTag {
            pcp: (tci >> 13) as u8,
            dei: tci & 0x1000 != 0,
            vid: tci & 0x0fff,
        }
    }

    /// The 16-bit TCI. Out-of-range `pcp` and `vid` bits are masked off.
    pub const fn tci(&self) -> u16 {
        (((self.pcp & 0x07) as u16) << 13) | ((self.dei as u16) << 12) | (self.vid & 0x0fff)
    }
}

/// A zero-copy view of an Ethernet II frame (FCS excluded), tagged or not.
///
/// A frame whose bytes 12..14 read 0x8100 is tagged: [`ethertype`](Self::ethertype) then
/// returns the inner EtherType and [`payload`](Self::payload) starts after the tag;
/// [`tpid`](Self::tpid) always returns the raw outer value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EthernetFrame<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> EthernetFrame<T> {
    /// Wraps a buffer without checking it; call [`check_len`](Self::check_len) before
    /// any getter.
    pub const fn new_unchecked(buffer: T) -> EthernetFrame<T> {
        EthernetFrame { buffer }
    }

    /// Wraps a buffer and checks that every header field lies inside it.
    pub fn new_checked(buffer: T) -> Result<EthernetFrame<T>> {
        let frame = Self::new_unchecked(buffer);
        frame.check_len()?;
        Ok(frame)
    }

    /// `Truncated` if the buffer is shorter than 14 bytes, or than 18 bytes when the
    /// frame is 802.1Q-tagged (CONFORMANCE C1.1). EtherType values are not judged here:
    /// an 802.3 length frame passes and is refused by [`EthernetRepr::parse`].
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        let tpid = data
            .get(field::TPID)
            .ok_or(Error::Truncated)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))?;
        if tpid == TPID_VLAN && data.len() < ETHERNET_VLAN_HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The buffer, giving up the view.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// 14 for an untagged frame, 18 for an 802.1Q-tagged one.
    pub fn header_len(&self) -> usize {
        if self.is_tagged() {
            ETHERNET_VLAN_HEADER_LEN
        } else {
            ETHERNET_HEADER_LEN
        }
    }

    /// The destination MAC.
    pub fn dst_addr(&self) -> EthernetAddress {
        EthernetAddress(read6(&self.buffer.as_ref()[field::DESTINATION]))
    }

    /// The source MAC.
    pub fn src_addr(&self) -> EthernetAddress {
        EthernetAddress(read6(&self.buffer.as_ref()[field::SOURCE]))
    }

    /// The raw value at bytes 12..14: the EtherType of an untagged frame, the TPID of a
    /// tagged one.
    pub fn tpid(&self) -> u16 {
        read_u16(&self.buffer.as_ref()[field::TPID])
    }

    /// Whether the frame carries an 802.1Q tag (TPID 0x8100).
    pub fn is_tagged(&self) -> bool {
        self.tpid() == TPID_VLAN
    }

    /// The 802.1Q tag, if the frame has one.
    pub fn vlan_tag(&self) -> Option<EthernetVlanTag> {
        if self.is_tagged() {
            Some(EthernetVlanTag::from_tci(read_u16(
                &self.buffer.as_ref()[field::TCI],
            )))
        } else {
            None
        }
    }

    /// The raw EtherType of the payload: the inner one for a tagged frame.
    pub fn raw_ethertype(&self) -> u16 {
        if self.is_tagged() {
            read_u16(&self.buffer.as_ref()[field::INNER_ETHERTYPE])
        } else {
            self.tpid()
        }
    }

    /// The EtherType of the payload: the inner one for a tagged frame.
    pub fn ethertype(&self) -> EthernetProtocol {
        EthernetProtocol::from(self.raw_ethertype())
    }

    /// Whether the (inner) EtherType is below 0x0600, i.e. an IEEE 802.3 length field
    /// rather than a protocol (CONFORMANCE C1.1: such frames are dropped).
    pub fn is_8023_length(&self) -> bool {
        self.raw_ethertype() < ETHERTYPE_MIN
    }

    /// Everything after the header, padding included: Ethernet does not know where its
    /// payload ends, so trimming padding is the network layer's job (CONFORMANCE C1.4).
    pub fn payload(&self) -> &[u8] {
        let data = self.buffer.as_ref();
        let rest = if self.is_tagged() {
            field::TAGGED_PAYLOAD
        } else {
            field::PAYLOAD
        };
        data.get(rest).unwrap_or(&[])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> EthernetFrame<T> {
    /// Sets the destination MAC.
    pub fn set_dst_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(&addr.0);
    }

    /// Sets the source MAC.
    pub fn set_src_addr(&mut self, addr: EthernetAddress) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(&addr.0);
    }

    /// Writes an 802.1Q tag (TPID 0x8100 and the TCI), making the frame tagged. Call it
    /// before [`set_ethertype`](Self::set_ethertype), which then writes the inner type.
    /// Needs an 18-byte header.
    pub fn set_vlan_tag(&mut self, tag: EthernetVlanTag) {
        let data = self.buffer.as_mut();
        data[field::TPID].copy_from_slice(&TPID_VLAN.to_be_bytes());
        data[field::TCI].copy_from_slice(&tag.tci().to_be_bytes());
    }

    /// Sets the EtherType of the payload: bytes 12..14 of an untagged frame, the inner
    /// EtherType (bytes 16..18) of a tagged one.
    pub fn set_ethertype(&mut self, ethertype: EthernetProtocol) {
        let range = if self.is_tagged() {
            field::INNER_ETHERTYPE
        } else {
            field::TPID
        };
        self.buffer.as_mut()[range].copy_from_slice(&u16::from(ethertype).to_be_bytes());
    }

    /// The payload, mutable; see [`payload`](Self::payload).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let rest = if self.is_tagged() {
            field::TAGGED_PAYLOAD
        } else {
            field::PAYLOAD
        };
        self.buffer.as_mut().get_mut(rest).unwrap_or(&mut [])
    }
}

impl<T: AsRef<[u8]>> fmt::Display for EthernetFrame<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Err(e) = self.check_len() {
            return write!(f, "EthernetII ({e})");
        }
        match EthernetRepr::parse(&EthernetFrame::new_unchecked(self.buffer.as_ref())) {
            Ok(repr) => write!(f, "{repr}"),
            Err(_) if self.is_8023_length() => write!(
                f,
                "802.3 {} > {} len={}",
                self.src_addr(),
                self.dst_addr(),
                self.raw_ethertype()
            ),
            Err(e) => write!(
                f,
                "EthernetII {} > {} ({e})",
                self.src_addr(),
                self.dst_addr()
            ),
        }
    }
}

fn read6(bytes: &[u8]) -> [u8; 6] {
    let mut out = [0u8; 6];
    out.copy_from_slice(bytes);
    out
}

fn read_u16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

/// The header of an Ethernet II frame as plain values. The payload stays in the frame:
/// `emit` writes the header and the caller writes the payload into `payload_mut()`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EthernetRepr {
    /// Source MAC; never a group address after `parse`.
    pub src_addr: EthernetAddress,
    /// Destination MAC.
    pub dst_addr: EthernetAddress,
    /// EtherType of the payload (the inner one when `vlan` is set). Never
    /// [`EthernetProtocol::Vlan`]: a tag is expressed through `vlan`.
    pub ethertype: EthernetProtocol,
    /// The 802.1Q tag, if any.
    pub vlan: Option<EthernetVlanTag>,
}

impl EthernetRepr {
    /// Reads the header of a frame.
    ///
    /// Errors: `Truncated` as in [`EthernetFrame::check_len`]; `Unsupported` for an
    /// 802.3 length frame (EtherType < 0x0600, CONFORMANCE C1.1) and for stacked tags
    /// (inner EtherType 0x8100); `Malformed` when the source MAC is a group address,
    /// which no station may send from (CONFORMANCE C1.3).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(frame: &EthernetFrame<&T>) -> Result<EthernetRepr> {
        frame.check_len()?;
        if frame.is_8023_length() {
            return Err(Error::Unsupported);
        }
        let ethertype = frame.ethertype();
        if ethertype == EthernetProtocol::Vlan {
            return Err(Error::Unsupported);
        }
        let src_addr = frame.src_addr();
        if src_addr.is_multicast() {
            return Err(Error::Malformed);
        }
        Ok(EthernetRepr {
            src_addr,
            dst_addr: frame.dst_addr(),
            ethertype,
            vlan: frame.vlan_tag(),
        })
    }

    /// Header length: 14, or 18 with a VLAN tag.
    pub const fn buffer_len(&self) -> usize {
        if self.vlan.is_some() {
            ETHERNET_VLAN_HEADER_LEN
        } else {
            ETHERNET_HEADER_LEN
        }
    }

    /// The length of a frame carrying `payload_len` bytes, padded up to the 60-byte
    /// minimum (CONFORMANCE C1.4). Pad bytes are to be zero.
    pub const fn padded_len(&self, payload_len: usize) -> usize {
        let len = self.buffer_len().saturating_add(payload_len);
        if len < ETHERNET_MIN_FRAME_LEN {
            ETHERNET_MIN_FRAME_LEN
        } else {
            len
        }
    }

    /// Writes the header into a frame of at least [`buffer_len`](Self::buffer_len)
    /// bytes. Leaves the payload untouched.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, frame: &mut EthernetFrame<&mut T>) {
        frame.set_dst_addr(self.dst_addr);
        frame.set_src_addr(self.src_addr);
        match self.vlan {
            Some(tag) => frame.set_vlan_tag(tag),
            // Clear a stale TPID so set_ethertype writes at bytes 12..14.
            None => frame.buffer.as_mut()[field::TPID].fill(0),
        }
        frame.set_ethertype(self.ethertype);
    }
}

impl fmt::Display for EthernetRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "EthernetII {} > {} type={}",
            self.src_addr, self.dst_addr, self.ethertype
        )?;
        if let Some(tag) = self.vlan {
            write!(f, " vlan={}", tag.vid)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
