//! Ingress: one frame from the device down to a socket, or to the answer the RFCs
//! require (ARP reply, NA, echo reply, ICMP error, RST), or to a counted drop.

use super::neighbor::NeighborFill;
use super::reassembly::FragmentKey;
use super::{Interface, InterfaceInner, NeighborCache, PendingReply};
use crate::phy::Medium;
use crate::socket::{DemuxKey, Socket, SocketSet};
use crate::time::Instant;
use crate::wire::*;

/// How the frame reached us at the link layer (C5.3, C8.4 e.4/e.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LinkCast {
    Unicast,
    Multicast,
    Broadcast,
}

impl Interface<'_> {
    pub(super) fn process_frame(
        &mut self,
        now: Instant,
        frame: &[u8],
        sockets: &mut SocketSet<'_>,
    ) {
        match self.inner.medium() {
            Medium::Ip => self.process_ip(now, frame, LinkCast::Unicast, sockets),
            Medium::Ethernet => self.process_ethernet(now, frame, sockets),
        }
    }

    fn process_ethernet(&mut self, now: Instant, frame: &[u8], sockets: &mut SocketSet<'_>) {
        let inner = &mut self.inner;
        let Ok(view) = EthernetFrame::new_checked(frame) else {
            inner.counters.rx_truncated += 1;
            return;
        };
        let eth = match EthernetRepr::parse(&view) {
            Ok(eth) => eth,
            Err(Error::Unsupported) => {
                inner.counters.rx_unsupported += 1;
                return;
            }
            Err(_) => {
                // A multicast or broadcast source MAC (C1.3).
                inner.counters.rx_bad_link_header += 1;
                return;
            }
        };
        let ours = inner.config.hardware_addr;
        let cast = if Some(eth.dst_addr) == ours {
            LinkCast::Unicast
        } else if eth.dst_addr.is_broadcast() {
            LinkCast::Broadcast
        } else if eth.dst_addr.is_multicast() {
            // Accepted here; the IP layer keeps only groups we joined (C1.2, C6.2).
            LinkCast::Multicast
        } else {
            inner.counters.rx_not_for_us += 1;
            return;
        };
        let payload = &frame[eth.buffer_len()..];
        match eth.ethertype {
            EthernetProtocol::Arp => self.process_arp(now, payload, eth.src_addr),
            EthernetProtocol::Ipv4 | EthernetProtocol::Ipv6 if eth.vlan.is_none() => {
                // C3.1, C6.1: the header's version must be the one the EtherType names.
                let (version, bad_header) = match eth.ethertype {
                    EthernetProtocol::Ipv4 => (4, &mut inner.counters.ipv4_bad_header),
                    _ => (6, &mut inner.counters.ipv6_bad_header),
                };
                if payload.first().map(|b| b >> 4) != Some(version) {
                    *bad_header += 1;
                    return;
                }
                self.process_ip(now, payload, cast, sockets)
            }
            _ => inner.counters.rx_unsupported += 1,
        }
    }

    /// RFC 826 with the RFC 1122 §2.3.2 and RFC 5227 refinements (C2).
    fn process_arp(&mut self, now: Instant, payload: &[u8], link_src: EthernetAddress) {
        let inner = &mut self.inner;
        inner.counters.arp_rx += 1;
        let repr = match ArpPacket::new_checked(payload).and_then(|p| ArpRepr::parse(&p)) {
            Ok(repr) => repr,
            Err(_) => {
                inner.counters.arp_rx_invalid += 1;
                return;
            }
        };
        let ArpRepr::EthernetIpv4 {
            operation,
            source_hardware_addr,
            source_protocol_addr,
            target_protocol_addr,
            ..
        } = repr;
        let _ = link_src;
        let sender = IpAddress::V4(source_protocol_addr);
        if inner.has_addr(sender) {
            // Someone claims our address: never cache our own IP (C2.4, RFC 5227).
            net_debug!(
                "arp: address conflict for {} from {}",
                source_protocol_addr,
                source_hardware_addr
            );
            inner.counters.arp_conflicts += 1;
            return;
        }
        let for_us = inner.has_addr(IpAddress::V4(target_protocol_addr));
        // Senders off our subnets, and the unspecified address of a probe, are never cached
        // (C2.5, C2.11); the cache itself refuses multicast MACs.
        let cacheable = !source_protocol_addr.is_unspecified()
            && inner
                .ipv4_addrs()
                .any(|c| c.contains_addr(&source_protocol_addr));
        if cacheable {
            let how = match (for_us, operation) {
                (true, ArpOperation::Reply) => NeighborFill::Confirmed,
                (true, _) => NeighborFill::Unconfirmed,
                (false, _) => NeighborFill::UpdateOnly,
            };
            if self.neighbors.fill(sender, source_hardware_addr, now, how) {
                inner.note_resolved(sender);
            }
        }
        if !for_us {
            inner.counters.arp_rx_not_for_us += 1;
            return;
        }
        if operation == ArpOperation::Request {
            let Some(our_mac) = inner.config.hardware_addr else {
                return;
            };
            inner.reply = PendingReply::Arp {
                repr: ArpRepr::EthernetIpv4 {
                    operation: ArpOperation::Reply,
                    source_hardware_addr: our_mac,
                    source_protocol_addr: target_protocol_addr,
                    target_hardware_addr: source_hardware_addr,
                    target_protocol_addr: source_protocol_addr,
                },
                dst: source_hardware_addr,
            };
        }
    }

    fn process_ip(
        &mut self,
        now: Instant,
        packet: &[u8],
        cast: LinkCast,
        sockets: &mut SocketSet<'_>,
    ) {
        match packet.first().map(|b| b >> 4) {
            Some(4) => self.process_ipv4(now, packet, cast, sockets),
            Some(6) => self.process_ipv6(now, packet, cast, sockets),
            _ => self.inner.counters.rx_unsupported += 1,
        }
    }

    fn process_ipv4(
        &mut self,
        now: Instant,
        packet: &[u8],
        cast: LinkCast,
        sockets: &mut SocketSet<'_>,
    ) {
        let Interface {
            inner,
            neighbors,
            reassembler,
        } = self;
        inner.counters.ipv4_rx += 1;
        let checksums = inner.caps.checksum;
        let view = match Ipv4Packet::new_checked(packet) {
            Ok(view) => view,
            Err(_) => {
                inner.counters.ipv4_bad_header += 1;
                return;
            }
        };
        let ip = match Ipv4Repr::parse(&view, &checksums) {
            Ok(ip) => ip,
            Err(Error::Checksum) => {
                inner.counters.ipv4_bad_checksum += 1;
                return;
            }
            Err(_) => {
                inner.counters.ipv4_bad_header += 1;
                return;
            }
        };
        // The view ends the payload at the total length: link padding is not payload (C1.4).
        let header = &packet[..view.header_len()];
        let payload = view.payload();
        let src = ip.src_addr;
        // C3.4: sources that cannot send.
        if src.is_multicast()
            || src.is_loopback()
            || src.is_broadcast()
            || src.octets()[0] >= 240
            || (src.is_unspecified() && ip.next_header != IpProtocol::Udp)
            || inner.ipv4_addrs().any(|c| c.broadcast() == Some(src))
        {
            inner.counters.ipv4_bad_src += 1;
            return;
        }
        let dst = ip.dst_addr;
        let dst_unicast = inner.has_addr(IpAddress::V4(dst));
        // C3.5: our unicast addresses, broadcast, and all-hosts (the only group we join).
        if !dst_unicast && !inner.is_broadcast_v4(dst) && dst != Ipv4Address::new(224, 0, 0, 1) {
            inner.counters.ipv4_not_for_us += 1;
            return;
        }
        let meta = IpMeta {
            cast,
            dst_unicast,
            first_fragment: ip.frag_offset == 0,
        };
        if ip.is_fragment() {
            inner.counters.ipv4_frags_rx += 1;
            let key = FragmentKey::V4 {
                src,
                dst,
                protocol: ip.next_header,
                ident: ip.ident,
            };
            match reassembler.add(
                key,
                usize::from(ip.frag_offset),
                ip.more_frags,
                payload,
                header,
                now,
            ) {
                Ok(Some(whole)) => {
                    inner.counters.ipv4_reassembled += 1;
                    let mut whole_ip = ip;
                    whole_ip.payload_len = whole.payload.len();
                    whole_ip.more_frags = false;
                    whole_ip.frag_offset = 0;
                    let meta = IpMeta {
                        first_fragment: true,
                        ..meta
                    };
                    // No raw-socket copy of reassembled datagrams: raw sockets see each
                    // fragment's packet as it came (below is not reached for fragments).
                    inner.process_transport(
                        now,
                        None,
                        sockets,
                        IpRepr::Ipv4(whole_ip),
                        meta,
                        whole.payload,
                        None,
                    );
                }
                Ok(None) => {}
                Err(_) => inner.counters.ipv4_reassembly_dropped += 1,
            }
            return;
        }
        inner.process_transport(
            now,
            Some(neighbors),
            sockets,
            IpRepr::Ipv4(ip),
            meta,
            payload,
            Some(&packet[..ip.total_len() as usize]),
        );
    }

    fn process_ipv6(
        &mut self,
        now: Instant,
        packet: &[u8],
        cast: LinkCast,
        sockets: &mut SocketSet<'_>,
    ) {
        let Interface {
            inner,
            neighbors,
            reassembler,
        } = self;
        inner.counters.ipv6_rx += 1;
        let Ok(view) = Ipv6Packet::new_checked(packet) else {
            inner.counters.ipv6_bad_header += 1;
            return;
        };
        let Ok(ip) = Ipv6Repr::parse(&view) else {
            inner.counters.ipv6_bad_header += 1;
            return;
        };
        let end = IPV6_HEADER_LEN + ip.payload_len;
        let Some(whole_packet) = packet.get(..end) else {
            inner.counters.ipv6_bad_header += 1;
            return;
        };
        let payload = &whole_packet[IPV6_HEADER_LEN..];
        if ip.src_addr.is_multicast() {
            inner.counters.ipv6_bad_src += 1;
            return;
        }
        let dst_unicast = inner.has_addr(IpAddress::V6(ip.dst_addr));
        if !dst_unicast && !inner.has_multicast_v6(ip.dst_addr) {
            inner.counters.ipv6_not_for_us += 1;
            return;
        }
        let meta = IpMeta {
            cast,
            dst_unicast,
            first_fragment: true,
        };
        let chain = match walk_ext_headers(ip.next_header, payload) {
            Ok(chain) => chain,
            Err(_) => {
                inner.counters.ipv6_bad_ext_header += 1;
                return;
            }
        };
        // C6.7, C6.8: act on options and routing headers.
        for step in chain.headers() {
            let verdict = match &step.header {
                Ipv6ExtHeaderRepr::HopByHop(opts) | Ipv6ExtHeaderRepr::DestinationOptions(opts) => {
                    check_options(
                        opts,
                        IPV6_HEADER_LEN + step.offset,
                        ip.dst_addr.is_multicast(),
                    )
                }
                Ipv6ExtHeaderRepr::Routing(r) if r.segments_left > 0 => {
                    // A host never forwards: Parameter Problem code 0 at the Routing Type.
                    OptionVerdict::ParamProblem(
                        Icmpv6ParamProblem::ErroneousHdrField,
                        IPV6_HEADER_LEN + step.offset + 2,
                    )
                }
                _ => OptionVerdict::Accept,
            };
            match verdict {
                OptionVerdict::Accept => {}
                OptionVerdict::Drop => {
                    inner.counters.ipv6_bad_ext_header += 1;
                    return;
                }
                OptionVerdict::ParamProblem(reason, pointer) => {
                    inner.counters.ipv6_bad_ext_header += 1;
                    // C8.4 exception: code 2 goes out even for multicast destinations.
                    let meta = if reason == Icmpv6ParamProblem::UnrecognizedOption {
                        IpMeta {
                            dst_unicast: true,
                            cast: LinkCast::Unicast,
                            ..meta
                        }
                    } else {
                        meta
                    };
                    inner.icmpv6_param_problem(now, &ip, meta, whole_packet, reason, pointer);
                    return;
                }
            }
        }
        let upper = &payload[chain.upper_layer_offset.min(payload.len())..];
        if let Some((_, frag)) = chain.fragment.filter(|(_, f)| !f.is_atomic()) {
            inner.counters.ipv6_frags_rx += 1;
            let key = FragmentKey::V6 {
                src: ip.src_addr,
                dst: ip.dst_addr,
                ident: frag.ident,
            };
            let header =
                &whole_packet[..IPV6_HEADER_LEN + chain.upper_layer_offset.min(payload.len())];
            match reassembler.add(
                key,
                usize::from(frag.frag_offset),
                frag.more_frags,
                upper,
                header,
                now,
            ) {
                Ok(Some(whole)) => {
                    inner.counters.ipv6_reassembled += 1;
                    // The fragmentable part may hold more extension headers (C7.1).
                    let Ok(rest) = walk_ext_headers(frag.next_header, whole.payload) else {
                        inner.counters.ipv6_bad_ext_header += 1;
                        return;
                    };
                    let Some(body) = whole.payload.get(rest.upper_layer_offset..) else {
                        return;
                    };
                    let mut whole_ip = ip;
                    whole_ip.next_header = rest.upper_layer;
                    whole_ip.payload_len = body.len();
                    // ND messages that arrive fragmented are ignored (C7.10): no cache.
                    inner.process_transport(
                        now,
                        None,
                        sockets,
                        IpRepr::Ipv6(whole_ip),
                        meta,
                        body,
                        None,
                    );
                }
                Ok(None) => {}
                Err(_) => inner.counters.ipv6_reassembly_dropped += 1,
            }
            return;
        }
        let mut upper_ip = ip;
        upper_ip.next_header = chain.upper_layer;
        upper_ip.payload_len = upper.len();
        let unknown_pointer = chain.upper_layer_pointer;
        if !matches!(
            chain.upper_layer,
            IpProtocol::Tcp | IpProtocol::Udp | IpProtocol::Icmpv6 | IpProtocol::Ipv6NoNxt
        ) && sockets
            .lookup(&DemuxKey::Raw {
                ipv6: true,
                protocol: chain.upper_layer,
            })
            .is_none()
        {
            // C6.6: unknown next header, Parameter Problem code 1 at the field naming it.
            inner.counters.ipv6_unknown_next_header += 1;
            inner.icmpv6_param_problem(
                now,
                &ip,
                meta,
                whole_packet,
                Icmpv6ParamProblem::UnrecognizedNxtHdr,
                unknown_pointer,
            );
            return;
        }
        inner.process_transport(
            now,
            Some(neighbors),
            sockets,
            IpRepr::Ipv6(upper_ip),
            meta,
            upper,
            Some(whole_packet),
        );
    }
}

/// Facts about how a packet arrived that decide whether an error may be sent.
#[derive(Debug, Clone, Copy)]
pub(super) struct IpMeta {
    cast: LinkCast,
    dst_unicast: bool,
    first_fragment: bool,
}

impl IpMeta {
    /// For errors about datagrams that timed out in reassembly: they came unicast to us
    /// (only those enter reassembly) and fragment 0 is what is quoted.
    pub(super) fn for_timeout() -> IpMeta {
        IpMeta {
            cast: LinkCast::Unicast,
            dst_unicast: true,
            first_fragment: true,
        }
    }
}

enum OptionVerdict {
    Accept,
    Drop,
    ParamProblem(Icmpv6ParamProblem, usize),
}

/// C6.7: the top two bits of an unknown option's type decide its fate. `base` is the
/// offset in the packet of the extension header (option offsets count from its start).
fn check_options(opts: &Ipv6OptionsRepr<'_>, base: usize, dst_multicast: bool) -> OptionVerdict {
    for item in Ipv6OptionsIter::new(opts.options) {
        let Ok((offset, option)) = item else {
            return OptionVerdict::Drop;
        };
        let Ipv6OptionRepr::Unknown { option_type, .. } = option else {
            continue;
        };
        match Ipv6OptionType::from(option_type).action() {
            Ipv6OptionAction::Skip => {}
            Ipv6OptionAction::Discard => return OptionVerdict::Drop,
            Ipv6OptionAction::DiscardSendIcmp => {
                return OptionVerdict::ParamProblem(
                    Icmpv6ParamProblem::UnrecognizedOption,
                    base + offset,
                );
            }
            Ipv6OptionAction::DiscardSendIcmpIfNotMulticast => {
                return if dst_multicast {
                    OptionVerdict::Drop
                } else {
                    OptionVerdict::ParamProblem(
                        Icmpv6ParamProblem::UnrecognizedOption,
                        base + offset,
                    )
                };
            }
        }
    }
    OptionVerdict::Accept
}

impl InterfaceInner<'_> {
    /// The transport layer of a packet that is for us. `packet` is the whole IP packet
    /// as received (for raw sockets and ICMP quotes); `None` for a reassembled datagram.
    #[allow(clippy::too_many_arguments)]
    fn process_transport(
        &mut self,
        now: Instant,
        neighbors: Option<&mut NeighborCache<'_>>,
        sockets: &mut SocketSet<'_>,
        ip: IpRepr,
        meta: IpMeta,
        payload: &[u8],
        packet: Option<&[u8]>,
    ) {
        let raw_key = DemuxKey::Raw {
            ipv6: matches!(ip, IpRepr::Ipv6(_)),
            protocol: ip.next_header(),
        };
        let mut raw_delivered = false;
        if let (Some(packet), Some(handle)) = (packet, sockets.lookup(&raw_key)) {
            if let Some(mut socket) = sockets.get_mut(handle) {
                if let Socket::Raw(raw) = &mut *socket {
                    raw.process(now, packet);
                    self.counters.raw_rx += 1;
                    raw_delivered = true;
                }
            }
        }
        match (ip, ip.next_header()) {
            (IpRepr::Ipv4(v4), IpProtocol::Icmp) => {
                self.process_icmpv4(now, sockets, &v4, meta, payload)
            }
            (IpRepr::Ipv6(v6), IpProtocol::Icmpv6) => {
                self.process_icmpv6(now, neighbors, sockets, &v6, meta, payload)
            }
            (_, IpProtocol::Udp) => self.process_udp(now, sockets, ip, meta, payload, packet),
            (_, IpProtocol::Tcp) => self.process_tcp(now, ip, meta, payload),
            (IpRepr::Ipv6(_), IpProtocol::Ipv6NoNxt) => {}
            (IpRepr::Ipv4(v4), _) if !raw_delivered => {
                // C3.15: Protocol Unreachable.
                self.counters.ipv4_unknown_protocol += 1;
                if let Some(packet) = packet {
                    self.icmpv4_error(
                        now,
                        &v4,
                        meta,
                        packet,
                        Icmpv4ErrorKind::Unreachable(Icmpv4DstUnreachable::ProtoUnreachable),
                    );
                }
            }
            _ => {}
        }
    }

    fn process_udp(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        ip: IpRepr,
        meta: IpMeta,
        payload: &[u8],
        packet: Option<&[u8]>,
    ) {
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let checksums = self.caps.checksum;
        let view = match UdpPacket::new_checked(payload) {
            Ok(view) => view,
            Err(_) => {
                self.counters.udp_bad_length += 1;
                return;
            }
        };
        let repr = match UdpRepr::parse(&view, &src, &dst, &checksums) {
            Ok(repr) => repr,
            Err(Error::Checksum) => {
                self.counters.udp_bad_checksum += 1;
                return;
            }
            Err(_) => {
                self.counters.udp_bad_length += 1;
                return;
            }
        };
        let exact = DemuxKey::Udp(IpListenEndpoint {
            addr: Some(dst),
            port: repr.dst_port,
        });
        let any = DemuxKey::Udp(IpListenEndpoint {
            addr: None,
            port: repr.dst_port,
        });
        let handle = sockets.lookup(&exact).or_else(|| sockets.lookup(&any));
        if let Some(mut socket) = handle.and_then(|h| sockets.get_mut(h)) {
            if let Socket::Udp(udp) = &mut *socket {
                let meta = crate::socket::udp::UdpMetadata {
                    remote: core::net::SocketAddr::new(src, repr.src_port),
                    local_addr: Some(dst),
                    hop_limit: None,
                };
                udp.process(now, meta, view.payload());
                self.counters.udp_rx += 1;
                return;
            }
        }
        // D1.5: nobody listens. Port unreachable, within the C5.3/C8.4 rules.
        self.counters.udp_no_socket += 1;
        let Some(packet) = packet else { return };
        match ip {
            IpRepr::Ipv4(v4) => self.icmpv4_error(
                now,
                &v4,
                meta,
                packet,
                Icmpv4ErrorKind::Unreachable(Icmpv4DstUnreachable::PortUnreachable),
            ),
            IpRepr::Ipv6(v6) => self.icmpv6_error(
                now,
                &v6,
                meta,
                packet,
                Icmpv6ErrorKind::Unreachable(Icmpv6DstUnreachable::PortUnreachable),
            ),
        }
    }

    /// With no TCP socket yet listening anywhere, every segment is answered as RFC 9293
    /// §3.10.7.1 says for CLOSED: a RST unless it is one.
    fn process_tcp(&mut self, _now: Instant, ip: IpRepr, meta: IpMeta, payload: &[u8]) {
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let checksums = self.caps.checksum;
        let Ok(view) = TcpPacket::new_checked(payload) else {
            self.counters.tcp_bad_header += 1;
            return;
        };
        let repr = match TcpRepr::parse(&view, &src, &dst, &checksums) {
            Ok(repr) => repr,
            Err(Error::Checksum) => {
                self.counters.tcp_bad_checksum += 1;
                return;
            }
            Err(_) => {
                self.counters.tcp_bad_header += 1;
                return;
            }
        };
        self.counters.tcp_rx_no_socket += 1;
        if repr.flags.contains(TcpFlags::RST) || !meta.dst_unicast {
            return;
        }
        let (seq, ack, flags) = match repr.ack_number {
            Some(ack) => (ack, None, TcpFlags::RST),
            None => (
                SeqNumber(0),
                Some(repr.seq_number + repr.segment_len()),
                TcpFlags::RST | TcpFlags::ACK,
            ),
        };
        let rst = TcpRepr {
            src_port: repr.dst_port,
            dst_port: repr.src_port,
            flags,
            seq_number: seq,
            ack_number: ack,
            window_len: 0,
            window_scale: None,
            max_seg_size: None,
            sack_permitted: false,
            sack_ranges: [None; 4],
            timestamp: None,
            urgent_pointer: 0,
            payload: &[],
        };
        let Some(reply_ip) = self.reply_ip(dst, src, IpProtocol::Tcp, rst.buffer_len()) else {
            return;
        };
        let tx_caps = self.caps.checksum;
        self.build_reply(reply_ip, |buf| {
            rst.emit(&mut TcpPacket::new_unchecked(buf), &dst, &src, &tx_caps);
        });
        self.counters.tcp_tx_rst += 1;
    }

    fn process_icmpv4(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        ip: &Ipv4Repr,
        meta: IpMeta,
        payload: &[u8],
    ) {
        self.counters.icmpv4_rx += 1;
        let checksums = self.caps.checksum;
        let repr = match Icmpv4Packet::new_checked(payload)
            .and_then(|p| Icmpv4Repr::parse(&p, &checksums))
        {
            Ok(repr) => repr,
            Err(Error::Checksum) => {
                self.counters.icmpv4_bad_checksum += 1;
                return;
            }
            Err(_) => {
                // Unknown and deprecated types are silently discarded (C5.1, C5.10).
                self.counters.icmpv4_rx_invalid += 1;
                return;
            }
        };
        match repr {
            Icmpv4Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                if !meta.dst_unicast && !self.config.answer_broadcast_echo {
                    return;
                }
                // C5.9: from the address the request went to; data unchanged.
                let src = if meta.dst_unicast {
                    IpAddress::V4(ip.dst_addr)
                } else {
                    match self.select_source(IpAddress::V4(ip.src_addr)) {
                        Some(a) => a,
                        None => return,
                    }
                };
                let reply = Icmpv4Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                let Some(reply_ip) = self.reply_ip(
                    src,
                    IpAddress::V4(ip.src_addr),
                    IpProtocol::Icmp,
                    reply.buffer_len(),
                ) else {
                    return;
                };
                let tx_caps = self.caps.checksum;
                self.build_reply(reply_ip, |buf| {
                    reply.emit(&mut Icmpv4Packet::new_unchecked(buf), &tx_caps)
                });
                self.counters.icmpv4_echo_replies += 1;
            }
            Icmpv4Repr::EchoReply { ident, .. } => {
                deliver_icmp(sockets, now, ident, IpAddress::V4(ip.src_addr), payload);
            }
            Icmpv4Repr::DstUnreachable { header, data, .. }
            | Icmpv4Repr::TimeExceeded { header, data, .. }
            | Icmpv4Repr::ParamProblem { header, data, .. } => {
                // C5.4: errors go to the transport named in the quoted header.
                self.counters.icmpv4_errors_rx += 1;
                let quoted = (
                    IpAddress::V4(header.src_addr),
                    IpAddress::V4(header.dst_addr),
                    header.next_header,
                );
                deliver_udp_error(sockets, IpAddress::V4(ip.src_addr), quoted, data, payload);
            }
        }
    }

    fn process_icmpv6(
        &mut self,
        now: Instant,
        neighbors: Option<&mut NeighborCache<'_>>,
        sockets: &mut SocketSet<'_>,
        ip: &Ipv6Repr,
        meta: IpMeta,
        payload: &[u8],
    ) {
        self.counters.icmpv6_rx += 1;
        let checksums = self.caps.checksum;
        let repr = match Icmpv6Packet::new_checked(payload)
            .and_then(|p| Icmpv6Repr::parse(&ip.src_addr, &ip.dst_addr, &p, &checksums))
        {
            Ok(repr) => repr,
            Err(Error::Checksum) => {
                self.counters.icmpv6_bad_checksum += 1;
                return;
            }
            Err(_) => {
                self.counters.icmpv6_rx_invalid += 1;
                return;
            }
        };
        match repr {
            Icmpv6Repr::EchoRequest {
                ident,
                seq_no,
                data,
            } => {
                // C8.9: answer unicast from that address, multicast from one of ours.
                let src = if meta.dst_unicast {
                    IpAddress::V6(ip.dst_addr)
                } else {
                    match self.select_source(IpAddress::V6(ip.src_addr)) {
                        Some(a) => a,
                        None => return,
                    }
                };
                let reply = Icmpv6Repr::EchoReply {
                    ident,
                    seq_no,
                    data,
                };
                self.send_icmpv6_reply(src, ip.src_addr, reply);
                self.counters.icmpv6_echo_replies += 1;
            }
            Icmpv6Repr::EchoReply { ident, .. } => {
                deliver_icmp(sockets, now, ident, IpAddress::V6(ip.src_addr), payload);
            }
            Icmpv6Repr::Ndisc(ndisc) => match neighbors {
                Some(neighbors) => self.process_ndisc(now, neighbors, ip, ndisc),
                None => self.counters.ndp_rx_invalid += 1,
            },
            Icmpv6Repr::DstUnreachable { header, data, .. }
            | Icmpv6Repr::PktTooBig { header, data, .. }
            | Icmpv6Repr::TimeExceeded { header, data, .. }
            | Icmpv6Repr::ParamProblem { header, data, .. } => {
                self.counters.icmpv6_errors_rx += 1;
                let quoted = (
                    IpAddress::V6(header.src_addr),
                    IpAddress::V6(header.dst_addr),
                    header.next_header,
                );
                deliver_udp_error(sockets, IpAddress::V6(ip.src_addr), quoted, data, payload);
            }
            _ => self.counters.icmpv6_errors_rx += 1,
        }
    }

    /// RFC 4861 §7.1 validation (C9.1) and §7.2 handling, host side.
    fn process_ndisc(
        &mut self,
        now: Instant,
        neighbors: &mut NeighborCache<'_>,
        ip: &Ipv6Repr,
        ndisc: NdiscRepr<'_>,
    ) {
        if ip.hop_limit != NDISC_HOP_LIMIT {
            self.counters.ndp_rx_invalid += 1;
            return;
        }
        let src = IpAddress::V6(ip.src_addr);
        match ndisc {
            NdiscRepr::NeighborSolicit {
                target_addr,
                lladdr,
            } => {
                if ip.src_addr.is_unspecified()
                    && (lladdr.is_some() || !ip.dst_addr.is_solicited_node_multicast())
                {
                    self.counters.ndp_rx_invalid += 1; // C9.2
                    return;
                }
                if !self.has_addr(IpAddress::V6(target_addr)) {
                    return;
                }
                if let Some(ll) = lladdr {
                    if neighbors.fill(src, EthernetAddress(ll.0), now, NeighborFill::Unconfirmed) {
                        self.note_resolved(src);
                    }
                }
                let Some(mac) = self.config.hardware_addr else {
                    return;
                };
                let (dst, solicited) = if ip.src_addr.is_unspecified() {
                    (IPV6_LINK_LOCAL_ALL_NODES, false)
                } else {
                    (ip.src_addr, true)
                };
                let mut flags = NdiscNeighborFlags::OVERRIDE;
                if solicited {
                    flags |= NdiscNeighborFlags::SOLICITED;
                }
                let advert = Icmpv6Repr::Ndisc(NdiscRepr::NeighborAdvert {
                    flags,
                    target_addr,
                    lladdr: Some(NdiscLinkLayerAddress(mac.0)),
                });
                self.send_icmpv6_reply(IpAddress::V6(target_addr), dst, advert);
                self.counters.ndp_tx_advertisements += 1;
            }
            NdiscRepr::NeighborAdvert {
                flags,
                target_addr,
                lladdr,
            } => {
                if ip.dst_addr.is_multicast() && flags.contains(NdiscNeighborFlags::SOLICITED) {
                    self.counters.ndp_rx_invalid += 1; // C9.2
                    return;
                }
                let target = IpAddress::V6(target_addr);
                let tlla = lladdr.map(|l| EthernetAddress(l.0));
                if neighbors.handle_na(
                    target,
                    tlla,
                    flags.contains(NdiscNeighborFlags::SOLICITED),
                    flags.contains(NdiscNeighborFlags::OVERRIDE),
                    now,
                ) {
                    self.note_resolved(target);
                }
            }
            NdiscRepr::RouterAdvert { lladdr, .. } => {
                // C9.3: only from link-local sources. skiff learns the router's address;
                // prefixes and default routes from RAs are configured by the user.
                if !ip.src_addr.is_link_local() {
                    self.counters.ndp_rx_invalid += 1;
                    return;
                }
                if let Some(ll) = lladdr {
                    if neighbors.fill(src, EthernetAddress(ll.0), now, NeighborFill::Unconfirmed) {
                        self.note_resolved(src);
                    }
                }
            }
            // Hosts ignore solicitations for routers; redirects are ignored by policy (C5.6).
            NdiscRepr::RouterSolicit { .. } | NdiscRepr::Redirect { .. } => {}
        }
    }
}

/// Hands an ICMP error about a UDP datagram we sent to the socket that sent it (D1.6,
/// RFC 1122 §4.1.3.3): the quoted header names our address and the quoted UDP header our
/// port. `message` is the whole ICMP message, for its type and code.
fn deliver_udp_error(
    sockets: &mut SocketSet<'_>,
    from: IpAddress,
    (local, remote, protocol): (IpAddress, IpAddress, IpProtocol),
    quoted_data: &[u8],
    message: &[u8],
) {
    let (Some(ports), Some(kind)) = (quoted_data.get(..4), message.get(..2)) else {
        return;
    };
    if protocol != IpProtocol::Udp {
        return;
    }
    let local_port = u16::from_be_bytes([ports[0], ports[1]]);
    let remote_port = u16::from_be_bytes([ports[2], ports[3]]);
    let exact = DemuxKey::Udp(IpListenEndpoint {
        addr: Some(local),
        port: local_port,
    });
    let any = DemuxKey::Udp(IpListenEndpoint {
        addr: None,
        port: local_port,
    });
    let Some(handle) = sockets.lookup(&exact).or_else(|| sockets.lookup(&any)) else {
        return;
    };
    if let Some(mut socket) = sockets.get_mut(handle) {
        if let Socket::Udp(udp) = &mut *socket {
            udp.process_error(crate::socket::IcmpErrorReport {
                from,
                remote: core::net::SocketAddr::new(remote, remote_port),
                icmp_type: kind[0],
                icmp_code: kind[1],
            });
        }
    }
}

/// Hands an echo reply to the ICMP socket bound to its identifier.
fn deliver_icmp(
    sockets: &mut SocketSet<'_>,
    now: Instant,
    ident: u16,
    src: IpAddress,
    message: &[u8],
) {
    if let Some(mut socket) = sockets
        .lookup(&DemuxKey::IcmpIdent(ident))
        .and_then(|h| sockets.get_mut(h))
    {
        if let Socket::Icmp(icmp) = &mut *socket {
            icmp.process(now, src, message);
        }
    }
}

/// Which ICMPv4 error to send.
#[derive(Debug, Clone, Copy)]
pub(super) enum Icmpv4ErrorKind {
    Unreachable(Icmpv4DstUnreachable),
    TimeExceeded(Icmpv4TimeExceeded),
}

/// Which ICMPv6 error to send.
#[derive(Debug, Clone, Copy)]
pub(super) enum Icmpv6ErrorKind {
    Unreachable(Icmpv6DstUnreachable),
    TimeExceeded(Icmpv6TimeExceeded),
    ParamProblem(Icmpv6ParamProblem, u32),
}

impl InterfaceInner<'_> {
    /// C5.3: whether an ICMPv4 error may answer this datagram, then the rate limit.
    fn icmpv4_error_allowed(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        meta: IpMeta,
        is_icmp_error: bool,
    ) -> bool {
        let src = ip.src_addr;
        let forbidden = is_icmp_error
            || !meta.dst_unicast
            || meta.cast != LinkCast::Unicast
            || !meta.first_fragment
            || src.is_unspecified()
            || src.is_loopback()
            || src.is_broadcast()
            || src.is_multicast()
            || src.octets()[0] >= 240;
        if forbidden {
            self.counters.icmpv4_errors_suppressed += 1;
            return false;
        }
        if !self.icmp_tokens.take(now) {
            self.counters.icmpv4_errors_rate_limited += 1;
            return false;
        }
        true
    }

    /// Builds an ICMPv4 error quoting `packet` (as received, C5.2: the header and as much
    /// data as fits in 576 bytes, sized from the bytes present).
    pub(super) fn icmpv4_error(
        &mut self,
        now: Instant,
        ip: &Ipv4Repr,
        meta: IpMeta,
        packet: &[u8],
        kind: Icmpv4ErrorKind,
    ) {
        let is_icmp_error = ip.next_header == IpProtocol::Icmp && {
            let body = packet.get(ip.buffer_len()..).unwrap_or(&[]);
            body.first().is_some_and(|t| !matches!(t, 0 | 8 | 13 | 14))
        };
        if !self.icmpv4_error_allowed(now, ip, meta, is_icmp_error) {
            return;
        }
        let header_len = ip.buffer_len();
        let room = ICMPV4_ERROR_MAX_LEN - 20 - ICMPV4_HEADER_LEN - header_len;
        let data = packet.get(header_len..).unwrap_or(&[]);
        let data = &data[..data.len().min(room)];
        let repr = match kind {
            Icmpv4ErrorKind::Unreachable(reason) => Icmpv4Repr::DstUnreachable {
                reason,
                next_hop_mtu: 0,
                header: *ip,
                data,
            },
            Icmpv4ErrorKind::TimeExceeded(reason) => Icmpv4Repr::TimeExceeded {
                reason,
                header: *ip,
                data,
            },
        };
        // C10 of C8 mirrored for v4: from the address the datagram went to.
        let src = IpAddress::V4(ip.dst_addr);
        let Some(reply_ip) = self.reply_ip(
            src,
            IpAddress::V4(ip.src_addr),
            IpProtocol::Icmp,
            repr.buffer_len(),
        ) else {
            return;
        };
        let tx_caps = self.caps.checksum;
        self.build_reply(reply_ip, |buf| {
            repr.emit(&mut Icmpv4Packet::new_unchecked(buf), &tx_caps)
        });
        self.counters.icmpv4_errors_tx += 1;
    }

    /// C8.4: whether an ICMPv6 error may answer this packet, then the rate limit (C8.5).
    pub(super) fn icmpv6_error(
        &mut self,
        now: Instant,
        ip: &Ipv6Repr,
        meta: IpMeta,
        packet: &[u8],
        kind: Icmpv6ErrorKind,
    ) {
        let body = packet.get(IPV6_HEADER_LEN..).unwrap_or(&[]);
        // C8.4 e.1/e.2: look past any extension headers for the ICMPv6 type.
        let is_icmp_error_or_redirect = walk_ext_headers(ip.next_header, body)
            .ok()
            .filter(|chain| chain.upper_layer == IpProtocol::Icmpv6)
            .and_then(|chain| body.get(chain.upper_layer_offset))
            .is_some_and(|t| *t < 128 || *t == 137);
        let src = ip.src_addr;
        if is_icmp_error_or_redirect
            || !meta.dst_unicast
            || meta.cast != LinkCast::Unicast
            || src.is_unspecified()
            || src.is_multicast()
        {
            self.counters.icmpv6_errors_suppressed += 1;
            return;
        }
        if !self.icmp_tokens.take(now) {
            self.counters.icmpv6_errors_rate_limited += 1;
            return;
        }
        // C8.3: quote as much as fits in 1280 bytes.
        let room = IPV6_MIN_MTU - IPV6_HEADER_LEN - 8 - IPV6_HEADER_LEN;
        let data = &body[..body.len().min(room)];
        let header = *ip;
        let repr = match kind {
            Icmpv6ErrorKind::Unreachable(reason) => Icmpv6Repr::DstUnreachable {
                reason,
                header,
                data,
            },
            Icmpv6ErrorKind::TimeExceeded(reason) => Icmpv6Repr::TimeExceeded {
                reason,
                header,
                data,
            },
            Icmpv6ErrorKind::ParamProblem(reason, pointer) => Icmpv6Repr::ParamProblem {
                reason,
                pointer,
                header,
                data,
            },
        };
        // C8.10: from the address the packet went to when it was ours, and never from a
        // multicast group (the code 2 exception for multicast destinations comes here
        // with `dst_unicast` forced on).
        let reply_src = if self.has_addr(IpAddress::V6(ip.dst_addr)) {
            Some(IpAddress::V6(ip.dst_addr))
        } else {
            self.select_source(IpAddress::V6(src))
        };
        let Some(reply_src) = reply_src else { return };
        self.send_icmpv6_reply(reply_src, src, repr);
        self.counters.icmpv6_errors_tx += 1;
    }

    fn icmpv6_param_problem(
        &mut self,
        now: Instant,
        ip: &Ipv6Repr,
        meta: IpMeta,
        packet: &[u8],
        reason: Icmpv6ParamProblem,
        pointer: usize,
    ) {
        let pointer = u32::try_from(pointer).unwrap_or(u32::MAX);
        self.icmpv6_error(
            now,
            ip,
            meta,
            packet,
            Icmpv6ErrorKind::ParamProblem(reason, pointer),
        );
    }

    /// Builds an ICMPv6 message as the pending reply (the checksum needs both addresses).
    fn send_icmpv6_reply(&mut self, src: IpAddress, dst: Ipv6Address, repr: Icmpv6Repr<'_>) {
        let IpAddress::V6(src6) = src else { return };
        let hop_limit = if matches!(repr, Icmpv6Repr::Ndisc(_)) {
            NDISC_HOP_LIMIT
        } else {
            self.config.hop_limit
        };
        let ip = IpRepr::Ipv6(Ipv6Repr {
            src_addr: src6,
            dst_addr: dst,
            next_header: IpProtocol::Icmpv6,
            payload_len: repr.buffer_len(),
            hop_limit,
            traffic_class: 0,
            flow_label: 0,
        });
        let tx_caps = self.caps.checksum;
        self.build_reply(ip, |buf| {
            repr.emit(&src6, &dst, &mut Icmpv6Packet::new_unchecked(buf), &tx_caps)
        });
    }
}
