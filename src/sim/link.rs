//! A simulated cable between two ports: each direction delays, drops, duplicates,
//! reorders, corrupts and rate-limits frames on its own seeded generator.
//!
//! Frames in flight wait in a priority queue ordered by delivery time, ties broken by the
//! order they were sent, so the delivery sequence is a pure function of the seed and the
//! frames offered.

use alloc::collections::BinaryHeap;
use alloc::vec::Vec;
use core::cmp::{Ordering, Reverse};

use crate::pcap::{PcapLinkType, PcapTimestamp, PcapWriter};
use crate::rand::{Rng, SipHasher24};
use crate::time::{Duration, Instant};

/// Probabilities are in parts per million: 1_000_000 is "always".
const PPM: u32 = 1_000_000;

/// Which node a [`Network`](super::Network) gave back from `add_node`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub(crate) usize);

/// Which hub a [`Network`](super::Network) gave back from `add_hub`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HubId(pub(crate) usize);

/// Which link a [`Network`](super::Network) gave back from `connect`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LinkId(pub(crate) usize);

impl NodeId {
    /// The node's index, in the order nodes were added (0, 1, ...).
    pub fn index(self) -> usize {
        self.0
    }
}

impl LinkId {
    /// The link's index, in the order links were made (0, 1, ...).
    pub fn index(self) -> usize {
        self.0
    }
}

/// One end of a link: a node's device or a hub.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Port {
    /// The single device of a node.
    Node(NodeId),
    /// A hub, which repeats every frame onto its other links.
    Hub(HubId),
}

impl From<NodeId> for Port {
    fn from(id: NodeId) -> Port {
        Port::Node(id)
    }
}

impl From<HubId> for Port {
    fn from(id: HubId) -> Port {
        Port::Hub(id)
    }
}

/// How a link behaves; both directions use the same settings and separate generators.
/// [`Default`] is a perfect link: no faults, no delay, no rate limit, 1514-byte frames,
/// 1024 frames in flight per direction.
///
/// Per frame, in this order: a frame on a partitioned link is dropped
/// (`partition_drops`); one longer than `mtu` is dropped (`too_big`); one drawn by
/// `loss_ppm` is lost (`lost`); one that finds `queue_limit` frames already in flight is
/// dropped (`queue_drops`). A surviving frame may get one bit flipped (`corrupt_ppm`),
/// waits for the wire if a `bandwidth_bytes_per_sec` is set, then travels for
/// `latency` plus a uniform draw in `0..jitter`, plus `reorder_delay` if drawn by
/// `reorder_ppm`. Finally `duplicate_ppm` may add a second copy arriving at the same time.
/// With `ce_threshold`, a frame that finds at least that many frames in flight and whose
/// IP header says ECN-capable (ECT(0) or ECT(1)) is marked Congestion Experienced, as an
/// ECN router's queue would (RFC 3168 §5, `ce_marked`), before the drop-tail check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkConfig {
    /// Chance, in parts per million, that a frame is lost.
    pub loss_ppm: u32,
    /// Chance, in parts per million, that a frame arrives twice.
    pub duplicate_ppm: u32,
    /// Chance, in parts per million, that a frame is held back by `reorder_delay` so that
    /// frames sent after it overtake it.
    pub reorder_ppm: u32,
    /// Extra delay of a reordered frame. Frames sent less than this long after it arrive
    /// before it (default 1 ms).
    pub reorder_delay: Duration,
    /// Chance, in parts per million, that one random bit of the frame is flipped.
    pub corrupt_ppm: u32,
    /// Propagation delay added to every frame.
    pub latency: Duration,
    /// Upper bound (exclusive) of a uniform random delay added to each frame. Jitter can
    /// reorder frames sent closer together than the jitter.
    pub jitter: Duration,
    /// Serialisation rate: a frame of `n` bytes occupies the wire for `n / rate` seconds
    /// (rounded up to a microsecond) and frames queue behind each other. `None` or
    /// `Some(0)`: infinitely fast.
    pub bandwidth_bytes_per_sec: Option<u64>,
    /// Frames longer than this many bytes are dropped (`too_big`).
    pub mtu: usize,
    /// Most frames in flight per direction (waiting for the wire or travelling); a frame
    /// beyond it is dropped (drop-tail, `queue_drops`).
    pub queue_limit: usize,
    /// Queue length (frames in flight) from which ECN-capable IP packets in Ethernet
    /// frames are marked CE instead of waiting unmarked; `None` (the default) never marks.
    pub ce_threshold: Option<usize>,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            loss_ppm: 0,
            duplicate_ppm: 0,
            reorder_ppm: 0,
            reorder_delay: Duration::from_millis(1),
            corrupt_ppm: 0,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
            bandwidth_bytes_per_sec: None,
            mtu: super::SIM_DEFAULT_MTU,
            queue_limit: 1024,
            ce_threshold: None,
        }
    }
}

/// What a link did with the frames offered to it (one direction, or both summed).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LinkStats {
    /// Frames handed to the far end (duplicates included).
    pub delivered: u64,
    /// Frames lost to `loss_ppm`.
    pub lost: u64,
    /// Extra copies made by `duplicate_ppm`.
    pub duplicated: u64,
    /// Frames held back by `reorder_ppm`.
    pub reordered: u64,
    /// Frames with a bit flipped by `corrupt_ppm`.
    pub corrupted: u64,
    /// Frames longer than the link's `mtu`.
    pub too_big: u64,
    /// Frames dropped because `queue_limit` frames were already in flight.
    pub queue_drops: u64,
    /// Frames sent while partitioned, or in flight when the partition began.
    pub partition_drops: u64,
    /// ECN-capable packets marked Congestion Experienced (`ce_threshold`).
    pub ce_marked: u64,
}

impl LinkStats {
    fn add(&self, o: &LinkStats) -> LinkStats {
        LinkStats {
            delivered: self.delivered.saturating_add(o.delivered),
            lost: self.lost.saturating_add(o.lost),
            duplicated: self.duplicated.saturating_add(o.duplicated),
            reordered: self.reordered.saturating_add(o.reordered),
            corrupted: self.corrupted.saturating_add(o.corrupted),
            too_big: self.too_big.saturating_add(o.too_big),
            queue_drops: self.queue_drops.saturating_add(o.queue_drops),
            partition_drops: self.partition_drops.saturating_add(o.partition_drops),
            ce_marked: self.ce_marked.saturating_add(o.ce_marked),
        }
    }
}

/// A frame travelling, ordered by (delivery time, send order).
#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    frame: Vec<u8>,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.at, self.seq).cmp(&(other.at, other.seq))
    }
}

/// One direction of a link.
#[derive(Debug)]
struct Lane {
    rng: Rng,
    in_flight: BinaryHeap<Reverse<InFlight>>,
    next_seq: u64,
    /// When the wire finishes serialising the last accepted frame.
    busy_until: Instant,
    stats: LinkStats,
}

/// Draws `ppm` parts per million; draws nothing when `ppm` is 0 so that enabling one fault
/// does not shift the choices of faults that are off.
fn draw(rng: &mut Rng, ppm: u32) -> bool {
    ppm != 0 && rng.chance(ppm.min(PPM), PPM)
}

impl Lane {
    fn new(seed: u64, stream: u64) -> Lane {
        // Each lane's stream depends only on the network seed and the lane's own index,
        // so adding a link never changes the faults drawn on the others.
        let lane_seed = SipHasher24::hash([seed, 0x736b_6966_2d73_696d], &stream.to_le_bytes());
        Lane {
            rng: Rng::new(lane_seed),
            in_flight: BinaryHeap::new(),
            next_seq: 0,
            busy_until: Instant::ZERO,
            stats: LinkStats::default(),
        }
    }

    fn push(&mut self, at: Instant, frame: Vec<u8>) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.in_flight.push(Reverse(InFlight { at, seq, frame }));
    }

    fn offer(&mut self, cfg: &LinkConfig, now: Instant, mut frame: Vec<u8>) {
        if frame.len() > cfg.mtu {
            self.stats.too_big += 1;
            return;
        }
        if draw(&mut self.rng, cfg.loss_ppm) {
            self.stats.lost += 1;
            return;
        }
        if cfg
            .ce_threshold
            .is_some_and(|t| self.in_flight.len() >= t && mark_ce(&mut frame))
        {
            self.stats.ce_marked += 1;
        }
        if self.in_flight.len() >= cfg.queue_limit {
            self.stats.queue_drops += 1;
            return;
        }
        if draw(&mut self.rng, cfg.corrupt_ppm) && !frame.is_empty() {
            let bit = self.rng.below(frame.len() as u64 * 8);
            if let Some(byte) = frame.get_mut((bit / 8) as usize) {
                *byte ^= 1 << (bit % 8);
            }
            self.stats.corrupted += 1;
        }
        let mut at = now;
        if let Some(rate) = cfg.bandwidth_bytes_per_sec.filter(|&r| r != 0) {
            let start = now.max(self.busy_until);
            let byte_micros = (frame.len() as u128).saturating_mul(1_000_000);
            let micros = byte_micros.div_ceil(rate as u128);
            let wire = Duration::from_micros(u64::try_from(micros).unwrap_or(u64::MAX));
            self.busy_until = start + wire;
            at = self.busy_until;
        }
        at += cfg.latency;
        if cfg.jitter > Duration::ZERO {
            at += Duration::from_micros(self.rng.below(cfg.jitter.total_micros()));
        }
        if draw(&mut self.rng, cfg.reorder_ppm) {
            at += cfg.reorder_delay;
            self.stats.reordered += 1;
        }
        if draw(&mut self.rng, cfg.duplicate_ppm) && self.in_flight.len() + 1 < cfg.queue_limit {
            self.stats.duplicated += 1;
            self.push(at, frame.clone());
        }
        self.push(at, frame);
    }

    fn next_at(&self) -> Option<Instant> {
        self.in_flight.peek().map(|Reverse(f)| f.at)
    }

    fn pop_due(&mut self, now: Instant) -> Option<Vec<u8>> {
        if self.next_at()? > now {
            return None;
        }
        let Reverse(f) = self.in_flight.pop()?;
        self.stats.delivered += 1;
        Some(f.frame)
    }
}

/// A link between two ports (see [`LinkConfig`] for what it does to frames).
///
/// Partitioning drops the frames in flight, as pulling a cable loses what is on it, and
/// every frame offered until [`Link::heal`]; both count as `partition_drops`.
#[derive(Debug)]
pub struct Link {
    ends: [Port; 2],
    config: LinkConfig,
    lanes: [Lane; 2],
    partitioned: bool,
    capture: Option<PcapWriter<Vec<u8>>>,
}

impl Link {
    pub(crate) fn new(seed: u64, index: usize, a: Port, b: Port, config: LinkConfig) -> Link {
        let stream = (index as u64).wrapping_mul(2);
        Link {
            ends: [a, b],
            config,
            lanes: [Lane::new(seed, stream), Lane::new(seed, stream | 1)],
            partitioned: false,
            capture: None,
        }
    }

    /// The two ends, in the order given to `connect`.
    pub fn ends(&self) -> (Port, Port) {
        (self.ends[0], self.ends[1])
    }

    /// The link's settings.
    pub fn config(&self) -> &LinkConfig {
        &self.config
    }

    /// Changes the settings from now on; frames in flight keep their delivery times.
    pub fn set_config(&mut self, config: LinkConfig) {
        self.config = config;
    }

    /// Cuts the link in both directions: frames in flight are dropped, and so is every
    /// frame offered until [`Link::heal`].
    pub fn partition(&mut self) {
        self.partitioned = true;
        for lane in &mut self.lanes {
            let n = lane.in_flight.len() as u64;
            lane.in_flight.clear();
            lane.stats.partition_drops = lane.stats.partition_drops.saturating_add(n);
        }
    }

    /// Joins a partitioned link again.
    pub fn heal(&mut self) {
        self.partitioned = false;
    }

    /// Whether the link is cut.
    pub fn is_partitioned(&self) -> bool {
        self.partitioned
    }

    /// Starts recording every frame delivered across the link, both directions, with its
    /// delivery time and after faults (a corrupted frame is captured corrupted). Costs one
    /// copy of each frame into memory, unbounded: enable it on runs of modest length.
    pub fn enable_capture(&mut self) {
        if self.capture.is_none() {
            self.capture = Some(PcapWriter::new(
                Vec::new(),
                PcapLinkType::Ethernet,
                PcapTimestamp::Micros,
                65535,
            ));
        }
    }

    /// The pcap bytes recorded so far, if capture is enabled.
    pub fn capture(&self) -> Option<&[u8]> {
        self.capture.as_ref().map(|c| c.sink().as_slice())
    }

    /// Counters of both directions summed.
    pub fn stats(&self) -> LinkStats {
        self.lanes[0].stats.add(&self.lanes[1].stats)
    }

    /// Counters of the direction from the first end given to `connect` to the second
    /// (`forward == true`) or back.
    pub fn direction_stats(&self, forward: bool) -> LinkStats {
        self.lanes[usize::from(!forward)].stats
    }

    /// Frames in flight in both directions.
    pub fn in_flight(&self) -> usize {
        self.lanes[0].in_flight.len() + self.lanes[1].in_flight.len()
    }

    /// Offers a frame sent by end `from` (0 or 1) at `now`.
    pub(crate) fn offer(&mut self, from: usize, now: Instant, frame: Vec<u8>) {
        let Some(lane) = self.lanes.get_mut(from) else {
            return;
        };
        if self.partitioned {
            lane.stats.partition_drops = lane.stats.partition_drops.saturating_add(1);
            return;
        }
        lane.offer(&self.config, now, frame);
    }

    /// The earliest delivery time of any frame in flight.
    pub(crate) fn next_at(&self) -> Option<Instant> {
        match (self.lanes[0].next_at(), self.lanes[1].next_at()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Takes the next frame due by `now` in lane `lane` (0: towards end 1, 1: towards end
    /// 0), recording it in the capture.
    pub(crate) fn pop_due(&mut self, lane: usize, now: Instant) -> Option<Vec<u8>> {
        let frame = self.lanes.get_mut(lane)?.pop_due(now)?;
        if let Some(capture) = &mut self.capture {
            capture.write_frame(now, &frame);
        }
        Some(frame)
    }

    /// The end a frame in `lane` arrives at.
    pub(crate) fn destination(&self, lane: usize) -> Port {
        self.ends[usize::from(lane == 0)]
    }
}

/// Marks an ECN-capable IPv4 or IPv6 packet in an Ethernet frame Congestion Experienced
/// (fixing the IPv4 header checksum); false if the frame holds no such packet.
fn mark_ce(frame: &mut [u8]) -> bool {
    use crate::wire::{Ipv4Packet, Ipv6Packet};
    const ECN_CE: u8 = 0b11;
    let Some((ethertype, ip)) = frame.get_mut(12..).and_then(|rest| {
        let (ty, ip) = rest.split_at_mut_checked(2)?;
        Some((u16::from_be_bytes([ty[0], ty[1]]), ip))
    }) else {
        return false;
    };
    match ethertype {
        0x0800 => {
            let Ok(mut packet) = Ipv4Packet::new_checked(ip) else {
                return false;
            };
            if packet.ecn() == 0 || packet.ecn() == ECN_CE {
                return false;
            }
            packet.set_ecn(ECN_CE);
            packet.fill_checksum();
            true
        }
        0x86dd => {
            let Ok(mut packet) = Ipv6Packet::new_checked(ip) else {
                return false;
            };
            let class = packet.traffic_class();
            if class & 0x03 == 0 || class & 0x03 == ECN_CE {
                return false;
            }
            packet.set_traffic_class(class | ECN_CE);
            true
        }
        _ => false,
    }
}
