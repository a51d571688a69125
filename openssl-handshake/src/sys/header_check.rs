//! Checks every declaration in `sys.rs` against the C headers of the linked
//! OpenSSL: the declarations are turned into C that only compiles when each
//! constant has the header's value and each function and callback type is
//! compatible with the header's prototype.
//!
//! It lives inside the crate, as a test module of the private `sys`, so
//! that it sees every declaration without making them public.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::sys;

/// The C spelling of a Rust type as `stringify!` writes it.
fn c_type(rust: &str) -> String {
    let t: String = rust.split_whitespace().collect();
    // The qualifier follows what it qualifies, so that a nested pointer
    // reads right: `*const *mut c_char` is `char * const *`.
    if let Some(inner) = t.strip_prefix("*const") {
        return format!("{} const *", c_type(inner));
    }
    if let Some(inner) = t.strip_prefix("*mut") {
        return format!("{} *", c_type(inner));
    }
    if let Some(inner) = t.strip_prefix("Option<").and_then(|i| i.strip_suffix('>')) {
        // Option<extern fn> is the nullable function pointer.
        return c_type(inner);
    }
    match t.as_str() {
        "()" => "void".into(),
        "c_int" => "int".into(),
        // The Rust alias of the enum is checked through its definition.
        "c_uint" | "OSSL_HANDSHAKE_STATE" => "unsigned int".into(),
        "c_long" => "long".into(),
        "c_ulong" => "unsigned long".into(),
        "c_char" => "char".into(),
        "c_void" => "void".into(),
        "size_t" => "size_t".into(),
        "u64" => "uint64_t".into(),
        "SSL" | "SSL_CTX" | "SSL_SESSION" | "SSL_CIPHER" | "SSL_METHOD" | "BIO" | "X509"
        | "X509_NAME" | "X509_VERIFY_PARAM" => t,
        "stack_st_SSL_CIPHER" => "STACK_OF(SSL_CIPHER)".into(),
        "InfoCallback" | "MsgCallback" => format!("rs_{t}"),
        other => panic!("header_check does not know the C spelling of Rust type `{other}`; add it"),
    }
}

fn include_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = option_env!("OPENSSL_HANDSHAKE_INCLUDE")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    dirs.push(PathBuf::from("/usr/include"));
    dirs
}

fn header(name: &str) -> String {
    include_dirs()
        .iter()
        .map(|d| d.join("openssl").join(name))
        .find(|p| p.exists())
        .map(|p| std::fs::read_to_string(&p).expect("readable header"))
        .unwrap_or_else(|| {
            panic!(
                "openssl/{name} not found in {:?}; install libssl-dev",
                include_dirs()
            )
        })
}

fn c_source() -> String {
    let mut c =
        String::from(
        "#include <stdint.h>\n#include <openssl/ssl.h>\n#include <openssl/bio.h>\n#include <openssl/err.h>\n#include <openssl/x509v3.h>\n\n",
    );
    for (name, types) in sys::CALLBACK_TYPES {
        let args: Vec<String> = types[1..].iter().map(|t| c_type(t)).collect();
        c += &format!(
            "typedef {} (*rs_{name})({});\n",
            c_type(types[0]),
            args.join(", ")
        );
    }
    c += "_Static_assert(sizeof(OSSL_HANDSHAKE_STATE) == sizeof(unsigned int), \"enum size\");\n";
    c += "_Static_assert((OSSL_HANDSHAKE_STATE)-1 > 0, \"enum is unsigned\");\n";
    for (name, value) in sys::all_constants() {
        c += &format!("_Static_assert((long long)({name}) == {value}LL, \"{name} differs from the header\");\n");
    }
    for (name, types) in sys::FUNCTIONS {
        let args: Vec<String> = types[1..].iter().map(|t| c_type(t)).collect();
        c += &format!(
            "{} (*const check_{name})({}) = {name};\n",
            c_type(types[0]),
            args.join(", ")
        );
    }
    // The callback typedefs must be the very types the setters take.
    c += "void (*const check_info_cb)(SSL_CTX *, void (*)(const SSL *, int, int)) = SSL_CTX_set_info_callback;\n";
    c += "static void use_types(rs_InfoCallback a, rs_MsgCallback b) {\n";
    c += "    SSL_CTX_set_info_callback(0, a);\n    SSL_CTX_set_msg_callback(0, b);\n}\n";
    c += "void (*const keep)(rs_InfoCallback, rs_MsgCallback) = use_types;\n";
    c
}

#[test]
fn declarations_match_the_headers() {
    if let Err(diagnostics) = testkit::c_check::compile(&c_source(), &include_dirs()) {
        panic!(
            "sys.rs does not match the OpenSSL headers:\n{diagnostics}\n--- generated C ---\n{}",
            c_source()
        );
    }
}

/// The tests and examples declare a few functions of their own (to drive
/// a renegotiation or a key update); those are checked as written too.
#[test]
fn the_tests_declarations_match_the_headers() {
    let mut c = String::from("#include <openssl/ssl.h>\n");
    let mut names = Vec::new();
    for dir in ["tests", "examples"] {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
        for f in testkit::c_check::declared_in_tree(&dir).unwrap_or_else(|e| panic!("{e}")) {
            c += &format!("{}\n", f.pointer_check());
            names.push(f.name);
        }
    }
    assert!(names.iter().any(|n| n == "SSL_renegotiate"), "{names:?}");
    if let Err(diagnostics) = testkit::c_check::compile(&c, &include_dirs()) {
        panic!("a test's declaration differs from the headers:\n{diagnostics}\n{c}");
    }
}

#[test]
fn a_wrong_declaration_is_caught() {
    // The check above must be able to fail: a deliberately wrong prototype
    // is rejected by the same compiler invocation.
    let wrong = "#include <openssl/ssl.h>\n\
                 void (*const w)(SSL_CTX *, void (*)(SSL *, int, int)) = SSL_CTX_set_info_callback;\n";
    assert!(testkit::c_check::compile(wrong, &include_dirs()).is_err());
}

/// A qualifier binds to the pointer it follows: the spelling must not
/// turn a `*const *mut` into a `*mut *const`, which C would accept in the
/// wrong place.
#[test]
fn nested_pointers_keep_their_qualifiers_in_place() {
    assert_eq!(c_type("*const *mut c_char"), "char * const *");
    assert_eq!(c_type("*mut *const c_char"), "char const * *");
    assert_eq!(c_type("*const SSL"), "SSL const *");
}

/// Every `SSL_CB_*`, `SSL3_RT_*` content type, `SSL3_MT_*` and handshake
/// state in the headers is declared in sys.rs, so none is missing.
#[test]
fn every_header_constant_is_declared() {
    let declared: BTreeSet<&str> = sys::all_constants().map(|(n, _)| *n).collect();
    let ssl = header("ssl.h");
    let ssl3 = header("ssl3.h");
    let mut wanted = BTreeSet::new();
    for text in [&ssl, &ssl3] {
        for line in text.lines() {
            let mut words = line.split_whitespace();
            let (Some("#define" | "#"), Some(mut name)) = (words.next(), words.next()) else {
                continue;
            };
            if name == "define" {
                name = words.next().unwrap_or("");
            }
            let content_type =
                name.starts_with("SSL3_RT_") && !name.contains("MAX") && !name.ends_with("LENGTH");
            if name.starts_with("SSL_CB_") || name.starts_with("SSL3_MT_") || content_type {
                wanted.insert(name.to_owned());
            }
        }
    }
    for (i, name) in handshake_states(&ssl).into_iter().enumerate() {
        let value = sys::all_constants()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v);
        assert_eq!(
            value,
            Some(i as i64),
            "{name} is member {i} of OSSL_HANDSHAKE_STATE"
        );
    }
    let missing: Vec<_> = wanted
        .iter()
        .filter(|n| !declared.contains(n.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "declared in the headers but not in sys.rs: {missing:?}"
    );
    assert!(
        wanted.len() > 30,
        "the header scan found too little: {wanted:?}"
    );
}

/// The members of `OSSL_HANDSHAKE_STATE` in a header's text, in order;
/// none has an initializer, so each one's value is its position.
fn handshake_states(header: &str) -> Vec<&str> {
    let body = header
        .split("typedef enum {")
        .find_map(|rest| {
            rest.split_once("} OSSL_HANDSHAKE_STATE;")
                .map(|(body, _)| body)
        })
        .expect("OSSL_HANDSHAKE_STATE in the header");
    assert!(!body.contains('='), "a member has an initializer");
    body.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .collect()
}

/// Both numberings, whichever headers this build has: `event.rs` picks one
/// at run time by the version of the libssl loaded, so the one these
/// headers do not cover must be right too. Each is checked against its
/// release's enum, kept verbatim in `handshake_states/`.
#[test]
fn both_state_numberings_match_their_releases() {
    let releases = [
        (
            include_str!("handshake_states/openssl-3.0.19.h"),
            sys::states_30::HANDSHAKE_STATES,
        ),
        (
            include_str!("handshake_states/openssl-3.6.3.h"),
            sys::states_32::HANDSHAKE_STATES,
        ),
    ];
    for (header, declared) in releases {
        let members: Vec<(&str, i64)> = handshake_states(header).into_iter().zip(0..).collect();
        assert_eq!(declared, members.as_slice(), "{}", &header[..120]);
    }
}
