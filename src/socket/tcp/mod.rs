//! TCP sockets: one [`Socket`] is one connection (or one listener), an explicit state
//! machine over the eleven states of RFC 9293 that the interface feeds segments to.
//!
//! Governing texts: RFC 9293 (segment processing §3.10, CONFORMANCE A), RFC 6298 (RTO,
//! B1), RFC 5681/6582 (congestion control, B2), RFC 7323 (window scale, timestamps, B3),
//! RFC 2018 (SACK blocks, B4), RFC 8985 (RACK-TLP, B5), RFC 5961 (blind-attack
//! hardening, B8), RFC 6528 (ISN, B9), RFC 1337 (TIME-WAIT assassination, B12).
//!
//! The code is split by concern: this file holds the socket, its configuration and the
//! user API; `state.rs` the transitions (one `match` over state and segment kind, read
//! next to RFC 9293 §3.10); `send.rs` what `dispatch` sends; `timer.rs` the deadlines;
//! `tlp.rs` the tail loss probe (RACK itself is `congestion/sack/rack.rs`); `options.rs`
//! what the SYN options negotiate.
//!
//! Deviations, documented here once:
//! - Urgent data (MUST-30..33) is delivered inline, never out of band (like
//!   `SO_OOBINLINE`); the application learns the urgent mark through
//!   `urgent_pending` and `take_urgent_signal` (see `urgent.rs`).
//! - RFC 1337 F1: a RST in TIME-WAIT is ignored (CONFORMANCE B12.2); TIME-WAIT lasts its
//!   full 2·MSL.
//! - Persist and keep-alive probes both take the form `<SEQ=SND.NXT-1><ACK=RCV.NXT>`
//!   with no data (CORE-20, as Linux does), which draws an ACK with the peer's window.
//! - The sender's SWS override timer (MUST-38 (4)) has a timeout of zero: with nothing
//!   in flight, whatever the window allows goes at once (no ACK would come to open it).

use core::fmt;
use core::net::SocketAddr;

use crate::storage::{Assembler, RingBuffer};
use crate::time::{Duration, Instant};
use crate::wire::{IpListenEndpoint, SeqNumber};

pub mod congestion;
mod ecn;
mod error;
mod keepalive;
mod listener;
mod options;
mod pmtu;
mod recovery;
pub mod rtt;
mod send;
mod soft_error;
mod state;
mod timer;
mod tlp;
mod urgent;

#[cfg(test)]
mod tests;

pub use self::congestion::{CongestionAlgorithm, CongestionControl};
pub use self::ecn::EcnMode;
pub use self::error::{
    BufferError, CloseError, CloseReason, ConnectError, ListenError, RecvError, SendError,
};
pub use self::listener::{Listener, ListenerCounters, ListenerSlot};
pub use self::rtt::{RttConfig, RttEstimator};
pub(crate) use self::state::rst_reply;

use self::congestion::sack::SeqRange;
use self::congestion::{Congestion, LossRecovery, SackRecovery};
use self::timer::{Timer, TimerTable};
use crate::socket::{DemuxKey, Indexed};

/// The state of a connection (RFC 9293 §3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// No connection.
    Closed,
    /// Waiting for a SYN.
    Listen,
    /// Our SYN is out; waiting for the peer's.
    SynSent,
    /// SYNs crossed; waiting for the ACK of ours.
    SynReceived,
    /// Data flows both ways.
    Established,
    /// We closed; our FIN is not yet acknowledged.
    FinWait1,
    /// We closed and our FIN is acknowledged; the peer may still send.
    FinWait2,
    /// The peer closed; we may still send.
    CloseWait,
    /// Both closed at once; waiting for the ACK of our FIN.
    Closing,
    /// The peer closed, then we did; waiting for the ACK of our FIN.
    LastAck,
    /// Both closed; lingering 2·MSL for stray segments (MUST-13).
    TimeWait,
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        })
    }
}

impl State {
    /// Whether the connection is synchronized (RFC 9293 §3.5: every state past the
    /// handshake, with SYN-RECEIVED counted for the RST and SYN rules of B8.4).
    pub(crate) fn is_synchronized(self) -> bool {
        !matches!(self, State::Closed | State::Listen | State::SynSent)
    }
}

/// The keep-alive idle time RFC 1122 §4.2.3.6 sets as the least default (MUST-28):
/// two hours. Keep-alive is off unless asked for; `set_keep_alive(Some(KEEP_ALIVE_IDLE))`
/// turns it on with this interval.
pub const KEEP_ALIVE_IDLE: Duration = Duration::from_secs(2 * 60 * 60);

/// R1 of RFC 9293 §3.8.3 (MUST-20, SHLD-10: at least 3 retransmissions): after this
/// many retransmission timeouts of one segment without progress the socket gives IP
/// negative advice, and the interface re-verifies the next hop. R2 is the user timeout.
pub const R1_TIMEOUTS: u32 = 3;

/// RFC 7323 §5.5 (B3.14): a TS.Recent not updated for this long (24 days, less than
/// the 2^31 ticks of the slowest timestamp clock RFC 7323 allows, 1 ms) no longer
/// orders the peer's timestamps: PAWS does not reject against it, and the next
/// acceptable segment sets it afresh.
pub const PAWS_IDLE_LIMIT: Duration = Duration::from_secs(24 * 24 * 60 * 60);

/// The longest an ACK may be delayed: just under the 0.5 s of MUST-40.
pub const MAX_ACK_DELAY: Duration = Duration::from_micros(499_999);

/// Per-connection settings. [`Default`] gives the RFC defaults noted on each field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpConfig {
    /// The MSS we advertise; the interface clamps it to its MTU (MUST-67). Default 1460.
    pub mss: u16,
    /// Maximum segment lifetime; TIME-WAIT lasts twice this (CORE-19: 2 minutes in the
    /// RFC, a documented knob here). Default 120 s.
    pub msl: Duration,
    /// R2 (MUST-20/21/23): close the connection when data (or a SYN) stays
    /// unacknowledged this long; `None` means never. Default 300 s (SHLD-11, MUST-23).
    pub user_timeout: Option<Duration>,
    /// Disable Nagle's algorithm (MUST-17). Default false: Nagle on (SHLD-7).
    pub nodelay: bool,
    /// Delay for ACKs of in-order data (SHLD-18, MUST-40: under 0.5 s, longer values are
    /// cut to [`MAX_ACK_DELAY`]); `None` ACKs every segment at once. Default 40 ms.
    pub delayed_ack: Option<Duration>,
    /// Keep-alive idle time: how long the connection may be silent before the first
    /// probe (MUST-24..28); `None` is off, the default (MUST-25). RFC 1122 asks for at
    /// least 2 hours ([`KEEP_ALIVE_IDLE`]) unless the application knows better.
    pub keep_alive: Option<Duration>,
    /// Time between keep-alive probes while none is answered. Default 75 s (Linux's
    /// `tcp_keepalive_intvl`).
    pub keep_alive_interval: Duration,
    /// Unanswered keep-alive probes after which the connection is reset and reports
    /// [`CloseReason::TimedOut`]. Default 9 (Linux's `tcp_keepalive_probes`); values
    /// below 2 count as 2, since one lost probe never means a dead peer (MUST-29).
    pub keep_alive_probes: u32,
    /// Offer window scaling (RFC 7323 §2). Default true.
    pub window_scale: bool,
    /// Offer timestamps (RFC 7323 §3). Default true.
    pub timestamps: bool,
    /// Offer SACK-permitted (RFC 2018). Default true.
    pub sack: bool,
    /// Retransmission-timer bounds (RFC 6298).
    pub rtt: RttConfig,
    /// The congestion-control algorithm (MAY-18). Default NewReno.
    pub congestion: CongestionAlgorithm,
    /// RFC 5961 §7 (B8.7): challenge ACKs allowed per 5 s, per connection. Default 10.
    pub challenge_ack_limit: u32,
    /// DSCP (6 bits) of the segments `dispatch` sends (MUST-48); it may change during a
    /// connection (SHLD-21) and is passed to IP unchanged (SHLD-22). Default 0.
    pub dscp: u8,
    /// Explicit Congestion Notification (RFC 3168, SHLD-8). Default
    /// [`EcnMode::Accept`]: agreed when the peer asks, never asked for.
    pub ecn: EcnMode,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1460,
            msl: Duration::from_secs(120),
            user_timeout: Some(Duration::from_secs(300)),
            nodelay: false,
            delayed_ack: Some(Duration::from_millis(40)),
            keep_alive: None,
            keep_alive_interval: Duration::from_secs(75),
            keep_alive_probes: 9,
            window_scale: true,
            timestamps: true,
            sack: true,
            rtt: RttConfig::default(),
            congestion: CongestionAlgorithm::default(),
            challenge_ack_limit: 10,
            dscp: 0,
            ecn: EcnMode::Accept,
        }
    }
}

/// What the interface tells a socket on every call: the time, the ISN key, and the MSS
/// its MTU allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpContext {
    /// The current time.
    pub now: Instant,
    /// The secret key of the ISN function (from the interface's seed, CONFORMANCE B9.2).
    pub isn_key: [u64; 2],
    /// The largest segment payload the interface can carry: MTU minus IP and TCP headers.
    pub mss: u16,
    /// For `process`: the IP ECN field (RFC 3168 §5) of the packet that carried the
    /// segment; 0 (Not-ECT) everywhere else.
    pub ecn: u8,
}

/// Per-connection counters. They only grow (wrapping at 2^64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TcpCounters {
    /// Segments handed to `process`.
    pub segments_in: u64,
    /// Segments sent through `dispatch` or as immediate replies.
    pub segments_out: u64,
    /// Segments sent again (timeouts and fast retransmits).
    pub retransmits: u64,
    /// Retransmission timeouts.
    pub timeouts: u64,
    /// Fast retransmits: three duplicate ACKs, or a loss SACK revealed (RFC 6675).
    pub fast_retransmits: u64,
    /// Loss recoveries entered through SACK (RFC 6675 §5).
    pub sack_recoveries: u64,
    /// Retransmissions judged lost again because later data was SACKed past them.
    pub lost_retransmits: u64,
    /// Tail loss probes sent (RFC 8985 §7).
    pub tlp_probes: u64,
    /// Losses a retransmitted tail loss probe repaired alone, each answered with a
    /// congestion-window reduction (RFC 8985 §7.4).
    pub tlp_repairs: u64,
    /// SACK recoveries started by RACK's time rule (RFC 8985 §6.2) rather than by
    /// DupThresh, on an ACK or when the reordering timer fired.
    pub rack_recoveries: u64,
    /// Times the RACK reordering timer fired (RFC 8985 §6.3).
    pub reorder_timeouts: u64,
    /// Segments that arrived marked Congestion Experienced (ECN agreed, RFC 3168).
    pub ecn_ce_received: u64,
    /// Window reductions for ECN-Echo (at most one per window of data).
    pub ecn_reductions: u64,
    /// Times the peer reneged on SACKed data, which cleared the scoreboard (B4.7).
    pub sack_reneged: u64,
    /// SACK blocks the bounded scoreboard had no room for (B4.8).
    pub scoreboard_overflows: u64,
    /// Challenge ACKs sent (RFC 5961).
    pub challenge_acks: u64,
    /// Challenge ACKs suppressed by the rate limit (B8.7).
    pub challenge_acks_suppressed: u64,
    /// Arrivals dropped as unacceptable (CORE-3/4, PAWS, bad ACK).
    pub dropped: u64,
    /// Out-of-order bytes discarded because the assembler had no room for another hole.
    pub ooo_dropped: u64,
    /// SYNs dropped silently by a listener told not to accept (its backlog was full,
    /// CONFORMANCE B11.2).
    pub syns_dropped: u64,
    /// ICMP errors about segments in flight, taken as soft errors (MUST-54).
    pub icmp_errors: u64,
    /// ICMP errors ignored: they quoted a sequence number outside `[SND.UNA, SND.NXT)`
    /// (RFC 5927 §4.1) or arrived in a state without segments in flight.
    pub icmp_errors_ignored: u64,
    /// Times a validated Packet Too Big lowered the path MTU (B7.2).
    pub path_mtu_lowered: u64,
    /// Times the socket reached R1 and gave IP negative advice (MUST-20).
    pub negative_advice: u64,
    /// Times a new SYN ended TIME-WAIT early to open a new incarnation (SHLD-4,
    /// RFC 6191).
    pub time_wait_reopened: u64,
}

/// The RFC 7323 timestamp state of a connection that negotiated it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Timestamps {
    /// TS.Recent: the TSval to echo (B3.10).
    recent: u32,
    /// When TS.Recent was last set: after [`PAWS_IDLE_LIMIT`] it is no longer valid
    /// (B3.14).
    recent_at: Instant,
    /// Our TSval offset (B3.15).
    offset: u32,
}

/// A TCP socket: one connection or one listener, over two byte rings fixed at creation.
/// Received bytes are copied once into the receive ring, sent bytes once out of the
/// transmit ring (which holds them until acknowledged: the retransmission queue).
#[derive(Debug)]
pub struct Socket<'a> {
    state: State,
    config: TcpConfig,
    /// The endpoint `listen` was given; a passive SYN-RECEIVED returns to it (CORE-10).
    listen_endpoint: Option<IpListenEndpoint>,
    local: Option<SocketAddr>,
    remote: Option<SocketAddr>,
    /// MUST-11: SYN-RECEIVED remembers whether it came from a passive open.
    passive: bool,
    /// Whether a listener takes a SYN (`true`) or drops it silently and counts it
    /// (B11.2: a full backlog drops new SYNs). Survives `listen` and `close`.
    syn_accepting: bool,
    rx_buffer: RingBuffer<'a, u8>,
    tx_buffer: RingBuffer<'a, u8>,
    /// Out-of-order data held past the end of `rx_buffer`, offsets from `rcv_nxt`.
    assembler: Assembler,
    // RFC 9293 §3.3.1, send sequence variables.
    iss: SeqNumber,
    snd_una: SeqNumber,
    /// The next sequence number to send. It moves back to `snd_una` on a timeout
    /// (go-back-N), so it may lag `snd_max`.
    snd_nxt: SeqNumber,
    /// RFC 9293's SND.NXT: one past the highest sequence number ever sent. ACKs are
    /// judged against it.
    snd_max: SeqNumber,
    /// SND.WND, scaled (REC-1: 32-bit arithmetic).
    snd_wnd: usize,
    snd_wl1: SeqNumber,
    snd_wl2: SeqNumber,
    /// MAX.SND.WND of RFC 5961 §5 (B8.6): the largest window the peer offered.
    max_snd_wnd: usize,
    // RFC 9293 §3.3.1, receive sequence variables.
    irs: SeqNumber,
    rcv_nxt: SeqNumber,
    /// RCV.NXT + RCV.WND as last advertised: never moves left (CORE-16, SHLD-14).
    rcv_edge: SeqNumber,
    /// Last.ACK.sent of RFC 7323 §4.3 (B3.10).
    last_ack_sent: SeqNumber,
    /// Snd.Wind.Shift: the peer's window-scale shift (0 unless both sent the option).
    snd_shift: u8,
    /// Rcv.Wind.Shift: ours.
    rcv_shift: u8,
    /// The peer's MSS (MUST-14/15).
    remote_mss: usize,
    /// The MSS we advertised.
    local_mss: usize,
    /// The largest payload the path carries: the interface's when the connection opened
    /// (`iface_mss`), lowered by validated Packet Too Big messages (B7).
    path_mss: usize,
    iface_mss: usize,
    /// When a Packet Too Big last lowered `path_mss`, so that the estimate ages (B7.5).
    pmtu_lowered_at: Option<Instant>,
    timestamps: Option<Timestamps>,
    /// SACK-permitted both ways (RFC 2018 §2).
    sack_ok: bool,
    /// ECN negotiation and signals (RFC 3168 §6.1).
    ecn: ecn::EcnState,
    /// The most recent out-of-order arrival, for the first SACK block.
    latest_ooo: Option<SeqNumber>,
    /// A duplicate that arrived, `[start, end)`, for a D-SACK block (RFC 2883) in the
    /// next ACK; reported once.
    dsack: Option<(SeqNumber, SeqNumber)>,
    /// The user called `close`: a FIN follows the queued data.
    tx_closed: bool,
    /// Where that FIN sits: right after the last queued byte (set by `close`).
    fin_seq: SeqNumber,
    /// Window scaling offered on our SYN (and, once the peer's SYN is in, agreed).
    ws_ok: bool,
    /// The peer's FIN was received (in order).
    rx_fin: bool,
    timers: TimerTable,
    rtt: RttEstimator,
    cc: Congestion,
    /// Duplicate-ACK count and RFC 6582 `recover` (NewReno recovery, without SACK).
    loss: LossRecovery,
    /// The RFC 6675 scoreboard and recovery state (with SACK).
    sack: SackRecovery,
    /// Karn: the segment end being timed and when it was first sent; cleared on any
    /// retransmission so no sample comes from a resent segment (B1.6).
    rtt_probe: Option<(SeqNumber, Instant)>,
    /// With timestamps: the end of the data resent since SND.UNA last passed it, and our
    /// TSval on the latest of those retransmissions. An ACK of that data echoing an
    /// older TSval may have been drawn by a later copy, and gives no RTT sample (B1.6,
    /// B3.11).
    rexmit_ts: Option<(SeqNumber, u32)>,
    /// Resend one segment from `snd_una` at the next dispatch (fast retransmit, or a
    /// partial ACK in recovery).
    fast_retransmit: bool,
    /// An ACK is owed now (out-of-order data, FIN, second full segment, ...).
    ack_now: bool,
    /// The owed ACK must not wait for the rest of the interface's batch: out-of-order
    /// data, a duplicate, a filled hole, a FIN, the handshake's last ACK (RFC 5681 §4.2).
    /// An ACK owed only by the every-second-segment count waits, so that one batch of
    /// in-order segments gets one ACK (MUST-59).
    ack_prompt: bool,
    /// In-order bytes received since our last ACK (SHLD-19: ACK every 2·RMSS).
    unacked_bytes: usize,
    /// A window-update ACK is owed (receiver SWS, MUST-39).
    window_update: bool,
    /// A probe (keep-alive or persist) is owed.
    probe_now: bool,
    /// The loss probe timer expired: send a tail loss probe at the next dispatch.
    tlp_pending: bool,
    /// The sequence space of the tail loss probe in flight (RFC 8985's TLP.end_seq is
    /// its end): no other probe until an ACK delivers it or a timeout forgets it.
    tlp_probe: Option<SeqRange>,
    /// A probe that resent the highest segment, until ACKs tell whether it repaired a
    /// loss (RFC 8985 §7.4: TLP.end_seq with TLP.is_retrans).
    tlp_repair: Option<SeqRange>,
    /// Keep-alive probes sent in a row without an answer.
    keep_alive_unanswered: u32,
    /// RCV.UP (RFC 9293 §3.3.1): one past the peer's last urgent octet (MUST-62), while
    /// the application has not read past it.
    rcv_up: Option<SeqNumber>,
    /// MUST-32: urgent data appeared or RCV.UP advanced since the user last looked.
    urgent_signal: bool,
    /// SND.UP: one past our last urgent octet, while not all acknowledged.
    snd_up: Option<SeqNumber>,
    /// The latest ICMP error about our segments, until the user takes it (SHLD-25).
    soft_error: Option<crate::socket::IcmpErrorReport>,
    /// When we last sent something that occupies sequence space (RFC 5681 §4.1).
    last_send: Instant,
    /// Consecutive persist probes, for exponential backoff (SHLD-30).
    persist_backoff: u32,
    /// RFC 5961 §7 budget: start of the current 5 s window and challenges sent in it.
    challenge_window: (Instant, u32),
    /// A RST owed after `abort`: its sequence number.
    rst_pending: Option<SeqNumber>,
    /// MUST-20 (R1): the retransmission timer expired for the R1-th time in this
    /// backoff episode; the interface takes the advice and re-verifies the next hop.
    negative_advice: bool,
    close_reason: Option<CloseReason>,
    counters: TcpCounters,
}

impl<'a> Socket<'a> {
    /// A CLOSED socket over caller-provided receive and transmit rings. The receive
    /// ring's capacity is the most the socket ever advertises; the transmit ring's is the
    /// most it holds unacknowledged.
    pub fn new(rx_buffer: RingBuffer<'a, u8>, tx_buffer: RingBuffer<'a, u8>) -> Socket<'a> {
        let config = TcpConfig::default();
        Socket {
            state: State::Closed,
            config,
            listen_endpoint: None,
            local: None,
            remote: None,
            passive: false,
            syn_accepting: true,
            rx_buffer,
            tx_buffer,
            assembler: Assembler::new(),
            iss: SeqNumber(0),
            snd_una: SeqNumber(0),
            snd_nxt: SeqNumber(0),
            snd_max: SeqNumber(0),
            snd_wnd: 0,
            snd_wl1: SeqNumber(0),
            snd_wl2: SeqNumber(0),
            max_snd_wnd: 0,
            irs: SeqNumber(0),
            rcv_nxt: SeqNumber(0),
            rcv_edge: SeqNumber(0),
            last_ack_sent: SeqNumber(0),
            snd_shift: 0,
            rcv_shift: 0,
            remote_mss: 536,
            local_mss: usize::from(config.mss),
            path_mss: 536,
            iface_mss: 536,
            pmtu_lowered_at: None,
            timestamps: None,
            sack_ok: false,
            ecn: Default::default(),
            latest_ooo: None,
            dsack: None,
            tx_closed: false,
            fin_seq: SeqNumber(0),
            ws_ok: false,
            rx_fin: false,
            timers: TimerTable::default(),
            rtt: RttEstimator::new(config.rtt),
            cc: Congestion::new(config.congestion, 536),
            loss: LossRecovery::new(),
            sack: SackRecovery::new(),
            rtt_probe: None,
            rexmit_ts: None,
            fast_retransmit: false,
            ack_now: false,
            ack_prompt: false,
            unacked_bytes: 0,
            window_update: false,
            probe_now: false,
            tlp_pending: false,
            tlp_probe: None,
            tlp_repair: None,
            keep_alive_unanswered: 0,
            rcv_up: None,
            urgent_signal: false,
            snd_up: None,
            soft_error: None,
            last_send: Instant::ZERO,
            persist_backoff: 0,
            challenge_window: (Instant::ZERO, 0),
            rst_pending: None,
            negative_advice: false,
            close_reason: None,
            counters: TcpCounters::default(),
        }
    }

    /// A CLOSED socket with `rx_bytes` and `tx_bytes` of ring. Allocates once, now.
    #[cfg(feature = "alloc")]
    pub fn with_capacity(rx_bytes: usize, tx_bytes: usize) -> Socket<'static> {
        Socket::new(
            RingBuffer::new(alloc::vec![0u8; rx_bytes]),
            RingBuffer::new(alloc::vec![0u8; tx_bytes]),
        )
    }

    /// Replaces the receive and send rings, the socket's buffer sizes (what
    /// `SO_RCVBUF`/`SO_SNDBUF` set elsewhere), and returns the old ones with whatever
    /// they still held. Only while CLOSED: the next open offers a window (and a window
    /// scale) for the new receive ring. Errors: `InvalidState` in any other state (the
    /// rings given are returned inside the error's tuple, untouched).
    #[allow(clippy::type_complexity)]
    pub fn replace_buffers(
        &mut self,
        rx_buffer: RingBuffer<'a, u8>,
        tx_buffer: RingBuffer<'a, u8>,
    ) -> Result<
        (RingBuffer<'a, u8>, RingBuffer<'a, u8>),
        (BufferError, RingBuffer<'a, u8>, RingBuffer<'a, u8>),
    > {
        if self.state != State::Closed {
            return Err((BufferError::InvalidState, rx_buffer, tx_buffer));
        }
        self.assembler = Assembler::new();
        let rx = core::mem::replace(&mut self.rx_buffer, rx_buffer);
        let tx = core::mem::replace(&mut self.tx_buffer, tx_buffer);
        Ok((rx, tx))
    }

    /// [`replace_buffers`](Self::replace_buffers) with newly allocated rings of
    /// `rx_bytes` and `tx_bytes`.
    #[cfg(feature = "alloc")]
    pub fn set_buffer_sizes(
        &mut self,
        rx_bytes: usize,
        tx_bytes: usize,
    ) -> Result<(), BufferError> {
        let rx = RingBuffer::new(alloc::vec![0u8; rx_bytes]);
        let tx = RingBuffer::new(alloc::vec![0u8; tx_bytes]);
        self.replace_buffers(rx, tx)
            .map(drop)
            .map_err(|(e, _, _)| e)
    }

    /// The configuration.
    pub fn config(&self) -> &TcpConfig {
        &self.config
    }

    /// Replaces the configuration. Options negotiated on the SYN (MSS, window scale,
    /// timestamps, SACK) take effect at the next open; the rest at once.
    /// A `delayed_ack` of 500 ms or more is shortened to just under it (MUST-40).
    pub fn set_config(&mut self, mut config: TcpConfig) {
        config.delayed_ack = config.delayed_ack.map(|d| d.min(MAX_ACK_DELAY));
        self.config = config;
        if matches!(self.state, State::Closed | State::Listen) {
            self.rtt = RttEstimator::new(config.rtt);
        }
    }

    /// Turns Nagle's algorithm off (`true`) or on (MUST-17).
    pub fn set_nodelay(&mut self, nodelay: bool) {
        self.config.nodelay = nodelay;
    }

    /// Sets the keep-alive idle time, `None` for off (MUST-24/27); the probe interval
    /// and count stay as configured ([`TcpConfig::keep_alive_interval`],
    /// [`TcpConfig::keep_alive_probes`]).
    pub fn set_keep_alive(&mut self, idle: Option<Duration>) {
        self.config.keep_alive = idle;
        self.keep_alive_unanswered = 0;
        self.timers.stop(Timer::KeepAlive);
    }

    /// Sets R2, the user timeout; `None` means never (MUST-21).
    pub fn set_user_timeout(&mut self, timeout: Option<Duration>) {
        self.config.user_timeout = timeout;
    }

    /// Whether a socket in LISTEN takes an arriving SYN (the default) or drops it
    /// silently, counting it in [`TcpCounters::syns_dropped`] (CONFORMANCE B11.2). A
    /// [`Listener`] whose backlog is full keeps one socket listening with `false`, so
    /// that new SYNs are dropped (and retransmitted by the peer) rather than reset.
    /// Other segments to the listener are handled as usual (CORE-8).
    pub fn set_accept_syn(&mut self, accept: bool) {
        self.syn_accepting = accept;
    }

    /// Whether a socket in LISTEN takes an arriving SYN; see
    /// [`set_accept_syn`](Self::set_accept_syn).
    pub fn accepts_syn(&self) -> bool {
        self.syn_accepting
    }

    /// The connection's state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Why the connection ended, if it ended by reset, refusal, timeout or abort
    /// (`None` after an orderly close: MUST-12).
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.close_reason
    }

    /// The local endpoint of a connection (SYN-SENT onwards).
    pub fn local_endpoint(&self) -> Option<SocketAddr> {
        self.local
    }

    /// The remote endpoint of a connection (SYN-SENT onwards).
    pub fn remote_endpoint(&self) -> Option<SocketAddr> {
        self.remote
    }

    /// The endpoint a listener waits on.
    pub fn listen_endpoint(&self) -> Option<IpListenEndpoint> {
        self.listen_endpoint
    }

    /// The counters.
    pub fn counters(&self) -> TcpCounters {
        self.counters
    }

    /// The smoothed round-trip time, once measured.
    pub fn rtt_estimate(&self) -> Option<Duration> {
        self.rtt.srtt()
    }

    /// The current retransmission timeout (backed off).
    pub fn rto(&self) -> Duration {
        self.rtt.rto()
    }

    /// How many times the retransmission timer has expired since data was last
    /// acknowledged cleanly: the interface compares it with R1 (MUST-20, SHLD-10: at
    /// least 3) to re-probe the path.
    pub fn rto_backoffs(&self) -> u32 {
        self.rtt.backoffs()
    }

    /// MUST-20: whether the socket reached R1 ([`R1_TIMEOUTS`] timeouts of one
    /// segment without progress) since the last call, and clears that. The interface
    /// calls it after each dispatch and passes the "negative advice" on to IP: it
    /// re-verifies the neighbour the connection goes through. Once per backoff episode:
    /// the next advice needs an ACK of new data first.
    pub(crate) fn take_negative_advice(&mut self) -> bool {
        core::mem::take(&mut self.negative_advice)
    }

    /// The congestion window, in bytes.
    pub fn cwnd(&self) -> usize {
        self.cc.cwnd()
    }

    /// Starts listening for a SYN on `endpoint` (an unspecified address means any).
    ///
    /// Errors: `Unaddressable` for port 0; `InvalidState` unless CLOSED. MUST-41:
    /// listening touches no other socket.
    pub fn listen<E: Into<IpListenEndpoint>>(&mut self, endpoint: E) -> Result<(), ListenError> {
        let mut endpoint = endpoint.into();
        if endpoint.port == 0 {
            return Err(ListenError::Unaddressable);
        }
        if self.state != State::Closed {
            return Err(ListenError::InvalidState);
        }
        if endpoint.addr.is_some_and(|a| a.is_unspecified()) {
            endpoint.addr = None;
        }
        self.reset_connection();
        self.listen_endpoint = Some(endpoint);
        self.state = State::Listen;
        Ok(())
    }

    /// Opens a connection from `local` to `remote`: the SYN goes out at the next
    /// dispatch. The caller picks the local address (MUST-43/44) and port.
    ///
    /// Errors: `InvalidState` unless CLOSED; `Unaddressable` for a zero port, an
    /// unspecified address, or a multicast or broadcast remote (MUST-46).
    pub fn connect(
        &mut self,
        cx: &TcpContext,
        remote: SocketAddr,
        local: SocketAddr,
    ) -> Result<(), ConnectError> {
        if self.state != State::Closed {
            return Err(ConnectError::InvalidState);
        }
        let bad = |a: SocketAddr| a.port() == 0 || a.ip().is_unspecified();
        let group = match remote.ip() {
            crate::wire::IpAddress::V4(a) => a.is_multicast() || a.is_broadcast(),
            crate::wire::IpAddress::V6(a) => a.is_multicast(),
        };
        if bad(remote) || bad(local) || group {
            return Err(ConnectError::Unaddressable);
        }
        self.reset_connection();
        self.local = Some(local);
        self.remote = Some(remote);
        self.passive = false;
        self.iss = options::initial_seq_number(cx.isn_key, cx.now, local, remote);
        self.snd_una = self.iss;
        self.snd_nxt = self.iss;
        self.snd_max = self.iss;
        self.local_mss = usize::from(self.config.mss.min(cx.mss));
        self.ws_ok = self.config.window_scale;
        self.rcv_shift = if self.ws_ok {
            options::window_shift_for(self.rx_buffer.capacity())
        } else {
            0
        };
        self.timestamps = self.config.timestamps.then(|| Timestamps {
            recent: 0,
            recent_at: cx.now,
            offset: options::timestamp_offset(cx.isn_key, local, remote),
        });
        self.sack_ok = self.config.sack;
        self.ecn_on_connect();
        self.arm_user_timeout(cx.now);
        self.state = State::SynSent;
        Ok(())
    }

    /// Clears every per-connection variable (buffers, timers, estimators) for a new
    /// open; keeps the configuration.
    fn reset_connection(&mut self) {
        let config = self.config;
        let rx = core::mem::replace(&mut self.rx_buffer, RingBuffer::new(&mut [][..]));
        let tx = core::mem::replace(&mut self.tx_buffer, RingBuffer::new(&mut [][..]));
        let counters = self.counters;
        let syn_accepting = self.syn_accepting;
        *self = Socket::new(rx, tx);
        self.config = config;
        self.syn_accepting = syn_accepting;
        self.rtt = RttEstimator::new(config.rtt);
        self.cc = Congestion::new(config.congestion, 536);
        self.counters = counters;
        self.rx_buffer.clear();
        self.tx_buffer.clear();
    }

    /// Whether the user may still queue data: the connection is open or opening and
    /// `close` was not called (RFC 9293 §3.10.2 queues SENDs before ESTABLISHED).
    pub fn may_send(&self) -> bool {
        matches!(
            self.state,
            State::SynSent | State::SynReceived | State::Established | State::CloseWait
        ) && !self.tx_closed
    }

    /// Whether data may still arrive or be waiting: the peer has not closed, or bytes
    /// remain to be read.
    pub fn may_recv(&self) -> bool {
        match self.state {
            State::Established | State::FinWait1 | State::FinWait2 => true,
            State::CloseWait | State::Closing | State::LastAck | State::TimeWait => {
                !self.rx_buffer.is_empty()
            }
            _ => false,
        }
    }

    /// Whether `send_*` would queue at least one byte now.
    pub fn can_send(&self) -> bool {
        self.may_send() && !self.tx_buffer.is_full()
    }

    /// Whether `recv_*` would return at least one byte now.
    pub fn can_recv(&self) -> bool {
        !self.rx_buffer.is_empty()
    }

    /// Bytes queued for sending, sent or not, but not yet acknowledged.
    pub fn send_queue(&self) -> usize {
        self.tx_buffer.len()
    }

    /// Bytes received and waiting to be read.
    pub fn recv_queue(&self) -> usize {
        self.rx_buffer.len()
    }

    fn check_send(&self) -> Result<(), SendError> {
        if self.may_send() {
            Ok(())
        } else if self.close_reason.is_some() {
            Err(SendError::Reset)
        } else {
            Err(SendError::InvalidState)
        }
    }

    /// Lets `f` write into the free space of the transmit ring (no copy); `f` returns
    /// how many bytes it wrote and a value of its own. The space may be shorter than
    /// the free space when the ring wraps. Errors as [`send_slice`](Self::send_slice).
    pub fn send_with<F, R>(&mut self, f: F) -> Result<R, SendError>
    where
        F: FnOnce(&mut [u8]) -> (usize, R),
    {
        self.check_send()?;
        let (_, result) = self.tx_buffer.enqueue_many_with(f);
        Ok(result)
    }

    /// Queues as much of `data` as fits and returns how many bytes that was (possibly
    /// 0). Copies once. Errors: `InvalidState` before `connect`/`listen` succeeded or
    /// after `close`; `Reset` once the connection was reset.
    pub fn send_slice(&mut self, data: &[u8]) -> Result<usize, SendError> {
        self.check_send()?;
        Ok(self.tx_buffer.enqueue_slice(data))
    }

    fn check_recv(&self) -> Result<(), RecvError> {
        if !self.rx_buffer.is_empty() {
            return Ok(());
        }
        if self.rx_fin {
            return Err(RecvError::Finished);
        }
        match (self.state, self.close_reason) {
            (State::Closed, Some(_)) => Err(RecvError::Reset),
            (State::Closed | State::Listen | State::SynSent | State::SynReceived, _) => {
                Err(RecvError::InvalidState)
            }
            _ => Ok(()),
        }
    }

    /// Lets `f` read the received bytes at the front of the ring (no copy); `f` returns
    /// how many it consumed and a value of its own. Errors as
    /// [`recv_slice`](Self::recv_slice).
    pub fn recv_with<F, R>(&mut self, f: F) -> Result<R, RecvError>
    where
        F: FnOnce(&[u8]) -> (usize, R),
    {
        self.check_recv()?;
        let (_, result) = self.rx_buffer.dequeue_many_with(f);
        self.forget_read_urgent();
        self.note_window_opened();
        Ok(result)
    }

    /// Copies received bytes into `data` and returns how many (0 when none wait yet).
    /// Errors: `Finished` after the peer's FIN once everything was read; `Reset` after a
    /// reset; `InvalidState` before the connection is established.
    pub fn recv_slice(&mut self, data: &mut [u8]) -> Result<usize, RecvError> {
        self.check_recv()?;
        let n = self.rx_buffer.dequeue_slice(data);
        self.forget_read_urgent();
        self.note_window_opened();
        Ok(n)
    }

    /// Copies received bytes into `data` without consuming them. Errors as
    /// [`recv_slice`](Self::recv_slice).
    pub fn peek(&self, data: &mut [u8]) -> Result<usize, RecvError> {
        self.check_recv()?;
        Ok(self.rx_buffer.read_allocated(0, data))
    }

    /// Closes our direction: a FIN follows the queued data (RFC 9293 §3.10.4). A
    /// listener or a connection still in SYN-SENT just goes CLOSED.
    ///
    /// Errors: `InvalidState` when already CLOSED.
    pub fn close(&mut self) -> Result<(), CloseError> {
        if !self.tx_closed {
            self.fin_seq = self.data_seq() + self.tx_buffer.len();
        }
        match self.state {
            State::Closed => return Err(CloseError::InvalidState),
            State::Listen | State::SynSent => self.enter_closed(None),
            // RFC 9293 §3.10.4: in SYN-RECEIVED the FIN waits for ESTABLISHED.
            State::SynReceived => self.tx_closed = true,
            State::Established => {
                self.tx_closed = true;
                self.state = State::FinWait1;
            }
            State::CloseWait => {
                self.tx_closed = true;
                self.state = State::LastAck;
            }
            // Already closing: closing twice changes nothing.
            _ => {}
        }
        Ok(())
    }

    /// Aborts: a synchronized connection sends a RST at the next dispatch; every queue is
    /// flushed and the socket goes CLOSED (RFC 9293 §3.10.5).
    pub fn abort(&mut self) {
        if self.state.is_synchronized() && self.state != State::TimeWait {
            self.rst_pending = Some(self.snd_max);
        }
        self.enter_closed(Some(CloseReason::Aborted));
    }

    /// Checks the socket's internal invariants; `Err` names the first one broken. For
    /// fuzzing and tests (the `tcp_conversation` target calls it after every poll): a
    /// broken invariant is a bug in the state machine, whatever the peer sent.
    #[doc(hidden)]
    pub fn debug_invariants(&self) -> Result<(), &'static str> {
        let check = |ok: bool, what: &'static str| if ok { Ok(()) } else { Err(what) };
        check(
            self.rx_buffer.len() <= self.rx_buffer.capacity(),
            "rx ring over capacity",
        )?;
        check(
            self.tx_buffer.len() <= self.tx_buffer.capacity(),
            "tx ring over capacity",
        )?;
        if matches!(self.state, State::Closed | State::Listen) {
            return Ok(());
        }
        check(self.snd_una <= self.snd_nxt, "SND.UNA > snd_nxt")?;
        check(self.snd_nxt <= self.snd_max, "snd_nxt > SND.NXT (snd_max)")?;
        check(self.iss <= self.snd_una, "SND.UNA before ISS")?;
        // Everything in flight is queued data plus at most a SYN and a FIN.
        let in_flight = self.snd_max.bytes_since(self.snd_una).unwrap_or(usize::MAX);
        check(
            in_flight <= self.tx_buffer.len().saturating_add(2),
            "more in flight than queued",
        )?;
        check(
            self.snd_wnd <= self.max_snd_wnd,
            "SND.WND above MAX.SND.WND",
        )?;
        if self.tx_closed {
            let end = self.data_seq() + self.tx_buffer.len();
            check(
                self.fin_seq == end
                    || (self.tx_buffer.is_empty() && self.snd_una == self.fin_seq + 1),
                "FIN not right after the queued data",
            )?;
        }
        if self.state.is_synchronized() {
            check(self.irs < self.rcv_nxt, "RCV.NXT not past IRS")?;
        }
        // B4.8: the scoreboard is bounded by its type; its ranges lie in SND.UNA..SND.NXT;
        // RecoveryPoint and RescueRxt too.
        self.sack.check(self.snd_una, self.snd_max)?;
        self.check_loss_probe()?;
        check(
            self.timers.loss_timers_exclusive(),
            "more than one of the RTO, probe and reordering timers armed",
        )?;
        if self.state.is_synchronized() {
            check(
                self.sack_ok || self.sack == SackRecovery::new(),
                "RFC 6675 state on a connection without SACK",
            )?;
        }
        self.check_urgent()?;
        Ok(())
    }

    /// Goes CLOSED: timers stop, queues are flushed (the endpoints stay readable, and
    /// a RST owed by `abort` stays owed).
    fn enter_closed(&mut self, reason: Option<CloseReason>) {
        self.state = State::Closed;
        self.timers.stop_all();
        if reason.is_some() {
            self.close_reason = reason;
            self.tx_buffer.clear();
            self.rx_buffer.clear();
        }
        self.assembler.clear();
        self.listen_endpoint = None;
    }

    /// Arms R2 if data or a SYN is outstanding (MUST-20/22).
    fn arm_user_timeout(&mut self, now: Instant) {
        if let Some(timeout) = self.config.user_timeout {
            self.timers
                .set_if_idle(Timer::UserTimeout, now.saturating_add(timeout));
        }
    }

    /// The receive window we would advertise now and whether it passes receiver SWS
    /// avoidance (MUST-39): the right edge only moves once the gain reaches
    /// `min(RCV.BUFF/2, MSS)`, and never moves left (CORE-16).
    fn next_rcv_edge(&self) -> SeqNumber {
        let free = self.rx_buffer.window();
        let candidate = self.rcv_nxt + free;
        let threshold = (self.rx_buffer.capacity() / 2).min(self.local_mss).max(1);
        match candidate.bytes_since(self.rcv_edge) {
            Some(gain) if gain >= threshold => candidate,
            _ => self.rcv_edge.max(self.rcv_nxt),
        }
    }

    /// After the user read: owe a window update when the window had (nearly) closed and
    /// can now open by the SWS threshold (MUST-39).
    fn note_window_opened(&mut self) {
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            return;
        }
        let advertised = self.rcv_edge.bytes_since(self.rcv_nxt).unwrap_or(0);
        let edge = self.next_rcv_edge();
        if edge != self.rcv_edge && advertised < self.rx_buffer.capacity() / 2 {
            self.window_update = true;
        }
    }
}

impl Indexed for Socket<'_> {
    fn demux_key(&self) -> Option<DemuxKey> {
        match (self.state, self.local, self.remote) {
            (State::Closed, ..) => None,
            (State::Listen, ..) => self.listen_endpoint.map(DemuxKey::TcpListen),
            (_, Some(local), Some(remote)) => Some(DemuxKey::TcpConnection { local, remote }),
            _ => None,
        }
    }

    fn wants_dispatch(&self) -> bool {
        self.segment_due()
    }

    fn poll_at(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }
}
