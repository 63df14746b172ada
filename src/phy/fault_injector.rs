//! Middleware that makes a device misbehave on purpose: it drops, duplicates, corrupts,
//! reorders, size-limits and rate-limits frames, each direction with its own settings.
//!
//! Every choice comes from a [`Rng`] seeded by the caller, never from the OS: the same
//! seed and the same frames at the same `now` give the same faults, so a failing test
//! replays from its seed.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::cell::RefCell;

use super::{Device, DeviceCapabilities, RxToken, TxToken};
use crate::rand::Rng;
use crate::time::Instant;

/// Probabilities are in parts per million: 1_000_000 is "always".
const PPM: u32 = 1_000_000;

/// Most frames one direction holds for later (duplicates, a frame held back for
/// reordering, and on transmit frames the inner device had no room for).
const QUEUE_CAPACITY: usize = 8;

/// Most spare buffers kept for reuse; beyond this, buffers are freed.
const SPARE_CAPACITY: usize = 2 * QUEUE_CAPACITY + 4;

/// Most frames one `receive` call takes from the inner device while looking for one that
/// survives the faults, so a device that always has frames cannot keep it looping.
const MAX_RX_ATTEMPTS: usize = 64;

/// The faults applied to one direction. [`Default`] is a perfect link.
///
/// Per frame, in this order: a frame longer than `max_size` is dropped; then one that the
/// rate limit has no room for; then one drawn by `drop_ppm`. A surviving frame may get one
/// bit flipped (`corrupt_ppm`), then be held back (`reorder_ppm`) or else duplicated
/// (`duplicate_ppm`), never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultConfig {
    /// Chance, in parts per million, that a frame is dropped.
    pub drop_ppm: u32,
    /// Chance, in parts per million, that a frame is delivered twice in a row.
    pub duplicate_ppm: u32,
    /// Chance, in parts per million, that one random bit of one random byte is flipped.
    pub corrupt_ppm: u32,
    /// Chance, in parts per million, that a frame is held back and delivered right after
    /// the next frame in the same direction. A held frame waits for that next frame
    /// however long it takes (a stack's retransmission releases it).
    pub reorder_ppm: u32,
    /// Frames longer than this many bytes are dropped; `None`: no limit.
    pub max_size: Option<usize>,
    /// Token-bucket rate limit in bytes per second; `None`: unlimited. A frame that finds
    /// fewer tokens in the bucket than its length is dropped.
    pub max_rate_bytes_per_sec: Option<u64>,
    /// Bucket size in bytes: the largest burst let through at once. Should be at least
    /// the largest frame, or such frames are always dropped. The bucket starts full.
    pub bucket_bytes: u64,
}

/// What a [`FaultInjector`] did to one direction's frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FaultStats {
    /// Frames dropped by `drop_ppm`.
    pub dropped: u64,
    /// Frames delivered a second time.
    pub duplicated: u64,
    /// Frames that had a bit flipped.
    pub corrupted: u64,
    /// Frames delivered after a frame that came later.
    pub reordered: u64,
    /// Frames dropped by the rate limit.
    pub rate_limited: u64,
    /// Frames dropped for being larger than `max_size`.
    pub too_big: u64,
    /// Frames dropped because the injector's own queue was full (on transmit, when the
    /// inner device keeps refusing frames).
    pub queue_full: u64,
}

/// Token bucket in byte-microseconds, so refilling loses no fraction of a byte however
/// often it is called.
#[derive(Debug, Clone)]
struct TokenBucket {
    tokens: u128,
    last: Option<Instant>,
}

impl TokenBucket {
    fn full(config: &FaultConfig) -> Self {
        TokenBucket {
            tokens: u128::from(config.bucket_bytes) * 1_000_000,
            last: None,
        }
    }

    /// Refills for the time since the last call and takes `len` bytes if they are there.
    fn take(&mut self, config: &FaultConfig, now: Instant, len: usize) -> bool {
        let Some(rate) = config.max_rate_bytes_per_sec else {
            return true;
        };
        let capacity = u128::from(config.bucket_bytes) * 1_000_000;
        let elapsed = self
            .last
            .map_or(0, |last| now.saturating_duration_since(last).total_micros());
        // Time never runs backwards for the bucket: an earlier `now` refills nothing.
        self.last = Some(self.last.map_or(now, |last| last.max(now)));
        let refill = u128::from(elapsed).saturating_mul(u128::from(rate));
        self.tokens = self.tokens.saturating_add(refill).min(capacity);
        let cost = (len as u128).saturating_mul(1_000_000);
        if self.tokens >= cost {
            self.tokens -= cost;
            true
        } else {
            false
        }
    }
}

/// Takes a buffer from the spare pool, or a new one when the pool is empty.
fn take_spare(spare: &RefCell<Vec<Vec<u8>>>) -> Vec<u8> {
    spare
        .try_borrow_mut()
        .ok()
        .and_then(|mut pool| pool.pop())
        .unwrap_or_default()
}

/// Returns a buffer to the spare pool (bounded; excess buffers are freed).
fn recycle(spare: &RefCell<Vec<Vec<u8>>>, buffer: Vec<u8>) {
    if let Ok(mut pool) = spare.try_borrow_mut() {
        if pool.len() < SPARE_CAPACITY {
            pool.push(buffer);
        }
    }
}

/// One direction: its settings, generator, bucket, queue and counters.
#[derive(Debug)]
struct Lane {
    name: &'static str,
    config: FaultConfig,
    rng: Rng,
    bucket: TokenBucket,
    /// A frame held back for reordering, released after the next one.
    held: Option<Vec<u8>>,
    /// Frames ready to leave the injector, in order. Never longer than QUEUE_CAPACITY.
    out: VecDeque<Vec<u8>>,
    stats: FaultStats,
}

impl Lane {
    fn new(name: &'static str, seed: u64) -> Self {
        let config = FaultConfig::default();
        Lane {
            name,
            config,
            rng: Rng::new(seed),
            bucket: TokenBucket::full(&config),
            held: None,
            out: VecDeque::with_capacity(QUEUE_CAPACITY),
            stats: FaultStats::default(),
        }
    }

    fn set_config(&mut self, config: FaultConfig) {
        self.config = config;
        self.bucket = TokenBucket::full(&config);
    }

    fn chance(&mut self, ppm: u32) -> bool {
        self.rng.chance(ppm, PPM)
    }

    /// Runs one frame through the faults; what survives is appended to `out`.
    fn admit(&mut self, now: Instant, mut frame: Vec<u8>, spare: &RefCell<Vec<Vec<u8>>>) {
        let len = frame.len();
        let config = self.config;
        let reason = if config.max_size.is_some_and(|max| len > max) {
            self.stats.too_big += 1;
            Some("larger than max_size")
        } else if !self.bucket.take(&config, now, len) {
            self.stats.rate_limited += 1;
            Some("rate limit")
        } else if self.chance(config.drop_ppm) {
            self.stats.dropped += 1;
            Some("random drop")
        } else if self.out.len() + 1 + usize::from(self.held.is_some()) > QUEUE_CAPACITY {
            self.stats.queue_full += 1;
            Some("queue full")
        } else {
            None
        };
        if let Some(reason) = reason {
            net_trace!(
                "fault injector: {} drop ({}), {} bytes",
                self.name,
                reason,
                len
            );
            recycle(spare, frame);
            return;
        }
        if self.chance(config.corrupt_ppm) && len > 0 {
            let at = self.rng.below(len as u64) as usize;
            let bit = self.rng.below(8) as u32;
            if let Some(byte) = frame.get_mut(at) {
                *byte ^= 1u8 << bit;
                self.stats.corrupted += 1;
            }
        }
        if self.held.is_none() && self.chance(config.reorder_ppm) {
            self.held = Some(frame);
            return;
        }
        let room_for_copy = self.out.len() + 2 + usize::from(self.held.is_some()) <= QUEUE_CAPACITY;
        let copy = if self.chance(config.duplicate_ppm) && room_for_copy {
            let mut copy = take_spare(spare);
            copy.clear();
            copy.extend_from_slice(&frame);
            self.stats.duplicated += 1;
            Some(copy)
        } else {
            None
        };
        self.out.push_back(frame);
        self.out.extend(copy);
        if let Some(held) = self.held.take() {
            self.out.push_back(held);
            self.stats.reordered += 1;
        }
    }
}

/// A device that applies [`FaultConfig`]s to the frames of `inner`, one for received
/// and one for transmitted frames, and counts what it did ([`FaultStats`]).
///
/// Costs one copy of every frame (into a buffer owned by the injector) and a few random
/// draws. Buffers are recycled, so in steady state nothing is allocated. Received frames
/// are taken from the inner device during `receive` (dropped ones are consumed and the
/// next is tried, up to 64 per call); transmitted frames the inner device has no room for
/// wait in a queue of 8 and go out on the next `receive`, `transmit` or send.
#[derive(Debug)]
pub struct FaultInjector<D: Device> {
    inner: D,
    rx: Lane,
    tx: Lane,
    spare: RefCell<Vec<Vec<u8>>>,
}

impl<D: Device> FaultInjector<D> {
    /// Wraps `inner` with no faults configured yet. `seed` determines every choice; the
    /// two directions draw from separate generators derived from it, so the faults of
    /// one direction do not depend on the traffic of the other.
    pub fn new(inner: D, seed: u64) -> Self {
        let tx_seed = Rng::new(seed ^ 0x7478_5f6c_616e_6521).next_u64();
        FaultInjector {
            inner,
            rx: Lane::new("rx", seed),
            tx: Lane::new("tx", tx_seed),
            spare: RefCell::new(Vec::with_capacity(SPARE_CAPACITY)),
        }
    }

    /// Faults for received frames.
    pub fn rx_config(&self) -> &FaultConfig {
        &self.rx.config
    }

    /// Faults for transmitted frames.
    pub fn tx_config(&self) -> &FaultConfig {
        &self.tx.config
    }

    /// Sets the faults for received frames; the rate-limit bucket starts full again.
    pub fn set_rx_config(&mut self, config: FaultConfig) {
        self.rx.set_config(config);
    }

    /// Sets the faults for transmitted frames; the rate-limit bucket starts full again.
    pub fn set_tx_config(&mut self, config: FaultConfig) {
        self.tx.set_config(config);
    }

    /// What was done to received frames so far.
    pub fn rx_stats(&self) -> FaultStats {
        self.rx.stats
    }

    /// What was done to transmitted frames so far.
    pub fn tx_stats(&self) -> FaultStats {
        self.tx.stats
    }

    /// The wrapped device.
    pub fn inner(&self) -> &D {
        &self.inner
    }

    /// The wrapped device, mutably.
    pub fn inner_mut(&mut self) -> &mut D {
        &mut self.inner
    }

    /// Returns the wrapped device; frames held or queued by the injector are lost.
    pub fn into_inner(self) -> D {
        self.inner
    }

    /// Takes frames from the inner device until one survives the faults (it and any
    /// duplicate or released frame land in `rx.out`), the device is empty, or the
    /// attempt bound is reached.
    fn pull_rx(&mut self, now: Instant) {
        for _ in 0..MAX_RX_ATTEMPTS {
            if !self.rx.out.is_empty() {
                return;
            }
            let Some((token, _)) = self.inner.receive(now) else {
                return;
            };
            let mut buffer = take_spare(&self.spare);
            token.consume(|frame| {
                buffer.clear();
                buffer.extend_from_slice(frame);
            });
            self.rx.admit(now, buffer, &self.spare);
        }
    }
}

/// Sends queued frames to `inner` while it has room; returns whether the queue emptied.
fn flush_tx<D: Device>(
    inner: &mut D,
    out: &mut VecDeque<Vec<u8>>,
    spare: &RefCell<Vec<Vec<u8>>>,
    now: Instant,
) -> bool {
    while let Some(frame) = out.pop_front() {
        let Some(token) = inner.transmit(now) else {
            out.push_front(frame);
            return false;
        };
        token.consume(frame.len(), |buf| buf.copy_from_slice(&frame));
        recycle(spare, frame);
    }
    true
}

/// A received frame that survived the faults, owned by the injector.
#[derive(Debug)]
pub struct FaultRxToken<'a> {
    frame: Vec<u8>,
    spare: &'a RefCell<Vec<Vec<u8>>>,
}

/// Room for one frame; the faults are applied once the closure has filled it.
#[derive(Debug)]
pub struct FaultTxToken<'a, D: Device> {
    inner: &'a mut D,
    lane: &'a mut Lane,
    spare: &'a RefCell<Vec<Vec<u8>>>,
    now: Instant,
}

impl<D: Device> Device for FaultInjector<D> {
    type RxToken<'a>
        = FaultRxToken<'a>
    where
        Self: 'a;
    type TxToken<'a>
        = FaultTxToken<'a, D>
    where
        Self: 'a;

    fn receive(&mut self, now: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        flush_tx(&mut self.inner, &mut self.tx.out, &self.spare, now);
        self.pull_rx(now);
        let frame = self.rx.out.pop_front()?;
        Some((
            FaultRxToken {
                frame,
                spare: &self.spare,
            },
            FaultTxToken {
                inner: &mut self.inner,
                lane: &mut self.tx,
                spare: &self.spare,
                now,
            },
        ))
    }

    fn transmit(&mut self, now: Instant) -> Option<Self::TxToken<'_>> {
        // Backpressure: no token while earlier frames still wait for the inner device.
        if !flush_tx(&mut self.inner, &mut self.tx.out, &self.spare, now) {
            return None;
        }
        self.inner.transmit(now)?;
        Some(FaultTxToken {
            inner: &mut self.inner,
            lane: &mut self.tx,
            spare: &self.spare,
            now,
        })
    }

    fn capabilities(&self) -> DeviceCapabilities {
        self.inner.capabilities()
    }
}

impl RxToken for FaultRxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        let result = f(&self.frame);
        recycle(self.spare, self.frame);
        result
    }
}

impl<D: Device> TxToken for FaultTxToken<'_, D> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let mut frame = take_spare(self.spare);
        frame.clear();
        frame.resize(len, 0);
        let result = f(&mut frame);
        self.lane.admit(self.now, frame, self.spare);
        flush_tx(self.inner, &mut self.lane.out, self.spare, self.now);
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phy::{Loopback, Medium};
    use crate::time::Duration;
    use std::vec;

    const T0: Instant = Instant::ZERO;

    fn frame(i: usize, len: usize) -> Vec<u8> {
        (0..len).map(|j| (i.wrapping_mul(31) ^ j) as u8).collect()
    }

    fn injector(seed: u64, rx: FaultConfig, tx: FaultConfig) -> FaultInjector<Loopback> {
        let mut dev = FaultInjector::new(Loopback::new(Medium::Ethernet, 64), seed);
        dev.set_rx_config(rx);
        dev.set_tx_config(tx);
        dev
    }

    /// Puts `frame` into the loopback underneath, so the injector receives it.
    fn arrive(dev: &mut FaultInjector<Loopback>, frame: &[u8]) {
        let token = dev.inner_mut().transmit(T0).unwrap();
        token.consume(frame.len(), |buf| buf.copy_from_slice(frame));
    }

    fn receive_all(dev: &mut FaultInjector<Loopback>, now: Instant) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while let Some((rx, _)) = dev.receive(now) {
            got.push(rx.consume(|f| f.to_vec()));
        }
        got
    }

    fn send(dev: &mut FaultInjector<Loopback>, now: Instant, frame: &[u8]) {
        let token = dev.transmit(now).unwrap();
        token.consume(frame.len(), |buf| buf.copy_from_slice(frame));
    }

    /// What reached the loopback underneath from the injector's transmit side.
    fn sent(dev: &mut FaultInjector<Loopback>) -> Vec<Vec<u8>> {
        let mut got = Vec::new();
        while let Some((rx, _)) = dev.inner_mut().receive(T0) {
            got.push(rx.consume(|f| f.to_vec()));
        }
        got
    }

    fn with(f: impl FnOnce(&mut FaultConfig)) -> FaultConfig {
        let mut config = FaultConfig::default();
        f(&mut config);
        config
    }

    #[test]
    fn a_drop_chance_of_one_million_ppm_drops_everything_and_zero_drops_nothing() {
        let all = with(|c| c.drop_ppm = 1_000_000);
        let mut dev = injector(1, all, all);
        for i in 0..20 {
            arrive(&mut dev, &frame(i, 60));
            send(&mut dev, T0, &frame(i, 60));
        }
        // Dropped frames are still taken from the inner device, which ends up empty.
        assert!(receive_all(&mut dev, T0).is_empty());
        assert_eq!(dev.inner().queued(), 0);
        assert_eq!(dev.rx_stats().dropped, 20);
        assert_eq!(dev.tx_stats().dropped, 20);

        let mut dev = injector(1, FaultConfig::default(), FaultConfig::default());
        let frames: Vec<_> = (0..20).map(|i| frame(i, 60)).collect();
        for f in &frames {
            arrive(&mut dev, f);
        }
        assert_eq!(receive_all(&mut dev, T0), frames);
        for f in &frames {
            send(&mut dev, T0, f);
        }
        assert_eq!(sent(&mut dev), frames);
        assert_eq!(dev.rx_stats(), FaultStats::default());
        assert_eq!(dev.tx_stats(), FaultStats::default());
    }

    #[test]
    fn a_half_drop_chance_drops_between_45_and_55_percent_of_10000_frames() {
        let half = with(|c| c.drop_ppm = 500_000);
        let mut dev = injector(7, half, half);
        let (mut received, mut transmitted) = (0, 0);
        for i in 0..10_000 {
            arrive(&mut dev, &frame(i, 20));
            received += receive_all(&mut dev, T0).len();
            send(&mut dev, T0, &frame(i, 20));
            transmitted += sent(&mut dev).len();
        }
        for (kept, stats) in [(received, dev.rx_stats()), (transmitted, dev.tx_stats())] {
            assert!((4_500..=5_500).contains(&stats.dropped), "{stats:?}");
            assert_eq!(kept as u64 + stats.dropped, 10_000);
        }
    }

    fn faults_of_run(seed: u64) -> (Vec<Vec<u8>>, FaultStats) {
        let config = with(|c| {
            c.drop_ppm = 300_000;
            c.corrupt_ppm = 300_000;
        });
        let mut dev = injector(seed, config, FaultConfig::default());
        let mut got = Vec::new();
        for i in 0..200 {
            arrive(&mut dev, &frame(i, 40));
            got.extend(receive_all(&mut dev, T0));
        }
        (got, dev.rx_stats())
    }

    #[test]
    fn the_same_seed_gives_the_same_faults_and_another_seed_different_ones() {
        let first = faults_of_run(42);
        assert_eq!(first, faults_of_run(42));
        assert_ne!(first, faults_of_run(43));
        assert!(first.1.dropped > 0 && first.1.corrupted > 0);
    }

    #[test]
    fn a_corrupted_frame_differs_from_the_original_in_exactly_one_bit() {
        let always = with(|c| c.corrupt_ppm = 1_000_000);
        let mut dev = injector(3, always, always);
        for i in 0..200 {
            let original = frame(i, 1 + i % 70);
            arrive(&mut dev, &original);
            let mut got = receive_all(&mut dev, T0);
            send(&mut dev, T0, &original);
            got.extend(sent(&mut dev));
            assert_eq!(got.len(), 2);
            for corrupted in &got {
                assert_eq!(corrupted.len(), original.len());
                let flipped: u32 = corrupted
                    .iter()
                    .zip(&original)
                    .map(|(a, b)| (a ^ b).count_ones())
                    .sum();
                assert_eq!(flipped, 1, "frame {i}");
            }
        }
        assert_eq!(dev.rx_stats().corrupted, 200);
        assert_eq!(dev.tx_stats().corrupted, 200);
    }

    #[test]
    fn a_duplicated_frame_arrives_twice_in_a_row() {
        let always = with(|c| c.duplicate_ppm = 1_000_000);
        let mut dev = injector(4, always, always);
        let (a, b) = (frame(1, 30), frame(2, 30));
        arrive(&mut dev, &a);
        arrive(&mut dev, &b);
        assert_eq!(receive_all(&mut dev, T0), [&a, &a, &b, &b].map(Vec::clone));
        send(&mut dev, T0, &a);
        send(&mut dev, T0, &b);
        assert_eq!(sent(&mut dev), [&a, &a, &b, &b].map(Vec::clone));
        assert_eq!(dev.rx_stats().duplicated, 2);
        assert_eq!(dev.tx_stats().duplicated, 2);
    }

    #[test]
    fn a_reordered_frame_swaps_places_with_the_next_one() {
        let always = with(|c| c.reorder_ppm = 1_000_000);
        let mut dev = injector(5, always, always);
        let frames: Vec<_> = (0..5).map(|i| frame(i, 30)).collect();
        for f in &frames {
            arrive(&mut dev, f);
        }
        // The last frame stays held until a later one arrives.
        let expected = [&frames[1], &frames[0], &frames[3], &frames[2]].map(Vec::clone);
        assert_eq!(receive_all(&mut dev, T0), expected);
        for f in &frames {
            send(&mut dev, T0, f);
        }
        assert_eq!(sent(&mut dev), expected);
        arrive(&mut dev, &frames[0]);
        assert_eq!(
            receive_all(&mut dev, T0),
            [&frames[0], &frames[4]].map(Vec::clone)
        );
        assert_eq!(dev.rx_stats().reordered, 3);
        assert_eq!(dev.tx_stats().reordered, 2);
    }

    #[test]
    fn the_token_bucket_limits_throughput_to_the_configured_rate() {
        let limited = with(|c| {
            c.max_rate_bytes_per_sec = Some(10_000);
            c.bucket_bytes = 1_000;
        });
        let mut dev = injector(6, limited, limited);
        // Offer 100 bytes every millisecond (100 kB/s) for 10 simulated seconds.
        let (mut received, mut transmitted, mut now) = (0, 0, T0);
        for i in 0..10_000 {
            arrive(&mut dev, &frame(i, 100));
            received += receive_all(&mut dev, now)
                .iter()
                .map(Vec::len)
                .sum::<usize>();
            send(&mut dev, now, &frame(i, 100));
            transmitted += sent(&mut dev).iter().map(Vec::len).sum::<usize>();
            now += Duration::from_millis(1);
        }
        for (bytes, stats) in [(received, dev.rx_stats()), (transmitted, dev.tx_stats())] {
            // 10 s at 10 kB/s plus the initial full bucket, less the last partial frame.
            assert!((100_000..=101_000).contains(&bytes), "{bytes} bytes");
            assert_eq!(stats.rate_limited as usize, 10_000 - bytes / 100);
        }
    }

    #[test]
    fn frames_larger_than_max_size_are_dropped() {
        let small = with(|c| c.max_size = Some(100));
        let mut dev = injector(8, small, small);
        let (fits, too_big) = (frame(1, 100), frame(2, 101));
        arrive(&mut dev, &too_big);
        arrive(&mut dev, &fits);
        assert_eq!(receive_all(&mut dev, T0), std::slice::from_ref(&fits));
        send(&mut dev, T0, &fits);
        send(&mut dev, T0, &too_big);
        assert_eq!(sent(&mut dev), std::slice::from_ref(&fits));
        assert_eq!(dev.rx_stats().too_big, 1);
        assert_eq!(dev.tx_stats().too_big, 1);
    }

    #[test]
    fn buffers_are_recycled_so_the_spare_pool_stays_bounded() {
        let mixed = with(|c| {
            c.drop_ppm = 200_000;
            c.duplicate_ppm = 200_000;
            c.reorder_ppm = 200_000;
        });
        let mut dev = injector(9, mixed, mixed);
        for i in 0..1_000 {
            arrive(&mut dev, &frame(i, 64));
            let _ = receive_all(&mut dev, T0);
            send(&mut dev, T0, &frame(i, 64));
            let _ = sent(&mut dev);
        }
        let pool = dev.spare.borrow().len();
        assert!((1..=SPARE_CAPACITY).contains(&pool), "{pool} spare buffers");
        assert!(dev.rx.out.capacity() <= QUEUE_CAPACITY.next_power_of_two());
        assert_eq!(vec![dev.rx_config(), dev.tx_config()], [&mixed, &mixed]);
        assert_eq!(dev.capabilities().medium, Medium::Ethernet);
        let _: Loopback = dev.into_inner();
    }
}
