//! Local state that is not replicated: follows, blocks and settings.

use ensemble_core::SchoolId;

use crate::{Error, Store, View, keys};

const FOLLOW_PREFIX: &[u8] = b"follow/";
const BLOCK_SCHOOL_PREFIX: &[u8] = b"block/school/";
const BLOCK_PEER_PREFIX: &[u8] = b"block/peer/";
const SETTING_PREFIX: &[u8] = b"setting/";

/// A blocklist entry.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Block {
    /// A school: its records are neither stored nor forwarded.
    School(SchoolId),
    /// A libp2p peer id in text form: disconnected and refused.
    Peer(String),
}

fn prefixed(prefix: &[u8], rest: &[u8]) -> Vec<u8> {
    let mut key = prefix.to_vec();
    key.extend_from_slice(rest);
    key
}

impl Store {
    /// Follows a school. Returns false when it was already followed. Flushed.
    pub fn follow(&self, school: &SchoolId) -> Result<bool, Error> {
        let added = self
            .local
            .insert(prefixed(FOLLOW_PREFIX, school.as_bytes()), &[])?
            .is_none();
        self.flush()?;
        Ok(added)
    }

    /// Stops following a school. Returns false when it was not followed. Flushed.
    pub fn unfollow(&self, school: &SchoolId) -> Result<bool, Error> {
        let removed = self
            .local
            .remove(prefixed(FOLLOW_PREFIX, school.as_bytes()))?
            .is_some();
        self.flush()?;
        Ok(removed)
    }

    /// Adds a blocklist entry. Returns false when it was already there. Flushed.
    pub fn block(&self, block: &Block) -> Result<bool, Error> {
        let added = self.local.insert(View::block_key(block), &[])?.is_none();
        self.flush()?;
        Ok(added)
    }

    /// Removes a blocklist entry. Returns false when it was not there. Flushed.
    pub fn unblock(&self, block: &Block) -> Result<bool, Error> {
        let removed = self.local.remove(View::block_key(block))?.is_some();
        self.flush()?;
        Ok(removed)
    }

    /// Writes a setting. Flushed.
    pub fn set_setting(&self, name: &str, value: &[u8]) -> Result<(), Error> {
        self.local
            .insert(prefixed(SETTING_PREFIX, name.as_bytes()), value)?;
        self.flush()?;
        Ok(())
    }
}

impl View {
    /// The schools followed.
    pub fn follows(&self) -> Result<Vec<SchoolId>, Error> {
        self.local
            .scan_prefix(FOLLOW_PREFIX)
            .map(|entry| {
                let (key, _) = entry?;
                keys::read_school(&key[FOLLOW_PREFIX.len()..])
            })
            .collect()
    }

    /// Whether a school is followed.
    pub fn is_followed(&self, school: &SchoolId) -> Result<bool, Error> {
        Ok(self
            .local
            .contains_key(prefixed(FOLLOW_PREFIX, school.as_bytes()))?)
    }

    pub(crate) fn block_key(block: &Block) -> Vec<u8> {
        match block {
            Block::School(school) => prefixed(BLOCK_SCHOOL_PREFIX, school.as_bytes()),
            Block::Peer(peer) => prefixed(BLOCK_PEER_PREFIX, peer.as_bytes()),
        }
    }

    /// Whether a school is blocked.
    pub fn is_blocked(&self, school: &SchoolId) -> Result<bool, Error> {
        Ok(self
            .local
            .contains_key(Self::block_key(&Block::School(*school)))?)
    }

    /// Every blocklist entry.
    pub fn blocks(&self) -> Result<Vec<Block>, Error> {
        let mut blocks = Vec::new();
        for entry in self.local.scan_prefix(b"block/") {
            let (key, _) = entry?;
            if let Some(rest) = key.strip_prefix(BLOCK_SCHOOL_PREFIX) {
                blocks.push(Block::School(keys::read_school(rest)?));
            } else if let Some(rest) = key.strip_prefix(BLOCK_PEER_PREFIX) {
                let peer = String::from_utf8(rest.to_vec())
                    .map_err(|_| Error::Corrupt("blocked peer id is not UTF-8".into()))?;
                blocks.push(Block::Peer(peer));
            }
        }
        Ok(blocks)
    }

    /// Reads a setting.
    pub fn setting(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        Ok(self
            .local
            .get(prefixed(SETTING_PREFIX, name.as_bytes()))?
            .map(|value| value.to_vec()))
    }
}
