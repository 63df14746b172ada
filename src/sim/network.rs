//! The simulated network: nodes, hubs and links on one virtual clock that jumps from
//! event to event.

use alloc::vec::Vec;

use super::SimNode;
use super::device::SimDevice;
use super::link::{HubId, Link, LinkConfig, LinkId, NodeId, Port};
use crate::time::{Duration, Instant};

/// Default for [`Network::set_max_steps_per_instant`].
pub const SIM_DEFAULT_MAX_STEPS_PER_INSTANT: u32 = 1000;

/// A node with its device and the links plugged into that device.
#[derive(Debug)]
struct NodeSlot<N> {
    node: N,
    device: SimDevice,
    /// (link index, which end of the link this node is).
    ports: Vec<(usize, usize)>,
    /// Frames arrived since the node was last polled.
    fresh_rx: bool,
}

/// A deterministic network of nodes joined by links and hubs, driven by a virtual clock.
///
/// The clock starts at zero and only moves in [`Network::step`], straight to the next
/// event: the earliest frame delivery on any link or the earliest `poll_at` of any node.
/// An idle minute therefore costs a handful of steps, not sixty million.
///
/// One seed decides every fault on every link; each link direction draws from its own
/// stream derived from the seed and the link's index, so adding a link does not change
/// the faults on links made before it.
///
/// Each node has one device. A node with several links sends each frame on all of them
/// and receives from all of them, as if it sat on a shared segment; join three or more
/// nodes through a hub ([`Network::add_hub`]) to say that explicitly.
#[derive(Debug)]
pub struct Network<N: SimNode> {
    seed: u64,
    now: Instant,
    nodes: Vec<NodeSlot<N>>,
    /// Per hub: (link index, which end of the link the hub is).
    hubs: Vec<Vec<(usize, usize)>>,
    links: Vec<Link>,
    steps: u64,
    steps_at_instant: u32,
    max_steps_per_instant: u32,
    livelocks: u64,
}

impl<N: SimNode> Network<N> {
    /// An empty network whose every random choice follows from `seed`.
    pub fn new(seed: u64) -> Network<N> {
        Network {
            seed,
            now: Instant::ZERO,
            nodes: Vec::new(),
            hubs: Vec::new(),
            links: Vec::new(),
            steps: 0,
            steps_at_instant: 0,
            max_steps_per_instant: SIM_DEFAULT_MAX_STEPS_PER_INSTANT,
            livelocks: 0,
        }
    }

    /// The seed given to [`Network::new`].
    pub fn seed(&self) -> u64 {
        self.seed
    }

    /// The virtual clock.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Steps taken so far (each step is one instant's deliveries and polls).
    pub fn steps(&self) -> u64 {
        self.steps
    }

    /// How many times the livelock guard tripped: an instant at which
    /// `max_steps_per_instant` steps ran and more were still due. When it trips, the clock
    /// moves on to the next event after the current instant; nodes that still want to be
    /// polled and frames still due are handled then.
    pub fn livelocks(&self) -> u64 {
        self.livelocks
    }

    /// Sets the most steps taken at one instant before the livelock guard trips (at
    /// least 1).
    pub fn set_max_steps_per_instant(&mut self, max: u32) {
        self.max_steps_per_instant = max.max(1);
    }

    /// Adds a node with a default device ([`SimDevice::default`]).
    pub fn add_node(&mut self, node: N) -> NodeId {
        self.add_node_with_device(node, SimDevice::default())
    }

    /// Adds a node with the given device (for another MTU or queue length).
    pub fn add_node_with_device(&mut self, node: N, device: SimDevice) -> NodeId {
        self.nodes.push(NodeSlot {
            node,
            device,
            ports: Vec::new(),
            fresh_rx: false,
        });
        NodeId(self.nodes.len() - 1)
    }

    /// Adds a hub: every frame arriving on one of its links is repeated, at once, onto all
    /// its other links.
    pub fn add_hub(&mut self) -> HubId {
        self.hubs.push(Vec::new());
        HubId(self.hubs.len() - 1)
    }

    /// Joins two ports (nodes or hubs) with a link. Ids from another network make a link
    /// whose frames towards the unknown end are dropped on arrival.
    pub fn connect(
        &mut self,
        a: impl Into<Port>,
        b: impl Into<Port>,
        config: LinkConfig,
    ) -> LinkId {
        let (a, b) = (a.into(), b.into());
        let index = self.links.len();
        self.links.push(Link::new(self.seed, index, a, b, config));
        for (end, port) in [(0, a), (1, b)] {
            match port {
                Port::Node(id) => {
                    if let Some(slot) = self.nodes.get_mut(id.0) {
                        slot.ports.push((index, end));
                    }
                }
                Port::Hub(id) => {
                    if let Some(hub) = self.hubs.get_mut(id.0) {
                        hub.push((index, end));
                    }
                }
            }
        }
        LinkId(index)
    }

    /// A node.
    pub fn node(&self, id: NodeId) -> Option<&N> {
        self.nodes.get(id.0).map(|s| &s.node)
    }

    /// A node, to change it between steps.
    pub fn node_mut(&mut self, id: NodeId) -> Option<&mut N> {
        self.nodes.get_mut(id.0).map(|s| &mut s.node)
    }

    /// A node's device (queue lengths, overflow counters).
    pub fn device(&self, id: NodeId) -> Option<&SimDevice> {
        self.nodes.get(id.0).map(|s| &s.device)
    }

    /// A link (stats, capture).
    pub fn link(&self, id: LinkId) -> Option<&Link> {
        self.links.get(id.0)
    }

    /// A link, to change its settings, partition it or enable its capture.
    pub fn link_mut(&mut self, id: LinkId) -> Option<&mut Link> {
        self.links.get_mut(id.0)
    }

    /// Every link, in the order they were made.
    pub fn links(&self) -> impl Iterator<Item = (LinkId, &Link)> {
        self.links.iter().enumerate().map(|(i, l)| (LinkId(i), l))
    }

    /// Starts capture on every link made so far.
    pub fn enable_capture_all(&mut self) {
        self.links.iter_mut().for_each(Link::enable_capture);
    }

    /// Cuts every link joining `a` and `b` directly, in both directions (see
    /// [`Link::partition`]: frames in flight are dropped). Returns how many links were cut.
    pub fn partition(&mut self, a: impl Into<Port>, b: impl Into<Port>) -> usize {
        self.links_between(a.into(), b.into(), Link::partition)
    }

    /// Joins again every link between `a` and `b`. Returns how many links were healed.
    pub fn heal(&mut self, a: impl Into<Port>, b: impl Into<Port>) -> usize {
        self.links_between(a.into(), b.into(), Link::heal)
    }

    fn links_between(&mut self, a: Port, b: Port, mut f: impl FnMut(&mut Link)) -> usize {
        let mut n = 0;
        for link in &mut self.links {
            let (x, y) = link.ends();
            if (x, y) == (a, b) || (x, y) == (b, a) {
                f(link);
                n += 1;
            }
        }
        n
    }

    /// The next instant at which something happens, if anything will. Once the livelock
    /// guard has tripped at the current instant, only events after it count.
    pub fn next_event(&self) -> Option<Instant> {
        let now = self.now;
        let stalled = self.steps_at_instant >= self.max_steps_per_instant;
        let links = self.links.iter().filter_map(Link::next_at);
        let nodes = self.nodes.iter().filter_map(|s| {
            if s.fresh_rx {
                Some(now)
            } else {
                s.node.poll_at(now)
            }
        });
        links
            .chain(nodes)
            .map(|t| t.max(now))
            .filter(|&t| !stalled || t > now)
            .min()
    }

    /// Moves the clock to the next event, delivers the frames due, polls every node that
    /// is due or received frames, and puts what they sent onto their links. Returns
    /// `false`, leaving the clock alone, when nothing will ever happen again.
    pub fn step(&mut self) -> bool {
        let Some(t) = self.next_event() else {
            return false;
        };
        self.advance_to(t);
        self.steps = self.steps.saturating_add(1);
        self.steps_at_instant = self.steps_at_instant.saturating_add(1);
        if self.steps_at_instant == self.max_steps_per_instant {
            self.livelocks = self.livelocks.saturating_add(1);
        }
        self.deliver_due();
        self.poll_due();
        true
    }

    /// Runs every event up to `now + duration`, then sets the clock there.
    pub fn run_for(&mut self, duration: Duration) {
        let deadline = self.now + duration;
        while self.next_event().is_some_and(|t| t <= deadline) {
            self.step();
        }
        self.advance_to(deadline);
    }

    /// Runs until `done` holds (checked before each step) or `max` has passed, whichever
    /// comes first. Returns whether `done` held; on a time-out the clock is at `now + max`.
    pub fn run_until(&mut self, mut done: impl FnMut(&Self) -> bool, max: Duration) -> bool {
        let deadline = self.now + max;
        loop {
            if done(self) {
                return true;
            }
            match self.next_event() {
                Some(t) if t <= deadline => {
                    self.step();
                }
                _ => {
                    self.advance_to(deadline);
                    return done(self);
                }
            }
        }
    }

    fn advance_to(&mut self, t: Instant) {
        if t > self.now {
            self.now = t;
            self.steps_at_instant = 0;
        }
    }

    /// Hands every frame due now to its destination. Frames a hub repeats are offered to
    /// the other links after the pass, so a loop of hubs cannot spin inside one step.
    fn deliver_due(&mut self) {
        let now = self.now;
        let Network {
            nodes, hubs, links, ..
        } = self;
        let mut repeats: Vec<(usize, usize, Vec<u8>)> = Vec::new();
        for (index, link) in links.iter_mut().enumerate() {
            for lane in 0..2 {
                while let Some(frame) = link.pop_due(lane, now) {
                    match link.destination(lane) {
                        Port::Node(id) => {
                            if let Some(slot) = nodes.get_mut(id.0) {
                                slot.fresh_rx |= slot.device.inject(frame);
                            }
                        }
                        Port::Hub(id) => {
                            let ports = hubs.get(id.0).map(Vec::as_slice).unwrap_or(&[]);
                            for &(other, end) in ports.iter().filter(|p| p.0 != index) {
                                repeats.push((other, end, frame.clone()));
                            }
                        }
                    }
                }
            }
        }
        for (index, end, frame) in repeats {
            if let Some(link) = links.get_mut(index) {
                link.offer(end, now, frame);
            }
        }
    }

    /// Polls each node that is due, in id order, and sends what it transmitted.
    fn poll_due(&mut self) {
        let now = self.now;
        let Network { nodes, links, .. } = self;
        for slot in nodes.iter_mut() {
            let due = slot.fresh_rx || slot.node.poll_at(now).is_some_and(|t| t <= now);
            if !due {
                continue;
            }
            slot.fresh_rx = false;
            slot.node.poll(now, &mut slot.device);
            while let Some(frame) = slot.device.take_transmitted() {
                for &(index, end) in &slot.ports {
                    if let Some(link) = links.get_mut(index) {
                        link.offer(end, now, frame.clone());
                    }
                }
            }
        }
    }

    /// Writes each capturing link's pcap to `dir/sim-<seed>-link<index>.pcap` and returns
    /// the paths written.
    #[cfg(feature = "std")]
    pub fn write_captures(
        &self,
        dir: impl AsRef<std::path::Path>,
    ) -> std::io::Result<Vec<std::path::PathBuf>> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir)?;
        let mut written = Vec::new();
        for (id, link) in self.links() {
            if let Some(bytes) = link.capture() {
                let path = dir.join(alloc::format!("sim-{}-link{}.pcap", self.seed, id.0));
                std::fs::write(&path, bytes)?;
                written.push(path);
            }
        }
        Ok(written)
    }
}
