//! The index, the search box and the matcher on a small hand-written corpus.

use std::sync::OnceLock;

use ipbridge_search::{
    Analyzer, EnterpriseIndex, EnterpriseProfile, Filters, IndexOptions, MatchRequest, MatchScope, OpenState,
    PatentDoc, PatentIndex, SearchRequest, Sort,
};

fn analyzer() -> Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::new(["富硒", "富硒茶", "魔芋", "绞股蓝"])).clone()
}

#[allow(clippy::too_many_arguments)]
fn doc(id: i64, title: &str, abstract_text: &str, applicant: &str, ipc: &[&str], status: &str, year: i32) -> PatentDoc {
    PatentDoc {
        id,
        application_no: format!("20231012345{id}.X"),
        title: title.into(),
        abstract_text: abstract_text.into(),
        claims: String::new(),
        applicants: vec![applicant.into()],
        inventors: vec!["张三".into()],
        ipc_codes: ipc.iter().map(|s| s.to_string()).collect(),
        patent_type: "invention".into(),
        legal_status: status.into(),
        in_force: status == "granted",
        // Even patents are listed in the transferable pool.
        in_pool: id % 2 == 0,
        owner_org_id: Some(id % 3 + 1),
        county: Some("610902".into()),
        chains: if ipc.iter().any(|c| c.starts_with("A23")) { vec!["selenium_food".into()] } else { vec![] },
        filing_year: Some(year),
        filing_date: Some(i64::from(year) * 10000 + 101),
    }
}

fn corpus() -> Vec<PatentDoc> {
    vec![
        doc(
            1,
            "一种富硒茶叶的深加工工艺",
            "本发明公开了一种富硒茶叶深加工工艺，包括杀青、揉捻、烘干，提高茶叶硒含量的保留率。",
            "安康学院",
            &["A23F3/06"],
            "granted",
            2021,
        ),
        doc(
            2,
            "富硒绿茶及其制备方法",
            "以富硒鲜叶为原料，经摊放、杀青、做形制得富硒绿茶，茶多酚含量高。",
            "陕西理工大学",
            &["A23F3/06", "A23F3/08"],
            "pending",
            2023,
        ),
        doc(
            3,
            "魔芋精粉的加工方法",
            "一种魔芋精粉加工方法，通过清洗、切片、干燥、粉碎得到高粘度魔芋精粉。",
            "安康学院",
            &["A23L19/10"],
            "granted",
            2020,
        ),
        doc(
            4,
            "一种锌冶炼废渣的回收装置",
            "本实用新型涉及锌冶炼，回收废渣中的有价金属。",
            "西安交通大学",
            &["C22B19/30"],
            "granted",
            2019,
        ),
        doc(
            5,
            "茶叶揉捻机",
            "一种茶叶揉捻机，包括机架、揉盘和揉桶，揉捻均匀。",
            "西安理工大学",
            &["A23F3/12"],
            "lapsed",
            2015,
        ),
        doc(
            6,
            "绞股蓝保健茶的制备方法",
            "以绞股蓝为原料制备保健茶，工艺包括杀青和烘干。",
            "安康学院",
            &["A23F3/34"],
            "granted",
            2022,
        ),
    ]
}

fn index() -> PatentIndex {
    let index = PatentIndex::in_ram(analyzer(), IndexOptions::default()).expect("index");
    index.upsert(&corpus()).expect("upsert");
    index.commit().expect("commit");
    index
}

fn ids(index: &PatentIndex, query: &str) -> Vec<i64> {
    let request = SearchRequest { query: query.into(), limit: 10, ..SearchRequest::default() };
    index.search(&request).expect("search").hits.iter().map(|h| h.id).collect()
}

#[test]
fn the_analyzer_keeps_domain_words_and_drops_punctuation() {
    let words = analyzer().words("富硒茶叶，深加工工艺。");
    let texts: Vec<&str> = words.iter().map(|w| w.text.as_str()).collect();
    assert!(texts.contains(&"富硒"), "{texts:?}");
    assert!(texts.contains(&"深加工") && texts.contains(&"加工"), "{texts:?}");
    assert!(!texts.iter().any(|t| t.contains('，') || t.contains('。')), "{texts:?}");
    // 加工 lies inside 深加工: same word group, its own character offset.
    let deep = words.iter().find(|w| w.text == "深加工").expect("深加工");
    let inner = words.iter().find(|w| w.text == "加工").expect("加工");
    assert_eq!(deep.position, inner.position);
    assert_eq!(inner.offset, deep.offset + 1);
}

#[test]
fn free_text_with_or_without_spaces_finds_the_same_patents() {
    let index = index();
    let joined = ids(&index, "富硒茶叶深加工工艺");
    let spaced = ids(&index, "富硒 茶叶 深加工 工艺");
    assert_eq!(joined.first(), Some(&1));
    assert_eq!(joined, spaced);
}

#[test]
fn operators_phrases_and_fields() {
    let index = index();
    assert_eq!(ids(&index, "魔芋"), vec![3]);
    let mut either = ids(&index, "魔芋 OR 绞股蓝");
    either.sort();
    assert_eq!(either, vec![3, 6]);
    assert!(!ids(&index, "茶 -富硒").contains(&1));
    assert_eq!(ids(&index, "申请人:西安交通大学"), vec![4]);
    // A phrase never matches across a gap: 安康学院 is not 安康理工学院.
    let extra = PatentDoc {
        applicants: vec!["安康理工学院".into()],
        ..doc(7, "一种茶园除草机", "", "", &[], "granted", 2020)
    };
    index.upsert(&[extra]).expect("upsert");
    index.commit().expect("commit");
    let mut college = ids(&index, "申请人:安康学院");
    college.sort();
    assert_eq!(college, vec![1, 3, 6]);
    let mut tea = ids(&index, "分类号:A23F3");
    tea.sort();
    assert_eq!(tea, vec![1, 2, 5, 6]);
    assert_eq!(ids(&index, "分类号:A23F3/34"), vec![6]);
    assert_eq!(ids(&index, "\"深加工工艺\""), vec![1]);
    assert!(ids(&index, "\"工艺深加工\"").is_empty());
    assert_eq!(ids(&index, "发明人:张三").len(), 7);
    assert_eq!(ids(&index, "标题:揉捻机"), vec![5]);
}

#[test]
fn filters_facets_sort_and_paging() {
    let index = index();
    let request = SearchRequest {
        query: "杀青 OR 揉捻".into(),
        filters: Filters { active_only: true, ..Filters::default() },
        sort: Sort::NewestFirst,
        limit: 2,
        facets: true,
        ..SearchRequest::default()
    };
    let results = index.search(&request).expect("search");
    assert_eq!(results.total, 3, "lapsed 揉捻机 excluded");
    assert_eq!(results.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![2, 6]);
    assert!(!results.hits.iter().any(|h| h.id == 5));
    let status = results.facets.iter().find(|f| f.name == "status").expect("status facet");
    assert_eq!(status.values.iter().map(|v| v.count).sum::<u64>(), 3);
    let year = results.facets.iter().find(|f| f.name == "year").expect("year facet");
    assert_eq!(year.values.first().map(|v| v.value.as_str()), Some("2023"));
    let page2 = index.search(&SearchRequest { offset: 2, ..request.clone() }).expect("page 2");
    assert_eq!(page2.hits.iter().map(|h| h.id).collect::<Vec<_>>(), vec![1]);
    let html = results.highlighter.abstract_html(&corpus()[1].abstract_text);
    assert!(html.contains("<b>杀青</b>"), "{html}");
    assert_eq!(results.highlighter.title_html("富硒绿茶<及其>"), "富硒绿茶&lt;及其&gt;");
}

#[test]
fn matching_a_long_demand_explains_its_hits() {
    let index = index();
    let request = MatchRequest {
        title: "富硒茶叶深加工".into(),
        text: "我们公司位于安康，主要生产富硒茶叶，目前需要一种能提高硒保留率的茶叶深加工工艺，希望与高校合作开发。"
            .into(),
        limit: 5,
        ..MatchRequest::default()
    };
    let (plan, hits) = index.match_text(&request).expect("match");
    assert!(plan.terms.iter().any(|(t, _)| t == "富硒"));
    assert!(!plan.terms.iter().any(|(t, _)| t == "我们" || t == "需要"), "{:?}", plan.terms);
    assert_eq!(hits.first().map(|h| h.id), Some(1));
    assert!(!hits.iter().any(|h| h.id == 5), "a lapsed patent is out of the default scope");
    assert!(plan.ipc_focus.iter().any(|(code, _)| code == "A23F"), "{:?}", plan.ipc_focus);
    let all = MatchRequest { scope: MatchScope::All, ..request };
    let (_, hits) = index.match_text(&all).expect("match all");
    assert!(hits.iter().any(|h| h.id == 5));
    let doc = &corpus()[0];
    let why = plan.explain(&doc.title, &doc.abstract_text, &doc.ipc_codes, &doc.chains);
    assert!(why.matched_terms.iter().any(|t| t.contains("富硒")), "{:?}", why.matched_terms);
    assert!(why.shared_ipc.contains(&"A23F".to_owned()));
    assert!(why.title_html.starts_with("一种<b>富硒"), "{}", why.title_html);
}

#[test]
fn the_pool_scope_returns_only_pool_patents_on_the_fast_and_the_exact_path() {
    let index = index();
    let request = MatchRequest {
        title: "富硒茶叶加工".into(),
        text: "富硒绿茶的杀青、揉捻和干燥工艺，提高硒保留率。".into(),
        scope: MatchScope::Pool,
        limit: 10,
        ..MatchRequest::default()
    };
    let (_, hits) = index.match_text(&request).expect("pool match");
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h.id % 2 == 0), "{:?}", hits.iter().map(|h| h.id).collect::<Vec<_>>());
    let (_, all) = index.match_text(&MatchRequest { scope: MatchScope::All, ..request.clone() }).expect("all");
    assert!(all.iter().any(|h| h.id % 2 == 1), "the corpus has odd matches too");
    // Another filter takes the exact query; the pool still holds.
    let county = Filters { county: Some("610902".into()), ..Filters::default() };
    let (_, exact) = index.match_text(&MatchRequest { filters: county, ..request }).expect("exact");
    assert_eq!(exact.iter().map(|h| h.id).collect::<Vec<_>>(), hits.iter().map(|h| h.id).collect::<Vec<_>>());
    let search = SearchRequest {
        query: "杀青 OR 揉捻".into(),
        filters: Filters { pool_only: true, ..Filters::default() },
        limit: 10,
        ..SearchRequest::default()
    };
    let found = index.search(&search).expect("search");
    let mut pooled: Vec<i64> = found.hits.iter().map(|h| h.id).collect();
    pooled.sort();
    assert_eq!(pooled, vec![2, 6]);
}

#[test]
fn baseline_and_similar_patents() {
    let index = index();
    let base = index.plain_bm25("富硒茶叶深加工工艺", &Filters::default(), 3).expect("bm25");
    assert_eq!(base.first().map(|h| h.id), Some(1));
    let doc = &corpus()[1];
    let request = MatchRequest {
        title: doc.title.clone(),
        text: doc.abstract_text.clone(),
        ipc: doc.ipc_codes.clone(),
        scope: MatchScope::All,
        filters: Filters { exclude: vec![doc.id], ..Filters::default() },
        limit: 3,
        ..MatchRequest::default()
    };
    let (_, hits) = index.match_text(&request).expect("similar");
    assert!(!hits.iter().any(|h| h.id == 2));
    assert_eq!(hits.first().map(|h| h.id), Some(1));
}

#[test]
fn enterprises_ranked_for_a_patent() {
    let index = index();
    let profiles = vec![
        EnterpriseProfile {
            org_id: 10,
            name: "安康富硒茶业有限公司".into(),
            business_scope: "富硒茶叶种植、加工、销售".into(),
            demands: vec!["富硒茶深加工技术：提高硒保留率".into()],
            patents: vec![],
            ipc_codes: vec!["A23F3/06".into()],
            chains: vec!["selenium_food".into()],
        },
        EnterpriseProfile {
            org_id: 11,
            name: "汉阴锌业".into(),
            business_scope: "锌冶炼、废渣综合利用".into(),
            ..EnterpriseProfile::default()
        },
    ];
    let enterprises = EnterpriseIndex::build(&analyzer(), profiles).expect("profiles");
    let doc = &corpus()[0];
    let ranked =
        enterprises.rank(&index, &doc.title, &doc.abstract_text, &doc.ipc_codes, &doc.chains, 5).expect("rank");
    assert_eq!(ranked.first().map(|m| m.org_id), Some(10));
    let best = &ranked[0];
    assert!(best.matched_terms.iter().any(|(t, _)| t.contains("富硒")), "{:?}", best.matched_terms);
    assert_eq!(best.shared_chains, vec!["selenium_food".to_owned()]);
    assert!(best.shared_ipc.contains(&"A23F3/00".to_owned()), "{:?}", best.shared_ipc);
}

#[test]
fn an_index_on_disk_is_rebuilt_when_missing_outdated_or_corrupt() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("index");
    let (index, state) = PatentIndex::open(&path, analyzer(), IndexOptions::default(), "t").expect("open");
    assert!(matches!(state, OpenState::Created(_)));
    index.upsert(&corpus()).expect("upsert");
    index.commit().expect("commit");
    drop(index);
    let (index, state) = PatentIndex::open(&path, analyzer(), IndexOptions::default(), "t").expect("reopen");
    assert_eq!(state, OpenState::Ready);
    assert_eq!(index.num_docs(), 6);
    // Upserting a document again replaces it.
    index.upsert(&corpus()[..1]).expect("upsert again");
    index.commit().expect("commit");
    assert_eq!(index.num_docs(), 6);
    index.delete(&[1]).expect("delete");
    index.commit().expect("commit");
    assert_eq!(index.num_docs(), 5);
    drop(index);
    std::fs::write(path.join("meta.json"), "{ not json").expect("corrupt");
    let (index, state) = PatentIndex::open(&path, analyzer(), IndexOptions::default(), "t").expect("reopen corrupt");
    assert!(matches!(state, OpenState::Created(ref why) if why.contains("无法打开")), "{state:?}");
    assert_eq!(index.num_docs(), 0);
    drop(index);
    std::fs::write(path.join("ipbridge-schema-version"), "0:t").expect("old version");
    let (_, state) = PatentIndex::open(&path, analyzer(), IndexOptions::default(), "t").expect("reopen old");
    assert!(matches!(state, OpenState::Created(ref why) if why.contains("版本")), "{state:?}");
}

#[test]
fn any_search_box_input_is_answered_without_panicking() {
    let index = index();
    // A small deterministic generator over the characters that make the parser branch.
    let alphabet: Vec<char> =
        "富硒茶叶加工 \"“”-:：ORANDNOT申请人分类号发明人标题A23F3/06１２ＡＢ\u{3000}\t()（）*?\\'%".chars().collect();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for _ in 0..2_000 {
        let mut query = String::new();
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let len = (state % 24) as usize;
        for _ in 0..len {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            query.push(alphabet[(state % alphabet.len() as u64) as usize]);
        }
        let request = SearchRequest { query: query.clone(), limit: 5, facets: true, ..SearchRequest::default() };
        let results = index.search(&request);
        assert!(results.is_ok(), "{query:?}: {:?}", results.err());
        let request = MatchRequest { text: query.clone(), limit: 5, ..MatchRequest::default() };
        assert!(index.match_text(&request).is_ok(), "{query:?}");
    }
}

#[test]
fn ipc_codes_are_indexed_at_every_level_even_when_given_as_a_subclass() {
    use ipbridge_search::ipc_levels;
    assert_eq!(ipc_levels("A23F3/06"), ["A", "A23", "A23F", "A23F3/00", "A23F3/06"]);
    assert_eq!(ipc_levels("a23f"), ["A", "A23", "A23F"]);
    assert_eq!(ipc_levels("A23"), ["A", "A23"]);
    assert_eq!(ipc_levels("Z99Z"), ["Z99Z"]);
    assert_eq!(ipc_levels("硒"), ["硒"]);
}
