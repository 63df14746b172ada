//! The interface: addresses, routes, neighbours, reassembly and the poll loop that moves
//! frames between a [`Device`] and a [`SocketSet`].
//!
//! `poll` does three things in order, each bounded: take in up to `frame_budget` frames
//! (answering ARP, NDP, echo requests and closed ports on the way, and handing
//! datagrams to sockets through the set's keyed index); run the neighbour and reassembly
//! timers; then let the sockets on the set's ready list, and those whose deadline has
//! come, send. Nothing in it walks the socket set. `poll_at` says when to call it next.
//!
//! Two shortcuts serve bulk TCP, each decided frame by frame and switched by `Config`
//! (on by default) so that tests can compare it with the general path: header prediction
//! on receive (`predict.rs`: the next segment of the last connection goes straight to
//! its socket) and bursts with header templates on send (`template.rs`: a segment whose
//! header repeats the previous one's is built from it). Neither changes a frame.
//!
//! Governing texts: RFC 826, RFC 1122, RFC 791, RFC 792, RFC 8200, RFC 4443, RFC 4861,
//! RFC 768; the items of CONFORMANCE.md sections C and D1 are cited where they apply.

mod counters;
mod egress;
mod icmp;
mod ingress;
pub mod neighbor;
mod predict;
pub mod reassembly;
mod route;
mod template;

use managed::ManagedSlice;

pub use self::counters::Counters;
pub use self::neighbor::{NeighborCache, NeighborConfig, NeighborEntry, NeighborState};
pub use self::reassembly::{Reassembler, ReassemblyConfig, ReassemblySlot, ReassemblyStats};
pub use self::route::{MAX_ROUTES, Route, RouteTableFull, Routes};

use self::neighbor::NeighborCache as Cache;
use crate::phy::{Device, DeviceCapabilities, Medium};
use crate::rand::{Rng, SipHasher24};
use crate::socket::SocketSet;
use crate::time::{Duration, Instant};
use crate::wire::{
    ArpRepr, EthernetAddress, IpAddress, IpCidr, Ipv4Address, Ipv6Address, Ipv6AddressExt,
};

/// How many addresses one interface holds.
pub const MAX_IP_ADDRS: usize = 8;

/// How an interface is set up. Build with [`Config::new`] and adjust fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The interface's MAC address (`None` for an IP-medium device).
    pub hardware_addr: Option<EthernetAddress>,
    /// Seed for every choice that must look random (IPv4 identifiers, reachable-time
    /// jitter, hash keys). Give each interface its own, from a real entropy source in
    /// production; the same seed replays the same run.
    pub random_seed: u64,
    /// TTL / hop limit of packets the interface originates (C3.7: configurable, 64).
    pub hop_limit: u8,
    /// Most frames taken from the device in one `poll`, so a flood cannot starve egress.
    pub frame_budget: usize,
    /// Neighbour cache entries.
    pub neighbor_cache_entries: usize,
    /// Packets that may wait for address resolution, over all neighbours.
    pub neighbor_queue_packets: usize,
    /// Neighbour timers and per-neighbour queue length.
    pub neighbor: NeighborConfig,
    /// Datagrams reassembled at once (C4.8).
    pub reassembly_slots: usize,
    /// Largest reassembled payload (C4.1: at least 576; 65535 allows any datagram).
    pub reassembly_buffer_len: usize,
    /// Reassembly timeout and limits.
    pub reassembly: ReassemblyConfig,
    /// ICMP errors: burst size of the token bucket (C5.11, C8.5).
    pub icmp_error_burst: u32,
    /// ICMP errors: sustained rate per second.
    pub icmp_error_rate_per_sec: u32,
    /// Answer ICMPv4 echo requests sent to a broadcast or multicast address (C5.9 MAY;
    /// off by default, as Linux's `icmp_echo_ignore_broadcasts`).
    pub answer_broadcast_echo: bool,
    /// Header prediction on receive: the next in-order segment of the connection the
    /// last segment went to skips the general parsers and the demux (same result, fewer
    /// instructions; see `Counters::rx_predicted`). On by default; off gives the general
    /// path for every frame (the differential tests compare both).
    pub header_prediction: bool,
    /// Bursts on send: a TCP socket sends all the segments it has due (up to the
    /// per-socket burst) in one call, and a data segment whose header repeats the
    /// previous one's but for SEQ, PSH and length is built from that frame's header (same
    /// frames, fewer instructions). On by default; off gives one call and a header built
    /// from scratch per segment (the differential tests compare both).
    pub fast_send: bool,
}

impl Config {
    /// Defaults for an interface with this MAC address (or `None` for an IP medium) and
    /// this random seed.
    pub fn new(hardware_addr: impl Into<Option<EthernetAddress>>, random_seed: u64) -> Config {
        Config {
            hardware_addr: hardware_addr.into(),
            random_seed,
            hop_limit: 64,
            frame_budget: 64,
            neighbor_cache_entries: 64,
            // Enough for every fragment of a datagram of several KiB to wait (C2.8).
            neighbor_queue_packets: 64,
            neighbor: NeighborConfig {
                queue_per_neighbor: 16,
                ..NeighborConfig::default()
            },
            reassembly_slots: 4,
            reassembly_buffer_len: 65535,
            reassembly: ReassemblyConfig::default(),
            icmp_error_burst: 10,
            icmp_error_rate_per_sec: 10,
            answer_broadcast_echo: false,
            header_prediction: true,
            fast_send: true,
        }
    }
}

/// What a poll did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PollResult {
    /// No frame moved and no socket changed.
    None,
    /// Frames moved or sockets may have changed state: look at them.
    SocketStateChanged,
}

/// A token bucket for ICMP errors (RFC 4443 §2.4(f)).
#[derive(Debug, Clone, Copy)]
struct TokenBucket {
    tokens_micro: u64,
    burst: u32,
    rate_per_sec: u32,
    last: Instant,
}

impl TokenBucket {
    fn new(burst: u32, rate_per_sec: u32) -> Self {
        TokenBucket {
            tokens_micro: u64::from(burst) * 1_000_000,
            burst,
            rate_per_sec,
            last: Instant::ZERO,
        }
    }

    /// Takes one token if there is one.
    fn take(&mut self, now: Instant) -> bool {
        let elapsed = (now - self.last).total_micros();
        self.last = self.last.max(now);
        let max = u64::from(self.burst) * 1_000_000;
        self.tokens_micro = self
            .tokens_micro
            .saturating_add(elapsed.saturating_mul(u64::from(self.rate_per_sec)))
            .min(max);
        if self.tokens_micro >= 1_000_000 {
            self.tokens_micro -= 1_000_000;
            true
        } else {
            false
        }
    }
}

/// A reply built while a received frame was borrowed, sent once the frame is released.
#[derive(Debug, Clone, Copy)]
enum PendingReply {
    None,
    /// An ARP reply to this MAC address.
    Arp {
        repr: ArpRepr,
        dst: EthernetAddress,
    },
    /// An IP packet of this length at the start of the scratch buffer.
    Ip {
        len: usize,
    },
}

/// Everything but the neighbour cache and the reassembler, so that a reassembled
/// datagram borrowed from the reassembler can be processed by the rest.
#[derive(Debug)]
struct InterfaceInner<'a> {
    config: Config,
    caps: DeviceCapabilities,
    ip_addrs: [Option<IpCidr>; MAX_IP_ADDRS],
    routes: Routes,
    scratch: ManagedSlice<'a, u8>,
    frag_buf: ManagedSlice<'a, u8>,
    reply: PendingReply,
    resolved: [Option<IpAddress>; 8],
    resolved_overflow: bool,
    ident_key: [u64; 2],
    ident_counter: u32,
    /// The last IPv4 destination's identifier offset (its keyed hash): a flow sends run
    /// after run to one peer, so one entry spares the hash on nearly every packet.
    ident_offset_v4: Option<(Ipv4Address, u32)>,
    /// The secret of the TCP ISN function (RFC 6528, CONFORMANCE B9.2).
    tcp_isn_key: [u64; 2],
    /// The secret and counter of ephemeral port selection (RFC 6056 algorithm 3, B10).
    port_key: [u64; 2],
    port_counter: u32,
    icmp_tokens: TokenBucket,
    counters: Counters,
    /// A TCP socket owes an ACK that must not wait for the rest of the batch.
    prompt_answer: bool,
    /// The connection header prediction expects the next frame for (`predict.rs`).
    rx_hint: Option<predict::RxHint>,
    /// The socket header prediction delivered to and whose resync it deferred.
    resync_pending: Option<usize>,
    /// The last destination sent to and where its packets go (`egress.rs`); cleared
    /// when addresses or routes change.
    next_hop_cache: Option<(IpAddress, egress::Hop)>,
    /// The headers of the last TCP segment sent in the current burst (`template.rs`).
    tcp_template: Option<template::TcpTemplate>,
}

/// A network interface: one device's worth of addresses, neighbours and policy.
#[derive(Debug)]
pub struct Interface<'a> {
    inner: InterfaceInner<'a>,
    neighbors: Cache<'a>,
    reassembler: Reassembler<'a>,
}

#[cfg(feature = "alloc")]
impl Interface<'static> {
    /// An interface for `device`, with every buffer allocated now from the sizes in
    /// `config` (about 340 KiB with the defaults, mostly reassembly); nothing is
    /// allocated after this.
    pub fn new<D: Device + ?Sized>(config: Config, device: &mut D, now: Instant) -> Self {
        let caps = device.capabilities();
        let mut rng = Rng::new(config.random_seed);
        let neighbors = Cache::with_capacity(
            config.neighbor_cache_entries,
            config.neighbor_queue_packets,
            caps.ip_mtu().max(1280),
            config.neighbor,
            rng.next_u64(),
        );
        let reassembler = Reassembler::with_capacity(
            config.reassembly_slots,
            config.reassembly_buffer_len,
            config.reassembly,
        );
        let scratch = alloc::vec![0u8; 65535 + 64];
        let frag_buf = alloc::vec![0u8; caps.max_transmission_unit.max(1280 + 14)];
        let _ = now;
        Interface {
            inner: InterfaceInner::new(config, caps, scratch.into(), frag_buf.into(), &mut rng),
            neighbors,
            reassembler,
        }
    }
}

/// Caller-provided storage for an interface that needs no heap (see
/// [`Interface::with_storage`]).
#[derive(Debug)]
pub struct InterfaceStorage<'a> {
    /// The neighbour cache, built over the caller's slices.
    pub neighbors: NeighborCache<'a>,
    /// The reassembler, built over the caller's slices.
    pub reassembler: Reassembler<'a>,
    /// Room to build one whole IP packet that cannot be written straight into a device
    /// buffer (a reply, a datagram to fragment or to queue): its length bounds the
    /// largest datagram the interface sends (65535 + 64 allows any).
    pub scratch: &'a mut [u8],
    /// Room for one frame while fragmenting: at least the device MTU.
    pub frag_buf: &'a mut [u8],
}

impl<'a> Interface<'a> {
    /// An interface over caller-provided storage: nothing is allocated, ever.
    pub fn with_storage<D: Device + ?Sized>(
        config: Config,
        device: &mut D,
        storage: InterfaceStorage<'a>,
    ) -> Self {
        let caps = device.capabilities();
        let mut rng = Rng::new(config.random_seed);
        Interface {
            inner: InterfaceInner::new(
                config,
                caps,
                storage.scratch.into(),
                storage.frag_buf.into(),
                &mut rng,
            ),
            neighbors: storage.neighbors,
            reassembler: storage.reassembler,
        }
    }
}

impl<'a> InterfaceInner<'a> {
    fn new(
        config: Config,
        caps: DeviceCapabilities,
        scratch: ManagedSlice<'a, u8>,
        frag_buf: ManagedSlice<'a, u8>,
        rng: &mut Rng,
    ) -> Self {
        let icmp_tokens = TokenBucket::new(config.icmp_error_burst, config.icmp_error_rate_per_sec);
        InterfaceInner {
            config,
            caps,
            ip_addrs: [None; MAX_IP_ADDRS],
            routes: Routes::new(),
            scratch,
            frag_buf,
            reply: PendingReply::None,
            resolved: [None; 8],
            resolved_overflow: false,
            ident_key: [rng.next_u64(), rng.next_u64()],
            ident_counter: rng.next_u32(),
            ident_offset_v4: None,
            tcp_isn_key: [rng.next_u64(), rng.next_u64()],
            port_key: [rng.next_u64(), rng.next_u64()],
            port_counter: rng.next_u32(),
            icmp_tokens,
            counters: Counters::default(),
            prompt_answer: false,
            rx_hint: None,
            resync_pending: None,
            next_hop_cache: None,
            tcp_template: None,
        }
    }
}

impl<'a> Interface<'a> {
    /// The MAC address, if the medium has one.
    pub fn hardware_addr(&self) -> Option<EthernetAddress> {
        self.inner.config.hardware_addr
    }

    /// The interface's addresses.
    pub fn ip_addrs(&self) -> impl Iterator<Item = IpCidr> + '_ {
        self.inner.ip_addrs.iter().flatten().copied()
    }

    /// Adds an address; `false` if all [`MAX_IP_ADDRS`] slots are taken or it is there.
    pub fn add_ip_addr(&mut self, cidr: IpCidr) -> bool {
        // What is ours, on-link or a broadcast changes: forget what depended on it.
        self.inner.rx_hint = None;
        self.inner.next_hop_cache = None;
        if self.inner.ip_addrs.iter().flatten().any(|c| *c == cidr) {
            return false;
        }
        match self.inner.ip_addrs.iter_mut().find(|s| s.is_none()) {
            Some(slot) => {
                *slot = Some(cidr);
                true
            }
            None => false,
        }
    }

    /// Removes an address; `false` if it was not there.
    pub fn remove_ip_addr(&mut self, cidr: &IpCidr) -> bool {
        self.inner.rx_hint = None;
        self.inner.next_hop_cache = None;
        match self
            .inner
            .ip_addrs
            .iter_mut()
            .find(|s| s.as_ref() == Some(cidr))
        {
            Some(slot) => {
                *slot = None;
                true
            }
            None => false,
        }
    }

    /// Whether `addr` is one of the interface's unicast addresses.
    pub fn has_ip_addr(&self, addr: IpAddress) -> bool {
        self.inner.has_addr(addr)
    }

    /// The routing table.
    pub fn routes(&self) -> &Routes {
        &self.inner.routes
    }

    /// The routing table, to add or remove routes.
    pub fn routes_mut(&mut self) -> &mut Routes {
        self.inner.next_hop_cache = None;
        &mut self.inner.routes
    }

    /// The counters (`netstat -s`).
    pub fn counters(&self) -> &Counters {
        &self.inner.counters
    }

    /// The neighbour cache, to inspect (`ip neigh`).
    pub fn neighbors(&self) -> &NeighborCache<'a> {
        &self.neighbors
    }

    /// Reassembly statistics.
    pub fn reassembly_stats(&self) -> &ReassemblyStats {
        self.reassembler.stats()
    }

    /// The context a TCP socket's `connect` needs: the time, the interface's ISN key and
    /// the MSS for a peer at `remote`.
    pub fn tcp_context(&self, now: Instant, remote: IpAddress) -> crate::socket::tcp::TcpContext {
        self.inner.tcp_context(now, Some(remote))
    }

    /// Connects the TCP socket behind `handle` to `remote` from one of the interface's
    /// addresses (chosen as for any packet to `remote`) and an ephemeral port chosen by
    /// RFC 6056 algorithm 3: a keyed hash of (local address, remote address, remote
    /// port) plus a counter that advances by keyed pseudo-random steps (algorithm 5), over
    /// the whole 1024–65535 range, skipping every port whose
    /// 4-tuple is in use — TIME-WAIT included (CONFORMANCE B10). Returns the local
    /// endpoint. Costs at most a few index lookups (one per port in use that it skips).
    pub fn tcp_connect(
        &mut self,
        now: Instant,
        sockets: &mut SocketSet<'_>,
        handle: crate::socket::SocketHandle,
        remote: core::net::SocketAddr,
    ) -> Result<core::net::SocketAddr, crate::socket::tcp::ConnectError> {
        use crate::socket::tcp::ConnectError;
        let local_addr = self
            .inner
            .select_source(remote.ip())
            .ok_or(ConnectError::Unaddressable)?;
        let port = self
            .inner
            .ephemeral_port(Some(local_addr), Some(remote), |port| {
                let local = core::net::SocketAddr::new(local_addr, port);
                let key = crate::socket::DemuxKey::TcpConnection { local, remote };
                sockets.lookup(&key).is_some()
            })
            .ok_or(ConnectError::Unaddressable)?;
        let local = core::net::SocketAddr::new(local_addr, port);
        let cx = self.inner.tcp_context(now, Some(remote.ip()));
        let mut socket = sockets
            .get_mut_as::<crate::socket::tcp::Socket>(handle)
            .ok_or(ConnectError::InvalidState)?;
        socket.connect(&cx, remote, local)?;
        Ok(local)
    }

    /// Binds the UDP socket behind `handle` to an ephemeral port on `addr` (`None`: every
    /// address), chosen as [`Interface::tcp_connect`] chooses TCP's (RFC 6056, the same
    /// keyed order over 1024–65535; CONFORMANCE B10.4), skipping every port a UDP socket
    /// of `sockets` is bound to on `addr`, on every address, or (for `None`) on any of
    /// the interface's addresses. Returns the port. Costs a few index lookups per port
    /// in use that it skips. Errors: `InvalidState` if the handle is not an unbound UDP
    /// socket, `Unaddressable` if every port is taken.
    pub fn udp_bind_ephemeral(
        &mut self,
        sockets: &mut SocketSet<'_>,
        handle: crate::socket::SocketHandle,
        addr: Option<IpAddress>,
    ) -> Result<u16, crate::socket::BindError> {
        use crate::socket::{BindError, DemuxKey};
        use crate::wire::IpListenEndpoint;
        let addr = addr.filter(|a| !a.is_unspecified());
        let unbound = sockets
            .get_as::<crate::socket::udp::Socket>(handle)
            .is_some_and(|s| !s.is_open());
        if !unbound {
            return Err(BindError::InvalidState);
        }
        let ours = self.inner.ip_addrs;
        let port = self
            .inner
            .ephemeral_port(addr, None, |port| {
                let mut bound = |addr| {
                    let key = DemuxKey::Udp(IpListenEndpoint { addr, port });
                    sockets.lookup(&key).is_some()
                };
                bound(None)
                    || match addr {
                        Some(a) => bound(Some(a)),
                        None => ours.iter().flatten().any(|c| bound(Some(c.address()))),
                    }
            })
            .ok_or(BindError::Unaddressable)?;
        let mut socket = sockets
            .get_mut_as::<crate::socket::udp::Socket>(handle)
            .ok_or(BindError::InvalidState)?;
        socket.bind(IpListenEndpoint { addr, port })?;
        Ok(port)
    }

    /// The capabilities of the device, as read at construction.
    pub fn device_capabilities(&self) -> &DeviceCapabilities {
        &self.inner.caps
    }

    /// Moves frames: ingress (bounded by the frame budget), timers, then egress from
    /// sockets that have something to send. Call it when the device is readable or when
    /// [`Interface::poll_at`] comes.
    pub fn poll<D: Device + ?Sized>(
        &mut self,
        now: Instant,
        device: &mut D,
        sockets: &mut SocketSet<'_>,
    ) -> PollResult {
        self.inner.caps = device.capabilities();
        let mut changed = false;
        let mut taken = 0;
        for _ in 0..self.inner.config.frame_budget {
            let Some((rx, tx)) = device.receive(now) else {
                break;
            };
            taken += 1;
            // Replies are built in the scratch buffer while the frame is borrowed and
            // sent after it is released, through the same egress path as everything else.
            drop(tx);
            self.inner.counters.rx_frames += 1;
            crate::phy::RxToken::consume(rx, |frame| self.process_frame(now, frame, sockets));
            self.flush_reply(now, device);
            // MUST-59: in-order segments of one batch are all processed before their
            // one ACK goes out (at the end of the batch). An ACK that must not wait
            // (out-of-order data, a filled hole, a FIN: RFC 5681 §4.2) goes now.
            if core::mem::take(&mut self.inner.prompt_answer) {
                self.resync_deferred(sockets);
                if sockets.has_ready() {
                    self.dispatch_sockets(now, device, sockets);
                }
            }
            changed = true;
        }
        self.resync_deferred(sockets);
        if taken == self.inner.config.frame_budget {
            self.inner.counters.rx_budget_exhausted += 1;
        }
        self.poll_timers(now, device);
        self.drain_resolved(now, device);
        if self.dispatch_sockets(now, device, sockets) {
            changed = true;
        }
        if changed {
            PollResult::SocketStateChanged
        } else {
            PollResult::None
        }
    }

    /// When `poll` must next be called even if no frame arrives: now if a socket has
    /// something to send, else the earliest socket, neighbour or reassembly timer.
    /// O(1) in the number of sockets.
    pub fn poll_at(&self, now: Instant, sockets: &SocketSet<'_>) -> Option<Instant> {
        if sockets.has_ready() {
            return Some(now);
        }
        let earliest = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let timers = earliest(sockets.next_deadline(), self.neighbors.poll_at());
        earliest(timers, self.reassembler.poll_at())
    }

    /// How long until `poll_at`, for an event loop's sleep: `Some(ZERO)` for "now",
    /// `None` for "only when a frame arrives".
    pub fn poll_delay(&self, now: Instant, sockets: &SocketSet<'_>) -> Option<Duration> {
        self.poll_at(now, sockets).map(|at| at - now)
    }
}

impl InterfaceInner<'_> {
    fn has_addr(&self, addr: IpAddress) -> bool {
        self.ip_addrs.iter().flatten().any(|c| c.address() == addr)
    }

    fn ipv4_addrs(&self) -> impl Iterator<Item = crate::wire::Ipv4Cidr> + '_ {
        self.ip_addrs.iter().flatten().filter_map(|c| match c {
            IpCidr::V4(c) => Some(*c),
            IpCidr::V6(_) => None,
        })
    }

    fn ipv6_addrs(&self) -> impl Iterator<Item = crate::wire::Ipv6Cidr> + '_ {
        self.ip_addrs.iter().flatten().filter_map(|c| match c {
            IpCidr::V6(c) => Some(*c),
            IpCidr::V4(_) => None,
        })
    }

    /// Whether `addr` is a broadcast address valid on this interface: the limited
    /// broadcast or the directed broadcast of one of our subnets (C3.5).
    fn is_broadcast_v4(&self, addr: Ipv4Address) -> bool {
        addr == Ipv4Address::BROADCAST || self.ipv4_addrs().any(|c| c.broadcast() == Some(addr))
    }

    /// Whether we accept IPv6 packets for this multicast group: all-nodes and the
    /// solicited-node group of every address (C6.2).
    fn has_multicast_v6(&self, addr: Ipv6Address) -> bool {
        addr == crate::wire::IPV6_LINK_LOCAL_ALL_NODES
            || self
                .ipv6_addrs()
                .any(|c| c.address().solicited_node() == addr)
    }

    /// The source address for a packet to `dst`: an address of ours in `dst`'s subnet
    /// if there is one, else the first of the same version (C3.6, C8.10).
    fn select_source(&self, dst: IpAddress) -> Option<IpAddress> {
        let same_version = |c: &&IpCidr| {
            matches!(
                (c, dst),
                (IpCidr::V4(_), IpAddress::V4(_)) | (IpCidr::V6(_), IpAddress::V6(_))
            )
        };
        let mut candidates = self.ip_addrs.iter().flatten().filter(same_version);
        let first = candidates.clone().next().map(IpCidr::address);
        candidates
            .find(|c| c.contains_addr(&dst))
            .map(IpCidr::address)
            .or(first)
    }

    /// The next hop towards `dst`: itself when on-link, else the gateway of its route.
    fn next_hop(&self, dst: IpAddress) -> Option<IpAddress> {
        if self
            .ip_addrs
            .iter()
            .flatten()
            .any(|c| c.contains_addr(&dst))
        {
            return Some(dst);
        }
        if let IpAddress::V6(a) = dst {
            if a.is_link_local() {
                return Some(dst);
            }
        }
        self.routes.lookup(&dst)
    }

    /// RFC 6056 algorithm 3 (see [`Interface::tcp_connect`]): the first port of the
    /// 1024–65535 range, in the order the keyed hash of (`local`, `remote`) and the
    /// stepping counter give, for which `in_use` says no. TCP passes its 4-tuple; an
    /// unconnected UDP socket has no remote, and its order then comes from the key and
    /// the counter alone. `None` when every port is in use.
    fn ephemeral_port(
        &mut self,
        local: Option<IpAddress>,
        remote: Option<core::net::SocketAddr>,
        mut in_use: impl FnMut(u16) -> bool,
    ) -> Option<u16> {
        const FIRST: u32 = 1024;
        const COUNT: u32 = 65536 - FIRST;
        let mut key_bytes = [0u8; 40];
        let mut put = |at: usize, addr: Option<IpAddress>| -> usize {
            match addr {
                Some(IpAddress::V4(a)) => {
                    key_bytes[at..at + 4].copy_from_slice(&a.octets());
                    at + 4
                }
                Some(IpAddress::V6(a)) => {
                    key_bytes[at..at + 16].copy_from_slice(&a.octets());
                    at + 16
                }
                None => at,
            }
        };
        let at = put(0, local);
        let at = put(at, remote.map(|r| r.ip()));
        let remote_port = remote.map_or(0, |r| r.port());
        key_bytes[at..at + 2].copy_from_slice(&remote_port.to_be_bytes());
        let offset = SipHasher24::hash(self.port_key, &key_bytes[..at + 2]) as u32;
        for _ in 0..COUNT {
            // Algorithm 3's counter moves by a keyed pseudo-random step of 1..=512
            // (algorithm 5's idea), so successive ports are not sequential either.
            let step = SipHasher24::hash(self.port_key, &self.port_counter.to_be_bytes()) % 512;
            self.port_counter = self.port_counter.wrapping_add(1 + step as u32);
            let port = (FIRST + offset.wrapping_add(self.port_counter) % COUNT) as u16;
            if !in_use(port) {
                return Some(port);
            }
        }
        None
    }

    /// Remembers that `addr` resolved, so its queued packets go out this poll.
    fn note_resolved(&mut self, addr: IpAddress) {
        if self.resolved.contains(&Some(addr)) {
            return;
        }
        match self.resolved.iter_mut().find(|s| s.is_none()) {
            Some(slot) => *slot = Some(addr),
            None => self.resolved_overflow = true,
        }
    }

    fn medium(&self) -> Medium {
        self.caps.medium
    }
}
