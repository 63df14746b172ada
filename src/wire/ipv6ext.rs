//! Placeholder: filled by the wire-format work.
