//! The one scrubber every server-provided text passes before it is printed: error bodies, server
//! messages, field values quoted in errors, `-v`/`-vv` log lines, retry lines.
//!
//! Two kinds of secrets are known to it:
//! - **credentials** (the token, `Bearer <token>`, the access id and key, `id:key` and its
//!   base64), replaced in place by [`MASK`] wherever a form of them appears;
//! - **sensitive values** (the values of `sensitive_fields`), which withhold the whole text
//!   ([`WITHHELD`]) when any form of them appears: replacing only a short value would still reveal
//!   it, by where it was missing.
//!
//! A server or proxy may echo a secret in another form than it was sent, so a text is searched in
//! several views at once, each mapped back to the original bytes: as written; JSON-decoded
//! (`\u00c9`, `\u00E9`, surrogate pairs, `\/`, `\"`, `\n`...); URL-decoded (`%C3%89`, `%c3%a9`,
//! space as `+` or `%20`); HTML-decoded (`&quot;`, `&#233;`); and these one inside the other
//! (URL-encoded JSON, JSON holding a URL-encoded query). Every view is compared after Unicode case
//! folding (`É`/`é`, `ß`/`SS`) and with `\r\n` read as `\n`, on characters, so that a folding that
//! changes byte lengths still maps to the right original bytes. Overlapping and nested secrets are
//! masked as the union of their matches, which is what masking the longest first gives.
//!
//! [`register_credential`] and [`register_sensitive`] fill one process-wide registry that
//! [`server_text`] applies; [`Scrubber`] holds an explicit set, for tests and for callers that
//! keep their own. This is a foundation module: it imports nothing from the rest of soarform.

use std::borrow::Cow;
use std::sync::RwLock;

/// What replaces a server message that mentions a sensitive value.
pub const WITHHELD: &str = "(the server's message is withheld: it mentions a sensitive value)";

/// What replaces a credential inside a text.
pub(crate) const MASK: &str = "***";

/// Texts longer than this are searched as written and through one decoding only, not through
/// decodings nested in each other, so that scrubbing stays cheap on very long answers.
const NESTED_DECODING_LIMIT: usize = 256 * 1024;

static REGISTRY: RwLock<Scrubber> = RwLock::new(Scrubber::new());

/// Registers a credential of this process: from now on [`server_text`] replaces every form of it
/// by [`MASK`]. Empty values are ignored.
pub(crate) fn register_credential(secret: &str) {
    let mut registry = REGISTRY
        .write()
        .unwrap_or_else(|poison| poison.into_inner());
    registry.add_credential(secret);
}

/// Registers a sensitive value: from now on [`server_text`] withholds every text that holds any
/// form of it. Empty values are ignored.
pub(crate) fn register_sensitive(value: &str) {
    let mut registry = REGISTRY
        .write()
        .unwrap_or_else(|poison| poison.into_inner());
    registry.add_sensitive(value);
}

/// `text` scrubbed with every registered secret: [`WITHHELD`] when it mentions a sensitive
/// value, else with each credential replaced by [`MASK`].
pub(crate) fn server_text(text: &str) -> String {
    let registry = REGISTRY.read().unwrap_or_else(|poison| poison.into_inner());
    registry.scrub(text).into_owned()
}

/// `text` with the registered credentials replaced by [`MASK`], sensitive values left to the
/// caller: for soarform's own wording, which names values on purpose but never a credential.
pub(crate) fn credentials_in(text: &str) -> String {
    let registry = REGISTRY.read().unwrap_or_else(|poison| poison.into_inner());
    registry.mask_credentials(text).into_owned()
}

/// Whether `text` mentions a registered sensitive value in any form.
pub(crate) fn mentions_sensitive(text: &str) -> bool {
    let registry = REGISTRY.read().unwrap_or_else(|poison| poison.into_inner());
    registry.mentions_sensitive(text)
}

/// A set of credentials and sensitive values, and the scrubbing of texts with them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scrubber {
    /// Case-folded credentials, longest first.
    credentials: Vec<String>,
    /// Case-folded sensitive values, longest first.
    sensitive: Vec<String>,
}

impl Scrubber {
    /// An empty set.
    pub(crate) const fn new() -> Self {
        Scrubber {
            credentials: Vec::new(),
            sensitive: Vec::new(),
        }
    }

    /// Adds a credential, replaced in place by [`MASK`]. Empty values are ignored.
    pub(crate) fn add_credential(&mut self, secret: &str) {
        add(&mut self.credentials, secret);
    }

    /// Adds a sensitive value, whose mention withholds a text whole. Empty values are ignored.
    pub(crate) fn add_sensitive(&mut self, value: &str) {
        add(&mut self.sensitive, value);
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.credentials.is_empty() && self.sensitive.is_empty()
    }

    /// [`WITHHELD`] when `text` mentions a sensitive value in any form; else `text` with every
    /// form of every credential replaced by [`MASK`] (borrowed when there was none).
    pub(crate) fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.is_empty() {
            return Cow::Borrowed(text);
        }
        let views = Views::of(text);
        if views.contain_any(&self.sensitive) {
            return Cow::Owned(WITHHELD.to_string());
        }
        mask(text, &views, &self.credentials)
    }

    /// Whether `text` mentions a sensitive value in any form.
    pub(crate) fn mentions_sensitive(&self, text: &str) -> bool {
        !self.sensitive.is_empty() && Views::of(text).contain_any(&self.sensitive)
    }

    /// `text` with every form of every credential replaced by [`MASK`]; sensitive values are not
    /// looked for.
    pub(crate) fn mask_credentials<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.credentials.is_empty() {
            return Cow::Borrowed(text);
        }
        mask(text, &Views::of(text), &self.credentials)
    }
}

/// Adds the case-folded, trimmed `secret` to `set`, keeping it sorted longest first. Surrounding
/// whitespace is dropped because a text holding the value holds it without them too (a server
/// may trim an echoed value).
fn add(set: &mut Vec<String>, secret: &str) {
    let folded = fold_str(secret.trim());
    if folded.is_empty() || set.contains(&folded) {
        return;
    }
    set.push(folded);
    set.sort_by(|left, right| right.len().cmp(&left.len()).then(left.cmp(right)));
}

/// Replaces the union of every match of `needles` in any view by [`MASK`]. Masking can join text
/// around a secret into another one; a few passes settle that.
fn mask<'a>(text: &'a str, views: &Views, needles: &[String]) -> Cow<'a, str> {
    let mut spans = views.matches(needles);
    if spans.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut current = replace_spans(text, &mut spans);
    for _ in 0..3 {
        let mut again = Views::of(&current).matches(needles);
        if again.is_empty() {
            break;
        }
        current = replace_spans(&current, &mut again);
    }
    Cow::Owned(current)
}

/// `text` with the union of `spans` (byte ranges on character boundaries) replaced by [`MASK`].
fn replace_spans(text: &str, spans: &mut [(usize, usize)]) -> String {
    spans.sort_unstable();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut index = 0;
    while index < spans.len() {
        let (start, mut end) = spans[index];
        index += 1;
        while index < spans.len() && spans[index].0 <= end {
            end = end.max(spans[index].1);
            index += 1;
        }
        if start >= copied {
            out.push_str(&text[copied..start]);
            out.push_str(MASK);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// One character of a view and the bytes of the original text it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Spanned {
    character: char,
    start: usize,
    end: usize,
}

/// A view folded for comparison: its text, and for each of its characters (by byte offset in
/// `text`) the original bytes.
#[derive(Debug)]
struct Folded {
    text: String,
    /// `(offset in text, original start, original end)`, one per character of `text`.
    origins: Vec<(usize, usize, usize)>,
}

/// Every view of a text, folded.
#[derive(Debug)]
struct Views {
    folded: Vec<Folded>,
}

/// A decoding that turns one view into another.
type Decoding = fn(&[Spanned]) -> Option<Vec<Spanned>>;

const DECODINGS: [Decoding; 4] = [
    json_decoded,
    url_decoded_plus_as_space,
    url_decoded,
    html_decoded,
];

impl Views {
    fn of(text: &str) -> Views {
        let raw: Vec<Spanned> = text
            .char_indices()
            .map(|(start, character)| Spanned {
                character,
                start,
                end: start + character.len_utf8(),
            })
            .collect();
        let depth = if text.len() > NESTED_DECODING_LIMIT {
            1
        } else {
            2
        };
        let mut views = vec![raw];
        let mut frontier = vec![0];
        for _ in 0..depth {
            let mut next = Vec::new();
            for &index in &frontier {
                for decode in DECODINGS {
                    let Some(decoded) = decode(&views[index]) else {
                        continue;
                    };
                    let same = |view: &Vec<Spanned>| {
                        view.len() == decoded.len()
                            && view
                                .iter()
                                .zip(&decoded)
                                .all(|(left, right)| left.character == right.character)
                    };
                    if !views.iter().any(same) {
                        views.push(decoded);
                        next.push(views.len() - 1);
                    }
                }
            }
            frontier = next;
        }
        Views {
            folded: views.iter().map(|view| fold(view)).collect(),
        }
    }

    fn contain_any(&self, needles: &[String]) -> bool {
        needles.iter().any(|needle| {
            self.folded
                .iter()
                .any(|folded| folded.text.contains(needle.as_str()))
        })
    }

    /// The original byte spans of every (possibly overlapping) match of `needles` in any view.
    fn matches(&self, needles: &[String]) -> Vec<(usize, usize)> {
        let mut spans = Vec::new();
        for folded in &self.folded {
            for needle in needles {
                let mut from = 0;
                while let Some(found) = folded.text[from..].find(needle.as_str()) {
                    let start = from + found;
                    let end = start + needle.len();
                    spans.push(folded.original(start, end));
                    // The next match may overlap this one: look again one character further.
                    from = start
                        + folded.text[start..]
                            .chars()
                            .next()
                            .map_or(1, char::len_utf8);
                }
            }
        }
        spans
    }
}

impl Folded {
    /// The original bytes of the folded bytes `start..end` (both on character boundaries).
    fn original(&self, start: usize, end: usize) -> (usize, usize) {
        let first = self.origins.partition_point(|origin| origin.0 < start);
        let last = self.origins.partition_point(|origin| origin.0 < end) - 1;
        let original_start = self.origins[first].1;
        let original_end = self.origins[last].2;
        (original_start, original_end.max(original_start))
    }
}

/// Case folding as comparison needs it: upper then lower case, so that `ß` and `SS` meet, and
/// `\r\n` as `\n`.
fn fold(view: &[Spanned]) -> Folded {
    let mut text = String::with_capacity(view.len());
    let mut origins = Vec::with_capacity(view.len());
    let mut index = 0;
    while index < view.len() {
        let Spanned {
            character,
            mut start,
            end,
        } = view[index];
        index += 1;
        if character == '\r' && view.get(index).is_some_and(|next| next.character == '\n') {
            continue;
        }
        if character == '\n' && index >= 2 && view[index - 2].character == '\r' {
            start = view[index - 2].start;
        }
        for folded in fold_char(character) {
            origins.push((text.len(), start, end));
            text.push(folded);
        }
    }
    Folded { text, origins }
}

fn fold_char(character: char) -> impl Iterator<Item = char> {
    character.to_uppercase().flat_map(char::to_lowercase)
}

fn fold_str(text: &str) -> String {
    let view: Vec<Spanned> = text
        .char_indices()
        .map(|(start, character)| Spanned {
            character,
            start,
            end: start + character.len_utf8(),
        })
        .collect();
    fold(&view).text
}

/// JSON string escapes decoded: `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX` in either
/// case with surrogate pairs, and JavaScript's `\u{X...}`. `None` when there is no backslash.
fn json_decoded(view: &[Spanned]) -> Option<Vec<Spanned>> {
    if !view.iter().any(|spanned| spanned.character == '\\') {
        return None;
    }
    let at = |index: usize| view.get(index).map(|spanned| spanned.character);
    let hex4 = |index: usize| -> Option<u32> {
        let digits: String = (index..index + 4).map_while(at).collect();
        if digits.len() == 4 && digits.chars().all(|digit| digit.is_ascii_hexdigit()) {
            u32::from_str_radix(&digits, 16).ok()
        } else {
            None
        }
    };
    let mut out = Vec::with_capacity(view.len());
    let mut index = 0;
    while index < view.len() {
        let current = view[index];
        if current.character != '\\' {
            out.push(current);
            index += 1;
            continue;
        }
        let simple = match at(index + 1) {
            Some('"') => Some('"'),
            Some('\\') => Some('\\'),
            Some('/') => Some('/'),
            Some('b') => Some('\u{8}'),
            Some('f') => Some('\u{c}'),
            Some('n') => Some('\n'),
            Some('r') => Some('\r'),
            Some('t') => Some('\t'),
            _ => None,
        };
        if let Some(character) = simple {
            out.push(Spanned {
                character,
                start: current.start,
                end: view[index + 1].end,
            });
            index += 2;
            continue;
        }
        if at(index + 1) == Some('u') {
            if let Some((character, length)) = unicode_escape(view, index, &at, &hex4) {
                out.push(Spanned {
                    character,
                    start: current.start,
                    end: view[index + length - 1].end,
                });
                index += length;
                continue;
            }
        }
        out.push(current);
        index += 1;
    }
    Some(out)
}

/// The character of the `\u` escape at `index` and how many characters of the view it takes.
fn unicode_escape(
    view: &[Spanned],
    index: usize,
    at: &impl Fn(usize) -> Option<char>,
    hex4: &impl Fn(usize) -> Option<u32>,
) -> Option<(char, usize)> {
    if at(index + 2) == Some('{') {
        let digits: String = (index + 3..view.len().min(index + 10))
            .map_while(|position| at(position).filter(char::is_ascii_hexdigit))
            .collect();
        if !digits.is_empty() && at(index + 3 + digits.len()) == Some('}') {
            let character = u32::from_str_radix(&digits, 16)
                .ok()
                .and_then(char::from_u32)?;
            return Some((character, digits.len() + 4));
        }
        return None;
    }
    let unit = hex4(index + 2)?;
    if (0xd800..0xdc00).contains(&unit) {
        let low = (at(index + 6) == Some('\\') && at(index + 7) == Some('u'))
            .then(|| hex4(index + 8))
            .flatten()
            .filter(|low| (0xdc00..0xe000).contains(low))?;
        let character = char::from_u32(0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00))?;
        return Some((character, 12));
    }
    Some((char::from_u32(unit)?, 6))
}

fn url_decoded_plus_as_space(view: &[Spanned]) -> Option<Vec<Spanned>> {
    url_decode(view, true)
}

fn url_decoded(view: &[Spanned]) -> Option<Vec<Spanned>> {
    url_decode(view, false)
}

/// Percent-encoding decoded (`%XX` in either case, runs of them as UTF-8), and `+` as a space when
/// `plus_is_space`. `None` when there is nothing to decode.
fn url_decode(view: &[Spanned], plus_is_space: bool) -> Option<Vec<Spanned>> {
    let hex = |index: usize| -> Option<u8> {
        let high = view.get(index)?.character.to_digit(16)?;
        let low = view.get(index + 1)?.character.to_digit(16)?;
        u8::try_from(high * 16 + low).ok()
    };
    let escaped = |index: usize| view[index].character == '%' && hex(index + 1).is_some();
    let triggers = (0..view.len())
        .any(|index| escaped(index) || (plus_is_space && view[index].character == '+'));
    if !triggers {
        return None;
    }
    let mut out = Vec::with_capacity(view.len());
    let mut index = 0;
    while index < view.len() {
        if plus_is_space && view[index].character == '+' {
            out.push(Spanned {
                character: ' ',
                ..view[index]
            });
            index += 1;
            continue;
        }
        if !escaped(index) {
            out.push(view[index]);
            index += 1;
            continue;
        }
        // A run of escapes: the bytes of one or more UTF-8 characters.
        let run_start = index;
        let mut bytes = Vec::new();
        while index < view.len() && escaped(index) {
            bytes.push(hex(index + 1).unwrap_or_default());
            index += 3;
        }
        let mut byte = 0;
        while byte < bytes.len() {
            let length = match bytes[byte] {
                0x00..=0x7f => 1,
                0xc0..=0xdf => 2,
                0xe0..=0xef => 3,
                0xf0..=0xf7 => 4,
                _ => 0,
            };
            let decoded = (length > 0 && byte + length <= bytes.len())
                .then(|| std::str::from_utf8(&bytes[byte..byte + length]).ok())
                .flatten()
                .and_then(|text| text.chars().next());
            match decoded {
                Some(character) => {
                    out.push(Spanned {
                        character,
                        start: view[run_start + 3 * byte].start,
                        end: view[run_start + 3 * (byte + length) - 1].end,
                    });
                    byte += length;
                }
                None => {
                    // Not UTF-8: the escape stays as written.
                    out.extend_from_slice(&view[run_start + 3 * byte..run_start + 3 * byte + 3]);
                    byte += 1;
                }
            }
        }
    }
    Some(out)
}

/// HTML character references decoded: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#NNN;` and
/// `&#xHH;`. `None` when there is no `&`.
fn html_decoded(view: &[Spanned]) -> Option<Vec<Spanned>> {
    if !view.iter().any(|spanned| spanned.character == '&') {
        return None;
    }
    let mut out = Vec::with_capacity(view.len());
    let mut index = 0;
    while index < view.len() {
        let current = view[index];
        if current.character == '&' {
            let name: String = view[index + 1..view.len().min(index + 12)]
                .iter()
                .map(|spanned| spanned.character)
                .take_while(|character| *character != ';')
                .collect();
            let closed = view
                .get(index + 1 + name.chars().count())
                .is_some_and(|spanned| spanned.character == ';');
            let character = match name.as_str() {
                _ if !closed => None,
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                number => number
                    .strip_prefix("#x")
                    .or_else(|| number.strip_prefix("#X"))
                    .map(|hex| u32::from_str_radix(hex, 16))
                    .or_else(|| number.strip_prefix('#').map(str::parse::<u32>))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            if let Some(character) = character {
                let length = name.chars().count() + 2;
                out.push(Spanned {
                    character,
                    start: current.start,
                    end: view[index + length - 1].end,
                });
                index += length;
                continue;
            }
        }
        out.push(current);
        index += 1;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "tok-AbC/123+xyz";
    const SECRET: &str = "Café Crème/€ ß";

    fn scrubber() -> Scrubber {
        let mut scrubber = Scrubber::new();
        scrubber.add_credential(TOKEN);
        scrubber.add_credential(&format!("Bearer {TOKEN}"));
        scrubber.add_sensitive(SECRET);
        scrubber
    }

    /// Every `\uXXXX`, in the given hex case, for each character `escape` picks.
    fn unicode_escaped(text: &str, upper: bool, escape: impl Fn(char) -> bool) -> String {
        let mut out = String::new();
        for character in text.chars() {
            if !escape(character) {
                out.push(character);
                continue;
            }
            let mut units = [0u16; 2];
            for unit in character.encode_utf16(&mut units) {
                if upper {
                    out.push_str(&format!("\\u{unit:04X}"));
                } else {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
        out
    }

    /// Percent-encoding of reserved and non-ASCII bytes, in the given hex case.
    fn percent_encoded(text: &str, upper: bool, space: &str) -> String {
        let mut out = String::new();
        for byte in text.bytes() {
            match byte {
                b' ' => out.push_str(space),
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    out.push(char::from(byte));
                }
                _ if upper => out.push_str(&format!("%{byte:02X}")),
                _ => out.push_str(&format!("%{byte:02x}")),
            }
        }
        out
    }

    /// Each form a server may echo `secret` in.
    fn forms(secret: &str) -> Vec<(String, String)> {
        let json = serde_json::to_string(secret).unwrap_or_default();
        let json = json[1..json.len() - 1].to_string();
        let mut forms = vec![
            ("raw".to_string(), secret.to_string()),
            ("serde_json".to_string(), json.clone()),
            ("`\\/` for `/`".to_string(), json.replace('/', "\\/")),
            ("lower case".to_string(), secret.to_lowercase()),
            ("upper case".to_string(), secret.to_uppercase()),
            (
                "URL-encoded lower case".to_string(),
                percent_encoded(&secret.to_lowercase(), true, "+"),
            ),
            (
                "JSON-escaped upper case".to_string(),
                unicode_escaped(&secret.to_uppercase(), false, |c| !c.is_ascii()),
            ),
            (
                "URL-encoded JSON".to_string(),
                percent_encoded(&format!("{{\"value\":\"{json}\"}}"), true, "%20"),
            ),
            (
                "HTML".to_string(),
                secret
                    .chars()
                    .map(|c| format!("&#{};", u32::from(c)))
                    .collect(),
            ),
        ];
        for upper in [true, false] {
            let case = if upper { "upper" } else { "lower" };
            forms.push((
                format!("non-ASCII as \\uXXXX, {case}-case hex"),
                unicode_escaped(secret, upper, |c| !c.is_ascii()),
            ));
            forms.push((
                format!("every character as \\uXXXX, {case}-case hex"),
                unicode_escaped(secret, upper, |_| true),
            ));
            for space in ["+", "%20"] {
                forms.push((
                    format!("URL-encoded, {case}-case hex, space as {space}"),
                    percent_encoded(secret, upper, space),
                ));
            }
        }
        forms
    }

    #[test]
    fn credentials_are_masked_in_place_in_every_form() {
        let scrubber = scrubber();
        // The same token as a sensitive value finds any form left over.
        let mut leftover = Scrubber::new();
        leftover.add_sensitive(TOKEN);
        for (form, echoed) in forms(TOKEN) {
            let text = format!("401: invalid header \"{echoed}\" (check it)");
            let scrubbed = scrubber.scrub(&text);
            assert!(
                !leftover.mentions_sensitive(&scrubbed),
                "{form}: {scrubbed}"
            );
            if form == "URL-encoded JSON" {
                assert_eq!(
                    scrubbed, "401: invalid header \"%7B%22value%22%3A%22***%22%7D\" (check it)",
                    "{form}"
                );
            } else {
                assert_eq!(
                    scrubbed, "401: invalid header \"***\" (check it)",
                    "{form}: {text}"
                );
            }
        }
    }

    #[test]
    fn sensitive_values_withhold_the_text_in_every_form() {
        let scrubber = scrubber();
        for (form, echoed) in forms(SECRET) {
            let text = format!("bad value {echoed} for opt_2");
            assert!(scrubber.mentions_sensitive(&text), "{form}: {text}");
            assert_eq!(scrubber.scrub(&text), WITHHELD, "{form}: {text}");
        }
        assert!(!scrubber.mentions_sensitive("bad value Cafe Creme"));
        assert_eq!(scrubber.scrub("bad value"), "bad value");
    }

    #[test]
    fn case_folding_that_changes_lengths_maps_to_the_right_bytes() {
        let mut scrubber = Scrubber::new();
        // `İ` lower-cases to two characters, `ß` upper-cases to two; `ﬃ` folds to three.
        scrubber.add_credential("key-ß-İ-ﬃ");
        assert_eq!(
            scrubber.scrub("İİ before KEY-SS-i\u{307}-FFI after ßß"),
            "İİ before *** after ßß"
        );
        assert_eq!(
            scrubber.scrub("x key-ß-İ-ﬃ y \\u00DF key-\\u00df-\\u0130-\\ufb03!"),
            "x *** y \\u00DF ***!"
        );
    }

    #[test]
    fn overlapping_and_nested_credentials_are_masked_whole() {
        let mut scrubber = Scrubber::new();
        scrubber.add_credential("abcd");
        scrubber.add_credential("cdef");
        scrubber.add_credential("Bearer abcd");
        assert_eq!(scrubber.scrub("[abcdef]"), "[***]");
        assert_eq!(
            scrubber.scrub("Authorization: Bearer abcd."),
            "Authorization: ***."
        );
        assert_eq!(scrubber.scrub("abcdabcd and abcabcd"), "*** and abc***");
        assert_eq!(scrubber.scrub("ab cdef"), "ab ***");
        // Masking joins `ab` and `cd` around a credential into another one: masked too.
        let mut scrubber = Scrubber::new();
        scrubber.add_credential("XY");
        scrubber.add_credential("ab***cd");
        assert_eq!(scrubber.scrub("<abXYcd>"), "<***>");
    }

    #[test]
    fn mixed_and_partial_escapes_are_mapped_back() {
        let mut scrubber = Scrubber::new();
        scrubber.add_credential("é/é");
        // One character escaped, the other not; the mask covers exactly the escapes.
        assert_eq!(scrubber.scrub("a \\u00e9\\/é b"), "a *** b");
        // URL-encoded JSON, decoded one inside the other.
        assert_eq!(scrubber.scrub("a %C3%A9%2f\\u00c9 b"), "a *** b");
        assert_eq!(scrubber.scrub("a %C3%A9%2F%C3%89 b"), "a *** b");
        // Surrogate pairs and invalid escapes.
        scrubber.add_credential("🎉x");
        assert_eq!(
            scrubber.scrub("\\ud83c\\udf89X \\ud83c %ff %C3"),
            "*** \\ud83c %ff %C3"
        );
        // CRLF echoed for LF.
        scrubber.add_credential("line\nnext");
        assert_eq!(scrubber.scrub("[line\r\nnext]"), "[***]");
    }

    #[test]
    fn empty_secrets_are_ignored_and_nothing_is_borrowed_needlessly() {
        let mut scrubber = Scrubber::new();
        scrubber.add_credential("");
        scrubber.add_sensitive("   ");
        assert!(scrubber.is_empty());
        assert!(matches!(scrubber.scrub("any text"), Cow::Borrowed(_)));
        scrubber.add_credential("tok");
        assert!(matches!(scrubber.scrub("other text"), Cow::Borrowed(_)));
    }

    #[test]
    fn short_sensitive_values_withhold_too() {
        let mut scrubber = Scrubber::new();
        scrubber.add_sensitive("3");
        assert_eq!(scrubber.scrub("value 3 is not allowed"), WITHHELD);
        assert_eq!(scrubber.scrub("value %33 is not allowed"), WITHHELD);
        assert_eq!(scrubber.scrub("no number here"), "no number here");
    }

    #[test]
    fn sensitive_and_credentials_apart() {
        let scrubber = scrubber();
        let text = format!("{TOKEN} / {SECRET}");
        assert_eq!(scrubber.mask_credentials(&text), format!("*** / {SECRET}"));
        assert_eq!(scrubber.scrub(&text), WITHHELD);
    }

    #[test]
    fn the_registry_scrubs_credentials_and_withholds_sensitive_text() {
        // Values unique to this test: the registry is shared by the whole test process.
        register_credential("registry-token-7b1f");
        register_sensitive("registry-sensitive-55aa");
        assert_eq!(
            server_text("a REGISTRY-TOKEN-7B1F b"),
            "a *** b".to_string()
        );
        assert_eq!(server_text("x registry%2Dsensitive%2D55aa"), WITHHELD);
        assert_eq!(
            credentials_in("registry-token-7b1f registry-sensitive-55aa"),
            "*** registry-sensitive-55aa"
        );
        assert!(mentions_sensitive("REGISTRY-SENSITIVE-55AA"));
    }
}
