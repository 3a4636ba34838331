//! Enterprises' technology profiles, and ranking them for a patent (patent → enterprises).
//!
//! A profile is what an enterprise has shown it works on: its stated business scope, the demands it posted,
//! the patents it holds (their text and IPC codes) and the chains it belongs to. Profiles are few (hundreds to
//! a few thousand enterprises), so they live in a small in-memory index rebuilt from the database when they
//! change, not in the outbox-fed patent index.

use std::collections::HashMap;

use serde::Serialize;
use tantivy::collector::TopDocs;
use tantivy::query::{BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, TermQuery};
use tantivy::schema::{FAST, Field, INDEXED, IndexRecordOption, STRING, Schema, TextFieldIndexing, TextOptions};
use tantivy::{DocAddress, Index, IndexReader, TantivyDocument, Term};

use crate::Result;
use crate::analyzer::{ANALYZER_NAME, Analyzer};
use crate::index::{PatentIndex, from_key, id_key, ipc_levels};

/// One enterprise's profile inputs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnterpriseProfile {
    /// Organisation id.
    pub org_id: i64,
    /// Name.
    pub name: String,
    /// Business scope as registered or stated (经营范围).
    pub business_scope: String,
    /// Titles and descriptions of its demands.
    pub demands: Vec<String>,
    /// Titles and abstracts of the patents it holds (the most recent few hundred).
    pub patents: Vec<String>,
    /// IPC codes of its patents and demands.
    pub ipc_codes: Vec<String>,
    /// Chain codes it declared or its patents fall in.
    pub chains: Vec<String>,
}

/// Where a profile matched a term.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ProfileSource {
    /// 经营范围.
    BusinessScope,
    /// 技术需求.
    Demand,
    /// 自有专利.
    OwnPatent,
}

impl ProfileSource {
    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            ProfileSource::BusinessScope => "经营范围",
            ProfileSource::Demand => "技术需求",
            ProfileSource::OwnPatent => "自有专利",
        }
    }
}

/// An enterprise ranked for a patent, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnterpriseMatch {
    /// Organisation id.
    pub org_id: i64,
    /// Score.
    pub score: f32,
    /// Score relative to the best enterprise, 0–100.
    pub relative: u8,
    /// The patent's terms found in the profile, with where.
    pub matched_terms: Vec<(String, Vec<ProfileSource>)>,
    /// IPC levels the enterprise's patents or demands share with the patent.
    pub shared_ipc: Vec<String>,
    /// Chains shared.
    pub shared_chains: Vec<String>,
}

#[derive(Debug, Clone, Copy)]
struct ProfileFields {
    org: Field,
    scope: Field,
    demands: Field,
    patents: Field,
    ipc: Field,
    chain: Field,
}

/// The profile index.
pub struct EnterpriseIndex {
    reader: IndexReader,
    fields: ProfileFields,
    profiles: HashMap<i64, EnterpriseProfile>,
}

impl std::fmt::Debug for EnterpriseIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnterpriseIndex").field("profiles", &self.profiles.len()).finish_non_exhaustive()
    }
}

/// Weights of the profile parts: a demand states a need outright; a business scope is broad.
const DEMAND_BOOST: f32 = 2.0;
const SCOPE_BOOST: f32 = 1.0;
const PATENTS_BOOST: f32 = 0.8;
/// Shares of the best text score for shared IPC and chain.
const GROUP_SHARE: f32 = 0.3;
const SUBCLASS_SHARE: f32 = 0.2;
const CHAIN_SHARE: f32 = 0.15;

impl EnterpriseIndex {
    /// Builds the index of `profiles` in memory.
    pub fn build(analyzer: &Analyzer, profiles: Vec<EnterpriseProfile>) -> Result<Self> {
        let mut builder = Schema::builder();
        let text = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default().set_tokenizer(ANALYZER_NAME).set_index_option(IndexRecordOption::WithFreqs),
        );
        let fields = ProfileFields {
            org: builder.add_u64_field("org", INDEXED | FAST),
            scope: builder.add_text_field("scope", text.clone()),
            demands: builder.add_text_field("demands", text.clone()),
            patents: builder.add_text_field("patents", text),
            ipc: builder.add_text_field("ipc", STRING),
            chain: builder.add_text_field("chain", STRING),
        };
        let index = Index::create_in_ram(builder.build());
        index.tokenizers().register(ANALYZER_NAME, analyzer.tokenizer());
        let mut writer = index.writer_with_num_threads(1, 32 << 20)?;
        for p in &profiles {
            let mut d = TantivyDocument::default();
            d.add_u64(fields.org, id_key(p.org_id));
            d.add_text(fields.scope, &p.business_scope);
            for demand in &p.demands {
                d.add_text(fields.demands, demand);
            }
            for patent in &p.patents {
                d.add_text(fields.patents, patent);
            }
            let mut levels: Vec<String> =
                p.ipc_codes.iter().flat_map(|c| ipc_levels(c)).filter(|l| l.len() >= 4).collect();
            levels.sort();
            levels.dedup();
            for level in levels {
                d.add_text(fields.ipc, level);
            }
            for chain in &p.chains {
                d.add_text(fields.chain, chain);
            }
            writer.add_document(d)?;
        }
        writer.commit()?;
        let reader = index.reader()?;
        let profiles = profiles.into_iter().map(|p| (p.org_id, p)).collect();
        Ok(Self { reader, fields, profiles })
    }

    /// Number of profiles.
    pub fn len(&self) -> usize {
        self.profiles.len()
    }

    /// Whether there are no profiles.
    pub fn is_empty(&self) -> bool {
        self.profiles.is_empty()
    }

    /// Ranks enterprises for a patent given by its text, IPC codes and chains. Terms are selected against the
    /// patent index (rarity over all patents), so generic words do not decide.
    pub fn rank(
        &self,
        patents: &PatentIndex,
        title: &str,
        abstract_text: &str,
        ipc_codes: &[String],
        chains: &[String],
        limit: usize,
    ) -> Result<Vec<EnterpriseMatch>> {
        let terms = patents.select_terms(&patents.searcher(), title, abstract_text)?;
        let searcher = self.reader.searcher();
        let f = self.fields;
        let max = terms.first().map(|(_, w)| *w).unwrap_or(1.0).max(f32::MIN_POSITIVE);
        let mut text: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (term, weight) in &terms {
            let temper = 0.5 + 0.5 * (weight / max);
            for (field, boost) in [(f.demands, DEMAND_BOOST), (f.scope, SCOPE_BOOST), (f.patents, PATENTS_BOOST)] {
                let q = TermQuery::new(Term::from_field_text(field, term), IndexRecordOption::WithFreqs);
                text.push((Occur::Should, Box::new(BoostQuery::new(Box::new(q), boost * temper))));
            }
        }
        let levels: Vec<String> = {
            let mut l: Vec<String> = ipc_codes.iter().flat_map(|c| ipc_levels(c)).filter(|l| l.len() >= 4).collect();
            l.sort();
            l.dedup();
            l
        };
        let mut structure: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for level in &levels {
            let q = TermQuery::new(Term::from_field_text(f.ipc, level), IndexRecordOption::Basic);
            structure.push((Occur::Should, Box::new(q)));
        }
        for chain in chains {
            let q = TermQuery::new(Term::from_field_text(f.chain, chain), IndexRecordOption::Basic);
            structure.push((Occur::Should, Box::new(q)));
        }
        if text.is_empty() && structure.is_empty() {
            return Ok(Vec::new());
        }
        // First the text alone, for the scale of the structural boosts.
        let text_query = BooleanQuery::new(text);
        let first: Vec<(f32, DocAddress)> = searcher.search(&text_query, &TopDocs::with_limit(1).order_by_score())?;
        let scale = first.first().map(|(s, _)| *s).unwrap_or(1.0);
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, Box::new(text_query))];
        for level in &levels {
            let share = if level.contains('/') { GROUP_SHARE } else { SUBCLASS_SHARE };
            let q = TermQuery::new(Term::from_field_text(f.ipc, level), IndexRecordOption::Basic);
            clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(Box::new(q), share * scale))));
        }
        for chain in chains {
            let q = TermQuery::new(Term::from_field_text(f.chain, chain), IndexRecordOption::Basic);
            clauses.push((Occur::Should, Box::new(ConstScoreQuery::new(Box::new(q), CHAIN_SHARE * scale))));
        }
        let query = BooleanQuery::new(clauses);
        let top: Vec<(f32, DocAddress)> =
            searcher.search(&query, &TopDocs::with_limit(limit.clamp(1, 500)).order_by_score())?;
        let best = top.first().map(|(s, _)| *s).unwrap_or(1.0);
        let mut out = Vec::with_capacity(top.len());
        for (score, address) in top {
            let column = searcher.segment_reader(address.segment_ord).fast_fields().u64("org")?;
            let org_id = column.first(address.doc_id).map(from_key).unwrap_or(0);
            let Some(profile) = self.profiles.get(&org_id) else { continue };
            out.push(explain(profile, org_id, score, best, &terms, &levels, chains));
        }
        Ok(out)
    }
}

fn explain(
    profile: &EnterpriseProfile,
    org_id: i64,
    score: f32,
    best: f32,
    terms: &[(String, f32)],
    levels: &[String],
    chains: &[String],
) -> EnterpriseMatch {
    let scope = profile.business_scope.to_lowercase();
    let mut matched: Vec<(String, Vec<ProfileSource>)> = Vec::new();
    for (term, _) in terms {
        let mut sources = Vec::new();
        if scope.contains(term.as_str()) {
            sources.push(ProfileSource::BusinessScope);
        }
        if profile.demands.iter().any(|d| d.to_lowercase().contains(term.as_str())) {
            sources.push(ProfileSource::Demand);
        }
        if profile.patents.iter().any(|p| p.to_lowercase().contains(term.as_str())) {
            sources.push(ProfileSource::OwnPatent);
        }
        if !sources.is_empty() && !matched.iter().any(|(m, _)| m.contains(term.as_str())) {
            matched.push((term.clone(), sources));
        }
    }
    let own: Vec<String> = profile.ipc_codes.iter().flat_map(|c| ipc_levels(c)).collect();
    let mut shared_ipc: Vec<String> = levels.iter().filter(|l| own.contains(l)).cloned().collect();
    shared_ipc.dedup();
    let shared_chains = chains.iter().filter(|c| profile.chains.contains(c)).cloned().collect();
    let relative = if best > 0.0 { ((score / best) * 100.0).round().clamp(0.0, 100.0) as u8 } else { 0 };
    EnterpriseMatch { org_id, score, relative, matched_terms: matched, shared_ipc, shared_chains }
}
