//! ARP packets (RFC 826): the generic variable-length layout, and the one case skiff
//! speaks, Ethernet hardware addresses resolving IPv4 protocol addresses.
//!
//! Governing texts: RFC 826, RFC 1122 §2.3.2, RFC 5227 (address conflict detection).

use core::fmt;

use super::ethernet::{EthernetAddress, EthernetProtocol};
use super::{Error, Ipv4Address, Result};

mod field {
    #![allow(non_snake_case)]

    use crate::wire::Field;

    pub const HTYPE: Field = 0..2;
    pub const PTYPE: Field = 2..4;
    pub const HLEN: usize = 4;
    pub const PLEN: usize = 5;
    pub const OPER: Field = 6..8;
    /// Length of the fixed part before the addresses.
    pub const FIXED_LEN: usize = 8;

    // The address fields follow the fixed part; their sizes come from HLEN and PLEN
    // (each at most 255, so no sum below can overflow a usize).
    pub const fn SHA(hlen: u8, _plen: u8) -> Field {
        let start = FIXED_LEN;
        start..(start + hlen as usize)
    }

    pub const fn SPA(hlen: u8, plen: u8) -> Field {
        let start = SHA(hlen, plen).end;
        start..(start + plen as usize)
    }

    pub const fn THA(hlen: u8, plen: u8) -> Field {
        let start = SPA(hlen, plen).end;
        start..(start + hlen as usize)
    }

    pub const fn TPA(hlen: u8, plen: u8) -> Field {
        let start = THA(hlen, plen).end;
        start..(start + plen as usize)
    }
}

/// Length of an ARP packet for Ethernet and IPv4: 8 + 2 * (6 + 4).
pub const ARP_ETHERNET_IPV4_LEN: usize = 28;

enum_with_unknown! {
    /// The ARP hardware type (IANA "Hardware Types").
    pub enum ArpHardware(u16) {
        /// Ethernet (10 Mb and everything since).
        Ethernet = 1,
    }
}

enum_with_unknown! {
    /// The ARP opcode (IANA "Operation Codes").
    pub enum ArpOperation(u16) {
        /// "Who has this protocol address?"
        Request = 1,
        /// "This protocol address is at this hardware address."
        Reply = 2,
    }
}

impl fmt::Display for ArpOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArpOperation::Request => f.write_str("request"),
            ArpOperation::Reply => f.write_str("reply"),
            ArpOperation::Unknown(n) => write!(f, "op-{n}"),
        }
    }
}

/// A zero-copy view of an ARP packet in the generic RFC 826 layout, whatever its
/// hardware and protocol address lengths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArpPacket<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> ArpPacket<T> {
    /// Wraps a buffer without checking it; call [`check_len`](Self::check_len) before
    /// any getter.
    pub const fn new_unchecked(buffer: T) -> ArpPacket<T> {
        ArpPacket { buffer }
    }

    /// Wraps a buffer and checks that every field, addresses included, lies inside it.
    pub fn new_checked(buffer: T) -> Result<ArpPacket<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// `Truncated` unless the buffer holds the 8-byte fixed part and the four addresses
    /// whose sizes it declares: 8 + 2 * (hlen + plen) bytes. Bytes beyond that (Ethernet
    /// padding) are ignored.
    pub fn check_len(&self) -> Result<()> {
        let data = self.buffer.as_ref();
        if data.len() < field::FIXED_LEN {
            return Err(Error::Truncated);
        }
        if data.len() < self.packet_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// The buffer, giving up the view.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The length the header fields declare: 8 + 2 * (hlen + plen), at most 1028.
    pub fn packet_len(&self) -> usize {
        let (h, p) = (self.hardware_len(), self.protocol_len());
        field::TPA(h, p).end
    }

    /// The hardware type (1 for Ethernet).
    pub fn hardware_type(&self) -> ArpHardware {
        ArpHardware::from(read_u16(&self.buffer.as_ref()[field::HTYPE]))
    }

    /// The protocol type, an EtherType (0x0800 for IPv4).
    pub fn protocol_type(&self) -> EthernetProtocol {
        EthernetProtocol::from(read_u16(&self.buffer.as_ref()[field::PTYPE]))
    }

    /// The length of each hardware address in bytes.
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// The length of each protocol address in bytes.
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// The opcode.
    pub fn operation(&self) -> ArpOperation {
        ArpOperation::from(read_u16(&self.buffer.as_ref()[field::OPER]))
    }

    /// The sender hardware address, `hardware_len` bytes.
    pub fn source_hardware_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SHA(self.hardware_len(), self.protocol_len())]
    }

    /// The sender protocol address, `protocol_len` bytes.
    pub fn source_protocol_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SPA(self.hardware_len(), self.protocol_len())]
    }

    /// The target hardware address, `hardware_len` bytes.
    pub fn target_hardware_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::THA(self.hardware_len(), self.protocol_len())]
    }

    /// The target protocol address, `protocol_len` bytes.
    pub fn target_protocol_addr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::TPA(self.hardware_len(), self.protocol_len())]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> ArpPacket<T> {
    /// Sets the hardware type.
    pub fn set_hardware_type(&mut self, value: ArpHardware) {
        write_u16(&mut self.buffer.as_mut()[field::HTYPE], value.into());
    }

    /// Sets the protocol type.
    pub fn set_protocol_type(&mut self, value: EthernetProtocol) {
        write_u16(&mut self.buffer.as_mut()[field::PTYPE], value.into());
    }

    /// Sets the hardware address length. Set both lengths before any address.
    pub fn set_hardware_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::HLEN] = value;
    }

    /// Sets the protocol address length. Set both lengths before any address.
    pub fn set_protocol_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::PLEN] = value;
    }

    /// Sets the opcode.
    pub fn set_operation(&mut self, value: ArpOperation) {
        write_u16(&mut self.buffer.as_mut()[field::OPER], value.into());
    }

    /// Sets the sender hardware address; `value` must be `hardware_len` bytes.
    pub fn set_source_hardware_addr(&mut self, value: &[u8]) {
        let range = field::SHA(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }

    /// Sets the sender protocol address; `value` must be `protocol_len` bytes.
    pub fn set_source_protocol_addr(&mut self, value: &[u8]) {
        let range = field::SPA(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }

    /// Sets the target hardware address; `value` must be `hardware_len` bytes.
    pub fn set_target_hardware_addr(&mut self, value: &[u8]) {
        let range = field::THA(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }

    /// Sets the target protocol address; `value` must be `protocol_len` bytes.
    pub fn set_target_protocol_addr(&mut self, value: &[u8]) {
        let range = field::TPA(self.hardware_len(), self.protocol_len());
        self.buffer.as_mut()[range].copy_from_slice(value);
    }
}

impl<T: AsRef<[u8]>> fmt::Display for ArpPacket<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match ArpRepr::parse(&ArpPacket::new_unchecked(self.buffer.as_ref())) {
            Ok(repr) => write!(f, "{repr}"),
            Err(e) if self.buffer.as_ref().len() >= field::FIXED_LEN => write!(
                f,
                "ARP htype={} ptype=0x{:04x} hlen={} plen={} {} ({e})",
                u16::from(self.hardware_type()),
                u16::from(self.protocol_type()),
                self.hardware_len(),
                self.protocol_len(),
                self.operation()
            ),
            Err(e) => write!(f, "ARP ({e})"),
        }
    }
}

fn read_u16(bytes: &[u8]) -> u16 {
    u16::from_be_bytes([bytes[0], bytes[1]])
}

fn write_u16(bytes: &mut [u8], value: u16) {
    bytes.copy_from_slice(&value.to_be_bytes());
}

fn read_ipv4(bytes: &[u8]) -> Ipv4Address {
    Ipv4Address::new(bytes[0], bytes[1], bytes[2], bytes[3])
}

/// An ARP packet skiff understands, as plain values. Only Ethernet/IPv4 exists today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ArpRepr {
    /// Ethernet hardware addresses, IPv4 protocol addresses (the 28-byte packet).
    EthernetIpv4 {
        /// Request or reply.
        operation: ArpOperation,
        /// Sender MAC.
        source_hardware_addr: EthernetAddress,
        /// Sender IPv4 address (0.0.0.0 in an RFC 5227 probe).
        source_protocol_addr: Ipv4Address,
        /// Target MAC (ignored, usually zero, in a request).
        target_hardware_addr: EthernetAddress,
        /// Target IPv4 address.
        target_protocol_addr: Ipv4Address,
    },
}

impl ArpRepr {
    /// Reads an Ethernet/IPv4 ARP packet (CONFORMANCE C2.1).
    ///
    /// Errors, checked in this order: `Truncated` below the 8-byte fixed part;
    /// `Unsupported` for another hardware or protocol type (a valid ARP for a network
    /// skiff does not speak); `Malformed` when htype=1 and ptype=0x0800 but hlen != 6 or
    /// plen != 4 (the lengths contradict the types); `Unsupported` for an opcode other
    /// than request or reply (RARP, InARP); `Truncated` below 28 bytes. Bytes after the
    /// 28th (Ethernet padding) are ignored.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &ArpPacket<&T>) -> Result<ArpRepr> {
        if packet.buffer.as_ref().len() < field::FIXED_LEN {
            return Err(Error::Truncated);
        }
        if packet.hardware_type() != ArpHardware::Ethernet
            || packet.protocol_type() != EthernetProtocol::Ipv4
        {
            return Err(Error::Unsupported);
        }
        if packet.hardware_len() != 6 || packet.protocol_len() != 4 {
            return Err(Error::Malformed);
        }
        let operation = packet.operation();
        if !matches!(operation, ArpOperation::Request | ArpOperation::Reply) {
            return Err(Error::Unsupported);
        }
        packet.check_len()?;
        let mac = |bytes: &[u8]| EthernetAddress::from_bytes(bytes).ok_or(Error::Malformed);
        Ok(ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr: mac(packet.source_hardware_addr())?,
            source_protocol_addr: read_ipv4(packet.source_protocol_addr()),
            target_hardware_addr: mac(packet.target_hardware_addr())?,
            target_protocol_addr: read_ipv4(packet.target_protocol_addr()),
        })
    }

    /// The packet length: 28.
    pub const fn buffer_len(&self) -> usize {
        match self {
            ArpRepr::EthernetIpv4 { .. } => ARP_ETHERNET_IPV4_LEN,
        }
    }

    /// Writes the packet into a buffer of at least [`buffer_len`](Self::buffer_len)
    /// bytes. Bytes after it are left alone.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(&self, packet: &mut ArpPacket<&mut T>) {
        match *self {
            ArpRepr::EthernetIpv4 {
                operation,
                source_hardware_addr,
                source_protocol_addr,
                target_hardware_addr,
                target_protocol_addr,
            } => {
                packet.set_hardware_type(ArpHardware::Ethernet);
                packet.set_protocol_type(EthernetProtocol::Ipv4);
                packet.set_hardware_len(6);
                packet.set_protocol_len(4);
                packet.set_operation(operation);
                packet.set_source_hardware_addr(source_hardware_addr.as_bytes());
                packet.set_source_protocol_addr(&source_protocol_addr.octets());
                packet.set_target_hardware_addr(target_hardware_addr.as_bytes());
                packet.set_target_protocol_addr(&target_protocol_addr.octets());
            }
        }
    }
}

impl fmt::Display for ArpRepr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr,
                source_protocol_addr,
                target_protocol_addr,
                ..
            } => write!(
                f,
                "ARP who-has {target_protocol_addr} tell {source_protocol_addr} \
                 ({source_hardware_addr})"
            ),
            ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr,
                source_protocol_addr,
                ..
            } => write!(f, "ARP {source_protocol_addr} is-at {source_hardware_addr}"),
            ArpRepr::EthernetIpv4 {
                operation,
                source_protocol_addr,
                target_protocol_addr,
                ..
            } => write!(
                f,
                "ARP {operation} {source_protocol_addr} > {target_protocol_addr}"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;
    use std::vec::Vec;

    const MAC1: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x01]);
    const MAC2: EthernetAddress = EthernetAddress([0x02, 0, 0, 0, 0, 0x02]);
    const IP1: Ipv4Address = Ipv4Address::new(192, 0, 2, 1);
    const IP2: Ipv4Address = Ipv4Address::new(192, 0, 2, 2);

    /// "Who has 192.0.2.2? Tell 192.0.2.1", as Linux sends it (target MAC zero).
    const REQUEST: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, // htype, ptype, hlen, plen, op
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192, 0, 2, 1, // sender
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 192, 0, 2, 2, // target
    ];

    /// "192.0.2.2 is at 02:00:00:00:00:02", unicast back to the requester.
    const REPLY: [u8; 28] = [
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x02, // htype, ptype, hlen, plen, op
        0x02, 0x00, 0x00, 0x00, 0x00, 0x02, 192, 0, 2, 2, // sender
        0x02, 0x00, 0x00, 0x00, 0x00, 0x01, 192, 0, 2, 1, // target
    ];

    fn xorshift(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    fn parse(bytes: &[u8]) -> Result<ArpRepr> {
        ArpRepr::parse(&ArpPacket::new_unchecked(bytes))
    }

    fn emit(repr: &ArpRepr) -> Vec<u8> {
        let mut out = std::vec![0xa5u8; repr.buffer_len()];
        repr.emit(&mut ArpPacket::new_unchecked(&mut out[..]));
        out
    }

    #[test]
    fn request_parses_prints_and_round_trips_exactly() {
        let packet = ArpPacket::new_checked(&REQUEST[..]).unwrap();
        assert_eq!(packet.hardware_type(), ArpHardware::Ethernet);
        assert_eq!(packet.protocol_type(), EthernetProtocol::Ipv4);
        assert_eq!(packet.operation(), ArpOperation::Request);
        assert_eq!(packet.source_protocol_addr(), &[192, 0, 2, 1][..]);
        assert_eq!(packet.target_hardware_addr(), &[0u8; 6][..]);
        let repr = ArpRepr::parse(&packet).unwrap();
        assert_eq!(
            repr,
            ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Request,
                source_hardware_addr: MAC1,
                source_protocol_addr: IP1,
                target_hardware_addr: EthernetAddress([0; 6]),
                target_protocol_addr: IP2,
            }
        );
        assert_eq!(
            repr.to_string(),
            "ARP who-has 192.0.2.2 tell 192.0.2.1 (02:00:00:00:00:01)"
        );
        assert_eq!(packet.to_string(), repr.to_string());
        assert_eq!(emit(&repr), REQUEST);
    }

    #[test]
    fn reply_parses_prints_and_round_trips_exactly() {
        let repr = parse(&REPLY).unwrap();
        assert_eq!(
            repr,
            ArpRepr::EthernetIpv4 {
                operation: ArpOperation::Reply,
                source_hardware_addr: MAC2,
                source_protocol_addr: IP2,
                target_hardware_addr: MAC1,
                target_protocol_addr: IP1,
            }
        );
        assert_eq!(repr.to_string(), "ARP 192.0.2.2 is-at 02:00:00:00:00:02");
        assert_eq!(emit(&repr), REPLY);
    }

    #[test]
    fn ethernet_padding_after_the_packet_is_ignored() {
        let mut padded = REQUEST.to_vec();
        padded.extend_from_slice(&[0xee; 18]);
        let packet = ArpPacket::new_checked(&padded[..]).unwrap();
        assert_eq!(packet.packet_len(), 28);
        assert_eq!(ArpRepr::parse(&packet), parse(&REQUEST));
    }

    #[test]
    fn ethernet_ipv4_packets_shorter_than_28_bytes_are_truncated() {
        for len in 0..ARP_ETHERNET_IPV4_LEN {
            assert_eq!(parse(&REQUEST[..len]), Err(Error::Truncated), "len {len}");
            assert_eq!(
                ArpPacket::new_checked(&REQUEST[..len]).unwrap_err(),
                Error::Truncated
            );
        }
    }

    #[test]
    fn odd_address_lengths_are_rejected_for_ethernet_ipv4() {
        for (hlen, plen) in [(0, 4), (6, 0), (8, 4), (6, 16), (255, 255), (5, 4)] {
            let mut bytes = REQUEST.to_vec();
            bytes[4] = hlen;
            bytes[5] = plen;
            bytes.resize(8 + 2 * (hlen as usize + plen as usize), 0);
            assert_eq!(parse(&bytes), Err(Error::Malformed), "{hlen}/{plen}");
        }
    }

    #[test]
    fn the_generic_view_sizes_addresses_by_their_length_fields() {
        // An InfiniBand-style layout: 20-byte hardware addresses, IPv4 protocol ones.
        let mut bytes = std::vec![0u8; 8 + 2 * (20 + 4)];
        bytes[..8].copy_from_slice(&[0x00, 0x20, 0x08, 0x00, 20, 4, 0x00, 0x01]);
        bytes[28..32].copy_from_slice(&[10, 0, 0, 1]);
        bytes[52..56].copy_from_slice(&[10, 0, 0, 2]);
        let packet = ArpPacket::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.packet_len(), 56);
        assert_eq!(packet.source_hardware_addr().len(), 20);
        assert_eq!(packet.source_protocol_addr(), &[10, 0, 0, 1][..]);
        assert_eq!(packet.target_protocol_addr(), &[10, 0, 0, 2][..]);
        assert_eq!(ArpRepr::parse(&packet), Err(Error::Unsupported));
        assert_eq!(
            ArpPacket::new_checked(&bytes[..55]).unwrap_err(),
            Error::Truncated
        );
        // The largest declared layout against a short buffer: no overflow, just short.
        let huge = [0x00, 0x01, 0x08, 0x00, 0xff, 0xff, 0x00, 0x01, 0, 0];
        let packet = ArpPacket::new_unchecked(&huge[..]);
        assert_eq!(packet.check_len(), Err(Error::Truncated));
        assert_eq!(packet.packet_len(), 8 + 2 * (255 + 255));
    }

    #[test]
    fn other_hardware_protocol_and_operation_codes_are_unsupported() {
        let mut bytes = REQUEST;
        bytes[1] = 6; // IEEE 802 networks
        assert_eq!(parse(&bytes), Err(Error::Unsupported));
        let mut bytes = REQUEST;
        bytes[2..4].copy_from_slice(&[0x86, 0xdd]);
        assert_eq!(parse(&bytes), Err(Error::Unsupported));
        for op in [0u16, 3, 4, 8, 9, 0xffff] {
            let mut bytes = REQUEST;
            bytes[6..8].copy_from_slice(&op.to_be_bytes());
            assert_eq!(parse(&bytes), Err(Error::Unsupported), "op {op}");
            assert!(
                ArpPacket::new_unchecked(&bytes[..])
                    .to_string()
                    .contains("(unsupported)")
            );
        }
    }

    #[test]
    fn the_generic_setters_write_where_the_getters_read() {
        let mut bytes = [0u8; 28];
        let mut packet = ArpPacket::new_unchecked(&mut bytes[..]);
        packet.set_hardware_type(ArpHardware::Ethernet);
        packet.set_protocol_type(EthernetProtocol::Ipv4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(ArpOperation::Reply);
        packet.set_source_hardware_addr(MAC2.as_bytes());
        packet.set_source_protocol_addr(&IP2.octets());
        packet.set_target_hardware_addr(MAC1.as_bytes());
        packet.set_target_protocol_addr(&IP1.octets());
        assert_eq!(packet.into_inner(), &REPLY[..]);
    }

    #[test]
    fn no_input_panics_the_parser() {
        for valid in [&REQUEST, &REPLY] {
            for len in 0..=valid.len() {
                let bytes = &valid[..len];
                let _ = ArpPacket::new_checked(bytes);
                let _ = parse(bytes);
                let _ = ArpPacket::new_unchecked(bytes).to_string();
            }
        }
        let mut state = 0x0dd_ba11_cafe_f00du64;
        for _ in 0..5000 {
            let len = (xorshift(&mut state) % 64) as usize;
            let mut bytes: Vec<u8> = (0..len).map(|_| xorshift(&mut state) as u8).collect();
            // Bias half the cases towards the accepted header so later checks run.
            if len >= 8 && xorshift(&mut state) % 2 == 0 {
                bytes[..8].copy_from_slice(&REQUEST[..8]);
                bytes[7] = 1 + (xorshift(&mut state) % 3) as u8;
            }
            if let Ok(packet) = ArpPacket::new_checked(&bytes[..]) {
                let _ = (packet.source_hardware_addr(), packet.target_protocol_addr());
                if let Ok(repr) = ArpRepr::parse(&packet) {
                    assert_eq!(emit(&repr), bytes[..28]);
                }
            }
            let _ = parse(&bytes);
            let _ = ArpPacket::new_unchecked(&bytes[..]).to_string();
        }
    }
}
