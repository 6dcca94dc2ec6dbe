//! The answering side: heads for the asked scope, or a page of records bounded in
//! records and bytes. Answers are computed from a store view alone, on a blocking
//! thread, so the network loop never waits on the disk.

use std::sync::Arc;

use ensemble_core::SchoolId;
use ensemble_core::sync as plan;
use ensemble_net::sync_wire::{SyncRequest, SyncResponse};
use ensemble_net::{PeerId, SyncResponder};
use ensemble_store::View;
use serde_bytes::ByteBuf;
use tracing::{debug, info, warn};

use super::heads::{self, Scope};
use super::{PAGE_MAX_BYTES, PAGE_MAX_RECORDS, RANGES_PER_REQUEST};
use crate::node::Node;

/// Serves one request on a task of its own (the network loop is never blocked).
pub(crate) fn serve(node: Node, peer: PeerId, request: SyncRequest, responder: SyncResponder) {
    let permits = Arc::clone(node.sync_scheduler().serving());
    tokio::spawn(async move {
        let Ok(_permit) = permits.acquire_owned().await else {
            return;
        };
        let worker = node.clone();
        let response = tokio::task::spawn_blocking(move || answer(worker.store(), request))
            .await
            .unwrap_or_else(|error| {
                warn!(%error, "sync answer task failed");
                SyncResponse::Refused {
                    reason: "internal error".into(),
                }
            });
        debug!(peer = %peer, "sync request served");
        node.net().respond_sync(responder, response);
    });
}

/// The answer to one request, from the store alone. A store failure is answered as a
/// refusal naming it (the asker logs it and retries later) and logged here.
pub(super) fn answer(store: &View, request: SyncRequest) -> SyncResponse {
    let answer = match request {
        SyncRequest::Heads {
            networks,
            follows,
            digest,
        } => answer_heads(store, networks, &follows, &digest),
        SyncRequest::Pull { ranges } => answer_pull(store, &ranges),
    };
    answer.unwrap_or_else(|error| {
        warn!(%error, "store error while serving sync");
        SyncResponse::Refused {
            reason: format!("store error: {error}"),
        }
    })
}

fn answer_heads(
    store: &View,
    networks: Vec<String>,
    follows: &[serde_bytes::ByteArray<32>],
    theirs: &[u8; 32],
) -> Result<SyncResponse, ensemble_store::Error> {
    let scope = Scope {
        networks,
        follows: follows.iter().map(|school| SchoolId(**school)).collect(),
    };
    let heads = heads::heads_in_scope(store, &scope)?;
    Ok(if plan::digest(&heads) == *theirs {
        SyncResponse::InSync
    } else {
        SyncResponse::Heads {
            heads: heads
                .into_iter()
                .map(|(author, head)| heads::to_wire(&author, head))
                .collect(),
        }
    })
}

fn answer_pull(
    store: &View,
    ranges: &[ensemble_net::sync_wire::PullRange],
) -> Result<SyncResponse, ensemble_store::Error> {
    let mut records = Vec::new();
    let mut bytes = 0usize;
    let mut truncated = false;
    for range in ranges.iter().take(RANGES_PER_REQUEST) {
        let author = SchoolId(*range.author);
        if store.is_blocked(&author)? {
            continue;
        }
        let room_records = PAGE_MAX_RECORDS.saturating_sub(records.len());
        let room_bytes = PAGE_MAX_BYTES.saturating_sub(bytes);
        if room_records == 0 || room_bytes == 0 {
            truncated = true;
            break;
        }
        let (page, cut) = store.range(
            &author,
            range.from_seq,
            range.to_seq,
            room_records,
            room_bytes,
        )?;
        for record in page {
            let wire = record.to_wire();
            bytes += wire.len();
            records.push(ByteBuf::from(wire));
        }
        if cut {
            truncated = true;
            break;
        }
    }
    info!(
        records = records.len(),
        bytes, truncated, "serving a sync page"
    );
    Ok(SyncResponse::Records { records, truncated })
}

#[cfg(test)]
mod tests {
    use ensemble_core::{Draft, Kind, SchoolKey};
    use ensemble_net::sync_wire::PullRange;
    use ensemble_store::Store;
    use serde_bytes::ByteArray;

    use super::*;

    fn store_with(records: u64) -> (tempfile::TempDir, Store, SchoolKey) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(dir.path()).expect("opens");
        let key = SchoolKey::from_seed([7; 32]);
        for at in 1..=records {
            let draft = Draft {
                network: "net".into(),
                kind: Kind::SchoolProfile,
                doc: None,
                body: br#"{"name":{"en":"School One"},"region":"ru-tat","roles":["school"]}"#
                    .to_vec(),
            };
            store.append(&key, draft, at, 0).expect("appends");
        }
        (dir, store, key)
    }

    fn heads_request(store: &View, networks: &[&str]) -> SyncRequest {
        let scope = Scope {
            networks: networks.iter().map(ToString::to_string).collect(),
            follows: Vec::new(),
        };
        let heads = heads::heads_in_scope(store, &scope).expect("reads");
        SyncRequest::Heads {
            networks: scope.networks,
            follows: Vec::new(),
            digest: ByteArray::new(plan::digest(&heads)),
        }
    }

    #[test]
    fn equal_heads_answer_in_sync_and_others_get_heads() {
        let (_dir, store, key) = store_with(3);
        let request = heads_request(&store, &["net"]);
        assert_eq!(answer(&store, request), SyncResponse::InSync);
        let (_other_dir, empty, _) = store_with(0);
        match answer(&store, heads_request(&empty, &["net"])) {
            SyncResponse::Heads { heads } => {
                assert_eq!(heads.len(), 1);
                assert_eq!(*heads[0].author, *key.school_id().as_bytes());
                assert_eq!(heads[0].seq, 3);
            }
            other => panic!("expected heads, got {other:?}"),
        }
    }

    #[test]
    fn a_pull_is_served_in_range_order_and_cut_at_the_page_limit() {
        let (_dir, store, key) = store_with(PAGE_MAX_RECORDS as u64 + 5);
        let range = PullRange {
            author: ByteArray::new(*key.school_id().as_bytes()),
            from_seq: 2,
            to_seq: PAGE_MAX_RECORDS as u64 + 5,
        };
        match answer(
            &store,
            SyncRequest::Pull {
                ranges: vec![range],
            },
        ) {
            SyncResponse::Records { records, truncated } => {
                assert!(truncated, "the page limit cuts the answer");
                assert_eq!(records.len(), PAGE_MAX_RECORDS);
                let first = ensemble_core::SignedRecord::from_wire(&records[0]).expect("decodes");
                assert_eq!(first.header().seq, 2);
            }
            other => panic!("expected records, got {other:?}"),
        }
    }

    #[test]
    fn blocked_authors_are_not_served() {
        let (_dir, store, key) = store_with(2);
        store
            .block(&ensemble_store::Block::School(key.school_id()))
            .expect("blocks");
        let range = PullRange {
            author: ByteArray::new(*key.school_id().as_bytes()),
            from_seq: 1,
            to_seq: 2,
        };
        assert_eq!(
            answer(
                &store,
                SyncRequest::Pull {
                    ranges: vec![range]
                }
            ),
            SyncResponse::Records {
                records: Vec::new(),
                truncated: false
            }
        );
    }
}
