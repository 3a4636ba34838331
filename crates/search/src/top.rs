//! Top-k by score within the matching scope, with block-max WAND kept.
//!
//! tantivy prunes a flat union of term queries with block-max WAND, but only when the query is nothing else:
//! a filter clause (in force or pending, not the patent itself) turns it into an intersection that scores every
//! matching patent. This collector keeps the query flat and applies the scope to each candidate WAND yields,
//! from fast fields, raising the pruning threshold only with patents that are in scope.

use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::Weight;
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use crate::index::names;

/// The best `limit` patents, in force or pending only when `active_only`, in the transferable pool only when
/// `pool_only`, never those in `exclude` (id keys),
/// scoring above `floor` (when the caller knows that `limit` patents do, WAND starts pruning at once).
#[derive(Clone)]
pub(crate) struct ScopedTopDocs {
    pub limit: usize,
    pub active_only: bool,
    pub pool_only: bool,
    pub exclude: Vec<u64>,
    pub floor: Score,
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    score: Score,
    doc: DocId,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Higher score is better; on equal scores the lower document wins, as in tantivy's `TopDocs`.
    fn cmp(&self, other: &Self) -> Ordering {
        self.score.total_cmp(&other.score).then_with(|| other.doc.cmp(&self.doc))
    }
}

pub(crate) struct ScopedSegment {
    segment: SegmentOrdinal,
    limit: usize,
    floor: Score,
    heap: BinaryHeap<Reverse<Entry>>,
    active: Option<Column<u64>>,
    pool: Option<Column<u64>>,
    ids: Option<(Column<u64>, Vec<u64>)>,
    alive: Option<tantivy::fastfield::AliveBitSet>,
}

impl ScopedSegment {
    fn in_scope(&self, doc: DocId) -> bool {
        if self.alive.as_ref().is_some_and(|a| a.is_deleted(doc)) {
            return false;
        }
        if let Some(active) = &self.active
            && active.first(doc) != Some(1)
        {
            return false;
        }
        if let Some(pool) = &self.pool
            && pool.first(doc) != Some(1)
        {
            return false;
        }
        if let Some((ids, exclude)) = &self.ids
            && ids.first(doc).is_some_and(|id| exclude.contains(&id))
        {
            return false;
        }
        true
    }

    /// Offers a candidate; returns the score a candidate must now exceed.
    fn offer(&mut self, doc: DocId, score: Score) -> Score {
        if self.limit > 0 && score > self.floor && self.in_scope(doc) {
            let entry = Entry { score, doc };
            if self.heap.len() < self.limit {
                self.heap.push(Reverse(entry));
            } else if self.heap.peek().is_some_and(|Reverse(worst)| entry > *worst) {
                self.heap.pop();
                self.heap.push(Reverse(entry));
            }
        }
        self.threshold()
    }

    fn threshold(&self) -> Score {
        if self.heap.len() < self.limit {
            self.floor
        } else {
            self.heap.peek().map_or(self.floor, |Reverse(e)| e.score.max(self.floor))
        }
    }
}

impl SegmentCollector for ScopedSegment {
    type Fruit = Vec<(Score, DocAddress)>;

    fn collect(&mut self, doc: DocId, score: Score) {
        self.offer(doc, score);
    }

    fn harvest(self) -> Self::Fruit {
        let segment = self.segment;
        let mut entries: Vec<Entry> = self.heap.into_iter().map(|Reverse(e)| e).collect();
        entries.sort_by(|a, b| b.cmp(a));
        entries.into_iter().map(|e| (e.score, DocAddress::new(segment, e.doc))).collect()
    }
}

impl Collector for ScopedTopDocs {
    type Fruit = Vec<(Score, DocAddress)>;
    type Child = ScopedSegment;

    fn for_segment(&self, segment: SegmentOrdinal, reader: &SegmentReader) -> tantivy::Result<ScopedSegment> {
        let fast = reader.fast_fields();
        let active = if self.active_only { Some(fast.u64(names::ACTIVE)?) } else { None };
        let pool = if self.pool_only { Some(fast.u64(names::POOL)?) } else { None };
        let ids = if self.exclude.is_empty() { None } else { Some((fast.u64("id")?, self.exclude.clone())) };
        Ok(ScopedSegment {
            segment,
            limit: self.limit,
            floor: self.floor,
            heap: BinaryHeap::with_capacity(self.limit + 1),
            active,
            pool,
            ids,
            alive: reader.alive_bitset().cloned(),
        })
    }

    fn requires_scoring(&self) -> bool {
        true
    }

    fn merge_fruits(&self, fruits: Vec<Vec<(Score, DocAddress)>>) -> tantivy::Result<Self::Fruit> {
        let mut all: Vec<(Score, DocAddress)> = fruits.into_iter().flatten().collect();
        all.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        all.truncate(self.limit);
        Ok(all)
    }

    fn collect_segment(
        &self,
        weight: &dyn Weight,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Vec<(Score, DocAddress)>> {
        let mut child = self.for_segment(segment, reader)?;
        weight.for_each_pruning(self.floor, reader, &mut |doc, score| child.offer(doc, score))?;
        Ok(child.harvest())
    }
}
