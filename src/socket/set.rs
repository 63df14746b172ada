//! The socket set: sockets behind stable handles, plus three structures threaded through
//! a side table so that neither a packet nor a poll walks every socket (DESIGN rule 4):
//!
//! - a keyed hash index from [`DemuxKey`] to socket, chained, with the bucket heads kept
//!   in the same table (one bucket per slot, so the load factor never exceeds 1); the
//!   hash is SipHash keyed from a seed, so a peer cannot aim connections at one chain;
//! - a FIFO list of sockets that have something to send;
//! - an indexed binary min-heap of socket deadlines (timers), for `poll_at`.
//!
//! A socket changes its key, its wish to send and its deadline through its own methods.
//! The set learns of the change when the [`SetMut`] guard that lent the socket is
//! dropped, or when the interface finishes handing the socket a packet: both call
//! `resync`, which costs O(1) plus O(log n) only when a deadline moved.

use core::net::SocketAddr;
use core::ops::{Deref, DerefMut};

use managed::ManagedSlice;

use crate::rand::SipHasher24;
use crate::time::Instant;
use crate::wire::{IpAddress, IpListenEndpoint, IpProtocol};

/// What the interface looks a packet's socket up by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemuxKey {
    /// A UDP socket bound to a local endpoint (address `None`: any local address).
    Udp(IpListenEndpoint),
    /// An ICMP socket bound to an echo identifier.
    IcmpIdent(u16),
    /// A raw socket bound to an IP version and protocol.
    Raw {
        /// IPv6 (`true`) or IPv4.
        ipv6: bool,
        /// The IP protocol number.
        protocol: IpProtocol,
    },
    /// A TCP listener on a local endpoint.
    TcpListen(IpListenEndpoint),
    /// A TCP connection, by its full 4-tuple.
    TcpConnection {
        /// The local address and port.
        local: SocketAddr,
        /// The remote address and port.
        remote: SocketAddr,
    },
}

impl DemuxKey {
    /// The per-kind count index of [`DemuxKey::Raw`].
    const RAW_KIND: usize = 2;

    /// Which variant, as an index into per-kind counts.
    fn kind(&self) -> usize {
        match self {
            DemuxKey::Udp(_) => 0,
            DemuxKey::IcmpIdent(_) => 1,
            DemuxKey::Raw { .. } => Self::RAW_KIND,
            DemuxKey::TcpListen(_) => 3,
            DemuxKey::TcpConnection { .. } => 4,
        }
    }

    /// A compact byte form for hashing: tag, then fields.
    fn encode(&self, out: &mut [u8; 40]) -> usize {
        fn put_addr(out: &mut [u8; 40], at: usize, addr: Option<IpAddress>) -> usize {
            match addr {
                None => {
                    out[at] = 0;
                    at + 1
                }
                Some(IpAddress::V4(a)) => {
                    out[at] = 4;
                    out[at + 1..at + 5].copy_from_slice(&a.octets());
                    at + 5
                }
                Some(IpAddress::V6(a)) => {
                    out[at] = 6;
                    out[at + 1..at + 17].copy_from_slice(&a.octets());
                    at + 17
                }
            }
        }
        fn put_port(out: &mut [u8; 40], at: usize, port: u16) -> usize {
            out[at..at + 2].copy_from_slice(&port.to_be_bytes());
            at + 2
        }
        match *self {
            DemuxKey::Udp(ep) => {
                out[0] = 1;
                let at = put_addr(out, 1, ep.addr);
                put_port(out, at, ep.port)
            }
            DemuxKey::IcmpIdent(id) => {
                out[0] = 2;
                put_port(out, 1, id)
            }
            DemuxKey::Raw { ipv6, protocol } => {
                out[0] = 3;
                out[1] = ipv6 as u8;
                out[2] = protocol.into();
                3
            }
            DemuxKey::TcpListen(ep) => {
                out[0] = 4;
                let at = put_addr(out, 1, ep.addr);
                put_port(out, at, ep.port)
            }
            DemuxKey::TcpConnection { local, remote } => {
                out[0] = 5;
                let at = put_addr(out, 1, Some(local.ip()));
                let at = put_port(out, at, local.port());
                let at = put_addr(out, at, Some(remote.ip()));
                put_port(out, at, remote.port())
            }
        }
    }
}

/// What the set needs to know about each socket it holds.
pub trait Indexed {
    /// The key packets for this socket are looked up by, if it is bound.
    fn demux_key(&self) -> Option<DemuxKey>;
    /// Whether it has something to send now.
    fn wants_dispatch(&self) -> bool;
    /// When it next needs attention without any packet arriving (a timer), if ever.
    fn poll_at(&self) -> Option<Instant>;
}

const NIL: u32 = u32::MAX;

/// A stable name for a socket in a set. Using a handle after its socket was removed is
/// detected (the slot's generation moved on) rather than reaching the slot's new tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SocketHandle {
    index: u32,
    generation: u32,
}

impl SocketHandle {
    /// The slot number (for logs and tables).
    pub fn index(&self) -> usize {
        self.index as usize
    }
}

impl core::fmt::Display for SocketHandle {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "#{}.{}", self.index, self.generation)
    }
}

/// One socket slot of caller-provided storage.
#[derive(Debug)]
pub struct SlotStorage<T> {
    item: Option<T>,
    generation: u32,
}

impl<T> SlotStorage<T> {
    /// An empty slot, for building arrays: `[SlotStorage::EMPTY; 16]`.
    pub const EMPTY: Self = SlotStorage {
        item: None,
        generation: 0,
    };
}

impl<T> Default for SlotStorage<T> {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// One entry of the side table that holds the index, ready list and timer heap.
#[derive(Debug, Clone, Copy)]
pub struct IndexStorage {
    key: Option<DemuxKey>,
    next_in_bucket: u32,
    ready_next: u32,
    in_ready: bool,
    deadline: Option<Instant>,
    heap_pos: u32,
    // Arrays interleaved into the table: bucket `i`'s head and heap position `i`'s slot.
    bucket_head: u32,
    heap_slot: u32,
}

impl IndexStorage {
    /// An empty entry, for building arrays: `[IndexStorage::EMPTY; 16]`.
    pub const EMPTY: Self = IndexStorage {
        key: None,
        next_in_bucket: NIL,
        ready_next: NIL,
        in_ready: false,
        deadline: None,
        heap_pos: NIL,
        bucket_head: NIL,
        heap_slot: NIL,
    };
}

impl Default for IndexStorage {
    fn default() -> Self {
        Self::EMPTY
    }
}

/// Work counters of the index, for tests and benchmarks that check demux cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexStats {
    /// Lookups made.
    pub lookups: u64,
    /// Chain entries compared over all lookups.
    pub probes: u64,
    /// Times a socket took a key another socket already held (the older one keeps
    /// receiving: lookups return the first socket registered under a key).
    pub duplicate_keys: u64,
}

/// Why a socket could not be added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InsertError {
    /// Every slot is taken.
    Full,
}

/// The index, ready list and heap, kept apart from the sockets so that a socket can be
/// lent mutably while the guard still reaches the side table.
#[derive(Debug)]
pub(crate) struct SideTable<'a> {
    entries: ManagedSlice<'a, IndexStorage>,
    hash_key: [u64; 2],
    ready_head: u32,
    ready_tail: u32,
    heap_len: u32,
    /// The slot the last chain walk found, tried before hashing: a flow's segments come
    /// in runs (a one-entry cache, as BSD's last-PCB cache). Cleared when that slot's
    /// key changes, so it always names the first socket registered under its key.
    last_hit: u32,
    /// Keys registered per kind ([`DemuxKey::kind`]): a lookup of a kind nobody holds
    /// (a raw socket for every TCP segment, say) answers without hashing.
    keys_per_kind: [u32; 5],
    stats: IndexStats,
}

/// Sockets of type `T` behind handles, with demux, ready list and timers.
#[derive(Debug)]
pub struct Set<'a, T> {
    slots: ManagedSlice<'a, SlotStorage<T>>,
    table: SideTable<'a>,
}

impl<'a, T: Indexed> Set<'a, T> {
    /// A set over caller-provided storage (the shorter of the two slices bounds the
    /// number of sockets). `seed` keys the demux hash; take it from the interface's
    /// `Config` seed, never a constant, so peers cannot predict collisions.
    pub fn new<S, I>(slots: S, index: I, seed: u64) -> Self
    where
        S: Into<ManagedSlice<'a, SlotStorage<T>>>,
        I: Into<ManagedSlice<'a, IndexStorage>>,
    {
        let mut slots = slots.into();
        let mut entries = index.into();
        for e in entries.iter_mut() {
            *e = IndexStorage::EMPTY;
        }
        for s in slots.iter_mut() {
            s.item = None;
        }
        let mut rng = crate::rand::Rng::new(seed ^ 0x5eed_1de7_5eed_1de7);
        Set {
            slots,
            table: SideTable {
                entries,
                hash_key: [rng.next_u64(), rng.next_u64()],
                ready_head: NIL,
                ready_tail: NIL,
                heap_len: 0,
                last_hit: NIL,
                keys_per_kind: [0; 5],
                stats: IndexStats::default(),
            },
        }
    }

    /// A set with room for `capacity` sockets, allocated once now.
    #[cfg(feature = "alloc")]
    pub fn with_capacity(capacity: usize, seed: u64) -> Self {
        let slots: alloc::vec::Vec<SlotStorage<T>> =
            (0..capacity).map(|_| SlotStorage::EMPTY).collect();
        let index = alloc::vec![IndexStorage::EMPTY; capacity];
        Self::new(slots, index, seed)
    }

    /// How many sockets fit.
    pub fn capacity(&self) -> usize {
        self.slots.len().min(self.table.entries.len())
    }

    /// Adds a socket and returns its handle.
    pub fn add(&mut self, item: T) -> Result<SocketHandle, InsertError> {
        let capacity = self.capacity();
        let index = self.slots[..capacity]
            .iter()
            .position(|s| s.item.is_none())
            .ok_or(InsertError::Full)?;
        let slot = &mut self.slots[index];
        slot.item = Some(item);
        let handle = SocketHandle {
            index: index as u32,
            generation: slot.generation,
        };
        self.resync(index);
        Ok(handle)
    }

    /// Removes a socket and returns it; `None` if the handle is stale.
    pub fn remove(&mut self, handle: SocketHandle) -> Option<T> {
        let index = self.check(handle)?;
        self.table.set_key(index, None);
        self.table.set_deadline(index, None);
        // A stale ready-list entry is harmless: popping checks `wants_dispatch`.
        let slot = &mut self.slots[index];
        slot.generation = slot.generation.wrapping_add(1);
        slot.item.take()
    }

    fn check(&self, handle: SocketHandle) -> Option<usize> {
        let index = handle.index as usize;
        let slot = self.slots.get(index)?;
        (slot.generation == handle.generation && slot.item.is_some() && index < self.capacity())
            .then_some(index)
    }

    /// The socket behind `handle`, or `None` if the handle is stale.
    pub fn get(&self, handle: SocketHandle) -> Option<&T> {
        let index = self.check(handle)?;
        self.slots[index].item.as_ref()
    }

    /// Lends the socket behind `handle` for changes; the set re-reads its key, its wish
    /// to send and its deadline when the guard is dropped. `None` if the handle is stale.
    pub fn get_mut(&mut self, handle: SocketHandle) -> Option<SetMut<'_, 'a, T>> {
        let index = self.check(handle)?;
        let item = self.slots[index].item.as_mut()?;
        Some(SetMut {
            item,
            table: &mut self.table,
            index,
        })
    }

    /// Lends the socket behind `handle` seen through `project` as a `U` (one variant of
    /// an enum of sockets, say). The guard resyncs the set through `U`'s own [`Indexed`]
    /// answers, which must equal `T`'s for the same socket. `None` if the handle is stale
    /// or `project` declines.
    pub(crate) fn get_mut_projected<U: Indexed>(
        &mut self,
        handle: SocketHandle,
        project: impl FnOnce(&mut T) -> Option<&mut U>,
    ) -> Option<SetMut<'_, 'a, U>> {
        let index = self.check(handle)?;
        let item = project(self.slots[index].item.as_mut()?)?;
        Some(SetMut {
            item,
            table: &mut self.table,
            index,
        })
    }

    /// The handle of the socket registered under `key`, if any. O(1) expected: one hash
    /// and a walk of one chain whose expected length stays below 2 at full load.
    pub fn lookup(&mut self, key: &DemuxKey) -> Option<SocketHandle> {
        let index = self.table.lookup(key)?;
        Some(SocketHandle {
            index: index as u32,
            generation: self.slots[index].generation,
        })
    }

    /// Whether any socket is registered under a raw-socket key.
    pub(crate) fn has_raw_keys(&self) -> bool {
        self.table.keys_per_kind[DemuxKey::RAW_KIND] > 0
    }

    /// Lends a socket by slot number without a guard: the caller must
    /// [`Set::refresh_ready`] it at once and [`Set::resync`] it before the set's keys or
    /// deadlines are next read.
    pub(crate) fn item_mut_unsynced(&mut self, index: usize) -> Option<&mut T> {
        self.slots.get_mut(index)?.item.as_mut()
    }

    /// The ready-list part of [`Set::resync`]: a socket that now wants to send joins the
    /// tail of the ready list, in the same place a full resync would have put it (the
    /// list's order decides the order sockets send in).
    pub(crate) fn refresh_ready(&mut self, index: usize) {
        if let Some(item) = self.slots.get(index).and_then(|s| s.item.as_ref()) {
            if !self.table.entries[index].in_ready && item.wants_dispatch() {
                self.table.push_ready(index);
            }
        }
    }

    /// Lends a socket by slot number for the interface, which resyncs it afterwards.
    pub(crate) fn slot_mut(&mut self, index: usize) -> Option<SetMut<'_, 'a, T>> {
        let item = self.slots.get_mut(index)?.item.as_mut()?;
        Some(SetMut {
            item,
            table: &mut self.table,
            index,
        })
    }

    /// Takes the next socket from the ready list; it goes back on the list at its next
    /// resync if it still has something to send.
    pub(crate) fn pop_ready(&mut self) -> Option<usize> {
        while self.table.ready_head != NIL {
            let index = self.table.ready_head as usize;
            let entry = &mut self.table.entries[index];
            self.table.ready_head = entry.ready_next;
            entry.ready_next = NIL;
            entry.in_ready = false;
            if self.table.ready_head == NIL {
                self.table.ready_tail = NIL;
            }
            if self.slots[index]
                .item
                .as_ref()
                .is_some_and(Indexed::wants_dispatch)
            {
                return Some(index);
            }
        }
        None
    }

    /// Whether any socket is on the ready list.
    pub fn has_ready(&self) -> bool {
        self.table.ready_head != NIL
    }

    /// The earliest socket deadline. O(1).
    pub fn next_deadline(&self) -> Option<Instant> {
        self.table
            .heap_top()
            .and_then(|index| self.table.entries[index].deadline)
    }

    /// Starts dispatching a socket taken by [`Set::pop_ready`] or [`Set::pop_expired`]:
    /// until [`Set::end_dispatch`], resyncs leave its readiness alone, because the
    /// dispatcher asks the socket itself after every packet. Returns whether it marked
    /// the socket (`false` when the socket is still queued on the ready list anyway).
    pub(crate) fn begin_dispatch(&mut self, index: usize) -> bool {
        match self.table.entries.get_mut(index) {
            Some(entry) if !entry.in_ready => {
                entry.in_ready = true;
                true
            }
            _ => false,
        }
    }

    /// Ends [`Set::begin_dispatch`]: a marked socket that still has something to send
    /// (`more`) joins the tail of the ready list.
    pub(crate) fn end_dispatch(&mut self, index: usize, marked: bool, more: bool) {
        if !marked {
            return;
        }
        if let Some(entry) = self.table.entries.get_mut(index) {
            entry.in_ready = false;
            if more {
                self.table.push_ready(index);
            }
        }
    }

    /// Takes the socket with the earliest deadline if that deadline is at or before
    /// `now`, removing it from the heap (its next resync puts it back if it still has a
    /// deadline).
    pub(crate) fn pop_expired(&mut self, now: Instant) -> Option<usize> {
        let index = self.table.heap_top()?;
        match self.table.entries[index].deadline {
            Some(deadline) if deadline <= now => {
                self.table.set_deadline(index, None);
                Some(index)
            }
            _ => None,
        }
    }

    /// Re-reads one socket's key, readiness and deadline.
    pub(crate) fn resync(&mut self, index: usize) {
        if let Some(item) = self.slots.get(index).and_then(|s| s.item.as_ref()) {
            self.table.resync(index, item);
        }
    }

    /// Index work counters.
    pub fn index_stats(&self) -> IndexStats {
        self.table.stats
    }

    /// Every socket with its handle, in slot order. This walks the set: for the user's
    /// bookkeeping, never used on the packet path.
    pub fn iter(&self) -> impl Iterator<Item = (SocketHandle, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| {
            let item = s.item.as_ref()?;
            Some((
                SocketHandle {
                    index: i as u32,
                    generation: s.generation,
                },
                item,
            ))
        })
    }

    /// Every socket, mutably (a walk, as [`Set::iter`]); each is resynced afterwards.
    pub fn for_each_mut(&mut self, mut f: impl FnMut(SocketHandle, &mut T)) {
        for index in 0..self.capacity() {
            let slot = &mut self.slots[index];
            let generation = slot.generation;
            if let Some(item) = slot.item.as_mut() {
                f(
                    SocketHandle {
                        index: index as u32,
                        generation,
                    },
                    item,
                );
                self.table.resync(index, item);
            }
        }
    }
}

impl SideTable<'_> {
    fn bucket_of(&self, key: &DemuxKey) -> usize {
        let mut bytes = [0u8; 40];
        let len = key.encode(&mut bytes);
        let hash = SipHasher24::hash(self.hash_key, &bytes[..len]);
        // Multiply-shift maps the hash onto 0..len without a division.
        ((hash as u128 * self.entries.len() as u128) >> 64) as usize
    }

    fn lookup(&mut self, key: &DemuxKey) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        self.stats.lookups += 1;
        if self.keys_per_kind[key.kind()] == 0 {
            return None;
        }
        if let Some(entry) = self.entries.get(self.last_hit as usize) {
            if entry.key.as_ref() == Some(key) {
                self.stats.probes += 1;
                return Some(self.last_hit as usize);
            }
        }
        let mut cursor = self.entries[self.bucket_of(key)].bucket_head;
        while cursor != NIL {
            self.stats.probes += 1;
            let entry = &self.entries[cursor as usize];
            if entry.key.as_ref() == Some(key) {
                self.last_hit = cursor;
                return Some(cursor as usize);
            }
            cursor = entry.next_in_bucket;
        }
        None
    }

    fn set_key(&mut self, index: usize, key: Option<DemuxKey>) {
        let old = self.entries[index].key;
        if old == key {
            return;
        }
        if self.last_hit as usize == index {
            self.last_hit = NIL;
        }
        if let Some(old) = old {
            let count = &mut self.keys_per_kind[old.kind()];
            *count = count.saturating_sub(1);
            let bucket = self.bucket_of(&old);
            let mut cursor = self.entries[bucket].bucket_head;
            let mut prev = NIL;
            while cursor != NIL && cursor as usize != index {
                prev = cursor;
                cursor = self.entries[cursor as usize].next_in_bucket;
            }
            if cursor != NIL {
                let next = self.entries[index].next_in_bucket;
                if prev == NIL {
                    self.entries[bucket].bucket_head = next;
                } else {
                    self.entries[prev as usize].next_in_bucket = next;
                }
            }
            self.entries[index].next_in_bucket = NIL;
        }
        self.entries[index].key = key;
        if let Some(key) = key {
            let count = &mut self.keys_per_kind[key.kind()];
            *count = count.saturating_add(1);
            let bucket = self.bucket_of(&key);
            // Append at the tail so that the first socket to take a key keeps it.
            let mut cursor = self.entries[bucket].bucket_head;
            if cursor == NIL {
                self.entries[bucket].bucket_head = index as u32;
            } else {
                loop {
                    let entry = &self.entries[cursor as usize];
                    if entry.key == Some(key) && cursor as usize != index {
                        self.stats.duplicate_keys += 1;
                    }
                    if entry.next_in_bucket == NIL {
                        break;
                    }
                    cursor = entry.next_in_bucket;
                }
                self.entries[cursor as usize].next_in_bucket = index as u32;
            }
        }
    }

    fn push_ready(&mut self, index: usize) {
        if self.entries[index].in_ready {
            return;
        }
        self.entries[index].in_ready = true;
        self.entries[index].ready_next = NIL;
        if self.ready_tail == NIL {
            self.ready_head = index as u32;
        } else {
            self.entries[self.ready_tail as usize].ready_next = index as u32;
        }
        self.ready_tail = index as u32;
    }

    fn heap_top(&self) -> Option<usize> {
        (self.heap_len > 0).then(|| self.entries[0].heap_slot as usize)
    }

    /// Earlier deadline first; between equal deadlines the lower slot, so that which
    /// socket `pop_expired` gives first depends on the deadlines alone, never on the
    /// order in which they were set (the interface may update a deadline once for a run
    /// of segments instead of once per segment; see `Set::refresh_ready`).
    fn heap_less(&self, a: u32, b: u32) -> bool {
        let sa = self.entries[a as usize].heap_slot;
        let sb = self.entries[b as usize].heap_slot;
        let da = self.entries[sa as usize].deadline;
        let db = self.entries[sb as usize].deadline;
        (da, sa) < (db, sb)
    }

    fn heap_swap(&mut self, a: u32, b: u32) {
        let sa = self.entries[a as usize].heap_slot;
        let sb = self.entries[b as usize].heap_slot;
        self.entries[a as usize].heap_slot = sb;
        self.entries[b as usize].heap_slot = sa;
        self.entries[sb as usize].heap_pos = a;
        self.entries[sa as usize].heap_pos = b;
    }

    fn sift_up(&mut self, mut pos: u32) {
        while pos > 0 {
            let parent = (pos - 1) / 2;
            if !self.heap_less(pos, parent) {
                break;
            }
            self.heap_swap(pos, parent);
            pos = parent;
        }
    }

    fn sift_down(&mut self, mut pos: u32) {
        loop {
            let left = 2 * pos + 1;
            let right = left + 1;
            let mut smallest = pos;
            if left < self.heap_len && self.heap_less(left, smallest) {
                smallest = left;
            }
            if right < self.heap_len && self.heap_less(right, smallest) {
                smallest = right;
            }
            if smallest == pos {
                break;
            }
            self.heap_swap(pos, smallest);
            pos = smallest;
        }
    }

    fn set_deadline(&mut self, index: usize, deadline: Option<Instant>) {
        let old = self.entries[index].deadline;
        if old == deadline {
            return;
        }
        self.entries[index].deadline = deadline;
        let pos = self.entries[index].heap_pos;
        match (pos == NIL, deadline.is_some()) {
            (true, true) => {
                let pos = self.heap_len;
                self.heap_len += 1;
                self.entries[pos as usize].heap_slot = index as u32;
                self.entries[index].heap_pos = pos;
                self.sift_up(pos);
            }
            (false, true) => {
                self.sift_up(pos);
                let pos = self.entries[index].heap_pos;
                self.sift_down(pos);
            }
            (false, false) => {
                let last = self.heap_len - 1;
                self.heap_swap(pos, last);
                self.heap_len = last;
                self.entries[last as usize].heap_slot = NIL;
                self.entries[index].heap_pos = NIL;
                if pos < self.heap_len {
                    // The former last element now sits at `pos`: restore its order.
                    let moved = self.entries[pos as usize].heap_slot as usize;
                    self.sift_up(pos);
                    let pos = self.entries[moved].heap_pos;
                    self.sift_down(pos);
                }
            }
            (true, false) => {}
        }
    }

    fn resync<T: Indexed>(&mut self, index: usize, item: &T) {
        self.set_key(index, item.demux_key());
        // A socket already queued is asked again when it is popped: skip the question
        // (for TCP it plans a whole segment) while it waits.
        if !self.entries[index].in_ready && item.wants_dispatch() {
            self.push_ready(index);
        }
        self.set_deadline(index, item.poll_at());
    }
}

/// A socket lent out of a [`Set`]; dereferences to the socket. When dropped, the set
/// re-reads the socket's key, readiness and deadline.
///
/// `U` is the lent type: the set's own item type (from [`Set::get_mut`]) or one kind of
/// socket inside it (from `SocketSet::get_mut_as`), whose [`Indexed`] answers are the
/// same as the enclosing item's.
#[derive(Debug)]
pub struct SetMut<'s, 'a, U: Indexed> {
    item: &'s mut U,
    table: &'s mut SideTable<'a>,
    index: usize,
}

impl<U: Indexed> Deref for SetMut<'_, '_, U> {
    type Target = U;
    fn deref(&self) -> &U {
        self.item
    }
}

impl<U: Indexed> DerefMut for SetMut<'_, '_, U> {
    fn deref_mut(&mut self) -> &mut U {
        self.item
    }
}

impl<U: Indexed> Drop for SetMut<'_, '_, U> {
    fn drop(&mut self) {
        self.table.resync(self.index, &*self.item);
    }
}

#[cfg(all(test, feature = "alloc"))]
mod tests;
