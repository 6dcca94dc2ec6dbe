//! The read side of the store: every query the node and the layers above it may make.
//! Nothing here writes; [`crate::Store`] adds the write paths on top.

use std::collections::BTreeMap;

use ensemble_core::record::SIGNATURE_BYTES;
use ensemble_core::{Kind, RecordId, SchoolId, VerifiedRecord};

use crate::{Counts, Error, Page, Stored, View, keys};

impl View {
    pub(crate) fn count_by_kind(&self) -> Result<Counts, Error> {
        let mut counts = Counts::default();
        for kind in Kind::ALL {
            let held = self.kind_time.scan_prefix([kind.code()]).count() as u64;
            if held > 0 {
                counts.0.insert(kind, held);
            }
        }
        Ok(counts)
    }

    pub(crate) fn is_retracted_for(
        &self,
        doc: &RecordId,
        author: &SchoolId,
    ) -> Result<bool, Error> {
        Ok(self
            .tombstones
            .contains_key(keys::pair_key_school(doc, author))?)
    }

    /// Whether a document has been retracted by its author.
    pub fn is_retracted(&self, doc: &RecordId) -> Result<bool, Error> {
        match self.get(doc)? {
            Some(first) => Ok(first.retracted),
            None => Ok(self.tombstones.scan_prefix(doc.as_bytes()).next().is_some()),
        }
    }

    /// The author's highest contiguous seq (0 when nothing is held).
    pub fn head(&self, author: &SchoolId) -> Result<u64, Error> {
        match self.heads.get(author.as_bytes())? {
            None => Ok(0),
            Some(bytes) => keys::read_u64(&bytes),
        }
    }

    /// Every author's contiguous head, in author order.
    pub fn heads(&self) -> Result<Vec<(SchoolId, u64)>, Error> {
        self.heads
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                Ok((keys::read_school(&key)?, keys::read_u64(&value)?))
            })
            .collect()
    }

    /// Authors seen publishing in `network`.
    pub fn authors_in(&self, network: &str) -> Result<Vec<SchoolId>, Error> {
        self.authors
            .scan_prefix(keys::network_prefix(network))
            .map(|entry| {
                let (key, _) = entry?;
                keys::read_school(&key[key.len() - 32..])
            })
            .collect()
    }

    /// Ids held at one log position, in id order (more than one means a fork).
    pub fn ids_at(&self, author: &SchoolId, seq: u64) -> Result<Vec<RecordId>, Error> {
        self.records
            .scan_prefix(keys::position_prefix(author, seq))
            .map(|entry| {
                let (key, _) = entry?;
                Ok(keys::split_record_key(&key)?.2)
            })
            .collect()
    }

    pub(crate) fn records_at(
        &self,
        author: &SchoolId,
        seq: u64,
    ) -> Result<Vec<VerifiedRecord>, Error> {
        self.records
            .scan_prefix(keys::position_prefix(author, seq))
            .map(|entry| {
                let (key, value) = entry?;
                self.decode(&key, &value)
            })
            .collect()
    }

    pub(crate) fn decode(&self, key: &[u8], value: &[u8]) -> Result<VerifiedRecord, Error> {
        let (_, _, id) = keys::split_record_key(key)?;
        let (header, signature) = keys::split_record_value(value)?;
        let body = self.bodies.get(id.as_bytes())?.map(|bytes| bytes.to_vec());
        let signature: [u8; SIGNATURE_BYTES] = signature
            .try_into()
            .map_err(|_| Error::Corrupt("signature length".into()))?;
        VerifiedRecord::from_trusted_parts(header, signature, body)
            .map_err(|error| Error::Corrupt(format!("record {id}: {error}")))
    }

    /// A held record by id.
    pub fn get(&self, id: &RecordId) -> Result<Option<Stored>, Error> {
        let Some(record_key) = self.by_id.get(id.as_bytes())? else {
            return Ok(None);
        };
        let Some(value) = self.records.get(&record_key)? else {
            return Err(Error::Corrupt(format!(
                "by_id points at a missing record {id}"
            )));
        };
        let record = self.decode(&record_key, &value)?;
        let retracted = self.is_retracted_for(&record.doc(), &record.author())?;
        Ok(Some(Stored { record, retracted }))
    }

    /// Whether a record is held.
    pub fn contains(&self, id: &RecordId) -> Result<bool, Error> {
        Ok(self.by_id.contains_key(id.as_bytes())?)
    }

    /// Records of one author from `from_seq` to `to_seq` inclusive, in seq order, at
    /// most `max_records` and about `max_bytes` of wire size (at least one record).
    /// Fork evidence at a position comes along with the first record there.
    pub fn range(
        &self,
        author: &SchoolId,
        from_seq: u64,
        to_seq: u64,
        max_records: usize,
        max_bytes: usize,
    ) -> Result<(Vec<VerifiedRecord>, bool), Error> {
        let start = keys::position_prefix(author, from_seq);
        let end = keys::position_prefix(author, to_seq.saturating_add(1));
        let mut out = Vec::new();
        let mut bytes = 0usize;
        for entry in self.records.range(start..end) {
            let (key, value) = entry?;
            let record = self.decode(&key, &value)?;
            let size = record.to_wire().len();
            if !out.is_empty() && (out.len() >= max_records || bytes + size > max_bytes) {
                return Ok((out, true));
            }
            bytes += size;
            out.push(record);
        }
        Ok((out, false))
    }

    /// Every held record, in (author, seq) order: for export and reindexing.
    pub fn iter(&self) -> impl Iterator<Item = Result<VerifiedRecord, Error>> + '_ {
        self.records.iter().map(move |entry| {
            let (key, value) = entry?;
            self.decode(&key, &value)
        })
    }

    /// Records of a kind (and optionally one author), newest first, with a stable
    /// cursor (the last key seen, in hex).
    pub fn list(
        &self,
        kind: Option<Kind>,
        author: Option<&SchoolId>,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<Page, Error> {
        let kinds: Vec<Kind> = kind.map(|kind| vec![kind]).unwrap_or(Kind::ALL.to_vec());
        let after = cursor.map(keys::parse_cursor).transpose()?;
        // One reverse iterator per kind, starting below the cursor; a k-way merge takes
        // the newest (created_at, id) each step, so a page reads about `limit` keys per
        // kind however many records the store holds.
        let mut streams: Vec<_> = kinds
            .into_iter()
            .map(|kind| {
                let start = keys::kind_time_key(kind, 0, &RecordId([0; 32]));
                let end = match &after {
                    Some((created_at, id)) => keys::kind_time_key(kind, *created_at, id).to_vec(),
                    None => vec![kind.code() + 1],
                };
                self.kind_time.range(start.to_vec()..end).rev().peekable()
            })
            .collect();
        let mut records = Vec::new();
        let mut last = None;
        let mut more = false;
        loop {
            let mut newest: Option<(usize, (u64, RecordId))> = None;
            for (index, stream) in streams.iter_mut().enumerate() {
                let Some(entry) = stream.peek() else { continue };
                let (key, _) = entry.as_ref().map_err(|error| Error::Sled(error.clone()))?;
                let sort_key = keys::split_kind_time_key(key)?;
                if newest.is_none_or(|(_, best)| sort_key > best) {
                    newest = Some((index, sort_key));
                }
            }
            let Some((index, (created_at, id))) = newest else {
                break;
            };
            streams[index].next();
            let Some(stored) = self.get(&id)? else {
                continue;
            };
            if author.is_some_and(|author| stored.record.author() != *author) {
                continue;
            }
            if records.len() == limit {
                more = true;
                break;
            }
            last = Some((created_at, id));
            records.push(stored.record);
        }
        let next = if more {
            last.map(|(created_at, id)| keys::format_cursor(created_at, &id))
        } else {
            None
        };
        Ok(Page { records, next })
    }

    /// The latest version of every document of `kind` that is not retracted, newest
    /// first.
    pub fn latest(&self, kind: Kind) -> Result<Vec<VerifiedRecord>, Error> {
        let mut out = Vec::new();
        for entry in self.kind_time.scan_prefix([kind.code()]).rev() {
            let (key, _) = entry?;
            let (_, id) = keys::split_kind_time_key(&key)?;
            let Some(stored) = self.get(&id)? else {
                continue;
            };
            let doc = stored.record.doc();
            if stored.retracted || self.latest_id(&doc)? != Some(id) {
                continue;
            }
            out.push(stored.record);
        }
        Ok(out)
    }

    /// The id of a document's latest version.
    pub fn latest_id(&self, doc: &RecordId) -> Result<Option<RecordId>, Error> {
        match self.docs.get(doc.as_bytes())? {
            None => Ok(None),
            Some(value) => Ok(Some(keys::latest_id(&value)?)),
        }
    }

    /// Every version of a document held (the first version and later ones), oldest
    /// first.
    pub fn versions(&self, doc: &RecordId) -> Result<Vec<VerifiedRecord>, Error> {
        let mut versions = Vec::new();
        if let Some(first) = self.get(doc)? {
            versions.push(first.record);
        }
        for (id, _) in self.referring(doc)? {
            if let Some(stored) = self.get(&id)?
                && stored.record.header().doc == Some(*doc)
            {
                versions.push(stored.record);
            }
        }
        versions.sort_by_key(|record| (record.header().created_at, record.id()));
        Ok(versions)
    }

    /// Records whose body refers to `id` (feedback on it, offers to it, versions of it…),
    /// with their kinds.
    pub fn referring(&self, id: &RecordId) -> Result<Vec<(RecordId, Option<Kind>)>, Error> {
        self.refs
            .scan_prefix(id.as_bytes())
            .map(|entry| {
                let (key, value) = entry?;
                let referrer = keys::read_record_id(&key[32..])?;
                Ok((
                    referrer,
                    value.first().and_then(|code| Kind::from_code(*code)),
                ))
            })
            .collect()
    }

    /// Records held, by kind.
    pub fn counts(&self) -> Result<BTreeMap<Kind, u64>, Error> {
        Ok(self.writer.lock().map_err(|_| Error::Poisoned)?.0.clone())
    }

    /// Authors with fork evidence.
    pub fn forked_authors(&self) -> Result<Vec<SchoolId>, Error> {
        let mut authors: Vec<SchoolId> = self
            .forks
            .iter()
            .map(|entry| {
                let (key, _) = entry?;
                keys::read_school(&key[..32])
            })
            .collect::<Result<_, _>>()?;
        authors.dedup();
        Ok(authors)
    }

    /// Log positions with fork evidence, per author.
    pub fn fork_positions(&self) -> Result<BTreeMap<SchoolId, Vec<u64>>, Error> {
        let mut positions: BTreeMap<SchoolId, Vec<u64>> = BTreeMap::new();
        for entry in self.forks.iter() {
            let (key, _) = entry?;
            if key.len() != 40 {
                return Err(Error::Corrupt("fork key length".into()));
            }
            positions
                .entry(keys::read_school(&key[..32])?)
                .or_default()
                .push(keys::read_u64(&key[32..])?);
        }
        Ok(positions)
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, Error> {
        Ok(self.db.size_on_disk()?)
    }
}
