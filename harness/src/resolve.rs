//! Name lookup with a time-out. `getaddrinfo` has none of its own but the
//! resolver's (`resolv.conf`: five seconds per server and attempt, so up
//! to half a minute or more), so the lookup runs on a thread of its own,
//! which is left to finish by itself if the time-out passes first.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

use crate::settings::Secs;

/// The addresses of `HOST:PORT`, or an error of kind `TimedOut` when the
/// resolver gives no answer within `timeout`.
pub fn addresses(target: &str, timeout: Duration) -> io::Result<Vec<SocketAddr>> {
    // An address needs no resolver, and so no thread or time-out.
    if let Ok(addr) = target.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    lookup_within(target, timeout, |name| {
        name.to_socket_addrs().map(Iterator::collect)
    })
}

/// Runs `lookup` on a thread of its own and waits at most `timeout`.
fn lookup_within(
    target: &str,
    timeout: Duration,
    lookup: impl FnOnce(&str) -> io::Result<Vec<SocketAddr>> + Send + 'static,
) -> io::Result<Vec<SocketAddr>> {
    let (tx, rx) = mpsc::channel();
    let name = target.to_owned();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            // The receiver is gone only when the time-out passed first.
            let _ = tx.send(lookup(&name));
        })?;
    rx.recv_timeout(timeout).unwrap_or_else(|e| match e {
        mpsc::RecvTimeoutError::Timeout => Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!("no answer from the name resolver within {}", Secs(timeout)),
        )),
        // The sender went without a word: the lookup thread panicked.
        mpsc::RecvTimeoutError::Disconnected => Err(io::Error::other(format!(
            "the lookup of {target} failed inside the resolver (a panic on its thread)"
        ))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_and_refusals_come_back() {
        let found = addresses("127.0.0.1:443", Duration::from_secs(5)).expect("an address");
        assert_eq!(found, [SocketAddr::from(([127, 0, 0, 1], 443))]);
        assert!(addresses("not a target", Duration::from_secs(5)).is_err());
    }

    #[test]
    fn a_resolver_that_does_not_answer_times_out() {
        let stalled = |_: &str| {
            std::thread::sleep(Duration::from_secs(5));
            Ok(Vec::new())
        };
        let err = lookup_within("example.test:443", Duration::from_millis(100), stalled)
            .expect_err("a time-out");
        assert_eq!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("within 100 ms"), "{err}");
    }

    #[test]
    fn a_panicking_lookup_is_not_called_a_time_out() {
        let err = lookup_within("example.test:443", Duration::from_secs(5), |_| {
            panic!("resolver bug")
        })
        .expect_err("an error");
        assert_ne!(err.kind(), io::ErrorKind::TimedOut);
        assert!(err.to_string().contains("example.test:443"), "{err}");
    }
}
