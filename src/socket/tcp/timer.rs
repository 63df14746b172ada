//! The timers of one TCP connection, as deadlines in a fixed table (the quinn-proto
//! shape): each timer is a variant of [`Timer`] and one `Option<Instant>` slot; the next
//! deadline is the minimum of the slots. No timer objects, no callbacks.
//!
//! RFC 9293 §3.8 (retransmission, persist, keep-alive, user timeout, TIME-WAIT),
//! RFC 1122 §4.2.3.2 (delayed ACK), RFC 6298 (the retransmission timer's value), RFC 8985
//! §7 (the tail loss probe).

use crate::time::Instant;

/// One timer of a connection. Each has exactly one slot in a [`TimerTable`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Timer {
    /// RFC 6298: resend the earliest unacknowledged segment (or the SYN, SYN-ACK, FIN).
    Retransmit,
    /// RFC 1122 §4.2.3.2 / MUST-40: send the ACK that was held back.
    DelayedAck,
    /// MUST-36: probe a zero window.
    Persist,
    /// MUST-24..29: probe an idle connection.
    KeepAlive,
    /// MUST-13: leave TIME-WAIT after 2·MSL.
    TimeWait,
    /// MUST-20/21 (R2): give up on a connection whose data goes unacknowledged this long.
    UserTimeout,
    /// RFC 8985 §7 (CONFORMANCE B5.5): send a tail loss probe.
    LossProbe,
}

impl Timer {
    /// Every timer, in slot order.
    pub(crate) const ALL: [Timer; 7] = [
        Timer::Retransmit,
        Timer::DelayedAck,
        Timer::Persist,
        Timer::KeepAlive,
        Timer::TimeWait,
        Timer::UserTimeout,
        Timer::LossProbe,
    ];

    fn slot(self) -> usize {
        self as usize
    }
}

/// The deadlines of every [`Timer`] of one connection; `None` means stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    slots: [Option<Instant>; Timer::ALL.len()],
}

impl TimerTable {
    /// Arms `timer` to fire at `at` (re-arming moves it).
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if let Some(slot) = self.slots.get_mut(timer.slot()) {
            *slot = Some(at);
        }
    }

    /// Arms `timer` at `at` unless it is already running.
    pub(crate) fn set_if_idle(&mut self, timer: Timer, at: Instant) {
        if self.get(timer).is_none() {
            self.set(timer, at);
        }
    }

    /// Stops `timer`.
    pub(crate) fn stop(&mut self, timer: Timer) {
        if let Some(slot) = self.slots.get_mut(timer.slot()) {
            *slot = None;
        }
    }

    /// Stops every timer.
    pub(crate) fn stop_all(&mut self) {
        self.slots = [None; Timer::ALL.len()];
    }

    /// When `timer` fires, if it runs.
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots.get(timer.slot()).copied().flatten()
    }

    /// Whether `timer` runs and its deadline is at or before `now`.
    pub(crate) fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|at| at <= now)
    }

    /// The earliest deadline of all running timers.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        self.slots.iter().flatten().copied().min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_deadline_is_the_earliest_running_timer() {
        let mut t = TimerTable::default();
        assert_eq!(t.next_deadline(), None);
        t.set(Timer::KeepAlive, Instant::from_secs(10));
        t.set(Timer::Retransmit, Instant::from_secs(3));
        assert_eq!(t.next_deadline(), Some(Instant::from_secs(3)));
        t.set_if_idle(Timer::Retransmit, Instant::from_secs(1));
        assert_eq!(t.get(Timer::Retransmit), Some(Instant::from_secs(3)));
        t.stop(Timer::Retransmit);
        assert_eq!(t.next_deadline(), Some(Instant::from_secs(10)));
        assert!(t.is_expired(Timer::KeepAlive, Instant::from_secs(10)));
        assert!(!t.is_expired(Timer::KeepAlive, Instant::from_secs(9)));
        t.stop_all();
        assert_eq!(t.next_deadline(), None);
    }
}
