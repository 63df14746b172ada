//! A deterministic network simulator: nodes joined by faulty links and hubs on a virtual
//! clock, every random choice drawn from one seed.
//!
//! A node is anything that implements [`SimNode`] (an `Interface` with its sockets, or a
//! small test double). The [`Network`] owns the nodes, gives each a [`SimDevice`], and in
//! [`Network::step`] jumps the clock to the next event, delivers the frames due and polls
//! the nodes that are due. Links ([`LinkConfig`]) drop, duplicate, reorder, corrupt, delay
//! and rate-limit frames, can be partitioned, keep [`LinkStats`] and can record a pcap.
//!
//! Tests run many seeds with [`for_each_seed`]; a failure names its seed, and
//! `SKIFF_SEED=<n>` replays exactly that run.
//!
//! ```
//! use skiff::phy::{Device, RxToken, TxToken};
//! use skiff::sim::{LinkConfig, Network, SimDevice, SimNode};
//! use skiff::time::{Duration, Instant};
//!
//! /// Sends one frame at t = 0 and counts what comes back.
//! struct Pinger { sent: bool, heard: usize }
//!
//! impl SimNode for Pinger {
//!     fn poll(&mut self, now: Instant, device: &mut SimDevice) {
//!         while let Some((rx, _tx)) = device.receive(now) {
//!             rx.consume(|_| self.heard += 1);
//!         }
//!         if !self.sent {
//!             self.sent = true;
//!             if let Some(tx) = device.transmit(now) {
//!                 tx.consume(60, |buf| buf.fill(0xaa));
//!             }
//!         }
//!     }
//!     fn poll_at(&self, _now: Instant) -> Option<Instant> {
//!         if self.sent { None } else { Some(Instant::ZERO) }
//!     }
//! }
//!
//! let mut net = Network::new(1);
//! let a = net.add_node(Pinger { sent: false, heard: 0 });
//! let b = net.add_node(Pinger { sent: false, heard: 0 });
//! let link = LinkConfig { latency: Duration::from_millis(10), ..LinkConfig::default() };
//! net.connect(a, b, link);
//! net.run_for(Duration::from_secs(60));
//! assert_eq!(net.node(a).unwrap().heard, 1);
//! assert!(net.steps() < 10);
//! ```

use alloc::string::String;

mod device;
mod link;
mod network;
mod stack;
#[cfg(test)]
mod tests;

pub use self::device::{
    SIM_DEFAULT_MTU, SIM_DEFAULT_QUEUE_LEN, SimDevice, SimDeviceStats, SimRxToken, SimTxToken,
};
pub use self::link::{HubId, Link, LinkConfig, LinkId, LinkStats, NodeId, Port};
pub use self::network::{Network, SIM_DEFAULT_MAX_STEPS_PER_INSTANT};
pub use self::stack::{App, StackNode};

use crate::time::Instant;

/// Something the simulator can drive: in practice an interface together with its
/// sockets, or a small test node.
pub trait SimNode {
    /// Does the node's work at `now`: reads frames from `device`, acts on timers, and
    /// writes frames to send. Called when `poll_at` is due or frames arrived.
    fn poll(&mut self, now: Instant, device: &mut SimDevice);

    /// When the node next needs a poll even if no frame arrives; `None` means only on
    /// arrival. An instant at or before `now` means "at once".
    fn poll_at(&self, now: Instant) -> Option<Instant>;
}

impl<T: SimNode + ?Sized> SimNode for alloc::boxed::Box<T> {
    fn poll(&mut self, now: Instant, device: &mut SimDevice) {
        (**self).poll(now, device)
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        (**self).poll_at(now)
    }
}

/// Parses a seed as written in `SKIFF_SEED`: decimal, or hexadecimal with `0x`.
pub fn parse_seed(text: &str) -> Option<u64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// The seed in the `SKIFF_SEED` environment variable if it is set and parses, otherwise
/// `default`. Without `std` there is no environment: always `default`.
pub fn seed_from_env(default: u64) -> u64 {
    env_seed().unwrap_or(default)
}

#[cfg(feature = "std")]
fn env_seed() -> Option<u64> {
    std::env::var("SKIFF_SEED")
        .ok()
        .as_deref()
        .and_then(parse_seed)
}

#[cfg(not(feature = "std"))]
fn env_seed() -> Option<u64> {
    None
}

/// Runs `run` once per seed `0..count`, or only for the seed in `SKIFF_SEED` when it is
/// set, and panics on the first failure with a message naming `SKIFF_SEED=<seed>`, how to
/// replay it, and how to get the captures.
///
/// For use in tests: a test builds its [`Network`] from the seed, and on failure may call
/// [`Network::write_captures`]`("target")` before returning the error, to leave
/// `target/sim-<seed>-link<n>.pcap` for Wireshark.
pub fn for_each_seed(count: u64, mut run: impl FnMut(u64) -> Result<(), String>) {
    let mut check = |seed: u64| {
        if let Err(error) = run(seed) {
            panic!(
                "simulation failed with SKIFF_SEED={seed}: {error}\n\
                 replay: SKIFF_SEED={seed} cargo test --features sim <this test>\n\
                 captures: call Network::write_captures(\"target\") in the test before \
                 returning the error, then open target/sim-{seed}-link<n>.pcap"
            );
        }
    };
    match env_seed() {
        Some(seed) => check(seed),
        None => (0..count).for_each(check),
    }
}
