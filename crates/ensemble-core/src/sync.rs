//! The pure half of catch-up sync: the digest of a node's heads and the plan of what to
//! pull from a peer given both sides' heads.
//!
//! The node computes its heads from the store and exchanges them over the network; this
//! module decides, with no I/O, whether two head sets are equal (by digest) and which
//! ranges of which logs the asking side is missing. Keeping the decision here lets it be
//! tested without sockets: gaps, forks neither side has seen, equal heads, unknown
//! authors and blocked authors are all table cases below.

use std::collections::BTreeMap;

use crate::{RecordId, SchoolId};

/// Fork positions of one author taken from a peer's head in one round. A peer can list
/// many positions; pulling a bounded number per round keeps a lying peer from making a
/// round arbitrarily long, and the next round picks up the rest.
pub const MAX_FORK_PULLS_PER_AUTHOR: usize = 64;

/// One author's head as a node reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// Highest seq held with every lower seq also held (0: none).
    pub seq: u64,
    /// Id of the record at `seq` (the lowest when there are several).
    pub id: Option<RecordId>,
    /// Log positions with fork evidence (two records at one seq).
    pub forks: Vec<u64>,
}

/// A range of one author's log to pull, inclusive on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullRange {
    /// The author.
    pub author: SchoolId,
    /// First seq wanted.
    pub from_seq: u64,
    /// Last seq wanted.
    pub to_seq: u64,
}

/// BLAKE3 over sorted heads (author, seq, head id, fork positions): equal digests mean
/// equal heads, so an in-sync check is one small round trip whatever the record count.
pub fn digest(heads: &BTreeMap<SchoolId, Head>) -> [u8; 32] {
    let mut hasher = blake3::Hasher::new();
    for (author, head) in heads {
        hasher.update(author.as_bytes());
        hasher.update(&head.seq.to_be_bytes());
        hasher.update(head.id.as_ref().map_or(&[0u8; 32], |id| id.as_bytes()));
        hasher.update(&(head.forks.len() as u64).to_be_bytes());
        for seq in &head.forks {
            hasher.update(&seq.to_be_bytes());
        }
    }
    *hasher.finalize().as_bytes()
}

/// What the asking side is missing of `theirs`, given `ours`: for each author the peer
/// holds beyond our head, the range up to its head; a single position where both heads
/// are equal in length but name different records (a fork neither side has evidence of
/// yet); and the peer's fork positions at or below our head that we have no evidence
/// of, at most [`MAX_FORK_PULLS_PER_AUTHOR`] per author. Authors for which `skip`
/// answers true (blocked) are left out. The ranges come in the peer's author order.
pub fn plan(
    ours: &BTreeMap<SchoolId, Head>,
    theirs: &[(SchoolId, Head)],
    skip: impl Fn(&SchoolId) -> bool,
) -> Vec<PullRange> {
    let mut wanted = Vec::new();
    for (author, head) in theirs {
        if skip(author) {
            continue;
        }
        let ours = ours.get(author);
        let our_seq = ours.map_or(0, |head| head.seq);
        let single = |seq: u64| PullRange {
            author: *author,
            from_seq: seq,
            to_seq: seq,
        };
        let diverged = head.seq == our_seq
            && head.seq > 0
            && head.id.is_some()
            && ours.and_then(|ours| ours.id) != head.id;
        if diverged {
            // Same length, different record at the head: pulling that position stores
            // the other branch, which is the fork evidence.
            wanted.push(single(head.seq));
        }
        if head.seq > our_seq {
            wanted.push(PullRange {
                author: *author,
                from_seq: our_seq + 1,
                to_seq: head.seq,
            });
        }
        let known: &[u64] = ours.map_or(&[], |head| head.forks.as_slice());
        wanted.extend(
            head.forks
                .iter()
                .filter(|seq| !known.contains(seq))
                .take(MAX_FORK_PULLS_PER_AUTHOR)
                .filter(|seq| **seq <= our_seq)
                .map(|seq| single(*seq)),
        );
    }
    wanted
}

/// What is left of `ranges` after a page was cut short, given each author's head now:
/// every range continues from its author's new head, including ranges the page never
/// reached; ranges already covered are dropped.
pub fn remaining(ranges: &[PullRange], head_now: impl Fn(&SchoolId) -> u64) -> Vec<PullRange> {
    ranges
        .iter()
        .filter_map(|range| {
            let head = head_now(&range.author);
            (head < range.to_seq).then(|| PullRange {
                author: range.author,
                from_seq: (head + 1).max(range.from_seq),
                to_seq: range.to_seq,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn school(byte: u8) -> SchoolId {
        SchoolId([byte; 32])
    }

    fn id(byte: u8) -> Option<RecordId> {
        Some(RecordId([byte; 32]))
    }

    fn head(seq: u64, id_byte: u8, forks: &[u64]) -> Head {
        Head {
            seq,
            id: if seq == 0 { None } else { id(id_byte) },
            forks: forks.to_vec(),
        }
    }

    fn range(author: u8, from_seq: u64, to_seq: u64) -> PullRange {
        PullRange {
            author: school(author),
            from_seq,
            to_seq,
        }
    }

    fn check(ours: &[(u8, Head)], theirs: &[(u8, Head)], expected: &[PullRange]) {
        let ours: BTreeMap<SchoolId, Head> = ours
            .iter()
            .map(|(author, head)| (school(*author), head.clone()))
            .collect();
        let theirs: Vec<(SchoolId, Head)> = theirs
            .iter()
            .map(|(author, head)| (school(*author), head.clone()))
            .collect();
        assert_eq!(plan(&ours, &theirs, |_| false), expected);
    }

    #[test]
    fn equal_heads_want_nothing() {
        check(&[(1, head(5, 9, &[]))], &[(1, head(5, 9, &[]))], &[]);
    }

    #[test]
    fn a_gap_is_pulled_from_our_head_on() {
        check(
            &[(1, head(3, 9, &[]))],
            &[(1, head(7, 8, &[]))],
            &[range(1, 4, 7)],
        );
    }

    #[test]
    fn an_unknown_author_is_pulled_whole() {
        check(&[], &[(2, head(4, 1, &[]))], &[range(2, 1, 4)]);
    }

    #[test]
    fn a_peer_behind_us_gives_nothing() {
        check(&[(1, head(9, 9, &[]))], &[(1, head(2, 1, &[]))], &[]);
    }

    #[test]
    fn same_length_different_head_pulls_that_position() {
        check(
            &[(1, head(5, 9, &[]))],
            &[(1, head(5, 8, &[]))],
            &[range(1, 5, 5)],
        );
    }

    #[test]
    fn fork_positions_we_lack_are_pulled_only_up_to_our_head() {
        check(
            &[(1, head(5, 9, &[2]))],
            &[(1, head(5, 9, &[2, 3, 8]))],
            &[range(1, 3, 3)],
        );
    }

    #[test]
    fn fork_pulls_are_bounded_per_author() {
        let forks: Vec<u64> = (1..=200).collect();
        let ours = BTreeMap::from([(school(1), head(500, 9, &[]))]);
        let theirs = vec![(school(1), head(500, 9, &forks))];
        assert_eq!(
            plan(&ours, &theirs, |_| false).len(),
            MAX_FORK_PULLS_PER_AUTHOR
        );
    }

    #[test]
    fn skipped_authors_are_left_out() {
        let theirs = vec![(school(1), head(3, 1, &[])), (school(2), head(3, 1, &[]))];
        let plan = plan(&BTreeMap::new(), &theirs, |author| *author == school(1));
        assert_eq!(plan, vec![range(2, 1, 3)]);
    }

    #[test]
    fn digest_tells_heads_apart() {
        let a = BTreeMap::from([(school(1), head(5, 9, &[]))]);
        let mut b = a.clone();
        assert_eq!(digest(&a), digest(&b));
        b.insert(school(1), head(5, 8, &[]));
        assert_ne!(digest(&a), digest(&b), "a different head record");
        b.insert(school(1), head(5, 9, &[3]));
        assert_ne!(digest(&a), digest(&b), "fork evidence");
        assert_ne!(digest(&a), digest(&BTreeMap::new()));
    }

    #[test]
    fn a_cut_page_continues_every_range_from_the_new_head() {
        let ranges = [range(1, 1, 10), range(2, 4, 6), range(3, 1, 2)];
        let heads = |author: &SchoolId| match author.as_bytes()[0] {
            1 => 7,
            2 => 0,
            _ => 2,
        };
        assert_eq!(
            remaining(&ranges, heads),
            vec![range(1, 8, 10), range(2, 4, 6)]
        );
    }
}
