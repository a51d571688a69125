//! Name lookup with a time-out. `getaddrinfo` has none of its own but the
//! resolver's (`resolv.conf`: five seconds per server and attempt, so up
//! to half a minute or more), so the lookup runs on a thread of its own,
//! which is left to finish by itself if the time-out passes first.

use std::io;
use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::mpsc;
use std::time::Duration;

/// The addresses of `HOST:PORT`, or an error of kind `TimedOut` when the
/// resolver gives no answer within `timeout`.
pub fn addresses(target: &str, timeout: Duration) -> io::Result<Vec<SocketAddr>> {
    let (tx, rx) = mpsc::channel();
    let name = target.to_owned();
    std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            let found = name.to_socket_addrs().map(Iterator::collect);
            // The receiver is gone only when the time-out passed first.
            let _ = tx.send(found);
        })?;
    rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(io::Error::new(
            io::ErrorKind::TimedOut,
            format!(
                "no answer from the name resolver within {:.1} s",
                timeout.as_secs_f64()
            ),
        ))
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
}
