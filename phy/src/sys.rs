//! The system calls behind the devices, each wrapped in a safe function.
//!
//! Every `unsafe` block of the crate but one (borrowing the `afpacket` stream's fd) lives
//! here, next to its `// SAFETY:` argument; the device modules above only see
//! `io::Result`s and owned descriptors.

use std::ffi::CStr;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};

/// Linux `IFNAMSIZ`: an interface name and its NUL terminator fit in 16 bytes.
pub(crate) const IFNAMSIZ: usize = libc::IFNAMSIZ;

/// `PACKET_IGNORE_OUTGOING` from `<linux/if_packet.h>` (Linux 4.20+): a packet socket
/// with it set does not see the frames the host itself sends on the interface.
pub(crate) const PACKET_IGNORE_OUTGOING: libc::c_int = 23;

/// Why an interface name cannot be handed to the kernel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NameProblem {
    /// Empty, or holds a NUL, `/` or whitespace, which the kernel rejects.
    Invalid,
    /// 16 bytes or more: no room for the terminator in `IFNAMSIZ`.
    TooLong,
}

/// The name as the kernel's fixed, NUL-terminated `ifr_name` array, or why it does not fit.
///
/// Pure logic (no system call), so tests run it under Miri.
pub(crate) fn ifname_bytes(name: &str) -> Result<[libc::c_char; IFNAMSIZ], NameProblem> {
    // The kernel copies IFNAMSIZ bytes and terminates them itself, so a 16-byte name would
    // silently lose its last byte (or, in the afpacket crate, be read without a
    // terminator): reject it here, with a clear error.
    if name.len() >= IFNAMSIZ {
        return Err(NameProblem::TooLong);
    }
    if name.is_empty()
        || name
            .bytes()
            .any(|b| b == 0 || b == b'/' || b.is_ascii_whitespace())
    {
        return Err(NameProblem::Invalid);
    }
    let mut out = [0 as libc::c_char; IFNAMSIZ];
    for (slot, byte) in out.iter_mut().zip(name.bytes()) {
        *slot = byte as libc::c_char;
    }
    Ok(out)
}

/// A zeroed `ifreq` carrying `name`.
fn ifreq_for(name: [libc::c_char; IFNAMSIZ]) -> libc::ifreq {
    // SAFETY: `ifreq` is a plain C struct (a name array and a union of integers, sockaddrs
    // and a pointer); all-zero bytes are a valid value of every field.
    let mut req: libc::ifreq = unsafe { std::mem::zeroed() };
    req.ifr_name = name;
    req
}

/// Returns the result of a libc call that reports failure as -1 with `errno`.
fn cvt(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret == -1 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

/// Opens `path` with `flags`, returning the owned descriptor.
pub(crate) fn open(path: &CStr, flags: libc::c_int) -> io::Result<OwnedFd> {
    // SAFETY: `path` is a valid NUL-terminated string for the duration of the call.
    let fd = cvt(unsafe { libc::open(path.as_ptr(), flags) })?;
    // SAFETY: `open` just returned this descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Attaches a `/dev/net/tun` descriptor to the TAP interface `name` (creating it if it
/// does not exist) with `flags` (`IFF_TAP | IFF_NO_PI`).
pub(crate) fn tun_set_iff(
    fd: BorrowedFd<'_>,
    name: [libc::c_char; IFNAMSIZ],
    flags: libc::c_int,
) -> io::Result<()> {
    let mut req = ifreq_for(name);
    req.ifr_ifru.ifru_flags = flags as libc::c_short;
    // SAFETY: TUNSETIFF reads and writes one `ifreq`, which `req` is and which outlives
    // the call; `fd` is an open descriptor borrowed for the call.
    cvt(unsafe { libc::ioctl(fd.as_raw_fd(), libc::TUNSETIFF as _, &mut req) })?;
    Ok(())
}

/// The MTU of interface `name`, as the kernel reports it (SIOCGIFMTU), in bytes of IP.
pub(crate) fn interface_mtu(name: [libc::c_char; IFNAMSIZ]) -> io::Result<usize> {
    // SAFETY: plain socket(2) call with constant arguments.
    let sock =
        cvt(unsafe { libc::socket(libc::AF_INET, libc::SOCK_DGRAM | libc::SOCK_CLOEXEC, 0) })?;
    // SAFETY: `socket` just returned this descriptor; the OwnedFd closes it on return.
    let sock = unsafe { OwnedFd::from_raw_fd(sock) };
    let mut req = ifreq_for(name);
    // SAFETY: SIOCGIFMTU reads the name from and writes the MTU into one `ifreq`, which
    // `req` is and which outlives the call.
    cvt(unsafe { libc::ioctl(sock.as_raw_fd(), libc::SIOCGIFMTU as _, &mut req) })?;
    // SAFETY: after a successful SIOCGIFMTU the kernel has written `ifru_mtu`, and any
    // bit pattern is a valid c_int.
    let mtu = unsafe { req.ifr_ifru.ifru_mtu };
    usize::try_from(mtu).map_err(|_| io::Error::other("kernel reported a negative MTU"))
}

/// Sets `FD_CLOEXEC` on `fd`, so child processes do not inherit the device.
pub(crate) fn set_cloexec(fd: RawFd) -> io::Result<()> {
    // SAFETY: F_GETFD/F_SETFD take and return plain integers; `fd` is open.
    let flags = cvt(unsafe { libc::fcntl(fd, libc::F_GETFD) })?;
    // SAFETY: as above.
    cvt(unsafe { libc::fcntl(fd, libc::F_SETFD, flags | libc::FD_CLOEXEC) })?;
    Ok(())
}

/// Sets an integer socket option.
pub(crate) fn setsockopt_int(
    fd: RawFd,
    level: libc::c_int,
    name: libc::c_int,
    value: libc::c_int,
) -> io::Result<()> {
    // SAFETY: the option value is a c_int that lives on the stack for the whole call, and
    // the length passed is its size.
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    })?;
    Ok(())
}

/// Reads one frame from `fd` into `buf`; `ErrorKind::WouldBlock` when none is waiting.
pub(crate) fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of `buf.len()` bytes for the whole call.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// Writes one frame to `fd`; returns the bytes written.
pub(crate) fn write(fd: RawFd, buf: &[u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for reads of `buf.len()` bytes for the whole call.
    let n = unsafe { libc::write(fd, buf.as_ptr().cast(), buf.len()) };
    usize::try_from(n).map_err(|_| io::Error::last_os_error())
}

/// A `timespec` for `ppoll`, saturating at the largest representable wait.
pub(crate) fn timespec(timeout: std::time::Duration) -> libc::timespec {
    libc::timespec {
        tv_sec: libc::time_t::try_from(timeout.as_secs()).unwrap_or(libc::time_t::MAX),
        // Below 10^9, so it fits a c_long of either width.
        tv_nsec: timeout.subsec_nanos() as libc::c_long,
    }
}

/// Waits until `fd` is readable (or reports an error or hang-up) or `timeout` passes.
/// `Ok(false)` on timeout or when a signal interrupted the wait.
pub(crate) fn poll_readable(
    fd: BorrowedFd<'_>,
    timeout: Option<std::time::Duration>,
) -> io::Result<bool> {
    let mut pfd = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    let ts = timeout.map(timespec);
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `pfd` is one valid pollfd (count 1), `ts_ptr` is null or points to a
    // timespec that outlives the call, and a null signal mask leaves the mask unchanged.
    let ret = unsafe { libc::ppoll(&mut pfd, 1, ts_ptr, std::ptr::null()) };
    if ret == -1 {
        let err = io::Error::last_os_error();
        return if err.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(err)
        };
    }
    Ok(ret > 0 && pfd.revents != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifteen_byte_name_fits_and_is_terminated() {
        let bytes = ifname_bytes("abcdefghijklmno").unwrap();
        assert_eq!(bytes[14], b'o' as libc::c_char);
        assert_eq!(bytes[15], 0);
    }

    #[test]
    fn a_sixteen_byte_name_is_too_long() {
        assert_eq!(ifname_bytes("abcdefghijklmnop"), Err(NameProblem::TooLong));
    }

    #[test]
    fn empty_names_and_names_with_nul_slash_or_space_are_invalid() {
        for name in ["", "a\0b", "a/b", "tap 0"] {
            assert_eq!(ifname_bytes(name), Err(NameProblem::Invalid), "{name:?}");
        }
    }

    #[test]
    fn timespec_splits_seconds_and_nanoseconds_and_saturates() {
        let ts = timespec(std::time::Duration::from_micros(1_500_250));
        assert_eq!((ts.tv_sec, ts.tv_nsec), (1, 500_250_000));
        let ts = timespec(std::time::Duration::MAX);
        assert_eq!(ts.tv_sec, libc::time_t::MAX);
    }
}
