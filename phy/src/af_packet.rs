//! An existing Ethernet interface (veth, a NIC) as a skiff device, through an AF_PACKET
//! socket from the `afpacket` crate.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, RawFd};

use afpacket::sync::RawPacketStream;
use skiff::phy::{Device, DeviceCapabilities, Medium};
use skiff::time::Instant;
use skiff::wire::ETHERNET_HEADER_LEN;

use crate::error::PhyError;
use crate::frame_io::{FdRxToken, FdTxToken, FrameIo, PhyStats};

/// The socket receive buffer asked for at bind (the kernel doubles it for bookkeeping).
const RECEIVE_BUFFER_BYTES: libc::c_int = 4 << 20;

/// A raw packet socket bound to one interface: skiff sees every frame the interface
/// receives and sends frames out of it, beside the host's own stack.
///
/// Edges of `afpacket` this type guards against: `RawPacketStream` derives `Clone` yet
/// closes its descriptor on drop (so the stream is never cloned, and never turned into a
/// raw fd with `into_raw_fd`, which drops it too); names of 16 bytes are passed to the
/// kernel unterminated (so the name is checked here first). The socket is non-blocking,
/// close-on-exec, and has `PACKET_IGNORE_OUTGOING` set so the host's own outgoing frames
/// (and ours) are not read back as if they had arrived.
///
/// Checksum offload: frames that the host's stack sends out of a veth peer may carry a
/// partial checksum (CHECKSUM_PARTIAL); turn TX checksumming off on the sending side
/// (`ethtool -K PEER tx off`) or skiff drops them as corrupt.
#[derive(Debug)]
pub struct AfPacketDevice {
    stream: RawPacketStream,
    name: String,
    /// IP MTU of the interface when it was bound.
    mtu: usize,
    io: FrameIo,
}

impl AfPacketDevice {
    /// Opens an AF_PACKET socket for all protocols and binds it to interface `ifname` in
    /// the current network namespace. Needs `CAP_NET_RAW`.
    ///
    /// Frames that reached the socket before the bind took effect (from any interface)
    /// are discarded. Errors: [`PhyError::NameTooLong`], [`PhyError::NotFound`] (no such
    /// interface), [`PhyError::PermissionDenied`], [`PhyError::Io`].
    pub fn bind(ifname: &str) -> Result<AfPacketDevice, PhyError> {
        let name_bytes = PhyError::check_name(ifname)?;
        let os = |e| PhyError::from_os(ifname, e);
        let mut stream = RawPacketStream::new().map_err(os)?;
        let fd = stream.as_raw_fd();
        crate::sys::set_cloexec(fd).map_err(os)?;
        stream.set_non_blocking().map_err(os)?;
        crate::sys::setsockopt_int(fd, libc::SOL_PACKET, crate::sys::PACKET_IGNORE_OUTGOING, 1)
            .map_err(os)?;
        // A full receive queue drops frames silently. The default (rmem_default, about
        // 200 KiB of buffer accounting, under a hundred full frames) overflows as soon
        // as a peer sends a TCP window's worth in one burst; RECEIVE_BUFFER_BYTES holds
        // a few MiB of windows. FORCE passes rmem_max with CAP_NET_ADMIN; without it,
        // the plain option gives what rmem_max allows.
        let sized = crate::sys::setsockopt_int(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUFFORCE,
            RECEIVE_BUFFER_BYTES,
        );
        if sized.is_err() {
            let _ = crate::sys::setsockopt_int(
                fd,
                libc::SOL_SOCKET,
                libc::SO_RCVBUF,
                RECEIVE_BUFFER_BYTES,
            );
        }
        stream.bind(ifname).map_err(os)?;
        // Until the bind the socket saw every interface's frames; drop those.
        stream.drain();
        let mtu = crate::sys::interface_mtu(name_bytes).map_err(os)?;
        log::debug!("skiff-phy: bound AF_PACKET to {ifname} (MTU {mtu})");
        Ok(AfPacketDevice {
            stream,
            name: ifname.to_owned(),
            mtu,
            io: FrameIo::new(),
        })
    }

    /// The interface name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The IP MTU read from the kernel at bind.
    pub fn mtu(&self) -> usize {
        self.mtu
    }

    /// Frames and bytes carried, and frames dropped, since bind.
    pub fn stats(&self) -> PhyStats {
        self.io.stats
    }
}

impl Device for AfPacketDevice {
    type RxToken<'a> = FdRxToken<'a>;
    type TxToken<'a> = FdTxToken<'a>;

    /// One `read(2)`; `None` when nothing is waiting.
    fn receive(&mut self, _now: Instant) -> Option<(FdRxToken<'_>, FdTxToken<'_>)> {
        let fd = borrow(&self.stream);
        self.io.receive(fd)
    }

    /// Always room: the frame is written when the token is consumed.
    fn transmit(&mut self, _now: Instant) -> Option<FdTxToken<'_>> {
        let fd = borrow(&self.stream);
        Some(self.io.transmit(fd))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        DeviceCapabilities::new(Medium::Ethernet, self.mtu + ETHERNET_HEADER_LEN)
    }
}

/// The stream's descriptor, borrowed for as long as the stream is.
fn borrow(stream: &RawPacketStream) -> BorrowedFd<'_> {
    // SAFETY: the stream owns this open descriptor and closes it only when dropped; the
    // returned borrow cannot outlive `stream`, and the stream is never cloned (a clone
    // would close the same descriptor on its own drop).
    unsafe { BorrowedFd::borrow_raw(stream.as_raw_fd()) }
}

impl AsFd for AfPacketDevice {
    fn as_fd(&self) -> BorrowedFd<'_> {
        borrow(&self.stream)
    }
}

impl AsRawFd for AfPacketDevice {
    fn as_raw_fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }
}
