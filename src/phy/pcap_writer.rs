//! Middleware that records every frame a device carries into a pcap capture, for opening
//! in Wireshark or `tshark` (format: see [`crate::pcap`]).
//!
//! Timestamps are the `now` given to `receive`/`transmit`; the writer reads no clock.

use core::cell::RefCell;

use super::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use crate::pcap::{self, PcapLinkType, PcapSink, PcapTimestamp};
use crate::time::Instant;

/// Which directions a [`PcapWriter`] records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PcapMode {
    /// Received and transmitted frames.
    #[default]
    Both,
    /// Received frames only.
    RxOnly,
    /// Transmitted frames only.
    TxOnly,
}

impl PcapMode {
    fn rx(self) -> bool {
        matches!(self, PcapMode::Both | PcapMode::RxOnly)
    }

    fn tx(self) -> bool {
        matches!(self, PcapMode::Both | PcapMode::TxOnly)
    }
}

/// A device that writes a copy of every frame of `inner` into a pcap capture.
///
/// Costs one copy of each recorded frame into the sink; no allocation of its own. The
/// link type follows the inner device's medium (Ethernet, or raw IP for an IP device).
/// Frames are never cut: the snap length is at least the device's MTU.
#[derive(Debug)]
pub struct PcapWriter<D: Device, S: PcapSink> {
    inner: D,
    mode: PcapMode,
    // Both tokens of one `receive` may record, so they share the writer. A borrow is held
    // only while one record is written, never across a user closure.
    writer: RefCell<pcap::PcapWriter<S>>,
}

impl<D: Device, S: PcapSink> PcapWriter<D, S> {
    /// Wraps `inner` and starts a capture in `sink` (writes the pcap global header now).
    pub fn new(inner: D, sink: S, mode: PcapMode) -> Self {
        let caps = inner.capabilities();
        let link_type = match caps.medium {
            Medium::Ethernet => PcapLinkType::Ethernet,
            Medium::Ip => PcapLinkType::Raw,
        };
        let snap_len = u32::try_from(caps.max_transmission_unit)
            .unwrap_or(u32::MAX)
            .max(65535);
        let writer = pcap::PcapWriter::new(sink, link_type, PcapTimestamp::Micros, snap_len);
        PcapWriter {
            inner,
            mode,
            writer: RefCell::new(writer),
        }
    }

    /// The directions recorded.
    pub fn mode(&self) -> PcapMode {
        self.mode
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Ends the capture and returns the wrapped device; the sink is dropped (see
    /// [`PcapWriter::into_parts`] to keep it).
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// Ends the capture and returns the wrapped device and the sink.
    pub fn into_parts(self) -> (D, S) {
        (self.inner, self.writer.into_inner().into_sink())
    }

    /// The sink, for inspection (a `Vec<u8>` holds the capture so far).
    pub fn sink(&mut self) -> &S {
        self.writer.get_mut().sink()
    }
}

/// Records `frame` unless the writer is already borrowed, which cannot happen: borrows
/// are never held across a user closure. Skipping beats panicking inside the stack.
fn record<S: PcapSink>(writer: &RefCell<pcap::PcapWriter<S>>, now: Instant, frame: &[u8]) {
    if let Ok(mut writer) = writer.try_borrow_mut() {
        writer.write_frame(now, frame);
    }
}

/// A received frame that is recorded when consumed.
#[derive(Debug)]
pub struct PcapRxToken<'a, T, S: PcapSink> {
    token: T,
    now: Instant,
    writer: Option<&'a RefCell<pcap::PcapWriter<S>>>,
}

/// Room for one frame that is recorded once the closure has filled it.
#[derive(Debug)]
pub struct PcapTxToken<'a, T, S: PcapSink> {
    token: T,
    now: Instant,
    writer: Option<&'a RefCell<pcap::PcapWriter<S>>>,
}

impl<D: Device, S: PcapSink> Device for PcapWriter<D, S> {
    type RxToken<'a>
        = PcapRxToken<'a, D::RxToken<'a>, S>
    where
        Self: 'a;
    type TxToken<'a>
        = PcapTxToken<'a, D::TxToken<'a>, S>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        let (rx, tx) = self.inner.receive(now)?;
        let writer = &self.writer;
        Some((
            PcapRxToken {
                token: rx,
                now,
                writer: self.mode.rx().then_some(writer),
            },
            PcapTxToken {
                token: tx,
                now,
                writer: self.mode.tx().then_some(writer),
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        let tx = self.inner.transmit(now)?;
        Some(PcapTxToken {
            token: tx,
            now,
            writer: self.mode.tx().then_some(&self.writer),
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

impl<T: RxToken, S: PcapSink> RxToken for PcapRxToken<'_, T, S> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let PcapRxToken { token, now, writer } = self;
        token.consume(|frame| {
            // Recorded before `f` runs, so an answer sent from inside `f` (with the paired
            // TxToken) follows its request in the capture.
            if let Some(writer) = writer {
                record(writer, now, frame);
            }
            f(frame)
        })
    }
}

impl<T: TxToken, S: PcapSink> TxToken for PcapTxToken<'_, T, S> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let PcapTxToken { token, now, writer } = self;
        token.consume(len, |buf| {
            let result = f(buf);
            if let Some(writer) = writer {
                record(writer, now, buf);
            }
            result
        })
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests {
    use super::*;
    use crate::pcap::PcapReader;
    use crate::phy::Loopback;
    use std::vec::Vec;

    fn send(dev: &mut impl Device, now: Instant, bytes: &[u8]) {
        dev.transmit(now)
            .unwrap()
            .consume(bytes.len(), |buf| buf.copy_from_slice(bytes));
    }

    #[test]
    fn a_loopback_exchange_reads_back_with_every_frame_and_its_time() {
        let mut dev = PcapWriter::new(
            Loopback::new(Medium::Ethernet, 8),
            Vec::new(),
            PcapMode::Both,
        );
        send(&mut dev, Instant::from_micros(1_000), &[1; 60]);
        // The received request is answered from inside its own consume.
        let (rx, tx) = dev.receive(Instant::from_micros(2_500)).unwrap();
        rx.consume(|frame| {
            assert_eq!(frame, &[1; 60]);
            tx.consume(64, |buf| buf.fill(2));
        });
        let (rx, _) = dev.receive(Instant::from_secs(3)).unwrap();
        rx.consume(|frame| assert_eq!(frame, &[2; 64]));

        let (_, bytes) = dev.into_parts();
        let reader = PcapReader::new(&bytes).unwrap();
        assert_eq!(reader.link_type(), PcapLinkType::Ethernet);
        let records: Vec<_> = reader.map(|r| r.unwrap()).collect();
        let seen: Vec<_> = records.iter().map(|r| (r.timestamp, r.data)).collect();
        assert_eq!(
            seen,
            [
                (Instant::from_micros(1_000), &[1u8; 60][..]),
                (Instant::from_micros(2_500), &[1u8; 60][..]),
                (Instant::from_micros(2_500), &[2u8; 64][..]),
                (Instant::from_secs(3), &[2u8; 64][..]),
            ]
        );
    }

    #[test]
    fn an_ip_device_gives_a_raw_ip_capture() {
        let mut dev = PcapWriter::new(Loopback::new(Medium::Ip, 8), Vec::new(), PcapMode::Both);
        assert_eq!(dev.mode(), PcapMode::Both);
        let reader = PcapReader::new(dev.sink()).unwrap();
        assert_eq!(reader.link_type(), PcapLinkType::Raw);
        assert_eq!(reader.count(), 0);
    }

    #[test]
    fn rx_only_and_tx_only_record_one_direction() {
        for (mode, expected) in [
            (PcapMode::RxOnly, Instant::from_micros(20)),
            (PcapMode::TxOnly, Instant::from_micros(10)),
        ] {
            let mut dev = PcapWriter::new(Loopback::new(Medium::Ethernet, 8), Vec::new(), mode);
            send(&mut dev, Instant::from_micros(10), &[7; 20]);
            let (rx, _) = dev.receive(Instant::from_micros(20)).unwrap();
            rx.consume(|_| ());
            assert_eq!(dev.inner().queued(), 0);
            let records: Vec<_> = PcapReader::new(dev.sink())
                .unwrap()
                .map(|r| r.unwrap().timestamp)
                .collect();
            assert_eq!(records, [expected], "{mode:?}");
        }
    }

    #[test]
    fn an_unused_token_records_nothing() {
        let mut dev = PcapWriter::new(
            Loopback::new(Medium::Ethernet, 8),
            Vec::new(),
            PcapMode::Both,
        );
        assert!(dev.transmit(Instant::ZERO).is_some());
        dev.inner_mut().set_mtu(1514);
        assert_eq!(dev.capabilities().max_transmission_unit, 1514);
        assert_eq!(PcapReader::new(dev.sink()).unwrap().count(), 0);
        let _loopback: Loopback = dev.into_inner();
    }
}
