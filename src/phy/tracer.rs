//! Middleware that shows every frame a device carries to a closure, with a one-line
//! `Display` in tcpdump notation (from [`crate::wire::frame`]).
//!
//! The closure sees frames in place, as [`TraceEvent`]s; nothing is copied.

use core::cell::RefCell;
use core::fmt;

use super::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use crate::time::Instant;
use crate::wire::ChecksumCapabilities;
use crate::wire::frame::{dissect_ethernet, dissect_ip};

/// Which way a traced frame went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TraceDirection {
    /// Received from the device (shown as `<-`).
    Rx,
    /// Given to the device to send (shown as `->`).
    Tx,
}

/// One frame seen by a [`Tracer`], borrowed for the duration of the callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceEvent<'a> {
    /// Received or transmitted.
    pub direction: TraceDirection,
    /// The whole frame, link header included for Ethernet.
    pub frame: &'a [u8],
    /// What the frame starts with.
    pub medium: Medium,
}

impl fmt::Display for TraceEvent<'_> {
    /// `-> TCP 192.0.2.1:49152 > 192.0.2.2:80 [SYN] ...` for a sent frame, `<- ...` for a
    /// received one, or `<- undecodable (truncated), 3 bytes`. Checksums are not verified:
    /// a device that offloads them is handed frames whose checksum fields are still
    /// empty, and the tracer's job is to show the headers as they are.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = match self.direction {
            TraceDirection::Rx => "<-",
            TraceDirection::Tx => "->",
        };
        let caps = ChecksumCapabilities::ignored();
        let dissected = match self.medium {
            Medium::Ethernet => dissect_ethernet(self.frame, &caps),
            Medium::Ip => dissect_ip(self.frame, &caps),
        };
        match dissected {
            Ok(frame) => write!(f, "{arrow} {frame}"),
            Err(err) => write!(f, "{arrow} undecodable ({err}), {} bytes", self.frame.len()),
        }
    }
}

/// A device that calls `F` with every frame of `inner`, received or transmitted.
///
/// Received frames are shown when their token is consumed, before the stack reads them;
/// transmitted frames after the stack filled them. The closure gets the `now` that was
/// passed to `receive`/`transmit`. Costs one closure call per frame, nothing else.
#[derive(Debug)]
pub struct Tracer<D: Device, F: FnMut(Instant, TraceEvent<'_>)> {
    inner: D,
    // Both tokens of one `receive` call the closure, so they share it. A borrow is held
    // only while the closure runs on one event, never across the stack's own closure.
    callback: RefCell<F>,
}

impl<D: Device, F: FnMut(Instant, TraceEvent<'_>)> Tracer<D, F> {
    /// Wraps `inner`, showing each frame to `callback`.
    pub fn new(inner: D, callback: F) -> Self {
        Tracer {
            inner,
            callback: RefCell::new(callback),
        }
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Returns the wrapped device, dropping the closure.
    pub fn into_inner(self) -> D {
        self.inner
    }
}

/// Where a token reports its frame.
#[derive(Debug)]
struct Report<'a, F> {
    callback: &'a RefCell<F>,
    now: Instant,
    medium: Medium,
}

impl<F: FnMut(Instant, TraceEvent<'_>)> Report<'_, F> {
    fn emit(&self, direction: TraceDirection, frame: &[u8]) {
        // Cannot fail (see `Tracer::callback`); if it ever did, losing one trace line
        // beats panicking inside the stack.
        if let Ok(mut callback) = self.callback.try_borrow_mut() {
            let event = TraceEvent {
                direction,
                frame,
                medium: self.medium,
            };
            (*callback)(self.now, event);
        }
    }
}

/// A received frame, shown to the tracer's closure when consumed.
#[derive(Debug)]
pub struct TracerRxToken<'a, T, F> {
    token: T,
    report: Report<'a, F>,
}

/// Room for one frame, shown to the tracer's closure once filled.
#[derive(Debug)]
pub struct TracerTxToken<'a, T, F> {
    token: T,
    report: Report<'a, F>,
}

impl<D: Device, F: FnMut(Instant, TraceEvent<'_>)> Device for Tracer<D, F> {
    type RxToken<'a>
        = TracerRxToken<'a, D::RxToken<'a>, F>
    where
        Self: 'a;
    type TxToken<'a>
        = TracerTxToken<'a, D::TxToken<'a>, F>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let medium = self.inner.capabilities().medium;
        let (rx, tx) = self.inner.receive(now)?;
        let callback = &self.callback;
        Some((
            TracerRxToken {
                token: rx,
                report: Report {
                    callback,
                    now,
                    medium,
                },
            },
            TracerTxToken {
                token: tx,
                report: Report {
                    callback,
                    now,
                    medium,
                },
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        let medium = self.inner.capabilities().medium;
        let tx = self.inner.transmit(now)?;
        Some(TracerTxToken {
            token: tx,
            report: Report {
                callback: &self.callback,
                now,
                medium,
            },
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

impl<T: RxToken, F: FnMut(Instant, TraceEvent<'_>)> RxToken for TracerRxToken<'_, T, F> {
    fn consume<R, G>(self, f: G) -> R
    where
        G: FnOnce(&[u8]) -> R,
    {
        let TracerRxToken { token, report } = self;
        token.consume(|frame| {
            report.emit(TraceDirection::Rx, frame);
            f(frame)
        })
    }
}

impl<T: TxToken, F: FnMut(Instant, TraceEvent<'_>)> TxToken for TracerTxToken<'_, T, F> {
    fn consume<R, G>(self, len: usize, f: G) -> R
    where
        G: FnOnce(&mut [u8]) -> R,
    {
        let TracerTxToken { token, report } = self;
        token.consume(len, |buf| {
            let result = f(buf);
            report.emit(TraceDirection::Tx, buf);
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::checksum;
    use std::string::ToString;
    use std::vec::Vec;

    /// An IPv4 TCP SYN 192.0.2.1:49152 > 192.0.2.2:80, seq 1000, window 65535, with
    /// valid checksums, optionally inside an Ethernet II header.
    fn tcp_syn(ethernet: bool) -> Vec<u8> {
        let mut ip = std::vec![
            0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2, // IPv4
            0xc0, 0x00, 0x00, 0x50, 0, 0, 0x03, 0xe8, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff, 0, 0, 0,
            0, // TCP
        ];
        let ip_sum = !checksum::finish(checksum::sum(&ip[..20]));
        ip[10..12].copy_from_slice(&ip_sum.to_be_bytes());
        let mut pseudo = Vec::new();
        pseudo.extend_from_slice(&ip[12..20]);
        pseudo.extend_from_slice(&[0, 6, 0, 20]);
        let tcp_sum = !checksum::finish(checksum::combine(&[
            checksum::sum(&pseudo),
            checksum::sum(&ip[20..]),
        ]));
        ip[36..38].copy_from_slice(&tcp_sum.to_be_bytes());
        if !ethernet {
            return ip;
        }
        let mut frame = std::vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00];
        frame.extend_from_slice(&ip);
        frame
    }

    #[test]
    fn display_shows_the_direction_and_the_dissection() {
        for (medium, frame) in [
            (Medium::Ethernet, tcp_syn(true)),
            (Medium::Ip, tcp_syn(false)),
        ] {
            let tx = TraceEvent {
                direction: TraceDirection::Tx,
                frame: &frame,
                medium,
            };
            assert_eq!(
                tx.to_string(),
                "-> TCP 192.0.2.1:49152 > 192.0.2.2:80 [SYN] seq=1000 win=65535"
            );
            let rx = TraceEvent {
                direction: TraceDirection::Rx,
                ..tx
            };
            assert!(rx.to_string().starts_with("<- TCP 192.0.2.1:49152 > "));
        }
    }

    #[test]
    fn display_of_an_undecodable_frame_gives_the_error_and_length() {
        let event = TraceEvent {
            direction: TraceDirection::Rx,
            frame: &[1, 2, 3],
            medium: Medium::Ethernet,
        };
        assert_eq!(event.to_string(), "<- undecodable (truncated), 3 bytes");
        let event = TraceEvent {
            direction: TraceDirection::Tx,
            frame: &[0x75, 0, 0, 0],
            medium: Medium::Ip,
        };
        assert_eq!(event.to_string(), "-> undecodable (malformed), 4 bytes");
    }

    #[cfg(feature = "alloc")]
    #[test]
    fn the_tracer_sees_every_frame_in_both_directions_with_its_time() {
        use crate::phy::Loopback;
        use std::string::String;

        let syn = tcp_syn(true);
        let mut lines: Vec<(Instant, String)> = Vec::new();
        let mut dev = Tracer::new(Loopback::new(Medium::Ethernet, 8), |now, event| {
            lines.push((now, event.to_string()))
        });
        dev.transmit(Instant::from_micros(5))
            .unwrap()
            .consume(syn.len(), |buf| buf.copy_from_slice(&syn));
        let (rx, tx) = dev.receive(Instant::from_micros(6)).unwrap();
        rx.consume(|frame| tx.consume(3, |buf| buf.copy_from_slice(&frame[..3])));
        let (rx, _) = dev.receive(Instant::from_micros(7)).unwrap();
        rx.consume(|frame| assert_eq!(frame.len(), 3));
        assert!(dev.receive(Instant::from_micros(8)).is_none());
        assert_eq!(dev.capabilities().medium, Medium::Ethernet);
        dev.inner_mut().set_mtu(1514);
        assert_eq!(dev.inner().queued(), 0);
        drop(dev.into_inner());

        let shown = "TCP 192.0.2.1:49152 > 192.0.2.2:80 [SYN] seq=1000 win=65535";
        assert_eq!(
            lines,
            [
                (Instant::from_micros(5), std::format!("-> {shown}")),
                (Instant::from_micros(6), std::format!("<- {shown}")),
                (
                    Instant::from_micros(6),
                    "-> undecodable (truncated), 3 bytes".to_string()
                ),
                (
                    Instant::from_micros(7),
                    "<- undecodable (truncated), 3 bytes".to_string()
                ),
            ]
        );
    }
}
