//! Matching a long text (an enterprise's demand, another patent) to patents, with reasons a person can check.
//!
//! Plain BM25 over every word of a 500-character demand is dominated by words that say nothing about the
//! technology (我们, 需要, 提高, 效率). The matcher therefore:
//! 1. **selects terms**: the content words of the text, weighted by how often the text uses them (title words
//!    count double) and how rare they are in the index, keeping the best 8–24 depending on the text's length;
//! 2. **weights fields**: a term in a patent's title counts 3×, in its abstract 1×, in its claims 0.5×;
//! 3. **focuses on IPC**: the IPC codes the demand gives, or — when it gives none — the subclasses and main
//!    groups that dominate the first pass's best hits (pseudo-relevance feedback), then boosts patents
//!    classified there in a second pass, by a share of the best text score (scale-free);
//! 4. **boosts the chain** the demand names, a little.
//!
//! [`PatentIndex::plain_bm25`] is the baseline the quality benchmark compares it with: every word of the text
//! as-is, OR-ed, title and abstract weighted equally, no feedback.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::fieldnorm::FieldNormReader;
use tantivy::query::{Bm25Weight, BooleanQuery, BoostQuery, ConstScoreQuery, EnableScoring, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocAddress, DocSet, Score, Searcher, Term};

use crate::Result;
use crate::index::{FOCUS_LEN, PatentIndex, chain_focus, id_key, ipc_levels};
use crate::query::{Filters, doc_freqs, escape, normalise_ipc};
use crate::top::ScopedTopDocs;

/// Which patents a match may return.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum MatchScope {
    /// Granted-and-in-force or pending patents only (the default: a lapsed patent cannot be licensed).
    #[default]
    Active,
    /// Every patent.
    All,
    /// Patents listed in the transferable pool (可转化专利资源库) only.
    Pool,
}

/// A text to match.
#[derive(Debug, Clone, Default)]
pub struct MatchRequest {
    /// A short title, when there is one (its words count double).
    pub title: String,
    /// The body text.
    pub text: String,
    /// IPC codes the requester knows (any level).
    pub ipc: Vec<String>,
    /// An industry chain code to favour.
    pub chain: Option<String>,
    /// Which patents may be returned.
    pub scope: MatchScope,
    /// Further filters (owner, county, exclusions).
    pub filters: Filters,
    /// Hits wanted.
    pub limit: usize,
    /// Leave out the IPC feedback (for measuring what it brings; matching always uses it).
    pub skip_ipc_feedback: bool,
}

/// Where the IPC focus came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum IpcSource {
    /// Given with the request.
    Given,
    /// Inferred from the best first-pass hits.
    Inferred,
}

/// What a match searched for: shown to the user as "检索要点".
#[derive(Debug, Clone, Default, Serialize)]
pub struct MatchPlan {
    /// The selected terms with their weights, best first.
    pub terms: Vec<(String, f32)>,
    /// IPC levels the match favoured, with their share (0–1).
    pub ipc_focus: Vec<(String, f32)>,
    /// Whether the IPC focus was given or inferred.
    pub ipc_source: Option<IpcSource>,
    /// The chain favoured.
    pub chain: Option<String>,
}

/// A matched patent.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MatchHit {
    /// Patent id.
    pub id: i64,
    /// Final score.
    pub score: f32,
    /// Score relative to the best hit, 0–100.
    pub relative: u8,
}

/// Why a patent matched, for a person to check.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Explanation {
    /// Selected terms found in the patent's title or abstract.
    pub matched_terms: Vec<String>,
    /// Selected terms not found.
    pub missing_terms: Vec<String>,
    /// IPC levels shared with the focus (A23F, A23F3/00).
    pub shared_ipc: Vec<String>,
    /// Whether the patent is in the favoured chain.
    pub same_chain: bool,
    /// The title with matched terms in `<b>`.
    pub title_html: String,
    /// The abstract passage with most matched terms, in HTML.
    pub abstract_html: String,
}

impl MatchPlan {
    /// The reasons `patent` matched: terms found, IPC shared, chain, with highlighted text.
    pub fn explain(&self, title: &str, abstract_text: &str, ipc_codes: &[String], chains: &[String]) -> Explanation {
        let title_lower = title.to_lowercase();
        let abstract_lower = abstract_text.to_lowercase();
        let mut matched = Vec::new();
        let mut missing = Vec::new();
        for (term, _) in &self.terms {
            if title_lower.contains(term.as_str()) || abstract_lower.contains(term.as_str()) {
                // A sub-word of a term already listed adds nothing to read.
                if !matched.iter().any(|m: &String| m.contains(term.as_str())) {
                    matched.push(term.clone());
                }
            } else {
                missing.push(term.clone());
            }
        }
        let levels: Vec<String> = ipc_codes.iter().flat_map(|c| ipc_levels(c)).collect();
        let mut shared: Vec<String> =
            self.ipc_focus.iter().filter(|(code, _)| levels.contains(code)).map(|(code, _)| code.clone()).collect();
        shared.dedup();
        let same_chain = self.chain.as_ref().is_some_and(|c| chains.contains(c));
        Explanation {
            title_html: mark_terms(title, &matched, usize::MAX),
            abstract_html: mark_terms(abstract_text, &matched, 180),
            matched_terms: matched,
            missing_terms: missing,
            shared_ipc: shared,
            same_chain,
        }
    }
}

/// `text` as HTML with every occurrence of `terms` in `<b>`; when longer than `window` characters, the window
/// around the densest run of matches.
fn mark_terms(text: &str, terms: &[String], window: usize) -> String {
    let lower = text.to_lowercase();
    // Lower-casing changes byte lengths only outside CJK; fall back to no marks when it did.
    let mut ranges: Vec<(usize, usize)> = Vec::new();
    if lower.len() == text.len() {
        for term in terms {
            let mut from = 0;
            while let Some(at) = lower[from..].find(term.as_str()) {
                let start = from + at;
                ranges.push((start, start + term.len()));
                from = start + term.len();
            }
        }
    }
    ranges.sort();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let (mut lo, mut hi) = (0usize, text.len());
    if chars.len() > window {
        // Start the window a little before the first match of the densest region.
        let best = merged
            .iter()
            .map(|(s, _)| {
                let count = merged.iter().filter(|(s2, _)| *s2 >= *s && *s2 < s + window * 3).count();
                (count, *s)
            })
            .max_by_key(|(count, s)| (*count, std::cmp::Reverse(*s)))
            .map(|(_, s)| s)
            .unwrap_or(0);
        let start_char = chars.iter().position(|(b, _)| *b >= best).unwrap_or(0).saturating_sub(20);
        let end_char = (start_char + window).min(chars.len());
        lo = chars[start_char].0;
        hi = chars.get(end_char).map(|(b, _)| *b).unwrap_or(text.len());
    }
    let mut html = String::new();
    if lo > 0 {
        html.push('…');
    }
    let mut at = lo;
    for (s, e) in merged {
        if s < lo || e > hi {
            continue;
        }
        html.push_str(&escape(&text[at..s]));
        html.push_str("<b>");
        html.push_str(&escape(&text[s..e]));
        html.push_str("</b>");
        at = e;
    }
    html.push_str(&escape(&text[at..hi]));
    if hi < text.len() {
        html.push('…');
    }
    html
}

/// Candidates beyond the wanted hits that the boosted pass collects, in case some hold a boosted code and
/// none of the terms.
const BOOST_ONLY_SLACK: usize = 10;
/// First-pass hits read for IPC feedback.
const FEEDBACK_DOCS: usize = 10;
/// Share of the best text score given to a patent in the fully dominant IPC main group / subclass.
const GROUP_BOOST: f32 = 0.35;
const SUBCLASS_BOOST: f32 = 0.25;
/// Share of the best text score given to a patent of the favoured chain.
const CHAIN_BOOST: f32 = 0.10;
/// A single Han character is a term only when at most this share of the patents contain it.
const SINGLE_CHAR_MAX_SHARE: f32 = 0.01;
/// An inferred IPC level must carry at least this share of the feedback votes.
const MIN_VOTE_SHARE: f32 = 0.3;

impl PatentIndex {
    /// Terms of `request` worth searching for, best first (see the module comment).
    pub fn select_terms(&self, searcher: &Searcher, title: &str, text: &str) -> Result<Vec<(String, f32)>> {
        let mut tf: HashMap<String, (f32, bool)> = HashMap::new();
        for (source, weight) in [(title, 2.0f32), (text, 1.0)] {
            for word in self.analyzer.words(source) {
                if self.analyzer.is_stop_term(&word.text) || word.text.chars().count() > 12 {
                    continue;
                }
                let entry = tf.entry(word.text).or_insert((0.0, word.base));
                entry.0 += weight;
                entry.1 |= word.base;
            }
        }
        let candidates: Vec<String> = tf.keys().cloned().collect();
        let dfs = doc_freqs(searcher, &self.fields, &candidates)?;
        let n = searcher.num_docs().max(1) as f32;
        let mut scored: Vec<(String, f32)> = tf
            .into_iter()
            .filter_map(|(term, (count, base))| {
                let df = *dfs.get(&term)? as f32;
                if df == 0.0 {
                    return None;
                }
                // A lone character counts only when rare (烯 of 石墨烯), never when common (用, 方).
                if self.analyzer.is_single_han(&term) && df / n > SINGLE_CHAR_MAX_SHARE {
                    return None;
                }
                let idf = (1.0 + (n - df + 0.5) / (df + 0.5)).ln();
                // A word inside a longer word adds recall, not meaning: half weight.
                let part = if base { 1.0 } else { 0.5 };
                Some((term, (1.0 + count.ln()) * idf * part))
            })
            .collect();
        scored.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let chars = title.chars().count() + text.chars().count();
        let keep = (8 + chars / 30).clamp(8, 24);
        scored.truncate(keep);
        Ok(scored)
    }

    /// Ranks patents for a long text. Returns the plan (what was searched for) and the hits.
    pub fn match_text(&self, request: &MatchRequest) -> Result<(MatchPlan, Vec<MatchHit>)> {
        let searcher = self.searcher();
        let terms = self.select_terms(&searcher, &request.title, &request.text)?;
        let mut plan = MatchPlan { terms, chain: request.chain.clone(), ..MatchPlan::default() };
        if plan.terms.is_empty() {
            return Ok((plan, Vec::new()));
        }
        let mut filters = request.filters.clone();
        filters.active_only |= request.scope == MatchScope::Active;
        filters.pool_only |= request.scope == MatchScope::Pool;
        let clauses = self.term_clauses(&plan.terms);
        let text_query: Box<dyn Query> =
            Box::new(BooleanQuery::new(clauses.iter().map(|(o, q)| (*o, q.box_clone())).collect()));
        let limit = request.limit.clamp(1, 1000);
        // Scope and exclusions are checked per candidate when they are the only filters, so the passes stay
        // flat unions of term queries that tantivy prunes with block-max WAND (see `top`).
        let scoped = only_scope(&filters).then(|| ScopedTopDocs {
            limit: 0,
            active_only: filters.active_only,
            pool_only: filters.pool_only,
            exclude: filters.exclude.iter().map(|id| id_key(*id)).collect(),
            floor: Score::MIN,
        });

        // First pass: the text alone.
        let first_limit = limit.max(FEEDBACK_DOCS);
        let first: Vec<(f32, DocAddress)> = match &scoped {
            Some(scope) => searcher.search(&*text_query, &ScopedTopDocs { limit: first_limit, ..scope.clone() })?,
            None => searcher.search(
                &self.with_filters(text_query.box_clone(), &filters),
                &TopDocs::with_limit(first_limit).order_by_score(),
            )?,
        };
        let Some(top_score) = first.first().map(|(s, _)| *s) else {
            return Ok((plan, Vec::new()));
        };

        // IPC focus: given, or inferred from the first pass.
        if !request.ipc.is_empty() {
            plan.ipc_source = Some(IpcSource::Given);
            for code in &request.ipc {
                let code = normalise_ipc(code);
                let levels = ipc_levels(&code);
                // Favour the given level and the subclass above it.
                for level in levels.into_iter().filter(|l| l.len() >= 4) {
                    if !plan.ipc_focus.iter().any(|(c, _)| *c == level) {
                        plan.ipc_focus.push((level, 1.0));
                    }
                }
            }
        } else if !request.skip_ipc_feedback {
            plan.ipc_focus = self.infer_ipc(&searcher, &first)?;
            if !plan.ipc_focus.is_empty() {
                plan.ipc_source = Some(IpcSource::Inferred);
            }
        }

        if plan.ipc_focus.is_empty() && plan.chain.is_none() {
            let ids = self.ids_of(&searcher, &first.iter().take(limit).map(|(_, a)| *a).collect::<Vec<_>>())?;
            let hits = first.iter().zip(ids).map(|((score, _), id)| hit(id, *score, top_score)).collect();
            return Ok((plan, hits));
        }

        // Second pass: IPC and chain add a share of the best text score to the text's own score.
        let mut boosts: Vec<(String, f32)> = plan
            .ipc_focus
            .iter()
            .map(|(code, share)| {
                let weight = if code.contains('/') { GROUP_BOOST } else { SUBCLASS_BOOST } * share * top_score;
                (code.clone(), weight)
            })
            .collect();
        if let Some(chain) = &plan.chain {
            boosts.push((chain_focus(chain), CHAIN_BOOST * top_score));
        }
        let top = match &scoped {
            Some(scope) => {
                // Boosts only add: the first pass's `limit` best score at least their own text score in the
                // second, so nothing below the lowest of them can make the top `limit` (less a rounding margin,
                // as the two passes sum in different orders).
                let floor = first.get(limit - 1).map_or(Score::MIN, |(s, _)| s - s.abs() * 1e-4);
                let scope = ScopedTopDocs { floor, ..scope.clone() };
                self.boosted_pass(&searcher, clauses, &*text_query, &boosts, limit, &scope)?
            }
            None => None,
        };
        let top = match top {
            Some(top) => top,
            None => self.boosted_pass_exact(&searcher, text_query, &boosts, &filters, limit)?,
        };
        let best = top.first().map(|(s, _)| *s).unwrap_or(1.0);
        let ids = self.ids_of(&searcher, &top.iter().map(|(_, a)| *a).collect::<Vec<_>>())?;
        Ok((plan, top.iter().zip(ids).map(|((score, _), id)| hit(id, *score, best)).collect()))
    }

    /// The second pass as one flat union: the text's term queries and, for each boost, a term query on the
    /// `focus` field scaled so that every holder gets exactly the boost (the field has the same length in every
    /// document, so BM25 gives all holders of a term the same score). A patent holding a boosted code but none
    /// of the terms is no match: such a candidate can only score up to the sum of the boosts, so only hits at
    /// or below that sum are checked against the text. `None` when too few checked hits remain to be sure of
    /// the top `limit`; the caller then runs the exact pass.
    fn boosted_pass(
        &self,
        searcher: &Searcher,
        mut clauses: Vec<(Occur, Box<dyn Query>)>,
        text_query: &dyn Query,
        boosts: &[(String, f32)],
        limit: usize,
        scope: &ScopedTopDocs,
    ) -> Result<Option<Vec<(f32, DocAddress)>>> {
        let fieldnorm = FieldNormReader::fieldnorm_to_id(FOCUS_LEN as u32);
        let mut boost_sum = 0.0f32;
        for (token, weight) in boosts {
            let term = Term::from_field_text(self.fields.focus, token);
            if searcher.doc_freq(&term)? == 0 {
                continue;
            }
            let unit = Bm25Weight::for_terms(searcher, std::slice::from_ref(&term))?.score(fieldnorm, 1);
            if !(unit > 0.0 && unit.is_finite()) {
                continue;
            }
            boost_sum += weight;
            let query = TermQuery::new(term, IndexRecordOption::WithFreqs);
            clauses.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), weight / unit))));
        }
        let want = limit + BOOST_ONLY_SLACK;
        let candidates: Vec<(f32, DocAddress)> =
            searcher.search(&BooleanQuery::new(clauses), &ScopedTopDocs { limit: want, ..scope.clone() })?;
        let full = candidates.len() == want;
        // Rounding of the scaled boosts: be generous about what may be a boost alone.
        let doubtful = boost_sum * 1.001;
        let mut kept = Vec::with_capacity(limit);
        let mut dropped = false;
        let text_weight = text_query.weight(EnableScoring::disabled_from_searcher(searcher))?;
        for (score, address) in candidates {
            if kept.len() == limit {
                break;
            }
            if score <= doubtful {
                let mut scorer = text_weight.scorer(searcher.segment_reader(address.segment_ord), 1.0)?;
                if scorer.seek(address.doc_id) != address.doc_id {
                    dropped = true;
                    continue;
                }
            }
            kept.push((score, address));
        }
        if dropped && full && kept.len() < limit {
            return Ok(None);
        }
        Ok(Some(kept))
    }

    /// The second pass for any filters: the text must match, boosts add constant scores. Exact, but every
    /// matching patent is scored.
    fn boosted_pass_exact(
        &self,
        searcher: &Searcher,
        text_query: Box<dyn Query>,
        boosts: &[(String, f32)],
        filters: &Filters,
        limit: usize,
    ) -> Result<Vec<(f32, DocAddress)>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        for (token, weight) in boosts {
            let term = TermQuery::new(Term::from_field_text(self.fields.focus, token), IndexRecordOption::Basic);
            clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(Box::new(term), *weight))));
        }
        let query = self.with_filters(Box::new(BooleanQuery::new(clauses)), filters);
        Ok(searcher.search(&query, &TopDocs::with_limit(limit).order_by_score())?)
    }

    /// Subclasses and main groups that carry at least [`MIN_VOTE_SHARE`] of the score-weighted votes of the
    /// first pass's best hits.
    fn infer_ipc(&self, searcher: &Searcher, first: &[(f32, DocAddress)]) -> Result<Vec<(String, f32)>> {
        let mut votes: BTreeMap<String, f32> = BTreeMap::new();
        let mut total = 0.0f32;
        let top = first.first().map(|(s, _)| *s).unwrap_or(1.0).max(f32::MIN_POSITIVE);
        for (score, address) in first.iter().take(FEEDBACK_DOCS) {
            let (_, codes) = self.stored(searcher, *address)?;
            if codes.is_empty() {
                continue;
            }
            let weight = score / top;
            total += weight;
            let mut levels: Vec<String> = codes.iter().flat_map(|c| ipc_levels(c)).filter(|l| l.len() >= 4).collect();
            levels.sort();
            levels.dedup();
            for level in levels {
                *votes.entry(level).or_default() += weight;
            }
        }
        if total == 0.0 {
            return Ok(Vec::new());
        }
        let mut focus: Vec<(String, f32)> =
            votes.into_iter().map(|(c, v)| (c, v / total)).filter(|(_, share)| *share >= MIN_VOTE_SHARE).collect();
        focus.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        // At most three subclasses and three groups.
        let mut subclasses = 0;
        let mut groups = 0;
        focus.retain(|(code, _)| {
            let slot = if code.contains('/') { &mut groups } else { &mut subclasses };
            *slot += 1;
            *slot <= 3
        });
        Ok(focus)
    }

    /// The selected terms as should-clauses over the weighted text fields.
    fn term_clauses(&self, terms: &[(String, f32)]) -> Vec<(Occur, Box<dyn Query>)> {
        let max = terms.first().map(|(_, w)| *w).unwrap_or(1.0).max(f32::MIN_POSITIVE);
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in terms {
            // BM25 already weighs rarity; the selection weight only tempers terms the text barely uses.
            let temper = 0.5 + 0.5 * (weight / max);
            let q = TermQuery::new(Term::from_field_text(self.fields.body, term), IndexRecordOption::WithFreqs);
            should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), temper))));
        }
        should
    }

    /// The baseline: every word of `text` as-is, OR-ed over title and abstract with equal weight, BM25.
    pub fn plain_bm25(&self, text: &str, filters: &Filters, limit: usize) -> Result<Vec<MatchHit>> {
        let searcher = self.searcher();
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for word in self.analyzer.words(text) {
            if !seen.insert(word.text.clone()) {
                continue;
            }
            for field in [self.fields.title, self.fields.abstract_text] {
                let q = TermQuery::new(Term::from_field_text(field, &word.text), IndexRecordOption::WithFreqs);
                should.push((Occur::Should, Box::new(q)));
            }
        }
        if should.is_empty() {
            return Ok(Vec::new());
        }
        let query = self.with_filters(Box::new(BooleanQuery::new(should)), filters);
        let top: Vec<(f32, DocAddress)> =
            searcher.search(&query, &TopDocs::with_limit(limit.clamp(1, 1000)).order_by_score())?;
        let best = top.first().map(|(s, _)| *s).unwrap_or(1.0);
        let ids = self.ids_of(&searcher, &top.iter().map(|(_, a)| *a).collect::<Vec<_>>())?;
        Ok(top.iter().zip(ids).map(|((score, _), id)| hit(id, *score, best)).collect())
    }
}

/// Whether the filters are only the scope and exclusions, which [`ScopedTopDocs`] applies itself.
fn only_scope(filters: &Filters) -> bool {
    let Filters {
        patent_type,
        legal_status,
        active_only: _,
        pool_only: _,
        ipc,
        county,
        chain,
        year,
        owner,
        exclude: _,
    } = filters;
    patent_type.is_none()
        && legal_status.is_none()
        && ipc.is_none()
        && county.is_none()
        && chain.is_none()
        && year.is_none()
        && owner.is_none()
}

fn hit(id: i64, score: f32, best: f32) -> MatchHit {
    let relative = if best > 0.0 { ((score / best) * 100.0).round().clamp(0.0, 100.0) as u8 } else { 0 };
    MatchHit { id, score, relative }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_terms_in_a_window() {
        let html = mark_terms("一种富硒茶叶的加工方法", &["富硒".into(), "加工".into()], usize::MAX);
        assert_eq!(html, "一种<b>富硒</b>茶叶的<b>加工</b>方法");
        let long = format!("{}富硒茶叶{}", "甲".repeat(300), "乙".repeat(300));
        let html = mark_terms(&long, &["富硒".into()], 100);
        assert!(html.starts_with('…') && html.ends_with('…') && html.contains("<b>富硒</b>"), "{html}");
    }
}
