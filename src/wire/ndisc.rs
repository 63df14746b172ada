//! Neighbour Discovery messages (Router/Neighbor Solicitation and Advertisement, Redirect):
//! field accessors on [`Icmpv6Packet`] and a plain representation with RFC 4861's checks.
//!
//! Governing RFC: RFC 4861 §4 (formats), §6.1, §7.1, §8.1 (validation); options in
//! [`super::ndisc_option`].

use core::fmt;

use super::icmpv6::{Icmpv6Message, Icmpv6Packet};
use super::ndisc_option::{
    NdiscLinkLayerAddress, NdiscOptionRepr, NdiscOptionsIter, NdiscPrefixInformation,
};
use super::{Error, Ipv6Address, Result};
use crate::wire::ipv6::Ipv6AddressExt;

mod field {
    use crate::wire::Field;

    /// Reserved word of RS, NS and Redirect; flags byte plus reserved of NA.
    pub const RESERVED: Field = 4..8;
    // Router Advertisement (RFC 4861 §4.2).
    pub const CUR_HOP_LIMIT: usize = 4;
    pub const ROUTER_FLAGS: usize = 5;
    pub const ROUTER_LIFETIME: Field = 6..8;
    pub const REACHABLE_TIME: Field = 8..12;
    pub const RETRANS_TIME: Field = 12..16;
    // Neighbor Advertisement flags (RFC 4861 §4.4).
    pub const NEIGHBOR_FLAGS: usize = 4;
    // Neighbor Solicitation / Advertisement / Redirect (RFC 4861 §4.3–§4.5).
    pub const TARGET_ADDR: Field = 8..24;
    // Redirect.
    pub const DEST_ADDR: Field = 24..40;
}

/// The IPv6 Hop Limit every Neighbour Discovery message must arrive with (RFC 4861 §6.1,
/// §7.1, §8.1; CONFORMANCE C9.1). [`NdiscRepr::parse`] cannot see the IP header, so the
/// interface checks it and drops the message otherwise; emitted NDP uses it too.
pub const NDISC_HOP_LIMIT: u8 = 255;

/// How many Prefix Information options a Router Advertisement repr keeps; further ones are
/// ignored.
pub const NDISC_MAX_PREFIX_INFOS: usize = 4;

bitflags::bitflags! {
    /// Router Advertisement flags (RFC 4861 §4.2). Unnamed bits (RFC 3775's H, RFC 4191's
    /// Prf, RFC 4389's P) are kept so that a parsed message emits unchanged.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct NdiscRouterFlags: u8 {
        /// M: addresses are available via DHCPv6.
        const MANAGED = 0x80;
        /// O: other configuration is available via DHCPv6.
        const OTHER = 0x40;
    }
}

bitflags::bitflags! {
    /// Neighbor Advertisement flags (RFC 4861 §4.4). The 29 reserved bits after them are
    /// ignored on receipt and emitted as zeros.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub struct NdiscNeighborFlags: u8 {
        /// R: the sender is a router.
        const ROUTER = 0x80;
        /// S: sent in response to a Neighbor Solicitation.
        const SOLICITED = 0x40;
        /// O: override an existing cache entry.
        const OVERRIDE = 0x20;
    }
}

/// Neighbour Discovery accessors. Each is valid after `check_len` for the message types
/// named, whose minimum lengths `check_len` enforces.
impl<T: AsRef<[u8]>> Icmpv6Packet<T> {
    fn ndisc_u32(&self, range: core::ops::Range<usize>) -> u32 {
        let b = &self.buffer.as_ref()[range];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    fn ndisc_addr(&self, range: core::ops::Range<usize>) -> Ipv6Address {
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&self.buffer.as_ref()[range]);
        Ipv6Address::from(octets)
    }

    /// Cur Hop Limit of a Router Advertisement (0: unspecified).
    pub fn current_hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::CUR_HOP_LIMIT]
    }

    /// Flags of a Router Advertisement.
    pub fn router_flags(&self) -> NdiscRouterFlags {
        NdiscRouterFlags::from_bits_retain(self.buffer.as_ref()[field::ROUTER_FLAGS])
    }

    /// Router Lifetime of a Router Advertisement, in seconds (0: not a default router).
    pub fn router_lifetime(&self) -> u16 {
        let b = &self.buffer.as_ref()[field::ROUTER_LIFETIME];
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Reachable Time of a Router Advertisement, in milliseconds (0: unspecified).
    pub fn reachable_time(&self) -> u32 {
        self.ndisc_u32(field::REACHABLE_TIME)
    }

    /// Retrans Timer of a Router Advertisement, in milliseconds (0: unspecified).
    pub fn retrans_time(&self) -> u32 {
        self.ndisc_u32(field::RETRANS_TIME)
    }

    /// Flags of a Neighbor Advertisement (reserved bits dropped).
    pub fn neighbor_flags(&self) -> NdiscNeighborFlags {
        NdiscNeighborFlags::from_bits_truncate(self.buffer.as_ref()[field::NEIGHBOR_FLAGS])
    }

    /// Target Address of a Neighbor Solicitation, Neighbor Advertisement or Redirect.
    pub fn target_addr(&self) -> Ipv6Address {
        self.ndisc_addr(field::TARGET_ADDR)
    }

    /// Destination Address of a Redirect.
    pub fn dest_addr(&self) -> Ipv6Address {
        self.ndisc_addr(field::DEST_ADDR)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Icmpv6Packet<T> {
    /// Sets Cur Hop Limit of a Router Advertisement.
    pub fn set_current_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::CUR_HOP_LIMIT] = value;
    }

    /// Sets the flags of a Router Advertisement.
    pub fn set_router_flags(&mut self, value: NdiscRouterFlags) {
        self.buffer.as_mut()[field::ROUTER_FLAGS] = value.bits();
    }

    /// Sets Router Lifetime (seconds).
    pub fn set_router_lifetime(&mut self, value: u16) {
        self.buffer.as_mut()[field::ROUTER_LIFETIME].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets Reachable Time (milliseconds).
    pub fn set_reachable_time(&mut self, value: u32) {
        self.buffer.as_mut()[field::REACHABLE_TIME].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets Retrans Timer (milliseconds).
    pub fn set_retrans_time(&mut self, value: u32) {
        self.buffer.as_mut()[field::RETRANS_TIME].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the flags of a Neighbor Advertisement and clears the reserved bits after them.
    pub fn set_neighbor_flags(&mut self, value: NdiscNeighborFlags) {
        let word = &mut self.buffer.as_mut()[field::RESERVED];
        word.fill(0);
        word[field::NEIGHBOR_FLAGS - field::RESERVED.start] = value.bits();
    }

    /// Sets the Target Address.
    pub fn set_target_addr(&mut self, value: Ipv6Address) {
        self.buffer.as_mut()[field::TARGET_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the Destination Address of a Redirect.
    pub fn set_dest_addr(&mut self, value: Ipv6Address) {
        self.buffer.as_mut()[field::DEST_ADDR].copy_from_slice(&value.octets());
    }
}

/// A Neighbour Discovery message as plain values (RFC 4861 §4). `Copy`.
///
/// Parsing checks what the message alone can show (C9.1): code 0, minimum length, every
/// option length > 0 and inside the message, NS/NA target not multicast, and Redirect's
/// §8.1 address rules. The Hop Limit of 255 ([`NDISC_HOP_LIMIT`]) and the rules that need
/// the IP addresses (C9.2, C9.3) are the interface's.
///
/// Round trip is exact for messages whose options are the ones kept here, in the order
/// `emit` writes them: link-layer address, MTU, prefix informations, redirected header.
/// Unknown options are skipped (RFC 4861 §4.6); of repeated single options the first
/// counts; reserved fields are emitted as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdiscRepr<'a> {
    /// Router Solicitation (133).
    RouterSolicit {
        /// Source Link-Layer Address option.
        lladdr: Option<NdiscLinkLayerAddress>,
    },
    /// Router Advertisement (134).
    RouterAdvert {
        /// Cur Hop Limit for outgoing packets (0: unspecified).
        hop_limit: u8,
        /// M and O flags (and any others on the wire).
        flags: NdiscRouterFlags,
        /// Router Lifetime in seconds (0: not a default router).
        router_lifetime: u16,
        /// Reachable Time in milliseconds (0: unspecified).
        reachable_time: u32,
        /// Retrans Timer in milliseconds (0: unspecified).
        retrans_time: u32,
        /// Source Link-Layer Address option.
        lladdr: Option<NdiscLinkLayerAddress>,
        /// MTU option.
        mtu: Option<u32>,
        /// Prefix Information options, the first [`NDISC_MAX_PREFIX_INFOS`], packed from
        /// the front.
        prefix_infos: [Option<NdiscPrefixInformation>; NDISC_MAX_PREFIX_INFOS],
    },
    /// Neighbor Solicitation (135).
    NeighborSolicit {
        /// The address being resolved or checked.
        target_addr: Ipv6Address,
        /// Source Link-Layer Address option (absent from DAD probes, C9.2).
        lladdr: Option<NdiscLinkLayerAddress>,
    },
    /// Neighbor Advertisement (136).
    NeighborAdvert {
        /// R, S and O flags.
        flags: NdiscNeighborFlags,
        /// The address advertised.
        target_addr: Ipv6Address,
        /// Target Link-Layer Address option.
        lladdr: Option<NdiscLinkLayerAddress>,
    },
    /// Redirect (137).
    Redirect {
        /// The better first hop (a link-local router, or the destination itself).
        target_addr: Ipv6Address,
        /// The destination being redirected.
        dest_addr: Ipv6Address,
        /// Target Link-Layer Address option.
        lladdr: Option<NdiscLinkLayerAddress>,
        /// Redirected Header option data (the start of the redirected packet, padded).
        redirected_hdr: Option<&'a [u8]>,
    },
}

/// The options an NDP message may carry, collected in one bounded pass.
#[derive(Default)]
struct NdiscOptions<'a> {
    source_lladdr: Option<NdiscLinkLayerAddress>,
    target_lladdr: Option<NdiscLinkLayerAddress>,
    mtu: Option<u32>,
    prefix_infos: [Option<NdiscPrefixInformation>; NDISC_MAX_PREFIX_INFOS],
    redirected_hdr: Option<&'a [u8]>,
}

impl<'a> NdiscOptions<'a> {
    fn parse(bytes: &'a [u8]) -> Result<NdiscOptions<'a>> {
        let mut opts = NdiscOptions::default();
        for option in NdiscOptionsIter::new(bytes) {
            match option? {
                NdiscOptionRepr::SourceLinkLayerAddr(a) => {
                    opts.source_lladdr.get_or_insert(a);
                }
                NdiscOptionRepr::TargetLinkLayerAddr(a) => {
                    opts.target_lladdr.get_or_insert(a);
                }
                NdiscOptionRepr::Mtu(mtu) => {
                    opts.mtu.get_or_insert(mtu);
                }
                NdiscOptionRepr::RedirectedHeader(data) => {
                    opts.redirected_hdr.get_or_insert(data);
                }
                NdiscOptionRepr::PrefixInformation(info) => {
                    if let Some(slot) = opts.prefix_infos.iter_mut().find(|s| s.is_none()) {
                        *slot = Some(info);
                    }
                }
                NdiscOptionRepr::Unknown { .. } => {}
            }
        }
        Ok(opts)
    }
}

impl<'a> NdiscRepr<'a> {
    /// Reads an NDP message. Does not verify the checksum: [`super::icmpv6::Icmpv6Repr::parse`]
    /// does that before calling here. `Unsupported` for a type that is not NDP.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Icmpv6Packet<&'a T>) -> Result<Self> {
        packet.check_len()?;
        if !packet.msg_type().is_ndisc() {
            return Err(Error::Unsupported);
        }
        // RFC 4861 §6.1.1, §6.1.2, §7.1.1, §7.1.2, §8.1: ICMP Code is 0.
        if packet.msg_code() != 0 {
            return Err(Error::Malformed);
        }
        let buffer: &'a [u8] = packet.buffer.as_ref();
        let opts = NdiscOptions::parse(&buffer[packet.header_len()..])?;
        Ok(match packet.msg_type() {
            Icmpv6Message::RouterSolicit => NdiscRepr::RouterSolicit {
                lladdr: opts.source_lladdr,
            },
            Icmpv6Message::RouterAdvert => NdiscRepr::RouterAdvert {
                hop_limit: packet.current_hop_limit(),
                flags: packet.router_flags(),
                router_lifetime: packet.router_lifetime(),
                reachable_time: packet.reachable_time(),
                retrans_time: packet.retrans_time(),
                lladdr: opts.source_lladdr,
                mtu: opts.mtu,
                prefix_infos: opts.prefix_infos,
            },
            Icmpv6Message::NeighborSolicit => NdiscRepr::NeighborSolicit {
                target_addr: unicast_target(packet.target_addr())?,
                lladdr: opts.source_lladdr,
            },
            Icmpv6Message::NeighborAdvert => NdiscRepr::NeighborAdvert {
                flags: packet.neighbor_flags(),
                target_addr: unicast_target(packet.target_addr())?,
                lladdr: opts.target_lladdr,
            },
            _ => {
                let target_addr = packet.target_addr();
                let dest_addr = packet.dest_addr();
                // RFC 4861 §8.1: the destination is not multicast, and the target is a
                // link-local router or the destination itself.
                if dest_addr.is_multicast()
                    || !(target_addr.is_link_local() || target_addr == dest_addr)
                {
                    return Err(Error::Malformed);
                }
                NdiscRepr::Redirect {
                    target_addr,
                    dest_addr,
                    lladdr: opts.target_lladdr,
                    redirected_hdr: opts.redirected_hdr,
                }
            }
        })
    }

    /// The ICMPv6 type of this message.
    pub fn msg_type(&self) -> Icmpv6Message {
        match self {
            NdiscRepr::RouterSolicit { .. } => Icmpv6Message::RouterSolicit,
            NdiscRepr::RouterAdvert { .. } => Icmpv6Message::RouterAdvert,
            NdiscRepr::NeighborSolicit { .. } => Icmpv6Message::NeighborSolicit,
            NdiscRepr::NeighborAdvert { .. } => Icmpv6Message::NeighborAdvert,
            NdiscRepr::Redirect { .. } => Icmpv6Message::Redirect,
        }
    }

    /// The options this message emits, in order (at most 7: one link-layer address, one
    /// MTU, four prefixes, one redirected header).
    fn options(&self) -> impl Iterator<Item = NdiscOptionRepr<'a>> + use<'a> {
        let (source, target, mtu, prefixes, redirected) = match *self {
            NdiscRepr::RouterSolicit { lladdr } | NdiscRepr::NeighborSolicit { lladdr, .. } => {
                (lladdr, None, None, [None; NDISC_MAX_PREFIX_INFOS], None)
            }
            NdiscRepr::RouterAdvert {
                lladdr,
                mtu,
                prefix_infos,
                ..
            } => (lladdr, None, mtu, prefix_infos, None),
            NdiscRepr::NeighborAdvert { lladdr, .. } => {
                (None, lladdr, None, [None; NDISC_MAX_PREFIX_INFOS], None)
            }
            NdiscRepr::Redirect {
                lladdr,
                redirected_hdr,
                ..
            } => (
                None,
                lladdr,
                None,
                [None; NDISC_MAX_PREFIX_INFOS],
                redirected_hdr,
            ),
        };
        source
            .map(NdiscOptionRepr::SourceLinkLayerAddr)
            .into_iter()
            .chain(target.map(NdiscOptionRepr::TargetLinkLayerAddr))
            .chain(mtu.map(NdiscOptionRepr::Mtu))
            .chain(
                prefixes
                    .into_iter()
                    .flatten()
                    .map(NdiscOptionRepr::PrefixInformation),
            )
            .chain(redirected.map(NdiscOptionRepr::RedirectedHeader))
    }

    /// The message length: fixed part plus options.
    pub fn buffer_len(&self) -> usize {
        let fixed = match self {
            NdiscRepr::RouterSolicit { .. } => 8,
            NdiscRepr::RouterAdvert { .. } => 16,
            NdiscRepr::NeighborSolicit { .. } | NdiscRepr::NeighborAdvert { .. } => 24,
            NdiscRepr::Redirect { .. } => 40,
        };
        fixed + self.options().map(|o| o.buffer_len()).sum::<usize>()
    }

    /// Writes the message (type, code 0, fields, options) into `packet`, whose buffer is
    /// exactly `buffer_len()` bytes. Leaves the checksum to the caller
    /// ([`super::icmpv6::Icmpv6Repr::emit`] fills it).
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Icmpv6Packet<T>) {
        packet.set_msg_type(self.msg_type());
        packet.set_msg_code(0);
        packet.set_body_word(0);
        match *self {
            NdiscRepr::RouterSolicit { .. } => {}
            NdiscRepr::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                ..
            } => {
                packet.set_current_hop_limit(hop_limit);
                packet.set_router_flags(flags);
                packet.set_router_lifetime(router_lifetime);
                packet.set_reachable_time(reachable_time);
                packet.set_retrans_time(retrans_time);
            }
            NdiscRepr::NeighborSolicit { target_addr, .. } => packet.set_target_addr(target_addr),
            NdiscRepr::NeighborAdvert {
                flags, target_addr, ..
            } => {
                packet.set_neighbor_flags(flags);
                packet.set_target_addr(target_addr);
            }
            NdiscRepr::Redirect {
                target_addr,
                dest_addr,
                ..
            } => {
                packet.set_target_addr(target_addr);
                packet.set_dest_addr(dest_addr);
            }
        }
        let mut area = packet.payload_mut();
        for option in self.options() {
            let len = option.buffer_len();
            option.emit(area);
            area = &mut area[len..];
        }
    }
}

/// RFC 4861 §7.1.1, §7.1.2: the Target Address of an NS or NA is not multicast (C9.1).
fn unicast_target(addr: Ipv6Address) -> Result<Ipv6Address> {
    if addr.is_multicast() {
        return Err(Error::Malformed);
    }
    Ok(addr)
}

fn write_lladdr(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    lladdr: &Option<NdiscLinkLayerAddress>,
) -> fmt::Result {
    match lladdr {
        Some(addr) => write!(f, " {name}={addr}"),
        None => Ok(()),
    }
}

impl fmt::Display for NdiscRepr<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ICMPv6 {}", self.msg_type())?;
        match self {
            NdiscRepr::RouterSolicit { lladdr } => write_lladdr(f, "slla", lladdr),
            NdiscRepr::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                lladdr,
                mtu,
                prefix_infos,
            } => {
                write!(f, " hlim={hop_limit}")?;
                if flags.contains(NdiscRouterFlags::MANAGED) {
                    f.write_str(" M")?;
                }
                if flags.contains(NdiscRouterFlags::OTHER) {
                    f.write_str(" O")?;
                }
                write!(
                    f,
                    " lifetime={router_lifetime}s reachable={reachable_time}ms retrans={retrans_time}ms"
                )?;
                write_lladdr(f, "slla", lladdr)?;
                if let Some(mtu) = mtu {
                    write!(f, " mtu={mtu}")?;
                }
                for info in prefix_infos.iter().flatten() {
                    write!(f, " prefix={info}")?;
                }
                Ok(())
            }
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
            } => {
                write!(f, " target={target_addr}")?;
                write_lladdr(f, "slla", lladdr)
            }
            NdiscRepr::NeighborAdvert {
                flags,
                target_addr,
                lladdr,
            } => {
                write!(f, " target={target_addr}")?;
                for (flag, name) in [
                    (NdiscNeighborFlags::ROUTER, " R"),
                    (NdiscNeighborFlags::SOLICITED, " S"),
                    (NdiscNeighborFlags::OVERRIDE, " O"),
                ] {
                    if flags.contains(flag) {
                        f.write_str(name)?;
                    }
                }
                write_lladdr(f, "tlla", lladdr)
            }
            NdiscRepr::Redirect {
                target_addr,
                dest_addr,
                lladdr,
                ..
            } => {
                write!(f, " target={target_addr} dst={dest_addr}")?;
                write_lladdr(f, "tlla", lladdr)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::ChecksumCapabilities;
    use crate::wire::icmpv6::Icmpv6Repr;
    use crate::wire::ndisc_option::NdiscPrefixInfoFlags;
    use std::format;
    use std::string::ToString;
    use std::vec;
    use std::vec::Vec;

    const SRC: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1);
    const TARGET: Ipv6Address = Ipv6Address::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 2);
    const SOLICITED: Ipv6Address = Ipv6Address::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 2);
    const ROUTER: Ipv6Address = Ipv6Address::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    const MAC: NdiscLinkLayerAddress = NdiscLinkLayerAddress([0x02, 0, 0, 0, 0, 0x01]);

    /// A Neighbor Solicitation from 2001:db8::1 to ff02::1:ff00:2 for 2001:db8::2 with
    /// SLLA 02:00:00:00:00:01; checksum computed independently (Python, RFC 1071).
    const NS: [u8; 32] = [
        135, 0, 0x1c, 0x27, 0, 0, 0, 0, //
        0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, //
        1, 1, 0x02, 0, 0, 0, 0, 0x01,
    ];

    fn parse<'a>(bytes: &'a [u8], src: &Ipv6Address, dst: &Ipv6Address) -> Result<NdiscRepr<'a>> {
        let packet = Icmpv6Packet::new_checked(bytes)?;
        match Icmpv6Repr::parse(src, dst, &packet, &ChecksumCapabilities::default())? {
            Icmpv6Repr::Ndisc(repr) => Ok(repr),
            other => panic!("not NDP: {other:?}"),
        }
    }

    /// Emits through `Icmpv6Repr` (checksum included) and parses back.
    fn round_trip(repr: NdiscRepr<'_>) -> Vec<u8> {
        let icmp = Icmpv6Repr::Ndisc(repr);
        let mut out = vec![0xa5u8; icmp.buffer_len()];
        let caps = ChecksumCapabilities::default();
        icmp.emit(
            &SRC,
            &TARGET,
            &mut Icmpv6Packet::new_unchecked(&mut out[..]),
            &caps,
        );
        assert_eq!(parse(&out, &SRC, &TARGET), Ok(repr));
        out
    }

    /// Recomputes the checksum after a test edits the bytes.
    fn refill(bytes: &mut [u8], src: &Ipv6Address, dst: &Ipv6Address) {
        Icmpv6Packet::new_unchecked(bytes).fill_checksum(src, dst);
    }

    fn all_reprs() -> Vec<NdiscRepr<'static>> {
        let prefix = NdiscPrefixInformation {
            prefix_len: 64,
            flags: NdiscPrefixInfoFlags::ON_LINK | NdiscPrefixInfoFlags::ADDRCONF,
            valid_lifetime: u32::MAX,
            preferred_lifetime: 604_800,
            prefix: Ipv6Address::new(0x2001, 0xdb8, 1, 0, 0, 0, 0, 0),
        };
        vec![
            NdiscRepr::RouterSolicit { lladdr: None },
            NdiscRepr::RouterSolicit { lladdr: Some(MAC) },
            NdiscRepr::RouterAdvert {
                hop_limit: 64,
                flags: NdiscRouterFlags::MANAGED | NdiscRouterFlags::from_bits_retain(0x08),
                router_lifetime: 1800,
                reachable_time: 30_000,
                retrans_time: 1000,
                lladdr: Some(MAC),
                mtu: Some(1500),
                prefix_infos: [Some(prefix), Some(prefix), None, None],
            },
            NdiscRepr::NeighborSolicit {
                target_addr: TARGET,
                lladdr: Some(MAC),
            },
            NdiscRepr::NeighborSolicit {
                target_addr: TARGET,
                lladdr: None,
            },
            NdiscRepr::NeighborAdvert {
                flags: NdiscNeighborFlags::SOLICITED | NdiscNeighborFlags::OVERRIDE,
                target_addr: TARGET,
                lladdr: Some(MAC),
            },
            NdiscRepr::Redirect {
                target_addr: ROUTER,
                dest_addr: TARGET,
                lladdr: Some(MAC),
                redirected_hdr: Some(&[0x60, 0, 0, 0, 0, 0, 59, 64]),
            },
            NdiscRepr::Redirect {
                target_addr: TARGET,
                dest_addr: TARGET,
                lladdr: None,
                redirected_hdr: None,
            },
        ]
    }

    #[test]
    fn a_known_neighbor_solicitation_parses_and_emits_byte_for_byte() {
        let repr = parse(&NS, &SRC, &SOLICITED).unwrap();
        assert_eq!(
            repr,
            NdiscRepr::NeighborSolicit {
                target_addr: TARGET,
                lladdr: Some(MAC)
            }
        );
        let icmp = Icmpv6Repr::Ndisc(repr);
        let mut out = vec![0u8; icmp.buffer_len()];
        let caps = ChecksumCapabilities::default();
        icmp.emit(
            &SRC,
            &SOLICITED,
            &mut Icmpv6Packet::new_unchecked(&mut out[..]),
            &caps,
        );
        assert_eq!(out, NS);
        assert_eq!(
            icmp.to_string(),
            "ICMPv6 neighbor solicitation target=2001:db8::2 slla=02:00:00:00:00:01"
        );
    }

    #[test]
    fn every_message_round_trips() {
        for repr in all_reprs() {
            let out = round_trip(repr);
            assert_eq!(out.len(), repr.buffer_len());
            assert_eq!(out.len() % 8, 0);
        }
    }

    #[test]
    fn a_bad_checksum_is_rejected() {
        let mut bytes = NS;
        bytes[31] ^= 0x01;
        assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Checksum));
        assert_eq!(parse(&NS, &SRC, &TARGET), Err(Error::Checksum));
    }

    #[test]
    fn a_nonzero_code_is_malformed() {
        let mut bytes = NS;
        bytes[1] = 1;
        refill(&mut bytes, &SRC, &SOLICITED);
        assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Malformed));
    }

    #[test]
    fn an_option_of_length_zero_is_malformed() {
        let mut bytes = NS;
        bytes[25] = 0;
        refill(&mut bytes, &SRC, &SOLICITED);
        assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Malformed));
    }

    #[test]
    fn an_option_past_the_end_is_truncated() {
        let mut bytes = NS;
        bytes[25] = 2;
        refill(&mut bytes, &SRC, &SOLICITED);
        assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Truncated));
        // Half an option header at the end.
        let mut bytes = NS.to_vec();
        bytes.push(1);
        refill(&mut bytes, &SRC, &SOLICITED);
        assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Truncated));
    }

    #[test]
    fn unknown_options_are_skipped() {
        let mut bytes = NS[..24].to_vec();
        bytes.extend_from_slice(&[200, 2, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
        bytes.extend_from_slice(&NS[24..]);
        refill(&mut bytes, &SRC, &SOLICITED);
        assert_eq!(
            parse(&bytes, &SRC, &SOLICITED),
            parse(&NS, &SRC, &SOLICITED)
        );
    }

    #[test]
    fn a_multicast_target_is_malformed() {
        for msg_type in [135u8, 136] {
            let mut bytes = NS;
            bytes[0] = msg_type;
            bytes[8..24].copy_from_slice(&SOLICITED.octets());
            refill(&mut bytes, &SRC, &SOLICITED);
            assert_eq!(parse(&bytes, &SRC, &SOLICITED), Err(Error::Malformed));
        }
    }

    #[test]
    fn a_redirect_to_a_global_non_destination_or_for_a_multicast_destination_is_malformed() {
        let bad = [
            (SRC, TARGET),       // target neither link-local nor the destination
            (ROUTER, SOLICITED), // multicast destination
        ];
        for (target_addr, dest_addr) in bad {
            let mut bytes = vec![0u8; 40];
            bytes[0] = 137;
            bytes[8..24].copy_from_slice(&target_addr.octets());
            bytes[24..40].copy_from_slice(&dest_addr.octets());
            refill(&mut bytes, &SRC, &TARGET);
            assert_eq!(parse(&bytes, &SRC, &TARGET), Err(Error::Malformed));
        }
    }

    #[test]
    fn messages_below_rfc_4861_minimum_lengths_are_rejected() {
        for (msg_type, min) in [(133u8, 8usize), (134, 16), (135, 24), (136, 24), (137, 40)] {
            let mut bytes = vec![0u8; min - 1];
            bytes[0] = msg_type;
            assert_eq!(parse(&bytes, &SRC, &TARGET), Err(Error::Truncated));
        }
    }

    #[test]
    fn more_prefixes_than_kept_are_ignored_and_repeated_options_keep_the_first() {
        let info = |n: u16| NdiscPrefixInformation {
            prefix_len: 64,
            flags: NdiscPrefixInfoFlags::ON_LINK,
            valid_lifetime: 10,
            preferred_lifetime: 5,
            prefix: Ipv6Address::new(0x2001, 0xdb8, n, 0, 0, 0, 0, 0),
        };
        let mut bytes = vec![134, 0, 0, 0, 64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        for option in [NdiscOptionRepr::Mtu(1500), NdiscOptionRepr::Mtu(9000)]
            .into_iter()
            .chain((1..=6).map(|n| NdiscOptionRepr::PrefixInformation(info(n))))
        {
            let mut buf = vec![0u8; option.buffer_len()];
            option.emit(&mut buf);
            bytes.extend_from_slice(&buf);
        }
        refill(&mut bytes, &ROUTER, &SRC);
        match parse(&bytes, &ROUTER, &SRC).unwrap() {
            NdiscRepr::RouterAdvert {
                mtu, prefix_infos, ..
            } => {
                assert_eq!(mtu, Some(1500));
                assert_eq!(
                    prefix_infos,
                    [Some(info(1)), Some(info(2)), Some(info(3)), Some(info(4))]
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn neighbor_advert_reserved_bits_are_dropped() {
        let repr = all_reprs()[5];
        let mut bytes = round_trip(repr);
        bytes[4] |= 0x1f;
        bytes[7] = 0xff;
        refill(&mut bytes, &SRC, &TARGET);
        assert_eq!(parse(&bytes, &SRC, &TARGET), Ok(repr));
    }

    #[test]
    fn display_reads_like_tcpdump() {
        let reprs = all_reprs();
        assert_eq!(reprs[0].to_string(), "ICMPv6 router solicitation");
        assert_eq!(
            reprs[2].to_string(),
            "ICMPv6 router advertisement hlim=64 M lifetime=1800s reachable=30000ms \
             retrans=1000ms slla=02:00:00:00:00:01 mtu=1500 \
             prefix=2001:db8:1::/64 L A valid=4294967295 preferred=604800 \
             prefix=2001:db8:1::/64 L A valid=4294967295 preferred=604800"
        );
        assert_eq!(
            reprs[5].to_string(),
            "ICMPv6 neighbor advertisement target=2001:db8::2 S O tlla=02:00:00:00:00:01"
        );
        assert_eq!(
            reprs[6].to_string(),
            "ICMPv6 redirect target=fe80::1 dst=2001:db8::2 tlla=02:00:00:00:00:01"
        );
    }

    #[test]
    fn every_truncation_and_random_bytes_neither_panic_nor_over_read() {
        let caps = ChecksumCapabilities::ignored();
        for repr in all_reprs() {
            let full = round_trip(repr);
            for len in 0..=full.len() {
                if let Ok(packet) = Icmpv6Packet::new_checked(&full[..len]) {
                    let parsed = Icmpv6Repr::parse(&SRC, &TARGET, &packet, &caps);
                    // Cuts land on option boundaries only at multiples of 8.
                    if parsed.is_ok() {
                        assert_eq!(len % 8, 0);
                    }
                }
            }
        }
        let mut state = 0x0123_4567_89ab_cdefu64;
        let mut buf = [0u8; 96];
        for round in 0..5000 {
            for b in buf.iter_mut() {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                *b = state as u8;
            }
            buf[0] = 133 + (round % 5) as u8;
            buf[1] = 0;
            for i in (17..buf.len()).step_by(8) {
                buf[i] &= 0x03; // small option lengths, 0 included
            }
            let len = (state >> 32) as usize % (buf.len() + 1);
            if let Ok(packet) = Icmpv6Packet::new_checked(&buf[..len]) {
                if let Ok(repr) = NdiscRepr::parse(&packet) {
                    let _ = format!("{repr}");
                    assert!(repr.buffer_len() <= len);
                }
            }
        }
    }
}
