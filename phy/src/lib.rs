//! skiff-phy: real wires for the skiff core.
//!
//! This crate will hold the OS-backed devices (`TapDevice`, `AfPacketDevice`), the
//! `wait()` helper for plain event loops and `Clock`, the only clock in the project.
//! It is the one place `unsafe` is allowed, each block with a `// SAFETY:` line.
//! Nothing is implemented yet: see the project's issue tracker.
#![deny(unsafe_op_in_unsafe_fn)]
#![warn(missing_docs)]

pub use skiff;
