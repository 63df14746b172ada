//! The timers of one TCP connection, as deadlines in a fixed table (the quinn-proto
//! shape): each timer is a variant of [`Timer`] and one `Option<Instant>` slot; the next
//! deadline is the minimum of the slots. No timer objects, no callbacks.
//!
//! RFC 9293 §3.8 (retransmission, persist, keep-alive, user timeout, TIME-WAIT),
//! RFC 1122 §4.2.3.2 (delayed ACK), RFC 6298 (the retransmission timer's value), RFC 8985
//! §6.3 (the RACK reordering timer) and §7 (the tail loss probe).
//!
//! RFC 8985 §8 (CONFORMANCE B5.8): of the reordering timer, the probe timer and the
//! retransmission timer exactly one is armed. The two early ones stand in for the RTO:
//! arming either moves the RTO's deadline aside (it is remembered, not armed: it neither
//! fires nor counts for the next deadline), and stopping the last of them puts it back.
//! Setting the RTO while one of them is armed only updates the remembered deadline.

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
    /// RFC 8985 §6.3 (CONFORMANCE B5.2): a segment sent before one that was delivered
    /// becomes lost once its reordering window has passed.
    Reorder,
}

impl Timer {
    /// Every timer, in slot order.
    pub(crate) const ALL: [Timer; 8] = [
        Timer::Retransmit,
        Timer::DelayedAck,
        Timer::Persist,
        Timer::KeepAlive,
        Timer::TimeWait,
        Timer::UserTimeout,
        Timer::LossProbe,
        Timer::Reorder,
    ];

    fn slot(self) -> usize {
        self as usize
    }

    /// The timers that stand in for the RTO (RFC 8985 §8).
    fn is_early_loss_timer(self) -> bool {
        matches!(self, Timer::LossProbe | Timer::Reorder)
    }
}

/// The deadlines of every [`Timer`] of one connection; `None` means stopped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct TimerTable {
    slots: [Option<Instant>; Timer::ALL.len()],
    /// The RTO's deadline while the probe or reordering timer is armed in its place.
    suspended_rto: Option<Instant>,
}

impl TimerTable {
    /// Arms `timer` to fire at `at` (re-arming moves it). Arming the probe or the
    /// reordering timer stops the other and suspends the RTO; setting the RTO while
    /// one of them is armed changes the suspended deadline only.
    pub(crate) fn set(&mut self, timer: Timer, at: Instant) {
        if timer == Timer::Retransmit && self.early_loss_timer().is_some() {
            self.suspended_rto = Some(at);
            return;
        }
        if timer.is_early_loss_timer() {
            let rto = self.rto_deadline();
            for early in [Timer::LossProbe, Timer::Reorder] {
                self.put(early, None);
            }
            self.put(Timer::Retransmit, None);
            self.suspended_rto = rto;
        }
        self.put(timer, Some(at));
    }

    fn put(&mut self, timer: Timer, at: Option<Instant>) {
        if let Some(slot) = self.slots.get_mut(timer.slot()) {
            *slot = at;
        }
    }

    /// Arms `timer` at `at` unless it is already running (the RTO: or suspended).
    pub(crate) fn set_if_idle(&mut self, timer: Timer, at: Instant) {
        let running = match timer {
            Timer::Retransmit => self.rto_deadline().is_some(),
            _ => self.get(timer).is_some(),
        };
        if !running {
            self.set(timer, at);
        }
    }

    /// Stops `timer`. Stopping the RTO forgets a suspended deadline too; stopping the
    /// probe or reordering timer that stood in for the RTO re-arms it.
    pub(crate) fn stop(&mut self, timer: Timer) {
        match timer {
            Timer::Retransmit => self.suspended_rto = None,
            _ if timer.is_early_loss_timer() && self.get(timer).is_some() => {
                let rto = self.suspended_rto.take();
                self.put(Timer::Retransmit, rto);
            }
            _ => {}
        }
        self.put(timer, None);
    }

    /// Stops every timer.
    pub(crate) fn stop_all(&mut self) {
        self.slots = [None; Timer::ALL.len()];
        self.suspended_rto = None;
    }

    /// When `timer` fires, if it is armed (a suspended RTO is not: see
    /// [`rto_deadline`](Self::rto_deadline)).
    pub(crate) fn get(&self, timer: Timer) -> Option<Instant> {
        self.slots.get(timer.slot()).copied().flatten()
    }

    /// When the RTO would fire: armed, or suspended under the probe or reordering timer.
    pub(crate) fn rto_deadline(&self) -> Option<Instant> {
        self.get(Timer::Retransmit).or(self.suspended_rto)
    }

    /// The probe or reordering timer, whichever is armed.
    pub(crate) fn early_loss_timer(&self) -> Option<Timer> {
        [Timer::LossProbe, Timer::Reorder]
            .into_iter()
            .find(|&t| self.get(t).is_some())
    }

    /// Whether at most one of the RTO, probe and reordering timers is armed, and an RTO
    /// is suspended only under one of the others (RFC 8985 §8).
    pub(crate) fn loss_timers_exclusive(&self) -> bool {
        let armed = [Timer::Retransmit, Timer::LossProbe, Timer::Reorder]
            .into_iter()
            .filter(|&t| self.get(t).is_some())
            .count();
        armed <= 1 && (self.suspended_rto.is_none() || self.early_loss_timer().is_some())
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

    #[test]
    fn the_probe_and_reorder_timers_stand_in_for_the_rto_one_at_a_time() {
        // RFC 8985 §8 (B5.8): exactly one of the three is armed.
        let mut t = TimerTable::default();
        t.set(Timer::Retransmit, Instant::from_secs(1));
        t.set(Timer::LossProbe, Instant::from_millis(200));
        assert_eq!(t.get(Timer::Retransmit), None);
        assert_eq!(t.rto_deadline(), Some(Instant::from_secs(1)));
        assert_eq!(t.next_deadline(), Some(Instant::from_millis(200)));
        t.set(Timer::Reorder, Instant::from_millis(120));
        assert_eq!(t.get(Timer::LossProbe), None);
        assert!(t.loss_timers_exclusive());
        // The RTO restarted under the reordering timer stays suspended.
        t.set(Timer::Retransmit, Instant::from_secs(2));
        t.set_if_idle(Timer::Retransmit, Instant::from_secs(5));
        assert_eq!(t.get(Timer::Retransmit), None);
        assert!(t.loss_timers_exclusive());
        t.stop(Timer::Reorder);
        assert_eq!(t.get(Timer::Retransmit), Some(Instant::from_secs(2)));
        assert_eq!(t.early_loss_timer(), None);
        assert!(t.loss_timers_exclusive());
        t.set(Timer::LossProbe, Instant::from_millis(300));
        t.stop(Timer::Retransmit);
        t.stop(Timer::LossProbe);
        assert_eq!(t.rto_deadline(), None);
    }
}
