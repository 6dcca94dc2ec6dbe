//! [`Held`]: one record as the derived-state rules of communities and events see it —
//! its id, its document, its author school, its time and its validated body.
//!
//! The rules take plain values rather than [`VerifiedRecord`]s so that they can be fed
//! from the store, from an import or from a test without signing anything; a record
//! whose body was purged (retracted) has nothing to contribute and yields no `Held`.

use crate::body::Body;
use crate::{RecordId, SchoolId, VerifiedRecord};

/// When a record was made, as the rules order it: (created_at, record id). Ties on
/// `created_at` are broken by id, so every node orders the same records the same way.
pub type OrderKey = (u64, RecordId);

/// One record a node holds, with its validated body.
#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    /// The record id.
    pub id: RecordId,
    /// The doc id: the first version's record id (equal to `id` for a first version).
    pub doc: RecordId,
    /// The school whose key signed it.
    pub author: SchoolId,
    /// Header `created_at`, unix milliseconds.
    pub created_at: u64,
    /// The validated body.
    pub body: Body,
}

impl Held {
    /// The record as the rules see it; `None` when its body is purged.
    pub fn from_record(record: &VerifiedRecord) -> Option<Held> {
        Some(Held {
            id: record.id(),
            doc: record.doc(),
            author: record.author(),
            created_at: record.header().created_at,
            body: record.body()?.clone(),
        })
    }

    /// Its place in time: (created_at, id).
    pub fn key(&self) -> OrderKey {
        (self.created_at, self.id)
    }
}

/// Test records: plain values, no signatures needed.
#[cfg(test)]
pub(crate) mod testing {
    use serde_json::Value;

    use super::Held;
    use crate::body::{Mode, validate};
    use crate::{Kind, RecordId, SchoolId};

    /// A day in milliseconds.
    pub(crate) const DAY_MS: u64 = 86_400_000;
    /// 2027-01-11T00:00:00Z, day 0 of the test scenes.
    pub(crate) const START_MS: u64 = 1_799_625_600_000;

    /// `day` days after [`START_MS`], plus `minute` minutes.
    pub(crate) fn at(day: u64, minute: u64) -> u64 {
        START_MS + day * DAY_MS + minute * 60_000
    }

    /// The school of test seed `seed`.
    pub(crate) fn school(seed: u8) -> SchoolId {
        SchoolId([seed; 32])
    }

    /// A record id distinct per `seed`.
    pub(crate) fn record(seed: u8) -> RecordId {
        RecordId([seed; 32])
    }

    /// A held record: first version of its own document unless `doc` is given.
    pub(crate) fn held(
        id: u8,
        doc: Option<u8>,
        author: u8,
        created_at: u64,
        kind: Kind,
        body: Value,
    ) -> Held {
        let body = match validate(kind, body.to_string().as_bytes(), Mode::Local) {
            Ok(body) => body,
            Err(errors) => panic!("{kind} refused: {errors}"),
        };
        Held {
            id: record(id),
            doc: record(doc.unwrap_or(id)),
            author: school(author),
            created_at,
            body,
        }
    }

    /// Every permutation of `items`, by Heap's algorithm, each passed to `visit`.
    pub(crate) fn permutations<T: Clone>(items: &mut [T], visit: &mut dyn FnMut(&[T])) {
        let mut counters = vec![0usize; items.len()];
        visit(items);
        let mut at = 1;
        while at < items.len() {
            if counters[at] < at {
                let other = if at % 2 == 0 { 0 } else { counters[at] };
                items.swap(other, at);
                visit(items);
                counters[at] += 1;
                at = 1;
            } else {
                counters[at] = 0;
                at += 1;
            }
        }
    }
}
