//! The Chinese analyzer: jieba segmentation in search mode, shared by every field, every query and every
//! thread through one `Arc`.
//!
//! tantivy clones a field's tokenizer for each use; a tokenizer that owned its dictionary would copy 33 MB per
//! query. This one holds an `Arc<Jieba>`, so a clone is a reference count.
//!
//! A token's position is its character offset: the shorter dictionary words inside a long word (深加工 → 加工)
//! sit where they begin, so a phrase matches the indexed text exactly, whatever sub-words either side holds,
//! and never across a gap (安康学院 does not match 安康理工学院).

use std::collections::HashSet;
use std::io::BufReader;
use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// The jieba dictionary (MIT, from jieba-rs), shipped in the binary: nothing is fetched or read at run time.
const DICTIONARY: &str = include_str!("../dict/jieba-dict.txt");

/// Lexicon words get jieba's suggested frequency (the least that keeps them whole) times this margin: enough
/// for 富硒 to stay whole in context, too little to swallow the common words around it.
const LEXICON_MARGIN: usize = 3;

/// Name under which the analyzer is registered with tantivy.
pub const ANALYZER_NAME: &str = "zh_jieba";
/// Name of the tokenizer that segments a text once and repeats its tokens (see [`repeat_marked`]).
pub(crate) const REPEAT_ANALYZER_NAME: &str = "zh_jieba_repeat";

/// `text` marked to be indexed `times` times by the repeating tokenizer (1–9). Writing a text several times
/// into one field weighs it the BM25F way; marking it instead of copying it segments it only once.
pub(crate) fn repeat_marked(text: &str, times: usize) -> String {
    let mark = char::from(times.clamp(1, 9) as u8);
    format!("{mark}{text}")
}

/// Function words and boilerplate of patent prose: never selected as query terms, because every patent says
/// 一种…的方法 and a demand says 我们需要…. They stay in the index (phrases still match).
const STOP_TERMS: &[&str] = &[
    "一种",
    "及其",
    "其",
    "的",
    "了",
    "和",
    "与",
    "及",
    "或",
    "等",
    "在",
    "对",
    "为",
    "将",
    "是",
    "有",
    "中",
    "所述",
    "方法",
    "装置",
    "系统",
    "设备",
    "包括",
    "采用",
    "通过",
    "进行",
    "用于",
    "以及",
    "一个",
    "一",
    "该",
    "本",
    "发明",
    "实用新型",
    "涉及",
    "技术",
    "领域",
    "提供",
    "具有",
    "可以",
    "能够",
    "使",
    "从而",
    "实现",
    "其中",
    "由",
    "上",
    "下",
    "内",
    "外",
    "个",
    "并",
    "且",
    "而",
    "后",
    "前",
    "至",
    "于",
    "以",
    "到",
    "被",
    "把",
    "这",
    "我们",
    "我",
    "公司",
    "企业",
    "需要",
    "需求",
    "希望",
    "寻求",
    "问题",
    "解决",
    "目前",
    "现有",
    "相关",
    "方面",
    "要求",
    "主要",
    "产品",
    "方案",
    "合作",
    "研发",
    "开发",
    "能",
    "可",
    "不",
    "也",
    "都",
    "还",
    "又",
    "就",
    "所",
    "之",
    "向",
    "从",
    "给",
    "让",
    "用",
    "使用",
    "一些",
    "相应",
    "有效",
    "提高",
    "降低",
    "具体",
    "各种",
    "基于",
    "特征",
    "在于",
    "至少",
    "多个",
    "若干",
    "第一",
    "第二",
];

/// The shared jieba instance with the domain lexicon added.
#[derive(Clone)]
pub struct Analyzer {
    jieba: Arc<Jieba>,
    stop: Arc<HashSet<&'static str>>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

/// One token of the analyzer: the word, its byte range in the text and its ordinal position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// Lower-cased word.
    pub text: String,
    /// Byte offset where the word starts.
    pub from: usize,
    /// Byte offset where the word ends.
    pub to: usize,
    /// Ordinal of the base word the token belongs to (a base word and the words inside it share it).
    pub position: usize,
    /// Character offset of the word in the text: its position in the index. Phrases compare these, so
    /// 安康学院 (安康@0 学院@2) does not match 安康理工学院 (安康@0 学院@4).
    pub offset: usize,
    /// Whether this is a base word (false: a dictionary word inside a longer base word).
    pub base: bool,
}

impl Analyzer {
    /// Loads the dictionary and adds `lexicon` (domain words: IPC title terms, chain keywords). Takes about
    /// half a second; do it once per process.
    pub fn new<'a>(lexicon: impl IntoIterator<Item = &'a str>) -> Self {
        let mut reader = BufReader::new(DICTIONARY.as_bytes());
        // The shipped dictionary is well-formed; an empty one would only make segmentation character-based.
        let mut jieba = Jieba::with_dict(&mut reader).unwrap_or_else(|error| {
            tracing::error!(%error, "jieba dictionary unreadable, segmenting by character");
            Jieba::empty()
        });
        let mut words: Vec<&str> = lexicon
            .into_iter()
            .map(str::trim)
            .filter(|w| w.chars().count() >= 2 && !w.chars().any(char::is_whitespace))
            .collect();
        // Shorter words first, so that 富硒茶 is judged after 富硒 is known.
        words.sort_by_key(|w| (w.chars().count(), *w));
        words.dedup();
        for word in words {
            let parts = jieba.cut(word, false);
            // Only words jieba would shatter into single characters (富硒 → 富 / 硒) are added. A word already
            // whole needs nothing, and one containing a known word (富硒茶 = 富硒 + 茶) would, if added, steal
            // characters from its neighbours: 富硒茶叶 would cut as 富硒茶 / 叶 and no longer match 茶叶.
            if parts.len() <= 1 || parts.iter().any(|p| p.word.chars().count() > 1) {
                continue;
            }
            // Just frequent enough to win over its own characters, as jieba's suggest_freq computes.
            let freq = jieba.suggest_freq(word).saturating_mul(LEXICON_MARGIN);
            jieba.add_word(word, Some(freq), None);
        }
        Self { jieba: Arc::new(jieba), stop: Arc::new(STOP_TERMS.iter().copied().collect()) }
    }

    /// The tantivy tokenizer over this analyzer.
    /// The tokens tantivy indexes for `text`.
    pub(crate) fn tokens(&self, text: &str) -> Vec<Token> {
        self.words(text)
            .into_iter()
            .map(|w| Token {
                offset_from: w.from,
                offset_to: w.to,
                position: w.offset,
                text: w.text,
                position_length: 1,
            })
            .collect()
    }

    /// The tokenizer of texts marked by [`repeat_marked`].
    pub(crate) fn repeat_tokenizer(&self) -> RepeatTokenizer {
        RepeatTokenizer { analyzer: self.clone() }
    }

    pub fn tokenizer(&self) -> JiebaTokenizer {
        JiebaTokenizer { analyzer: self.clone() }
    }

    /// Search-mode words of `text`: base words and the dictionary words inside them, punctuation and
    /// whitespace dropped, ASCII lower-cased.
    pub fn words(&self, text: &str) -> Vec<Word> {
        let tokens = self.jieba.cut_for_search(text, true);
        // cut_for_search emits a base word's sub-words right before the base word itself, so walking
        // backwards meets the base word first and then the words inside it.
        let mut reversed: Vec<Word> = Vec::with_capacity(tokens.len());
        let mut current: Option<(usize, usize)> = None;
        for token in tokens.iter().rev() {
            if !is_content(token.word) {
                continue;
            }
            let inside = current.is_some_and(|(from, to)| {
                token.byte_start >= from && token.byte_end <= to && token.byte_end - token.byte_start < to - from
            });
            if !inside {
                current = Some((token.byte_start, token.byte_end));
            }
            reversed.push(Word {
                text: token.word.to_lowercase(),
                from: token.byte_start,
                to: token.byte_end,
                position: 0,
                offset: token.start,
                base: !inside,
            });
        }
        reversed.reverse();
        // Positions count base words; sub-words take the position of the base word that follows them.
        let mut words = reversed;
        let mut bases_seen = 0usize;
        for word in &mut words {
            word.position = bases_seen;
            if word.base {
                bases_seen += 1;
            }
        }
        words
    }

    /// The base words of `text` (jieba's default cut), content words only, in order, lower-cased.
    pub fn base_words(&self, text: &str) -> Vec<String> {
        self.jieba.cut(text, true).into_iter().filter(|t| is_content(t.word)).map(|t| t.word.to_lowercase()).collect()
    }

    /// Whether `term` is a function word or patent boilerplate that should not be a query term on its own.
    pub fn is_stop_term(&self, term: &str) -> bool {
        self.stop.contains(term)
    }

    /// Whether `term` is a single Han character. Most carry little meaning alone (方, 种, 用), but a rare one is
    /// what remains of a word the dictionary lacks (石墨烯 → 石墨 / 烯): the matcher keeps those by rarity.
    pub fn is_single_han(&self, term: &str) -> bool {
        let mut chars = term.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if is_han(c))
    }
}

/// Whether a token carries content: at least one letter, digit or Han character.
fn is_content(word: &str) -> bool {
    word.chars().any(char::is_alphanumeric)
}

/// Whether `c` is a CJK unified ideograph.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}' | '\u{20000}'..='\u{2FA1F}')
}

/// The analyzer as a tantivy tokenizer. Cloning shares the dictionary.
#[derive(Clone)]
pub struct JiebaTokenizer {
    analyzer: Analyzer,
}

/// The tokens of one text, produced up front (jieba segments a whole sentence at once).
pub struct WordStream {
    tokens: Vec<Token>,
    next: usize,
    empty: Token,
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        WordStream { tokens: self.analyzer.tokens(text), next: 0, empty: Token::default() }
    }
}

/// Segments a text marked by [`repeat_marked`] once and yields its tokens as often as the mark says.
#[derive(Clone)]
pub struct RepeatTokenizer {
    analyzer: Analyzer,
}

impl Tokenizer for RepeatTokenizer {
    type TokenStream<'a> = WordStream;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordStream {
        let (times, text) = match text.chars().next() {
            Some(c @ '\u{1}'..='\u{9}') => (c as usize, &text[1..]),
            _ => (1, text),
        };
        let once = self.analyzer.tokens(text);
        let mut tokens = Vec::with_capacity(once.len() * times);
        for _ in 0..times {
            tokens.extend(once.iter().cloned());
        }
        WordStream { tokens, next: 0, empty: Token::default() }
    }
}

impl TokenStream for WordStream {
    fn advance(&mut self) -> bool {
        if self.next < self.tokens.len() {
            self.next += 1;
            true
        } else {
            false
        }
    }

    fn token(&self) -> &Token {
        // tantivy reads the token only after `advance` returned true, so `next` ≥ 1 and in range.
        self.tokens.get(self.next.wrapping_sub(1)).unwrap_or(&self.empty)
    }

    fn token_mut(&mut self) -> &mut Token {
        match self.tokens.get_mut(self.next.wrapping_sub(1)) {
            Some(token) => token,
            None => &mut self.empty,
        }
    }
}
