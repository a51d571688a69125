//! The message log's `extensions=` line names each type as tshark does:
//! every extension type tshark's TLS dissector names (`tshark -G
//! values`) reads the same in [`extension_name`], GREASE and the
//! reserved TLS 1.3 draft types aside, which both call reserved.

use std::process::Command;

use openssl_handshake::decode::extension_name;
use testkit::command::stdout_of;

#[test]
fn extension_types_are_named_as_tshark_names_them() {
    let values = stdout_of(Command::new("tshark").args(["-G", "values"]), "tshark");
    let values = String::from_utf8_lossy(&values);
    let mut compared = 0;
    for line in values.lines() {
        let mut fields = line.split('\t');
        if (fields.next(), fields.next()) != (Some("V"), Some("tls.handshake.extension.type")) {
            continue;
        }
        let (Some(id), Some(theirs)) = (fields.next(), fields.next()) else {
            continue;
        };
        let id: u16 = id.parse().expect("a type code");
        let want = if theirs.starts_with("Reserved") {
            "reserved"
        } else {
            theirs
        };
        assert_eq!(
            extension_name(id),
            Some(want),
            "type {id}, which tshark calls {theirs}"
        );
        compared += 1;
    }
    assert!(
        compared > 50,
        "only {compared} extension types in tshark's values"
    );
}
