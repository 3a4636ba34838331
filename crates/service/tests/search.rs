//! Search and matching on a real SQLite file and a real tantivy index under the data directory: the index
//! follows the database through the outbox, is rebuilt when unusable, and its results are explained.

use ipbridge_domain::audit::Action;
use ipbridge_domain::ids::PatentId;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_service::search::{Filters, MatchScope, NeedText, PatentSearch, Sort};
use ipbridge_service::{Actor, App, AuditFilter, Settings};
use serde_json::json;

struct TestApp {
    dir: tempfile::TempDir,
    app: App,
}

async fn open(dir: &std::path::Path) -> App {
    let mut settings = Settings::default();
    settings.server.data_dir = dir.to_owned();
    App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap()
}

async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let app = open(dir.path()).await;
    TestApp { dir, app }
}

fn record(serial: u32, title: &str, abstract_text: &str, ipc: &str, status: &str) -> PatentRecord {
    let no = ApplicationNo::from_parts(2022, 1, serial).unwrap();
    serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title, "legal_status": status,
        "legal_status_raw": status, "applicants": [{"name": "安康学院"}], "inventors": ["李明"],
        "filing_date": format!("20{:02}-03-01", 10 + serial % 12), "abstract_text": abstract_text,
        "main_ipc": ipc, "ipc_codes": [ipc],
    }))
    .unwrap()
}

fn corpus() -> Vec<PatentRecord> {
    vec![
        record(
            1,
            "一种富硒茶叶的深加工工艺",
            "本发明公开一种富硒茶叶深加工工艺，鲜叶经杀青、揉捻、烘干，提高有机硒保留率。",
            "A23F3/06",
            "granted",
        ),
        record(2, "魔芋精粉的制备方法", "魔芋经清洗、切片、干燥、粉碎制得高粘度魔芋精粉。", "A23L19/10", "granted"),
        record(3, "绞股蓝提取物及其制备方法", "绞股蓝经超声醇提、大孔树脂纯化得总皂苷。", "A61K36/185", "pending"),
        record(4, "茶叶揉捻机", "一种茶叶揉捻机，包括机架、揉盘和揉桶。", "A23F3/06", "lapsed"),
    ]
}

fn search(q: &str) -> PatentSearch {
    PatentSearch { q: q.into(), page: 1, per_page: 10, ..PatentSearch::default() }
}

async fn titles(app: &App, request: &PatentSearch) -> Vec<String> {
    let page = app.search_patents(&Actor::cli(), request).await.unwrap();
    page.hits.into_iter().map(|h| h.summary.title).collect()
}

#[tokio::test]
async fn search_finds_what_was_just_imported_and_follows_changes() {
    let t = app().await;
    t.app.import_records(&Actor::cli(), "corpus", corpus()).await.unwrap();
    let page = t.app.search_patents(&Actor::cli(), &search("富硒茶叶深加工")).await.unwrap();
    assert_eq!(page.hits.first().map(|h| h.summary.title.as_str()), Some("一种富硒茶叶的深加工工艺"));
    assert!(page.hits[0].title_html.contains("<b>"), "{}", page.hits[0].title_html);
    let status = page.facets.iter().find(|f| f.name == "status").unwrap();
    assert_eq!(status.values[0].label, "有权");
    // Chains come from the policy: A23F3 is in 富硒食品.
    let chain = page.facets.iter().find(|f| f.name == "chain").unwrap();
    assert!(chain.values.iter().any(|v| v.label == "富硒食品"), "{:?}", chain.values);

    // Field terms and filters.
    let mut tea = titles(&t.app, &search("分类号:A23F")).await;
    tea.sort();
    assert_eq!(tea, vec!["一种富硒茶叶的深加工工艺".to_owned(), "茶叶揉捻机".to_owned()]);
    let active =
        PatentSearch { filters: Filters { active_only: true, ..Filters::default() }, ..search("分类号:A23F") };
    assert_eq!(titles(&t.app, &active).await, vec!["一种富硒茶叶的深加工工艺".to_owned()]);
    assert_eq!(titles(&t.app, &search("申请人:安康学院 魔芋")).await, vec!["魔芋精粉的制备方法".to_owned()]);

    // A change reaches the index before the next search: the rolling machine is granted again, renamed.
    let mut changed = corpus()[3].clone();
    changed.title = "一种富硒茶叶揉捻机".into();
    changed.legal_status = "granted".parse().unwrap();
    t.app.import_records(&Actor::cli(), "update", vec![changed]).await.unwrap();
    assert_eq!(titles(&t.app, &active).await.len(), 2);
    assert!(titles(&t.app, &search("揉捻机")).await.contains(&"一种富硒茶叶揉捻机".to_owned()));

    // Sorting by date and the xlsx export of all hits.
    let newest = PatentSearch { sort: Sort::NewestFirst, ..search("") };
    let page = t.app.search_patents(&Actor::cli(), &newest).await.unwrap();
    assert_eq!(page.total, 4);
    let dates: Vec<_> = page.hits.iter().map(|h| h.summary.filing_date).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "{dates:?}");
    let xlsx = t.app.export_search(&Actor::cli(), &search("茶叶")).await.unwrap();
    let table = ipbridge_ingest::read_table("x.xlsx", &xlsx, None).unwrap();
    assert_eq!(table.rows.len(), 2);
    assert_eq!(table.headers[1], "申请号");
}

#[tokio::test]
async fn an_unusable_index_is_rebuilt_when_the_platform_opens_it() {
    let t = app().await;
    t.app.import_records(&Actor::cli(), "corpus", corpus()).await.unwrap();
    assert_eq!(titles(&t.app, &search("魔芋")).await.len(), 1);
    drop(t.app);
    let index = t.dir.path().join(ipbridge_service::search::INDEX_DIR);
    std::fs::write(index.join("meta.json"), "garbage").unwrap();
    let app = open(t.dir.path()).await;
    assert_eq!(titles(&app, &search("魔芋")).await, vec!["魔芋精粉的制备方法".to_owned()]);
    drop(app);
    std::fs::remove_dir_all(&index).unwrap();
    let app = open(t.dir.path()).await;
    assert_eq!(titles(&app, &search("绞股蓝")).await.len(), 1);

    // `ipbridge reindex` rebuilds on demand, and says so in the audit log.
    let n = app.reindex(&Actor::cli(), &|_, _| {}).await.unwrap();
    assert_eq!(n, 4);
    let filter = AuditFilter { action: Some(Action::SearchReindex), ..AuditFilter::default() };
    assert_eq!(app.audit_page(&Actor::cli(), &filter).await.unwrap().total, 1);
    let status = app.search_status(&Actor::cli()).await.unwrap();
    assert_eq!((status.indexed, status.patents, status.pending), (4, 4, 0));
}

#[tokio::test]
async fn a_need_is_matched_with_reasons_and_batches_are_ranked() {
    let t = app().await;
    t.app.import_records(&Actor::cli(), "corpus", corpus()).await.unwrap();
    let need = NeedText {
        title: "富硒茶叶深加工".into(),
        text: "我们是安康的茶企，需要提高富硒茶叶加工中有机硒的保留率，希望找到成熟的深加工工艺。".into(),
        ..NeedText::default()
    };
    let result = t.app.match_need(&Actor::cli(), &need, MatchScope::Active, Vec::new(), 10).await.unwrap();
    let best = &result.hits[0];
    assert_eq!(best.title, "一种富硒茶叶的深加工工艺");
    assert!(best.explanation.matched_terms.iter().any(|t| t.contains("富硒")), "{:?}", best.explanation);
    assert!(best.years_left.is_some());
    assert!(!result.terms.iter().any(|t| t == "我们" || t == "需要"), "{:?}", result.terms);
    assert!(!result.hits.iter().any(|h| h.title == "茶叶揉捻机"), "lapsed patents are out of the default scope");

    // Similar patents: the other tea patent, not itself.
    let first = t.app.search_patents(&Actor::cli(), &search("富硒茶叶深加工")).await.unwrap().hits[0].summary.id;
    let similar = t.app.similar_patents(&Actor::cli(), first, 5).await.unwrap();
    assert!(!similar.hits.iter().any(|h| h.patent_id == first.get()));
    assert_eq!(similar.hits.first().map(|h| h.title.as_str()), Some("茶叶揉捻机"));
    assert!(t.app.similar_patents(&Actor::cli(), PatentId::new(999), 5).await.is_err());

    let queries = vec![("q1".to_owned(), "富硒茶叶加工".to_owned()), ("q2".to_owned(), "魔芋精粉".to_owned())];
    let lines = t.app.batch_match(&Actor::cli(), &queries, 3, MatchScope::All).await.unwrap();
    let q2: Vec<_> = lines.iter().filter(|l| l.query_id == "q2").collect();
    assert_eq!(q2[0].rank, 1);
    assert_eq!(q2[0].application_no, ApplicationNo::from_parts(2022, 1, 2).unwrap().to_string());
    assert!(lines.iter().filter(|l| l.query_id == "q1").all(|l| l.rank <= 3));
    // An empty need is a clear message, not an empty page.
    let empty = t.app.match_need(&Actor::cli(), &NeedText::default(), MatchScope::All, Vec::new(), 5).await;
    assert!(matches!(empty, Err(ipbridge_service::ServiceError::Invalid(_))));
}
