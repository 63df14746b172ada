//! The neighbour cache: IP address to Ethernet address, shared by ARP (IPv4) and NDP (IPv6),
//! with the reachability state machine, solicitation timers and a bounded queue of packets
//! waiting for resolution. Pure logic: no I/O, no clock (every call takes `now`).
//!
//! Governing texts: RFC 4861 §7.2-§7.3 (states, NA processing, timers), RFC 826 (ARP
//! merge rule), RFC 1122 §2.3.2.1-§2.3.2.2 (ARP flooding limits, cache flush, queueing).
//! ARP reuses the NDP state machine (CONFORMANCE C2.6).
//!
//! How the interface drives it:
//! - before sending to an on-link unicast address, [`NeighborCache::lookup`]; on
//!   [`NeighborLookup::Pending`] it [`enqueue`](NeighborCache::enqueue)s the packet and
//!   sends a request if `send_solicit` says so;
//! - on ARP/NDP input, [`fill`](NeighborCache::fill) or
//!   [`handle_na`](NeighborCache::handle_na); when they return `true`,
//!   [`drain_queued`](NeighborCache::drain_queued) hands the waiting packets back;
//! - on every poll, [`poll`](NeighborCache::poll) for retransmissions, probes and
//!   failures, and [`poll_at`](NeighborCache::poll_at) for the next deadline.
//!
//! ```
//! use skiff::iface::neighbor::{NeighborCache, NeighborConfig, NeighborFill, NeighborLookup};
//! use skiff::time::Instant;
//! use skiff::wire::{EthernetAddress, IpAddress, Ipv4Address};
//!
//! let mut cache = NeighborCache::with_capacity(8, 4, 1500, NeighborConfig::default(), 42);
//! let peer = IpAddress::V4(Ipv4Address::new(192, 0, 2, 2));
//! let now = Instant::from_secs(1);
//! // First packet: resolution starts and a request is due.
//! assert_eq!(cache.lookup(peer, now), NeighborLookup::Pending { send_solicit: true });
//! cache.enqueue(peer, b"ip packet", now).unwrap();
//! // The ARP reply arrives: the queued packet leaves, framed for the learned MAC.
//! let mac = EthernetAddress([0x02, 0, 0, 0, 0, 2]);
//! assert!(cache.fill(peer, mac, now, NeighborFill::Confirmed));
//! assert_eq!(cache.drain_queued(peer, |hw, _packet| assert_eq!(hw, mac)), 1);
//! assert_eq!(cache.lookup(peer, now), NeighborLookup::Found(mac));
//! assert_eq!(cache.get(peer).unwrap().to_string(), "192.0.2.2 lladdr 02:00:00:00:00:02 REACHABLE");
//! ```
//!
//! Costs: every operation scans the entry table (and, for queue operations, the packet
//! pool) linearly, so it is O(entries + queued packet slots). Both are fixed at
//! construction and meant to be small (tens of entries); nothing allocates after
//! construction.

use core::fmt;

use managed::ManagedSlice;

use crate::rand::Rng;
use crate::time::{Duration, Instant};
use crate::wire::{EthernetAddress, IpAddress};

/// Timers and limits of the cache. `Default` gives the RFC 4861 §10 values (CONFORMANCE
/// C9.5) plus skiff's choices for the stale flush and the per-neighbour queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborConfig {
    /// REACHABLE lasts this long after a confirmation, randomised by a factor drawn
    /// uniformly from [0.5, 1.5] for each confirmation (RFC 4861 `ReachableTime`, 30 s).
    pub reachable_time: Duration,
    /// Interval between solicitations for one neighbour (RFC 4861 `RetransTimer`, 1 s;
    /// also the ARP rate limit of about one request per second, CONFORMANCE C2.7).
    pub retrans_timer: Duration,
    /// How long a used STALE entry waits in DELAY for an upper-layer confirmation before
    /// probing (RFC 4861 `DELAY_FIRST_PROBE_TIME`, 5 s).
    pub delay_first_probe: Duration,
    /// Broadcast/multicast solicitations sent for an INCOMPLETE entry before resolution
    /// fails (RFC 4861 `MAX_MULTICAST_SOLICIT`, 3).
    pub max_multicast_solicit: u8,
    /// Unicast probes sent in PROBE before the entry is deleted (RFC 4861
    /// `MAX_UNICAST_SOLICIT`, 3).
    pub max_unicast_solicit: u8,
    /// A STALE entry is flushed after staying STALE this long (RFC 1122 §2.3.2.1: ARP
    /// MUST have a flush mechanism, with a timeout that SHOULD be configurable; C2.6).
    /// Default 20 minutes. STALE entries are also the first to be evicted when full.
    pub stale_timeout: Duration,
    /// Packets kept per INCOMPLETE neighbour; a newer packet replaces the oldest
    /// (RFC 4861 §7.2.2 SHOULD, C9.6; at least one, RFC 1122 §2.3.2.2). Default 4, so
    /// all fragments of a small fragmented datagram survive (C2.8).
    pub queue_per_neighbor: usize,
}

impl Default for NeighborConfig {
    fn default() -> Self {
        NeighborConfig {
            reachable_time: Duration::from_secs(30),
            retrans_timer: Duration::from_secs(1),
            delay_first_probe: Duration::from_secs(5),
            max_multicast_solicit: 3,
            max_unicast_solicit: 3,
            stale_timeout: Duration::from_secs(20 * 60),
            queue_per_neighbor: 4,
        }
    }
}

/// Reachability state of an entry (RFC 4861 §7.3.2, CONFORMANCE C9.4). ARP entries use
/// the same machine (C2.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeighborState {
    /// Resolution in progress: solicitations sent, no link-layer address yet.
    Incomplete,
    /// Reachability confirmed within the last `reachable_time`.
    Reachable,
    /// Address known but unconfirmed; still used for sending.
    Stale,
    /// Used while STALE; waiting `delay_first_probe` for an upper-layer confirmation.
    Delay,
    /// Verifying reachability with unicast solicitations.
    Probe,
}

impl fmt::Display for NeighborState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            NeighborState::Incomplete => "INCOMPLETE",
            NeighborState::Reachable => "REACHABLE",
            NeighborState::Stale => "STALE",
            NeighborState::Delay => "DELAY",
            NeighborState::Probe => "PROBE",
        })
    }
}

/// The answer to [`NeighborCache::lookup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborLookup {
    /// Send to this link-layer address now.
    Found(EthernetAddress),
    /// Resolution is in progress: queue the packet with [`NeighborCache::enqueue`]. When
    /// `send_solicit` is true a request is due now (ARP request / multicast NS); it is
    /// true at most once per `retrans_timer` per neighbour (C2.7) and already counted
    /// against `max_multicast_solicit`.
    Pending {
        /// Whether the caller must send a solicitation now.
        send_solicit: bool,
    },
    /// The cache is full of entries that may not be evicted (in use or resolving with
    /// packets queued); drop the packet and count it. Retrying later may succeed.
    Full,
    /// The address is unspecified, multicast or the IPv4 limited broadcast: the cache
    /// never resolves it (the caller maps group addresses itself, C1.5, C2.5).
    NotUnicast,
}

/// How a link-layer address learned from a packet updates the cache ([`NeighborCache::fill`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborFill {
    /// Proof of two-way reachability: an ARP reply to our request, or a solicited NA
    /// handled outside [`NeighborCache::handle_na`]. An existing entry becomes
    /// REACHABLE with this address. A missing entry is created STALE (RFC 826 adds the
    /// sender of a packet aimed at us, but we did not ask, so nothing is confirmed).
    Confirmed,
    /// An address the sender claims without proof of reachability: an ARP request for
    /// us, an NS or RS/RA with a source link-layer option (RFC 4861 §7.2.3, §6.3.4). The
    /// entry is created STALE if absent, set STALE if the address changed or it was
    /// INCOMPLETE, and otherwise keeps its state.
    Unconfirmed,
    /// RFC 826 merge rule (C2.2): refresh the address only if the IP is already cached,
    /// as for [`NeighborFill::Unconfirmed`]; never create an entry.
    UpdateOnly,
}

/// Work the cache asks of the caller, from [`NeighborCache::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeighborAction {
    /// Retransmit a broadcast ARP request / multicast NS (to the solicited-node group)
    /// for this INCOMPLETE address.
    SolicitMulticast(IpAddress),
    /// Send a unicast ARP request / NS to this address at this link-layer address
    /// (PROBE state, RFC 4861 §7.3.3).
    SolicitUnicast(IpAddress, EthernetAddress),
    /// Resolution or reachability verification failed: the entry was removed and its
    /// queued packets were dropped. The caller counts them and may send ICMPv6
    /// Destination Unreachable, code 3 (address unreachable), or an ICMPv4 host
    /// unreachable (C9.6).
    Failed {
        /// The neighbour that did not answer.
        addr: IpAddress,
        /// How many queued packets were dropped with it.
        dropped_packets: usize,
    },
}

/// What [`NeighborCache::enqueue`] did with a packet it accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueOutcome {
    /// The packet waits; nothing was dropped.
    Queued,
    /// The packet waits, and the neighbour's oldest waiting packet was dropped to make
    /// room (RFC 4861 §7.2.2 SHOULD, C9.6). The caller counts the drop.
    QueuedDroppedOldest,
}

/// Why [`NeighborCache::enqueue`] refused a packet. The packet is not kept; the caller
/// counts the drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QueueError {
    /// There is no INCOMPLETE entry for the address (look it up first; if it is
    /// resolved, send directly).
    NotPending,
    /// The packet is longer than one packet slot.
    TooLong,
    /// Every packet slot is held by other neighbours; the new packet is dropped rather
    /// than taking theirs (C2.9).
    PoolFull,
}

impl fmt::Display for QueueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            QueueError::NotPending => "no resolution pending for the neighbour",
            QueueError::TooLong => "packet longer than a queue slot",
            QueueError::PoolFull => "neighbour packet queue full",
        })
    }
}

/// One entry of the cache, as shown by [`NeighborCache::iter`]. `Display` prints it as
/// `ip neigh` does: `192.0.2.2 lladdr 02:00:00:00:00:02 REACHABLE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeighborEntry {
    /// The neighbour's IP address.
    pub addr: IpAddress,
    /// Its link-layer address; `None` only while INCOMPLETE.
    pub hw: Option<EthernetAddress>,
    /// Its reachability state.
    pub state: NeighborState,
    /// Packets waiting for its resolution.
    pub queued_packets: usize,
}

impl fmt::Display for NeighborEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.hw {
            Some(hw) => write!(f, "{} lladdr {} {}", self.addr, hw, self.state),
            None => write!(f, "{} {}", self.addr, self.state),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    addr: IpAddress,
    hw: Option<EthernetAddress>,
    state: NeighborState,
    /// When the current state was entered (orders eviction: oldest first).
    since: Instant,
    /// The state's one timer: retransmit (INCOMPLETE, PROBE), go STALE (REACHABLE),
    /// flush (STALE), start probing (DELAY).
    timer: Instant,
    /// Solicitations sent in the current INCOMPLETE or PROBE episode.
    probes: u8,
    /// Packets in the pool owned by this entry.
    queued: usize,
}

/// Storage for one cache entry. Build arrays with `[NeighborSlot::EMPTY; N]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeighborSlot {
    entry: Option<Entry>,
}

impl NeighborSlot {
    /// An unused slot.
    pub const EMPTY: NeighborSlot = NeighborSlot { entry: None };
}

/// Bookkeeping for one waiting packet (its bytes live in the cache's byte pool). Build
/// arrays with `[QueuedPacket::EMPTY; N]`.
#[derive(Debug, Clone, Copy, Default)]
pub struct QueuedPacket {
    owner: Option<IpAddress>,
    len: usize,
    /// Arrival order, to deliver in order and to drop the oldest.
    seq: u64,
}

impl QueuedPacket {
    /// An unused packet slot.
    pub const EMPTY: QueuedPacket = QueuedPacket {
        owner: None,
        len: 0,
        seq: 0,
    };
}

/// The neighbour cache, over caller-provided (or, with `alloc`, allocated-once) storage.
/// See the module documentation for how an interface drives it.
#[derive(Debug)]
pub struct NeighborCache<'a> {
    entries: ManagedSlice<'a, NeighborSlot>,
    packets: ManagedSlice<'a, QueuedPacket>,
    /// `packets.len()` slots of `slot_len` bytes each, slot `i` at `i * slot_len`.
    bytes: ManagedSlice<'a, u8>,
    slot_len: usize,
    config: NeighborConfig,
    rng: Rng,
    next_seq: u64,
    /// The earliest entry timer (`None`: no entry) as of the last scan, valid while
    /// `timers_dirty` is clear: then `poll` and `poll_at` answer in O(1) instead of
    /// scanning every slot on every interface poll. Any change to an entry's timer or
    /// to the set of entries sets the flag.
    earliest: Option<Instant>,
    timers_dirty: bool,
}

impl<'a> NeighborCache<'a> {
    /// A cache over caller storage: `entries` bounds the number of neighbours; the
    /// waiting-packet pool has `packets.len()` slots, each holding a packet of up to
    /// `bytes.len() / packets.len()` bytes (so pass e.g. `[0; 4 * 1500]` with
    /// `[QueuedPacket::EMPTY; 4]`). `seed` drives the randomisation of
    /// `reachable_time`; take it from the interface's `Config` seed.
    pub fn new<E, P, B>(entries: E, packets: P, bytes: B, config: NeighborConfig, seed: u64) -> Self
    where
        E: Into<ManagedSlice<'a, NeighborSlot>>,
        P: Into<ManagedSlice<'a, QueuedPacket>>,
        B: Into<ManagedSlice<'a, u8>>,
    {
        let mut entries = entries.into();
        let mut packets = packets.into();
        let bytes = bytes.into();
        for e in entries.iter_mut() {
            *e = NeighborSlot::EMPTY;
        }
        for p in packets.iter_mut() {
            *p = QueuedPacket::EMPTY;
        }
        let slot_len = bytes.len().checked_div(packets.len()).unwrap_or(0);
        NeighborCache {
            entries,
            packets,
            bytes,
            slot_len,
            config,
            rng: Rng::new(seed ^ 0x6e65_6967_6862_6f72),
            next_seq: 0,
            earliest: None,
            timers_dirty: false,
        }
    }

    /// A cache with room for `entries` neighbours and `queued_packets` waiting packets
    /// of up to `max_packet_len` bytes each, allocated once now.
    #[cfg(feature = "alloc")]
    pub fn with_capacity(
        entries: usize,
        queued_packets: usize,
        max_packet_len: usize,
        config: NeighborConfig,
        seed: u64,
    ) -> Self {
        let e = alloc::vec![NeighborSlot::EMPTY; entries];
        let p = alloc::vec![QueuedPacket::EMPTY; queued_packets];
        let b = alloc::vec![0u8; queued_packets.saturating_mul(max_packet_len)];
        Self::new(e, p, b, config, seed)
    }

    /// The configuration in force.
    pub fn config(&self) -> &NeighborConfig {
        &self.config
    }

    /// How many neighbours fit.
    pub fn capacity(&self) -> usize {
        self.entries.len()
    }

    /// How many neighbours are cached (in any state).
    pub fn len(&self) -> usize {
        self.entries.iter().filter(|s| s.entry.is_some()).count()
    }

    /// Whether no neighbour is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many packets wait in the pool, over all neighbours.
    pub fn queued_len(&self) -> usize {
        self.packets.iter().filter(|p| p.owner.is_some()).count()
    }

    /// The entries, for display (`ip neigh`). O(capacity).
    pub fn iter(&self) -> impl Iterator<Item = NeighborEntry> + '_ {
        self.entries
            .iter()
            .filter_map(|s| s.entry)
            .map(|e| NeighborEntry {
                addr: e.addr,
                hw: e.hw,
                state: e.state,
                queued_packets: e.queued,
            })
    }

    /// The entry for `addr`, if cached.
    pub fn get(&self, addr: IpAddress) -> Option<NeighborEntry> {
        self.iter().find(|e| e.addr == addr)
    }

    /// The link-layer address to send to `addr` now, or why not (RFC 4861 §7.2.2,
    /// §7.3.3). Using a STALE entry moves it to DELAY. A missing entry is created
    /// INCOMPLETE, evicting if needed: first the STALE entry that has been STALE
    /// longest, then the oldest INCOMPLETE entry with no packets queued; entries in
    /// REACHABLE, DELAY or PROBE and INCOMPLETE entries holding packets are never
    /// evicted, so with all of them busy the answer is [`NeighborLookup::Full`].
    pub fn lookup(&mut self, addr: IpAddress, now: Instant) -> NeighborLookup {
        if !is_cacheable(addr) {
            return NeighborLookup::NotUnicast;
        }
        let retrans = self.config.retrans_timer;
        let delay = self.config.delay_first_probe;
        let max_solicit = self.config.max_multicast_solicit;
        if let Some(i) = self.find(addr) {
            let Some(e) = self.entries[i].entry.as_mut() else {
                return NeighborLookup::Full;
            };
            return match (e.state, e.hw) {
                (NeighborState::Incomplete, _) | (_, None) => {
                    // RFC 1122 §2.3.2.1 / C2.7: at most one request per retrans_timer.
                    let due = now >= e.timer && e.probes < max_solicit;
                    if due {
                        e.probes = e.probes.saturating_add(1);
                        e.timer = now.saturating_add(retrans);
                        self.timers_dirty = true;
                    }
                    NeighborLookup::Pending { send_solicit: due }
                }
                (NeighborState::Stale, Some(hw)) => {
                    // RFC 4861 §7.3.3: first use of a STALE entry starts DELAY.
                    e.state = NeighborState::Delay;
                    e.since = now;
                    e.timer = now.saturating_add(delay);
                    self.timers_dirty = true;
                    NeighborLookup::Found(hw)
                }
                (_, Some(hw)) => NeighborLookup::Found(hw),
            };
        }
        let Some(i) = self.free_slot() else {
            net_debug!("neighbor: cache full, cannot resolve {}", addr);
            return NeighborLookup::Full;
        };
        let send_solicit = max_solicit > 0;
        self.timers_dirty = true;
        self.entries[i].entry = Some(Entry {
            addr,
            hw: None,
            state: NeighborState::Incomplete,
            since: now,
            // With no solicitation allowed the entry fails at the next poll.
            timer: if send_solicit {
                now.saturating_add(retrans)
            } else {
                now
            },
            probes: u8::from(send_solicit),
            queued: 0,
        });
        NeighborLookup::Pending { send_solicit }
    }

    /// Keeps a copy of `packet` (an IP packet) until `addr` resolves. At most
    /// `queue_per_neighbor` packets wait per neighbour; beyond that the neighbour's
    /// oldest is dropped (C9.6). When the pool is full, the neighbour's own oldest
    /// packet is replaced if it has one, otherwise the new packet is refused: packets
    /// of other neighbours are never taken (C2.9). Copies `packet.len()` bytes. `now`
    /// is unused today; it is there so queue ageing can come without an API change.
    pub fn enqueue(
        &mut self,
        addr: IpAddress,
        packet: &[u8],
        _now: Instant,
    ) -> Result<QueueOutcome, QueueError> {
        let i = self.find(addr).ok_or(QueueError::NotPending)?;
        let queued = match self.entries[i].entry {
            Some(e) if e.state == NeighborState::Incomplete => e.queued,
            _ => return Err(QueueError::NotPending),
        };
        if packet.len() > self.slot_len {
            return Err(QueueError::TooLong);
        }
        let limit = self.config.queue_per_neighbor.max(1);
        let free = self.packets.iter().position(|p| p.owner.is_none());
        let (slot, outcome) = match free {
            Some(slot) if queued < limit => (slot, QueueOutcome::Queued),
            _ => match self.oldest_packet(addr) {
                Some(slot) => {
                    net_trace!("neighbor: queue for {} full, dropping oldest", addr);
                    self.packets[slot].owner = None;
                    self.set_queued(i, queued.saturating_sub(1));
                    (slot, QueueOutcome::QueuedDroppedOldest)
                }
                None => {
                    net_trace!("neighbor: packet pool full, dropping packet for {}", addr);
                    return Err(QueueError::PoolFull);
                }
            },
        };
        let start = slot.saturating_mul(self.slot_len);
        let dst = self
            .bytes
            .get_mut(start..start.saturating_add(packet.len()))
            .ok_or(QueueError::TooLong)?;
        dst.copy_from_slice(packet);
        self.packets[slot] = QueuedPacket {
            owner: Some(addr),
            len: packet.len(),
            seq: self.next_seq,
        };
        self.next_seq = self.next_seq.wrapping_add(1);
        let now_queued = self.entries[i].entry.map_or(0, |e| e.queued);
        self.set_queued(i, now_queued.saturating_add(1));
        Ok(outcome)
    }

    /// Hands every packet waiting for `addr` to `f`, oldest first, with the neighbour's
    /// link-layer address, and frees their slots. Does nothing (returns 0) while the
    /// address is unresolved. Returns how many packets were handed over.
    pub fn drain_queued<F>(&mut self, addr: IpAddress, mut f: F) -> usize
    where
        F: FnMut(EthernetAddress, &[u8]),
    {
        let Some(i) = self.find(addr) else { return 0 };
        let Some(hw) = self.entries[i].entry.and_then(|e| e.hw) else {
            return 0;
        };
        let mut count = 0;
        // Bounded: each round frees one slot.
        while let Some(slot) = self.oldest_packet(addr) {
            let start = slot.saturating_mul(self.slot_len);
            let end = start.saturating_add(self.packets[slot].len);
            if let Some(bytes) = self.bytes.get(start..end) {
                f(hw, bytes);
                count += 1;
            }
            self.packets[slot].owner = None;
        }
        self.set_queued(i, 0);
        count
    }

    /// Records a link-layer address for `addr` learned from ARP or NDP input (see
    /// [`NeighborFill`] for the rules per source). Unspecified, multicast and broadcast
    /// IP addresses and group MAC addresses are never cached (C2.5, C2.11). Returns
    /// `true` when the entry was INCOMPLETE and now has an address: its queued packets
    /// can be sent with [`NeighborCache::drain_queued`].
    pub fn fill(
        &mut self,
        addr: IpAddress,
        hw: EthernetAddress,
        now: Instant,
        how: NeighborFill,
    ) -> bool {
        if !is_cacheable(addr) || !hw.is_unicast() {
            net_debug!("neighbor: not caching {} at {}", addr, hw);
            return false;
        }
        self.timers_dirty = true;
        let i = match self.find(addr) {
            Some(i) => i,
            None if how == NeighborFill::UpdateOnly => return false,
            None => {
                let Some(i) = self.free_slot() else {
                    net_debug!("neighbor: cache full, not caching {}", addr);
                    return false;
                };
                self.entries[i].entry = Some(self.stale_entry(addr, hw, now));
                return false;
            }
        };
        let reachable_for = self.draw_reachable_time();
        let stale = self.stale_entry(addr, hw, now);
        let Some(e) = self.entries[i].entry.as_mut() else {
            return false;
        };
        let was_incomplete = e.state == NeighborState::Incomplete;
        let changed = e.hw != Some(hw);
        match how {
            NeighborFill::Confirmed => {
                e.hw = Some(hw);
                set_reachable(e, now, reachable_for);
            }
            NeighborFill::Unconfirmed | NeighborFill::UpdateOnly => {
                // RFC 4861 §7.2.3: a new or different address makes the entry STALE;
                // the same address leaves the state alone.
                if changed || was_incomplete {
                    *e = Entry {
                        queued: e.queued,
                        ..stale
                    };
                }
            }
        }
        was_incomplete
    }

    /// Processes a valid Neighbor Advertisement for target `addr` exactly as RFC 4861
    /// §7.2.5 says (CONFORMANCE C9.8). `tlla` is its Target Link-Layer Address option.
    /// The R (router) flag is not modelled: this cache keeps no router list. Returns
    /// `true` when an INCOMPLETE entry got its address (drain its queue).
    pub fn handle_na(
        &mut self,
        addr: IpAddress,
        tlla: Option<EthernetAddress>,
        solicited: bool,
        override_flag: bool,
        now: Instant,
    ) -> bool {
        if tlla.is_some_and(|hw| !hw.is_unicast()) {
            return false;
        }
        // §7.2.5: no entry -> silently discard; an unsolicited NA never creates (C9.8).
        let Some(i) = self.find(addr) else {
            return false;
        };
        self.timers_dirty = true;
        let reachable_for = self.draw_reachable_time();
        let stale_timeout = self.config.stale_timeout;
        let Some(e) = self.entries[i].entry.as_mut() else {
            return false;
        };
        if e.state == NeighborState::Incomplete {
            // §7.2.5: without a TLLA the NA is useless for an INCOMPLETE entry.
            let Some(hw) = tlla else { return false };
            e.hw = Some(hw);
            if solicited {
                set_reachable(e, now, reachable_for);
            } else {
                set_stale(e, now, stale_timeout);
            }
            return true;
        }
        let same = tlla.is_none() || tlla == e.hw;
        if !override_flag && !same {
            // §7.2.5: O=0 with a different address: REACHABLE goes STALE, the address
            // is kept; in other states the NA is ignored.
            if e.state == NeighborState::Reachable {
                set_stale(e, now, stale_timeout);
            }
            return false;
        }
        // O=1, or the same address, or no TLLA: update.
        let changed = !same;
        if let Some(hw) = tlla {
            e.hw = Some(hw);
        }
        if solicited {
            set_reachable(e, now, reachable_for);
        } else if changed {
            set_stale(e, now, stale_timeout);
        }
        false
    }

    /// An upper-layer reachability hint for `addr` (RFC 4861 §7.3.1, C9.9: e.g. TCP
    /// forward progress): an entry with an address becomes REACHABLE. Never creates.
    pub fn confirm_reachable(&mut self, addr: IpAddress, now: Instant) {
        let reachable_for = self.draw_reachable_time();
        let Some(i) = self.find(addr) else { return };
        if let Some(e) = self.entries[i].entry.as_mut().filter(|e| e.hw.is_some()) {
            set_reachable(e, now, reachable_for);
            self.timers_dirty = true;
        }
    }

    /// Negative advice from an upper layer about `addr` (RFC 9293 MUST-20: TCP reached
    /// R1 retransmissions without progress; RFC 1122 §3.3.1.4): re-verify the
    /// neighbour without interrupting traffic to it. An entry with an address that is
    /// not already probing goes straight to PROBE, as if DELAY had run out (RFC 4861
    /// §7.3.3), and the first unicast solicitation is due now: the answer is `Some`
    /// link-layer address to send it to, and the caller sends it. The entry stays
    /// usable (PROBE sends with the known address), an answer or upper-layer progress
    /// ([`confirm_reachable`](Self::confirm_reachable)) makes it REACHABLE again, and
    /// it fails only after the ordinary `max_unicast_solicit` probes, so a lossy link
    /// costs no more than the NUD probing that every entry goes through after
    /// `reachable_time`. INCOMPLETE, PROBE and missing entries: `None`, nothing changes.
    pub fn reverify(&mut self, addr: IpAddress, now: Instant) -> Option<EthernetAddress> {
        let retrans = self.config.retrans_timer;
        if self.config.max_unicast_solicit == 0 {
            return None;
        }
        let i = self.find(addr)?;
        let e = self.entries[i].entry.as_mut()?;
        let hw = e.hw?;
        if matches!(e.state, NeighborState::Incomplete | NeighborState::Probe) {
            return None;
        }
        e.state = NeighborState::Probe;
        e.since = now;
        e.probes = 1;
        e.timer = now.saturating_add(retrans);
        self.timers_dirty = true;
        Some(hw)
    }

    /// Runs every due timer and reports what the caller must do through `f`
    /// (RFC 4861 §7.3.3): INCOMPLETE retransmits every `retrans_timer` up to
    /// `max_multicast_solicit` times, then fails; REACHABLE turns STALE after the
    /// randomised `reachable_time`; DELAY turns PROBE after `delay_first_probe`; PROBE
    /// sends up to `max_unicast_solicit` unicast solicitations `retrans_timer` apart,
    /// then fails; STALE entries are flushed after `stale_timeout` (C2.6). Each entry
    /// moves at most one step per call. O(capacity), plus O(pool) per failed entry.
    pub fn poll<F>(&mut self, now: Instant, mut f: F)
    where
        F: FnMut(NeighborAction),
    {
        if !self.timers_dirty && self.earliest.is_none_or(|at| at > now) {
            debug_assert_eq!(self.earliest, self.scan_earliest());
            return;
        }
        let cfg = self.config;
        for i in 0..self.entries.len() {
            let Some(mut e) = self.entries[i].entry else {
                continue;
            };
            if e.timer > now {
                continue;
            }
            let mut keep = true;
            match (e.state, e.hw) {
                (NeighborState::Incomplete, _) | (_, None) => {
                    if e.probes < cfg.max_multicast_solicit {
                        e.probes = e.probes.saturating_add(1);
                        e.timer = now.saturating_add(cfg.retrans_timer);
                        f(NeighborAction::SolicitMulticast(e.addr));
                    } else {
                        keep = false;
                    }
                }
                (NeighborState::Reachable, Some(_)) => {
                    set_stale(&mut e, now, cfg.stale_timeout);
                }
                (NeighborState::Stale, Some(_)) => {
                    // RFC 1122 §2.3.2.1 flush (C2.6); frees any packets never drained.
                    net_trace!("neighbor: flushing stale entry {}", e.addr);
                    self.remove(e.addr);
                    continue;
                }
                (NeighborState::Delay | NeighborState::Probe, Some(hw)) => {
                    if e.state == NeighborState::Delay {
                        e.state = NeighborState::Probe;
                        e.since = now;
                        e.probes = 0;
                    }
                    if e.probes < cfg.max_unicast_solicit {
                        e.probes = e.probes.saturating_add(1);
                        e.timer = now.saturating_add(cfg.retrans_timer);
                        f(NeighborAction::SolicitUnicast(e.addr, hw));
                    } else {
                        keep = false;
                    }
                }
            }
            if keep {
                self.entries[i].entry = Some(e);
            } else {
                let dropped_packets = self.remove(e.addr);
                net_debug!(
                    "neighbor: {} unreachable, {} dropped",
                    e.addr,
                    dropped_packets
                );
                f(NeighborAction::Failed {
                    addr: e.addr,
                    dropped_packets,
                });
            }
        }
        self.earliest = self.scan_earliest();
        self.timers_dirty = false;
    }

    /// The earliest instant at which [`NeighborCache::poll`] has work, or `None` for an
    /// empty cache. O(1) when no entry changed since the last `poll`, else a scan of
    /// every entry: O(capacity).
    pub fn poll_at(&self) -> Option<Instant> {
        if self.timers_dirty {
            return self.scan_earliest();
        }
        debug_assert_eq!(self.earliest, self.scan_earliest());
        self.earliest
    }

    fn scan_earliest(&self) -> Option<Instant> {
        self.entries
            .iter()
            .filter_map(|s| s.entry)
            .map(|e| e.timer)
            .min()
    }

    /// Removes the entry for `addr` (if any) and drops its queued packets; returns how
    /// many were dropped.
    pub fn remove(&mut self, addr: IpAddress) -> usize {
        self.timers_dirty = true;
        let mut dropped = 0;
        for p in self.packets.iter_mut() {
            if p.owner == Some(addr) {
                p.owner = None;
                dropped += 1;
            }
        }
        for s in self.entries.iter_mut() {
            if s.entry.is_some_and(|e| e.addr == addr) {
                s.entry = None;
            }
        }
        dropped
    }

    /// Removes every entry and drops every queued packet (e.g. when the link goes
    /// down or the address changes); returns how many packets were dropped.
    pub fn flush(&mut self) -> usize {
        self.timers_dirty = true;
        let dropped = self.queued_len();
        for s in self.entries.iter_mut() {
            s.entry = None;
        }
        for p in self.packets.iter_mut() {
            p.owner = None;
        }
        dropped
    }

    fn find(&self, addr: IpAddress) -> Option<usize> {
        self.entries
            .iter()
            .position(|s| s.entry.is_some_and(|e| e.addr == addr))
    }

    /// A free slot, evicting per the policy in [`NeighborCache::lookup`] if needed.
    fn free_slot(&mut self) -> Option<usize> {
        if let Some(i) = self.entries.iter().position(|s| s.entry.is_none()) {
            return Some(i);
        }
        let oldest_in = |state: NeighborState| {
            self.entries
                .iter()
                .enumerate()
                .filter_map(|(i, s)| s.entry.map(|e| (i, e)))
                .filter(|(_, e)| e.state == state && e.queued == 0)
                .min_by_key(|(_, e)| e.since)
                .map(|(i, _)| i)
        };
        let victim =
            oldest_in(NeighborState::Stale).or_else(|| oldest_in(NeighborState::Incomplete))?;
        if let Some(e) = self.entries[victim].entry {
            net_trace!("neighbor: evicting {} ({})", e.addr, e.state);
        }
        self.entries[victim].entry = None;
        self.timers_dirty = true;
        Some(victim)
    }

    /// The pool slot of the oldest packet waiting for `addr`.
    fn oldest_packet(&self, addr: IpAddress) -> Option<usize> {
        self.packets
            .iter()
            .enumerate()
            .filter(|(_, p)| p.owner == Some(addr))
            .min_by_key(|(_, p)| p.seq)
            .map(|(i, _)| i)
    }

    fn set_queued(&mut self, i: usize, queued: usize) {
        if let Some(e) = self.entries[i].entry.as_mut() {
            e.queued = queued;
        }
    }

    fn stale_entry(&self, addr: IpAddress, hw: EthernetAddress, now: Instant) -> Entry {
        Entry {
            addr,
            hw: Some(hw),
            state: NeighborState::Stale,
            since: now,
            timer: now.saturating_add(self.config.stale_timeout),
            probes: 0,
            queued: 0,
        }
    }

    /// `reachable_time` times a factor uniform in [0.5, 1.5] (RFC 4861 §6.3.2).
    fn draw_reachable_time(&mut self) -> Duration {
        let base = self.config.reachable_time.total_micros();
        let jitter = self.rng.below(base.saturating_add(1));
        Duration::from_micros((base / 2).saturating_add(jitter))
    }
}

fn set_reachable(e: &mut Entry, now: Instant, reachable_for: Duration) {
    e.state = NeighborState::Reachable;
    e.since = now;
    e.timer = now.saturating_add(reachable_for);
    e.probes = 0;
}

fn set_stale(e: &mut Entry, now: Instant, stale_timeout: Duration) {
    e.state = NeighborState::Stale;
    e.since = now;
    e.timer = now.saturating_add(stale_timeout);
    e.probes = 0;
}

/// Whether the cache may hold `addr`: not unspecified (C2.5), not multicast, not the
/// IPv4 limited broadcast.
fn is_cacheable(addr: IpAddress) -> bool {
    match addr {
        IpAddress::V4(a) => !(a.is_unspecified() || a.is_multicast() || a.is_broadcast()),
        IpAddress::V6(a) => !(a.is_unspecified() || a.is_multicast()),
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests;
