//! ICMPv4 messages: echo, and the errors that quote an IPv4 header.
//!
//! Governed by RFC 792 (formats), RFC 1122 §3.2.2 (host rules), RFC 1191 (next-hop MTU
//! in Fragmentation Needed) and RFC 1812 §4.3.2.3 (how much of a datagram to quote).

use core::fmt;

use super::checksum;
use super::ipv4::{Ipv4Packet, Ipv4Repr};
use super::{Checksum, ChecksumCapabilities, Error, Result};

mod field {
    use crate::wire::{Field, Rest};

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// The second word: unused, pointer, MTU, gateway or echo ident/seq by type.
    pub const REST_OF_HEADER: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQNO: Field = 6..8;
    pub const POINTER: usize = 4;
    pub const NEXT_HOP_MTU: Field = 6..8;
    pub const DATA: Rest = 8..;
}

/// Length of the ICMPv4 header (type, code, checksum and the second word).
pub const ICMPV4_HEADER_LEN: usize = 8;
/// Largest ICMP error skiff emits, IP header included (RFC 1812 §4.3.2.3).
pub const ICMPV4_ERROR_MAX_LEN: usize = 576;

enum_with_unknown! {
    /// ICMPv4 message type (IANA "ICMP Type Numbers").
    pub enum Icmpv4Message(u8) {
        /// Echo Reply.
        EchoReply = 0,
        /// Destination Unreachable.
        DstUnreachable = 3,
        /// Redirect.
        Redirect = 5,
        /// Echo Request.
        EchoRequest = 8,
        /// Router Advertisement (RFC 1256).
        RouterAdvert = 9,
        /// Router Solicitation (RFC 1256).
        RouterSolicit = 10,
        /// Time Exceeded.
        TimeExceeded = 11,
        /// Parameter Problem.
        ParamProblem = 12,
        /// Timestamp.
        Timestamp = 13,
        /// Timestamp Reply.
        TimestampReply = 14,
    }
}

impl fmt::Display for Icmpv4Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4Message::EchoReply => f.write_str("echo reply"),
            Icmpv4Message::DstUnreachable => f.write_str("dst unreachable"),
            Icmpv4Message::Redirect => f.write_str("redirect"),
            Icmpv4Message::EchoRequest => f.write_str("echo request"),
            Icmpv4Message::RouterAdvert => f.write_str("router advertisement"),
            Icmpv4Message::RouterSolicit => f.write_str("router solicitation"),
            Icmpv4Message::TimeExceeded => f.write_str("time exceeded"),
            Icmpv4Message::ParamProblem => f.write_str("parameter problem"),
            Icmpv4Message::Timestamp => f.write_str("timestamp"),
            Icmpv4Message::TimestampReply => f.write_str("timestamp reply"),
            Icmpv4Message::Unknown(n) => write!(f, "type {n}"),
        }
    }
}

enum_with_unknown! {
    /// Destination Unreachable codes (RFC 792, RFC 1122 §3.2.2.1, RFC 1812 §5.2.7.1).
    pub enum Icmpv4DstUnreachable(u8) {
        /// Network unreachable.
        NetUnreachable = 0,
        /// Host unreachable.
        HostUnreachable = 1,
        /// Protocol unreachable.
        ProtoUnreachable = 2,
        /// Port unreachable.
        PortUnreachable = 3,
        /// Fragmentation needed and DF set; carries the next-hop MTU (RFC 1191).
        FragRequired = 4,
        /// Source route failed.
        SrcRouteFailed = 5,
        /// Destination network unknown.
        DstNetUnknown = 6,
        /// Destination host unknown.
        DstHostUnknown = 7,
        /// Source host isolated.
        SrcHostIsolated = 8,
        /// Network administratively prohibited.
        NetProhibited = 9,
        /// Host administratively prohibited.
        HostProhibited = 10,
        /// Network unreachable for type of service.
        NetUnreachToS = 11,
        /// Host unreachable for type of service.
        HostUnreachToS = 12,
        /// Communication administratively prohibited.
        CommProhibited = 13,
        /// Host precedence violation.
        HostPrecedViol = 14,
        /// Precedence cutoff in effect.
        PrecedCutoff = 15,
    }
}

impl fmt::Display for Icmpv4DstUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use Icmpv4DstUnreachable as U;
        f.write_str(match self {
            U::NetUnreachable => "net unreachable",
            U::HostUnreachable => "host unreachable",
            U::ProtoUnreachable => "protocol unreachable",
            U::PortUnreachable => "port unreachable",
            U::FragRequired => "frag needed",
            U::SrcRouteFailed => "source route failed",
            U::DstNetUnknown => "net unknown",
            U::DstHostUnknown => "host unknown",
            U::SrcHostIsolated => "source host isolated",
            U::NetProhibited => "net prohibited",
            U::HostProhibited => "host prohibited",
            U::NetUnreachToS => "net unreachable for tos",
            U::HostUnreachToS => "host unreachable for tos",
            U::CommProhibited => "communication prohibited",
            U::HostPrecedViol => "host precedence violation",
            U::PrecedCutoff => "precedence cutoff",
            U::Unknown(n) => return write!(f, "code {n}"),
        })
    }
}

enum_with_unknown! {
    /// Time Exceeded codes (RFC 792).
    pub enum Icmpv4TimeExceeded(u8) {
        /// TTL reached zero in transit.
        TtlExpired = 0,
        /// Fragment reassembly time exceeded (CONFORMANCE C4.4).
        FragExpired = 1,
    }
}

impl fmt::Display for Icmpv4TimeExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4TimeExceeded::TtlExpired => f.write_str("ttl expired"),
            Icmpv4TimeExceeded::FragExpired => f.write_str("reassembly time exceeded"),
            Icmpv4TimeExceeded::Unknown(n) => write!(f, "code {n}"),
        }
    }
}

enum_with_unknown! {
    /// Parameter Problem codes (RFC 792, RFC 1108, RFC 1812).
    pub enum Icmpv4ParamProblem(u8) {
        /// The pointer field names the offending octet.
        AtPointer = 0,
        /// A required option is missing.
        MissingOption = 1,
        /// Bad length.
        BadLength = 2,
    }
}

impl fmt::Display for Icmpv4ParamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4ParamProblem::AtPointer => f.write_str("bad octet"),
            Icmpv4ParamProblem::MissingOption => f.write_str("missing option"),
            Icmpv4ParamProblem::BadLength => f.write_str("bad length"),
            Icmpv4ParamProblem::Unknown(n) => write!(f, "code {n}"),
        }
    }
}

/// A read/write view of an ICMPv4 message: the whole IPv4 payload. Zero-copy;
/// [`Icmpv4Packet::new_checked`] validates the 8-byte header is present.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmpv4Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv4Packet<T> {
    /// Wraps a buffer without checking it.
    pub const fn new_unchecked(buffer: T) -> Icmpv4Packet<T> {
        Icmpv4Packet { buffer }
    }

    /// Wraps a buffer and validates it with [`check_len`](Self::check_len).
    pub fn new_checked(buffer: T) -> Result<Icmpv4Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// `Truncated` if the buffer is shorter than the 8-byte header; every getter reads
    /// only the header, and [`data`](Self::data) is the rest.
    pub fn check_len(&self) -> Result<()> {
        if self.buffer.as_ref().len() < ICMPV4_HEADER_LEN {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The message type.
    pub fn msg_type(&self) -> Icmpv4Message {
        Icmpv4Message::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The message code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    fn read_u16(&self, at: usize) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[at], b[at + 1]])
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        self.read_u16(field::CHECKSUM.start)
    }

    /// The echo identifier (echo request/reply).
    pub fn echo_ident(&self) -> u16 {
        self.read_u16(field::ECHO_IDENT.start)
    }

    /// The echo sequence number (echo request/reply).
    pub fn echo_seq_no(&self) -> u16 {
        self.read_u16(field::ECHO_SEQNO.start)
    }

    /// The whole second word: "unused" for most errors, the gateway for a redirect.
    pub fn rest_of_header(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::REST_OF_HEADER];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// The Parameter Problem pointer: offset of the offending octet in the quoted header.
    pub fn pointer(&self) -> u8 {
        self.buffer.as_ref()[field::POINTER]
    }

    /// The next-hop MTU of Fragmentation Needed (RFC 1191); 0 from pre-1191 routers.
    pub fn next_hop_mtu(&self) -> u16 {
        self.read_u16(field::NEXT_HOP_MTU.start)
    }

    /// Everything after the 8-byte header: echo data, or the quoted datagram.
    pub fn data(&self) -> &[u8] {
        &self.buffer.as_ref()[field::DATA]
    }

    /// Whether the checksum over the whole message verifies.
    pub fn verify_checksum(&self) -> bool {
        checksum::verifies(checksum::sum(self.buffer.as_ref()))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv4Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Icmpv4Message) {
        self.buffer.as_mut()[field::TYPE] = value.into();
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value;
    }

    fn write_u16(&mut self, at: usize, value: u16) {
        self.buffer.as_mut()[at..at + 2].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        self.write_u16(field::CHECKSUM.start, value);
    }

    /// Sets the echo identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        self.write_u16(field::ECHO_IDENT.start, value);
    }

    /// Sets the echo sequence number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        self.write_u16(field::ECHO_SEQNO.start, value);
    }

    /// Sets the whole second word.
    pub fn set_rest_of_header(&mut self, value: u32) {
        self.buffer.as_mut()[field::REST_OF_HEADER].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the Parameter Problem pointer.
    pub fn set_pointer(&mut self, value: u8) {
        self.buffer.as_mut()[field::POINTER] = value;
    }

    /// Sets the next-hop MTU.
    pub fn set_next_hop_mtu(&mut self, value: u16) {
        self.write_u16(field::NEXT_HOP_MTU.start, value);
    }

    /// The data after the header, writable.
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA]
    }

    /// Computes and stores the checksum over the whole buffer.
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = checksum::sum(self.buffer.as_ref());
        self.set_checksum(checksum::finish(sum));
    }
}

/// A parsed ICMPv4 message of a kind skiff handles. Borrows echo data and the quoted
/// payload from the packet.
///
/// For errors, `header` is the quoted IPv4 header and `data` the quoted bytes after it
/// (at least 8 when the original datagram had them, RFC 792). Normalised on emit: the
/// unused bits of the second word are written as 0, and the quoted header's checksum is
/// recomputed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv4Repr<'a> {
    /// Echo Request (type 8).
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data, echoed unchanged in the reply (CONFORMANCE C5.9).
        data: &'a [u8],
    },
    /// Echo Reply (type 0).
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data.
        data: &'a [u8],
    },
    /// Destination Unreachable (type 3).
    DstUnreachable {
        /// The code.
        reason: Icmpv4DstUnreachable,
        /// Next-hop MTU (RFC 1191): meaningful for `FragRequired`, else 0 on emit and
        /// whatever the low 16 bits of the second word held on parse.
        next_hop_mtu: u16,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
    /// Time Exceeded (type 11).
    TimeExceeded {
        /// The code.
        reason: Icmpv4TimeExceeded,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
    /// Parameter Problem (type 12).
    ParamProblem {
        /// The code.
        reason: Icmpv4ParamProblem,
        /// Offset of the offending octet in the quoted header (code 0).
        pointer: u8,
        /// The quoted IPv4 header.
        header: Ipv4Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
}

impl<'a> Icmpv4Repr<'a> {
    /// Parses a checked message. Verifies the checksum when `caps.icmpv4.rx()`
    /// (`Error::Checksum`, CONFORMANCE C5.1).
    ///
    /// - `Unsupported`: a type skiff does not handle (the caller counts and drops it).
    /// - `Malformed`: an echo with a nonzero code, or a quoted header that is not IPv4.
    /// - `Truncated`: fewer than 8 bytes, a quoted header cut short, or fewer than 8
    ///   quoted payload bytes when the original datagram claimed more (RFC 792).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Icmpv4Packet<&'a T>,
        caps: &ChecksumCapabilities,
    ) -> Result<Icmpv4Repr<'a>> {
        packet.check_len()?;
        if caps.icmpv4.rx() && !packet.verify_checksum() {
            return Err(Error::Checksum);
        }
        let data = &packet.buffer.as_ref()[field::DATA];
        let code = packet.msg_code();
        let (ident, seq_no) = (packet.echo_ident(), packet.echo_seq_no());
        match packet.msg_type() {
            Icmpv4Message::EchoRequest | Icmpv4Message::EchoReply if code != 0 => {
                Err(Error::Malformed)
            }
            Icmpv4Message::EchoRequest => Ok(Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }),
            Icmpv4Message::EchoReply => Ok(Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            }),
            Icmpv4Message::DstUnreachable => {
                let (header, data) = parse_quote(data)?;
                Ok(Icmpv4Repr::DstUnreachable {
                    reason: Icmpv4DstUnreachable::from(code),
                    next_hop_mtu: packet.next_hop_mtu(),
                    header,
                    data,
                })
            }
            Icmpv4Message::TimeExceeded => {
                let (header, data) = parse_quote(data)?;
                Ok(Icmpv4Repr::TimeExceeded {
                    reason: Icmpv4TimeExceeded::from(code),
                    header,
                    data,
                })
            }
            Icmpv4Message::ParamProblem => {
                let (header, data) = parse_quote(data)?;
                Ok(Icmpv4Repr::ParamProblem {
                    reason: Icmpv4ParamProblem::from(code),
                    pointer: packet.pointer(),
                    header,
                    data,
                })
            }
            // RFC 1122 §3.2.2 MUST: unknown types are silently discarded (C5.1, C5.10).
            _ => Err(Error::Unsupported),
        }
    }

    /// The message length: 8, plus echo data or the quoted header and bytes.
    pub fn buffer_len(&self) -> usize {
        ICMPV4_HEADER_LEN
            + match self {
                Icmpv4Repr::EchoRequest { data, .. } | Icmpv4Repr::EchoReply { data, .. } => {
                    data.len()
                }
                Icmpv4Repr::DstUnreachable { header, data, .. }
                | Icmpv4Repr::TimeExceeded { header, data, .. }
                | Icmpv4Repr::ParamProblem { header, data, .. } => header.buffer_len() + data.len(),
            }
    }

    /// Writes the message into `packet`, whose buffer must be exactly
    /// [`buffer_len`](Self::buffer_len) bytes (the checksum covers all of it). Fills the
    /// checksum when `caps.icmpv4.tx()`, else leaves it 0.
    ///
    /// The quoted header of an error is written by [`Ipv4Repr::emit`] with its checksum
    /// always computed: no device fills a checksum inside an ICMP payload.
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]> + ?Sized>(
        &self,
        packet: &mut Icmpv4Packet<&mut T>,
        caps: &ChecksumCapabilities,
    ) {
        packet.set_rest_of_header(0);
        let (msg_type, code, quote) = match *self {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }
            | Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                packet.data_mut()[..data.len()].copy_from_slice(data);
                let msg_type = match self {
                    Icmpv4Repr::EchoRequest { .. } => Icmpv4Message::EchoRequest,
                    _ => Icmpv4Message::EchoReply,
                };
                (msg_type, 0, None)
            }
            Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu,
                header,
                data,
            } => {
                packet.set_next_hop_mtu(next_hop_mtu);
                let code = reason.into();
                (Icmpv4Message::DstUnreachable, code, Some((header, data)))
            }
            Icmpv4Repr::TimeExceeded {
                reason,
                header,
                data,
            } => (
                Icmpv4Message::TimeExceeded,
                reason.into(),
                Some((header, data)),
            ),
            Icmpv4Repr::ParamProblem {
                reason,
                pointer,
                header,
                data,
            } => {
                packet.set_pointer(pointer);
                let code = reason.into();
                (Icmpv4Message::ParamProblem, code, Some((header, data)))
            }
        };
        packet.set_msg_type(msg_type);
        packet.set_msg_code(code);
        if let Some((header, data)) = quote {
            emit_quote(&header, data, packet.data_mut());
        }
        if caps.icmpv4.tx() {
            packet.fill_checksum();
        } else {
            packet.set_checksum(0);
        }
    }
}

/// Parses the datagram quoted by an error: its header (checksum not verified) and the
/// bytes actually present after it (CONFORMANCE C5.2 [!], CVE-2020-17443).
fn parse_quote(quoted: &[u8]) -> Result<(Ipv4Repr, &[u8])> {
    let (header, data) = Ipv4Repr::parse_quoted(quoted)?;
    // RFC 792: the quote holds the first 64 bits of the original payload; a transport
    // needs them (ports, sequence number) to find the socket.
    if data.len() < header.payload_len.min(8) {
        return Err(Error::Truncated);
    }
    Ok((header, data))
}

fn emit_quote(header: &Ipv4Repr, data: &[u8], buffer: &mut [u8]) {
    let header_len = header.buffer_len();
    let (head, rest) = buffer.split_at_mut(header_len);
    let caps = ChecksumCapabilities {
        ipv4: Checksum::Both,
        ..ChecksumCapabilities::ignored()
    };
    header.emit(&mut Ipv4Packet::new_unchecked(head), &caps);
    rest[..data.len()].copy_from_slice(data);
}

impl fmt::Display for Icmpv4Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv4 echo request id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv4Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv4 echo reply id={ident} seq={seq_no} len={}",
                data.len()
            ),
            Icmpv4Repr::DstUnreachable {
                reason: reason @ Icmpv4DstUnreachable::FragRequired,
                next_hop_mtu,
                header,
                ..
            } => write!(
                f,
                "ICMPv4 dst unreachable ({reason}, mtu={next_hop_mtu}) for {header}"
            ),
            Icmpv4Repr::DstUnreachable { reason, header, .. } => {
                write!(f, "ICMPv4 dst unreachable ({reason}) for {header}")
            }
            Icmpv4Repr::TimeExceeded { reason, header, .. } => {
                write!(f, "ICMPv4 time exceeded ({reason}) for {header}")
            }
            Icmpv4Repr::ParamProblem {
                reason,
                pointer,
                header,
                ..
            } => write!(
                f,
                "ICMPv4 parameter problem ({reason}, pointer={pointer}) for {header}"
            ),
        }
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Icmpv4Packet<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let packet = Icmpv4Packet::new_unchecked(self.buffer.as_ref());
        if let Err(err) = packet.check_len() {
            return write!(f, "ICMPv4 ({err})");
        }
        let bad = if packet.verify_checksum() {
            ""
        } else {
            " (bad checksum)"
        };
        match Icmpv4Repr::parse(&packet, &ChecksumCapabilities::ignored()) {
            Ok(repr) => write!(f, "{repr}{bad}"),
            Err(Error::Unsupported) => write!(
                f,
                "ICMPv4 {} code={} len={}{bad}",
                packet.msg_type(),
                packet.msg_code(),
                packet.data().len()
            ),
            Err(err) => write!(f, "ICMPv4 {} ({err}){bad}", packet.msg_type()),
        }
    }
}

#[cfg(test)]
mod tests;
