//! Sockets: protocol state machines that the interface feeds packets to and asks for
//! packets from. They never see a device or the interface (no arrow points up).

pub mod set;

pub use self::set::{
    DemuxKey, IndexStats, IndexStorage, Indexed, InsertError, SlotStorage, SocketHandle,
};
