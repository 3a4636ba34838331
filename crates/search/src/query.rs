//! The search box: what a user types, turned into a tantivy query with filters, facets and snippets.
//!
//! Language (documented for users on the search page and in docs/search.md):
//! - free Chinese text, with or without spaces: 富硒茶叶加工 and 富硒 茶叶 加工 find the same patents. The
//!   words must nearly all occur (one in four may be missing), ranked by BM25 with title matches weighted most;
//! - "a phrase" (ASCII or Chinese quotes): the words in that order;
//! - AND (the default between words), OR, NOT, or a leading minus: 茶叶 OR 魔芋, 茶叶 -饮料;
//! - field terms: 标题:… 摘要:… 权利要求:… 申请人:… 发明人:… 分类号:… 申请号:… (full-width colon too).
//!   分类号 matches at any level: A23, A23F, A23F3/00, A23F3/06.

use std::collections::BTreeMap;

use ipbridge_domain::patent::{ApplicationNo, IpcCode};
use serde::Serialize;
use tantivy::aggregation::agg_req::Aggregations;
use tantivy::aggregation::agg_result::AggregationResults;
use tantivy::aggregation::{AggContextParams, AggregationCollector, AggregationLimitsGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, PhraseQuery, Query, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::snippet::SnippetGenerator;
use tantivy::{Order, Searcher, Term};

use crate::analyzer::Word;
use crate::index::{Fields, PatentIndex, id_key, names};
use crate::{Result, SearchError};

/// Field weights of free text: a word in the title says more about the patent than one in the claims.
pub(crate) const TITLE_BOOST: f32 = 3.0;
pub(crate) const ABSTRACT_BOOST: f32 = 1.0;
pub(crate) const CLAIMS_BOOST: f32 = 0.5;
pub(crate) const APPLICANTS_BOOST: f32 = 0.8;

/// Result order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub enum Sort {
    /// Best match first.
    #[default]
    Relevance,
    /// Latest filing date first.
    NewestFirst,
    /// Earliest filing date first.
    OldestFirst,
}

/// Filters applied on top of the query (facet selections and scope).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters {
    /// `invention`, `utility_model`, `design`.
    pub patent_type: Option<String>,
    /// A legal status code.
    pub legal_status: Option<String>,
    /// Only granted-and-in-force or pending patents (the default scope of matching).
    pub active_only: bool,
    /// Only patents listed in the transferable pool (可转化专利资源库).
    pub pool_only: bool,
    /// An IPC prefix at any level (A23F, A23F3/00).
    pub ipc: Option<String>,
    /// A county code.
    pub county: Option<String>,
    /// An industry chain code.
    pub chain: Option<String>,
    /// A filing year.
    pub year: Option<i32>,
    /// The owning organisation.
    pub owner: Option<i64>,
    /// Patent ids never to return (the patent itself, for "similar patents").
    pub exclude: Vec<i64>,
}

/// One search.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    /// What the user typed (may be empty: browse by filters).
    pub query: String,
    /// Filters.
    pub filters: Filters,
    /// Order.
    pub sort: Sort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
    /// Whether to count facets (costs a pass over every matching document).
    pub facets: bool,
}

/// A hit: the patent id and its score (0 when sorted by date).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SearchHit {
    /// Patent id in the database.
    pub id: i64,
    /// BM25 score.
    pub score: f32,
}

/// One value of a facet and how many matching patents have it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// The value (a code; the caller labels it).
    pub value: String,
    /// Matching patents with this value.
    pub count: u64,
}

/// Counts of one facet over all matching patents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Facet {
    /// The facet: type, status, ipc_section, ipc_class, county, chain, year, owner.
    pub name: String,
    /// Values, most frequent first.
    pub values: Vec<FacetValue>,
}

/// Snippet makers for the text fields, built from the query's own terms.
pub struct Highlighter {
    title: Option<SnippetGenerator>,
    abstract_text: Option<SnippetGenerator>,
    claims: Option<SnippetGenerator>,
}

impl std::fmt::Debug for Highlighter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Highlighter").finish_non_exhaustive()
    }
}

impl Highlighter {
    pub(crate) fn new(searcher: &Searcher, query: &dyn Query, fields: &Fields) -> Self {
        let make = |field: Field, chars: usize| {
            SnippetGenerator::create(searcher, query, field).ok().map(|mut generator| {
                generator.set_max_num_chars(chars);
                generator
            })
        };
        Self {
            title: make(fields.title, 200),
            abstract_text: make(fields.abstract_text, 160),
            claims: make(fields.claims, 160),
        }
    }

    /// The title as HTML, matched words in `<b>`; the whole title, escaped, when nothing matched.
    pub fn title_html(&self, title: &str) -> String {
        highlight(self.title.as_ref(), title, true)
    }

    /// The best passage of the abstract as HTML (at most 160 characters), or its start when nothing matched.
    pub fn abstract_html(&self, text: &str) -> String {
        highlight(self.abstract_text.as_ref(), text, false)
    }

    /// The best passage of the claims as HTML, empty when nothing matched.
    pub fn claims_html(&self, text: &str) -> String {
        match &self.claims {
            Some(generator) => {
                let snippet = generator.snippet(text);
                if snippet.highlighted().is_empty() { String::new() } else { snippet.to_html() }
            }
            None => String::new(),
        }
    }
}

fn highlight(generator: Option<&SnippetGenerator>, text: &str, whole: bool) -> String {
    if let Some(generator) = generator {
        let snippet = generator.snippet(text);
        if !snippet.highlighted().is_empty() {
            if whole {
                // Titles are short: highlight all of it, not a fragment.
                return mark(text, snippet.highlighted(), snippet.fragment_range().start);
            }
            return snippet.to_html();
        }
    }
    let start: String = if whole { text.to_owned() } else { text.chars().take(160).collect() };
    let mut html = escape(&start);
    if !whole && start.len() < text.len() {
        html.push('…');
    }
    html
}

/// `text` escaped, with the ranges (relative to `offset` into `text`) wrapped in `<b>`.
fn mark(text: &str, ranges: &[std::ops::Range<usize>], offset: usize) -> String {
    let mut html = String::with_capacity(text.len() + ranges.len() * 7);
    let mut at = 0;
    for range in ranges {
        let (from, to) = (range.start + offset, range.end + offset);
        if from < at || to <= from || to > text.len() || !text.is_char_boundary(from) || !text.is_char_boundary(to) {
            continue;
        }
        html.push_str(&escape(&text[at..from]));
        html.push_str("<b>");
        html.push_str(&escape(&text[from..to]));
        html.push_str("</b>");
        at = to;
    }
    html.push_str(&escape(&text[at..]));
    html
}

/// Minimal HTML escaping for text placed in element content.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// What a search found.
#[derive(Debug)]
pub struct SearchResults {
    /// Matching patents in all.
    pub total: usize,
    /// The requested page.
    pub hits: Vec<SearchHit>,
    /// Facet counts (empty unless asked).
    pub facets: Vec<Facet>,
    /// Snippets for the hits' texts.
    pub highlighter: Highlighter,
    /// The words of the query, for display ("搜索词：富硒 茶叶 加工").
    pub terms: Vec<String>,
}

/// A text field a field term may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TextField {
    Title,
    Abstract,
    Claims,
    Applicants,
}

/// One item of the search box.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Clause {
    /// Free text, in one field or in all.
    Text(Option<TextField>, String),
    /// Words in this order.
    Phrase(Option<TextField>, String),
    /// An IPC prefix.
    Ipc(String),
    /// An inventor's exact name.
    Inventor(String),
    /// An application number.
    ApplicationNo(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Item {
    clause: Clause,
    negated: bool,
}

/// The query as groups joined by OR, each a conjunction of items.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
struct Parsed {
    groups: Vec<Vec<Item>>,
}

fn field_named(name: &str) -> Option<Result<TextField, &'static str>> {
    Some(match name {
        "标题" | "名称" | "专利名称" | "title" => Ok(TextField::Title),
        "摘要" | "abstract" => Ok(TextField::Abstract),
        "权利要求" | "主权项" | "claims" => Ok(TextField::Claims),
        "申请人" | "专利权人" | "权利人" | "applicant" => Ok(TextField::Applicants),
        "发明人" | "inventor" => Err("inventor"),
        "分类号" | "ipc" | "IPC" => Err("ipc"),
        "申请号" | "application_no" => Err("application_no"),
        _ => return None,
    })
}

fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”' | '「' | '」')
}

/// Splits the search box into raw tokens: words, quoted phrases (with the field prefix kept).
fn lex(input: &str) -> Vec<(String, bool)> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_quote = false;
    for c in input.chars() {
        if is_quote(c) {
            if in_quote {
                tokens.push((std::mem::take(&mut current), true));
                in_quote = false;
                quoted = false;
            } else {
                in_quote = true;
                quoted = true;
            }
        } else if !in_quote && (c.is_whitespace() || c == '\u{3000}') {
            if !current.is_empty() {
                tokens.push((std::mem::take(&mut current), quoted));
            }
            quoted = false;
        } else {
            current.push(c);
        }
    }
    // An unclosed quote still means a phrase: the user's intent is clear.
    if !current.is_empty() {
        tokens.push((current, quoted));
    }
    tokens
}

fn parse(input: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut group: Vec<Item> = Vec::new();
    let mut negate_next = false;
    for (raw, quoted) in lex(input) {
        if !quoted {
            match raw.as_str() {
                "OR" | "或" | "|" => {
                    if !group.is_empty() {
                        parsed.groups.push(std::mem::take(&mut group));
                    }
                    continue;
                }
                "AND" | "与" | "&" => continue,
                "NOT" | "非" => {
                    negate_next = true;
                    continue;
                }
                _ => {}
            }
        }
        let mut text = raw.as_str();
        let mut negated = std::mem::take(&mut negate_next);
        if !quoted && text.len() > 1 && text.starts_with('-') {
            negated = true;
            text = &text[1..];
        }
        let clause = split_field(text, quoted);
        if let Some(clause) = clause {
            group.push(Item { clause, negated });
        }
    }
    if !group.is_empty() {
        parsed.groups.push(group);
    }
    parsed
}

/// A field term (`申请人:西安交通大学`), a phrase or free text.
fn split_field(text: &str, quoted: bool) -> Option<Clause> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Some((name, value)) = text.split_once([':', '：'])
        && let Some(field) = field_named(name.trim())
    {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        return Some(match field {
            Ok(field) if quoted => Clause::Phrase(Some(field), value.to_owned()),
            // A name after 申请人: is matched as a phrase: 西安交通大学 must not match 西安理工大学.
            Ok(TextField::Applicants) => Clause::Phrase(Some(TextField::Applicants), value.to_owned()),
            Ok(field) => Clause::Text(Some(field), value.to_owned()),
            Err("inventor") => Clause::Inventor(value.to_owned()),
            Err("ipc") => Clause::Ipc(value.to_owned()),
            Err(_) => Clause::ApplicationNo(value.to_owned()),
        });
    }
    Some(if quoted { Clause::Phrase(None, text.to_owned()) } else { Clause::Text(None, text.to_owned()) })
}

/// The IPC level a user's prefix means: A23F3 is the main group A23F3/00; full codes are normalised.
pub(crate) fn normalise_ipc(value: &str) -> String {
    let compact: String = value.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
    if let Ok(code) = IpcCode::parse(&compact) {
        return code.to_string();
    }
    if compact.len() > 4
        && !compact.contains('/')
        && compact.is_char_boundary(4)
        && compact[4..].chars().all(|c| c.is_ascii_digit())
        && let Ok(code) = IpcCode::parse(&format!("{compact}/00"))
    {
        return code.to_string();
    }
    compact
}

fn text_fields(fields: &Fields, only: Option<TextField>) -> Vec<(Field, f32)> {
    match only {
        Some(TextField::Title) => vec![(fields.title, 1.0)],
        Some(TextField::Abstract) => vec![(fields.abstract_text, 1.0)],
        Some(TextField::Claims) => vec![(fields.claims, 1.0)],
        Some(TextField::Applicants) => vec![(fields.applicants, 1.0)],
        None => vec![
            (fields.title, TITLE_BOOST),
            (fields.abstract_text, ABSTRACT_BOOST),
            (fields.claims, CLAIMS_BOOST),
            (fields.applicants, APPLICANTS_BOOST),
        ],
    }
}

/// The words of `text` grouped by position: a base word and the shorter words inside it.
pub(crate) fn positions(words: &[Word]) -> Vec<Vec<String>> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    for word in words {
        let index = word.position;
        if groups.len() <= index {
            groups.resize_with(index + 1, Vec::new);
        }
        if !groups[index].contains(&word.text) {
            groups[index].push(word.text.clone());
        }
    }
    groups.retain(|g| !g.is_empty());
    groups
}

/// A clause matching any of `terms` in any of `fields`, weighted per field.
pub(crate) fn any_term(fields: &[(Field, f32)], terms: &[String]) -> Box<dyn Query> {
    let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    for (field, boost) in fields {
        for term in terms {
            let query = TermQuery::new(Term::from_field_text(*field, term), IndexRecordOption::WithFreqs);
            should.push((Occur::Should, Box::new(BoostQuery::new(Box::new(query), *boost))));
        }
    }
    Box::new(BooleanQuery::new(should))
}

impl PatentIndex {
    /// Runs a search from the search box.
    pub fn search(&self, request: &SearchRequest) -> Result<SearchResults> {
        let searcher = self.searcher();
        let parsed = parse(&request.query);
        let (text_query, terms) = self.build(&parsed);
        let query = self.with_filters(text_query, &request.filters);
        let limit = request.limit.clamp(1, 1000);
        let (total, hits) = match request.sort {
            Sort::Relevance => {
                let collector = TopDocs::with_limit(limit).and_offset(request.offset).order_by_score();
                let (top, total) = searcher.search(&query, &(collector, Count))?;
                let addresses: Vec<_> = top.iter().map(|(_, a)| *a).collect();
                let ids = self.ids_of(&searcher, &addresses)?;
                (total, top.iter().zip(ids).map(|((score, _), id)| SearchHit { id, score: *score }).collect())
            }
            Sort::NewestFirst | Sort::OldestFirst => {
                let order = if request.sort == Sort::NewestFirst { Order::Desc } else { Order::Asc };
                let collector = TopDocs::with_limit(limit)
                    .and_offset(request.offset)
                    .order_by_fast_field::<i64>(names::FILED, order);
                let (top, total) = searcher.search(&query, &(collector, Count))?;
                let addresses: Vec<_> = top.iter().map(|(_, a)| *a).collect();
                let ids = self.ids_of(&searcher, &addresses)?;
                (total, ids.into_iter().map(|id| SearchHit { id, score: 0.0 }).collect())
            }
        };
        let facets = if request.facets { self.facets(&searcher, &query)? } else { Vec::new() };
        let highlighter = Highlighter::new(&searcher, &query, &self.fields);
        Ok(SearchResults { total, hits, facets, highlighter, terms })
    }

    /// The query of the parsed search box, and its display words.
    fn build(&self, parsed: &Parsed) -> (Box<dyn Query>, Vec<String>) {
        let mut display: Vec<String> = Vec::new();
        let mut groups: Vec<Box<dyn Query>> = Vec::new();
        for group in &parsed.groups {
            let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
            let mut free = String::new();
            for item in group {
                if !item.negated
                    && let Clause::Text(None, text) = &item.clause
                {
                    free.push(' ');
                    free.push_str(text);
                    continue;
                }
                let occur = if item.negated { Occur::MustNot } else { Occur::Must };
                if let Some(query) = self.clause(&item.clause, &mut display, item.negated) {
                    clauses.push((occur, query));
                }
            }
            if !free.trim().is_empty()
                && let Some(query) = self.free_text(&free, None, &mut display)
            {
                clauses.push((Occur::Must, query));
            }
            if clauses.is_empty() {
                continue;
            }
            if clauses.iter().all(|(occur, _)| *occur == Occur::MustNot) {
                clauses.push((Occur::Must, Box::new(AllQuery)));
            }
            groups.push(Box::new(BooleanQuery::new(clauses)));
        }
        display.dedup();
        let query: Box<dyn Query> = match groups.len() {
            0 => Box::new(AllQuery),
            1 => groups.remove(0),
            _ => Box::new(BooleanQuery::new(groups.into_iter().map(|q| (Occur::Should, q)).collect())),
        };
        (query, display)
    }

    fn clause(&self, clause: &Clause, display: &mut Vec<String>, negated: bool) -> Option<Box<dyn Query>> {
        let f = &self.fields;
        match clause {
            Clause::Text(field, text) => {
                if negated {
                    let words = self.analyzer.words(text);
                    let groups = positions(&words);
                    let terms: Vec<String> = groups.into_iter().flatten().collect();
                    (!terms.is_empty()).then(|| any_term(&text_fields(f, *field), &terms))
                } else {
                    self.free_text(text, *field, display)
                }
            }
            Clause::Phrase(field, text) => {
                if !negated {
                    display.push(format!("“{text}”"));
                }
                self.phrase(text, *field)
            }
            Clause::Ipc(value) => {
                let code = normalise_ipc(value);
                if !negated {
                    display.push(format!("分类号:{code}"));
                }
                Some(Box::new(TermQuery::new(Term::from_field_text(f.ipc, &code), IndexRecordOption::Basic)))
            }
            Clause::Inventor(name) => {
                if !negated {
                    display.push(format!("发明人:{name}"));
                }
                Some(Box::new(TermQuery::new(Term::from_field_text(f.inventor, name.trim()), IndexRecordOption::Basic)))
            }
            Clause::ApplicationNo(value) => {
                let canonical = ApplicationNo::parse(value).map(|a| a.to_string()).unwrap_or_else(|_| value.clone());
                if !negated {
                    display.push(format!("申请号:{canonical}"));
                }
                Some(Box::new(TermQuery::new(Term::from_field_text(f.app_no, &canonical), IndexRecordOption::Basic)))
            }
        }
    }

    /// Free text: each base word (with the words inside it) is a clause; nearly all must match.
    fn free_text(&self, text: &str, field: Option<TextField>, display: &mut Vec<String>) -> Option<Box<dyn Query>> {
        let words = self.analyzer.words(text);
        let mut groups = positions(&words);
        // Function words only constrain when the user typed nothing else.
        if groups.iter().any(|g| !g.iter().all(|t| self.analyzer.is_stop_term(t))) {
            groups.retain(|g| !g.iter().all(|t| self.analyzer.is_stop_term(t)));
        }
        if groups.is_empty() {
            return None;
        }
        let fields = text_fields(&self.fields, field);
        let prefix = match field {
            Some(TextField::Title) => "标题:",
            Some(TextField::Abstract) => "摘要:",
            Some(TextField::Claims) => "权利要求:",
            Some(TextField::Applicants) => "申请人:",
            None => "",
        };
        for group in &groups {
            // The base word is the longest of its group.
            if let Some(base) = group.iter().max_by_key(|t| t.chars().count()) {
                display.push(format!("{prefix}{base}"));
            }
        }
        let n = groups.len();
        let clauses: Vec<(Occur, Box<dyn Query>)> =
            groups.iter().map(|group| (Occur::Should, any_term(&fields, group))).collect();
        let required = if n <= 2 { n } else { n - n / 4 };
        Some(Box::new(BooleanQuery::with_minimum_required_clauses(clauses, required)))
    }

    /// Words in this order in any text field (or the named one).
    fn phrase(&self, text: &str, field: Option<TextField>) -> Option<Box<dyn Query>> {
        let words = self.analyzer.words(text);
        if words.is_empty() {
            return None;
        }
        let fields = text_fields(&self.fields, field);
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (field, boost) in fields {
            let query: Box<dyn Query> = if words.len() == 1 {
                Box::new(TermQuery::new(Term::from_field_text(field, &words[0].text), IndexRecordOption::WithFreqs))
            } else {
                let terms: Vec<(usize, Term)> =
                    words.iter().map(|w| (w.offset, Term::from_field_text(field, &w.text))).collect();
                Box::new(PhraseQuery::new_with_offset(terms))
            };
            should.push((Occur::Should, Box::new(BoostQuery::new(query, boost))));
        }
        Some(Box::new(BooleanQuery::new(should)))
    }

    /// `query` restricted by the filters, which add nothing to the score.
    pub(crate) fn with_filters(&self, query: Box<dyn Query>, filters: &Filters) -> Box<dyn Query> {
        let f = &self.fields;
        let mut must: Vec<Box<dyn Query>> = Vec::new();
        let term = |field: Field, value: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(Term::from_field_text(field, value), IndexRecordOption::Basic))
        };
        if let Some(v) = &filters.patent_type {
            must.push(term(f.patent_type, v));
        }
        if let Some(v) = &filters.legal_status {
            must.push(term(f.status, v));
        }
        if let Some(v) = &filters.ipc {
            must.push(term(f.ipc, &normalise_ipc(v)));
        }
        if let Some(v) = &filters.county {
            must.push(term(f.county, v));
        }
        if let Some(v) = &filters.chain {
            must.push(term(f.chain, v));
        }
        if let Some(year) = filters.year.and_then(|y| u64::try_from(y).ok()) {
            must.push(Box::new(TermQuery::new(Term::from_field_u64(f.year, year), IndexRecordOption::Basic)));
        }
        if let Some(owner) = filters.owner {
            must.push(Box::new(TermQuery::new(Term::from_field_u64(f.owner, id_key(owner)), IndexRecordOption::Basic)));
        }
        if filters.active_only {
            must.push(Box::new(TermQuery::new(Term::from_field_u64(f.active, 1), IndexRecordOption::Basic)));
        }
        if filters.pool_only {
            must.push(Box::new(TermQuery::new(Term::from_field_u64(f.pool, 1), IndexRecordOption::Basic)));
        }
        if must.is_empty() && filters.exclude.is_empty() {
            return query;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        for filter in must {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        for id in &filters.exclude {
            let q = TermQuery::new(Term::from_field_u64(f.id, id_key(*id)), IndexRecordOption::Basic);
            clauses.push((Occur::MustNot, Box::new(q)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn facets(&self, searcher: &Searcher, query: &dyn Query) -> Result<Vec<Facet>> {
        const FACETS: [(&str, u32); 8] = [
            (names::TYPE, 5),
            (names::STATUS, 12),
            (names::IPC_SECTION, 8),
            (names::IPC_CLASS, 20),
            (names::COUNTY, 20),
            (names::CHAIN, 20),
            (names::YEAR, 30),
            (names::OWNER, 20),
        ];
        let mut request = serde_json::Map::new();
        for (name, size) in FACETS {
            request.insert(name.to_owned(), serde_json::json!({ "terms": { "field": name, "size": size } }));
        }
        let aggregations: Aggregations = serde_json::from_value(serde_json::Value::Object(request))
            .map_err(|e| SearchError::Aggregation(e.to_string()))?;
        let context = AggContextParams::new(AggregationLimitsGuard::default(), searcher.index().tokenizers().clone());
        let collector = AggregationCollector::from_aggs(aggregations, context);
        let results: AggregationResults = searcher.search(query, &collector)?;
        let value = serde_json::to_value(&results).map_err(|e| SearchError::Aggregation(e.to_string()))?;
        let mut facets = Vec::new();
        for (name, _) in FACETS {
            let buckets = value.get(name).and_then(|v| v.get("buckets")).and_then(|b| b.as_array());
            let mut values: Vec<FacetValue> = buckets
                .into_iter()
                .flatten()
                .filter_map(|bucket| {
                    let key = bucket.get("key")?;
                    let value = match key {
                        serde_json::Value::String(s) => s.clone(),
                        serde_json::Value::Number(n) => n.as_f64().map(|f| format!("{f:.0}"))?,
                        _ => return None,
                    };
                    let count = bucket.get("doc_count")?.as_u64()?;
                    Some(FacetValue { value, count })
                })
                .filter(|v| v.count > 0)
                .collect();
            if name == names::YEAR {
                values.sort_by(|a, b| b.value.cmp(&a.value));
            }
            facets.push(Facet { name: name.to_owned(), values });
        }
        Ok(facets)
    }
}

/// How often each term of `terms` appears across the text fields (for term selection).
pub(crate) fn doc_freqs(searcher: &Searcher, fields: &Fields, terms: &[String]) -> Result<BTreeMap<String, u64>> {
    let mut out = BTreeMap::new();
    for term in terms {
        let mut df = 0u64;
        for field in [fields.title, fields.abstract_text] {
            df = df.max(searcher.doc_freq(&Term::from_field_text(field, term))?);
        }
        out.insert(term.clone(), df);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_operators_phrases_and_fields() {
        let p = parse("富硒 茶叶 OR 魔芋 -饮料 申请人：西安交通大学 分类号:A23F \"深加工 工艺\"");
        assert_eq!(p.groups.len(), 2);
        assert_eq!(p.groups[0].len(), 2);
        let second = &p.groups[1];
        assert!(second.contains(&Item { clause: Clause::Text(None, "魔芋".into()), negated: false }));
        assert!(second.contains(&Item { clause: Clause::Text(None, "饮料".into()), negated: true }));
        assert!(second.contains(&Item {
            clause: Clause::Phrase(Some(TextField::Applicants), "西安交通大学".into()),
            negated: false
        }));
        assert!(second.contains(&Item { clause: Clause::Ipc("A23F".into()), negated: false }));
        assert!(second.contains(&Item { clause: Clause::Phrase(None, "深加工 工艺".into()), negated: false }));
    }

    #[test]
    fn unknown_prefixes_and_unclosed_quotes_are_text() {
        let p = parse("温度:30 “茶叶加工");
        assert_eq!(
            p.groups[0],
            vec![
                Item { clause: Clause::Text(None, "温度:30".into()), negated: false },
                Item { clause: Clause::Phrase(None, "茶叶加工".into()), negated: false },
            ]
        );
        assert_eq!(parse("   ").groups.len(), 0);
        assert!(parse("NOT 茶叶").groups[0][0].negated);
    }

    #[test]
    fn ipc_prefixes_normalise() {
        assert_eq!(normalise_ipc("a23f"), "A23F");
        assert_eq!(normalise_ipc("A23F3"), "A23F3/00");
        assert_eq!(normalise_ipc("A23F 3/06"), "A23F3/06");
        assert_eq!(normalise_ipc("A23"), "A23");
    }

    #[test]
    fn escapes_and_marks() {
        assert_eq!(escape("<a>&\""), "&lt;a&gt;&amp;&quot;");
        let ranges = vec![0..6, 9..9, 9..12];
        assert_eq!(mark("富硒茶叶", &ranges, 0), "<b>富硒</b>茶<b>叶</b>");
    }
}
