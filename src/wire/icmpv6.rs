//! ICMPv6: a zero-copy view with the pseudo-header checksum, and a plain representation of
//! echo, the four error messages and (through [`super::ndisc`]) Neighbour Discovery.
//!
//! Governing RFCs: RFC 4443 (ICMPv6), RFC 8200 §8.1 (pseudo-header), RFC 7112 (Parameter
//! Problem code 3), RFC 4861 (message lengths of Neighbour Discovery).

use core::fmt;

use super::checksum;
use super::ipv6::{IPV6_HEADER_LEN, Ipv6Packet, Ipv6Repr};
use super::ndisc::NdiscRepr;
use super::{ChecksumCapabilities, Error, IpProtocol, Ipv6Address, Result};

mod field {
    use crate::wire::Field;

    pub const TYPE: usize = 0;
    pub const CODE: usize = 1;
    pub const CHECKSUM: Field = 2..4;
    /// The 32-bit word after the checksum: unused, MTU, pointer, or echo identifier and
    /// sequence number, depending on the type.
    pub const BODY_WORD: Field = 4..8;
    pub const ECHO_IDENT: Field = 4..6;
    pub const ECHO_SEQ_NO: Field = 6..8;
    pub const PKT_TOO_BIG_MTU: Field = 4..8;
    pub const PARAM_PROBLEM_PTR: Field = 4..8;
    /// End of the header every message type has at least.
    pub const MIN_END: usize = 4;
    /// End of the header of echo and error messages: data or the quoted packet follow.
    pub const ERROR_END: usize = 8;
}

enum_with_unknown! {
    /// ICMPv6 message types (RFC 4443 §2.1 and the IANA registry). Types below 128 are
    /// errors, the rest informational.
    pub enum Icmpv6Message(u8) {
        /// Destination Unreachable.
        DstUnreachable = 1,
        /// Packet Too Big.
        PktTooBig = 2,
        /// Time Exceeded.
        TimeExceeded = 3,
        /// Parameter Problem.
        ParamProblem = 4,
        /// Echo Request.
        EchoRequest = 128,
        /// Echo Reply.
        EchoReply = 129,
        /// MLD Query.
        MldQuery = 130,
        /// MLDv1 Report.
        MldReport = 131,
        /// NDP Router Solicitation.
        RouterSolicit = 133,
        /// NDP Router Advertisement.
        RouterAdvert = 134,
        /// NDP Neighbor Solicitation.
        NeighborSolicit = 135,
        /// NDP Neighbor Advertisement.
        NeighborAdvert = 136,
        /// NDP Redirect.
        Redirect = 137,
        /// MLDv2 Report.
        MldReportV2 = 143,
    }
}

impl Icmpv6Message {
    /// Whether this is an error message (type below 128, RFC 4443 §2.1).
    pub fn is_error(self) -> bool {
        u8::from(self) < 128
    }

    /// Whether this is one of the five Neighbour Discovery messages (133..=137).
    pub fn is_ndisc(self) -> bool {
        (133..=137).contains(&u8::from(self))
    }

    /// The smallest valid message of this type in bytes. For NDP these are RFC 4861's
    /// validation minimums (CONFORMANCE C9.1); errors need the 4-byte body word.
    fn min_len(self) -> usize {
        match self {
            Icmpv6Message::RouterSolicit | Icmpv6Message::MldReportV2 => 8,
            Icmpv6Message::RouterAdvert => 16,
            Icmpv6Message::NeighborSolicit | Icmpv6Message::NeighborAdvert => 24,
            Icmpv6Message::MldQuery | Icmpv6Message::MldReport => 24,
            Icmpv6Message::Redirect => 40,
            Icmpv6Message::EchoRequest | Icmpv6Message::EchoReply => field::ERROR_END,
            other if other.is_error() => field::ERROR_END,
            _ => field::MIN_END,
        }
    }
}

impl fmt::Display for Icmpv6Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6Message::DstUnreachable => f.write_str("destination unreachable"),
            Icmpv6Message::PktTooBig => f.write_str("packet too big"),
            Icmpv6Message::TimeExceeded => f.write_str("time exceeded"),
            Icmpv6Message::ParamProblem => f.write_str("parameter problem"),
            Icmpv6Message::EchoRequest => f.write_str("echo request"),
            Icmpv6Message::EchoReply => f.write_str("echo reply"),
            Icmpv6Message::MldQuery => f.write_str("multicast listener query"),
            Icmpv6Message::MldReport => f.write_str("multicast listener report"),
            Icmpv6Message::RouterSolicit => f.write_str("router solicitation"),
            Icmpv6Message::RouterAdvert => f.write_str("router advertisement"),
            Icmpv6Message::NeighborSolicit => f.write_str("neighbor solicitation"),
            Icmpv6Message::NeighborAdvert => f.write_str("neighbor advertisement"),
            Icmpv6Message::Redirect => f.write_str("redirect"),
            Icmpv6Message::MldReportV2 => f.write_str("multicast listener report v2"),
            Icmpv6Message::Unknown(n) => write!(f, "type {n}"),
        }
    }
}

enum_with_unknown! {
    /// Destination Unreachable codes (RFC 4443 §3.1, CONFORMANCE C8.6).
    pub enum Icmpv6DstUnreachable(u8) {
        /// No route to destination.
        NoRoute = 0,
        /// Communication administratively prohibited.
        AdminProhibit = 1,
        /// Beyond the scope of the source address.
        BeyondScope = 2,
        /// Address unreachable (neighbour resolution failed).
        AddrUnreachable = 3,
        /// Port unreachable.
        PortUnreachable = 4,
        /// Source address failed ingress/egress policy.
        FailedPolicy = 5,
        /// Reject route to destination.
        RejectRoute = 6,
    }
}

impl fmt::Display for Icmpv6DstUnreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6DstUnreachable::NoRoute => f.write_str("no route"),
            Icmpv6DstUnreachable::AdminProhibit => f.write_str("administratively prohibited"),
            Icmpv6DstUnreachable::BeyondScope => f.write_str("beyond scope"),
            Icmpv6DstUnreachable::AddrUnreachable => f.write_str("address unreachable"),
            Icmpv6DstUnreachable::PortUnreachable => f.write_str("port unreachable"),
            Icmpv6DstUnreachable::FailedPolicy => f.write_str("source policy failed"),
            Icmpv6DstUnreachable::RejectRoute => f.write_str("reject route"),
            Icmpv6DstUnreachable::Unknown(n) => write!(f, "code {n}"),
        }
    }
}

enum_with_unknown! {
    /// Time Exceeded codes (RFC 4443 §3.3, CONFORMANCE C8.8).
    pub enum Icmpv6TimeExceeded(u8) {
        /// Hop limit exceeded in transit (routers only).
        HopLimitExceeded = 0,
        /// Fragment reassembly time exceeded.
        FragReassemExceeded = 1,
    }
}

impl fmt::Display for Icmpv6TimeExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6TimeExceeded::HopLimitExceeded => f.write_str("hop limit exceeded"),
            Icmpv6TimeExceeded::FragReassemExceeded => f.write_str("reassembly time exceeded"),
            Icmpv6TimeExceeded::Unknown(n) => write!(f, "code {n}"),
        }
    }
}

enum_with_unknown! {
    /// Parameter Problem codes (RFC 4443 §3.4, RFC 7112; CONFORMANCE C8.8).
    pub enum Icmpv6ParamProblem(u8) {
        /// Erroneous header field encountered.
        ErroneousHdrField = 0,
        /// Unrecognized Next Header type encountered.
        UnrecognizedNxtHdr = 1,
        /// Unrecognized IPv6 option encountered.
        UnrecognizedOption = 2,
        /// The first fragment has an incomplete header chain (RFC 7112).
        IncompleteHeaderChain = 3,
    }
}

impl fmt::Display for Icmpv6ParamProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6ParamProblem::ErroneousHdrField => f.write_str("erroneous header field"),
            Icmpv6ParamProblem::UnrecognizedNxtHdr => f.write_str("unrecognized next header"),
            Icmpv6ParamProblem::UnrecognizedOption => f.write_str("unrecognized option"),
            Icmpv6ParamProblem::IncompleteHeaderChain => f.write_str("incomplete header chain"),
            Icmpv6ParamProblem::Unknown(n) => write!(f, "code {n}"),
        }
    }
}

/// A zero-copy view of an ICMPv6 message over `T`, which must be exactly the message (the
/// IPv6 upper-layer payload): the checksum covers every byte of it.
///
/// Build it with [`Icmpv6Packet::new_checked`]. Neighbour Discovery's fields are read
/// through methods defined in [`super::ndisc`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Icmpv6Packet<T: AsRef<[u8]>> {
    pub(super) buffer: T,
}

impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    /// Wraps a buffer without checking it. Call [`Icmpv6Packet::check_len`] before any
    /// getter.
    pub const fn new_unchecked(buffer: T) -> Icmpv6Packet<T> {
        Icmpv6Packet { buffer }
    }

    /// Wraps a buffer and validates it with [`Icmpv6Packet::check_len`].
    pub fn new_checked(buffer: T) -> Result<Icmpv6Packet<T>> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// `Truncated` when the buffer is shorter than the fixed part of its type: 4 bytes for
    /// any message, 8 for echo and errors, and RFC 4861's minimums for Neighbour Discovery
    /// (8 RS, 16 RA, 24 NS/NA, 40 Redirect; CONFORMANCE C9.1).
    pub fn check_len(&self) -> Result<()> {
        let len = self.buffer.as_ref().len();
        if len < field::MIN_END || len < self.header_len() {
            return Err(Error::Truncated);
        }
        Ok(())
    }

    /// Consumes the view and returns the buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The fixed part of this message's type; what follows is [`Icmpv6Packet::payload`]
    /// (echo data, the quoted packet, or NDP options).
    pub fn header_len(&self) -> usize {
        match self.buffer.as_ref().first() {
            Some(&t) => Icmpv6Message::from(t).min_len(),
            None => field::MIN_END,
        }
    }

    /// The message type.
    pub fn msg_type(&self) -> Icmpv6Message {
        Icmpv6Message::from(self.buffer.as_ref()[field::TYPE])
    }

    /// The message code.
    pub fn msg_code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// The checksum field.
    pub fn checksum(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::CHECKSUM];
        u16::from_be_bytes([b[0], b[1]])
    }

    fn read_u16(&self, range: core::ops::Range<usize>) -> u16 {
        let b = &self.buffer.as_ref()[range];
        u16::from_be_bytes([b[0], b[1]])
    }

    fn read_u32(&self, range: core::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[range];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Echo Identifier (echo messages; needs the 8-byte header).
    pub fn echo_ident(&self) -> u16 {
        self.read_u16(field::ECHO_IDENT)
    }

    /// Echo Sequence Number (echo messages).
    pub fn echo_seq_no(&self) -> u16 {
        self.read_u16(field::ECHO_SEQ_NO)
    }

    /// The MTU of a Packet Too Big message.
    pub fn pkt_too_big_mtu(&self) -> u32 {
        self.read_u32(field::PKT_TOO_BIG_MTU)
    }

    /// The Pointer of a Parameter Problem message: offset of the offending byte.
    pub fn param_problem_ptr(&self) -> u32 {
        self.read_u32(field::PARAM_PROBLEM_PTR)
    }

    /// The 32-bit word after the checksum, whatever it means for this type (errors of
    /// unknown type carry it unparsed).
    pub fn body_word(&self) -> u32 {
        self.read_u32(field::BODY_WORD)
    }

    /// Everything after the fixed part: echo data, the quoted invoking packet of an error,
    /// or NDP options. No copy.
    pub fn payload(&self) -> &[u8] {
        &self.buffer.as_ref()[self.header_len()..]
    }

    /// Whether the checksum verifies over the IPv6 pseudo-header (RFC 8200 §8.1: next
    /// header 58, length = this message's length) and the message. One pass.
    pub fn verify_checksum(&self, src_addr: &Ipv6Address, dst_addr: &Ipv6Address) -> bool {
        let data = self.buffer.as_ref();
        let Ok(len) = u32::try_from(data.len()) else {
            return false;
        };
        let pseudo = checksum::pseudo_header_v6(src_addr, dst_addr, IpProtocol::Icmpv6.into(), len);
        checksum::verifies(checksum::combine(&[pseudo, checksum::sum(data)]))
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets the message type.
    pub fn set_msg_type(&mut self, value: Icmpv6Message) {
        self.buffer.as_mut()[field::TYPE] = value.into();
    }

    /// Sets the message code.
    pub fn set_msg_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value;
    }

    /// Sets the checksum field.
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the Echo Identifier.
    pub fn set_echo_ident(&mut self, value: u16) {
        self.buffer.as_mut()[field::ECHO_IDENT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the Echo Sequence Number.
    pub fn set_echo_seq_no(&mut self, value: u16) {
        self.buffer.as_mut()[field::ECHO_SEQ_NO].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the MTU of a Packet Too Big message.
    pub fn set_pkt_too_big_mtu(&mut self, value: u32) {
        self.set_body_word(value);
    }

    /// Sets the Pointer of a Parameter Problem message.
    pub fn set_param_problem_ptr(&mut self, value: u32) {
        self.set_body_word(value);
    }

    /// Sets the 32-bit word after the checksum (0 for the Unused field of errors).
    pub fn set_body_word(&mut self, value: u32) {
        self.buffer.as_mut()[field::BODY_WORD].copy_from_slice(&value.to_be_bytes());
    }

    /// The payload, mutable (the type must be set first: it decides where it starts).
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let start = self.header_len();
        &mut self.buffer.as_mut()[start..]
    }

    /// Computes and writes the checksum over the pseudo-header and the whole buffer.
    pub fn fill_checksum(&mut self, src_addr: &Ipv6Address, dst_addr: &Ipv6Address) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        // A message longer than u32::MAX cannot exist; saturate instead of panicking.
        let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
        let pseudo = checksum::pseudo_header_v6(src_addr, dst_addr, IpProtocol::Icmpv6.into(), len);
        let sum = checksum::combine(&[pseudo, checksum::sum(data)]);
        self.set_checksum(checksum::finish(sum));
    }
}

impl<T: AsRef<[u8]>> fmt::Display for Icmpv6Packet<T> {
    /// Shows the message without checking the checksum (the addresses are not known here).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let any = Ipv6Address::UNSPECIFIED;
        let parsed = Icmpv6Packet::new_checked(self.buffer.as_ref())
            .and_then(|p| Icmpv6Repr::parse(&any, &any, &p, &ChecksumCapabilities::ignored()));
        match parsed {
            Ok(repr) => repr.fmt(f),
            Err(err) => write!(f, "ICMPv6 ({err})"),
        }
    }
}

/// An ICMPv6 message as plain values, borrowing echo data and quoted packets. `Copy`.
///
/// Round trip is exact except that the Unused word of Destination Unreachable and Time
/// Exceeded and the code of Packet Too Big are emitted as 0 (RFC 4443: set to 0 by the
/// sender, ignored by the receiver).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Icmpv6Repr<'a> {
    /// Destination Unreachable.
    DstUnreachable {
        /// The code.
        reason: Icmpv6DstUnreachable,
        /// The quoted IPv6 header (its Payload Length may exceed the quoted bytes).
        header: Ipv6Repr,
        /// The quoted bytes after that header, as many as are present.
        data: &'a [u8],
    },
    /// Packet Too Big: passed to the upper layer for PMTU (C8.7).
    PktTooBig {
        /// The MTU of the next-hop link.
        mtu: u32,
        /// The quoted IPv6 header.
        header: Ipv6Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
    /// Time Exceeded.
    TimeExceeded {
        /// The code.
        reason: Icmpv6TimeExceeded,
        /// The quoted IPv6 header.
        header: Ipv6Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
    /// Parameter Problem.
    ParamProblem {
        /// The code.
        reason: Icmpv6ParamProblem,
        /// Offset in the invoking packet of the offending byte.
        pointer: u32,
        /// The quoted IPv6 header.
        header: Ipv6Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
    /// An error type (below 128) skiff does not know. RFC 4443 §2.4(d): it goes to the
    /// upper layer named in the quoted packet (C8.2); the quote is assumed to follow a
    /// 4-byte body word as in every defined error type.
    UnknownError {
        /// The type, below 128.
        msg_type: u8,
        /// The code.
        code: u8,
        /// The 32-bit word after the checksum, unparsed.
        body_word: u32,
        /// The quoted IPv6 header.
        header: Ipv6Repr,
        /// The quoted bytes after that header.
        data: &'a [u8],
    },
    /// Echo Request.
    EchoRequest {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data, echoed back unchanged (C8.9).
        data: &'a [u8],
    },
    /// Echo Reply.
    EchoReply {
        /// Identifier.
        ident: u16,
        /// Sequence number.
        seq_no: u16,
        /// Data.
        data: &'a [u8],
    },
    /// A Neighbour Discovery message.
    Ndisc(NdiscRepr<'a>),
}

/// Reads the invoking packet quoted by an error: a whole fixed IPv6 header, version 6,
/// then whatever bytes follow. The header's Payload Length is not held against the quote,
/// which RFC 4443 §2.4(c) lets the sender cut short.
fn parse_quoted(quote: &[u8]) -> Result<(Ipv6Repr, &[u8])> {
    let (fixed, data) = quote
        .split_at_checked(IPV6_HEADER_LEN)
        .ok_or(Error::Truncated)?;
    // Getters only touch the first 40 bytes, which `fixed` holds.
    let packet = Ipv6Packet::new_unchecked(fixed);
    if packet.version() != 6 {
        return Err(Error::Malformed);
    }
    let header = Ipv6Repr {
        src_addr: packet.src_addr(),
        dst_addr: packet.dst_addr(),
        next_header: packet.next_header(),
        payload_len: usize::from(packet.payload_len()),
        hop_limit: packet.hop_limit(),
        traffic_class: packet.traffic_class(),
        flow_label: packet.flow_label(),
    };
    Ok((header, data))
}

impl<'a> Icmpv6Repr<'a> {
    /// Reads a message, verifying the checksum first when `caps.icmpv6.rx()`.
    ///
    /// Errors: `Checksum`; `Truncated` for a message or quote shorter than its fixed part;
    /// `Malformed` for an echo code other than 0, a quoted header that is not IPv6, or an
    /// NDP message failing RFC 4861's checks; `Unsupported` for informational types skiff
    /// does not parse (MLD and unknown ones, which C8.2 says to discard).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        src_addr: &Ipv6Address,
        dst_addr: &Ipv6Address,
        packet: &Icmpv6Packet<&'a T>,
        caps: &ChecksumCapabilities,
    ) -> Result<Icmpv6Repr<'a>> {
        packet.check_len()?;
        // CONFORMANCE C8.1: a bad checksum is dropped.
        if caps.icmpv6.rx() && !packet.verify_checksum(src_addr, dst_addr) {
            return Err(Error::Checksum);
        }
        let payload = &packet.buffer.as_ref()[packet.header_len()..];
        let msg_type = packet.msg_type();
        let code = packet.msg_code();
        Ok(match msg_type {
            Icmpv6Message::EchoRequest | Icmpv6Message::EchoReply => {
                if code != 0 {
                    return Err(Error::Malformed);
                }
                let (ident, seq_no) = (packet.echo_ident(), packet.echo_seq_no());
                if msg_type == Icmpv6Message::EchoRequest {
                    Icmpv6Repr::EchoRequest {
                        ident,
                        seq_no,
                        data: payload,
                    }
                } else {
                    Icmpv6Repr::EchoReply {
                        ident,
                        seq_no,
                        data: payload,
                    }
                }
            }
            Icmpv6Message::DstUnreachable => {
                let (header, data) = parse_quoted(payload)?;
                let reason = Icmpv6DstUnreachable::from(code);
                Icmpv6Repr::DstUnreachable {
                    reason,
                    header,
                    data,
                }
            }
            Icmpv6Message::PktTooBig => {
                let (header, data) = parse_quoted(payload)?;
                let mtu = packet.pkt_too_big_mtu();
                Icmpv6Repr::PktTooBig { mtu, header, data }
            }
            Icmpv6Message::TimeExceeded => {
                let (header, data) = parse_quoted(payload)?;
                let reason = Icmpv6TimeExceeded::from(code);
                Icmpv6Repr::TimeExceeded {
                    reason,
                    header,
                    data,
                }
            }
            Icmpv6Message::ParamProblem => {
                let (header, data) = parse_quoted(payload)?;
                let reason = Icmpv6ParamProblem::from(code);
                let pointer = packet.param_problem_ptr();
                Icmpv6Repr::ParamProblem {
                    reason,
                    pointer,
                    header,
                    data,
                }
            }
            Icmpv6Message::Unknown(t) if t < 128 => {
                let (header, data) = parse_quoted(payload)?;
                let body_word = packet.body_word();
                Icmpv6Repr::UnknownError {
                    msg_type: t,
                    code,
                    body_word,
                    header,
                    data,
                }
            }
            t if t.is_ndisc() => Icmpv6Repr::Ndisc(NdiscRepr::parse(packet)?),
            _ => return Err(Error::Unsupported),
        })
    }

    /// The message length in bytes: everything [`Icmpv6Repr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        match self {
            Icmpv6Repr::EchoRequest { data, .. } | Icmpv6Repr::EchoReply { data, .. } => {
                field::ERROR_END + data.len()
            }
            Icmpv6Repr::DstUnreachable { data, .. }
            | Icmpv6Repr::PktTooBig { data, .. }
            | Icmpv6Repr::TimeExceeded { data, .. }
            | Icmpv6Repr::ParamProblem { data, .. }
            | Icmpv6Repr::UnknownError { data, .. } => {
                field::ERROR_END + IPV6_HEADER_LEN + data.len()
            }
            Icmpv6Repr::Ndisc(ndisc) => ndisc.buffer_len(),
        }
    }

    /// The message type this repr emits.
    pub fn msg_type(&self) -> Icmpv6Message {
        match self {
            Icmpv6Repr::DstUnreachable { .. } => Icmpv6Message::DstUnreachable,
            Icmpv6Repr::PktTooBig { .. } => Icmpv6Message::PktTooBig,
            Icmpv6Repr::TimeExceeded { .. } => Icmpv6Message::TimeExceeded,
            Icmpv6Repr::ParamProblem { .. } => Icmpv6Message::ParamProblem,
            Icmpv6Repr::UnknownError { msg_type, .. } => Icmpv6Message::from(*msg_type),
            Icmpv6Repr::EchoRequest { .. } => Icmpv6Message::EchoRequest,
            Icmpv6Repr::EchoReply { .. } => Icmpv6Message::EchoReply,
            Icmpv6Repr::Ndisc(ndisc) => ndisc.msg_type(),
        }
    }

    /// Writes the message into `packet`, whose buffer is exactly `buffer_len()` bytes, and
    /// fills the checksum when `caps.icmpv6.tx()` (else leaves it 0).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        src_addr: &Ipv6Address,
        dst_addr: &Ipv6Address,
        packet: &mut Icmpv6Packet<T>,
        caps: &ChecksumCapabilities,
    ) {
        packet.set_msg_type(self.msg_type());
        packet.set_checksum(0);
        match *self {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }
            | Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => {
                packet.set_msg_code(0);
                packet.set_echo_ident(ident);
                packet.set_echo_seq_no(seq_no);
                packet.payload_mut()[..data.len()].copy_from_slice(data);
            }
            Icmpv6Repr::DstUnreachable {
                reason,
                header,
                data,
            } => emit_error(packet, reason.into(), 0, &header, data),
            Icmpv6Repr::PktTooBig { mtu, header, data } => {
                emit_error(packet, 0, mtu, &header, data)
            }
            Icmpv6Repr::TimeExceeded {
                reason,
                header,
                data,
            } => emit_error(packet, reason.into(), 0, &header, data),
            Icmpv6Repr::ParamProblem {
                reason,
                pointer,
                header,
                data,
            } => emit_error(packet, reason.into(), pointer, &header, data),
            Icmpv6Repr::UnknownError {
                code,
                body_word,
                header,
                data,
                ..
            } => emit_error(packet, code, body_word, &header, data),
            Icmpv6Repr::Ndisc(ndisc) => ndisc.emit(packet),
        }
        if caps.icmpv6.tx() {
            packet.fill_checksum(src_addr, dst_addr);
        }
    }
}

fn emit_error<T: AsRef<[u8]> + AsMut<[u8]>>(
    packet: &mut Icmpv6Packet<T>,
    code: u8,
    body_word: u32,
    header: &Ipv6Repr,
    data: &[u8],
) {
    packet.set_msg_code(code);
    packet.set_body_word(body_word);
    let quote = packet.payload_mut();
    let (fixed, rest) = quote.split_at_mut(IPV6_HEADER_LEN);
    header.emit(&mut Ipv6Packet::new_unchecked(fixed));
    rest[..data.len()].copy_from_slice(data);
}

impl fmt::Display for Icmpv6Repr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            }
            | Icmpv6Repr::EchoReply {
                ident,
                seq_no,
                data,
            } => write!(
                f,
                "ICMPv6 {} id={ident} seq={seq_no} len={}",
                self.msg_type(),
                data.len()
            ),
            Icmpv6Repr::DstUnreachable { reason, header, .. } => {
                write!(
                    f,
                    "ICMPv6 destination unreachable ({reason}) about [{header}]"
                )
            }
            Icmpv6Repr::PktTooBig { mtu, header, .. } => {
                write!(f, "ICMPv6 packet too big mtu={mtu} about [{header}]")
            }
            Icmpv6Repr::TimeExceeded { reason, header, .. } => {
                write!(f, "ICMPv6 time exceeded ({reason}) about [{header}]")
            }
            Icmpv6Repr::ParamProblem {
                reason,
                pointer,
                header,
                ..
            } => write!(
                f,
                "ICMPv6 parameter problem ({reason}) pointer={pointer} about [{header}]"
            ),
            Icmpv6Repr::UnknownError {
                msg_type,
                code,
                header,
                ..
            } => {
                write!(
                    f,
                    "ICMPv6 error type {msg_type} code {code} about [{header}]"
                )
            }
            Icmpv6Repr::Ndisc(ndisc) => ndisc.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests;
