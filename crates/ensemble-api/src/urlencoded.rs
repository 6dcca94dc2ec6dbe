//! `application/x-www-form-urlencoded` both ways: decoding form bodies and query strings
//! (with repeated names, which multi-selects send), and encoding links.
//!
//! A leaf shared by the web pages (forms, links) and the typed client (search query
//! strings), so neither imports the other. It knows the wire format only; what a field
//! means and where it goes in a record body is `web::form`'s business.

/// Decoded name/value pairs, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FormData {
    pairs: Vec<(String, String)>,
}

impl FormData {
    /// Decodes `a=1&b=x+y&b=%D0%B0`. Malformed escapes are kept literally; invalid
    /// UTF-8 becomes U+FFFD.
    pub(crate) fn parse(input: &[u8]) -> FormData {
        let pairs = input
            .split(|byte| *byte == b'&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| {
                let mut parts = pair.splitn(2, |byte| *byte == b'=');
                let name = decode(parts.next().unwrap_or_default());
                let value = decode(parts.next().unwrap_or_default());
                (name, value)
            })
            .collect();
        FormData { pairs }
    }

    /// The first value of `name`, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
    }

    /// The first value of `name` as given (untrimmed), or "".
    pub(crate) fn raw(&self, name: &str) -> &str {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map_or("", |(_, value)| value.as_str())
    }

    /// Every non-blank value of `name`, trimmed, in order.
    pub(crate) fn all(&self, name: &str) -> Vec<&str> {
        self.pairs
            .iter()
            .filter(|(key, _)| key == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
            .collect()
    }

    /// Adds a pair (prefilling a form).
    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.pairs.push((name.to_string(), value.to_string()));
    }
}

fn decode(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        match bytes[index] {
            b'+' => out.push(b' '),
            b'%' if index + 2 < bytes.len() => {
                match (hex(bytes[index + 1]), hex(bytes[index + 2])) {
                    (Some(high), Some(low)) => {
                        out.push(high << 4 | low);
                        index += 2;
                    }
                    _ => out.push(b'%'),
                }
            }
            byte => out.push(byte),
        }
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex(byte: u8) -> Option<u8> {
    match byte {
        b'0'..=b'9' => Some(byte - b'0'),
        b'a'..=b'f' => Some(byte - b'a' + 10),
        b'A'..=b'F' => Some(byte - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes one query component (everything but unreserved characters).
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `a=1&b=2` from pairs, skipping empty values.
pub(crate) fn query_string<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_browsers_send() {
        let form = FormData::parse(
            "q=%D1%81%D0%BC%D1%8B%D1%81%D0%BB+%D1%87%D1%82%D0%B5%D0%BD%D0%B8%D0%B5&s=a&s=b&s=&bad=%zz%4&e=".as_bytes(),
        );
        assert_eq!(form.get("q"), Some("смысл чтение"));
        assert_eq!(form.all("s"), vec!["a", "b"]);
        assert_eq!(form.get("bad"), Some("%zz%4"));
        assert_eq!(form.get("e"), None);
        assert_eq!(form.get("missing"), None);
    }

    #[test]
    fn encodes_round_trip() {
        let text = "смысловое чтение & 5 = <b>";
        let encoded = query_string([("q", text), ("empty", ""), ("grade", "5")]);
        assert!(!encoded.contains("empty"));
        let decoded = FormData::parse(encoded.as_bytes());
        assert_eq!(decoded.get("q"), Some(text));
        assert_eq!(decoded.get("grade"), Some("5"));
    }
}
