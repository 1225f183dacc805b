//! Reading objects straight from the pack files, with a cache of every decoded entry.
//!
//! gitoxide's own pack cache keeps the result of a delta chain but never its undeltified
//! base, so every delta whose chain ends at an uncached base inflates that base again; git
//! packs are full of such "stars" (many deltas against one base). This reader decodes pack
//! entries itself (gitoxide still parses and inflates them) and caches every decoded entry,
//! base or delta, by pack offset. Objects outside the packs (loose objects) go through
//! gitoxide. Each reader maps the pack data on its own and maps it again every so often,
//! so that the pages it has read stop counting in the resident size.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use gix::ObjectId;
use gix::hash::oid;
use gix::objs::{Find as _, FindHeader as _, Kind};

use super::errors::render;

/// Cache of decoded pack entries of each thread while comparing trees, and again as much
/// for whole trees by id (bytes): a commit's tree is read again, as the parent side, by the
/// next commit.
pub(super) const DIFF_CACHE: usize = 64 << 20;
/// Cache of decoded pack entries of each thread while reading blobs in pack order (bytes).
pub(super) const READ_CACHE: usize = 64 << 20;
/// Cache of decoded pack entries of each thread while reading tips and commits (bytes).
pub(super) const COMMIT_CACHE: usize = 16 << 20;

/// Bytes of pack data a [`Reader`] reads through its own mappings of the pack files before
/// it maps them afresh. The pages of a mapping that were read count in the resident size
/// until it is unmapped: a whole-history scan reads nearly all of a pack (git/git's is
/// 500 MB), so without this the resident size grows by the size of the packs. Mapping
/// again costs a minor fault per page read next (from the page cache, not the disk).
const REMAP_AFTER: u64 = 16 << 20;

/// What reading one entry maps at least: a fault on a file mapping maps the pages around
/// it that are in the page cache too (Linux's `fault_around_bytes`, 64 KiB).
const FAULT_AROUND: u64 = 64 << 10;

/// The pack indexes of the repository (and of its alternates), opened once, shared by all
/// threads. The pack data is mapped by each reader on its own ([`REMAP_AFTER`]).
pub(super) struct Packs {
    indexes: Vec<gix::odb::pack::index::File>,
    /// The data file of each index.
    data: Vec<std::path::PathBuf>,
    hash: gix::hash::Kind,
}

impl Packs {
    pub(super) fn open(ts: &gix::ThreadSafeRepository, hash: gix::hash::Kind) -> Self {
        use gix::odb::store::structure::Record;
        let mut paths = Vec::new();
        if let Ok(records) = ts.objects.structure() {
            for record in records {
                match record {
                    Record::Index { path, .. } => paths.push(path),
                    Record::MultiIndex { path, .. } => {
                        if let (Ok(multi), Some(dir)) = (
                            gix::odb::pack::multi_index::File::at(&path, None),
                            path.parent(),
                        ) {
                            paths.extend(multi.index_names().iter().map(|name| dir.join(name)));
                        }
                    }
                    _ => {}
                }
            }
        }
        let mut seen = HashSet::new();
        let mut packs = Self {
            indexes: Vec::new(),
            data: Vec::new(),
            hash,
        };
        // A pack that cannot be opened here is still read through gitoxide (or reported).
        for bundle in paths
            .into_iter()
            .filter(|p| seen.insert(p.clone()))
            .filter_map(|p| gix::odb::pack::Bundle::at(&p, hash).ok())
        {
            packs.data.push(bundle.pack.path().to_owned());
            packs.indexes.push(bundle.index);
        }
        packs
    }

    /// Pack number and offset of `id`.
    pub(super) fn locate(&self, id: &oid) -> Option<(u32, u64)> {
        self.indexes.iter().enumerate().find_map(|(n, index)| {
            let entry = index.lookup(id)?;
            Some((n as u32, index.pack_offset_at_index(entry)))
        })
    }

    /// A fresh mapping of the data of pack `n`.
    fn map(&self, n: u32) -> Result<gix::odb::pack::data::File, String> {
        let path = self
            .data
            .get(n as usize)
            .ok_or_else(|| format!("there is no pack number {n}"))?;
        gix::odb::pack::data::File::at(path, self.hash).map_err(|e| {
            format!(
                "the pack {} cannot be opened: {}",
                path.display(),
                render(&e)
            )
        })
    }
}

/// Where each packed object sits: its offset and the offset of the undeltified base its
/// delta chain starts from (its "family"), per pack; and every packed commit.
#[derive(Default)]
pub(super) struct Layout {
    /// Per pack: entry offsets, ascending, and the matching chain-root offsets.
    pub(super) packs: Vec<(Vec<u64>, Vec<u64>)>,
    /// `(pack, offset, id)` of every commit stored in the packs.
    pub(super) commits: Vec<(u32, u64, ObjectId)>,
}

impl Layout {
    /// The chain root of the entry at `offset` of `pack`.
    pub(super) fn root(&self, pack: u32, offset: u64) -> Option<u64> {
        let (offsets, roots) = self.packs.get(pack as usize)?;
        offsets.binary_search(&offset).ok().map(|i| roots[i])
    }
}

impl Packs {
    /// Reads every entry header once, in offset order: the kind and chain root of a delta
    /// are those of its base, which comes earlier in the pack (ref-deltas aside, which get a
    /// second pass).
    pub(super) fn layout(&self) -> Layout {
        use gix::odb::pack::data::entry::Header;
        let mut layout = Layout::default();
        for (n, index) in self.indexes.iter().enumerate() {
            // Mapped for this pass only: it reads a header from every page of the pack.
            let Ok(mut pack) = self.map(n as u32) else {
                layout.packs.push((Vec::new(), Vec::new()));
                continue;
            };
            // (offset, position in the index), by offset; the id is looked up for commits only.
            let mut entries: Vec<(u64, u32)> = index
                .iter()
                .enumerate()
                .map(|(i, e)| (e.pack_offset, i as u32))
                .collect();
            entries.sort_unstable_by_key(|e| e.0);
            let offsets: Vec<u64> = entries.iter().map(|e| e.0).collect();
            let position = |offset: u64| offsets.binary_search(&offset).ok();
            let mut kinds: Vec<Option<Kind>> = vec![None; entries.len()];
            let mut roots: Vec<u64> = offsets.clone();
            for _ in 0..2 {
                let mut mapped_at = 0;
                for i in 0..entries.len() {
                    if kinds[i].is_some() {
                        continue;
                    }
                    // Entries come in offset order: map afresh every so often, so that the
                    // pages read stop counting (see REMAP_AFTER).
                    if offsets[i] - mapped_at > REMAP_AFTER
                        && let Ok(fresh) = self.map(n as u32)
                    {
                        pack = fresh;
                        mapped_at = offsets[i];
                    }
                    let Ok(entry) = pack.entry(offsets[i]) else {
                        continue;
                    };
                    let base = match entry.header {
                        Header::OfsDelta { base_distance } => entry
                            .checked_base_pack_offset(base_distance)
                            .and_then(position),
                        Header::RefDelta { base_id } => index
                            .lookup(base_id)
                            .map(|b| index.pack_offset_at_index(b))
                            .and_then(position),
                        header => {
                            kinds[i] = header.as_kind();
                            continue;
                        }
                    };
                    if let Some(b) = base
                        && kinds[b].is_some()
                    {
                        kinds[i] = kinds[b];
                        roots[i] = roots[b];
                    }
                }
            }
            layout.commits.extend(
                entries
                    .iter()
                    .zip(&kinds)
                    .filter(|(_, kind)| **kind == Some(Kind::Commit))
                    .map(|((offset, i), _)| (n as u32, *offset, index.oid_at_index(*i).to_owned())),
            );
            layout.packs.push((offsets, roots));
        }
        layout
    }
}

/// An object as read by [`Reader`].
pub(super) enum Found {
    Object(Kind, Arc<Vec<u8>>),
    /// Larger than the limit given; not read whole.
    TooLarge,
    Missing,
}

/// Hashes `(pack, offset)` keys: the offset is already well spread.
#[derive(Default)]
struct OffsetHasher(u64);

impl std::hash::Hasher for OffsetHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.write_u64(u64::from(n));
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// Objects by key, bounded in bytes: two generations, the older dropped whole when the
/// younger fills half the budget; a hit in the older is promoted.
struct Cache<K, H> {
    young: HashMap<K, (Kind, Arc<Vec<u8>>), H>,
    pub(super) old: HashMap<K, (Kind, Arc<Vec<u8>>), H>,
    young_bytes: usize,
    budget: usize,
}

/// Decoded pack entries by `(pack, offset)`.
type EntryCache = Cache<(u32, u64), std::hash::BuildHasherDefault<OffsetHasher>>;
/// Whole objects by id (trees and commits, which are read more than once).
type IdCache = Cache<ObjectId, gix::hashtable::hash::Builder>;

impl<K: std::hash::Hash + Eq + Copy, H: std::hash::BuildHasher + Default> Cache<K, H> {
    pub(super) fn new(budget: usize) -> Self {
        Self {
            young: HashMap::default(),
            old: HashMap::default(),
            young_bytes: 0,
            budget,
        }
    }

    pub(super) fn get(&mut self, key: K) -> Option<(Kind, Arc<Vec<u8>>)> {
        if let Some((kind, data)) = self.young.get(&key) {
            return Some((*kind, Arc::clone(data)));
        }
        let (kind, data) = self.old.remove(&key)?;
        self.put(key, kind, Arc::clone(&data));
        Some((kind, data))
    }

    fn put(&mut self, key: K, kind: Kind, data: Arc<Vec<u8>>) {
        let size = data.len() + 64;
        if size > self.budget / 8 {
            return;
        }
        self.young_bytes += size;
        self.young.insert(key, (kind, data));
        if self.young_bytes > self.budget / 2 {
            self.old = std::mem::take(&mut self.young);
            self.young_bytes = 0;
        }
    }
}

/// One thread's object reader.
pub(super) struct Reader<'a> {
    packs: &'a Packs,
    pub(super) repo: gix::Repository,
    inflate: gix::zlib::Inflate,
    cache: EntryCache,
    /// Set when objects are read more than once (trees and commits, not blobs).
    by_id: Option<IdCache>,
    /// Inflated delta instructions, reused.
    scratch: Vec<u8>,
    /// Ref-delta bases being resolved in other packs.
    depth: u32,
    /// This reader's mappings of the pack data, by pack number, opened when first read.
    maps: Vec<Option<Arc<gix::odb::pack::data::File>>>,
    /// Pack bytes read through `maps` since they were opened.
    mapped: u64,
}

/// Most ref-delta bases followed into other packs for one object.
const MAX_PACK_HOPS: u32 = 64;
/// Longest delta chain followed (git writes at most 4095; this also stops cycles).
const MAX_CHAIN: usize = 10_000;

impl<'a> Reader<'a> {
    /// A reader with `cache_bytes` for decoded pack entries, and as much again for whole
    /// objects by id when `by_id` is set.
    pub(super) fn new(
        packs: &'a Packs,
        ts: &gix::ThreadSafeRepository,
        cache_bytes: usize,
        by_id: bool,
    ) -> Self {
        let mut repo = ts.to_thread_local();
        // Objects outside the packs opened here (loose objects, mostly) are read by
        // gitoxide without caches.
        repo.objects.unset_pack_cache();
        repo.objects.unset_object_cache();
        Self {
            packs,
            repo,
            inflate: gix::zlib::Inflate::default(),
            cache: EntryCache::new(cache_bytes),
            by_id: by_id.then(|| IdCache::new(cache_bytes)),
            scratch: Vec::new(),
            depth: 0,
            maps: Vec::new(),
            mapped: 0,
        }
    }

    /// This reader's mapping of pack `n`.
    fn pack(&mut self, n: u32) -> Result<Arc<gix::odb::pack::data::File>, String> {
        let slot = n as usize;
        if self.maps.len() <= slot {
            self.maps.resize(slot + 1, None);
        }
        if let Some(pack) = &self.maps[slot] {
            return Ok(Arc::clone(pack));
        }
        let pack = Arc::new(self.packs.map(n)?);
        self.maps[slot] = Some(Arc::clone(&pack));
        Ok(pack)
    }

    /// Reads `id`, or reports it as [`Found::TooLarge`] when it has more than `limit` bytes.
    pub(super) fn find(&mut self, id: &oid, limit: u64) -> Result<Found, String> {
        if let Some(cache) = &mut self.by_id
            && let Some((kind, data)) = cache.get(id.to_owned())
        {
            return Ok(if data.len() as u64 > limit {
                Found::TooLarge
            } else {
                Found::Object(kind, data)
            });
        }
        let found = self.find_uncached(id, limit)?;
        if let (Some(cache), Found::Object(kind, data)) = (&mut self.by_id, &found) {
            cache.put(id.to_owned(), *kind, Arc::clone(data));
        }
        Ok(found)
    }

    fn find_uncached(&mut self, id: &oid, limit: u64) -> Result<Found, String> {
        if let Some((pack, offset)) = self.packs.locate(id) {
            return self.decode(pack, offset, limit);
        }
        if limit != u64::MAX {
            match self.repo.objects.try_header(id) {
                Ok(Some(header)) if header.size > limit => return Ok(Found::TooLarge),
                Ok(Some(_)) => {}
                Ok(None) => return Ok(Found::Missing),
                Err(e) => return Err(render(&e)),
            }
        }
        let mut buf = Vec::new();
        match self.repo.objects.try_find(id, &mut buf) {
            Ok(Some(obj)) => {
                let kind = obj.kind;
                Ok(Found::Object(kind, Arc::new(buf)))
            }
            Ok(None) => Ok(Found::Missing),
            Err(e) => Err(render(&e)),
        }
    }

    /// Decodes the entry at `offset` of pack `pack_no`, resolving its delta chain.
    pub(super) fn decode(
        &mut self,
        pack_no: u32,
        offset: u64,
        limit: u64,
    ) -> Result<Found, String> {
        if let Some((kind, data)) = self.cache.get((pack_no, offset)) {
            let too_large = data.len() as u64 > limit;
            return Ok(if too_large {
                Found::TooLarge
            } else {
                Found::Object(kind, data)
            });
        }
        let pack = self.pack(pack_no)?;
        let pack = &*pack;
        let result = self.decode_chain(pack, pack_no, offset, limit);
        if self.mapped > REMAP_AFTER && self.depth == 0 {
            self.maps.clear();
            self.mapped = 0;
        }
        result
    }

    /// [`Reader::decode`] for an entry not cached, through `pack`.
    fn decode_chain(
        &mut self,
        pack: &gix::odb::pack::data::File,
        pack_no: u32,
        offset: u64,
        limit: u64,
    ) -> Result<Found, String> {
        use gix::odb::pack::data::entry::Header;
        let packs = self.packs;
        // Deltas from the requested entry down to the first cached or undeltified base.
        let mut chain = Vec::new();
        // The requested entry's own delta, inflated early to learn the object's size.
        let mut top = None;
        let mut cursor = offset;
        let (kind, mut data) = loop {
            if cursor != offset
                && let Some(hit) = self.cache.get((pack_no, cursor))
            {
                break hit;
            }
            if chain.len() > MAX_CHAIN {
                return Err(format!(
                    "a delta chain is longer than {MAX_CHAIN} entries (or cyclic) at pack offset {cursor}"
                ));
            }
            self.mapped += FAULT_AROUND;
            let entry = pack.entry(cursor).map_err(|e| {
                format!(
                    "the pack entry at offset {cursor} is unreadable: {}",
                    render(&e)
                )
            })?;
            let base = match entry.header {
                Header::OfsDelta { base_distance } => {
                    Some(entry.checked_base_pack_offset(base_distance).ok_or_else(|| {
                        format!("the delta at pack offset {cursor} points before the start of the pack")
                    })?)
                }
                Header::RefDelta { .. } => None,
                header => {
                    let Some(kind) = header.as_kind() else {
                        return Err(format!("unknown pack entry type at offset {cursor}"));
                    };
                    if chain.is_empty() && entry.decompressed_size > limit {
                        return Ok(Found::TooLarge);
                    }
                    let data = Arc::new(self.inflate_entry(pack, &entry)?);
                    self.cache.put((pack_no, cursor), kind, Arc::clone(&data));
                    break (kind, data);
                }
            };
            if chain.is_empty() && limit != u64::MAX {
                let delta = self.inflate_entry(pack, &entry)?;
                match delta_sizes(&delta) {
                    Some((_, size, _)) if size > limit => return Ok(Found::TooLarge),
                    Some(_) => top = Some(delta),
                    None => return Err(format!("the delta at pack offset {cursor} has no header")),
                }
            }
            let ref_base = match entry.header {
                Header::RefDelta { base_id } => Some(base_id),
                _ => None,
            };
            chain.push(entry);
            match (base, ref_base) {
                (Some(base), _) => cursor = base,
                (None, Some(base_id)) => match packs.locate(&base_id) {
                    Some((p, base)) if p == pack_no => cursor = base,
                    _ => {
                        // A base in another pack: bounded, so packs pointing at each other
                        // cannot recurse forever.
                        if self.depth > MAX_PACK_HOPS {
                            return Err(format!(
                                "the delta base {base_id} is more than {MAX_PACK_HOPS} packs away (or cyclic)"
                            ));
                        }
                        self.depth += 1;
                        let base = self.find(&base_id, u64::MAX);
                        self.depth -= 1;
                        match base? {
                            Found::Object(kind, data) => break (kind, data),
                            _ => return Err(format!("the delta base {base_id} is missing")),
                        }
                    }
                },
                (None, None) => return Err(format!("malformed delta at pack offset {cursor}")),
            }
        };
        // Apply the deltas, base first, caching every intermediate object.
        let mut scratch = std::mem::take(&mut self.scratch);
        for (i, entry) in chain.iter().enumerate().rev() {
            let delta = match (i, &top) {
                (0, Some(delta)) => delta,
                _ => {
                    self.inflate_into(pack, entry, &mut scratch)?;
                    &scratch
                }
            };
            let result = apply_delta(&data, delta).map_err(|e| {
                format!(
                    "the delta at pack offset {} does not apply: {e}",
                    entry.pack_offset()
                )
            })?;
            data = Arc::new(result);
            self.cache
                .put((pack_no, entry.pack_offset()), kind, Arc::clone(&data));
        }
        self.scratch = scratch;
        Ok(Found::Object(kind, data))
    }

    fn inflate_entry(
        &mut self,
        pack: &gix::odb::pack::data::File,
        entry: &gix::odb::pack::data::Entry,
    ) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        self.inflate_into(pack, entry, &mut out)?;
        Ok(out)
    }

    /// Inflates `entry` into `out`, reusing its allocation.
    fn inflate_into(
        &mut self,
        pack: &gix::odb::pack::data::File,
        entry: &gix::odb::pack::data::Entry,
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let offset = entry.pack_offset();
        let size = usize::try_from(entry.decompressed_size)
            .map_err(|_| format!("the pack entry at offset {offset} is too large"))?;
        out.clear();
        out.try_reserve_exact(size).map_err(|_| {
            format!("no memory for the {size} bytes of the pack entry at offset {offset}")
        })?;
        out.resize(size, 0);
        let read = pack
            .decompress_entry(entry, &mut self.inflate, out)
            .map_err(|e| {
                format!(
                    "the pack entry at offset {offset} is unreadable: {}",
                    render(&e)
                )
            })?;
        self.mapped += read as u64;
        Ok(())
    }
}

/// Base size, result size and instruction offset of a git delta.
fn delta_sizes(delta: &[u8]) -> Option<(u64, u64, usize)> {
    let mut pos = 0;
    let mut varint = || -> Option<u64> {
        let mut value = 0u64;
        let mut shift = 0;
        loop {
            let byte = *delta.get(pos)?;
            pos += 1;
            value |= u64::from(byte & 0x7f).checked_shl(shift)?;
            if byte & 0x80 == 0 {
                return Some(value);
            }
            shift += 7;
            if shift > 63 {
                return None;
            }
        }
    };
    let base = varint()?;
    let result = varint()?;
    Some((base, result, pos))
}

/// Applies a git delta to `base`.
fn apply_delta(base: &[u8], delta: &[u8]) -> Result<Vec<u8>, &'static str> {
    let (base_size, result_size, start) = delta_sizes(delta).ok_or("truncated delta header")?;
    if base_size != base.len() as u64 {
        return Err("the base has the wrong size");
    }
    let result_size = usize::try_from(result_size).map_err(|_| "the result is too large")?;
    let mut out = Vec::new();
    out.try_reserve_exact(result_size)
        .map_err(|_| "no memory for the result")?;
    let mut ins = delta.get(start..).ok_or("truncated delta")?;
    while let Some((&cmd, rest)) = ins.split_first() {
        ins = rest;
        if cmd & 0x80 != 0 {
            let mut field = |bits: &[(u8, u32)]| -> Result<usize, &'static str> {
                let mut value = 0usize;
                for &(bit, shift) in bits {
                    if cmd & bit != 0 {
                        let (&byte, rest) =
                            ins.split_first().ok_or("truncated copy instruction")?;
                        ins = rest;
                        value |= usize::from(byte) << shift;
                    }
                }
                Ok(value)
            };
            let offset = field(&[(0x01, 0), (0x02, 8), (0x04, 16), (0x08, 24)])?;
            let size = match field(&[(0x10, 0), (0x20, 8), (0x40, 16)])? {
                0 => 0x10000,
                size => size,
            };
            let end = offset.checked_add(size).ok_or("copy out of range")?;
            out.extend_from_slice(base.get(offset..end).ok_or("copy beyond the base")?);
        } else if cmd != 0 {
            let (literal, rest) = ins
                .split_at_checked(usize::from(cmd))
                .ok_or("truncated insert instruction")?;
            out.extend_from_slice(literal);
            ins = rest;
        } else {
            return Err("reserved instruction 0");
        }
        if out.len() > result_size {
            return Err("the result is longer than announced");
        }
    }
    if out.len() != result_size {
        return Err("the result is shorter than announced");
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn deltas_apply_and_reject_garbage() {
        // base "hello world", result "hello there world": copy 6, insert "there ", copy 5.
        let delta = [
            11, 17, 0x90, 6, 6, b't', b'h', b'e', b'r', b'e', b' ', 0x91, 6, 5,
        ];
        assert_eq!(
            apply_delta(b"hello world", &delta).unwrap(),
            b"hello there world"
        );
        assert!(apply_delta(b"hello", &delta).is_err(), "wrong base size");
        assert!(
            apply_delta(b"hello world", &delta[..9]).is_err(),
            "truncated"
        );
        let out_of_range = [11, 5, 0x91, 10, 5];
        assert!(apply_delta(b"hello world", &out_of_range).is_err());
    }
}
