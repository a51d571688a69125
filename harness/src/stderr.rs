//! Standard error that cannot stop the program. `eprintln!` panics when
//! the write fails, which a closed pipe makes it do (`2>&1 | head`, a log
//! reader that restarted): a server would stop serving, and a probe would
//! exit 101 instead of the code that says what happened. `openssl
//! s_server` serves on in the same case.

use std::fmt;
use std::io::Write;

/// Writes `args` to standard error, dropping them if it is closed.
pub fn write(args: fmt::Arguments<'_>) {
    let _ = std::io::stderr().write_fmt(args);
}

/// `eprintln!` that drops the line where standard error is closed, rather
/// than panicking (see [the module](mod@crate::stderr)).
#[macro_export]
macro_rules! stderr {
    ($($arg:tt)*) => {
        $crate::stderr::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}
