//! The small error enums of the TCP socket's user API, and why a connection ended.

use core::fmt;

/// Why a connection ended other than by an orderly close (MUST-12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CloseReason {
    /// The peer reset the connection.
    Reset,
    /// The peer refused the connection (RST in answer to our SYN).
    Refused,
    /// The user timeout (R2) expired, or keep-alive probes went unanswered.
    TimedOut,
    /// The local user aborted it.
    Aborted,
}

macro_rules! small_error {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $text:literal),* $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $variant),*
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(match self { $($name::$variant => $text),* })
            }
        }
        impl core::error::Error for $name {}
    };
}

small_error!(
    /// Why `listen` failed.
    ListenError {
        /// The socket is not CLOSED.
        InvalidState => "socket not closed",
        /// Port 0.
        Unaddressable => "cannot listen on port 0",
    }
);

small_error!(
    /// Why `connect` failed.
    ConnectError {
        /// The socket is not CLOSED.
        InvalidState => "socket not closed",
        /// A port is 0, an address unspecified, or the remote address is multicast or
        /// broadcast (MUST-46).
        Unaddressable => "endpoint cannot be connected",
    }
);

small_error!(
    /// Why `send_*` failed.
    SendError {
        /// The socket cannot send in its state (not connected, or already closed for
        /// sending).
        InvalidState => "socket cannot send in its state",
        /// The connection was reset or aborted.
        Reset => "connection reset",
    }
);

small_error!(
    /// Why `recv_*` failed.
    RecvError {
        /// The socket cannot receive in its state.
        InvalidState => "socket cannot receive in its state",
        /// The peer closed its direction and every byte has been read (MUST-12: an
        /// orderly close).
        Finished => "peer closed the connection",
        /// The connection was reset (MUST-12: an abort).
        Reset => "connection reset",
    }
);

small_error!(
    /// Why replacing a socket's buffers failed.
    BufferError {
        /// The socket is not CLOSED: a connection's data lives in its rings.
        InvalidState => "buffers can only be replaced while the socket is closed",
    }
);

small_error!(
    /// Why `close` failed.
    CloseError {
        /// The socket is already CLOSED.
        InvalidState => "socket already closed",
    }
);
