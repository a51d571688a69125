//! The few C declarations that `openssl-sys` lacks, with their constants.
//!
//! Everything here is declared through the macros below, which also record
//! each declaration as text (`CALLBACK_TYPES`, `CONSTANTS`, `FUNCTIONS`). The
//! `header_check` test module turns those records into C and compiles them against
//! the installed `<openssl/ssl.h>` (and `<openssl/x509v3.h>` for the one
//! certificate check), so a signature or value that drifts from
//! the header fails the build of that test instead of becoming undefined
//! behaviour at run time.
// The declarations mirror ssl.h, and the header check requires every
// SSL_CB_*, SSL3_RT_* and SSL3_MT_* constant and every handshake state to
// be here, so most are unused; and this module is the FFI boundary.
#![allow(
    non_camel_case_types,
    non_upper_case_globals,
    missing_docs,
    dead_code,
    unsafe_code
)]

#[cfg(test)]
mod header_check;

use libc::{c_char, c_int, c_uint, c_ulong, c_void, size_t};
use openssl_sys::{
    stack_st_SSL_CIPHER, BIO, SSL, SSL_CIPHER, SSL_CTX, SSL_METHOD, SSL_SESSION, X509, X509_NAME,
    X509_VERIFY_PARAM,
};

/// `OSSL_HANDSHAKE_STATE`: a C enum without negative members, which C
/// compilers lay out as `unsigned int`; the header check asserts that.
pub type OSSL_HANDSHAKE_STATE = c_uint;

macro_rules! c_callback_types {
    ($($(#[$doc:meta])* pub type $name:ident = unsafe extern "C" fn($($arg:ident: $ty:ty),* $(,)?);)*) => {
        $($(#[$doc])* pub type $name = unsafe extern "C" fn($($arg: $ty),*);)*

        /// Every callback type declared here as `(name, [return type,
        /// argument types...])` in Rust syntax, for the header check.
        pub const CALLBACK_TYPES: &[(&str, &[&str])] = &[
            $((stringify!($name), &["()", $(stringify!($ty)),*])),*
        ];
    };
}

macro_rules! c_constants {
    ($list:ident; $($name:ident: $ty:ty = $value:expr;)*) => {
        $(pub const $name: $ty = $value;)*

        /// Every constant of this block, by name, for the header check.
        pub const $list: &[(&str, i64)] = &[$((stringify!($name), $name as i64)),*];
    };
}

macro_rules! c_functions {
    ($(pub fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)?;)*) => {
        extern "C" {
            $(pub fn $name($($arg: $ty),*) $(-> $ret)?;)*
        }

        /// Every function declared here as `(name, [return type, argument
        /// types...])` in Rust syntax, for the header check.
        pub const FUNCTIONS: &[(&str, &[&str])] = &[
            $((stringify!($name), &[c_functions!(@ret $($ret)?), $(stringify!($ty)),*])),*
        ];
    };
    (@ret $ret:ty) => { stringify!($ret) };
    (@ret) => { "()" };
}

c_callback_types! {
    /// `void (*cb)(const SSL *ssl, int type, int val)`
    pub type InfoCallback = unsafe extern "C" fn(ssl: *const SSL, where_: c_int, ret: c_int);
    /// `void (*cb)(int write_p, int version, int content_type, const void *buf,
    /// size_t len, SSL *ssl, void *arg)`
    pub type MsgCallback = unsafe extern "C" fn(
        write_p: c_int,
        version: c_int,
        content_type: c_int,
        buf: *const c_void,
        len: size_t,
        ssl: *mut SSL,
        arg: *mut c_void,
    );
}

c_constants! {
    CONSTANTS;
    // `where` bits of the info callback.
    SSL_ST_CONNECT: c_int = 0x1000;
    SSL_ST_ACCEPT: c_int = 0x2000;
    SSL_ST_MASK: c_int = 0x0FFF;
    SSL_CB_LOOP: c_int = 0x01;
    SSL_CB_EXIT: c_int = 0x02;
    SSL_CB_READ: c_int = 0x04;
    SSL_CB_WRITE: c_int = 0x08;
    SSL_CB_ALERT: c_int = 0x4000;
    SSL_CB_READ_ALERT: c_int = SSL_CB_ALERT | SSL_CB_READ;
    SSL_CB_WRITE_ALERT: c_int = SSL_CB_ALERT | SSL_CB_WRITE;
    SSL_CB_ACCEPT_LOOP: c_int = SSL_ST_ACCEPT | SSL_CB_LOOP;
    SSL_CB_ACCEPT_EXIT: c_int = SSL_ST_ACCEPT | SSL_CB_EXIT;
    SSL_CB_CONNECT_LOOP: c_int = SSL_ST_CONNECT | SSL_CB_LOOP;
    SSL_CB_CONNECT_EXIT: c_int = SSL_ST_CONNECT | SSL_CB_EXIT;
    SSL_CB_HANDSHAKE_START: c_int = 0x10;
    SSL_CB_HANDSHAKE_DONE: c_int = 0x20;

    // Content types the message callback reports.
    SSL3_RT_CHANGE_CIPHER_SPEC: c_int = 20;
    SSL3_RT_ALERT: c_int = 21;
    SSL3_RT_HANDSHAKE: c_int = 22;
    SSL3_RT_APPLICATION_DATA: c_int = 23;
    SSL3_RT_HEADER: c_int = 0x100;
    SSL3_RT_INNER_CONTENT_TYPE: c_int = 0x101;
    SSL3_RT_HEADER_LENGTH: c_int = 5;
    // The version an SSLv2-format ClientHello is reported with (content
    // type 0).
    SSL2_VERSION: c_int = 0x0002;
    // SSL_key_update's request, for the tests (tests/key_update.rs).
    SSL_KEY_UPDATE_REQUESTED: c_int = 1;
    SSL3_AL_WARNING: c_int = 1;
    SSL3_AL_FATAL: c_int = 2;
    // An alert received is queued as an SSL error whose reason is this
    // offset plus its description; one OpenSSL has no string for reads
    // "SSL alert number N", as s_client prints it.
    SSL_AD_REASON_OFFSET: c_int = 1000;
    ERR_LIB_SSL: c_int = 20;

    // Options that switch single versions off (SSL_CTX_set_options), as
    // SslAcceptor::mozilla_intermediate_v5 does for TLS 1.0 and 1.1.
    SSL_OP_NO_SSLv3: u64 = 1 << 25;
    SSL_OP_NO_TLSv1: u64 = 1 << 26;
    SSL_OP_NO_TLSv1_2: u64 = 1 << 27;
    SSL_OP_NO_TLSv1_1: u64 = 1 << 28;
    SSL_OP_NO_TLSv1_3: u64 = 1 << 29;

    // X509_NAME_print_ex flags: what `openssl x509 -subject`, s_client and
    // `-trace` print names with (RFC 2253 escaping, `, ` and ` = `).
    XN_FLAG_ONELINE: c_ulong = 0x0082_031f;

    // The key exchanges SSL_CIPHER_get_kx_nid names for PSK suites.
    NID_kx_ecdhe_psk: c_int = 1040;
    NID_kx_dhe_psk: c_int = 1041;
    NID_kx_rsa_psk: c_int = 1042;
    NID_kx_psk: c_int = 1043;

    // Handshake message types.
    SSL3_MT_HELLO_REQUEST: c_int = 0;
    SSL3_MT_CLIENT_HELLO: c_int = 1;
    SSL3_MT_SERVER_HELLO: c_int = 2;
    DTLS1_MT_HELLO_VERIFY_REQUEST: c_int = 3;
    SSL3_MT_NEWSESSION_TICKET: c_int = 4;
    SSL3_MT_END_OF_EARLY_DATA: c_int = 5;
    SSL3_MT_ENCRYPTED_EXTENSIONS: c_int = 8;
    SSL3_MT_CERTIFICATE: c_int = 11;
    SSL3_MT_SERVER_KEY_EXCHANGE: c_int = 12;
    SSL3_MT_CERTIFICATE_REQUEST: c_int = 13;
    SSL3_MT_SERVER_DONE: c_int = 14;
    SSL3_MT_CERTIFICATE_VERIFY: c_int = 15;
    SSL3_MT_CLIENT_KEY_EXCHANGE: c_int = 16;
    SSL3_MT_FINISHED: c_int = 20;
    SSL3_MT_CERTIFICATE_URL: c_int = 21;
    SSL3_MT_CERTIFICATE_STATUS: c_int = 22;
    SSL3_MT_SUPPLEMENTAL_DATA: c_int = 23;
    SSL3_MT_KEY_UPDATE: c_int = 24;
    SSL3_MT_NEXT_PROTO: c_int = 67;
    SSL3_MT_MESSAGE_HASH: c_int = 254;
    SSL3_MT_CHANGE_CIPHER_SPEC: c_int = 0x0101;
    SSL3_MT_CCS: c_int = 1;

    // SSL_ctrl commands behind header macros.
    SSL_CTRL_SET_MSG_CALLBACK_ARG: c_int = 16;
    SSL_CTRL_GET_PEER_SIGNATURE_NID: c_int = 108;
    SSL_CTRL_GET_NEGOTIATED_GROUP: c_int = 134;
}

/// `OSSL_HANDSHAKE_STATE` as OpenSSL 3.0 and 3.1 number it. Both
/// numberings are compiled in: a build against 3.0 headers may run on a
/// newer libssl, so the table is chosen at run time (`event::Numbering`).
pub mod states_30 {
    use super::OSSL_HANDSHAKE_STATE;
    c_constants! {
        HANDSHAKE_STATES;
        TLS_ST_BEFORE: OSSL_HANDSHAKE_STATE = 0;
        TLS_ST_OK: OSSL_HANDSHAKE_STATE = 1;
        DTLS_ST_CR_HELLO_VERIFY_REQUEST: OSSL_HANDSHAKE_STATE = 2;
        TLS_ST_CR_SRVR_HELLO: OSSL_HANDSHAKE_STATE = 3;
        TLS_ST_CR_CERT: OSSL_HANDSHAKE_STATE = 4;
        TLS_ST_CR_CERT_STATUS: OSSL_HANDSHAKE_STATE = 5;
        TLS_ST_CR_KEY_EXCH: OSSL_HANDSHAKE_STATE = 6;
        TLS_ST_CR_CERT_REQ: OSSL_HANDSHAKE_STATE = 7;
        TLS_ST_CR_SRVR_DONE: OSSL_HANDSHAKE_STATE = 8;
        TLS_ST_CR_SESSION_TICKET: OSSL_HANDSHAKE_STATE = 9;
        TLS_ST_CR_CHANGE: OSSL_HANDSHAKE_STATE = 10;
        TLS_ST_CR_FINISHED: OSSL_HANDSHAKE_STATE = 11;
        TLS_ST_CW_CLNT_HELLO: OSSL_HANDSHAKE_STATE = 12;
        TLS_ST_CW_CERT: OSSL_HANDSHAKE_STATE = 13;
        TLS_ST_CW_KEY_EXCH: OSSL_HANDSHAKE_STATE = 14;
        TLS_ST_CW_CERT_VRFY: OSSL_HANDSHAKE_STATE = 15;
        TLS_ST_CW_CHANGE: OSSL_HANDSHAKE_STATE = 16;
        TLS_ST_CW_NEXT_PROTO: OSSL_HANDSHAKE_STATE = 17;
        TLS_ST_CW_FINISHED: OSSL_HANDSHAKE_STATE = 18;
        TLS_ST_SW_HELLO_REQ: OSSL_HANDSHAKE_STATE = 19;
        TLS_ST_SR_CLNT_HELLO: OSSL_HANDSHAKE_STATE = 20;
        DTLS_ST_SW_HELLO_VERIFY_REQUEST: OSSL_HANDSHAKE_STATE = 21;
        TLS_ST_SW_SRVR_HELLO: OSSL_HANDSHAKE_STATE = 22;
        TLS_ST_SW_CERT: OSSL_HANDSHAKE_STATE = 23;
        TLS_ST_SW_KEY_EXCH: OSSL_HANDSHAKE_STATE = 24;
        TLS_ST_SW_CERT_REQ: OSSL_HANDSHAKE_STATE = 25;
        TLS_ST_SW_SRVR_DONE: OSSL_HANDSHAKE_STATE = 26;
        TLS_ST_SR_CERT: OSSL_HANDSHAKE_STATE = 27;
        TLS_ST_SR_KEY_EXCH: OSSL_HANDSHAKE_STATE = 28;
        TLS_ST_SR_CERT_VRFY: OSSL_HANDSHAKE_STATE = 29;
        TLS_ST_SR_NEXT_PROTO: OSSL_HANDSHAKE_STATE = 30;
        TLS_ST_SR_CHANGE: OSSL_HANDSHAKE_STATE = 31;
        TLS_ST_SR_FINISHED: OSSL_HANDSHAKE_STATE = 32;
        TLS_ST_SW_SESSION_TICKET: OSSL_HANDSHAKE_STATE = 33;
        TLS_ST_SW_CERT_STATUS: OSSL_HANDSHAKE_STATE = 34;
        TLS_ST_SW_CHANGE: OSSL_HANDSHAKE_STATE = 35;
        TLS_ST_SW_FINISHED: OSSL_HANDSHAKE_STATE = 36;
        TLS_ST_SW_ENCRYPTED_EXTENSIONS: OSSL_HANDSHAKE_STATE = 37;
        TLS_ST_CR_ENCRYPTED_EXTENSIONS: OSSL_HANDSHAKE_STATE = 38;
        TLS_ST_CR_CERT_VRFY: OSSL_HANDSHAKE_STATE = 39;
        TLS_ST_SW_CERT_VRFY: OSSL_HANDSHAKE_STATE = 40;
        TLS_ST_CR_HELLO_REQ: OSSL_HANDSHAKE_STATE = 41;
        TLS_ST_SW_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 42;
        TLS_ST_CW_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 43;
        TLS_ST_SR_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 44;
        TLS_ST_CR_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 45;
        TLS_ST_EARLY_DATA: OSSL_HANDSHAKE_STATE = 46;
        TLS_ST_PENDING_EARLY_DATA_END: OSSL_HANDSHAKE_STATE = 47;
        TLS_ST_CW_END_OF_EARLY_DATA: OSSL_HANDSHAKE_STATE = 48;
        TLS_ST_SR_END_OF_EARLY_DATA: OSSL_HANDSHAKE_STATE = 49;
    }
}

/// `OSSL_HANDSHAKE_STATE` from OpenSSL 3.2 on, which inserted the
/// compressed-certificate states in the middle of the enum, so every later
/// value moved.
pub mod states_32 {
    use super::OSSL_HANDSHAKE_STATE;
    c_constants! {
        HANDSHAKE_STATES;
        TLS_ST_BEFORE: OSSL_HANDSHAKE_STATE = 0;
        TLS_ST_OK: OSSL_HANDSHAKE_STATE = 1;
        DTLS_ST_CR_HELLO_VERIFY_REQUEST: OSSL_HANDSHAKE_STATE = 2;
        TLS_ST_CR_SRVR_HELLO: OSSL_HANDSHAKE_STATE = 3;
        TLS_ST_CR_CERT: OSSL_HANDSHAKE_STATE = 4;
        TLS_ST_CR_COMP_CERT: OSSL_HANDSHAKE_STATE = 5;
        TLS_ST_CR_CERT_STATUS: OSSL_HANDSHAKE_STATE = 6;
        TLS_ST_CR_KEY_EXCH: OSSL_HANDSHAKE_STATE = 7;
        TLS_ST_CR_CERT_REQ: OSSL_HANDSHAKE_STATE = 8;
        TLS_ST_CR_SRVR_DONE: OSSL_HANDSHAKE_STATE = 9;
        TLS_ST_CR_SESSION_TICKET: OSSL_HANDSHAKE_STATE = 10;
        TLS_ST_CR_CHANGE: OSSL_HANDSHAKE_STATE = 11;
        TLS_ST_CR_FINISHED: OSSL_HANDSHAKE_STATE = 12;
        TLS_ST_CW_CLNT_HELLO: OSSL_HANDSHAKE_STATE = 13;
        TLS_ST_CW_CERT: OSSL_HANDSHAKE_STATE = 14;
        TLS_ST_CW_COMP_CERT: OSSL_HANDSHAKE_STATE = 15;
        TLS_ST_CW_KEY_EXCH: OSSL_HANDSHAKE_STATE = 16;
        TLS_ST_CW_CERT_VRFY: OSSL_HANDSHAKE_STATE = 17;
        TLS_ST_CW_CHANGE: OSSL_HANDSHAKE_STATE = 18;
        TLS_ST_CW_NEXT_PROTO: OSSL_HANDSHAKE_STATE = 19;
        TLS_ST_CW_FINISHED: OSSL_HANDSHAKE_STATE = 20;
        TLS_ST_SW_HELLO_REQ: OSSL_HANDSHAKE_STATE = 21;
        TLS_ST_SR_CLNT_HELLO: OSSL_HANDSHAKE_STATE = 22;
        DTLS_ST_SW_HELLO_VERIFY_REQUEST: OSSL_HANDSHAKE_STATE = 23;
        TLS_ST_SW_SRVR_HELLO: OSSL_HANDSHAKE_STATE = 24;
        TLS_ST_SW_CERT: OSSL_HANDSHAKE_STATE = 25;
        TLS_ST_SW_COMP_CERT: OSSL_HANDSHAKE_STATE = 26;
        TLS_ST_SW_KEY_EXCH: OSSL_HANDSHAKE_STATE = 27;
        TLS_ST_SW_CERT_REQ: OSSL_HANDSHAKE_STATE = 28;
        TLS_ST_SW_SRVR_DONE: OSSL_HANDSHAKE_STATE = 29;
        TLS_ST_SR_CERT: OSSL_HANDSHAKE_STATE = 30;
        TLS_ST_SR_COMP_CERT: OSSL_HANDSHAKE_STATE = 31;
        TLS_ST_SR_KEY_EXCH: OSSL_HANDSHAKE_STATE = 32;
        TLS_ST_SR_CERT_VRFY: OSSL_HANDSHAKE_STATE = 33;
        TLS_ST_SR_NEXT_PROTO: OSSL_HANDSHAKE_STATE = 34;
        TLS_ST_SR_CHANGE: OSSL_HANDSHAKE_STATE = 35;
        TLS_ST_SR_FINISHED: OSSL_HANDSHAKE_STATE = 36;
        TLS_ST_SW_SESSION_TICKET: OSSL_HANDSHAKE_STATE = 37;
        TLS_ST_SW_CERT_STATUS: OSSL_HANDSHAKE_STATE = 38;
        TLS_ST_SW_CHANGE: OSSL_HANDSHAKE_STATE = 39;
        TLS_ST_SW_FINISHED: OSSL_HANDSHAKE_STATE = 40;
        TLS_ST_SW_ENCRYPTED_EXTENSIONS: OSSL_HANDSHAKE_STATE = 41;
        TLS_ST_CR_ENCRYPTED_EXTENSIONS: OSSL_HANDSHAKE_STATE = 42;
        TLS_ST_CR_CERT_VRFY: OSSL_HANDSHAKE_STATE = 43;
        TLS_ST_SW_CERT_VRFY: OSSL_HANDSHAKE_STATE = 44;
        TLS_ST_CR_HELLO_REQ: OSSL_HANDSHAKE_STATE = 45;
        TLS_ST_SW_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 46;
        TLS_ST_CW_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 47;
        TLS_ST_SR_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 48;
        TLS_ST_CR_KEY_UPDATE: OSSL_HANDSHAKE_STATE = 49;
        TLS_ST_EARLY_DATA: OSSL_HANDSHAKE_STATE = 50;
        TLS_ST_PENDING_EARLY_DATA_END: OSSL_HANDSHAKE_STATE = 51;
        TLS_ST_CW_END_OF_EARLY_DATA: OSSL_HANDSHAKE_STATE = 52;
        TLS_ST_SR_END_OF_EARLY_DATA: OSSL_HANDSHAKE_STATE = 53;
    }
}

/// The numbering of the headers this crate was compiled against, which the
/// header check compares with `ssl.h`.
#[cfg(not(ossl320))]
pub use states_30::*;
#[cfg(ossl320)]
pub use states_32::*;

/// Constants that OpenSSL 3.2 added: certificate compression and QUIC's
/// pseudo content types for the message callback.
#[cfg(ossl320)]
mod since_320 {
    use libc::c_int;
    c_constants! {
        CONSTANTS_320;
        SSL3_MT_COMPRESSED_CERTIFICATE: c_int = 25;
        SSL3_RT_QUIC_DATAGRAM: c_int = 0x200;
        SSL3_RT_QUIC_PACKET: c_int = 0x201;
        SSL3_RT_QUIC_FRAME_FULL: c_int = 0x202;
        SSL3_RT_QUIC_FRAME_HEADER: c_int = 0x203;
        SSL3_RT_QUIC_FRAME_PADDING: c_int = 0x204;
    }
}

#[cfg(ossl320)]
pub use since_320::*;

/// Before 3.2 there are none.
#[cfg(not(ossl320))]
pub const CONSTANTS_320: &[(&str, i64)] = &[];

/// Every constant declared in this module, for the header check.
pub fn all_constants() -> impl Iterator<Item = &'static (&'static str, i64)> {
    CONSTANTS
        .iter()
        .chain(HANDSHAKE_STATES)
        .chain(CONSTANTS_320)
}

c_functions! {
    pub fn SSL_CTX_set_info_callback(ctx: *mut SSL_CTX, cb: Option<InfoCallback>);
    pub fn SSL_CTX_get_info_callback(ctx: *mut SSL_CTX) -> Option<InfoCallback>;
    pub fn SSL_set_info_callback(ssl: *mut SSL, cb: Option<InfoCallback>);
    pub fn SSL_get_info_callback(ssl: *const SSL) -> Option<InfoCallback>;
    pub fn SSL_CTX_get_ssl_method(ctx: *const SSL_CTX) -> *const SSL_METHOD;
    pub fn SSL_CTX_set_msg_callback(ctx: *mut SSL_CTX, cb: Option<MsgCallback>);
    pub fn SSL_set_msg_callback(ssl: *mut SSL, cb: Option<MsgCallback>);
    pub fn SSL_get_state(ssl: *const SSL) -> OSSL_HANDSHAKE_STATE;
    pub fn SSL_get_options(s: *const SSL) -> u64;
    pub fn SSL_get_pending_cipher(s: *const SSL) -> *const SSL_CIPHER;
    pub fn SSL_CIPHER_get_kx_nid(c: *const SSL_CIPHER) -> c_int;
    pub fn SSL_in_init(s: *const SSL) -> c_int;
    pub fn SSL_rstate_string(s: *const SSL) -> *const c_char;
    pub fn SSL_alert_type_string_long(value: c_int) -> *const c_char;
    pub fn SSL_alert_desc_string_long(value: c_int) -> *const c_char;
    pub fn SSL_SESSION_has_ticket(s: *const SSL_SESSION) -> c_int;
    pub fn SSL_group_to_name(s: *mut SSL, id: c_int) -> *const c_char;
    pub fn SSL_get_peer_signature_type_nid(s: *const SSL, pnid: *mut c_int) -> c_int;
    pub fn BIO_number_read(bio: *mut BIO) -> u64;
    pub fn BIO_number_written(bio: *mut BIO) -> u64;
    pub fn SSL_get_ciphers(s: *const SSL) -> *mut stack_st_SSL_CIPHER;
    pub fn SSL_get1_supported_ciphers(s: *mut SSL) -> *mut stack_st_SSL_CIPHER;
    pub fn SSL_renegotiate(s: *mut SSL) -> c_int;
    pub fn SSL_renegotiate_pending(s: *const SSL) -> c_int;
    pub fn SSL_key_update(s: *mut SSL, updatetype: c_int) -> c_int;
    pub fn SSL_verify_client_post_handshake(s: *mut SSL) -> c_int;
    pub fn X509_NAME_print_ex(out: *mut BIO, nm: *const X509_NAME, indent: c_int, flags: c_ulong) -> c_int;
    pub fn X509_check_purpose(x: *mut X509, id: c_int, ca: c_int) -> c_int;
    pub fn X509_VERIFY_PARAM_get0_host(param: *mut X509_VERIFY_PARAM, idx: c_int) -> *mut c_char;
    pub fn X509_VERIFY_PARAM_get1_ip_asc(param: *mut X509_VERIFY_PARAM) -> *mut c_char;
}
