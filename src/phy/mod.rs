//! Devices: where frames come from and go to.
//!
//! A [`Device`] hands out tokens instead of buffers. Receiving yields an [`RxToken`]
//! whose `consume` lends the frame to a closure in place; transmitting yields a
//! [`TxToken`] whose `consume` lends a buffer of exactly the requested length for the
//! closure to fill. The stack never owns a frame buffer, so a device can lend DMA memory,
//! a ring slot or a `Vec` as it likes, and no frame is copied on the way in or out.
//!
//! Middleware wraps any device and is a device itself: [`PcapWriter`] records every frame,
//! [`FaultInjector`] drops, duplicates, corrupts, reorders and rate-limits from a seeded
//! generator, [`Tracer`] shows each frame to a closure. [`Loopback`] (with `alloc`) joins
//! an interface to itself in memory.

use crate::time::Instant;
pub use crate::wire::{Checksum, ChecksumCapabilities};

/// What the frames a device carries start with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Medium {
    /// Ethernet II frames (TAP, AF_PACKET, veth).
    #[default]
    Ethernet,
    /// Bare IPv4/IPv6 packets (TUN, some radios and tunnels).
    Ip,
}

/// What a device can do, so the stack sizes frames and skips work the hardware does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeviceCapabilities {
    /// Framing of the device's frames.
    pub medium: Medium,
    /// Largest frame the device sends or receives, link header included (1514 for a
    /// standard Ethernet MTU of 1500: the IP MTU is this minus the link header).
    pub max_transmission_unit: usize,
    /// Most frames the device takes in one burst before the stack should yield; `None`
    /// means no limit.
    pub max_burst_size: Option<usize>,
    /// Checksums the device computes or verifies itself, per protocol and direction.
    pub checksum: ChecksumCapabilities,
    /// Largest TCP/UDP segment (transport header and payload) the device accepts for
    /// segmentation offload (TSO/GSO). `None`: no offload; segments must fit the MTU.
    pub max_segment_size: Option<usize>,
}

impl Default for DeviceCapabilities {
    fn default() -> Self {
        DeviceCapabilities {
            medium: Medium::Ethernet,
            max_transmission_unit: 1514,
            max_burst_size: None,
            checksum: ChecksumCapabilities::default(),
            max_segment_size: None,
        }
    }
}

impl DeviceCapabilities {
    /// Capabilities of a device with this medium and frame size, no offloads.
    pub fn new(medium: Medium, max_transmission_unit: usize) -> Self {
        DeviceCapabilities {
            medium,
            max_transmission_unit,
            ..Default::default()
        }
    }

    /// The IP MTU: the frame size less the link-layer header.
    pub fn ip_mtu(&self) -> usize {
        match self.medium {
            Medium::Ethernet => self
                .max_transmission_unit
                .saturating_sub(crate::wire::ETHERNET_HEADER_LEN),
            Medium::Ip => self.max_transmission_unit,
        }
    }
}

/// A network device: a source and sink of frames, polled by the interface.
///
/// Implementations must not block: `receive` and `transmit` return `None` when there is
/// nothing to read or no room to write.
pub trait Device {
    /// A received frame, lent in place.
    type RxToken<'a>: RxToken
    where
        Self: 'a;
    /// Room for one frame to send.
    type TxToken<'a>: TxToken
    where
        Self: 'a;

    /// One received frame, with a transmit token for an immediate answer (ARP reply, echo
    /// reply, RST), or `None` if no frame is waiting or no transmit room is available.
    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)>;

    /// Room for one frame, or `None` if the device cannot take one now.
    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>>;

    /// What the device can do. Called often; keep it cheap.
    fn capabilities(&self) -> DeviceCapabilities;
}

/// A received frame.
pub trait RxToken {
    /// Lends the frame to `f`. The frame is only valid during the call.
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R;
}

/// Room for one outgoing frame. Dropping a token unused sends nothing.
pub trait TxToken {
    /// Lends a buffer of exactly `len` bytes to `f`, which fills it; the frame is sent
    /// when `f` returns. The buffer's initial contents are unspecified.
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R;
}

#[cfg(feature = "alloc")]
mod loopback;
#[cfg(feature = "alloc")]
pub use self::loopback::{Loopback, LoopbackRxToken, LoopbackTxToken};

mod pcap_writer;
pub use self::pcap_writer::{PcapMode, PcapRxToken, PcapTxToken, PcapWriter};

#[cfg(feature = "alloc")]
mod fault_injector;
#[cfg(feature = "alloc")]
pub use self::fault_injector::{
    FaultConfig, FaultInjector, FaultRxToken, FaultStats, FaultTxToken,
};

mod tracer;
pub use self::tracer::{TraceDirection, TraceEvent, Tracer, TracerRxToken, TracerTxToken};
