//! The bureau's indicator inputs on a real SQLite file: awards (form and list import), trademark and
//! patent-intensive statistics (form and import), and applicant places — who may enter them, the Chinese
//! reasons for bad input, the audit record of every change, and what the refresh makes of them.

use chrono::Datelike;
use ipbridge_domain::CreditCode;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::OrgId;
use ipbridge_domain::indicators::Month;
use ipbridge_domain::indicators::high_value::Criterion;
use ipbridge_domain::indicators::place::PlaceBasis;
use ipbridge_domain::org::OrgKind;
use ipbridge_domain::patent::{ApplicationNo, PatentRecord};
use ipbridge_domain::permission::Role;
use ipbridge_ingest::{Format, read_table};
use ipbridge_service::accounts::NewAccount;
use ipbridge_service::indicators::awards::{AwardForm, AwardQuery};
use ipbridge_service::indicators::places::{PlaceForm, PlaceQuery};
use ipbridge_service::indicators::stats::{CountyFigures, IntensiveForm, TrademarkMonthForm};
use ipbridge_service::orgs::OrgForm;
use ipbridge_service::{Actor, App, AuditFilter, ServiceError, Settings};
use serde_json::{Value, json};

const PASSWORD: &str = "Demo#2026pass";

/// A city with the bureau (an officer and a leader), an enterprise with its user, and three granted
/// invention patents: one whose first applicant's address is in 汉滨区, one in 西安, one with another
/// province's code.
struct World {
    _dir: tempfile::TempDir,
    app: App,
    /// 安康富硒茶研究所, address 陕西省安康市汉滨区.
    local: i64,
    local_no: String,
    /// 西安秦岭茶叶科技有限公司, address 陕西省西安市雁塔区.
    xian: i64,
    /// 河南（郑州）茶机有限公司, province code 41.
    henan: i64,
}

fn record(serial: u32, title: &str, applicant: &str, address: &str, province: &str) -> PatentRecord {
    let no = ApplicationNo::from_parts(2019, 1, serial).unwrap();
    serde_json::from_value(json!({
        "application_no": no.as_str(), "patent_type": "invention", "title": title, "legal_status": "granted",
        "applicants": [{"name": applicant, "address": address}], "filing_date": "2019-03-01",
        "grant_date": "2021-06-01", "main_ipc": "A23F3/06", "ipc_codes": ["A23F3/06"], "province_code": province,
        "abstract_text": format!("{title}。"),
    }))
    .unwrap()
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let mut settings = Settings::default();
        settings.server.data_dir = dir.path().to_owned();
        let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
        let bureau = app.ensure_bureau_org(&Actor::cli()).await.unwrap();
        let form = OrgForm {
            kind: OrgKind::Enterprise.code().into(),
            name: "安康硒源茶业有限公司".into(),
            credit_code: CreditCode::with_check("91610902MA6YQ1A01").unwrap().to_string(),
            county_code: "610902".into(),
            active: true,
            ..OrgForm::default()
        };
        let enterprise = app.create_org(&Actor::cli(), &form).await.unwrap();
        let county_form = OrgForm {
            kind: OrgKind::County.code().into(),
            name: "汉滨区人民政府".into(),
            county_code: "610902".into(),
            active: true,
            ..OrgForm::default()
        };
        let county = app.create_org(&Actor::cli(), &county_form).await.unwrap();
        for (name, org, role) in [
            ("officer", bureau, Role::BureauOfficer),
            ("leader", bureau, Role::BureauLeader),
            ("county", county, Role::CountyOfficer),
            ("ent", enterprise, Role::EnterpriseUser),
        ] {
            account(&app, name, org, role).await;
        }
        let records = vec![
            record(300_001, "一种富硒茶叶的发酵方法", "安康富硒茶研究所", "陕西省安康市汉滨区江北大道1号", "61"),
            record(300_002, "一种茶叶杀青装置", "西安秦岭茶叶科技有限公司", "陕西省西安市雁塔区科技路2号", "61"),
            record(300_003, "一种茶叶揉捻机", "河南（郑州）茶机有限公司", "", "41"),
        ];
        let local_no = records[0].application_no.as_str().to_owned();
        app.import_records(&Actor::cli(), "测试专利", records).await.unwrap();
        let page = app.list_patents(&Actor::cli(), &Default::default()).await.unwrap();
        let id = |title: &str| page.patents.iter().find(|p| p.title == title).unwrap().id.get();
        let (local, xian, henan) = (id("一种富硒茶叶的发酵方法"), id("一种茶叶杀青装置"), id("一种茶叶揉捻机"));
        app.refresh_indicators("test").await.unwrap();
        World { _dir: dir, app, local, local_no, xian, henan }
    }

    async fn actor(&self, name: &str) -> Actor {
        Actor::logged_in(self.app.account_by_name(name).await.unwrap(), "127.0.0.1", format!("req-{name}"))
    }

    /// The details of the successful audit records of an action, oldest first.
    async fn audited(&self, action: Action) -> Vec<Value> {
        let filter = AuditFilter { action: Some(action), outcome: Some(Outcome::Success), ..AuditFilter::default() };
        let page = self.app.audit_page(&Actor::cli(), &filter).await.unwrap();
        page.records.iter().rev().map(|r| serde_json::from_str(&r.record.detail).unwrap()).collect()
    }

    async fn place_of(&self, patent: i64) -> (bool, Option<String>, PlaceBasis) {
        let f = self.app.patent_indicators(&Actor::cli(), patent).await.unwrap().unwrap();
        (f.in_city, f.county, f.place_basis)
    }
}

async fn account(app: &App, name: &str, org: OrgId, role: Role) {
    let new = NewAccount {
        username: name.into(),
        display_name: name.into(),
        org_id: Some(org),
        faculty_id: None,
        password: PASSWORD.into(),
    };
    app.bootstrap_account(&Actor::cli(), &new, &[role]).await.unwrap();
}

fn award(no: &str, award: &str, grade: &str, year: &str) -> AwardForm {
    AwardForm {
        application_no: no.into(),
        award: award.into(),
        grade: grade.into(),
        year: year.into(),
        note: String::new(),
    }
}

fn invalid(e: ServiceError) -> ipbridge_service::FieldErrors {
    match e {
        ServiceError::Invalid(errors) => errors,
        other => panic!("expected invalid input, got {other:?}"),
    }
}

fn csv(lines: &[&str]) -> Vec<u8> {
    let mut text = lines.join("\r\n");
    text.push_str("\r\n");
    text.into_bytes()
}

#[tokio::test]
async fn awards_are_recorded_by_the_bureau_only_and_make_a_patent_high_value() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    // Who may not record: the leader, a county officer and an enterprise user are refused, an anonymous
    // visitor must log in.
    for who in ["leader", "county", "ent"] {
        let e = w.app.record_award(&w.actor(who).await, &award(&w.local_no, "中国专利奖", "优秀奖", "2024")).await;
        assert!(matches!(e, Err(ServiceError::Forbidden)), "{who}: {e:?}");
    }
    let anonymous = Actor::anonymous("127.0.0.1", "req-anon");
    assert!(matches!(w.app.awards(&anonymous, &AwardQuery::default()).await, Err(ServiceError::Unauthenticated)));
    assert!(matches!(w.app.awards(&w.actor("ent").await, &AwardQuery::default()).await, Err(ServiceError::Forbidden)));

    let before = w.app.patent_indicators(&officer, w.local).await.unwrap().unwrap();
    assert!(!before.high_value, "no criterion holds before the award");
    let id = w.app.record_award(&officer, &award(&w.local_no, "中国专利奖", "优秀奖", "2024")).await.unwrap();
    // An award may precede its patent's import.
    let later = ApplicationNo::from_parts(2016, 1, 123_456).unwrap();
    w.app.record_award(&officer, &award(later.as_str(), "国家科学技术进步奖", "二等奖", "2020")).await.unwrap();

    let e = invalid(w.app.record_award(&officer, &award(&w.local_no, "中国专利优秀奖", "", "2024")).await.unwrap_err());
    assert_eq!(e.first("application_no"), Some("该专利2024年的中国专利奖已登记，无需重复登记"));
    let e = invalid(w.app.record_award(&officer, &award("202310123456.5", "省科技奖", "", "1984")).await.unwrap_err());
    assert!(e.first("application_no").unwrap().contains("校验位错误"), "{e:?}");
    assert!(e.first("award").unwrap().contains("无法识别的奖项"), "{e:?}");
    assert!(e.first("year").unwrap().contains("不在1985年至"), "{e:?}");

    // The leader reads the list: the imported patent is linked, the other is not in the database yet.
    let list = w.app.awards(&w.actor("leader").await, &AwardQuery::default()).await.unwrap();
    assert_eq!(list.awards.len(), 2);
    assert_eq!(list.years, vec![2024, 2020]);
    let recorded = list.awards.iter().find(|a| a.id == id).unwrap();
    assert_eq!(recorded.patent, Some((w.local, "一种富硒茶叶的发酵方法".to_owned())));
    assert!(list.awards.iter().any(|a| a.application_no == later.as_str() && a.patent.is_none()));
    let only =
        w.app.awards(&officer, &AwardQuery { award: "national_sci_tech".into(), year: String::new() }).await.unwrap();
    assert_eq!(only.awards.len(), 1);
    let xlsx = w.app.export_awards(&officer, &AwardQuery::default()).await.unwrap();
    let table = read_table("awards.xlsx", &xlsx, Some(Format::Xlsx)).unwrap();
    assert_eq!(table.rows.len(), 2);
    assert!(table.rows.iter().any(|r| r.cells.contains(&"未入库".to_owned())));

    w.app.refresh_indicators("test").await.unwrap();
    let after = w.app.patent_indicators(&officer, w.local).await.unwrap().unwrap();
    assert!(after.high_value);
    let (_, holds, why) = after.criteria.iter().find(|(c, _, _)| *c == Criterion::Award).unwrap();
    assert!(*holds && why.contains("中国专利奖"), "{why}");

    let recorded = w.audited(Action::AwardRecord).await;
    assert_eq!(recorded.len(), 2);
    assert_eq!(recorded[0]["application_no"], json!(w.local_no));
    assert_eq!(recorded[0]["award"], json!("china_patent"));

    // Deleting: the bureau only, audited, and the criterion no longer holds after the refresh.
    assert!(matches!(w.app.delete_award(&w.actor("leader").await, id).await, Err(ServiceError::Forbidden)));
    w.app.delete_award(&officer, id).await.unwrap();
    assert!(matches!(w.app.delete_award(&officer, id).await, Err(ServiceError::NotFound)));
    assert_eq!(w.audited(Action::AwardDelete).await[0]["year"], json!(2024));
    w.app.refresh_indicators("test").await.unwrap();
    assert!(!w.app.patent_indicators(&officer, w.local).await.unwrap().unwrap().high_value);
}

#[tokio::test]
async fn an_award_list_import_accepts_or_rejects_every_row_with_its_reason() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    w.app.record_award(&officer, &award(&w.local_no, "中国专利奖", "金奖", "2023")).await.unwrap();
    let other = ApplicationNo::from_parts(2019, 1, 77).unwrap();
    let file = csv(&[
        "专利号,专利名称,奖项名称,获奖等级,获奖年度,备注",
        &format!("ZL{},一种富硒茶叶的发酵方法,中国专利金奖,,2024,第二十五届", w.local_no),
        &format!("{},,国家技术发明奖,二等奖,2021年,", other.as_str()),
        &format!("{},,中国专利奖,优秀奖,2024,重复", w.local_no),
        &format!("{},,中国专利奖,金奖,2023,已登记", w.local_no),
        "202310123456.5,,中国专利奖,,2024,",
        &format!("{},,陕西省科学技术奖,一等奖,2024,", other.as_str()),
        &format!("{},,中国专利奖,,1980,", other.as_str()),
        &format!("{},,,,,", other.as_str()),
    ]);
    // Refused before anything is read: the enterprise, the leader; a file without a 年度 column.
    for who in ["ent", "leader"] {
        let e = w.app.import_awards(&w.actor(who).await, "名单.csv", file.clone(), None).await;
        assert!(matches!(e, Err(ServiceError::Forbidden)), "{who}");
    }
    let e = invalid(w.app.import_awards(&officer, "名单.csv", csv(&["申请号,奖项", "x,y"]), None).await.unwrap_err());
    assert!(e.first("file").unwrap().contains("找不到“年度”列"), "{e:?}");

    let r = w.app.import_awards(&officer, "名单.csv", file, None).await.unwrap();
    assert_eq!((r.total, r.accepted, r.rejected), (8, 2, 6));
    assert_eq!(r.rows.len(), 8, "every row has an outcome");
    let message = |line: usize| r.rows.iter().find(|x| x.number == line).unwrap().message.clone();
    assert!(r.rows[0].accepted && message(2).contains("中国专利奖金奖"), "{:?}", r.rows[0]);
    assert!(r.rows[1].accepted);
    assert_eq!(message(4), "与第2行重复（同一专利、同一年度、同一奖项）");
    assert_eq!(message(5), "该专利2023年的中国专利奖已登记，无需重复登记");
    assert!(message(6).starts_with("【专利号】") && message(6).contains("校验位"), "{}", message(6));
    assert!(message(7).contains("【奖项名称】无法识别的奖项“陕西省科学技术奖”"), "{}", message(7));
    assert!(message(8).contains("【获奖年度】年度1980不在1985年至"), "{}", message(8));
    assert!(
        message(9).contains("【奖项名称】请选择奖项") && message(9).contains("【获奖年度】请填写获奖年度"),
        "{}",
        message(9)
    );
    // The report holds the rejected rows as written, with the reason; it imports again once fixed.
    let report = read_table("报告.xlsx", r.report.as_ref().unwrap(), Some(Format::Xlsx)).unwrap();
    assert_eq!(report.rows.len(), 6);
    assert_eq!(report.headers.last().map(String::as_str), Some("错误原因"));
    assert!(report.rows[0].cells.last().unwrap().starts_with("原第4行："));

    let list = w.app.awards(&officer, &AwardQuery::default()).await.unwrap();
    assert_eq!(list.awards.len(), 3);
    let imported = list.awards.iter().find(|a| a.year == 2024).unwrap();
    assert_eq!((imported.grade.as_str(), imported.note.as_str()), ("金奖", "第二十五届"));
    let audit = w.audited(Action::AwardImport).await;
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0]["total"].clone(), audit[0]["accepted"].clone(), audit[0]["rejected"].clone()),
        (json!(8), json!(2), json!(6))
    );
    assert_eq!(audit[0]["file"], json!("名单.csv"));

    // The template maps back to the list's columns.
    let template = w.app.award_template(&officer).unwrap();
    let t = read_table("模板.xlsx", &template, Some(Format::Xlsx)).unwrap();
    assert_eq!(t.headers, ["申请号", "奖项", "等级", "年度", "备注"]);
    assert!(matches!(w.app.award_template(&w.actor("ent").await), Err(ServiceError::Forbidden)));
}

#[tokio::test]
async fn trademark_figures_are_entered_by_month_and_imported() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    let current = Month::of(w.app.china_today());
    let last = current.previous();
    let line = |code: &str, t: &str, g: &str| CountyFigures {
        county_code: code.into(),
        valid_trademarks: t.into(),
        gi_users: g.into(),
    };
    let form = TrademarkMonthForm {
        month: last.to_string(),
        rows: vec![line("610902", "8,650", "120"), line("610921", "1200", "0"), line("610922", "", "")],
    };
    for who in ["leader", "ent"] {
        assert!(matches!(w.app.save_trademark_month(&w.actor(who).await, &form).await, Err(ServiceError::Forbidden)));
    }
    assert_eq!(w.app.save_trademark_month(&officer, &form).await.unwrap(), 2, "an empty county is left as it was");

    // Bad input: a future month, a negative figure, a half-filled county, nothing filled.
    let bad = TrademarkMonthForm {
        month: current.next().to_string(),
        rows: vec![line("610902", "-5", "1"), line("610921", "12", "")],
    };
    let e = invalid(w.app.save_trademark_month(&officer, &bad).await.unwrap_err());
    assert!(e.first("month").unwrap().contains("尚未结束"), "{e:?}");
    let rows = &e.0["rows"];
    assert!(rows.iter().any(|m| m == "汉滨区：有效商标持有量“-5”不能为负数"), "{rows:?}");
    assert!(rows.iter().any(|m| m == "汉阴县：请填写地理标志用标市场主体（没有时填0）"), "{rows:?}");
    let empty = TrademarkMonthForm { month: last.to_string(), rows: vec![line("610902", "", "")] };
    assert_eq!(
        invalid(w.app.save_trademark_month(&officer, &empty).await.unwrap_err()).first("rows"),
        Some("请至少填写一个县区的两项数字")
    );

    // The import: names, codes and aliases; a total row, an unknown county, a duplicate and a bad month are
    // rejected; a figure already entered is replaced.
    let two_back = last.previous();
    let file = csv(&[
        "县（市、区）,统计月份,有效注册商标,用标市场主体",
        &format!("汉滨区,{},9000,125", last),
        &format!("610921,{}年{}月,1300,3", last.year(), last.month()),
        &format!("安康高新区,{},2100,7", two_back),
        &format!("合计,{},99999,999", last),
        &format!("雁塔区,{},10,1", last),
        &format!("汉滨区,{},9100,126", last),
        &format!("石泉县,{},400,2.5", last),
        "平利县,2025-13,1,1",
    ]);
    let e = w.app.import_trademark_stats(&w.actor("county").await, "统计.csv", file.clone(), None).await;
    assert!(matches!(e, Err(ServiceError::Forbidden)));
    let r = w.app.import_trademark_stats(&officer, "统计.csv", file, None).await.unwrap();
    assert_eq!((r.total, r.created, r.updated, r.rejected), (8, 1, 2, 5), "{:?}", r.rows);
    let message = |line: usize| r.rows.iter().find(|x| x.number == line).unwrap().message.clone();
    assert_eq!(message(2), format!("已更新汉滨区{last}（原为 8650 / 120）"));
    assert_eq!(message(4), format!("已导入安康高新技术产业开发区{two_back}"));
    assert!(message(5).contains("合计行不导入"), "{}", message(5));
    assert!(message(6).contains("“雁塔区”不是本市的县区"), "{}", message(6));
    assert_eq!(message(7), "与第2行重复（同一县区、同一月份），只导入第一行");
    assert!(message(8).contains("【用标市场主体】“2.5”应为整数"), "{}", message(8));
    assert!(message(9).contains("【统计月份】月份格式不正确"), "{}", message(9));
    assert_eq!(read_table("r.xlsx", r.report.as_ref().unwrap(), Some(Format::Xlsx)).unwrap().rows.len(), 5);

    // The table: latest month first; the city's total is the sum of the counties that reported.
    let view = w.app.statistics(&w.actor("leader").await).await.unwrap();
    assert_eq!(
        view.months.iter().map(|m| m.month.clone()).collect::<Vec<_>>(),
        [last.to_string(), two_back.to_string()]
    );
    assert_eq!((view.months[0].total, view.months[0].reported), ((9000 + 1300, 125 + 3), 2));
    let hanbin = view.counties.iter().position(|(c, _)| c == "610902").unwrap();
    assert_eq!(view.months[0].cells[hanbin], Some((9000, 125)));
    // The month form comes back pre-filled.
    let form = w.app.trademark_month_form(&officer, last).await.unwrap();
    assert_eq!(form.rows.iter().find(|r| r.county_code == "610921").unwrap().valid_trademarks, "1300");
    // The export lists every figure and imports again.
    let xlsx = w.app.export_trademark_stats(&officer).await.unwrap();
    assert_eq!(read_table("e.xlsx", &xlsx, Some(Format::Xlsx)).unwrap().rows.len(), 3);

    let saved = w.audited(Action::TrademarkStatsSave).await;
    assert_eq!(saved.len(), 1);
    assert_eq!(saved[0]["month"], json!(last.to_string()));
    let imported = w.audited(Action::TrademarkStatsImport).await;
    assert_eq!(
        (imported[0]["created"].clone(), imported[0]["updated"].clone(), imported[0]["rejected"].clone()),
        (json!(1), json!(2), json!(5))
    );

    // The refresh carries the figures into the city's indicator.
    w.app.refresh_indicators("test").await.unwrap();
    let overview = w.app.indicator_overview(&officer).await.unwrap();
    let trademarks = overview.values.iter().find(|v| v.indicator.code() == "valid_trademarks").unwrap();
    assert_eq!(trademarks.value, Some(9000 + 1300 + 2100));
}

#[tokio::test]
async fn patent_intensive_years_show_their_share_and_change() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    let year = w.app.china_today().year() - 1;
    let form = |y: i32, va: &str, gdp: &str| IntensiveForm {
        year: y.to_string(),
        value_added_wan: va.into(),
        gdp_wan: gdp.into(),
        note: "市统计局公报".into(),
    };
    assert!(matches!(
        w.app.save_intensive_year(&w.actor("leader").await, &form(year, "1", "2")).await,
        Err(ServiceError::Forbidden)
    ));
    w.app.save_intensive_year(&officer, &form(year - 1, "1,100,000", "12,000,000")).await.unwrap();
    w.app.save_intensive_year(&officer, &form(year, "1,200,000", "12,500,000")).await.unwrap();
    // Overwriting a year keeps one row and records what it held.
    w.app.save_intensive_year(&officer, &form(year, "1,250,000", "12,500,000")).await.unwrap();
    let e = invalid(w.app.save_intensive_year(&officer, &form(year + 2, "13", "12")).await.unwrap_err());
    assert!(e.first("year").unwrap().contains("不在2000年至"), "{e:?}");
    assert!(e.first("value_added_wan").unwrap().contains("不能大于地区生产总值"), "{e:?}");
    let e = invalid(w.app.save_intensive_year(&officer, &form(year, "", "0")).await.unwrap_err());
    assert_eq!(e.first("value_added_wan"), Some("请填写专利密集型产业增加值（万元）"));
    assert_eq!(e.first("gdp_wan"), Some("地区生产总值必须大于0"));

    let view = w.app.statistics(&officer).await.unwrap();
    assert_eq!(view.intensive.len(), 2);
    assert_eq!((view.intensive[0].row.year, view.intensive[0].share.as_str()), (i64::from(year), "10.00%"));
    assert_eq!(view.intensive[0].change, "+0.83 个百分点");
    assert_eq!((view.intensive[1].share.as_str(), view.intensive[1].change.as_str()), ("9.17%", "—"));
    let audit = w.audited(Action::IntensiveStatsSave).await;
    assert_eq!(audit.len(), 3);
    assert_eq!(audit[2]["before"]["value_added_wan"], json!(1_200_000));
    assert_eq!(audit[2]["after"]["share_bp"], json!(1000));
    let xlsx = w.app.export_intensive_stats(&officer).await.unwrap();
    assert_eq!(read_table("i.xlsx", &xlsx, Some(Format::Xlsx)).unwrap().rows.len(), 2);
}

#[tokio::test]
async fn the_bureau_places_applicants_and_the_refresh_follows() {
    let w = World::new().await;
    let officer = w.actor("officer").await;
    // The derived places: by address, none, and another province.
    assert_eq!(w.place_of(w.local).await, (true, Some("汉滨区".to_owned()), PlaceBasis::Address));
    assert_eq!(w.place_of(w.xian).await.2, PlaceBasis::None);
    assert_eq!(w.place_of(w.henan).await.2, PlaceBasis::ProvinceCode);

    let page = w.app.applicant_places(&w.actor("leader").await, &PlaceQuery::default(), 30, 0).await.unwrap();
    assert_eq!(page.total, 3);
    let count = |p: &ipbridge_service::indicators::places::PlacePage, b: PlaceBasis| {
        p.bases.iter().find(|(x, _)| *x == b).map(|(_, c)| c.patents).unwrap()
    };
    assert_eq!(
        (count(&page, PlaceBasis::Address), count(&page, PlaceBasis::None), count(&page, PlaceBasis::ProvinceCode)),
        (1, 1, 1)
    );
    let outside = PlaceQuery { only: "outside".into(), ..PlaceQuery::default() };
    assert_eq!(w.app.applicant_places(&officer, &outside, 30, 0).await.unwrap().total, 2);
    // The search normalises like the import did: full-width brackets match half-width ones.
    let search = PlaceQuery { q: "河南(郑州)".into(), ..PlaceQuery::default() };
    let found = w.app.applicant_places(&officer, &search, 30, 0).await.unwrap();
    assert_eq!(found.rows.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["河南（郑州）茶机有限公司"]);
    assert_eq!(found.rows[0].bases, ["province_code"]);

    let set = |name: &str, choice: &str, note: &str| PlaceForm {
        name: name.into(),
        choice: choice.into(),
        note: note.into(),
    };
    for who in ["leader", "county", "ent"] {
        let e = w
            .app
            .set_applicant_place(&w.actor(who).await, &set("西安秦岭茶叶科技有限公司", "county:610921", "x"))
            .await;
        assert!(matches!(e, Err(ServiceError::Forbidden)), "{who}");
    }
    let e = invalid(w.app.set_applicant_place(&officer, &set(" ", "county:999999", "")).await.unwrap_err());
    assert_eq!(e.first("name"), Some("申请人名称不能为空"));
    assert!(e.first("choice").unwrap().contains("请选择归属"));
    assert!(e.first("note").unwrap().contains("请填写指定理由"));

    // The Xi'an company's research centre is in 汉阴县; the Henan name is written with ASCII brackets.
    let stored = w
        .app
        .set_applicant_place(&officer, &set("西安秦岭茶叶科技有限公司", "county:610921", "研发中心设在汉阴县"))
        .await
        .unwrap();
    assert_eq!((stored.in_city, stored.county_code.as_deref()), (true, Some("610921")));
    w.app.set_applicant_place(&officer, &set("河南(郑州)茶机有限公司", "city", "在本市设立分公司")).await.unwrap();
    w.app.set_applicant_place(&officer, &set("安康富硒茶研究所", "outside", "已迁出本市")).await.unwrap();
    w.app.refresh_indicators("test").await.unwrap();
    assert_eq!(w.place_of(w.xian).await, (true, Some("汉阴县".to_owned()), PlaceBasis::Override));
    assert_eq!(w.place_of(w.henan).await, (true, None, PlaceBasis::Override));
    assert_eq!(w.place_of(w.local).await, (false, None, PlaceBasis::Override));

    let overridden = PlaceQuery { only: "override".into(), ..PlaceQuery::default() };
    let page = w.app.applicant_places(&officer, &overridden, 30, 0).await.unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(count(&page, PlaceBasis::Override), 3);
    let henan = page.rows.iter().find(|r| r.name_norm.starts_with("河南")).unwrap();
    assert_eq!(
        henan.override_place.as_ref().unwrap().name,
        "河南（郑州）茶机有限公司",
        "the name as the patents write it"
    );

    let audit = w.audited(Action::PlaceSet).await;
    assert_eq!(audit.len(), 3);
    assert_eq!(audit[0]["after"]["place"], json!("汉阴县"));
    assert_eq!(audit[0]["before"], Value::Null);

    // Clearing: the bureau only, audited; the derived rule applies again after the refresh.
    assert!(matches!(
        w.app.clear_applicant_place(&w.actor("leader").await, "安康富硒茶研究所").await,
        Err(ServiceError::Forbidden)
    ));
    w.app.clear_applicant_place(&officer, "安康富硒茶研究所").await.unwrap();
    assert!(matches!(w.app.clear_applicant_place(&officer, "安康富硒茶研究所").await, Err(ServiceError::NotFound)));
    assert_eq!(w.audited(Action::PlaceClear).await[0]["before"]["place"], json!("不属于本市"));
    w.app.refresh_indicators("test").await.unwrap();
    assert_eq!(w.place_of(w.local).await, (true, Some("汉滨区".to_owned()), PlaceBasis::Address));
}
