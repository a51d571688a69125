//! X.509 distinguished names formatted as `openssl x509 -subject` prints them.

use std::fmt::Write as _;

use openssl::asn1::Asn1ObjectRef;
use openssl::nid::Nid;
use openssl::x509::X509NameRef;

use super::reader::{be, Reader};

/// One AttributeTypeAndValue as encoded in a Name.
pub(super) struct EncodedAttribute<'a> {
    /// Index of the RelativeDistinguishedName (SET) holding it.
    rdn: usize,
    /// The value's tag byte.
    tag: u8,
    /// The value's content octets.
    content: &'a [u8],
    /// The value's whole encoding (tag, length and content).
    encoding: &'a [u8],
}

pub(super) struct Tlv<'a> {
    tag: u8,
    content: &'a [u8],
    encoding: &'a [u8],
}

/// One DER element with a single-byte tag and a definite length.
pub(super) fn read_tlv<'a>(reader: &mut Reader<'a>) -> Option<Tlv<'a>> {
    let start = reader.pos;
    let tag = reader.u8().ok()?;
    if tag & 0x1f == 0x1f {
        return None;
    }
    let first = reader.u8().ok()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        usize::try_from(reader.uint(n).ok()?).ok()?
    };
    let content = reader.take(len).ok()?;
    let encoding = reader.buf.get(start..reader.pos)?;
    Some(Tlv {
        tag,
        content,
        encoding,
    })
}

/// The attributes of a DER-encoded Name, in order, with their RDN index.
pub(super) fn encoded_attributes(der: &[u8]) -> Option<Vec<EncodedAttribute<'_>>> {
    let mut top = Reader::new(der);
    let name = read_tlv(&mut top)?;
    if name.tag != 0x30 || !top.is_empty() {
        return None;
    }
    let mut rdns = Reader::new(name.content);
    let mut out = Vec::new();
    let mut rdn = 0usize;
    while !rdns.is_empty() {
        let set = read_tlv(&mut rdns)?;
        if set.tag != 0x31 {
            return None;
        }
        let mut attributes = Reader::new(set.content);
        while !attributes.is_empty() {
            let attribute = read_tlv(&mut attributes)?;
            if attribute.tag != 0x30 {
                return None;
            }
            let mut parts = Reader::new(attribute.content);
            let oid = read_tlv(&mut parts)?;
            let value = read_tlv(&mut parts)?;
            if oid.tag != 0x06 || !parts.is_empty() {
                return None;
            }
            out.push(EncodedAttribute {
                rdn,
                tag: value.tag,
                content: value.content,
                encoding: value.encoding,
            });
        }
        rdn = rdn.saturating_add(1);
    }
    Some(out)
}

/// Formats a name the way OpenSSL 3's `openssl x509 -subject` does by default
/// (`-nameopt oneline`), without the `subject=` prefix:
/// `C = US, O = Example, CN = localhost`.
///
/// Fields use short names (dotted OIDs when unknown), ` = ` and `, `, and
/// ` + ` between the parts of a multi-valued RDN. Values are converted to
/// UTF-8; bytes outside printable ASCII are written `\XX`, `"` and `\` are
/// backslash-escaped, and a value with `,+;<>`, a leading space or `#`, or a
/// trailing space is put in double quotes. Values of non-string types are
/// dumped as `#` and the hex of their DER encoding.
pub(crate) fn format_name(name: &X509NameRef) -> String {
    let der = name.to_der().ok();
    let entries: Vec<_> = name.entries().collect();
    let encoded = der
        .as_deref()
        .and_then(encoded_attributes)
        .filter(|attributes| attributes.len() == entries.len());

    let mut out = String::new();
    let mut previous_rdn = None;
    for (i, entry) in entries.iter().enumerate() {
        let attribute = encoded.as_ref().and_then(|list| list.get(i));
        let rdn = attribute.map(|a| a.rdn);
        if i > 0 {
            let same_rdn = rdn.is_some() && rdn == previous_rdn;
            out.push_str(if same_rdn { " + " } else { ", " });
        }
        previous_rdn = rdn;
        out.push_str(&field_name(entry.object()));
        out.push_str(" = ");
        match attribute {
            Some(a) => push_value(&mut out, a.tag, a.content, a.encoding),
            None => push_escaped(&mut out, entry.data().as_slice()),
        }
    }
    out
}

pub(super) fn field_name(object: &Asn1ObjectRef) -> String {
    let nid = object.nid();
    if nid != Nid::UNDEF {
        if let Ok(short) = nid.short_name() {
            return short.to_owned();
        }
    }
    object.to_string()
}

/// Appends one attribute value, converting it to UTF-8 from its string type.
pub(super) fn push_value(out: &mut String, tag: u8, content: &[u8], encoding: &[u8]) {
    let utf8 = match tag {
        // UTF8String: the bytes as they are.
        0x0c => Some(content.to_vec()),
        // NumericString, PrintableString, T61String, IA5String, UTCTime,
        // GeneralizedTime, VisibleString: one byte per character.
        0x12 | 0x13 | 0x14 | 0x16 | 0x17 | 0x18 | 0x1a => {
            code_points_to_utf8(content.iter().map(|&b| u32::from(b)))
        }
        // UniversalString: four bytes per character.
        0x1c if content.len() % 4 == 0 => code_points_to_utf8(content.chunks_exact(4).map(be)),
        // BMPString: two bytes per character.
        0x1e if content.len() % 2 == 0 => code_points_to_utf8(content.chunks_exact(2).map(be)),
        _ => None,
    };
    match utf8 {
        Some(bytes) => push_escaped(out, &bytes),
        None => {
            out.push('#');
            for &b in encoding {
                let _ = write!(out, "{b:02X}");
            }
        }
    }
}

pub(super) fn code_points_to_utf8(chars: impl Iterator<Item = u32>) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    for c in chars {
        // Truncating casts below keep exactly the bits each UTF-8 byte carries.
        match c {
            0..=0x7f => out.push(c as u8),
            0x80..=0x7ff => {
                out.extend_from_slice(&[0xc0 | (c >> 6) as u8, 0x80 | (c & 0x3f) as u8])
            }
            0xd800..=0xdfff => return None,
            0x800..=0xffff => out.extend_from_slice(&[
                0xe0 | (c >> 12) as u8,
                0x80 | ((c >> 6) & 0x3f) as u8,
                0x80 | (c & 0x3f) as u8,
            ]),
            0x1_0000..=0x10_ffff => out.extend_from_slice(&[
                0xf0 | (c >> 18) as u8,
                0x80 | ((c >> 12) & 0x3f) as u8,
                0x80 | ((c >> 6) & 0x3f) as u8,
                0x80 | (c & 0x3f) as u8,
            ]),
            _ => return None,
        }
    }
    Some(out)
}

/// Appends UTF-8 bytes with the escaping of OpenSSL's `oneline` name format.
pub(super) fn push_escaped(out: &mut String, bytes: &[u8]) {
    let mut quote = false;
    let mut value = String::with_capacity(bytes.len());
    let last = bytes.len().saturating_sub(1);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'"' | b'\\' => {
                value.push('\\');
                value.push(char::from(b));
            }
            b',' | b'+' | b';' | b'<' | b'>' => {
                quote = true;
                value.push(char::from(b));
            }
            // OpenSSL applies the "last character" rule instead of the "first
            // character" one to a one-character value, so a lone '#' stays bare.
            b' ' if i == 0 || i == last => {
                quote = true;
                value.push(' ');
            }
            b'#' if i == 0 && i != last => {
                quote = true;
                value.push('#');
            }
            0x20..=0x7e => value.push(char::from(b)),
            _ => {
                let _ = write!(value, "\\{b:02X}");
            }
        }
    }
    if quote {
        out.push('"');
        out.push_str(&value);
        out.push('"');
    } else {
        out.push_str(&value);
    }
}
