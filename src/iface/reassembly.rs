//! IP fragment reassembly: a fixed number of slots, each rebuilding one datagram in a
//! buffer the caller provides, with overlap, bound and timeout rules for IPv4 and IPv6.
//!
//! Governing texts: RFC 791 and RFC 815 (IPv4 fragments), RFC 1122 §3.3.2 (timeout and
//! Time Exceeded), RFC 1858 (overlap attacks), RFC 8200 §4.5 (IPv6 fragments), RFC 5722
//! (overlaps are fatal), RFC 6946 (atomic fragments); CONFORMANCE C4 and C7.
//!
//! Pure logic: nothing here reads a clock or does I/O; every call that may act on time
//! takes `now`. Memory is fixed at construction (DESIGN rule 3): `N` slots, each with its
//! own payload buffer, a 32-range [`Assembler`] and a 128-byte copy of fragment 0's
//! header, plus [`REASSEMBLY_POISON_LEN`] remembered poisoned keys. Every call costs at
//! most one scan of the slot array and one copy of the fragment's bytes.
//!
//! Choices this module makes, each a judgement the RFCs leave open:
//! - **Overlap kills the datagram** (C4.7 for IPv4, mirroring RFC 5722 which is a MUST
//!   for IPv6 in C7.5): the slot is freed and the key is remembered as poisoned until the
//!   datagram's timeout would have fired, so its later fragments are dropped silently.
//! - **Duplicates are tolerated**: a fragment whose every byte was already received *with
//!   the same value* changes nothing and is counted in [`ReassemblyStats::duplicates`]
//!   (RFC 8200 lets exact duplicates through; comparing content, not only boundaries,
//!   keeps an overlap attack, which needs different bytes, out).
//! - **Full table evicts the oldest** datagram (C4.8, C7.11), so a flood of unique IDs
//!   never stops new traffic; the price is that a flood of at least `N` new datagrams
//!   within one datagram's lifetime evicts a legitimate partial datagram. Evictions are
//!   counted in [`ReassemblyStats::evicted`] and produce no ICMP error.
//! - Transport-level checks (tiny first fragments, C4.9; the IPv6 header chain being
//!   whole in fragment 0, C7.8; ND arriving fragmented, C7.10) are the caller's.

use core::fmt;

use managed::ManagedSlice;

use crate::storage::Assembler;
use crate::time::{Duration, Instant};
use crate::wire::{IpProtocol, Ipv4Address, Ipv6Address};

/// The largest reassembled payload any IP version allows: IPv6's 16-bit Payload Length
/// (RFC 8200 §4.5). IPv4 is bounded tighter: its 16-bit Total Length also counts the
/// header, so payload + fragment 0's header must not exceed 65535 (C4.6).
pub const REASSEMBLY_MAX_PAYLOAD_LEN: usize = 65535;

/// How many bytes of fragment 0 are kept for the ICMP Time Exceeded quote: its IP header
/// (an IPv4 header with options is at most 60 bytes; an IPv6 header chain is cut here)
/// followed by up to [`REASSEMBLY_QUOTE_DATA_LEN`] payload bytes.
pub const REASSEMBLY_QUOTE_LEN: usize = 128;

/// How many payload bytes of fragment 0 follow its header in the quote (RFC 1122
/// §3.2.2: the header plus the first 64 bits of data).
pub const REASSEMBLY_QUOTE_DATA_LEN: usize = 8;

/// How many poisoned keys (datagrams killed by an overlap) are remembered at once. When
/// more are poisoned, the one closest to its expiry is forgotten first.
pub const REASSEMBLY_POISON_LEN: usize = 8;

/// The smallest IPv4 header, assumed for a fragment-0 header not yet seen.
const IPV4_MIN_HEADER_LEN: usize = 20;

/// Tunables of a [`Reassembler`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// How long a datagram may stay incomplete, counted from its first fragment's
    /// arrival (a fixed value, not the TTL: C4.4 recommends 60–120 s, RFC 8200 §4.5 says
    /// 60 s). Default 60 s.
    pub timeout: Duration,
    /// The largest reassembled payload accepted, in bytes; a fragment reaching past it is
    /// dropped as [`FragmentError::TooLong`]. Clamped to [`REASSEMBLY_MAX_PAYLOAD_LEN`];
    /// each slot's buffer length bounds it further. Default 65535.
    pub max_datagram_len: usize,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        ReassemblyConfig {
            timeout: Duration::from_secs(60),
            max_datagram_len: REASSEMBLY_MAX_PAYLOAD_LEN,
        }
    }
}

/// What identifies the fragments of one datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FragmentKey {
    /// IPv4: (source, destination, protocol, Identification) (RFC 791; C4.2).
    V4 {
        /// Source address.
        src: Ipv4Address,
        /// Destination address.
        dst: Ipv4Address,
        /// The Protocol field.
        protocol: IpProtocol,
        /// The Identification field.
        ident: u16,
    },
    /// IPv6: (source, destination, Fragment Identification) (RFC 8200 §4.5; C7.1).
    V6 {
        /// Source address.
        src: Ipv6Address,
        /// Destination address.
        dst: Ipv6Address,
        /// The Fragment header's Identification field.
        ident: u32,
    },
}

impl FragmentKey {
    /// The largest payload end this IP version can carry, given fragment 0's header
    /// length for IPv4 (an IPv6 Payload Length counts only what follows the fixed
    /// header, which the caller's `offset` already excludes).
    fn payload_limit(&self, v4_header_len: usize) -> usize {
        match self {
            FragmentKey::V4 { .. } => REASSEMBLY_MAX_PAYLOAD_LEN.saturating_sub(v4_header_len),
            FragmentKey::V6 { .. } => REASSEMBLY_MAX_PAYLOAD_LEN,
        }
    }
}

impl fmt::Display for FragmentKey {
    /// E.g. `IPv4 192.0.2.1 > 192.0.2.2 proto=ICMP id=0x90ed`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FragmentKey::V4 {
                src,
                dst,
                protocol,
                ident,
            } => write!(f, "IPv4 {src} > {dst} proto={protocol} id={ident:#06x}"),
            FragmentKey::V6 { src, dst, ident } => {
                write!(f, "IPv6 {src} > {dst} id={ident:#010x}")
            }
        }
    }
}

/// Why a fragment was not taken. Each one is also counted in [`ReassemblyStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FragmentError {
    /// The fragment overlaps data already received with different bytes or boundaries:
    /// the whole datagram was dropped and its key poisoned (C4.7, C7.5 / RFC 5722). An
    /// IPv6 caller MUST stay silent.
    Overlap,
    /// The fragment belongs to a datagram dropped for an overlap, whose key is remembered
    /// until that datagram's timeout: dropped silently (C7.5).
    Poisoned,
    /// `offset + len` exceeds 65535 (IPv4: with the header), the configured maximum, or
    /// the slot's buffer (C4.6, C7.3; IPv6 answers Parameter Problem code 0 pointing at
    /// the Fragment Offset field). Only this fragment is dropped, except at completion
    /// when fragment 0's IPv4 header makes the whole too long: then the datagram is.
    TooLong,
    /// A non-last fragment whose length is not a multiple of 8, or an offset that is not
    /// (C4.6, C7.2; IPv6 answers Parameter Problem code 0 pointing at Payload Length).
    /// Only this fragment is dropped.
    NotMultipleOf8,
    /// Data past the end fixed by the last (MF=0) fragment, a second last fragment with a
    /// different end, or a last fragment ending before data already received (C4.6,
    /// uIP CVE-2020-17438). Only this fragment is dropped.
    BeyondEnd,
    /// The datagram would need more separate ranges than the [`Assembler`] tracks (32):
    /// the whole datagram was dropped, since this fragment can never be filled in.
    TooManyHoles,
    /// The reassembler has no slots at all (zero capacity).
    NoSlot,
}

impl fmt::Display for FragmentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FragmentError::Overlap => "fragment overlaps received data",
            FragmentError::Poisoned => "fragment of a datagram dropped for overlap",
            FragmentError::TooLong => "fragment reaches past the largest datagram",
            FragmentError::NotMultipleOf8 => "non-last fragment length not a multiple of 8",
            FragmentError::BeyondEnd => "fragment lies beyond the datagram's end",
            FragmentError::TooManyHoles => "too many holes in the datagram",
            FragmentError::NoSlot => "no reassembly slot",
        })
    }
}

/// Counters of what the reassembler did, for the interface's drop counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Datagrams reassembled (atomic fragments not counted).
    pub completed: u64,
    /// Datagrams discarded because their timeout expired.
    pub timed_out: u64,
    /// Datagrams dropped for an overlapping fragment.
    pub overlaps: u64,
    /// Partial datagrams evicted to make room for a new one (oldest first).
    pub evicted: u64,
    /// Fragments dropped as [`FragmentError::TooLong`].
    pub too_long: u64,
    /// Fragments dropped as [`FragmentError::NotMultipleOf8`].
    pub bad_length: u64,
    /// Fragments dropped as [`FragmentError::BeyondEnd`].
    pub beyond_end: u64,
    /// Duplicate fragments ignored.
    pub duplicates: u64,
    /// Fragments dropped as [`FragmentError::Poisoned`].
    pub poisoned: u64,
    /// Datagrams dropped as [`FragmentError::TooManyHoles`].
    pub too_many_holes: u64,
    /// Fragments dropped as [`FragmentError::NoSlot`].
    pub no_slot: u64,
}

/// A whole datagram. Borrows the reassembler (or, for an atomic fragment, the input): the
/// slot it came from is already free and is reused only by a later call, which the
/// borrow forbids while this value lives. Nothing is copied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reassembled<'p> {
    /// Which datagram.
    pub key: FragmentKey,
    /// The IP header bytes given with fragment 0 (IPv4: with options, C4.3; IPv6: the
    /// caller's header chain, whose Fragment header carries the Next Header to use,
    /// C7.1). At most [`REASSEMBLY_QUOTE_LEN`] bytes are kept; longer chains are cut.
    pub first_header: &'p [u8],
    /// The payload from offset 0 to the end of the last fragment.
    pub payload: &'p [u8],
}

/// A datagram discarded by [`Reassembler::poll`] because its timeout expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExpiredDatagram<'p> {
    /// Which datagram.
    pub key: FragmentKey,
    /// If fragment 0 had arrived: its header followed by up to 8 payload bytes (at most
    /// [`REASSEMBLY_QUOTE_LEN`] bytes), to quote in an ICMP Time Exceeded code 1 (C4.4) or
    /// ICMPv6 Time Exceeded code 1 (C7.4). `None` otherwise: then no error is sent (C4.5).
    pub quote: Option<&'p [u8]>,
}

/// What one slot's state machine decided about a fragment.
enum Step {
    /// Stored; more is missing.
    Pending,
    /// Ignored: every byte was already there with the same value.
    Duplicate,
    /// Stored, and every byte up to the end of the last fragment is present.
    Complete,
}

/// One reassembly slot: a payload buffer and the state of the datagram using it.
#[derive(Debug)]
pub struct ReassemblySlot<'a> {
    buffer: ManagedSlice<'a, u8>,
    in_use: bool,
    key: FragmentKey,
    /// When the first fragment (in arrival order) came: the timeout runs from here.
    started: Instant,
    /// The payload length, once the MF=0 fragment arrived.
    total_len: Option<usize>,
    ranges: Assembler,
    /// Fragment 0's header, then up to 8 payload bytes.
    quote: [u8; REASSEMBLY_QUOTE_LEN],
    /// Header bytes at the start of `quote`.
    header_len: usize,
    /// Bytes used in `quote`.
    quote_len: usize,
    /// Whether fragment 0 arrived (and `quote` holds its header).
    has_first: bool,
}

impl<'a> ReassemblySlot<'a> {
    /// A free slot whose datagrams may be up to `buffer.len()` bytes of payload. Size it
    /// for the largest datagram to accept (65535 for everything; 1500 or so for typical
    /// MTU-sized fragmentation).
    pub fn new<B: Into<ManagedSlice<'a, u8>>>(buffer: B) -> Self {
        ReassemblySlot {
            buffer: buffer.into(),
            in_use: false,
            key: FragmentKey::V6 {
                src: Ipv6Address::UNSPECIFIED,
                dst: Ipv6Address::UNSPECIFIED,
                ident: 0,
            },
            started: Instant::ZERO,
            total_len: None,
            ranges: Assembler::new(),
            quote: [0; REASSEMBLY_QUOTE_LEN],
            header_len: 0,
            quote_len: 0,
            has_first: false,
        }
    }

    /// The largest payload this slot can hold.
    pub fn capacity(&self) -> usize {
        self.buffer.len()
    }

    fn start(&mut self, key: FragmentKey, now: Instant) {
        self.in_use = true;
        self.key = key;
        self.started = now;
        self.total_len = None;
        self.ranges.clear();
        self.header_len = 0;
        self.quote_len = 0;
        self.has_first = false;
    }

    fn deadline(&self, timeout: Duration) -> Instant {
        self.started.saturating_add(timeout)
    }

    /// The highest end of any received byte range (0 if none).
    fn received_end(&self) -> usize {
        self.ranges.iter_data(0).last().map_or(0, |(_, end)| end)
    }

    /// Applies one fragment whose bounds the reassembler already checked against the
    /// buffer (`end <= buffer.len()`) and the 8-byte rule.
    fn accept(
        &mut self,
        offset: usize,
        more_frags: bool,
        data: &[u8],
        first_header: &[u8],
    ) -> Result<Step, FragmentError> {
        let end = offset.saturating_add(data.len());
        // C4.6 [!] (CVE-2020-17438): once the end is known, nothing may reach past it,
        // and a second last fragment must agree on it.
        match self.total_len {
            Some(total) if end > total || (!more_frags && end != total) => {
                return Err(FragmentError::BeyondEnd);
            }
            None if !more_frags && self.received_end() > end => {
                return Err(FragmentError::BeyondEnd);
            }
            _ => {}
        }
        let duplicate = self.ranges.overlaps(offset, data.len());
        if duplicate {
            // C4.7 / C7.5: only a byte-identical repeat survives an overlap.
            let same = self.ranges.contains(offset, data.len())
                && self.buffer.get(offset..end) == Some(data);
            if !same {
                return Err(FragmentError::Overlap);
            }
        } else {
            self.ranges
                .add(offset, data.len())
                .map_err(|_| FragmentError::TooManyHoles)?;
            if let Some(dst) = self.buffer.get_mut(offset..end) {
                dst.copy_from_slice(data);
            }
        }
        if offset == 0 && !self.has_first && !data.is_empty() {
            self.keep_quote(first_header, data);
        }
        if !more_frags {
            self.total_len = Some(end);
        }
        match self.total_len {
            Some(total) if self.ranges.peek_front() >= total => Ok(Step::Complete),
            _ if duplicate => Ok(Step::Duplicate),
            _ => Ok(Step::Pending),
        }
    }

    /// Keeps fragment 0's header and first 8 payload bytes for the ICMP quote (C4.4).
    fn keep_quote(&mut self, header: &[u8], data: &[u8]) {
        let header_len = header.len().min(REASSEMBLY_QUOTE_LEN);
        let data_len = data
            .len()
            .min(REASSEMBLY_QUOTE_DATA_LEN)
            .min(REASSEMBLY_QUOTE_LEN - header_len);
        let quote_len = header_len + data_len;
        if let (Some(dst), Some(src)) = (self.quote.get_mut(..header_len), header.get(..header_len))
        {
            dst.copy_from_slice(src);
        }
        if let (Some(dst), Some(src)) = (
            self.quote.get_mut(header_len..quote_len),
            data.get(..data_len),
        ) {
            dst.copy_from_slice(src);
        }
        self.header_len = header_len;
        self.quote_len = quote_len;
        self.has_first = true;
    }
}

/// Rebuilds fragmented IPv4 and IPv6 datagrams in a fixed set of slots.
///
/// Feed every fragment to [`add`](Self::add); call [`poll`](Self::poll) by
/// [`poll_at`](Self::poll_at) to expire stale datagrams and learn which ones deserve an
/// ICMP Time Exceeded. `add` does not expire anything itself: a fragment for a datagram
/// whose deadline passed without a `poll` still joins it.
#[derive(Debug)]
pub struct Reassembler<'a> {
    slots: ManagedSlice<'a, ReassemblySlot<'a>>,
    config: ReassemblyConfig,
    /// Keys dropped for an overlap, with the instant they may be forgotten.
    poisoned: [Option<(FragmentKey, Instant)>; REASSEMBLY_POISON_LEN],
    stats: ReassemblyStats,
}

impl<'a> Reassembler<'a> {
    /// A reassembler over the given slots (all reset to free). The number of slots is the
    /// number of datagrams in reassembly at once; their buffers bound bytes per datagram
    /// and, summed, total bytes (C4.8).
    pub fn new<S: Into<ManagedSlice<'a, ReassemblySlot<'a>>>>(
        slots: S,
        config: ReassemblyConfig,
    ) -> Self {
        let mut slots = slots.into();
        for slot in slots.iter_mut() {
            slot.in_use = false;
        }
        Reassembler {
            slots,
            config,
            poisoned: [None; REASSEMBLY_POISON_LEN],
            stats: ReassemblyStats::default(),
        }
    }

    /// `slot_count` slots of `buffer_len` bytes each, on the heap (allocated here, once).
    #[cfg(feature = "alloc")]
    pub fn with_capacity(slot_count: usize, buffer_len: usize, config: ReassemblyConfig) -> Self {
        let slots: alloc::vec::Vec<ReassemblySlot<'a>> = (0..slot_count)
            .map(|_| ReassemblySlot::new(alloc::vec![0u8; buffer_len]))
            .collect();
        Self::new(slots, config)
    }

    /// The configuration.
    pub fn config(&self) -> &ReassemblyConfig {
        &self.config
    }

    /// What was completed, dropped and evicted so far.
    pub fn stats(&self) -> &ReassemblyStats {
        &self.stats
    }

    /// How many datagrams are being reassembled now.
    pub fn in_progress(&self) -> usize {
        self.slots.iter().filter(|s| s.in_use).count()
    }

    /// Adds one fragment: `data` is its payload, which starts `offset` bytes into the
    /// original payload (the wire field × 8); `more_frags` is its MF / M flag;
    /// `first_header` is its IP header (IPv4 with options; IPv6 up to and including the
    /// Fragment header), kept only when `offset == 0`.
    ///
    /// Returns `Ok(Some(_))` when the datagram is whole (C4.3), `Ok(None)` when it is not
    /// yet or the fragment was a duplicate, and `Err` when the fragment, or the datagram,
    /// was dropped (see [`FragmentError`] for which). A fragment with `offset == 0` and
    /// `more_frags == false` is an atomic fragment (RFC 6946, C7.6): it comes straight
    /// back as its own datagram and never touches, poisons or completes a slot with the
    /// same key. When every slot is busy, the oldest datagram is evicted (C4.8).
    ///
    /// Costs one scan of the slots and one copy of `data` into a slot buffer.
    pub fn add<'s>(
        &'s mut self,
        key: FragmentKey,
        offset: usize,
        more_frags: bool,
        data: &'s [u8],
        first_header: &'s [u8],
        now: Instant,
    ) -> Result<Option<Reassembled<'s>>, FragmentError> {
        if offset == 0 && !more_frags {
            return Ok(Some(Reassembled {
                key,
                first_header,
                payload: data,
            }));
        }
        let result = self
            .add_fragment(key, offset, more_frags, data, first_header, now)
            .and_then(|done| match done {
                Some(index) => self.check_complete(index).map(|()| Some(index)),
                None => Ok(None),
            });
        match result {
            Ok(Some(index)) => Ok(self.take_complete(index)),
            Ok(None) => Ok(None),
            Err(err) => {
                self.count_error(err);
                net_debug!("reassembly: {key} off={offset} len={}: {err}", data.len());
                Err(err)
            }
        }
    }

    /// The body of [`add`](Self::add) for real fragments: returns the index of a slot
    /// that just completed, if any.
    fn add_fragment(
        &mut self,
        key: FragmentKey,
        offset: usize,
        more_frags: bool,
        data: &[u8],
        first_header: &[u8],
        now: Instant,
    ) -> Result<Option<usize>, FragmentError> {
        if self.is_poisoned(&key, now) {
            return Err(FragmentError::Poisoned);
        }
        // Wire offsets are multiples of 8 by construction; only a caller bug breaks this.
        if offset % 8 != 0 || (more_frags && data.len() % 8 != 0) {
            return Err(FragmentError::NotMultipleOf8);
        }
        let end = offset
            .checked_add(data.len())
            .ok_or(FragmentError::TooLong)?;
        let v4_header_len = if offset == 0 {
            first_header.len()
        } else {
            IPV4_MIN_HEADER_LEN
        };
        let limit = key
            .payload_limit(v4_header_len)
            .min(self.config.max_datagram_len);
        if end > limit {
            return Err(FragmentError::TooLong);
        }
        let existing = self.slots.iter().position(|s| s.in_use && s.key == key);
        let index = match existing {
            Some(index) => index,
            None => self.victim().ok_or(FragmentError::NoSlot)?,
        };
        let timeout = self.config.timeout;
        let Some(slot) = self.slots.get_mut(index) else {
            return Err(FragmentError::NoSlot);
        };
        if end > slot.buffer.len() {
            return Err(FragmentError::TooLong);
        }
        if existing.is_none() {
            if slot.in_use {
                // C4.8: the oldest datagram gives way so new traffic keeps flowing.
                net_debug!("reassembly: evicting {} for {key}", slot.key);
                self.stats.evicted += 1;
            }
            slot.start(key, now);
        }
        match slot.accept(offset, more_frags, data, first_header) {
            Ok(Step::Pending) => Ok(None),
            Ok(Step::Duplicate) => {
                self.stats.duplicates += 1;
                Ok(None)
            }
            Ok(Step::Complete) => Ok(Some(index)),
            Err(err @ (FragmentError::Overlap | FragmentError::TooManyHoles)) => {
                slot.in_use = false;
                if err == FragmentError::Overlap {
                    let until = slot.deadline(timeout);
                    self.poison(key, until);
                }
                Err(err)
            }
            Err(err) => {
                // A rejected first fragment leaves no empty slot behind.
                if existing.is_none() {
                    slot.in_use = false;
                }
                Err(err)
            }
        }
    }

    /// Drops a completed datagram that fragment 0's IPv4 header makes longer than 65535
    /// bytes in all (C4.6: fragments before fragment 0 were checked against a 20-byte
    /// header).
    fn check_complete(&mut self, index: usize) -> Result<(), FragmentError> {
        let Some(slot) = self.slots.get_mut(index) else {
            return Err(FragmentError::NoSlot);
        };
        let total = slot.total_len.unwrap_or(usize::MAX);
        if total > slot.key.payload_limit(slot.header_len) {
            slot.in_use = false;
            return Err(FragmentError::TooLong);
        }
        Ok(())
    }

    /// Frees a completed slot and lends out its datagram.
    fn take_complete(&mut self, index: usize) -> Option<Reassembled<'_>> {
        let slot = self.slots.get_mut(index)?;
        slot.in_use = false;
        let total = slot.total_len?;
        self.stats.completed += 1;
        Some(Reassembled {
            key: slot.key,
            first_header: slot.quote.get(..slot.header_len).unwrap_or_default(),
            payload: slot.buffer.get(..total).unwrap_or_default(),
        })
    }

    /// A free slot, or else the one whose datagram started first.
    fn victim(&self) -> Option<usize> {
        if let Some(free) = self.slots.iter().position(|s| !s.in_use) {
            return Some(free);
        }
        self.slots
            .iter()
            .enumerate()
            .min_by_key(|(_, s)| s.started)
            .map(|(index, _)| index)
    }

    fn count_error(&mut self, err: FragmentError) {
        let counter = match err {
            FragmentError::Overlap => &mut self.stats.overlaps,
            FragmentError::Poisoned => &mut self.stats.poisoned,
            FragmentError::TooLong => &mut self.stats.too_long,
            FragmentError::NotMultipleOf8 => &mut self.stats.bad_length,
            FragmentError::BeyondEnd => &mut self.stats.beyond_end,
            FragmentError::TooManyHoles => &mut self.stats.too_many_holes,
            FragmentError::NoSlot => &mut self.stats.no_slot,
        };
        *counter += 1;
    }

    fn is_poisoned(&self, key: &FragmentKey, now: Instant) -> bool {
        self.poisoned
            .iter()
            .flatten()
            .any(|(k, until)| k == key && now < *until)
    }

    /// Remembers `key` as poisoned until `until`, replacing an expired entry or else the
    /// one that expires first.
    fn poison(&mut self, key: FragmentKey, until: Instant) {
        let entry = self
            .poisoned
            .iter_mut()
            .min_by_key(|e| e.map_or(Instant::from_micros(i64::MIN), |(_, until)| until));
        if let Some(entry) = entry {
            *entry = Some((key, until));
        }
    }

    /// Discards every datagram whose timeout expired at `now` (C4.4 MUST, C7.4), calling
    /// `on_expired` for each with fragment 0's quote if it had arrived, so the caller can
    /// send ICMP(v6) Time Exceeded code 1 (and nothing otherwise, C4.5). Also forgets
    /// poisoned keys whose time is up. Returns how many datagrams were discarded.
    /// Costs one scan of the slots.
    pub fn poll<F>(&mut self, now: Instant, mut on_expired: F) -> usize
    where
        F: FnMut(ExpiredDatagram<'_>),
    {
        let timeout = self.config.timeout;
        let mut expired = 0;
        for slot in self.slots.iter_mut() {
            if !slot.in_use || now < slot.deadline(timeout) {
                continue;
            }
            slot.in_use = false;
            expired += 1;
            net_debug!("reassembly: {} timed out", slot.key);
            let quote = slot.quote.get(..slot.quote_len).unwrap_or_default();
            on_expired(ExpiredDatagram {
                key: slot.key,
                quote: slot.has_first.then_some(quote),
            });
        }
        self.stats.timed_out += expired as u64;
        for entry in self.poisoned.iter_mut() {
            if matches!(entry, Some((_, until)) if now >= *until) {
                *entry = None;
            }
        }
        expired
    }

    /// The earliest deadline of a datagram in reassembly, if any: when
    /// [`poll`](Self::poll) must next be called. Scans the slots (their number is fixed
    /// at construction, typically a handful). Poisoned keys need no wake-up: they are
    /// checked against `now` when a fragment arrives.
    pub fn poll_at(&self) -> Option<Instant> {
        let timeout = self.config.timeout;
        self.slots
            .iter()
            .filter(|s| s.in_use)
            .map(|s| s.deadline(timeout))
            .min()
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests;
