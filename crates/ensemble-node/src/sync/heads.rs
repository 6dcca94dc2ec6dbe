//! A scope's heads, read from the store, and their conversion to and from the wire.
//! The asking and the answering side compute their digests over exactly this, so the
//! digest shortcut holds only if both use this one function.

use std::collections::{BTreeMap, BTreeSet};

use ensemble_core::sync::{Head, PullRange};
use ensemble_core::{RecordId, SchoolId};
use ensemble_net::sync_wire;
use ensemble_store::View;
use serde_bytes::ByteArray;

/// A replication scope: the networks replicated and the schools followed.
pub(super) struct Scope {
    /// Network ids.
    pub networks: Vec<String>,
    /// Followed schools (any network).
    pub follows: Vec<SchoolId>,
}

/// The heads of every author in `scope` that has a contiguous head or fork evidence,
/// with the head record's id and the fork positions.
pub(super) fn heads_in_scope(
    store: &View,
    scope: &Scope,
) -> Result<BTreeMap<SchoolId, Head>, ensemble_store::Error> {
    let mut authors: BTreeSet<SchoolId> = scope.follows.iter().copied().collect();
    for network in &scope.networks {
        authors.extend(store.authors_in(network)?);
    }
    let mut forks = store.fork_positions()?;
    let mut heads = BTreeMap::new();
    for author in authors {
        let seq = store.head(&author)?;
        let forks = forks.remove(&author).unwrap_or_default();
        if seq == 0 && forks.is_empty() {
            continue;
        }
        // The lowest id at the head position: a forked head names the same record on
        // both sides whatever order the branches arrived in.
        let id = if seq == 0 {
            None
        } else {
            store.ids_at(&author, seq)?.first().copied()
        };
        heads.insert(author, Head { seq, id, forks });
    }
    Ok(heads)
}

/// A head as the wire carries it.
pub(super) fn to_wire(author: &SchoolId, head: Head) -> sync_wire::Head {
    sync_wire::Head {
        author: ByteArray::new(*author.as_bytes()),
        seq: head.seq,
        forks: head.forks,
        id: head.id.map(|id| ByteArray::new(*id.as_bytes())),
    }
}

/// A head from the wire.
pub(super) fn from_wire(head: sync_wire::Head) -> (SchoolId, Head) {
    (
        SchoolId(*head.author),
        Head {
            seq: head.seq,
            id: head.id.map(|id| RecordId(*id)),
            forks: head.forks,
        },
    )
}

/// A pull range as the wire carries it.
pub(super) fn range_to_wire(range: &PullRange) -> sync_wire::PullRange {
    sync_wire::PullRange {
        author: ByteArray::new(*range.author.as_bytes()),
        from_seq: range.from_seq,
        to_seq: range.to_seq,
    }
}

#[cfg(test)]
mod tests {
    use ensemble_core::{Draft, Kind, SchoolKey};
    use ensemble_store::Store;

    use super::*;

    fn profile(network: &str) -> Draft {
        Draft {
            network: network.into(),
            kind: Kind::SchoolProfile,
            doc: None,
            body: br#"{"name":{"en":"School One"},"region":"ru-tat","roles":["school"]}"#.to_vec(),
        }
    }

    #[test]
    fn heads_cover_the_scope_and_nothing_else() {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        let inside = SchoolKey::from_seed([1; 32]);
        let followed = SchoolKey::from_seed([2; 32]);
        let outside = SchoolKey::from_seed([3; 32]);
        store
            .append(&inside, profile("net"), 1, 0)
            .expect("appends");
        store
            .append(&inside, profile("net"), 2, 0)
            .expect("appends");
        store
            .append(&followed, profile("other"), 1, 0)
            .expect("appends");
        store
            .append(&outside, profile("other"), 1, 0)
            .expect("appends");
        let scope = Scope {
            networks: vec!["net".into()],
            follows: vec![followed.school_id()],
        };
        let heads = heads_in_scope(&store, &scope).expect("reads");
        let seqs: Vec<(SchoolId, u64)> = heads
            .iter()
            .map(|(author, head)| (*author, head.seq))
            .collect();
        let mut expected = vec![(inside.school_id(), 2), (followed.school_id(), 1)];
        expected.sort();
        assert_eq!(seqs, expected);
        let id = store.ids_at(&inside.school_id(), 2).expect("reads")[0];
        assert_eq!(heads[&inside.school_id()].id, Some(id));
    }

    #[test]
    fn wire_round_trip_keeps_every_field() {
        let head = Head {
            seq: 7,
            id: Some(RecordId([9; 32])),
            forks: vec![3, 5],
        };
        let author = SchoolId([4; 32]);
        assert_eq!(from_wire(to_wire(&author, head.clone())), (author, head));
    }
}
