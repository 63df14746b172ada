//! Logging that compiles away without the `log` feature.

#[cfg(feature = "log")]
#[allow(unused_macros)]
macro_rules! net_trace {
    ($($arg:tt)*) => { log::trace!($($arg)*) };
}
#[cfg(not(feature = "log"))]
#[allow(unused_macros)]
macro_rules! net_trace {
    ($($arg:tt)*) => {{ let _ = format_args!($($arg)*); }};
}

#[cfg(feature = "log")]
#[allow(unused_macros)]
macro_rules! net_debug {
    ($($arg:tt)*) => { log::debug!($($arg)*) };
}
#[cfg(not(feature = "log"))]
#[allow(unused_macros)]
macro_rules! net_debug {
    ($($arg:tt)*) => {{ let _ = format_args!($($arg)*); }};
}

/// Declares a `u8`/`u16` wire enumeration that keeps unknown values instead of failing.
///
/// Every value round-trips: `From<raw>` never loses information because unrecognised
/// values land in `Unknown(raw)`.
macro_rules! enum_with_unknown {
    (
        $( #[$enum_attr:meta] )*
        pub enum $name:ident($ty:ty) {
            $(
              $( #[$variant_attr:meta] )*
              $variant:ident = $value:expr
            ),+ $(,)?
        }
    ) => {
        #[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Clone, Copy)]
        $( #[$enum_attr] )*
        pub enum $name {
            $(
              $( #[$variant_attr] )*
              $variant
            ),*,
            /// A value this version of skiff does not name.
            Unknown($ty)
        }

        impl ::core::convert::From<$ty> for $name {
            fn from(value: $ty) -> Self {
                match value {
                    $( $value => $name::$variant ),*,
                    other => $name::Unknown(other)
                }
            }
        }

        impl ::core::convert::From<$name> for $ty {
            fn from(value: $name) -> Self {
                match value {
                    $( $name::$variant => $value ),*,
                    $name::Unknown(other) => other
                }
            }
        }
    }
}
