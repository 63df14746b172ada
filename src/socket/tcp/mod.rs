//! TCP (in progress).

pub mod congestion;
pub mod rtt;
