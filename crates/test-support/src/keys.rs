//! Building and taking apart key text: long-term `ABSK…` keys, a short-term token's query
//! parameters, and structural mutations of both.
//!
//! Shared by tests/inspect_props.rs and the fuzz target (fuzz/fuzz_targets/parse_token.rs
//! includes this file by path), so it uses only std and base64, and never panics.

use base64::Engine as _;

/// An obviously fake long-term key alias, in IAM's `<user>-at-<account id>` form.
pub const FAKE_ALIAS: &str = "BedrockAPIKey-EXAMPLE-at-123456789012";
/// An obviously fake long-term key secret (what must never be shown).
pub const FAKE_LONG_TERM_SECRET: &str = "EXAMPLELONGTERMSECRETabcdefghij+/0123456789EXAMPLE=";

/// `ABSK` + standard base64 of `<alias>:<secret>`.
pub fn long_term_key(alias: &[u8], secret: &[u8]) -> String {
    long_term_key_with("ABSK", alias, secret)
}

/// `prefix` (`ABSK`, `AEAA`, …) + standard base64 of `<alias>:<secret>`.
pub fn long_term_key_with(prefix: &str, alias: &[u8], secret: &[u8]) -> String {
    let mut raw = alias.to_vec();
    raw.push(b':');
    raw.extend_from_slice(secret);
    format!(
        "{prefix}{}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

/// A short-term token's URL: the part before the query, and the query's parameters as
/// raw (still percent-encoded) name/value pairs, in order.
#[derive(Clone, Debug)]
pub struct TokenUrl {
    pub base: String,
    pub params: Vec<(String, String)>,
}

impl TokenUrl {
    /// Splits `bedrock.amazonaws.com/?A=1&B=2` (a decoded token).
    pub fn split(url: &str) -> Self {
        let (base, query) = url.split_once('?').unwrap_or((url, ""));
        let params = query
            .split('&')
            .map(|pair| {
                let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
                (name.to_owned(), value.to_owned())
            })
            .collect();
        Self {
            base: format!("{base}?"),
            params,
        }
    }

    /// Joins the parameters back and encodes the URL as `bedrock-api-key-<base64>`.
    pub fn to_token(&self) -> String {
        self.to_token_with("bedrock-api-key-")
    }

    /// Joins the parameters back and encodes the URL as `<prefix><base64>`.
    pub fn to_token_with(&self, prefix: &str) -> String {
        let query: Vec<String> = self
            .params
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect();
        format!(
            "{prefix}{}",
            base64::engine::general_purpose::STANDARD.encode(format!(
                "{}{}",
                self.base,
                query.join("&")
            ))
        )
    }

    /// Applies a mutation to the parameter at `index % len` (nothing if there is none).
    pub fn mutate(&mut self, mutation: &Mutation) {
        let len = self.params.len();
        if len == 0 {
            return;
        }
        match mutation {
            Mutation::SetValue(i, value) => self.params[i % len].1 = value.clone(),
            Mutation::SetName(i, name) => self.params[i % len].0 = name.clone(),
            Mutation::Splice(i, at, ch) => splice(&mut self.params[i % len].1, *at, *ch),
            Mutation::PercentEncodeAll(i) => {
                let value = &mut self.params[i % len].1;
                *value = value.bytes().map(|b| format!("%{b:02X}")).collect();
            }
            Mutation::Repeat(i, times) => {
                // Capped, so that repeated repeats stay affordable.
                let value = &mut self.params[i % len].1;
                let times = (times % 4096 + 2).min(MAX_REPEATED / value.len().max(1));
                *value = value.repeat(times.max(1));
            }
            Mutation::Duplicate(i) => {
                let pair = self.params[i % len].clone();
                self.params.insert(i % len, pair);
            }
            Mutation::Drop(i) => {
                self.params.remove(i % len);
            }
            Mutation::Swap(i, j) => self.params.swap(i % len, j % len),
        }
    }
}

/// The longest value [`Mutation::Repeat`] makes.
const MAX_REPEATED: usize = 256 * 1024;

/// One structural change to a token's query parameters. Indices are taken modulo the
/// number of parameters.
#[derive(Clone, Debug)]
pub enum Mutation {
    /// Replace a parameter's raw value.
    SetValue(usize, String),
    /// Replace a parameter's name.
    SetName(usize, String),
    /// Overwrite the value from byte `at` (modulo its length) with `char`, keeping the
    /// value's byte length when the overwritten part is ASCII: a multi-byte character
    /// where a fixed-width parser expects ASCII digits.
    Splice(usize, usize, char),
    /// Percent-encode every byte of the value (`900` becomes `%39%30%30`).
    PercentEncodeAll(usize),
    /// Repeat the value 2 to 4097 times (fewer if it would grow past 256 KiB).
    Repeat(usize, usize),
    /// Insert a copy of the parameter next to it.
    Duplicate(usize),
    /// Remove the parameter.
    Drop(usize),
    /// Swap two parameters.
    Swap(usize, usize),
}

/// Replaces the characters from byte `at` (moved back to a character boundary) that take
/// up at least `ch.len_utf8()` bytes with `ch`.
pub fn splice(value: &mut String, at: usize, ch: char) {
    let mut start = at % (value.len() + 1);
    while !value.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = start;
    for c in value[start..].chars() {
        if end - start >= ch.len_utf8() {
            break;
        }
        end += c.len_utf8();
    }
    value.replace_range(start..end, ch.encode_utf8(&mut [0; 4]));
}

/// Whether every byte is printable ASCII (space to `~`).
pub fn printable_ascii(text: &str) -> bool {
    text.bytes().all(|b| (b' '..=b'~').contains(&b))
}
