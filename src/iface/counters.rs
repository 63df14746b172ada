//! Interface counters, in the spirit of `netstat -s`: every packet the interface drops
//! increments exactly one named reason (DESIGN rule 7), next to per-protocol in/out
//! totals. Counters are plain `u64`s that wrap only after centuries of traffic.

use core::fmt;

macro_rules! counters {
    ($( $(#[$doc:meta])* $group:literal $name:ident ),+ $(,)?) => {
        /// Per-protocol totals and per-reason drop counts of one interface.
        #[derive(Debug, Clone, Default, PartialEq, Eq)]
        #[non_exhaustive]
        pub struct Counters {
            $( $(#[$doc])* pub $name: u64, )+
        }

        impl Counters {
            /// Every counter as `(group, name, value)`, in declaration order.
            pub fn iter(&self) -> impl Iterator<Item = (&'static str, &'static str, u64)> + '_ {
                [$( ($group, stringify!($name), self.$name) ),+].into_iter()
            }
        }
    };
}

counters! {
    /// Frames received from the device.
    "link" rx_frames,
    /// Frames handed to the device.
    "link" tx_frames,
    /// Frames too short for their link header.
    "link" rx_truncated,
    /// Frames addressed to another host's MAC address (C1.2).
    "link" rx_not_for_us,
    /// Frames from a multicast or broadcast source MAC (C1.3), or other bad link headers.
    "link" rx_bad_link_header,
    /// Frames of an EtherType skiff does not speak, 802.3 length frames (C1.1).
    "link" rx_unsupported,
    /// Polls that took their whole frame budget: more frames may be waiting in the
    /// device, and egress got its turn before them (a flood cannot starve egress).
    "link" rx_budget_exhausted,
    /// ARP packets received.
    "arp" arp_rx,
    /// ARP packets dropped as invalid or unsupported (C2.1).
    "arp" arp_rx_invalid,
    /// ARP requests for another host's address.
    "arp" arp_rx_not_for_us,
    /// ARP packets claiming one of our addresses (conflict, C2.4).
    "arp" arp_conflicts,
    /// ARP requests sent.
    "arp" arp_tx_requests,
    /// ARP replies sent.
    "arp" arp_tx_replies,
    /// IPv4 packets received.
    "ipv4" ipv4_rx,
    /// IPv4 packets sent (fragments count one each).
    "ipv4" ipv4_tx,
    /// IPv4 headers with a bad checksum (C3.3).
    "ipv4" ipv4_bad_checksum,
    /// IPv4 headers that are truncated or malformed (C3.2, C3.9).
    "ipv4" ipv4_bad_header,
    /// IPv4 packets from a source that cannot send (C3.4).
    "ipv4" ipv4_bad_src,
    /// IPv4 packets addressed elsewhere (C3.5).
    "ipv4" ipv4_not_for_us,
    /// IPv4 packets of a protocol nobody handles (C3.15).
    "ipv4" ipv4_unknown_protocol,
    /// IPv4 fragments received.
    "ipv4" ipv4_frags_rx,
    /// IPv4 datagrams reassembled.
    "ipv4" ipv4_reassembled,
    /// IPv4 fragments dropped by reassembly (overlap, bounds, poisoned datagram).
    "ipv4" ipv4_reassembly_dropped,
    /// IPv4 fragments created on egress.
    "ipv4" ipv4_frags_tx,
    /// IPv4 datagrams too big for the MTU with DF set, or too big to fragment.
    "ipv4" ipv4_tx_too_big,
    /// IPv6 packets received.
    "ipv6" ipv6_rx,
    /// IPv6 packets sent.
    "ipv6" ipv6_tx,
    /// IPv6 headers that are truncated or malformed (C6.1).
    "ipv6" ipv6_bad_header,
    /// IPv6 packets from a multicast source (C6.3).
    "ipv6" ipv6_bad_src,
    /// IPv6 packets addressed elsewhere (C6.2).
    "ipv6" ipv6_not_for_us,
    /// IPv6 packets dropped in the extension-header chain (C6.4-C6.8).
    "ipv6" ipv6_bad_ext_header,
    /// IPv6 packets with an unknown next header (C6.6).
    "ipv6" ipv6_unknown_next_header,
    /// IPv6 fragments received.
    "ipv6" ipv6_frags_rx,
    /// IPv6 datagrams reassembled.
    "ipv6" ipv6_reassembled,
    /// IPv6 fragments dropped by reassembly.
    "ipv6" ipv6_reassembly_dropped,
    /// IPv6 fragments created on egress.
    "ipv6" ipv6_frags_tx,
    /// IPv6 packets too big for the MTU.
    "ipv6" ipv6_tx_too_big,
    /// Datagrams dropped when reassembly timed out (C4.4, C7.4).
    "reassembly" reassembly_timeouts,
    /// Partial datagrams evicted to make room (C4.8).
    "reassembly" reassembly_evicted,
    /// ICMPv4 messages received.
    "icmpv4" icmpv4_rx,
    /// ICMPv4 messages sent.
    "icmpv4" icmpv4_tx,
    /// ICMPv4 messages with a bad checksum (C5.1).
    "icmpv4" icmpv4_bad_checksum,
    /// ICMPv4 messages of an unknown or unsupported type, or malformed (C5.1).
    "icmpv4" icmpv4_rx_invalid,
    /// ICMPv4 echo requests answered.
    "icmpv4" icmpv4_echo_replies,
    /// ICMPv4 errors received and passed up (C5.4).
    "icmpv4" icmpv4_errors_rx,
    /// ICMPv4 errors sent.
    "icmpv4" icmpv4_errors_tx,
    /// ICMPv4 errors held back by the rate limit (C5.11).
    "icmpv4" icmpv4_errors_rate_limited,
    /// ICMPv4 errors not sent because the rules forbid it (C5.3).
    "icmpv4" icmpv4_errors_suppressed,
    /// ICMPv6 messages received.
    "icmpv6" icmpv6_rx,
    /// ICMPv6 messages sent.
    "icmpv6" icmpv6_tx,
    /// ICMPv6 messages with a bad checksum (C8.1).
    "icmpv6" icmpv6_bad_checksum,
    /// ICMPv6 messages of an unknown type, or malformed (C8.2).
    "icmpv6" icmpv6_rx_invalid,
    /// ICMPv6 echo requests answered.
    "icmpv6" icmpv6_echo_replies,
    /// ICMPv6 errors received and passed up.
    "icmpv6" icmpv6_errors_rx,
    /// ICMPv6 errors sent.
    "icmpv6" icmpv6_errors_tx,
    /// ICMPv6 errors held back by the rate limit (C8.5).
    "icmpv6" icmpv6_errors_rate_limited,
    /// ICMPv6 errors not sent because the rules forbid it (C8.4).
    "icmpv6" icmpv6_errors_suppressed,
    /// Neighbour Discovery messages failing validation (C9.1).
    "ndp" ndp_rx_invalid,
    /// Neighbour solicitations sent.
    "ndp" ndp_tx_solicitations,
    /// Neighbour advertisements sent.
    "ndp" ndp_tx_advertisements,
    /// UDP datagrams received and delivered to a socket.
    "udp" udp_rx,
    /// UDP datagrams sent.
    "udp" udp_tx,
    /// UDP datagrams with a bad checksum (D1.3, D1.4).
    "udp" udp_bad_checksum,
    /// UDP datagrams with a bad length field (D1.1).
    "udp" udp_bad_length,
    /// UDP datagrams to a port no socket is bound to (D1.5).
    "udp" udp_no_socket,
    /// TCP segments with a truncated or malformed header.
    "tcp" tcp_bad_header,
    /// TCP segments with a bad checksum.
    "tcp" tcp_bad_checksum,
    /// TCP segments delivered to a socket.
    "tcp" tcp_rx,
    /// Of those, segments that header prediction recognised and delivered without the
    /// general parsers and demux (`Config::header_prediction`).
    "tcp" rx_predicted,
    /// TCP segments sent by sockets.
    "tcp" tcp_tx,
    /// Of those, segments built from the previous segment's header (`Config::fast_send`).
    "tcp" tx_templated,
    /// TCP segments for which no socket exists.
    "tcp" tcp_rx_no_socket,
    /// RSTs sent in answer to segments for no socket.
    "tcp" tcp_tx_rst,
    /// IP packets delivered to raw sockets.
    "raw" raw_rx,
    /// Packets waiting for address resolution, dropped because the queue was full.
    "neighbor" neighbor_queue_full,
    /// Packets dropped because resolution failed.
    "neighbor" neighbor_unresolved,
    /// Lookups refused because the neighbour cache was full of busy entries.
    "neighbor" neighbor_cache_full,
    /// Negative advice from TCP (RFC 9293 MUST-20, R1 reached) that started a unicast
    /// re-verification of the next hop ([`NeighborCache::reverify`](super::NeighborCache::reverify)).
    "neighbor" neighbor_reverified,
    /// Packets with no route to their destination.
    "egress" tx_no_route,
    /// Packets dropped because the device had no room (non-socket traffic only;
    /// socket data waits for the next poll instead).
    "egress" tx_device_full,
}

impl fmt::Display for Counters {
    /// Non-zero counters, one per line, grouped: `ipv4.bad_checksum 3`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (group, name, value) in self.iter() {
            if value != 0 {
                let short = name
                    .strip_prefix(group)
                    .and_then(|s| s.strip_prefix('_'))
                    .unwrap_or(name);
                writeln!(f, "{group}.{short} {value}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::string::ToString;

    #[test]
    fn display_lists_only_nonzero_counters_with_their_group() {
        let mut c = Counters::default();
        assert_eq!(c.to_string(), "");
        c.ipv4_bad_checksum = 3;
        c.udp_no_socket = 1;
        assert_eq!(c.to_string(), "ipv4.bad_checksum 3\nudp.no_socket 1\n");
    }
}
