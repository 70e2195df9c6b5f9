//! Where an item was recorded when it did not come from the worker itself: the
//! kind of extension context a page client (`connect()`) runs in and, for a
//! content script, the origin of the web page (never its path, query or title).
//! See the README's "Every extension context" and DESIGN section 3.

use crate::core::json::{push_string, PushByte};
use crate::core::split::{all_bytes, first_byte_not, has_byte, split_last};

/// The longest origin kept (a scheme, a host name of at most 253 characters
/// and a port fit).
const MAX_ORIGIN_CHARS: usize = 300;

/// The kind of context a page client runs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContextKind {
    /// A content script, inside a web page.
    ContentScript,
    /// The action's popup.
    Popup,
    /// The options page.
    Options,
    /// The side panel.
    SidePanel,
    /// An offscreen document.
    Offscreen,
    /// Any other page of the extension.
    ExtensionPage,
}

impl ContextKind {
    /// Every kind, in the order of their wire names.
    pub const ALL: [ContextKind; 6] = [
        ContextKind::ContentScript,
        ContextKind::Popup,
        ContextKind::Options,
        ContextKind::SidePanel,
        ContextKind::Offscreen,
        ContextKind::ExtensionPage,
    ];

    /// The wire name (`context_kind` of an item).
    pub fn as_str(self) -> &'static str {
        match self {
            ContextKind::ContentScript => "content_script",
            ContextKind::Popup => "popup",
            ContextKind::Options => "options",
            ContextKind::SidePanel => "side_panel",
            ContextKind::Offscreen => "offscreen",
            ContextKind::ExtensionPage => "extension_page",
        }
    }

    /// The kind with this wire name.
    pub fn parse(name: &str) -> Option<ContextKind> {
        ContextKind::ALL.into_iter().find(|k| k.as_str() == name)
    }
}

/// The context an item came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// Its kind.
    pub kind: ContextKind,
    /// The web page's origin, for a content script only.
    pub origin: Option<String>,
}

impl Source {
    /// Checks what the worker's listener passes on. `None` when the kind is
    /// unknown, or when a content script's origin is not a bare `http(s)`
    /// origin: the item is then dropped as `invalid` rather than carrying
    /// more of the page's address than its origin. Extension pages carry no
    /// origin (it would only be the extension's own).
    pub fn new(kind: &str, origin: Option<&str>) -> Option<Source> {
        let kind = ContextKind::parse(kind)?;
        let origin = match (kind, origin) {
            (ContextKind::ContentScript, Some(origin)) => Some(bare_origin(origin)?.to_owned()),
            (ContextKind::ContentScript, None) => None,
            (_, _) => None,
        };
        Some(Source { kind, origin })
    }

    /// Appends `,"context_kind":..[,"origin":..]` to an object's fields.
    pub fn push_fields(&self, out: &mut String) {
        out.push_str(",\"context_kind\":");
        push_string(out, self.kind.as_str());
        if let Some(origin) = &self.origin {
            out.push_str(",\"origin\":");
            push_string(out, origin);
        }
    }

    /// An item's JSON object with this source's fields added at its end.
    pub fn stamp(&self, mut item: String) -> String {
        if item.ends_with('}') {
            item.pop();
            self.push_fields(&mut item);
            item.push_byte(b'}');
        }
        item
    }
}

/// `origin` if it is `http://host[:port]` or `https://host[:port]` and nothing
/// more: no user info, path, query or fragment.
fn bare_origin(origin: &str) -> Option<&str> {
    if origin.len() > MAX_ORIGIN_CHARS {
        return None;
    }
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))?;
    let (name, port) = match split_last(host, b':') {
        // An IPv6 literal has colons inside its brackets.
        Some((name, port)) if !has_byte(port.as_bytes(), b']') => (name, Some(port)),
        _ => (host, None),
    };
    let name_ok = !name.is_empty()
        && all_bytes(name, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b'[' | b']' | b':')
        });
    let port_ok = port.map_or(true, |p| {
        !p.is_empty() && p.len() <= 5 && all_bytes(p, |b| b.is_ascii_digit())
    });
    (name_ok && port_ok).then_some(origin)
}

/// The origin of a web page's script URL (`https://host[:port]`), for a stack
/// frame of a content script's error: the page's own frames are kept, but not
/// the path or query of the page or script. `None` for any other file.
pub fn web_origin(file: &str) -> Option<&str> {
    let rest = file
        .strip_prefix("https://")
        .or_else(|| file.strip_prefix("http://"))?;
    let host_len =
        first_byte_not(rest.as_bytes(), |b| !matches!(b, b'/' | b'?' | b'#')).unwrap_or(rest.len());
    Some(&file[..file.len() - rest.len() + host_len])
}

/// True for the frame of a web page's script (not the extension's code).
pub fn is_web_file(file: &str) -> bool {
    file.starts_with("https://") || file.starts_with("http://")
}
