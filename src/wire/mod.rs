//! Bytes to typed views and back: no sockets, no time.
//!
//! Each protocol has a file with, in order: its field offsets (a private `mod field`),
//! a zero-copy view `XPacket<T: AsRef<[u8]>>` whose `new_checked` validates lengths once
//! so that getters never read out of bounds, a plain `XRepr` with `parse`, `emit` and
//! `buffer_len` that round-trips exactly, and `Display` for both.
//!
//! Parsers are total: any byte string yields `Ok` or an [`Error`], never a panic.

use core::fmt;

pub mod arp;
pub mod checksum;
pub mod ethernet;
pub mod frame;
pub mod icmpv4;
pub mod icmpv6;
pub mod ip;
pub mod ipv4;
pub mod ipv6;
pub mod ipv6ext;
pub mod ndisc;
pub mod ndisc_option;
pub mod seq_number;
pub mod tcp;
pub mod udp;

// Every public item of a protocol module carries its protocol's prefix (`TcpRepr`,
// `IPV4_HEADER_LEN`), so the flat re-exports below cannot collide.
pub use self::arp::*;
pub use self::ethernet::*;
pub use self::icmpv4::*;
pub use self::icmpv6::*;
pub use self::ip::{
    IpAddress, IpCidr, IpListenEndpoint, IpProtocol, IpRepr, Ipv4Address, Ipv6Address,
    pseudo_header_sum,
};
pub use self::ipv4::*;
pub use self::ipv6::*;
pub use self::ipv6ext::*;
pub use self::ndisc::*;
pub use self::ndisc_option::*;
pub use self::seq_number::SeqNumber;
pub use self::tcp::*;
pub use self::udp::*;

/// Why a byte string is not a valid packet. Small and `Copy` so that a parser can return
/// it from any depth without cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Error {
    /// The buffer is shorter than the header or a length field claims.
    Truncated,
    /// A field holds a value the protocol forbids (bad version, option length 0, ...).
    Malformed,
    /// The checksum does not match the contents.
    Checksum,
    /// Well-formed, but a feature skiff does not implement (a jumbogram, say).
    Unsupported,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Error::Truncated => "truncated",
            Error::Malformed => "malformed",
            Error::Checksum => "bad checksum",
            Error::Unsupported => "unsupported",
        })
    }
}

impl core::error::Error for Error {}

/// Result of a wire operation.
pub type Result<T> = core::result::Result<T, Error>;

/// A byte range of a header field.
#[allow(dead_code)]
pub(crate) type Field = core::ops::Range<usize>;
/// The rest of a packet from an offset.
#[allow(dead_code)]
pub(crate) type Rest = core::ops::RangeFrom<usize>;

/// Who computes and verifies one protocol's checksum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Checksum {
    /// skiff verifies it on receive and computes it on transmit.
    #[default]
    Both,
    /// skiff verifies on receive only (the device fills it on transmit).
    Rx,
    /// skiff computes on transmit only (the device verified it on receive).
    Tx,
    /// The device does both; skiff neither checks nor fills the field.
    None,
}

impl Checksum {
    /// Whether received packets must be verified in software.
    pub fn rx(self) -> bool {
        matches!(self, Checksum::Both | Checksum::Rx)
    }

    /// Whether transmitted packets must be filled in software.
    pub fn tx(self) -> bool {
        matches!(self, Checksum::Both | Checksum::Tx)
    }
}

/// Which checksums skiff handles in software, per protocol; the rest a device offloads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ChecksumCapabilities {
    /// IPv4 header checksum.
    pub ipv4: Checksum,
    /// UDP checksum (both IP versions).
    pub udp: Checksum,
    /// TCP checksum (both IP versions).
    pub tcp: Checksum,
    /// ICMPv4 checksum.
    pub icmpv4: Checksum,
    /// ICMPv6 checksum.
    pub icmpv6: Checksum,
}

impl ChecksumCapabilities {
    /// Every checksum offloaded: skiff neither verifies nor fills any. For tests and for
    /// devices (like an in-memory loopback) where corruption cannot happen.
    pub fn ignored() -> Self {
        ChecksumCapabilities {
            ipv4: Checksum::None,
            udp: Checksum::None,
            tcp: Checksum::None,
            icmpv4: Checksum::None,
            icmpv6: Checksum::None,
        }
    }
}
