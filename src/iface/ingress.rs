//! Ingress: one frame from the device down to a socket, or to the answer the RFCs
//! require (ARP reply, NA, echo reply, ICMP error, RST), or to a counted drop.

use super::icmp::{Icmpv4ErrorKind, Icmpv6ErrorKind};
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
        if self.inner.rx_hint.is_some() && self.process_predicted(now, frame, sockets) {
            return;
        }
        self.resync_deferred(sockets);
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

/// The outcome of a transport (or IPv4 header) parse, with the drop counted by reason:
/// a checksum failure in `bad_checksum`, anything else (truncated, malformed,
/// unsupported) in `malformed`.
pub(super) fn counted<T>(
    result: Result<T>,
    bad_checksum: &mut u64,
    malformed: &mut u64,
) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(Error::Checksum) => {
            *bad_checksum += 1;
            None
        }
        Err(_) => {
            *malformed += 1;
            None
        }
    }
}

/// Facts about how a packet arrived that decide whether an error may be sent.
#[derive(Debug, Clone, Copy)]
pub(super) struct IpMeta {
    pub(super) cast: LinkCast,
    pub(super) dst_unicast: bool,
    pub(super) first_fragment: bool,
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
            (_, IpProtocol::Tcp) => self.process_tcp(now, neighbors, sockets, ip, meta, payload),
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
        let c = &mut self.counters;
        let parsed = UdpPacket::new_checked(payload)
            .and_then(|view| UdpRepr::parse(&view, &src, &dst, &checksums).map(|r| (view, r)));
        let Some((view, repr)) = counted(parsed, &mut c.udp_bad_checksum, &mut c.udp_bad_length)
        else {
            return;
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
    fn process_tcp(
        &mut self,
        now: Instant,
        neighbors: Option<&mut NeighborCache<'_>>,
        sockets: &mut SocketSet<'_>,
        ip: IpRepr,
        meta: IpMeta,
        payload: &[u8],
    ) {
        let (src, dst) = (ip.src_addr(), ip.dst_addr());
        let checksums = self.caps.checksum;
        let c = &mut self.counters;
        let parsed = TcpPacket::new_checked(payload)
            .and_then(|view| TcpRepr::parse(&view, &src, &dst, &checksums));
        let Some(repr) = counted(parsed, &mut c.tcp_bad_checksum, &mut c.tcp_bad_header) else {
            return;
        };
        // Demux: the connection's 4-tuple first, then a listener on the exact address,
        // then one on any address. Segments to broadcast or multicast never reach TCP.
        if meta.dst_unicast {
            let local = core::net::SocketAddr::new(dst, repr.dst_port);
            let remote = core::net::SocketAddr::new(src, repr.src_port);
            let listener = |sockets: &mut SocketSet<'_>| {
                sockets
                    .lookup(&DemuxKey::TcpListen(IpListenEndpoint::from(local)))
                    .or_else(|| {
                        sockets.lookup(&DemuxKey::TcpListen(IpListenEndpoint::from(local.port())))
                    })
            };
            let connection = sockets.lookup(&DemuxKey::TcpConnection { local, remote });
            let mut handle = connection.or_else(|| listener(sockets));
            let mut neighbors = neighbors;
            // At most two rounds: a SYN that ended TIME-WAIT (SHLD-4) goes on to a
            // listener, which is never in TIME-WAIT.
            while let Some(h) = handle.take() {
                let Some(mut socket) = sockets.get_mut(h) else {
                    break;
                };
                let Socket::Tcp(tcp) = &mut *socket else {
                    break;
                };
                let ecn = ip.ecn();
                let reopened =
                    self.deliver_tcp(now, neighbors.as_deref_mut(), tcp, (src, dst, ecn), &repr);
                // The next segments of this connection are likely to look like this
                // one: predict them (`predict.rs`; the demux key it checks goes with
                // the connection's end).
                if self.config.header_prediction && connection == Some(h) && !reopened {
                    self.rx_hint = Some(super::predict::RxHint {
                        index: h.index(),
                        local,
                        remote,
                    });
                }
                // Dropping the guard removes the closed connection's demux key.
                drop(socket);
                if !reopened {
                    return;
                }
                handle = listener(sockets);
            }
        }
        self.counters.tcp_rx_no_socket += 1;
        if repr.flags.contains(TcpFlags::RST) || !meta.dst_unicast {
            return;
        }
        // CORE-7: the same RST a closed socket sends.
        let rst = crate::socket::tcp::rst_reply(&repr);
        self.send_tcp_reply(dst, src, &rst);
        self.counters.tcp_tx_rst += 1;
    }

    /// One segment into the TCP socket the demux chose (by the general path or by
    /// header prediction), with the IP ECN field `ecn`; the socket's immediate reply
    /// becomes the pending reply. `true` when a SYN ended the socket's TIME-WAIT
    /// (SHLD-4): the segment then goes on to a listener.
    pub(super) fn deliver_tcp(
        &mut self,
        now: Instant,
        neighbors: Option<&mut NeighborCache<'_>>,
        tcp: &mut crate::socket::tcp::Socket<'_>,
        (src, dst, ecn): (IpAddress, IpAddress, u8),
        repr: &TcpRepr<'_>,
    ) -> bool {
        self.counters.tcp_rx += 1;
        let cx = crate::socket::tcp::TcpContext {
            ecn,
            ..self.tcp_context(now, Some(src))
        };
        let unacked = tcp.send_queue();
        let time_wait = tcp.state() == crate::socket::tcp::State::TimeWait;
        let reply = tcp.process(&cx, src, dst, repr);
        self.prompt_answer |= tcp.owes_prompt_ack();
        // RFC 4861 §7.3.1 (C9.9): an ACK of new data is forward progress and confirms
        // the peer as a reachable neighbour, so that a bulk transfer is not held up by
        // probes that a lossy link may lose.
        if tcp.send_queue() < unacked {
            if let Some(neighbors) = neighbors {
                neighbors.confirm_reachable(src, now);
            }
        }
        if let Some(reply) = reply {
            self.send_tcp_reply(dst, src, &reply);
        }
        time_wait && tcp.state() == crate::socket::tcp::State::Closed
    }

    /// Builds an immediate TCP reply (RST, challenge ACK) from `src` to `dst` as the
    /// pending reply.
    fn send_tcp_reply(&mut self, src: IpAddress, dst: IpAddress, repr: &TcpRepr<'_>) {
        let Some(reply_ip) = self.reply_ip(src, dst, IpProtocol::Tcp, repr.buffer_len()) else {
            return;
        };
        let tx_caps = self.caps.checksum;
        self.build_reply(reply_ip, |buf| {
            repr.emit(&mut TcpPacket::new_unchecked(buf), &src, &dst, &tx_caps);
        });
        self.counters.tcp_tx += 1;
    }
}
