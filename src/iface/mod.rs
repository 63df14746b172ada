//! The interface (temporary: only reassembly for now).

pub mod reassembly;
