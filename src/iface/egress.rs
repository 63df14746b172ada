//! Egress: sockets' datagrams, replies and neighbour solicitations out to the device,
//! through routing, neighbour resolution (with a bounded waiting queue) and IPv4
//! fragmentation.

use super::neighbor::{NeighborAction, NeighborLookup, QueueOutcome};
use super::reassembly::{ExpiredDatagram, FragmentKey, REASSEMBLY_QUOTE_LEN};
use super::template::TcpTemplate;
use super::{Interface, InterfaceInner, NeighborCache, PendingReply};
use crate::phy::{Device, Medium, TxToken};
use crate::rand::SipHasher24;
use crate::socket::{DispatchError, Socket, SocketSet};
use crate::time::Instant;
use crate::wire::*;
use core::result::Result;

/// Where a packet goes at the link layer.
#[derive(Debug, Clone, Copy)]
enum LinkDst {
    /// An IP medium: no link header.
    None,
    /// This MAC address.
    Mac(EthernetAddress),
    /// Waiting for resolution of this next hop; `solicit` if a request is due.
    Pending { next_hop: IpAddress, solicit: bool },
}

/// Where packets to a destination go on an Ethernet link, before the neighbour cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Hop {
    /// A broadcast or multicast MAC address.
    Link(EthernetAddress),
    /// This neighbour: the destination itself or the gateway towards it.
    Neighbor(IpAddress),
}

impl InterfaceInner<'_> {
    /// An IP header for a reply or error from `src` to `dst`, or `None` if the versions
    /// differ.
    pub(super) fn reply_ip(
        &mut self,
        src: IpAddress,
        dst: IpAddress,
        protocol: IpProtocol,
        payload_len: usize,
    ) -> Option<IpRepr> {
        match (src, dst) {
            (IpAddress::V4(s), IpAddress::V4(d)) => {
                let mut ip = Ipv4Repr::new(s, d, protocol, payload_len, self.config.hop_limit);
                ip.ident = self.next_ipv4_ident(d);
                Some(IpRepr::Ipv4(ip))
            }
            (IpAddress::V6(s), IpAddress::V6(d)) => Some(IpRepr::Ipv6(Ipv6Repr {
                src_addr: s,
                dst_addr: d,
                next_header: protocol,
                payload_len,
                hop_limit: self.config.hop_limit,
                traffic_class: 0,
                flow_label: 0,
            })),
            _ => None,
        }
    }

    /// C3.8: identifiers unique per destination over a datagram's lifetime and not
    /// predictable from outside: a counter plus a keyed hash of the destination.
    pub(super) fn next_ipv4_ident(&mut self, dst: Ipv4Address) -> u16 {
        self.ident_counter = self.ident_counter.wrapping_add(1);
        let offset = match self.ident_offset_v4 {
            Some((cached, offset)) if cached == dst => offset,
            _ => {
                let offset = SipHasher24::hash(self.ident_key, &dst.octets()) as u32;
                self.ident_offset_v4 = Some((dst, offset));
                offset
            }
        };
        (self.ident_counter.wrapping_add(offset) & 0xffff) as u16
    }

    /// Writes an IP packet into the scratch buffer as the pending reply; `fill` writes
    /// the payload.
    pub(super) fn build_reply(&mut self, ip: IpRepr, fill: impl FnOnce(&mut [u8])) {
        let len = ip.total_len();
        let Some(buf) = self.scratch.get_mut(..len) else {
            return;
        };
        let payload = ip.emit(buf, &self.caps.checksum);
        fill(payload);
        self.reply = PendingReply::Ip { len };
    }

    /// Where a packet to `dst` goes at the link layer (C1.5 multicast mapping, routing,
    /// then the neighbour cache). `Err` for a dropped packet, already counted.
    fn link_dst(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        now: Instant,
        dst: IpAddress,
    ) -> Result<LinkDst, DispatchError> {
        if self.medium() == Medium::Ip {
            return Ok(LinkDst::None);
        }
        // A flow sends run after run to one destination: where it goes is remembered
        // until the addresses or routes change (the neighbour cache is asked every time).
        let hop = match self.next_hop_cache {
            Some((cached, hop)) if cached == dst => hop,
            _ => {
                let hop = self.resolve_hop(dst)?;
                self.next_hop_cache = Some((dst, hop));
                hop
            }
        };
        let next_hop = match hop {
            Hop::Link(mac) => return Ok(LinkDst::Mac(mac)),
            Hop::Neighbor(next_hop) => next_hop,
        };
        match neighbors.lookup(next_hop, now) {
            NeighborLookup::Found(mac) => Ok(LinkDst::Mac(mac)),
            NeighborLookup::Pending { send_solicit } => Ok(LinkDst::Pending {
                next_hop,
                solicit: send_solicit,
            }),
            NeighborLookup::Full => {
                self.counters.neighbor_cache_full += 1;
                Err(DispatchError::Dropped)
            }
            NeighborLookup::NotUnicast => {
                self.counters.tx_no_route += 1;
                Err(DispatchError::Dropped)
            }
        }
    }

    /// Where a packet to `dst` goes on an Ethernet link: a broadcast or multicast MAC,
    /// or the neighbour (itself or a gateway) whose MAC the neighbour cache knows.
    fn resolve_hop(&mut self, dst: IpAddress) -> Result<Hop, DispatchError> {
        match dst {
            IpAddress::V4(a) if self.is_broadcast_v4(a) => {
                Ok(Hop::Link(EthernetAddress::BROADCAST))
            }
            IpAddress::V4(a) if a.is_multicast() => EthernetAddress::from_ipv4_multicast(a)
                .map(Hop::Link)
                .ok_or(DispatchError::Dropped),
            IpAddress::V6(a) if a.is_multicast() => EthernetAddress::from_ipv6_multicast(a)
                .map(Hop::Link)
                .ok_or(DispatchError::Dropped),
            _ => match self.next_hop(dst) {
                Some(next_hop) => Ok(Hop::Neighbor(next_hop)),
                None => {
                    self.counters.tx_no_route += 1;
                    Err(DispatchError::Dropped)
                }
            },
        }
    }

    fn link_header_len(&self) -> usize {
        match self.medium() {
            Medium::Ethernet => ETHERNET_HEADER_LEN,
            Medium::Ip => 0,
        }
    }

    fn write_link_header(
        &self,
        frame: &mut [u8],
        dst: EthernetAddress,
        ethertype: EthernetProtocol,
    ) -> usize {
        let Some(src) = self.config.hardware_addr else {
            return 0;
        };
        if self.medium() != Medium::Ethernet {
            return 0;
        }
        let eth = EthernetRepr {
            src_addr: src,
            dst_addr: dst,
            ethertype,
            vlan: None,
        };
        eth.emit(&mut EthernetFrame::new_unchecked(&mut *frame));
        ETHERNET_HEADER_LEN
    }

    fn count_tx(&mut self, ip: &IpRepr) {
        self.count_tx_of(matches!(ip, IpRepr::Ipv6(_)), ip.next_header());
    }

    /// One frame sent with an IPv6 (`v6`) or IPv4 packet of `protocol`.
    pub(super) fn count_tx_of(&mut self, v6: bool, protocol: IpProtocol) {
        let c = &mut self.counters;
        c.tx_frames += 1;
        match (v6, protocol) {
            (false, p) => {
                c.ipv4_tx += 1;
                match p {
                    IpProtocol::Icmp => c.icmpv4_tx += 1,
                    IpProtocol::Udp => c.udp_tx += 1,
                    _ => {}
                }
            }
            (true, p) => {
                c.ipv6_tx += 1;
                match p {
                    IpProtocol::Icmpv6 => c.icmpv6_tx += 1,
                    IpProtocol::Udp => c.udp_tx += 1,
                    _ => {}
                }
            }
        }
    }

    /// Sends one IP packet, calling `fill` to write its payload straight into the
    /// device's buffer when it fits one frame and the next hop is known (the common
    /// case: one pass over the payload). Otherwise the packet is built in the scratch
    /// buffer and fragmented (IPv4) or queued for resolution.
    ///
    /// With `keep`, a packet that goes straight into a device buffer also leaves its
    /// link, IP and first `keep.1` transport header bytes in `keep.0` (for
    /// [`TcpTemplate`]), which is otherwise left empty.
    pub(super) fn send_ip<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        ip: IpRepr,
        fill: impl FnOnce(&mut [u8]),
        keep: Option<(&mut TcpTemplate, usize)>,
    ) -> Result<(), DispatchError> {
        let link = self.link_dst(neighbors, now, ip.dst_addr())?;
        let total = ip.total_len();
        let fits = total <= self.caps.ip_mtu();
        if let (true, LinkDst::Mac(_) | LinkDst::None) = (fits, link) {
            let token = device.transmit(now).ok_or(DispatchError::Exhausted)?;
            let frame_len = self.link_header_len() + total;
            let ethertype = ethertype_of(&ip);
            token.consume(frame_len, |frame| {
                let at = match link {
                    LinkDst::Mac(mac) => self.write_link_header(frame, mac, ethertype),
                    _ => 0,
                };
                let payload = ip.emit(&mut frame[at..], &self.caps.checksum);
                fill(payload);
                if let Some((template, transport)) = keep {
                    template.keep(frame, at, at + ip.header_len(), transport);
                }
            });
            self.count_tx(&ip);
            return Ok(());
        }
        // Slow path: build the whole packet in the scratch buffer.
        let Some(buf) = self.scratch.get_mut(..total) else {
            self.count_too_big(&ip);
            return Err(DispatchError::Dropped);
        };
        let payload = ip.emit(buf, &self.caps.checksum);
        fill(payload);
        let scratch =
            core::mem::replace(&mut self.scratch, managed::ManagedSlice::Borrowed(&mut []));
        let result = self.transmit_packet(neighbors, device, now, &ip, link, &scratch[..total]);
        self.scratch = scratch;
        result
    }

    fn count_too_big(&mut self, ip: &IpRepr) {
        match ip {
            IpRepr::Ipv4(_) => self.counters.ipv4_tx_too_big += 1,
            IpRepr::Ipv6(_) => self.counters.ipv6_tx_too_big += 1,
        }
    }

    /// Sends a complete IP packet held in memory: fragments it if it is an IPv4 packet
    /// larger than the MTU without DF (C3.13), and queues it (or its fragments) when the
    /// next hop is still being resolved.
    fn transmit_packet<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        ip: &IpRepr,
        link: LinkDst,
        packet: &[u8],
    ) -> Result<(), DispatchError> {
        if let LinkDst::Pending { next_hop, solicit } = link {
            if solicit {
                self.send_solicit(device, now, next_hop, None);
            }
        }
        let mtu = self.caps.ip_mtu();
        if packet.len() <= mtu {
            return self.transmit_or_queue(neighbors, device, now, ip, link, packet);
        }
        let v4 = match ip {
            IpRepr::Ipv4(v4) => v4,
            IpRepr::Ipv6(v6) => {
                return self.fragment_ipv6(neighbors, device, now, v6, link, packet);
            }
        };
        if v4.dont_frag {
            self.count_too_big(ip);
            return Err(DispatchError::Dropped);
        }
        // C3.13: never overlapping, every fragment but the last a multiple of 8 bytes.
        let header_len = v4.buffer_len();
        let per_fragment = (mtu.saturating_sub(header_len)) & !7;
        let body = &packet[header_len..];
        if per_fragment == 0 {
            self.count_too_big(ip);
            return Err(DispatchError::Dropped);
        }
        let caps = self.caps.checksum;
        self.send_fragments(
            neighbors,
            device,
            now,
            link,
            body,
            per_fragment,
            |offset, len, more, buf| {
                let mut frag = *v4;
                frag.payload_len = len;
                frag.more_frags = more;
                frag.frag_offset = offset as u16;
                // RFC 791: only options with the copy flag go in later fragments; skiff sends
                // no options of its own, so later fragments carry none.
                if offset != 0 {
                    frag.options = Ipv4Options::EMPTY;
                }
                let ip = IpRepr::Ipv4(frag);
                let header_len = ip.header_len();
                ip.emit(buf.get_mut(..header_len + len)?, &caps);
                Some((ip, header_len))
            },
        )
    }

    /// IPv6 source fragmentation (RFC 8200 §4.5, C6.11): skiff sends no extension
    /// headers of its own, so the unfragmentable part is the fixed header and every
    /// fragment carries a Fragment header with an identifier not predictable from
    /// outside (C7.9). Never an atomic fragment (C7.7): this runs only for packets
    /// larger than the MTU.
    fn fragment_ipv6<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        v6: &Ipv6Repr,
        link: LinkDst,
        packet: &[u8],
    ) -> Result<(), DispatchError> {
        let mtu = self.caps.ip_mtu().max(IPV6_MIN_MTU);
        let per_fragment = mtu.saturating_sub(IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN) & !7;
        let body = &packet[IPV6_HEADER_LEN..];
        self.ident_counter = self.ident_counter.wrapping_add(1);
        let ident = self
            .ident_counter
            .wrapping_add(SipHasher24::hash(self.ident_key, &v6.dst_addr.octets()) as u32);
        let caps = self.caps.checksum;
        self.send_fragments(
            neighbors,
            device,
            now,
            link,
            body,
            per_fragment,
            |offset, len, more, buf| {
                let header = Ipv6Repr {
                    next_header: IpProtocol::Ipv6Frag,
                    payload_len: IPV6_FRAGMENT_HEADER_LEN + len,
                    ..*v6
                };
                let frag = Ipv6FragmentRepr {
                    next_header: v6.next_header,
                    frag_offset: offset as u16,
                    more_frags: more,
                    ident,
                };
                let header_len = IPV6_HEADER_LEN + IPV6_FRAGMENT_HEADER_LEN;
                let rest = IpRepr::Ipv6(header).emit(buf.get_mut(..header_len + len)?, &caps);
                frag.emit(&mut Ipv6FragmentHeader::new_unchecked(
                    &mut rest[..IPV6_FRAGMENT_HEADER_LEN],
                ));
                Some((IpRepr::Ipv6(header), header_len))
            },
        )
    }

    /// Sends `body` as a train of fragments of at most `per_fragment` bytes (a multiple
    /// of 8, C3.13 / RFC 8200 §4.5; never overlapping). `header` writes one fragment's
    /// headers at the start of the buffer it is given and returns them with their
    /// length, or `None` if the buffer is too small. A train cut short cannot be resumed:
    /// the datagram is then lost and reported `Dropped`.
    #[allow(clippy::too_many_arguments)]
    fn send_fragments<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        link: LinkDst,
        body: &[u8],
        per_fragment: usize,
        mut header: impl FnMut(usize, usize, bool, &mut [u8]) -> Option<(IpRepr, usize)>,
    ) -> Result<(), DispatchError> {
        let mut frag_buf =
            core::mem::replace(&mut self.frag_buf, managed::ManagedSlice::Borrowed(&mut []));
        let mut offset = 0;
        let mut result = Ok(());
        while offset < body.len() {
            let len = per_fragment.min(body.len() - offset);
            let more = offset + len < body.len();
            let Some((ip, header_len)) = header(offset, len, more, &mut frag_buf) else {
                result = Err(DispatchError::Dropped);
                break;
            };
            let flen = header_len + len;
            frag_buf[header_len..flen].copy_from_slice(&body[offset..offset + len]);
            if let Err(e) =
                self.transmit_or_queue(neighbors, device, now, &ip, link, &frag_buf[..flen])
            {
                result = Err(e);
                break;
            }
            match ip {
                IpRepr::Ipv4(_) => self.counters.ipv4_frags_tx += 1,
                IpRepr::Ipv6(_) => self.counters.ipv6_frags_tx += 1,
            }
            offset += len;
        }
        self.frag_buf = frag_buf;
        result.map_err(|_| DispatchError::Dropped)
    }

    fn transmit_or_queue<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        ip: &IpRepr,
        link: LinkDst,
        packet: &[u8],
    ) -> Result<(), DispatchError> {
        match link {
            LinkDst::Pending { next_hop, .. } => match neighbors.enqueue(next_hop, packet, now) {
                Ok(QueueOutcome::Queued) => Ok(()),
                Ok(QueueOutcome::QueuedDroppedOldest) => {
                    self.counters.neighbor_queue_full += 1;
                    Ok(())
                }
                Err(_) => {
                    self.counters.neighbor_queue_full += 1;
                    Err(DispatchError::Dropped)
                }
            },
            LinkDst::Mac(_) | LinkDst::None => {
                let mac = match link {
                    LinkDst::Mac(mac) => Some(mac),
                    _ => None,
                };
                self.transmit_raw(device, now, mac, ethertype_of(ip), packet)?;
                self.count_tx(ip);
                Ok(())
            }
        }
    }

    /// Frames and sends bytes that are already a complete IP packet.
    fn transmit_raw<D: Device + ?Sized>(
        &mut self,
        device: &mut D,
        now: Instant,
        mac: Option<EthernetAddress>,
        ethertype: EthernetProtocol,
        packet: &[u8],
    ) -> Result<(), DispatchError> {
        let token = device.transmit(now).ok_or(DispatchError::Exhausted)?;
        let link_len = if mac.is_some() {
            self.link_header_len()
        } else {
            0
        };
        token.consume(link_len + packet.len(), |frame| {
            let at = match mac {
                Some(mac) => self.write_link_header(frame, mac, ethertype),
                None => 0,
            };
            frame[at..].copy_from_slice(packet);
        });
        Ok(())
    }

    /// An ARP request (broadcast, or unicast to `mac` when probing) or a Neighbour
    /// Solicitation (to the solicited-node group, or unicast) for `target` (C2.7, C9.6).
    fn send_solicit<D: Device + ?Sized>(
        &mut self,
        device: &mut D,
        now: Instant,
        target: IpAddress,
        mac: Option<EthernetAddress>,
    ) {
        let Some(our_mac) = self.config.hardware_addr else {
            return;
        };
        match target {
            IpAddress::V4(t) => {
                let Some(IpAddress::V4(src)) = self.select_source(target) else {
                    return;
                };
                let arp = ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Request,
                    source_hardware_addr: our_mac,
                    source_protocol_addr: src,
                    target_hardware_addr: EthernetAddress([0; 6]),
                    target_protocol_addr: t,
                };
                if self.send_arp(device, now, arp, mac.unwrap_or(EthernetAddress::BROADCAST)) {
                    self.counters.arp_tx_requests += 1;
                }
            }
            IpAddress::V6(t) => {
                let Some(IpAddress::V6(src)) = self.select_source(target) else {
                    return;
                };
                let dst = match mac {
                    Some(_) => t,
                    None => t.solicited_node(),
                };
                let repr = Icmpv6Repr::Ndisc(NdiscRepr::NeighborSolicit {
                    target_addr: t,
                    lladdr: Some(NdiscLinkLayerAddress(our_mac.0)),
                });
                let ip = Ipv6Repr {
                    src_addr: src,
                    dst_addr: dst,
                    next_header: IpProtocol::Icmpv6,
                    payload_len: repr.buffer_len(),
                    hop_limit: NDISC_HOP_LIMIT,
                    traffic_class: 0,
                    flow_label: 0,
                };
                let link = mac.or_else(|| EthernetAddress::from_ipv6_multicast(dst));
                let Some(link) = link else { return };
                let Some(token) = device.transmit(now) else {
                    self.counters.tx_device_full += 1;
                    return;
                };
                let caps = self.caps.checksum;
                token.consume(
                    ETHERNET_HEADER_LEN + IPV6_HEADER_LEN + repr.buffer_len(),
                    |frame| {
                        let at = self.write_link_header(frame, link, EthernetProtocol::Ipv6);
                        let payload = IpRepr::Ipv6(ip).emit(&mut frame[at..], &caps);
                        repr.emit(&src, &dst, &mut Icmpv6Packet::new_unchecked(payload), &caps);
                    },
                );
                self.count_tx(&IpRepr::Ipv6(ip));
                self.counters.ndp_tx_solicitations += 1;
            }
        }
    }

    fn send_arp<D: Device + ?Sized>(
        &mut self,
        device: &mut D,
        now: Instant,
        arp: ArpRepr,
        dst: EthernetAddress,
    ) -> bool {
        let Some(token) = device.transmit(now) else {
            self.counters.tx_device_full += 1;
            return false;
        };
        // Short frames are padded to the Ethernet minimum (C1.4).
        let len = (ETHERNET_HEADER_LEN + arp.buffer_len()).max(ETHERNET_MIN_FRAME_LEN);
        token.consume(len, |frame| {
            frame.fill(0);
            let at = self.write_link_header(frame, dst, EthernetProtocol::Arp);
            arp.emit(&mut ArpPacket::new_unchecked(&mut frame[at..]));
        });
        self.counters.tx_frames += 1;
        true
    }
}

fn ethertype_of(ip: &IpRepr) -> EthernetProtocol {
    match ip {
        IpRepr::Ipv4(_) => EthernetProtocol::Ipv4,
        IpRepr::Ipv6(_) => EthernetProtocol::Ipv6,
    }
}

impl Interface<'_> {
    /// Sends the reply built during ingress, if any.
    pub(super) fn flush_reply<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) {
        let Interface {
            inner, neighbors, ..
        } = self;
        match core::mem::replace(&mut inner.reply, PendingReply::None) {
            PendingReply::None => {}
            PendingReply::Arp { repr, dst } => {
                if inner.send_arp(device, now, repr, dst) {
                    inner.counters.arp_tx_replies += 1;
                }
            }
            PendingReply::Ip { len } => {
                let scratch = core::mem::replace(
                    &mut inner.scratch,
                    managed::ManagedSlice::Borrowed(&mut []),
                );
                if let Some(packet) = scratch.get(..len) {
                    if let Ok(ip) = parse_own_packet(packet) {
                        let sent = inner
                            .link_dst(neighbors, now, ip.dst_addr())
                            .and_then(|link| {
                                inner.transmit_packet(neighbors, device, now, &ip, link, packet)
                            });
                        if sent == Err(DispatchError::Exhausted) {
                            inner.counters.tx_device_full += 1;
                        }
                    }
                }
                inner.scratch = scratch;
            }
        }
    }

    /// Neighbour and reassembly timers.
    pub(super) fn poll_timers<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) {
        let Interface {
            inner,
            neighbors,
            reassembler,
        } = self;
        neighbors.poll(now, |action| match action {
            NeighborAction::SolicitMulticast(addr) => inner.send_solicit(device, now, addr, None),
            NeighborAction::SolicitUnicast(addr, mac) => {
                inner.send_solicit(device, now, addr, Some(mac))
            }
            NeighborAction::Failed {
                dropped_packets, ..
            } => {
                inner.counters.neighbor_unresolved += dropped_packets as u64;
            }
        });
        // Expired datagrams are collected first (at most a few per poll; the rest expire on
        // the next), because each error is sent before the next one is built.
        let mut expired: [Option<(FragmentKey, [u8; REASSEMBLY_QUOTE_LEN], usize)>; 4] = [None; 4];
        let mut count = 0;
        reassembler.poll(now, |e: ExpiredDatagram<'_>| {
            inner.counters.reassembly_timeouts += 1;
            // C4.4 / C7.4: Time Exceeded code 1, only if fragment 0 had arrived (C4.5).
            let Some(quote) = e.quote else { return };
            if count < expired.len() {
                let mut bytes = [0u8; REASSEMBLY_QUOTE_LEN];
                let len = quote.len().min(REASSEMBLY_QUOTE_LEN);
                bytes[..len].copy_from_slice(&quote[..len]);
                expired[count] = Some((e.key, bytes, len));
                count += 1;
            }
        });
        for (key, bytes, len) in expired.iter().flatten() {
            let quote = &bytes[..*len];
            let meta = super::ingress::IpMeta::for_timeout();
            let inner = &mut self.inner;
            match key {
                // The quoted header's total length exceeds the bytes kept: parse_quoted
                // allows that, and the error quotes only what is present (C5.2).
                FragmentKey::V4 { .. } => {
                    if let Ok((ip, _)) = Ipv4Repr::parse_quoted(quote) {
                        let kind = super::icmp::Icmpv4ErrorKind::TimeExceeded(
                            Icmpv4TimeExceeded::FragExpired,
                        );
                        inner.icmpv4_error(now, &ip, meta, quote, kind);
                    }
                }
                FragmentKey::V6 { .. } => {
                    let view = Ipv6Packet::new_unchecked(quote);
                    if quote.len() >= IPV6_HEADER_LEN && view.version() == 6 {
                        let ip = Ipv6Repr {
                            src_addr: view.src_addr(),
                            dst_addr: view.dst_addr(),
                            next_header: view.next_header(),
                            // Quoted unchanged (C8.3): fragment 0's own Payload Length.
                            payload_len: usize::from(view.payload_len()),
                            hop_limit: view.hop_limit(),
                            traffic_class: view.traffic_class(),
                            flow_label: view.flow_label(),
                        };
                        let kind = super::icmp::Icmpv6ErrorKind::TimeExceeded(
                            Icmpv6TimeExceeded::FragReassemExceeded,
                        );
                        inner.icmpv6_error(now, &ip, meta, quote, kind);
                    }
                }
            }
            self.flush_reply(now, device);
        }
    }

    /// Sends the packets that waited for neighbours resolved during ingress.
    pub(super) fn drain_resolved<D: Device + ?Sized>(&mut self, now: Instant, device: &mut D) {
        let Interface {
            inner, neighbors, ..
        } = self;
        let resolved = core::mem::take(&mut inner.resolved);
        inner.resolved_overflow = false;
        for addr in resolved.iter().flatten() {
            neighbors.drain_queued(*addr, |mac, packet| {
                let ethertype = match packet.first().map(|b| b >> 4) {
                    Some(6) => EthernetProtocol::Ipv6,
                    _ => EthernetProtocol::Ipv4,
                };
                let mac = (inner.medium() == Medium::Ethernet).then_some(mac);
                match inner.transmit_raw(device, now, mac, ethertype, packet) {
                    Ok(()) => {
                        if let Ok(ip) = parse_own_packet(packet) {
                            inner.count_tx(&ip);
                        }
                    }
                    Err(_) => inner.counters.tx_device_full += 1,
                }
            });
        }
    }

    /// Lets ready sockets, and sockets whose deadline came, send. Stops when the device
    /// has no room; the socket keeps its data and stays on the ready list.
    pub(super) fn dispatch_sockets<D: Device + ?Sized>(
        &mut self,
        now: Instant,
        device: &mut D,
        sockets: &mut SocketSet<'_>,
    ) -> bool {
        let mut sent_any = false;
        // Bounded: at most `capacity` sockets per poll, each sending at most
        // PER_SOCKET_BURST packets, so one busy socket cannot starve the rest.
        const PER_SOCKET_BURST: usize = 64;
        let mut budget = sockets.capacity().max(1);
        while budget > 0 {
            budget -= 1;
            let Some(index) = sockets.pop_ready().or_else(|| sockets.pop_expired(now)) else {
                break;
            };
            // The socket answers `wants_dispatch` after each packet below; the set need
            // not ask it again on every resync.
            let marked = sockets.begin_dispatch(index);
            let mut more = false;
            let mut exhausted = false;
            // One guard for the whole burst: the set re-reads the socket's key, wish to
            // send and deadline once, when it is dropped after the last packet (the
            // socket's mark keeps it off the ready list meanwhile).
            if let Some(mut socket) = sockets.slot_mut(index) {
                let mut left = PER_SOCKET_BURST;
                while left > 0 {
                    let Interface {
                        inner, neighbors, ..
                    } = &mut *self;
                    let result = match &mut *socket {
                        Socket::Udp(udp) => udp.dispatch(now, |local_port, meta, payload| {
                            inner.dispatch_udp(neighbors, device, now, local_port, meta, payload)
                        }),
                        Socket::Icmp(icmp) => icmp.dispatch(now, |remote, message| {
                            inner.dispatch_icmp(neighbors, device, now, remote, message)
                        }),
                        Socket::Raw(raw) => raw.dispatch(now, |packet| {
                            inner.dispatch_raw(neighbors, device, now, packet)
                        }),
                        Socket::Tcp(tcp) => {
                            // All the segments due in one call with `fast_send`, else one.
                            let remote = tcp.remote_endpoint().map(|r| r.ip());
                            let cx = inner.tcp_context(now, remote);
                            let dscp = tcp.config().dscp;
                            let max = if inner.config.fast_send { left } else { 1 };
                            inner.tcp_template = None;
                            let burst =
                                tcp.dispatch_burst(&cx, max, |src, dst, ecn, repr, again| {
                                    let tos = ((dscp & 0x3f) << 2) | (ecn & 0x03);
                                    inner.dispatch_tcp(
                                        neighbors,
                                        device,
                                        now,
                                        (src, dst, tos),
                                        repr,
                                        again,
                                    )
                                });
                            if tcp.take_negative_advice() {
                                inner.reverify_next_hop(neighbors, device, now, remote);
                            }
                            // A TCP socket that sent is asked again by the next round (its
                            // next call plans the next segment once); one that stopped
                            // short had nothing more due.
                            more = burst.more || burst.exhausted;
                            left -= burst.sent.clamp(1, left);
                            if burst.exhausted {
                                Err(DispatchError::Exhausted)
                            } else {
                                Ok(())
                            }
                        }
                    };
                    if !matches!(&*socket, Socket::Tcp(_)) {
                        left -= 1;
                        more = crate::socket::Indexed::wants_dispatch(&*socket);
                    }
                    match result {
                        Ok(()) | Err(DispatchError::Dropped) => sent_any = true,
                        Err(DispatchError::Exhausted) => {
                            // Still wanting to send, it waits on the ready list.
                            exhausted = true;
                            break;
                        }
                    }
                    if !more {
                        break;
                    }
                }
                // Dropping the guard resyncs the socket's key and timer.
                drop(socket);
            }
            // Back on the ready list (at the tail) if its burst ran out with more to send.
            sockets.end_dispatch(index, marked, more);
            if exhausted {
                break;
            }
        }
        sent_any
    }
}

impl InterfaceInner<'_> {
    /// What a TCP socket needs from the interface for one call: the time, the ISN key
    /// and the largest payload a segment to `remote` can carry (RFC 9293 §3.7.1: MTU less
    /// the IP and TCP headers of that version).
    pub(super) fn tcp_context(
        &self,
        now: Instant,
        remote: Option<IpAddress>,
    ) -> crate::socket::tcp::TcpContext {
        let ip_header = match remote {
            Some(IpAddress::V4(_)) => IPV4_HEADER_LEN,
            _ => IPV6_HEADER_LEN,
        };
        let mss = self
            .caps
            .ip_mtu()
            .saturating_sub(ip_header + TCP_HEADER_LEN);
        crate::socket::tcp::TcpContext {
            now,
            isn_key: self.tcp_isn_key,
            mss: u16::try_from(mss).unwrap_or(u16::MAX),
            ecn: 0,
        }
    }

    /// MUST-20 (R1): a TCP socket's negative advice about `remote` (after the segment
    /// it just sent again): re-verify the neighbour the path goes through with a
    /// unicast ARP request or NS, while the entry keeps carrying the retransmissions.
    fn reverify_next_hop<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        remote: Option<IpAddress>,
    ) {
        if self.medium() != Medium::Ethernet {
            return;
        }
        let Some(next_hop) = remote.and_then(|r| self.next_hop(r)) else {
            return;
        };
        if let Some(mac) = neighbors.reverify(next_hop, now) {
            self.counters.neighbor_reverified += 1;
            self.send_solicit(device, now, next_hop, Some(mac));
        }
    }

    fn dispatch_tcp<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        (src, dst, tos): (IpAddress, IpAddress, u8),
        repr: &TcpRepr<'_>,
        again: bool,
    ) -> Result<(), DispatchError> {
        // The socket says this segment's header is the previous one's but for SEQ, PSH
        // and the length: build it from that frame's header (`template.rs`).
        if again {
            if let Some(result) = self.send_tcp_again(device, now, (src, dst), repr) {
                return result;
            }
        }
        let Some(mut ip) = self.reply_ip(src, dst, IpProtocol::Tcp, repr.buffer_len()) else {
            return Err(DispatchError::Dropped);
        };
        // MUST-48, SHLD-22: `tos` is the socket's DSCP, unchanged, and the ECN field
        // TCP chose (ECT(0) on new data once ECN is agreed, RFC 3168). B7.1: path MTU
        // discovery, so IPv4 segments carry DF (routers report, never fragment).
        match &mut ip {
            IpRepr::Ipv4(v4) => {
                v4.dscp = tos >> 2;
                v4.ecn = tos & 0x03;
                v4.dont_frag = true;
            }
            IpRepr::Ipv6(v6) => v6.traffic_class = tos,
        }
        let caps = self.caps.checksum;
        // Keep this frame's headers for the next segment of the burst only when
        // templates are in use.
        let mut template = self.config.fast_send.then(|| TcpTemplate::new(src, dst));
        let result = self.send_ip(
            neighbors,
            device,
            now,
            ip,
            |buf| repr.emit(&mut TcpPacket::new_unchecked(buf), &src, &dst, &caps),
            template.as_mut().map(|t| (t, repr.header_len())),
        );
        self.tcp_template = template.filter(TcpTemplate::is_kept);
        result?;
        self.counters.tcp_tx += 1;
        Ok(())
    }

    fn dispatch_udp<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        local_port: u16,
        meta: &crate::socket::udp::UdpMetadata,
        payload: &[u8],
    ) -> Result<(), DispatchError> {
        let dst = meta.remote.ip();
        let Some(src) = meta.local_addr.or_else(|| self.select_source(dst)) else {
            self.counters.tx_no_route += 1;
            return Err(DispatchError::Dropped);
        };
        let udp = UdpRepr {
            src_port: local_port,
            dst_port: meta.remote.port(),
        };
        let Some(mut ip) = self.reply_ip(src, dst, IpProtocol::Udp, udp.buffer_len(payload.len()))
        else {
            return Err(DispatchError::Dropped);
        };
        if let Some(hop_limit) = meta.hop_limit {
            match &mut ip {
                IpRepr::Ipv4(v4) => v4.hop_limit = hop_limit,
                IpRepr::Ipv6(v6) => v6.hop_limit = hop_limit,
            }
        }
        let caps = self.caps.checksum;
        let fill = |buf: &mut [u8]| {
            let packet = &mut UdpPacket::new_unchecked(buf);
            udp.emit(
                packet,
                &src,
                &dst,
                payload.len(),
                |p| p.copy_from_slice(payload),
                &caps,
            );
        };
        self.send_ip(neighbors, device, now, ip, fill, None)
    }

    fn dispatch_icmp<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        remote: IpAddress,
        message: &[u8],
    ) -> Result<(), DispatchError> {
        let Some(src) = self.select_source(remote) else {
            self.counters.tx_no_route += 1;
            return Err(DispatchError::Dropped);
        };
        let protocol = match remote {
            IpAddress::V4(_) => IpProtocol::Icmp,
            IpAddress::V6(_) => IpProtocol::Icmpv6,
        };
        let Some(ip) = self.reply_ip(src, remote, protocol, message.len()) else {
            return Err(DispatchError::Dropped);
        };
        let fill_checksum = self.caps.checksum;
        let fill = |buf: &mut [u8]| {
            buf.copy_from_slice(message);
            // The socket leaves the checksum to us: ICMPv6's covers the addresses.
            match (src, remote) {
                (IpAddress::V4(_), _) if fill_checksum.icmpv4.tx() => {
                    Icmpv4Packet::new_unchecked(buf).fill_checksum();
                }
                (IpAddress::V6(s), IpAddress::V6(d)) if fill_checksum.icmpv6.tx() => {
                    Icmpv6Packet::new_unchecked(buf).fill_checksum(&s, &d);
                }
                _ => {}
            }
        };
        self.send_ip(neighbors, device, now, ip, fill, None)
    }

    fn dispatch_raw<D: Device + ?Sized>(
        &mut self,
        neighbors: &mut NeighborCache<'_>,
        device: &mut D,
        now: Instant,
        packet: &[u8],
    ) -> Result<(), DispatchError> {
        let Ok(ip) = parse_own_packet(packet) else {
            return Err(DispatchError::Dropped);
        };
        let link = self.link_dst(neighbors, now, ip.dst_addr())?;
        self.transmit_packet(neighbors, device, now, &ip, link, packet)
    }
}

/// Reads back the header of a packet skiff (or a raw socket's user) built.
fn parse_own_packet(packet: &[u8]) -> crate::wire::Result<IpRepr> {
    match packet.first().map(|b| b >> 4) {
        Some(4) => {
            let view = Ipv4Packet::new_checked(packet)?;
            Ipv4Repr::parse(&view, &ChecksumCapabilities::ignored()).map(IpRepr::Ipv4)
        }
        Some(6) => {
            let view = Ipv6Packet::new_checked(packet)?;
            Ipv6Repr::parse(&view).map(IpRepr::Ipv6)
        }
        _ => Err(Error::Malformed),
    }
}
