//! Every bound the record format enforces, in one place.
//!
//! These are part of the protocol: every node must apply the same numbers, so they
//! live in core and are referenced by the store, the network and the API alike.

/// The record format version this build writes and fully understands.
pub const FORMAT_VERSION: u8 = 1;

/// Maximum encoded header size. A v1 header is at most ~250 bytes; the slack leaves
/// room for later optional fields without a format break.
pub const MAX_HEADER_BYTES: usize = 512;

/// Maximum body size. Catalog metadata is small; files are referenced by hash.
pub const MAX_BODY_BYTES: usize = 48 * 1024;

/// Maximum size of a whole wire record (header, signature, body and framing).
/// Equals the gossipsub `max_transmit_size` every node uses.
pub const MAX_WIRE_BYTES: usize = 64 * 1024;

/// How far in the future a record's `created_at` may be, against the local clock.
pub const MAX_CLOCK_SKEW_MS: u64 = 10 * 60 * 1000;

/// Maximum length of a network id (a lowercase slug such as `ru-tat`).
pub const MAX_NETWORK_ID_BYTES: usize = 64;

/// Titles: minimum and maximum length in characters.
pub const TITLE_MIN_CHARS: usize = 3;
/// Titles: maximum length in characters.
pub const TITLE_MAX_CHARS: usize = 160;
/// Summaries: maximum length in characters.
pub const SUMMARY_MAX_CHARS: usize = 1_000;
/// Any other human text: maximum length in characters.
pub const TEXT_MAX_CHARS: usize = 4_000;
/// Lists: maximum number of items unless a field says otherwise.
pub const LIST_MAX_ITEMS: usize = 32;
/// Vocabulary codes and other short identifiers: maximum length in bytes.
pub const CODE_MAX_BYTES: usize = 64;
/// Short plain strings (names, roles, indicators, URLs): maximum length in characters.
pub const SHORT_TEXT_MAX_CHARS: usize = 300;
