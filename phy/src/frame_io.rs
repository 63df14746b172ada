//! Frame I/O shared by the file-descriptor devices: one reusable receive buffer, one
//! reusable transmit buffer, counters, and the tokens that lend them to the stack.

use std::io;
use std::marker::PhantomData;
use std::os::fd::{BorrowedFd, RawFd};

use skiff::phy;

/// Largest frame read in one go. A TAP or veth can hand over frames larger than its MTU
/// (GRO on the sending side); a 64 KiB buffer takes any of them whole, so nothing is ever
/// truncated silently. Allocated once per device.
const RX_BUFFER_LEN: usize = 65536;

/// What a device has carried and dropped since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct PhyStats {
    /// Frames read from the kernel.
    pub rx_frames: u64,
    /// Bytes of those frames.
    pub rx_bytes: u64,
    /// Reads that failed with an error other than "nothing waiting".
    pub rx_errors: u64,
    /// Frames written to the kernel.
    pub tx_frames: u64,
    /// Bytes of those frames.
    pub tx_bytes: u64,
    /// Frames the kernel refused (full queue, interface down, ...): dropped.
    pub tx_errors: u64,
}

/// The buffers and counters of one device.
#[derive(Debug)]
pub(crate) struct FrameIo {
    rx_buffer: Vec<u8>,
    tx_buffer: Vec<u8>,
    pub(crate) stats: PhyStats,
}

impl FrameIo {
    pub(crate) fn new() -> FrameIo {
        FrameIo {
            rx_buffer: vec![0; RX_BUFFER_LEN],
            tx_buffer: Vec::with_capacity(RX_BUFFER_LEN),
            stats: PhyStats::default(),
        }
    }

    /// Reads one frame from `fd`, or `None` if none is waiting (or the read failed, which
    /// is counted and logged).
    pub(crate) fn receive<'a>(
        &'a mut self,
        fd: BorrowedFd<'a>,
    ) -> Option<(FdRxToken<'a>, FdTxToken<'a>)> {
        let len = match crate::sys::read(raw(fd), &mut self.rx_buffer) {
            Ok(0) => return None,
            Ok(len) => len,
            Err(err) if err.kind() == io::ErrorKind::WouldBlock => return None,
            Err(err) => {
                self.stats.rx_errors += 1;
                log::debug!("skiff-phy: read failed: {err}");
                return None;
            }
        };
        self.stats.rx_frames += 1;
        self.stats.rx_bytes += len as u64;
        let frame = &self.rx_buffer[..len];
        let tx = FdTxToken {
            fd: raw(fd),
            buffer: &mut self.tx_buffer,
            stats: &mut self.stats,
            _fd: PhantomData,
        };
        Some((FdRxToken { frame }, tx))
    }

    /// Room to send one frame on `fd`. Writes never wait: a frame the kernel refuses is
    /// dropped and counted, as a full hardware queue would drop it.
    pub(crate) fn transmit<'a>(&'a mut self, fd: BorrowedFd<'a>) -> FdTxToken<'a> {
        FdTxToken {
            fd: raw(fd),
            buffer: &mut self.tx_buffer,
            stats: &mut self.stats,
            _fd: PhantomData,
        }
    }
}

fn raw(fd: BorrowedFd<'_>) -> RawFd {
    std::os::fd::AsRawFd::as_raw_fd(&fd)
}

/// A received frame, lent from the device's receive buffer (no copy).
#[derive(Debug)]
pub struct FdRxToken<'a> {
    frame: &'a [u8],
}

impl phy::RxToken for FdRxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(self.frame)
    }
}

/// Room for one frame: the device's reusable transmit buffer, written to the kernel with
/// one `write(2)` when the stack has filled it.
#[derive(Debug)]
pub struct FdTxToken<'a> {
    fd: RawFd,
    buffer: &'a mut Vec<u8>,
    stats: &'a mut PhyStats,
    // The descriptor is borrowed from the device for as long as the token lives.
    _fd: PhantomData<BorrowedFd<'a>>,
}

impl phy::TxToken for FdTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        // Reuses the allocation: only the first frame of a new maximum size allocates.
        self.buffer.clear();
        self.buffer.resize(len, 0);
        let result = f(self.buffer);
        match crate::sys::write(self.fd, self.buffer) {
            Ok(n) if n == len => {
                self.stats.tx_frames += 1;
                self.stats.tx_bytes += len as u64;
            }
            Ok(n) => {
                self.stats.tx_errors += 1;
                log::debug!("skiff-phy: short write, {n} of {len} bytes");
            }
            Err(err) => {
                self.stats.tx_errors += 1;
                log::debug!("skiff-phy: write of {len} bytes dropped: {err}");
            }
        }
        result
    }
}
