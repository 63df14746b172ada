//! A Linux TAP interface as a skiff device: Ethernet frames through `/dev/net/tun`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};

use skiff::phy::{Device, DeviceCapabilities, Medium};
use skiff::time::Instant;
use skiff::wire::ETHERNET_HEADER_LEN;

use crate::error::PhyError;
use crate::frame_io::{FdRxToken, FdTxToken, FrameIo, PhyStats};

/// A TAP interface: every frame the kernel sends out of it is read here, and every frame
/// written here is received by the kernel as if it came from a cable.
///
/// The descriptor is non-blocking: [`Device::receive`] returns `None` when no frame is
/// waiting; use [`crate::wait`] (or register [`AsFd`] with epoll/mio/tokio) to sleep
/// until one arrives. One 64 KiB receive buffer and one transmit buffer are allocated at
/// open and reused; frames are never copied beyond the `read(2)`/`write(2)` themselves.
#[derive(Debug)]
pub struct TapDevice {
    fd: OwnedFd,
    name: String,
    /// IP MTU of the interface when it was opened.
    mtu: usize,
    io: FrameIo,
}

impl TapDevice {
    /// Attaches to the TAP interface `name` in the current network namespace, creating
    /// it (owned by this process, deleted when closed) if it does not exist.
    ///
    /// Needs `CAP_NET_ADMIN` unless the interface was made persistent for this user
    /// (`ip tuntap add dev NAME mode tap user USER`). The MTU is read from the kernel
    /// once, here. Errors: [`PhyError::NameTooLong`] for names of 16 bytes or more,
    /// [`PhyError::PermissionDenied`], [`PhyError::Busy`] when another process holds the
    /// interface, [`PhyError::NotFound`] when `/dev/net/tun` is missing or the name
    /// belongs to an interface that is not a TAP.
    pub fn open(name: &str) -> Result<TapDevice, PhyError> {
        let ifname = PhyError::check_name(name)?;
        let fd = crate::sys::open(
            c"/dev/net/tun",
            libc::O_RDWR | libc::O_NONBLOCK | libc::O_CLOEXEC,
        )
        .map_err(|e| PhyError::from_os(name, e))?;
        // IFF_NO_PI: frames without the 4-byte packet-information prefix, so what is read
        // is exactly an Ethernet frame.
        crate::sys::tun_set_iff(fd.as_fd(), ifname, libc::IFF_TAP | libc::IFF_NO_PI)
            .map_err(|e| PhyError::from_os(name, e))?;
        let mtu = crate::sys::interface_mtu(ifname).map_err(|e| PhyError::from_os(name, e))?;
        log::debug!("skiff-phy: opened TAP {name} (MTU {mtu})");
        Ok(TapDevice {
            fd,
            name: name.to_owned(),
            mtu,
            io: FrameIo::new(),
        })
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IP MTU read from the kernel at open.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Frames and bytes carried, and frames dropped, since open.
    pub fn stats(&self) -> PhyStats {
        self.io.stats
    }
}

impl Device for TapDevice {
    type RxToken<'a> = FdRxToken<'a>;
    type TxToken<'a> = FdTxToken<'a>;

    /// One `read(2)`; `None` when nothing is waiting.
    fn receive(&mut self, _now: Instant) -> Option<(FdRxToken<'_>, FdTxToken<'_>)> {
        self.io.receive(self.fd.as_fd())
    }

    /// Always room: the frame is written when the token is consumed.
    fn transmit(&mut self, _now: Instant) -> Option<FdTxToken<'_>> {
        Some(self.io.transmit(self.fd.as_fd()))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, self.mtu + ETHERNET_HEADER_LEN)
    }
}

impl AsFd for TapDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

impl AsRawFd for TapDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}
