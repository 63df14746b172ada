//! Path MTU discovery for TCP (RFC 1191 for IPv4, RFC 8201 for IPv6; CONFORMANCE B7).
//!
//! Every IPv4 segment leaves with DF set (B7.1, in the interface's egress). A validated
//! Fragmentation Needed or Packet Too Big (the interface found the connection by the
//! quoted 4-tuple, and the quoted sequence number is in `[SND.UNA, SND.MAX)`: RFC 5927
//! §4.1, B7.2) lowers this connection's path MSS; one that would raise it is ignored
//! (B7.3). The estimate is per connection, so there is no cache to bound (B7.9): the
//! socket holds one number.
//!
//! - Floors: IPv6 never below 1280 (RFC 8201 §4; a smaller report still means 1280 and
//!   no atomic fragments, B7.8); IPv4 at least 68 (B7.3) and, like Linux's minimum send
//!   MSS, never a payload under 88 bytes, so a forged report cannot make the connection
//!   send a segment per handful of bytes.
//! - A report of 0 (a router older than RFC 1191) steps down the RFC 1191 §7 plateau
//!   table from the size we sent (B7.4).
//! - Not congestion (B7.6): cwnd, ssthresh and the RTO stay (before the first ACK of
//!   data the initial window is, as always, RFC 6928's for the MSS now in use). What is in flight was
//!   dropped, so unless loss recovery is running it is resent at once, re-segmented to
//!   the new size, by going back to SND.UNA (as Linux's "simple retransmit" does); in
//!   recovery the retransmissions recovery makes are already cut to the new size.
//! - Aging (B7.5): ten minutes after the last report the interface's MSS is tried again.

use super::congestion::CongestionControl;
use super::{Socket, timer::Timer};
use crate::time::{Duration, Instant};
use crate::wire::IpAddress;

/// How long a lowered estimate holds before the larger one is tried again (RFC 1191 §6.3
/// suggests 10 minutes, and not less than 5 after the last report).
pub(crate) const PMTU_AGE: Duration = Duration::from_secs(600);

/// RFC 1191 §7's plateau table (the values below 68 dropped).
const PLATEAUS: [u32; 9] = [32_000, 17_914, 8_166, 4_352, 2_002, 1_492, 1_006, 508, 296];

/// The smallest payload a Packet Too Big can make us send (Linux's `tcp_min_snd_mss`
/// is 48; RFC 1191's 68-byte IPv4 floor would allow 28).
const MIN_PATH_MSS: usize = 88;

/// The IP and TCP header bytes that come off the path MTU to give the MSS.
fn headers(remote: IpAddress) -> usize {
    match remote {
        IpAddress::V4(_) => 20 + 20,
        IpAddress::V6(_) => 40 + 20,
    }
}

impl Socket<'_> {
    /// A validated Fragmentation Needed / Packet Too Big reporting `mtu` (0 when the
    /// router did not say) for this connection's path.
    pub(super) fn on_packet_too_big(&mut self, now: Instant, remote: IpAddress, mtu: u32) {
        let hdrs = headers(remote);
        let mtu = match (remote, mtu) {
            // B7.4: the next plateau below what we sent.
            (IpAddress::V4(_), 0) => {
                let sent = (self.path_mss + hdrs) as u32;
                PLATEAUS.into_iter().find(|&p| p < sent).unwrap_or(68)
            }
            (IpAddress::V4(_), mtu) => mtu.max(68),
            // B7.8: never below the IPv6 minimum link MTU.
            (IpAddress::V6(_), mtu) => mtu.max(1280),
        };
        let mss = (mtu as usize).saturating_sub(hdrs).max(MIN_PATH_MSS);
        if mss >= self.path_mss {
            return; // B7.3: never raises.
        }
        self.path_mss = mss;
        self.pmtu_lowered_at = Some(now);
        self.counters.path_mtu_lowered = self.counters.path_mtu_lowered.wrapping_add(1);
        // The new step size only: `set_mss` leaves cwnd in bytes as it is (B7.6).
        self.cc.set_mss(self.send_mss());
        let in_recovery = self.cc.in_recovery() || !self.sack.scoreboard().is_empty();
        if self.snd_nxt != self.snd_una && !in_recovery {
            // Resend what was dropped now, cut to the new size; no backoff, no sample
            // from the resent segments (Karn).
            self.snd_nxt = self.snd_una;
            self.rtt_probe = None;
            let rto = self.rtt.rto();
            self.timers.set(Timer::Retransmit, now.saturating_add(rto));
        }
    }

    /// B7.5: after `PMTU_AGE` without a report, tries the interface's MSS again (a
    /// larger path is found by the absence of reports; a smaller one reports again).
    pub(super) fn age_path_mtu(&mut self, now: Instant) {
        if let Some(at) = self.pmtu_lowered_at {
            if now >= at.saturating_add(PMTU_AGE) {
                self.pmtu_lowered_at = None;
                self.path_mss = self.iface_mss;
                self.cc.set_mss(self.send_mss());
            }
        }
    }

    /// The path MSS now in use: the interface's, or less after a Packet Too Big.
    pub fn path_mss(&self) -> usize {
        self.path_mss
    }
}
