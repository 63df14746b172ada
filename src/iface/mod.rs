//! Interface (temporary stub for the neighbour cache branch).

pub mod neighbor;
