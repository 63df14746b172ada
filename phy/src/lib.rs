//! skiff-phy: real wires for the skiff core.
//!
//! The core is pure: it never calls the OS and never reads a clock. This crate is the thin
//! adapter that gives it Linux devices and time:
//!
//! - [`TapDevice`]: a TAP interface (`/dev/net/tun`, Ethernet frames).
//! - [`AfPacketDevice`]: an existing interface (veth, NIC) through an AF_PACKET socket.
//! - [`wait`]: sleep until a device is readable or the stack's next deadline.
//! - [`Clock`]: the only clock in the project, turning `std::time::Instant` into
//!   [`skiff::time::Instant`].
//!
//! Both devices are non-blocking and expose [`AsFd`](std::os::fd::AsFd), so they can be
//! registered with epoll, mio or tokio instead of [`wait`]. A plain event loop:
//!
//! ```no_run
//! use skiff::iface::{Config, Interface};
//! use skiff::socket::SocketSet;
//! use skiff::wire::EthernetAddress;
//! use skiff_phy::{Clock, TapDevice};
//!
//! let mut device = TapDevice::open("tap0")?;
//! let clock = Clock::new();
//! let mac = EthernetAddress([0x02, 0, 0, 0, 0, 1]);
//! let mut iface = Interface::new(Config::new(mac, 1), &mut device, clock.now());
//! iface.add_ip_addr("192.0.2.2/24".parse().expect("literal"));
//! let mut sockets = SocketSet::with_capacity(4, 1);
//! loop {
//!     iface.poll(clock.now(), &mut device, &mut sockets);
//!     // ... serve sockets ...
//!     let delay = iface.poll_delay(clock.now(), &sockets).map(Into::into);
//!     skiff_phy::wait(&device, delay)?;
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Linux only. `unsafe` lives in this crate and nowhere else in skiff, each block with a
//! `// SAFETY:` argument.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub use skiff;

mod af_packet;
mod error;
mod frame_io;
mod sys;
mod tap;

pub use af_packet::AfPacketDevice;
pub use error::PhyError;
pub use frame_io::{FdRxToken, FdTxToken, PhyStats};
pub use tap::TapDevice;

use std::io;
use std::os::fd::AsFd;

/// Blocks until `fd` is readable (a frame is waiting, or the descriptor reports an error)
/// or `timeout` passes; `None` waits without limit, `Some(Duration::ZERO)` only checks.
///
/// Returns `Ok(true)` when readable, `Ok(false)` on timeout or when a signal interrupted
/// the wait (the caller's loop simply polls again). Microsecond precision (`ppoll(2)`),
/// so a loop that waits for `Interface::poll_delay` wakes on time rather than up to a
/// millisecond late. One system call, no allocation.
pub fn wait(fd: impl AsFd, timeout: Option<std::time::Duration>) -> io::Result<bool> {
    sys::poll_readable(fd.as_fd(), timeout)
}

/// Wall-clock time for the stack: microseconds since the clock was created, on the
/// monotonic clock (`std::time::Instant`), so it never jumps backwards.
///
/// skiff's core takes time only as an argument; this is where real programs get it.
#[derive(Debug, Clone, Copy)]
pub struct Clock {
    origin: std::time::Instant,
}

impl Clock {
    /// A clock that reads [`skiff::time::Instant::ZERO`] now.
    pub fn new() -> Clock {
        Clock {
            origin: std::time::Instant::now(),
        }
    }

    /// Time since [`Clock::new`], as the stack's instant. Saturates after ~292,000 years.
    pub fn now(&self) -> skiff::time::Instant {
        self.at(std::time::Instant::now())
    }

    /// The stack's instant for a `std` instant (one before the origin reads `ZERO`).
    pub fn at(&self, instant: std::time::Instant) -> skiff::time::Instant {
        let elapsed = instant.saturating_duration_since(self.origin);
        let micros = i64::try_from(elapsed.as_micros()).unwrap_or(i64::MAX);
        skiff::time::Instant::from_micros(micros)
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_starts_at_zero_and_counts_microseconds() {
        let clock = Clock::new();
        let later = clock.origin + std::time::Duration::from_millis(1500);
        assert_eq!(clock.at(clock.origin), skiff::time::Instant::ZERO);
        assert_eq!(
            clock.at(later),
            skiff::time::Instant::from_micros(1_500_000)
        );
    }

    #[test]
    fn an_instant_before_the_origin_reads_zero() {
        let clock = Clock::new();
        let earlier = clock
            .origin
            .checked_sub(std::time::Duration::from_secs(1))
            .unwrap_or(clock.origin);
        assert_eq!(clock.at(earlier), skiff::time::Instant::ZERO);
    }

    #[test]
    #[cfg_attr(miri, ignore = "ppoll is a system call")]
    fn wait_times_out_on_an_idle_descriptor_and_wakes_on_a_readable_one() {
        use std::io::Write;
        use std::os::unix::net::UnixStream;
        let (mut a, b) = UnixStream::pair().unwrap();
        let start = std::time::Instant::now();
        assert!(!wait(&b, Some(std::time::Duration::from_millis(20))).unwrap());
        assert!(start.elapsed() >= std::time::Duration::from_millis(20));
        a.write_all(b"x").unwrap();
        assert!(wait(&b, None).unwrap());
    }
}
