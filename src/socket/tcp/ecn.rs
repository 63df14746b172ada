//! Explicit Congestion Notification for TCP, RFC 3168 §6.1 (CONFORMANCE SHLD-8).
//!
//! Negotiation rides on the handshake: an ECN-setup SYN carries ECE and CWR, an
//! ECN-setup SYN-ACK carries ECE alone (§6.1.1). Once agreed, new data goes out as
//! ECT(0); pure ACKs, retransmissions, probes and the handshake stay Not-ECT
//! (§6.1.4–§6.1.6). A receiver that sees Congestion Experienced sets ECE on every ACK
//! until a segment with CWR arrives (§6.1.3); a sender that hears ECE reduces its window
//! as for a loss, at most once per window of data, without retransmitting, and marks
//! the next new data segment CWR (§6.1.2).

use super::congestion::CongestionControl;
use super::{Socket, State};
use crate::wire::{SeqNumber, TcpFlags, TcpRepr};

/// IP ECN codepoints (RFC 3168 §5), the low two bits of the TOS / traffic class byte.
pub(crate) const NOT_ECT: u8 = 0b00;
/// ECT(0), what TCP data segments carry once ECN is agreed.
pub(crate) const ECT0: u8 = 0b10;
/// Congestion Experienced, set by a router instead of dropping.
pub(crate) const CE: u8 = 0b11;

/// Whether a connection uses ECN; a socket option (`TcpConfig::ecn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum EcnMode {
    /// Never: SYNs go out without ECE/CWR and an ECN-setup SYN gets a plain SYN-ACK.
    Off,
    /// Agree when the peer asks (an ECN-setup SYN), never ask: Linux's default
    /// (`net.ipv4.tcp_ecn = 2`). The default here too.
    #[default]
    Accept,
    /// Ask on an active open and agree when asked.
    Request,
}

/// Per-connection ECN state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct EcnState {
    /// Our SYN asked for ECN (active open with [`EcnMode::Request`]).
    requested: bool,
    /// Agreed for this connection.
    on: bool,
    /// Receiver: a CE mark arrived and no CWR since; every ACK carries ECE.
    echo: bool,
    /// Sender: the window was reduced for ECE; the next new data segment carries CWR.
    cwr_owed: bool,
    /// Sender: no further reduction for ECE until an ACK passes this point (the
    /// highest sequence number sent when the window was reduced): once per window.
    hold_until: Option<SeqNumber>,
}

impl Socket<'_> {
    /// Whether ECN (RFC 3168) was agreed for this connection.
    pub fn ecn_agreed(&self) -> bool {
        self.ecn.on
    }

    /// Whether this socket's ACKs currently echo congestion (ECE set): a CE-marked
    /// segment arrived and the peer has not yet answered with CWR.
    pub fn ecn_echoing(&self) -> bool {
        self.ecn.on && self.ecn.echo
    }

    /// §6.1.1: flags of the SYN or SYN-ACK we send.
    pub(super) fn ecn_syn_flags(&self, ack: bool) -> TcpFlags {
        match (ack, self.ecn.on, self.ecn.requested) {
            // An ECN-setup SYN-ACK: ECE, never CWR.
            (true, true, _) => TcpFlags::ECE,
            // An ECN-setup SYN (also the SYN of a simultaneous open's SYN-ACK before
            // the peer's answer agreed anything).
            (false, _, true) => TcpFlags::ECE | TcpFlags::CWR,
            _ => TcpFlags::empty(),
        }
    }

    /// An active open: ask for ECN if configured to.
    pub(super) fn ecn_on_connect(&mut self) {
        self.ecn = EcnState {
            requested: self.config.ecn == EcnMode::Request,
            ..EcnState::default()
        };
    }

    /// A passive open: agree when the SYN is an ECN-setup SYN and the socket allows it.
    pub(super) fn ecn_on_syn(&mut self, repr: &TcpRepr<'_>) {
        self.ecn = EcnState {
            on: is_ecn_setup_syn(repr) && self.config.ecn != EcnMode::Off,
            ..EcnState::default()
        };
    }

    /// SYN-SENT took the peer's SYN-ACK: ECN is on only if we asked and it is an
    /// ECN-setup SYN-ACK (ECE without CWR; with both it is not one, §6.1.1).
    pub(super) fn ecn_on_syn_ack(&mut self, repr: &TcpRepr<'_>) {
        let setup = repr.flags.contains(TcpFlags::ECE) && !repr.flags.contains(TcpFlags::CWR);
        self.ecn.on = self.ecn.requested && setup;
    }

    /// A simultaneous open (our SYN crossed the peer's): agreed if both SYNs asked.
    pub(super) fn ecn_on_crossed_syn(&mut self, repr: &TcpRepr<'_>) {
        self.ecn.on = self.ecn.requested && is_ecn_setup_syn(repr);
    }

    /// §6.1.3, receiver: an acceptable segment arrived with IP ECN field `codepoint`.
    /// CWR ends the echo; a CE mark (also on that same segment) starts it again, and
    /// asks for an ACK now so the sender hears of it within this batch.
    pub(super) fn ecn_on_segment(&mut self, codepoint: u8, repr: &TcpRepr<'_>) {
        if !self.ecn.on {
            return;
        }
        if repr.flags.contains(TcpFlags::CWR) {
            self.ecn.echo = false;
        }
        if codepoint == CE {
            self.ecn.echo = true;
            self.counters.ecn_ce_received = self.counters.ecn_ce_received.wrapping_add(1);
            if repr.segment_len() > 0 {
                self.ack_now = true;
            }
        }
    }

    /// §6.1.2, sender: an acceptable ACK carrying ECE. The window is reduced once per
    /// window of data; in loss recovery the loss response already reduced it. Either
    /// way the next new data segment tells the receiver with CWR.
    pub(super) fn ecn_on_ack(&mut self, repr: &TcpRepr<'_>, ack: SeqNumber) {
        if !self.ecn.on || !repr.flags.contains(TcpFlags::ECE) {
            return;
        }
        if let Some(point) = self.ecn.hold_until {
            if ack <= point {
                return;
            }
        }
        let recovering = self.cc.in_recovery() || self.sack.in_recovery();
        if !recovering && self.state != State::SynReceived {
            let in_flight = self.snd_max.bytes_since(self.snd_una).unwrap_or(0);
            self.cc.on_congestion_signal(in_flight);
            self.counters.ecn_reductions = self.counters.ecn_reductions.wrapping_add(1);
        }
        self.ecn.hold_until = Some(self.snd_max);
        self.ecn.cwr_owed = true;
    }

    /// §6.1.2: the window was reduced for a loss (fast retransmit or recovery): with
    /// ECN agreed the next new data segment carries CWR, as after an ECN-Echo.
    pub(super) fn ecn_window_reduced(&mut self) {
        if self.ecn.on {
            self.ecn.cwr_owed = true;
            self.ecn.hold_until = Some(self.snd_max);
        }
    }

    /// A retransmission timeout: a reduction like any other (§6.1.2); in SYN-SENT,
    /// §6.1.1.1 lets the SYN go again without ECE and CWR, in case a middlebox drops
    /// ECN-setup SYNs (Linux does the same).
    pub(super) fn ecn_on_timeout(&mut self) {
        if self.state == State::SynSent {
            self.ecn.requested = false;
        }
        self.ecn_window_reduced();
    }

    /// Flags ECN adds to a non-SYN segment: ECE while echoing, CWR on the first new
    /// data after a reduction (`new_data`).
    pub(super) fn ecn_flags(&self, new_data: bool) -> TcpFlags {
        let mut flags = TcpFlags::empty();
        if self.ecn.on {
            flags.set(TcpFlags::ECE, self.ecn.echo);
            flags.set(TcpFlags::CWR, new_data && self.ecn.cwr_owed);
        }
        flags
    }

    /// The segment with CWR went out.
    pub(super) fn ecn_cwr_sent(&mut self) {
        self.ecn.cwr_owed = false;
    }

    /// The IP ECN codepoint of a segment: ECT(0) for new data once ECN is agreed, else
    /// Not-ECT (§6.1.4 pure ACKs, §6.1.5 retransmissions, §6.1.6 probes, and the SYNs).
    pub(super) fn ecn_codepoint(&self, new_data: bool) -> u8 {
        if self.ecn.on && new_data {
            ECT0
        } else {
            NOT_ECT
        }
    }
}

/// §6.1.1: an ECN-setup SYN carries both ECE and CWR.
fn is_ecn_setup_syn(repr: &TcpRepr<'_>) -> bool {
    repr.flags.contains(TcpFlags::ECE | TcpFlags::CWR)
}
