//! A TCP listener: one port, many connections, carved out of a pool of sockets the user
//! added to the set (so it works without a heap). RFC 9293 §3.10.1 (passive OPEN),
//! RFC 4987 (SYN floods, the backlog: CONFORMANCE B11).
//!
//! The listener is a plain struct the user keeps beside the set; it is not in the set
//! and the interface never sees it. Call [`Listener::poll`] after every
//! `Interface::poll`: it looks at each pool socket and moves it between roles:
//!
//! - *listening*: in LISTEN on the endpoint, taking SYNs. Several pool sockets listen at
//!   once on the same key; the set's index hands a segment to the first one registered,
//!   and that one leaves LISTEN on the SYN, so a burst of SYNs in one interface poll
//!   finds one socket each. The listener keeps `backlog − (half-open + ready)` sockets
//!   listening, so the half-open and accept queues together never exceed the backlog.
//! - *half-open*: SYN-RECEIVED (the SYN queue). One that is reset back to LISTEN
//!   (CORE-10) listens again; one that times out (CLOSED) returns to the pool.
//! - *ready*: past the handshake, waiting in the accept queue (FIFO) for [`accept`].
//! - *accepted*: the user's connection, until the user gives it back: [`release`] takes
//!   it back at once (aborting it if still open), [`retire`] once it is CLOSED (after its
//!   FIN exchange and any TIME-WAIT). The listener never takes back a socket the user
//!   still holds, so a handle from `accept` never silently becomes another connection.
//! - the *gate*: one pool socket (when the pool holds two or more) kept in LISTEN with
//!   [`Socket::set_accept_syn`]`(false)` and registered after every accepting one, so it
//!   only sees a SYN when no other socket listens: the backlog is full or the pool is
//!   used up. It drops that SYN silently and counts it (B11.2): the peer retransmits
//!   its SYN and connects once a socket is free (B11.6), where a RST would have refused
//!   it. So a pool of N sockets serves at most N − 1 connections at a time.
//!
//! `poll` walks the pool (not the set): its cost is the pool's size, which the user
//! chose. Segment demux stays with the interface's index.
//!
//! [`accept`]: Listener::accept
//! [`release`]: Listener::release
//! [`retire`]: Listener::retire

use managed::ManagedSlice;

use super::{ListenError, Socket, State};
use crate::socket::{SocketHandle, SocketSet};
use crate::wire::IpListenEndpoint;

/// What the listener is doing with one pool socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// CLOSED and free.
    Idle,
    /// LISTEN, dropping SYNs: the listener is full.
    Gate,
    /// LISTEN, taking SYNs.
    Listening,
    /// SYN-RECEIVED: the SYN queue.
    HalfOpen,
    /// Past the handshake, in the accept queue; the number orders the queue.
    Ready(u64),
    /// Handed to the user by `accept`.
    Accepted,
    /// Given back by the user with `retire`: returns to the pool once CLOSED.
    Retiring,
    /// The handle went stale (the user removed the socket from the set).
    Gone,
}

/// One socket of a listener's pool: build the pool's storage from the handles of CLOSED
/// TCP sockets already in the set, `ListenerSlot::new(handle)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListenerSlot {
    handle: SocketHandle,
    role: Role,
}

impl ListenerSlot {
    /// A pool entry for the TCP socket behind `handle`.
    pub fn new(handle: SocketHandle) -> ListenerSlot {
        ListenerSlot {
            handle,
            role: Role::Idle,
        }
    }

    /// The socket's handle.
    pub fn handle(&self) -> SocketHandle {
        self.handle
    }
}

impl From<SocketHandle> for ListenerSlot {
    fn from(handle: SocketHandle) -> Self {
        ListenerSlot::new(handle)
    }
}

/// A listener's counters. They only grow (wrapping at 2^64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListenerCounters {
    /// SYNs taken by a pool socket (connections that reached SYN-RECEIVED).
    pub syns_received: u64,
    /// Connections handed out by `accept`.
    pub accepted: u64,
    /// SYNs dropped because the backlog was full or the pool used up (B11.2).
    pub syn_dropped_full: u64,
    /// Half-open connections that failed (timed out or were refused) before ESTABLISHED.
    pub half_open_failed: u64,
    /// Sockets returned to the pool after their connection ended.
    pub recycled: u64,
}

/// A TCP listener serving one endpoint with connections from a pool of sockets; see the
/// module documentation.
#[derive(Debug)]
pub struct Listener<'p> {
    endpoint: IpListenEndpoint,
    backlog: usize,
    slots: ManagedSlice<'p, ListenerSlot>,
    next_ticket: u64,
    /// The gate socket's `syns_dropped` counter when last read.
    gate_seen: Option<u64>,
    counters: ListenerCounters,
}

impl<'p> Listener<'p> {
    /// A listener on `endpoint` (an unspecified address means any) whose SYN queue and
    /// accept queue together hold at most `backlog` connections, over `pool`: entries
    /// for CLOSED TCP sockets in the set. Nothing listens until the first [`poll`].
    ///
    /// Errors: `Unaddressable` for port 0.
    ///
    /// [`poll`]: Listener::poll
    pub fn new<E, S>(endpoint: E, backlog: usize, pool: S) -> Result<Listener<'p>, ListenError>
    where
        E: Into<IpListenEndpoint>,
        S: Into<ManagedSlice<'p, ListenerSlot>>,
    {
        let mut endpoint = endpoint.into();
        if endpoint.port == 0 {
            return Err(ListenError::Unaddressable);
        }
        if endpoint.addr.is_some_and(|a| a.is_unspecified()) {
            endpoint.addr = None;
        }
        let mut slots = pool.into();
        for slot in slots.iter_mut() {
            slot.role = Role::Idle;
        }
        Ok(Listener {
            endpoint,
            backlog,
            slots,
            next_ticket: 0,
            gate_seen: None,
            counters: ListenerCounters::default(),
        })
    }

    /// [`new`](Self::new) over a heap-allocated pool built from `handles`.
    #[cfg(feature = "alloc")]
    pub fn from_handles<E, I>(
        endpoint: E,
        backlog: usize,
        handles: I,
    ) -> Result<Listener<'static>, ListenError>
    where
        E: Into<IpListenEndpoint>,
        I: IntoIterator<Item = SocketHandle>,
    {
        let pool: alloc::vec::Vec<ListenerSlot> =
            handles.into_iter().map(ListenerSlot::new).collect();
        Listener::new(endpoint, backlog, pool)
    }

    /// The endpoint served.
    pub fn endpoint(&self) -> IpListenEndpoint {
        self.endpoint
    }

    /// The most connections held half-open or waiting for `accept`.
    pub fn backlog(&self) -> usize {
        self.backlog
    }

    /// The counters.
    pub fn counters(&self) -> ListenerCounters {
        self.counters
    }

    /// Connections in SYN-RECEIVED (the SYN queue).
    pub fn half_open(&self) -> usize {
        self.count(|r| r == Role::HalfOpen)
    }

    /// Connections waiting for `accept`.
    pub fn ready(&self) -> usize {
        self.count(|r| matches!(r, Role::Ready(_)))
    }

    /// Pool sockets that are free (CLOSED, not listening).
    pub fn idle(&self) -> usize {
        self.count(|r| r == Role::Idle)
    }

    fn count(&self, f: impl Fn(Role) -> bool) -> usize {
        self.slots.iter().filter(|s| f(s.role)).count()
    }

    /// The oldest connection past the handshake, now the user's: read, write and close
    /// it through the set. `None` when the accept queue is empty.
    pub fn accept(&mut self) -> Option<SocketHandle> {
        let slot = self
            .slots
            .iter_mut()
            .filter_map(|s| match s.role {
                Role::Ready(ticket) => Some((ticket, s)),
                _ => None,
            })
            .min_by_key(|(ticket, _)| *ticket)
            .map(|(_, s)| s)?;
        slot.role = Role::Accepted;
        self.counters.accepted = self.counters.accepted.wrapping_add(1);
        Some(slot.handle)
    }

    /// Returns an accepted connection's socket to the pool now. A connection still open
    /// is aborted (a RST when synchronized, RFC 9293 §3.10.5); one in TIME-WAIT is cut
    /// short. The handle must not be used afterwards: the socket serves a new connection.
    /// Returns `false` for a handle that is not an accepted, retiring or ready
    /// connection of this listener.
    pub fn release(&mut self, handle: SocketHandle, sockets: &mut SocketSet<'_>) -> bool {
        let Some(slot) = self.slots.iter_mut().find(|s| {
            s.handle == handle && matches!(s.role, Role::Accepted | Role::Retiring | Role::Ready(_))
        }) else {
            return false;
        };
        match sockets.get_mut_as::<Socket>(handle) {
            Some(mut socket) => {
                if socket.state() != State::Closed {
                    socket.abort();
                }
                slot.role = Role::Idle;
                self.counters.recycled = self.counters.recycled.wrapping_add(1);
            }
            None => slot.role = Role::Gone,
        }
        true
    }

    /// Gives an accepted connection back without cutting it short: the socket returns
    /// to the pool once it is CLOSED, after the close the user started (or the peer's)
    /// has run its course, TIME-WAIT included. The handle must not be used afterwards.
    /// Returns `false` for a handle that is not an accepted connection of this listener.
    pub fn retire(&mut self, handle: SocketHandle) -> bool {
        match self
            .slots
            .iter_mut()
            .find(|s| s.handle == handle && s.role == Role::Accepted)
        {
            Some(slot) => {
                slot.role = Role::Retiring;
                true
            }
            None => false,
        }
    }

    /// Stops listening: every listening pool socket (and the gate) goes CLOSED; half-open
    /// and accepted connections carry on. The next [`poll`](Self::poll) listens again.
    pub fn unlisten(&mut self, sockets: &mut SocketSet<'_>) {
        for slot in self.slots.iter_mut() {
            if matches!(slot.role, Role::Listening | Role::Gate) {
                if let Some(mut socket) = sockets.get_mut_as::<Socket>(slot.handle) {
                    let _ = socket.close();
                }
                slot.role = Role::Idle;
            }
        }
        self.gate_seen = None;
    }

    /// Brings the pool up to date after the interface ran: moves sockets between the
    /// listening, half-open, ready and accepted roles, returns finished ones to the pool,
    /// and keeps `backlog − (half-open + ready)` sockets listening plus the gate.
    pub fn poll(&mut self, sockets: &mut SocketSet<'_>) {
        // One pass to observe every socket and count the queues, one to arm.
        let (mut pending, mut has_gate) = (0, false);
        for i in 0..self.slots.len() {
            match self.observe(i, sockets) {
                Some(Role::HalfOpen | Role::Ready(_)) => pending += 1,
                Some(Role::Gate) => has_gate = true,
                _ => {}
            }
        }
        let mut want = self.backlog.saturating_sub(pending);
        let gated = self.slots.len() >= 2;
        // The gate takes the first idle socket, so that a used-up pool still drops
        // rather than resets.
        let mut need_gate = gated && !has_gate;
        let mut armed = false;
        for slot in self.slots.iter_mut() {
            match slot.role {
                Role::Listening if want == 0 => {
                    // The backlog shrank (connections completed): listen on fewer.
                    if let Some(mut socket) = sockets.get_mut_as::<Socket>(slot.handle) {
                        let _ = socket.close();
                    }
                    slot.role = Role::Idle;
                }
                Role::Listening => want -= 1,
                // `arm` fails only for a socket the user still holds: it stays idle.
                Role::Idle if need_gate && arm(sockets, slot.handle, self.endpoint, false) => {
                    slot.role = Role::Gate;
                    need_gate = false;
                    // Count from now: drops before this socket was the gate are not ours.
                    self.gate_seen = sockets
                        .get_as::<Socket>(slot.handle)
                        .map(|s| s.counters().syns_dropped);
                }
                Role::Idle if want > 0 && arm(sockets, slot.handle, self.endpoint, true) => {
                    slot.role = Role::Listening;
                    want -= 1;
                    armed = true;
                }
                _ => {}
            }
        }
        // A socket armed after the gate (in this poll or an earlier one) sits behind it
        // in the index: move the gate back to the tail.
        if armed && gated {
            self.requeue_gate(sockets);
        }
    }

    /// Looks at one pool socket, updates its role and returns it.
    fn observe(&mut self, i: usize, sockets: &mut SocketSet<'_>) -> Option<Role> {
        let slot = self.slots.get_mut(i)?;
        if slot.role == Role::Gone {
            return Some(Role::Gone);
        }
        let Some(socket) = sockets.get_as::<Socket>(slot.handle) else {
            slot.role = Role::Gone;
            return Some(Role::Gone);
        };
        let state = socket.state();
        let c = &mut self.counters;
        let bump = |n: &mut u64| *n = n.wrapping_add(1);
        match (slot.role, state) {
            (Role::Gate, State::Listen) => {
                let dropped = socket.counters().syns_dropped;
                let seen = self.gate_seen.unwrap_or(dropped);
                c.syn_dropped_full = c.syn_dropped_full.wrapping_add(dropped.wrapping_sub(seen));
                self.gate_seen = Some(dropped);
            }
            // The user closed the gate: open a new one.
            (Role::Gate, State::Closed) => slot.role = Role::Idle,
            (Role::Listening, State::Listen) | (Role::HalfOpen, State::SynReceived) => {}
            // CORE-10: a reset passive SYN-RECEIVED listens again.
            (Role::HalfOpen, State::Listen) => {
                bump(&mut c.half_open_failed);
                slot.role = Role::Listening;
            }
            (Role::Listening | Role::Gate, State::SynReceived) => {
                bump(&mut c.syns_received);
                slot.role = Role::HalfOpen;
            }
            (Role::HalfOpen, State::Closed) => {
                bump(&mut c.half_open_failed);
                bump(&mut c.recycled);
                slot.role = Role::Idle;
            }
            (Role::Listening, State::Closed) => slot.role = Role::Idle,
            (Role::Listening | Role::Gate | Role::HalfOpen, _) => {
                // Past the handshake (perhaps within one interface poll of the SYN).
                if slot.role != Role::HalfOpen {
                    bump(&mut c.syns_received);
                }
                slot.role = Role::Ready(self.next_ticket);
                self.next_ticket = self.next_ticket.wrapping_add(1);
            }
            (Role::Retiring, State::Closed) => {
                bump(&mut c.recycled);
                slot.role = Role::Idle;
            }
            _ => {}
        }
        Some(slot.role)
    }

    /// Moves the gate to the end of its key's chain in the index, behind sockets armed
    /// after it, so that they see SYNs first.
    fn requeue_gate(&mut self, sockets: &mut SocketSet<'_>) {
        let Some(slot) = self.slots.iter_mut().find(|s| s.role == Role::Gate) else {
            return;
        };
        // Two guards: the first drop takes the key out of the index, the second puts
        // it back at the tail.
        if let Some(mut socket) = sockets.get_mut_as::<Socket>(slot.handle) {
            let _ = socket.close();
        }
        if !arm(sockets, slot.handle, self.endpoint, false) {
            slot.role = Role::Idle;
        }
    }
}

/// Puts a CLOSED pool socket in LISTEN on `endpoint`, taking SYNs or not; `false` when
/// the handle is stale or the socket is not CLOSED (the user still holds it).
fn arm(
    sockets: &mut SocketSet<'_>,
    handle: SocketHandle,
    endpoint: IpListenEndpoint,
    accept: bool,
) -> bool {
    let Some(mut socket) = sockets.get_mut_as::<Socket>(handle) else {
        return false;
    };
    if socket.state() != State::Closed {
        return false;
    }
    socket.set_accept_syn(accept);
    socket.listen(endpoint).is_ok()
}
