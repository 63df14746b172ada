//! TCP ladder diagrams: each segment of a connection as one arrow between two columns, each
//! endpoint's inferred state (RFC 9293 §3.3.2) beside it, in the notation of the textbooks.
//!
//! [`LadderRenderer`] takes one segment at a time, so a live tracer can print as frames
//! cross a link, and the `ladder` example draws every connection in a pcap file. It writes
//! into any [`core::fmt::Write`] and never allocates; it tracks at most
//! [`LADDER_MAX_CONNECTIONS`] connections and counts the segments of any others.
//!
//! ```
//! use skiff::pcap::PcapReader;
//! use skiff::trace::{LadderOptions, LadderRenderer};
//! use skiff::wire::{ChecksumCapabilities, frame::dissect_ethernet};
//!
//! let capture = include_bytes!("../../tests/fixtures/linux/tcp_rst.pcap");
//! let mut ladder = LadderRenderer::new(LadderOptions::default());
//! let mut text = String::new();
//! for record in PcapReader::new(capture).unwrap() {
//!     let record = record.unwrap();
//!     let frame = dissect_ethernet(record.data, &ChecksumCapabilities::default()).unwrap();
//!     ladder.frame(record.timestamp, &frame, &mut text).unwrap();
//! }
//! assert!(text.contains("SYN_SENT      --[SYN] seq=0 win=64240"));
//! assert!(text.contains("CLOSED        <--[RST,ACK] seq=1 ack=1"));
//! ```

mod infer;
#[cfg(test)]
mod tests;

use core::fmt::{self, Write};
use core::net::{IpAddr, SocketAddr};

use crate::time::Instant;
use crate::wire::frame::{Frame, Network, Transport};
use crate::wire::{SeqNumber, TcpRepr};

pub use self::infer::LadderState;
use self::infer::{Remarks, Side, advance};

/// How many connections one renderer follows at once. Segments of further connections
/// are counted in [`LadderRenderer::ignored`] and not drawn.
pub const LADDER_MAX_CONNECTIONS: usize = 16;

/// Width of a state column: the longest state name, `SYN_RECEIVED`.
const STATE_WIDTH: usize = 12;
/// Spaces between a state column and the arrow.
const GAP: usize = 2;

/// How a [`LadderRenderer`] draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LadderOptions {
    /// Print raw sequence and acknowledgment numbers instead of relative ones (each
    /// endpoint's ISN shown as 0, like Wireshark).
    pub absolute: bool,
    /// Pad every arrow with dashes to this many columns, so the right-hand states line
    /// up; 0 draws each arrow as short as its label.
    pub arrow_width: usize,
    /// Start each line with the time since the first segment, in seconds.
    pub time: bool,
    /// Print the two endpoints' addresses above a connection's first segment, and again
    /// whenever the drawing switches between connections. Without it, call
    /// [`LadderRenderer::header`] yourself.
    pub headers: bool,
}

impl Default for LadderOptions {
    /// Relative numbers, arrows 64 columns wide, no time column, headers on.
    fn default() -> Self {
        LadderOptions {
            absolute: false,
            arrow_width: 64,
            time: false,
            headers: true,
        }
    }
}

/// A TCP connection seen from outside: its two endpoints, in a canonical order so that
/// both directions of the conversation give the same key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Connection {
    /// The smaller endpoint (by address, then port).
    pub lower: SocketAddr,
    /// The larger endpoint.
    pub upper: SocketAddr,
}

impl Connection {
    /// The connection a segment from `src` to `dst` belongs to, whichever way it flows.
    pub fn new(src: SocketAddr, dst: SocketAddr) -> Connection {
        if src <= dst {
            Connection {
                lower: src,
                upper: dst,
            }
        } else {
            Connection {
                lower: dst,
                upper: src,
            }
        }
    }

    /// The connection of a dissected frame, if it carries a TCP segment.
    pub fn of_frame(frame: &Frame) -> Option<Connection> {
        let (src, dst, _) = tcp_of_frame(frame)?;
        Some(Connection::new(src, dst))
    }
}

/// One followed connection: left is the endpoint that sent the first SYN (or the first
/// segment seen).
#[derive(Debug, Clone, Copy)]
struct Track {
    key: Connection,
    left: Side,
    right: Side,
}

/// Draws TCP conversations as ladder diagrams, one line per segment:
///
/// ```text
/// SYN_SENT      --[SYN] seq=0 win=64240 mss=1460 ws=10 sackOK ts -------------->  LISTEN
/// ESTABLISHED   <--[SYN,ACK] seq=0 ack=1 win=65160 mss=1460 ws=10 sackOK ts ----  SYN_RECEIVED
///               --[ACK] seq=1 ack=1 ------------------------------------------->  ESTABLISHED
/// ```
///
/// A state is printed only when it changes. The data shown are `len=` for payload, the
/// window on SYNs and zero windows, options on SYNs, SACK blocks, and remarks:
/// `(retransmission)`, `(out-of-order)`, `(previous segment not seen)`, `(dup ack #n)`.
/// Holds a fixed table of [`LADDER_MAX_CONNECTIONS`] entries; never allocates.
#[derive(Debug, Clone)]
pub struct LadderRenderer {
    options: LadderOptions,
    tracks: [Option<Track>; LADDER_MAX_CONNECTIONS],
    /// The connection of the last line drawn, to repeat headers when drawings interleave.
    last: Option<usize>,
    first_time: Option<Instant>,
    ignored: u64,
}

impl LadderRenderer {
    /// A renderer following no connection yet.
    pub fn new(options: LadderOptions) -> LadderRenderer {
        LadderRenderer {
            options,
            tracks: [None; LADDER_MAX_CONNECTIONS],
            last: None,
            first_time: None,
            ignored: 0,
        }
    }

    /// The options it draws with.
    pub fn options(&self) -> &LadderOptions {
        &self.options
    }

    /// Segments not drawn because [`LADDER_MAX_CONNECTIONS`] connections were already
    /// followed.
    pub fn ignored(&self) -> u64 {
        self.ignored
    }

    /// The connections followed so far, in the order they were first seen.
    pub fn connections(&self) -> impl Iterator<Item = Connection> + '_ {
        self.tracks.iter().flatten().map(|t| t.key)
    }

    /// The inferred states of a followed connection's endpoints, left then right, with
    /// their addresses.
    pub fn states(&self, connection: &Connection) -> Option<[(SocketAddr, LadderState); 2]> {
        let t = self
            .tracks
            .iter()
            .flatten()
            .find(|t| t.key == *connection)?;
        Some([(t.left.addr, t.left.state), (t.right.addr, t.right.state)])
    }

    /// Writes the two endpoints' addresses, each above its state column, and a newline.
    pub fn header(&self, left: SocketAddr, right: SocketAddr, out: &mut impl Write) -> fmt::Result {
        self.write_time_pad(out)?;
        let len = measure(|w| write!(w, "{left}"));
        write!(out, "{left}")?;
        let right_column = STATE_WIDTH + GAP + self.options.arrow_width + GAP;
        pad(out, ' ', right_column.saturating_sub(len).max(GAP))?;
        writeln!(out, "{right}")
    }

    /// Draws the segment `repr` sent from `src` to `dst` at `time`: one line (plus a
    /// header when [`LadderOptions::headers`] asks for one). Writes nothing for the
    /// segments of a connection beyond the table's bound.
    pub fn segment(
        &mut self,
        time: Instant,
        src: SocketAddr,
        dst: SocketAddr,
        repr: &TcpRepr,
        out: &mut impl Write,
    ) -> fmt::Result {
        let key = Connection::new(src, dst);
        let Some(index) = self.track_index(key, src, dst, repr) else {
            self.ignored = self.ignored.saturating_add(1);
            return Ok(());
        };
        let first_time = *self.first_time.get_or_insert(time);
        let mut track = match self.tracks[index] {
            Some(track) => track,
            None => return Ok(()),
        };
        let rightward = src == track.left.addr;
        let (sender, receiver) = if rightward {
            (&mut track.left, &mut track.right)
        } else {
            (&mut track.right, &mut track.left)
        };
        if sender.reopens_with(repr) {
            *sender = Side::new(sender.addr);
            *receiver = Side::new(receiver.addr);
            self.last = None;
        }
        let remarks = sender.sent(repr);
        let label = Label {
            repr,
            seq: shown_number(repr.seq_number, sender.base, self.options.absolute),
            peer_base: if self.options.absolute {
                None
            } else {
                receiver.base
            },
            remarks,
        };
        advance(sender, receiver, repr);
        if self.options.headers && self.last != Some(index) {
            self.header(track.left.addr, track.right.addr, out)?;
        }
        self.last = Some(index);
        if self.options.time {
            let micros = time
                .total_micros()
                .saturating_sub(first_time.total_micros())
                .max(0);
            write!(out, "{:>4}.{:06}  ", micros / 1_000_000, micros % 1_000_000)?;
        }
        let left = column(&mut track.left);
        let right = column(&mut track.right);
        self.tracks[index] = Some(track);
        write!(out, "{:<width$}", left.name(), width = STATE_WIDTH + GAP)?;
        self.write_arrow(&label, rightward, out)?;
        if right != LadderState::Unseen {
            pad(out, ' ', GAP)?;
            out.write_str(right.name())?;
        }
        out.write_char('\n')
    }

    /// Draws the TCP segment in a dissected frame, if it carries one; other frames are
    /// skipped without output.
    pub fn frame(&mut self, time: Instant, frame: &Frame, out: &mut impl Write) -> fmt::Result {
        match tcp_of_frame(frame) {
            Some((src, dst, repr)) => self.segment(time, src, dst, &repr, out),
            None => Ok(()),
        }
    }

    /// The slot following `key`, starting a track in a free slot for a new connection;
    /// `None` when the table is full.
    fn track_index(
        &mut self,
        key: Connection,
        src: SocketAddr,
        dst: SocketAddr,
        repr: &TcpRepr,
    ) -> Option<usize> {
        if let Some(i) = self
            .tracks
            .iter()
            .position(|t| t.is_some_and(|t| t.key == key))
        {
            return Some(i);
        }
        let free = self.tracks.iter().position(Option::is_none)?;
        // The left column belongs to the active opener: the sender of a SYN, the
        // receiver of a SYN,ACK, or whoever spoke first when the handshake was missed.
        let left = if repr.is_syn() && repr.ack_number.is_some() {
            dst
        } else {
            src
        };
        let right = if left == src { dst } else { src };
        self.tracks[free] = Some(Track {
            key,
            left: Side::new(left),
            right: Side::new(right),
        });
        Some(free)
    }

    fn write_time_pad(&self, out: &mut impl Write) -> fmt::Result {
        if self.options.time {
            pad(out, ' ', 13)?;
        }
        Ok(())
    }

    /// `--label --->` rightwards, `<--label ----` leftwards, padded to `arrow_width`.
    fn write_arrow(&self, label: &Label, rightward: bool, out: &mut impl Write) -> fmt::Result {
        let len = measure(|w| label.write(w));
        out.write_str(if rightward { "--" } else { "<--" })?;
        label.write(out)?;
        // Both directions take 4 columns besides the label and the dashes.
        let dashes = self.options.arrow_width.saturating_sub(len + 4).max(2);
        out.write_char(' ')?;
        pad(out, '-', dashes)?;
        if rightward {
            out.write_char('>')?;
        }
        Ok(())
    }
}

/// The state to print in a side's column: its new state, or nothing if unchanged.
fn column(side: &mut Side) -> LadderState {
    if side.state == side.shown {
        LadderState::Unseen
    } else {
        side.shown = side.state;
        side.state
    }
}

/// A sequence number as shown: relative to `base` unless absolute numbers were asked
/// for or the base is unknown.
fn shown_number(n: SeqNumber, base: Option<SeqNumber>, absolute: bool) -> u32 {
    match base {
        Some(base) if !absolute => n.0.wrapping_sub(base.0),
        _ => n.0,
    }
}

/// The text on an arrow: flags, numbers, options, remarks.
struct Label<'r, 'a> {
    repr: &'r TcpRepr<'a>,
    seq: u32,
    /// The receiver's base, for acknowledgment numbers and SACK blocks.
    peer_base: Option<SeqNumber>,
    remarks: Remarks,
}

impl Label<'_, '_> {
    fn write(&self, w: &mut impl Write) -> fmt::Result {
        let r = self.repr;
        write!(w, "[{}] seq={}", r.wire_flags(), self.seq)?;
        let peer = |n: u32| shown_number(SeqNumber(n), self.peer_base, false);
        if let Some(ack) = r.ack_number {
            write!(w, " ack={}", peer(ack.0))?;
        }
        // On a SYN the window is unscaled, so it is the true window (RFC 7323 §2.2);
        // later, only a zero window tells something at a glance.
        if r.is_syn() || (r.window_len == 0 && !r.is_rst()) {
            write!(w, " win={}", r.window_len)?;
        }
        if !r.payload.is_empty() {
            write!(w, " len={}", r.payload.len())?;
        }
        if r.is_syn() {
            self.write_syn_options(w)?;
        }
        let mut blocks = r.sack_ranges.iter().flatten().peekable();
        if blocks.peek().is_some() {
            w.write_str(" sack=[")?;
            for (i, (left, right)) in blocks.enumerate() {
                let sep = if i == 0 { "" } else { "," };
                write!(w, "{sep}{}-{}", peer(*left), peer(*right))?;
            }
            w.write_char(']')?;
        }
        self.write_remarks(w)
    }

    fn write_syn_options(&self, w: &mut impl Write) -> fmt::Result {
        let r = self.repr;
        if let Some(mss) = r.max_seg_size {
            write!(w, " mss={mss}")?;
        }
        if let Some(shift) = r.window_scale {
            write!(w, " ws={shift}")?;
        }
        if r.sack_permitted {
            w.write_str(" sackOK")?;
        }
        if r.timestamp.is_some() {
            w.write_str(" ts")?;
        }
        Ok(())
    }

    fn write_remarks(&self, w: &mut impl Write) -> fmt::Result {
        let m = self.remarks;
        if m.retransmission {
            w.write_str(" (retransmission)")?;
        }
        if m.out_of_order {
            w.write_str(" (out-of-order)")?;
        }
        if m.gap {
            w.write_str(" (previous segment not seen)")?;
        }
        if m.dup_ack > 0 {
            write!(w, " (dup ack #{})", m.dup_ack)?;
        }
        Ok(())
    }
}

/// The endpoints and TCP segment of a dissected frame.
fn tcp_of_frame<'a>(frame: &Frame<'a>) -> Option<(SocketAddr, SocketAddr, TcpRepr<'a>)> {
    let Some(Transport::Tcp(repr)) = frame.transport else {
        return None;
    };
    let (src, dst) = match frame.network {
        Network::Ipv4(ip) => (IpAddr::V4(ip.src_addr), IpAddr::V4(ip.dst_addr)),
        Network::Ipv6(ip) => (IpAddr::V6(ip.src_addr), IpAddr::V6(ip.dst_addr)),
        Network::Arp(_) => return None,
    };
    Some((
        SocketAddr::new(src, repr.src_port),
        SocketAddr::new(dst, repr.dst_port),
        repr,
    ))
}

/// Counts the characters a formatting closure writes, without storing them.
fn measure(f: impl FnOnce(&mut Counter) -> fmt::Result) -> usize {
    let mut counter = Counter(0);
    // Counting never fails; a failing closure only shortens the count.
    let _ = f(&mut counter);
    counter.0
}

struct Counter(usize);

impl Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.chars().count());
        Ok(())
    }
}

fn pad(out: &mut impl Write, c: char, n: usize) -> fmt::Result {
    for _ in 0..n {
        out.write_char(c)?;
    }
    Ok(())
}
