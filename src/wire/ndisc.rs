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
mod tests;
