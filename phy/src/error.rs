//! The one error type of the crate: why a device could not be opened.

use std::fmt;
use std::io;

use crate::sys::NameProblem;

/// Why opening a device failed. Every variant that comes from the kernel carries the OS
/// error (`source()`), so nothing of the original diagnosis is lost.
#[derive(Debug)]
#[non_exhaustive]
pub enum PhyError {
    /// The interface name is 16 bytes or longer; Linux names hold at most 15 bytes.
    NameTooLong {
        /// The name as given.
        name: String,
    },
    /// The interface name is empty or contains a NUL, `/` or whitespace.
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// The interface (or `/dev/net/tun`) does not exist, or exists but is not of the
    /// expected kind (e.g. a TAP name that belongs to a veth).
    NotFound {
        /// The interface name.
        name: String,
        /// What the kernel said.
        source: io::Error,
    },
    /// The process lacks `CAP_NET_ADMIN`/`CAP_NET_RAW` (or file permissions) for this.
    PermissionDenied {
        /// The interface name.
        name: String,
        /// What the kernel said.
        source: io::Error,
    },
    /// Another process already holds the device (a persistent TAP is attached).
    Busy {
        /// The interface name.
        name: String,
        /// What the kernel said.
        source: io::Error,
    },
    /// Any other failure of a system call while opening or configuring the device.
    Io {
        /// The interface name.
        name: String,
        /// What the kernel said.
        source: io::Error,
    },
}

impl PhyError {
    /// Classifies an OS error met while opening `name`.
    pub(crate) fn from_os(name: &str, source: io::Error) -> PhyError {
        let name = name.to_owned();
        match source.raw_os_error() {
            Some(libc::ENOENT | libc::ENODEV | libc::ENXIO | libc::EINVAL) => {
                PhyError::NotFound { name, source }
            }
            Some(libc::EPERM | libc::EACCES) => PhyError::PermissionDenied { name, source },
            Some(libc::EBUSY) => PhyError::Busy { name, source },
            _ => PhyError::Io { name, source },
        }
    }

    /// Checks `name` for the kernel, mapping a problem to its variant.
    pub(crate) fn check_name(name: &str) -> Result<[libc::c_char; 16], PhyError> {
        crate::sys::ifname_bytes(name).map_err(|problem| {
            let name = name.to_owned();
            match problem {
                NameProblem::TooLong => PhyError::NameTooLong { name },
                NameProblem::Invalid => PhyError::InvalidName { name },
            }
        })
    }

    /// The OS error inside, if the kernel reported one.
    pub fn os_error(&self) -> Option<&io::Error> {
        match self {
            PhyError::NameTooLong { .. } | PhyError::InvalidName { .. } => None,
            PhyError::NotFound { source, .. }
            | PhyError::PermissionDenied { source, .. }
            | PhyError::Busy { source, .. }
            | PhyError::Io { source, .. } => Some(source),
        }
    }
}

impl fmt::Display for PhyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PhyError::NameTooLong { name } => write!(
                f,
                "interface name {name:?} is {} bytes; Linux allows at most 15",
                name.len()
            ),
            PhyError::InvalidName { name } => write!(f, "invalid interface name {name:?}"),
            PhyError::NotFound { name, source } => {
                write!(
                    f,
                    "interface {name:?} not found or of the wrong kind: {source}"
                )
            }
            PhyError::PermissionDenied { name, source } => write!(
                f,
                "no permission to open {name:?} (needs CAP_NET_ADMIN / CAP_NET_RAW): {source}"
            ),
            PhyError::Busy { name, source } => {
                write!(
                    f,
                    "interface {name:?} is busy (held by another process): {source}"
                )
            }
            PhyError::Io { name, source } => write!(f, "opening {name:?} failed: {source}"),
        }
    }
}

impl std::error::Error for PhyError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.os_error()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

impl From<PhyError> for io::Error {
    /// Keeps the OS error's kind where there is one; a bad name is `InvalidInput`.
    fn from(err: PhyError) -> io::Error {
        let kind = match &err {
            PhyError::NameTooLong { .. } | PhyError::InvalidName { .. } => {
                io::ErrorKind::InvalidInput
            }
            other => other
                .os_error()
                .map_or(io::ErrorKind::Other, io::Error::kind),
        };
        io::Error::new(kind, err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errnos_map_to_the_variant_a_caller_can_act_on() {
        let e = |errno| io::Error::from_raw_os_error(errno);
        assert!(matches!(
            PhyError::from_os("tap0", e(libc::EBUSY)),
            PhyError::Busy { .. }
        ));
        assert!(matches!(
            PhyError::from_os("tap0", e(libc::EPERM)),
            PhyError::PermissionDenied { .. }
        ));
        assert!(matches!(
            PhyError::from_os("tap0", e(libc::ENODEV)),
            PhyError::NotFound { .. }
        ));
        assert!(matches!(
            PhyError::from_os("tap0", e(libc::EIO)),
            PhyError::Io { .. }
        ));
    }

    #[test]
    fn a_sixteen_byte_name_is_a_typed_error_not_a_truncation() {
        let err = PhyError::check_name("0123456789abcdef").unwrap_err();
        assert!(matches!(err, PhyError::NameTooLong { .. }));
        assert!(err.to_string().contains("16 bytes"));
        assert_eq!(io::Error::from(err).kind(), io::ErrorKind::InvalidInput);
    }
}
