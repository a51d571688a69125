//! EncryptedExtensions (TLS 1.3): the server's answers that need no
//! cryptographic context, sent under the handshake keys.

use serde::{Deserialize, Serialize};

use super::error::{bad, Res};
use super::extensions::*;
use super::names::NamedGroup;
use super::problems::ExtensionProblem;
use super::reader::{be16, Reader};

/// An EncryptedExtensions message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct EncryptedExtensions {
    /// The protocol selected by ALPN, escaped like
    /// [`ClientHello::sni`](super::ClientHello::sni).
    pub alpn: Option<String>,
    /// Whether the server acknowledged server_name with an empty extension.
    pub server_name_ack: bool,
    /// The server's supported_groups, in its order of preference.
    pub supported_groups: Vec<NamedGroup>,
    /// Whether the server accepted early data (an empty early_data extension).
    pub early_data: bool,
    /// The max_fragment_length code (RFC 6066: 1 = 512 ... 4 = 4096), when present.
    pub max_fragment_length: Option<u8>,
    /// The record_size_limit (RFC 8449), when present.
    pub record_size_limit: Option<u16>,
    /// Every extension type, in the order sent.
    pub extensions: Vec<u16>,
}

pub(super) fn decode_encrypted_extensions(
    body: &[u8],
    problems: &mut Vec<ExtensionProblem>,
) -> Res<EncryptedExtensions> {
    let mut reader = Reader::new(body);
    let block = reader.vec(2)?;
    reader.finish("the extensions")?;
    let mut view = EncryptedExtensions {
        alpn: None,
        server_name_ack: false,
        supported_groups: Vec::new(),
        early_data: false,
        max_fragment_length: None,
        record_size_limit: None,
        extensions: Vec::new(),
    };
    view.extensions = read_each(block, problems, |ext| {
        let data = ext.data;
        match ext.ty {
            EXT_ALPN => view.alpn = Some(ext_selected_alpn(data)?),
            EXT_SERVER_NAME => {
                ext_empty(data).map_err(|f| f.in_extension("server_name"))?;
                view.server_name_ack = true;
            }
            EXT_SUPPORTED_GROUPS => {
                view.supported_groups =
                    ext_supported_groups(data).map_err(|f| f.in_extension("supported_groups"))?;
            }
            EXT_EARLY_DATA => {
                ext_empty(data).map_err(|f| f.in_extension("early_data"))?;
                view.early_data = true;
            }
            EXT_MAX_FRAGMENT_LENGTH => {
                view.max_fragment_length = Some(ext_max_fragment_length(data)?);
            }
            EXT_RECORD_SIZE_LIMIT => match data.len() {
                2 => view.record_size_limit = Some(be16(data)),
                _ => return bad("record_size_limit extension: not two bytes"),
            },
            _ => {}
        }
        Ok(())
    })?;
    Ok(view)
}
