//! ICMP errors about our segments (RFC 9293 §3.9.1.4 and §3.10.7 footnotes, RFC 1122
//! §4.2.3.9, RFC 5927; CONFORMANCE MUST-47, MUST-54, MUST-56, SHLD-25, SHLD-26).
//!
//! The interface finds the connection by the quoted 4-tuple and passes the quoted
//! sequence number. An error is believed only if that number lies in
//! `[SND.UNA, SND.NXT)`, data we sent and have not seen acknowledged (RFC 5927 §4.1), so
//! a blind attacker has to guess the window as for a RST.
//!
//! Every believed error is a soft error, kept for the application
//! ([`Socket::take_soft_error`]) and never a reason to abort (MUST-56), with one
//! exception, the choice of RFC 5927 §4.2 (and Linux): a hard error during connection
//! setup (SYN-SENT) refuses the connection. Hard errors are IPv4 Destination Unreachable
//! codes 2 (protocol) and 3 (port), and ICMPv6 Destination Unreachable code 4 (port).
//! IPv4 code 4 (fragmentation needed) and ICMPv6 Packet Too Big also feed path MTU
//! discovery (`pmtu.rs`, CONFORMANCE B7).

use super::{CloseReason, Socket, State};
use crate::socket::IcmpErrorReport;
use crate::time::Instant;
use crate::wire::SeqNumber;

/// ICMPv4 Destination Unreachable.
const ICMPV4_UNREACHABLE: u8 = 3;
/// ICMPv6 Destination Unreachable.
const ICMPV6_UNREACHABLE: u8 = 1;

/// SHLD-26: whether an error says the peer cannot be reached at all.
fn is_hard(report: &IcmpErrorReport) -> bool {
    if report.remote.is_ipv4() {
        report.icmp_type == ICMPV4_UNREACHABLE && matches!(report.icmp_code, 2 | 3)
    } else {
        report.icmp_type == ICMPV6_UNREACHABLE && report.icmp_code == 4
    }
}

impl Socket<'_> {
    /// MUST-54: an ICMP error that quotes one of this connection's segments, starting at
    /// `seq`.
    pub(crate) fn process_icmp_error(
        &mut self,
        now: Instant,
        report: IcmpErrorReport,
        seq: SeqNumber,
    ) {
        let open = self.state == State::SynSent || self.state.is_synchronized();
        let sent_unacked = self.snd_una <= seq && seq < self.snd_max;
        if !open || !sent_unacked {
            self.counters.icmp_errors_ignored = self.counters.icmp_errors_ignored.wrapping_add(1);
            return;
        }
        self.counters.icmp_errors = self.counters.icmp_errors.wrapping_add(1);
        self.soft_error = Some(report);
        if let Some(mtu) = report.next_hop_mtu {
            self.on_packet_too_big(now, report.remote.ip(), mtu);
        }
        if self.state == State::SynSent && is_hard(&report) {
            self.enter_closed(Some(CloseReason::Refused));
        }
    }

    /// SHLD-25, MUST-47: the latest ICMP error about this connection's segments since the
    /// last call, if any (a soft error: the connection goes on, unless it was refused
    /// during setup). Checked after `Interface::poll`, like the other reports.
    pub fn take_soft_error(&mut self) -> Option<IcmpErrorReport> {
        self.soft_error.take()
    }
}
