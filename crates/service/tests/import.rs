//! Import tests on a real SQLite file: every row accounted for, idempotent re-imports, updates with
//! history, nothing lost from richer records, whole batches only after a stop, the institution scope,
//! applicant linking, organisations and reference data.

use std::path::{Path, PathBuf};

use ipbridge_domain::audit::Action;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::ApplicationNo;
use ipbridge_service::{
    Actor, App, AuditFilter, Format, ImportRecord, ImportStatus, OrgFilter, PatentFilter, Settings,
};

struct TestApp {
    dir: tempfile::TempDir,
    app: App,
}

async fn app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.server.data_dir = dir.path().to_owned();
    let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
    TestApp { dir, app }
}

/// A valid application number for test row `i`.
fn number(i: u32) -> String {
    ApplicationNo::from_parts(2023, 1, 500_000 + i).unwrap().to_string()
}

fn csv(rows: &[[&str; 7]]) -> String {
    let mut s = String::from("申请号,专利名称,申请日,申请人,主分类号,法律状态,专利类型\n");
    for r in rows {
        s.push_str(&r.join(","));
        s.push('\n');
    }
    s
}

async fn import(app: &App, actor: &Actor, name: &str, bytes: Vec<u8>) -> ImportRecord {
    let id = app.begin_patent_import(actor, name, &bytes).await.unwrap();
    app.run_patent_import(actor, id, name, bytes, None, &|_| {}).await.unwrap()
}

fn assert_accounted(r: &ImportRecord) {
    let c = r.counts;
    assert_eq!(c.read, c.inserted + c.updated + c.unchanged + c.rejected, "{c:?}");
    assert_eq!(c.read, c.total, "{c:?}");
}

fn shared_data() -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    p.is_dir().then_some(p)
}

#[tokio::test]
async fn the_cnipa_sample_imports_and_reimports_unchanged() {
    let Some(data) = shared_data() else {
        eprintln!("shared/data not present: skipped");
        return;
    };
    let t = app().await;
    let bytes = std::fs::read(data.join("cn_patents_fullschema_sample/patents.jsonl")).unwrap();
    let first = import(&t.app, &Actor::cli(), "patents.jsonl", bytes.clone()).await;
    assert_eq!((first.counts.read, first.counts.inserted, first.counts.rejected), (10, 10, 0));
    assert_accounted(&first);
    let again = import(&t.app, &Actor::cli(), "patents.jsonl", bytes).await;
    assert_eq!(
        (again.counts.read, again.counts.unchanged, again.counts.inserted, again.counts.updated),
        (10, 10, 0, 0)
    );
    assert!(again.message.contains("没有任何改动"), "{}", again.message);
    // Every field of the export is kept: modelled ones in the record, the rest in `extra`.
    let page = t
        .app
        .list_patents(&Actor::cli(), &PatentFilter { text: Some("无人机机载多功能盒".into()), ..Default::default() })
        .await
        .unwrap();
    let view = t.app.patent(&Actor::cli(), page.patents[0].id).await.unwrap();
    let r = &view.patent.record;
    assert_eq!(r.application_no.as_str(), "202223220665.2");
    assert!(r.first_claim.starts_with("1.一种无人机机载多功能盒"));
    assert_eq!(r.province_code.as_deref(), Some("41"));
    assert!(r.extra.contains_key("全文链接"), "unmodelled columns are kept: {:?}", r.extra.keys());
    assert_eq!(view.expiry.unwrap().to_string(), "2032-12-01");
}

#[tokio::test]
async fn a_gbk_csv_with_broken_rows_accounts_for_every_row() {
    let t = app().await;
    let good = [number(1), number(2), number(3)];
    let text = csv(&[
        [&good[0], "一种富硒茶叶的加工方法", "2023/5/23", "安康硒源茶业有限公司", "A23F3/06", "有权-审定授权", "发明"],
        [
            &good[1],
            "一种魔芋精粉的制备方法",
            "2023年6月1日",
            "安康魔芋食品股份有限公司",
            "A23L19/10",
            "审中-实质审查",
            "发明",
        ],
        [&good[2], "一种绞股蓝提取物", "20230701", "平利绞股蓝生物科技有限公司", "A61K36/00", "有权", "发明"],
        ["CN202310605823.5", "校验位错误的专利", "2023-05-23", "某公司", "A23F3/06", "有权", "发明"],
        [&number(4), "", "2023-02-30", "某公司", "Z99", "有权", "实用新型"],
    ]);
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let run = import(&t.app, &Actor::cli(), "excel导出.csv", gbk.into_owned()).await;
    assert_eq!((run.counts.read, run.counts.inserted, run.counts.rejected), (5, 3, 2));
    assert_accounted(&run);
    assert!(run.has_report);
    // The report holds the original columns plus the reason, in Chinese, naming the column.
    let (name, report) = t.app.import_report(&Actor::cli(), run.id).await.unwrap();
    assert!(name.ends_with("错误报告.xlsx"));
    let table = ipbridge_ingest::read_table("report.xlsx", &report, Some(Format::Xlsx)).unwrap();
    assert_eq!(table.headers.last().map(String::as_str), Some("错误原因"));
    assert_eq!(table.rows.len(), 2);
    let reasons: Vec<&str> = table.rows.iter().map(|r| r.cells.last().unwrap().as_str()).collect();
    assert!(reasons[0].contains("【申请号】") && reasons[0].contains("校验位错误"), "{}", reasons[0]);
    assert!(reasons[1].contains("【专利名称】"), "{}", reasons[1]);
    assert!(reasons[1].contains("【申请日】"), "{}", reasons[1]);
    // Fixed, the report imports directly.
    let fixed = csv(&[
        ["CN202310605823.6", "校验位错误的专利", "2023-05-23", "某公司", "A23F3/06", "有权", "发明"],
        [&number(4), "一种茶园轨道运输车", "2023-02-28", "某公司", "B61B13/02", "有权", "实用新型"],
    ]);
    let mut rows = fixed.lines().map(str::to_owned).collect::<Vec<_>>();
    rows[0].push_str(",错误原因");
    rows[1].push_str(",原第5行：已改正");
    rows[2].push_str(",原第6行：已改正");
    let second = import(&t.app, &Actor::cli(), "fixed.csv", rows.join("\n").into_bytes()).await;
    assert_eq!((second.counts.inserted, second.counts.rejected), (1, 1), "{}", second.message);
    // One fixed row is accepted; the other still fails (a utility model filed under an invention number).
    // A file that cannot be read at all fails as a whole and says so in the history.
    let unreadable = t.app.begin_patent_import(&Actor::cli(), "junk.xlsx", b"PK\x03\x04 not really").await.unwrap();
    let failed = t
        .app
        .run_patent_import(&Actor::cli(), unreadable, "junk.xlsx", b"PK\x03\x04 not really".to_vec(), None, &|_| {})
        .await;
    assert!(failed.is_err());
    let history = t.app.list_imports(&Actor::cli(), 10, 0).await.unwrap();
    assert_eq!(history.imports[0].status, ImportStatus::Failed);
}

#[tokio::test]
async fn a_changed_row_updates_the_record_with_its_history_and_a_poorer_file_erases_nothing() {
    let t = app().await;
    let n = number(10);
    let full = format!(
        "申请号,专利名称,申请日,申请人,主分类号,法律状态,申请摘要,主权项\n{n},一种富硒茶饮料,2023-03-01,安康硒源茶业有限公司,A23F3/06,审中-实质审查,富硒茶饮料的摘要,1.一种富硒茶饮料\n"
    );
    import(&t.app, &Actor::cli(), "full.csv", full.into_bytes()).await;
    // A status update file carries only the number and the legal status (and the required title).
    let status = format!("申请号,专利名称,法律状态\n{n},一种富硒茶饮料,有权-审定授权\n");
    let run = import(&t.app, &Actor::cli(), "status.csv", status.clone().into_bytes()).await;
    assert_eq!(run.counts.updated, 1);
    let page = t.app.list_patents(&Actor::cli(), &PatentFilter::default()).await.unwrap();
    let view = t.app.patent(&Actor::cli(), page.patents[0].id).await.unwrap();
    let r = &view.patent.record;
    assert!(r.legal_status.in_force());
    assert_eq!(r.abstract_text, "富硒茶饮料的摘要", "fields the file has no column for are kept");
    assert_eq!(r.first_claim, "1.一种富硒茶饮料");
    assert_eq!(r.applicants[0].name, "安康硒源茶业有限公司");
    // The history holds the creation and the change of status.
    assert_eq!(view.history.len(), 2);
    assert!(view.history[1].changes.contains("legal_status"), "{}", view.history[1].changes);
    let filter = AuditFilter { action: Some(Action::PatentImport), ..AuditFilter::default() };
    assert_eq!(t.app.audit_page(&Actor::cli(), &filter).await.unwrap().total, 2);
    // The same status file again changes nothing.
    let again = import(&t.app, &Actor::cli(), "status.csv", status.into_bytes()).await;
    assert_eq!(again.counts.unchanged, 1);
}

#[tokio::test]
async fn a_number_repeated_in_one_file_counts_each_row_and_keeps_the_last() {
    let t = app().await;
    let n = number(20);
    let text = csv(&[
        [&n, "第一稿名称", "2023-03-01", "甲公司", "A23F3/06", "审中", "发明"],
        [&n, "第一稿名称", "2023-03-01", "甲公司", "A23F3/06", "审中", "发明"],
        [&n, "定稿名称", "2023-03-01", "甲公司", "A23F3/06", "有权", "发明"],
    ]);
    let run = import(&t.app, &Actor::cli(), "dup.csv", text.into_bytes()).await;
    assert_eq!((run.counts.inserted, run.counts.unchanged, run.counts.updated), (1, 1, 1));
    assert_accounted(&run);
    let page = t.app.list_patents(&Actor::cli(), &PatentFilter::default()).await.unwrap();
    assert_eq!(page.total, 1);
    assert_eq!(page.patents[0].title, "定稿名称");
}

#[tokio::test]
async fn a_stopped_import_leaves_whole_batches_and_importing_again_completes_it() {
    let t = app().await;
    let rows = ipbridge_service::patents::BATCH_ROWS * 3 - 7;
    let mut text = String::from("申请号,专利名称,申请日,申请人\n");
    for i in 0..rows {
        text.push_str(&format!("{},一种测试装置{i},2022-01-01,甲公司\n", number(1000 + i as u32)));
    }
    let bytes = text.into_bytes();
    let id = t.app.begin_patent_import(&Actor::cli(), "big.csv", &bytes).await.unwrap();
    // Stop the import right after its first batch committed, as a killed process would.
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let tx = std::sync::Mutex::new(Some(tx));
    let app = t.app.clone();
    let data = bytes.clone();
    let task = tokio::spawn(async move {
        let progress = move |_: &ipbridge_service::ImportCounts| {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
            // Give the stop a moment to land before the next batch starts.
            std::thread::sleep(std::time::Duration::from_millis(200));
        };
        app.run_patent_import(&Actor::cli(), id, "big.csv", data, None, &progress).await
    });
    rx.await.unwrap();
    task.abort();
    let _ = task.await;
    let stored = t.app.list_patents(&Actor::cli(), &PatentFilter::default()).await.unwrap().total;
    assert_eq!(stored % ipbridge_service::patents::BATCH_ROWS as u64, 0, "only whole batches: {stored}");
    assert!(stored > 0 && stored < rows as u64);
    // A restart marks the run as interrupted.
    let reopened =
        App::open(t.app.settings.as_ref().clone(), ipbridge_service::load_policy(None).unwrap()).await.unwrap();
    assert_eq!(reopened.import_run(&Actor::cli(), id).await.unwrap().status, ImportStatus::Running, "only serve marks");
    assert_eq!(reopened.mark_interrupted_imports().await.unwrap(), 1);
    let run = reopened.import_run(&Actor::cli(), id).await.unwrap();
    assert_eq!(run.status, ImportStatus::Interrupted);
    // Importing the same file again completes it.
    let again = import(&reopened, &Actor::cli(), "big.csv", bytes).await;
    assert_eq!(again.counts.unchanged, stored);
    assert_eq!(again.counts.inserted, rows as u64 - stored);
    assert_eq!(reopened.list_patents(&Actor::cli(), &PatentFilter::default()).await.unwrap().total, rows as u64);
    drop(t.dir);
}

#[tokio::test]
async fn institution_administrators_import_only_their_own_patents_and_applicants_get_linked() {
    let t = app().await;
    t.app.seed_demo(&Actor::cli(), Some("Demo#2026pass")).await.unwrap();
    let admin = t.app.account_by_name("institution_admin").await.unwrap();
    let actor = Actor::logged_in(admin.clone(), "127.0.0.1", "t1");
    let own = admin.org_name.clone();
    let text = csv(&[
        [&number(30), "一种富硒茶多酚提取方法", "2023-03-01", &own, "A23F3/06", "有权", "发明"],
        [&number(31), "别人的专利", "2023-03-01", "西安某某科技有限公司", "A23F3/06", "有权", "发明"],
        [&number(32), "合作专利", "2023-03-01", &format!("西安某某科技有限公司;{own}"), "A23F3/06", "有权", "发明"],
    ]);
    let run = import(&t.app, &actor, "own.csv", text.into_bytes()).await;
    assert_eq!((run.counts.inserted, run.counts.rejected), (2, 1), "{}", run.message);
    let (_, report) = t.app.import_report(&actor, run.id).await.unwrap();
    let table = ipbridge_ingest::read_table("r.xlsx", &report, None).unwrap();
    assert!(table.rows[0].cells.last().unwrap().contains("申请人中没有本单位"));
    // The institution's patents are those it holds as an applicant (found by the imported title: the demo's own
    // patents of the institution mention 茶多酚 too).
    let imported = Some("富硒茶多酚提取方法".to_owned());
    let held = PatentFilter { holder_org: Some(admin.org_id), text: imported, ..Default::default() };
    assert_eq!(t.app.list_patents(&actor, &held).await.unwrap().total, 1);
    // Its history lists only its own imports.
    assert!(t.app.list_imports(&actor, 50, 0).await.unwrap().imports.iter().all(|r| r.org_id == Some(admin.org_id)));
    let other = t
        .app
        .list_imports(&Actor::cli(), 50, 0)
        .await
        .unwrap()
        .imports
        .into_iter()
        .find(|r| r.org_id != Some(admin.org_id))
        .unwrap();
    assert!(t.app.import_run(&actor, other.id).await.is_err(), "another organisation's import is invisible");

    // The bureau links the unmatched applicant once; stored and later patents follow.
    let officer = t.app.account_by_name("bureau_officer").await.unwrap();
    let bureau = Actor::logged_in(officer, "127.0.0.1", "t2");
    let unmatched = t.app.unmatched_applicants(&bureau, 50, 0).await.unwrap();
    let name = unmatched.names.iter().find(|n| n.name == "西安某某科技有限公司").expect("listed for review");
    assert_eq!(name.patents, 1);
    let enterprise = t
        .app
        .list_orgs(&bureau, &OrgFilter { kind: Some(OrgKind::Enterprise), ..Default::default() })
        .await
        .unwrap()
        .orgs[0]
        .id;
    assert_eq!(t.app.link_applicant(&bureau, "西安某某科技有限公司", enterprise).await.unwrap(), 1);
    let later = csv(&[[&number(33), "后续专利", "2023-04-01", "西安某某科技有限公司", "A23F3/06", "有权", "发明"]]);
    import(&t.app, &bureau, "later.csv", later.into_bytes()).await;
    let linked = PatentFilter { holder_org: Some(enterprise), text: Some("后续专利".into()), ..Default::default() };
    assert_eq!(t.app.list_patents(&bureau, &linked).await.unwrap().total, 1);
    // An enterprise user may not import at all.
    let ent = t.app.account_by_name("enterprise_user").await.unwrap();
    assert!(t.app.begin_patent_import(&Actor::logged_in(ent, "x", "y"), "f.csv", b"x").await.is_err());
}

#[tokio::test]
async fn organisations_import_with_the_same_accounting() {
    let t = app().await;
    let ok = ipbridge_domain::CreditCode::with_check("91610902MA6YQ1A99").unwrap();
    let text = format!(
        "单位名称,类型,统一社会信用代码,所在县区,联系人\n安康新材料科技有限公司,企业,{ok},汉滨区,李工\n坏代码公司,企业,914403001922038217,汉滨区,王工\n安康理工大学,高校,,610902,科技处\n外地公司,企业,91440300708461136T,西安市,赵工\n"
    );
    let run = t.app.import_orgs(&Actor::cli(), "orgs.csv", text.clone().into_bytes(), None, &|_| {}).await.unwrap();
    assert_eq!((run.counts.read, run.counts.inserted, run.counts.rejected), (4, 2, 2), "{}", run.message);
    assert_accounted(&run);
    let (_, report) = t.app.import_report(&Actor::cli(), run.id).await.unwrap();
    let table = ipbridge_ingest::read_table("r.xlsx", &report, None).unwrap();
    let reasons: Vec<String> = table.rows.iter().map(|r| r.cells.last().unwrap().clone()).collect();
    assert!(reasons[0].contains("校验位错误"), "{reasons:?}");
    assert!(reasons[1].contains("不是本市的县"), "{reasons:?}");
    let again = t.app.import_orgs(&Actor::cli(), "orgs.csv", text.into_bytes(), None, &|_| {}).await.unwrap();
    assert_eq!((again.counts.unchanged, again.counts.rejected), (2, 2));
}

#[tokio::test]
async fn reference_data_gives_ipc_titles() {
    let Some(data) = shared_data() else {
        eprintln!("shared/data not present: skipped");
        return;
    };
    let t = app().await;
    let r = t.app.load_reference(&Actor::cli(), &data).await.unwrap();
    assert!(r.ipc_titles > 70_000 && r.mappings > 30_000 && r.sei_categories == 49, "{r:?}");
    let text = csv(&[[&number(40), "一种茶叶加工方法", "2023-03-01", "甲公司", "A23F3/06", "有权", "发明"]]);
    import(&t.app, &Actor::cli(), "t.csv", text.into_bytes()).await;
    let page = t.app.list_patents(&Actor::cli(), &PatentFilter::default()).await.unwrap();
    let view = t.app.patent(&Actor::cli(), page.patents[0].id).await.unwrap();
    assert!(view.ipc_titles.get("A23F").is_some_and(|t| t.contains("茶")), "{:?}", view.ipc_titles.get("A23F"));
    // Only the command line loads reference data.
    t.app.seed_demo(&Actor::cli(), Some("Demo#2026pass")).await.unwrap();
    let officer = t.app.account_by_name("bureau_officer").await.unwrap();
    assert!(t.app.load_reference(&Actor::logged_in(officer, "x", "y"), &data).await.is_err());
}

#[tokio::test]
async fn an_institution_cannot_take_over_a_patent_it_does_not_hold() {
    let t = app().await;
    t.app.seed_demo(&Actor::cli(), Some("Demo#2026pass")).await.unwrap();
    let n = number(50);
    let theirs = csv(&[[&n, "企业的专利", "2023-03-01", "安康硒源茶业有限公司", "A23F3/06", "有权", "发明"]]);
    import(&t.app, &Actor::cli(), "bureau.csv", theirs.into_bytes()).await;
    let admin = t.app.account_by_name("institution_admin").await.unwrap();
    let own = admin.org_name.clone();
    let actor = Actor::logged_in(admin, "127.0.0.1", "t");
    let grab = csv(&[[&n, "改成我们的", "2023-03-01", &own, "A23F3/06", "有权", "发明"]]);
    let run = import(&t.app, &actor, "grab.csv", grab.into_bytes()).await;
    assert_eq!((run.counts.rejected, run.counts.updated), (1, 0), "{}", run.message);
    let (_, report) = t.app.import_report(&actor, run.id).await.unwrap();
    let table = ipbridge_ingest::read_table("r.xlsx", &report, None).unwrap();
    assert!(table.rows[0].cells.last().unwrap().contains("权利人中没有本单位"), "{:?}", table.rows[0].cells);
    let page =
        t.app.list_patents(&Actor::cli(), &PatentFilter { text: Some(n.clone()), ..Default::default() }).await.unwrap();
    assert_eq!(page.patents[0].title, "企业的专利");
}

#[tokio::test]
async fn blank_cells_keep_stored_values_and_new_organisations_take_their_patents() {
    let t = app().await;
    let n = number(60);
    let full = format!("申请号,专利名称,申请人,申请摘要\n{n},一种测试方法,汉滨新创科技有限公司,原来的摘要\n");
    import(&t.app, &Actor::cli(), "a.csv", full.into_bytes()).await;
    let blank = format!("申请号,专利名称,申请人,申请摘要\n{n},一种测试方法,汉滨新创科技有限公司,\n");
    let run = import(&t.app, &Actor::cli(), "b.csv", blank.into_bytes()).await;
    assert_eq!(run.counts.unchanged, 1, "an empty cell is not an erasure: {}", run.message);
    // The organisation registered after the import takes the patents filed under its exact name.
    t.app.seed_demo(&Actor::cli(), Some("Demo#2026pass")).await.ok();
    let form = ipbridge_service::orgs::OrgForm {
        kind: "enterprise".into(),
        name: "汉滨新创科技有限公司".into(),
        credit_code: ipbridge_domain::CreditCode::with_check("91610902MA6YQ2A99").unwrap().to_string(),
        county_code: "610902".into(),
        active: true,
        ..Default::default()
    };
    let org = t.app.create_org(&Actor::cli(), &form).await.unwrap();
    let held = PatentFilter { holder_org: Some(org), ..Default::default() };
    assert_eq!(t.app.list_patents(&Actor::cli(), &held).await.unwrap().total, 1);
}
