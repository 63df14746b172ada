//! A skiff stack as a simulation node: an [`Interface`], its [`SocketSet`] and the
//! application logic that uses the sockets, polled by the simulator's virtual clock.

use alloc::boxed::Box;

use super::{SimDevice, SimNode};
use crate::iface::Interface;
use crate::socket::SocketSet;
use crate::time::Instant;

/// The application side of a [`StackNode`]: called after every interface poll with the
/// time and the sockets, it reads what arrived and queues what to send. It returns when
/// it next wants to run without any packet arriving (`None`: only on activity).
pub type App = Box<dyn FnMut(Instant, &mut SocketSet<'static>) -> Option<Instant>>;

/// An interface, its sockets and an application, as one node of a simulated network.
pub struct StackNode {
    /// The interface.
    pub iface: Interface<'static>,
    /// Its sockets.
    pub sockets: SocketSet<'static>,
    app: App,
    app_at: Option<Instant>,
    started: bool,
}

impl StackNode {
    /// A node running `app` over `iface` and `sockets`.
    pub fn new(iface: Interface<'static>, sockets: SocketSet<'static>, app: App) -> StackNode {
        StackNode {
            iface,
            sockets,
            app,
            app_at: None,
            started: false,
        }
    }
}

impl core::fmt::Debug for StackNode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StackNode")
            .field("iface", &self.iface)
            .finish_non_exhaustive()
    }
}

impl SimNode for StackNode {
    fn poll(&mut self, now: Instant, device: &mut SimDevice) {
        self.iface.poll(now, device, &mut self.sockets);
        self.started = true;
        self.app_at = (self.app)(now, &mut self.sockets);
        // What the application queued goes out in the same instant.
        self.iface.poll(now, device, &mut self.sockets);
    }

    fn poll_at(&self, now: Instant) -> Option<Instant> {
        if !self.started {
            // The application has not run yet: it may want to set up sockets now.
            return Some(now);
        }
        let app_at = self.app_at;
        match (self.iface.poll_at(now, &self.sockets), app_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}
