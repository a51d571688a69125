//! The exit codes README's table gives, for each command that reaches a
//! server: a mistyped target is a usage error (2), a server nothing
//! answers for is unreachable (3), whichever command met it.

mod common;

use common::{free_port, harness, run};

#[test]
fn a_mistyped_target_is_a_usage_error_in_every_command() {
    for target in [
        "localhost:notaport",
        "127.0.0.1:99999",
        ":443",
        "https://example.com",
    ] {
        for command in ["probe", "scan"] {
            let o = run(harness(&[command, target]));
            assert_eq!(o.status.code(), Some(2), "{command} {target}: {}", o.stderr);
            assert!(
                o.stderr.contains("is not HOST:PORT"),
                "{command} {target}: {}",
                o.stderr
            );
        }
        let o = run(harness(&["hostile", "--target", target]));
        assert_eq!(o.status.code(), Some(2), "hostile {target}: {}", o.stderr);
        assert!(
            o.stderr.contains("is not HOST:PORT"),
            "hostile {target}: {}",
            o.stderr
        );
    }
}

#[test]
fn nothing_listening_or_no_such_name_is_unreachable() {
    let closed = format!("127.0.0.1:{}", free_port());
    for (args, words) in [
        (vec!["probe", closed.as_str()], "refused"),
        (
            vec!["hostile", "--target", closed.as_str()],
            "could not be reached",
        ),
        (vec!["probe", "nosuch.invalid:443"], "resolving"),
        (vec!["scan", "nosuch.invalid:443"], "resolving"),
        (
            vec!["hostile", "--target", "nosuch.invalid:443"],
            "does not resolve",
        ),
    ] {
        let o = run(harness(&args));
        assert_eq!(o.status.code(), Some(3), "{args:?}: {}", o.stderr);
        assert!(o.stderr.contains(words), "{args:?}: {}", o.stderr);
    }
}
