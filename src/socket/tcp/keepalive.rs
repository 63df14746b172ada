//! Keep-alive (RFC 9293 §3.8.4, RFC 1122 §4.2.3.6; CONFORMANCE MUST-24..29, SHLD-12,
//! CORE-20): after `keep_alive` of silence a probe `<SEQ=SND.NXT-1>` with no data goes
//! out, then one every `keep_alive_interval` while none is answered; after
//! `keep_alive_probes` unanswered probes the connection is reset and reports
//! [`CloseReason::TimedOut`]. Any acceptable arrival answers (MUST-26).

use super::timer::Timer;
use super::{CloseReason, Socket, State};
use crate::time::Instant;

/// MUST-29: one unanswered probe never declares the connection dead (ACKs of segments
/// without data are not delivered reliably), so at least two must go unanswered.
const MIN_KEEP_ALIVE_PROBES: u32 = 2;

impl Socket<'_> {
    /// The keep-alive timer expired: send a probe, or give up after the configured
    /// number of unanswered ones.
    pub(super) fn on_keep_alive_timeout(&mut self, now: Instant) {
        self.timers.stop(Timer::KeepAlive);
        // MUST-26: probes only while nothing is outstanding; data in flight is watched by
        // the retransmission timer and the user timeout instead.
        if self.snd_una != self.snd_max {
            self.keep_alive_unanswered = 0;
            return;
        }
        let limit = self.config.keep_alive_probes.max(MIN_KEEP_ALIVE_PROBES);
        if self.keep_alive_unanswered >= limit {
            // The peer is gone or unreachable. Like Linux, tell it with a RST in case
            // it is only our path back that was broken.
            if self.state.is_synchronized() && self.state != State::TimeWait {
                self.rst_pending = Some(self.snd_max);
            }
            self.enter_closed(Some(CloseReason::TimedOut));
            return;
        }
        self.keep_alive_unanswered = self.keep_alive_unanswered.saturating_add(1);
        self.probe_now = true;
        self.timers.set(
            Timer::KeepAlive,
            now.saturating_add(self.config.keep_alive_interval),
        );
    }

    /// Anything acceptable arrived: the peer is alive, the idle clock restarts (MUST-26).
    pub(super) fn note_activity(&mut self, now: Instant) {
        self.keep_alive_unanswered = 0;
        if let Some(idle) = self.config.keep_alive {
            if self.state != State::TimeWait {
                self.timers.set(Timer::KeepAlive, now.saturating_add(idle));
            }
        }
    }

    /// How many keep-alive probes in a row have gone unanswered.
    pub fn keep_alive_unanswered(&self) -> u32 {
        self.keep_alive_unanswered
    }
}
