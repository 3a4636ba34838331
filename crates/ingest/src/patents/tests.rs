use std::collections::BTreeMap;

use chrono::NaiveDate;
use ipbridge_domain::patent::{Applicant, ApplicationNo, IpcCode, LegalStatus, PatentRecord, PatentType};

use super::*;
use crate::columns::{OrgColumns, PatentColumns};
use crate::read::{RawTable, read_table};
use crate::report::{format_reason, rejected_rows_xlsx};

/// Rows 1, 8 and 10 of `shared/data/cn_patents_fullschema_sample/patents.jsonl` (CNIPA export, 61 columns),
/// verbatim: a granted utility model, a pending invention and a granted invention typed "发明公开;发明授权".
const FULLSCHEMA_ROW_1: &str = r#"{"序号": 1, "申请日": 20221202, "公开日": 20230328, "授权公告日": 20230328, "申请人": "中科大数据研究院", "发明人": "刘迪;刘敏;王煜伟;付艳波;王元卓", "申请号": "CN202223220665.2", "公开号": "CN218751475U", "授权公告号": "CN218751475U", "专利类型": "实用新型", "专利名称": "一种无人机机载多功能盒", "授权名称": "一种无人机机载多功能盒", "申请摘要": "为解决目前无人机在实际的使用过程中不能进行方便快捷的实现飞行路线调整，不能对飞行时的数据进行实时处理，实际使用起来步骤繁琐，同时目前的无人机挂载设备单一，没有可自由扩展的数据接口，只能挂载摄像头等官方的设备，不能灵活挂载用于定制化需求的设备等问题，实用新型提出了一种无人机机载多功能盒，该多功能盒内设置有CPU模块、4G/5G通信模块以及扩展接口等多种电子器件，可将数据直接发送到云服务器，直接与底面进行数据传输并可以进行实时分析数据，同时可以通过扩展接口添加其他硬件采集模块。同时由于无人机在飞行过程中会持续产生震动，因此本实用新型添加了具有减震效果的结构。", "主权项": "1.一种无人机机载多功能盒，其特征在于，包括内盒（1），外盒（2）和内部电路，所述内部电路设置在内盒（1）内部，内部电路包括底板（7）、CPU模块（3）、4G/5G通信模块（4）、扩展接口（13）和通讯接口（6），所述CPU模块（3）、4G/5G通信模块（4）、扩展接口（13）和通讯接口（6）均匹配安装在底板（7）对应位置上，4G/5G通信模块（4）、扩展接口（13）和通讯接口（6）均与CPU模块（3）连接，内盒（1）的外表面上沿四周侧壁均匀设置有多个燕尾形状的插块（8），外盒（2）的内侧壁与插块（8）对应的位置设置有相应的插座（9），插座（9）通过弹性带（10）固定在外盒（2）的内侧壁上，内盒（1）通过插块（8）与插座（9）连接悬空固定在外盒（2）内部，外盒（2）每个侧面均设置有多个贯穿外盒（2）的插孔（12），插孔（12）内匹配设置有插杆（11），所述插杆（11）上设置有与插座（9）大小匹配的凹槽，插杆（11）插入插孔（12）内时插座（9）匹配插入凹槽内。", "申请人地址": "450000河南省郑州市郑东新区中道东路6号创意岛大厦8层", "法律状态": "有权-审定授权", "主分类号": "B64U20/80", "分类号": "B64U20/80;B64U101/30", "国省代码": "河南(41)", "专利代理人": "袁艳丽", "专利代理机构": "郑州明华专利代理事务所（普通合伙）", "优先权": "", "优先权日": "", "优先权数量": 0, "全文链接": "查看CN202223220665.2", "第一发明人": "刘迪", "第一权利人": "中科大数据研究院", "申请人类型": "科研机构", "当前发明人": "刘迪;刘敏;王煜伟;付艳波;王元卓", "当前权利人": "中科大数据研究院", "当前著录项联系人通讯地址": "河南省郑州市郑东新区中道东路6号创意岛大厦8层", "当前专利代理人": "袁艳丽", "当前专利代理机构": "郑州明华专利代理事务所（普通合伙）", "变更前代理机构": "", "法律事件": "", "引证专利": "", "非专利引证": "", "引证数": 0, "同族专利": "", "专利转移次数": 0, "许可次数": 0, "质押次数": 0, "简单同族数量": "", "转让日期": "", "失效日期": 0, "质押日期": "", "许可日期": "", "无效宣告日期": "", "CPC主分类号": "", "CPC分类号": "", "FI主分类号": "", "FI分类号": "", "国际申请号": "", "国际申请日": "", "国际公开号": "", "国际公开日": "", "进入国家日期": "", "颁证日": "", "审查员": "", "审查时长": 0, "实质审查日": 0}"#;
const FULLSCHEMA_ROW_8: &str = r#"{"序号": 8, "申请日": 20221230, "公开日": 20230609, "授权公告日": 0, "申请人": "中科大数据研究院", "发明人": "吴琼;刘武雷;王元卓;郭建永;张旭阳;樊天佑", "申请号": "CN202211740332.4", "公开号": "CN116245100A", "授权公告号": "", "专利类型": "发明公开", "专利名称": "一种基于图模型的新闻关键词抽取方法及装置", "授权名称": "", "申请摘要": "本发明提供了一种改进的基于图模型的新闻关键词抽取方法，通过获取互联网新闻文本数据并进行清洗处理，对清洗后的文本数据进行分句分词获取候选词，并对清洗后的文本进行向量表示，基于时间平移加权算法获取特定时间段的新闻热点词库，基于候选词位置信息、热词词库信息，应用图模型计算获得文本关键词的分布情况。本发明通过引入特定时间范围内相似的实时新闻资讯作为补充语料，并利用新闻热词来辅助，充分考虑新闻文本的数据特征，利用图模型对新闻关键词进行提取，提升新闻文本关键词提取的准确率和效率，降低对标注数据的依赖。", "主权项": "1.一种基于图模型的新闻关键词抽取方法，其特征在于，包括以下步骤：步骤1：获取互联网新闻文本数据并进行清洗处理，获得处理的文本T；步骤2：对步骤1处理后的文本T数据进行分句分词，获取候选词；步骤3：对步骤1处理的文本T进行向量表示；步骤4：基于时间平移加权算法获取特定时间段的新闻热点词库及热度；步骤5：基于候选词位置信息、热词词库信息、相似新闻文本，应用改进的图模型计算获得文本关键词的分布情况。", "申请人地址": "450046河南省郑州市郑东新区中州大道6号创意岛大厦8层", "法律状态": "审中-实质审查", "主分类号": "G06F40/289", "分类号": "G06F40/289;G06F40/216;G06F16/901;G06F16/33;G06F16/31", "国省代码": "河南(41)", "专利代理人": "袁艳丽", "专利代理机构": "郑州明华专利代理事务所（普通合伙）", "优先权": "", "优先权日": "", "优先权数量": 0, "全文链接": "查看CN202211740332.4", "第一发明人": "吴琼", "第一权利人": "中科大数据研究院", "申请人类型": "科研机构", "当前发明人": "吴琼;刘武雷;王元卓;郭建永;张旭阳;樊天佑", "当前权利人": "中科大数据研究院", "当前著录项联系人通讯地址": "河南省郑州市郑东新区中州大道6号创意岛大厦8层", "当前专利代理人": "袁艳丽", "当前专利代理机构": "郑州明华专利代理事务所（普通合伙）", "变更前代理机构": "", "法律事件": "", "引证专利": "", "非专利引证": "", "引证数": 0, "同族专利": "", "专利转移次数": 0, "许可次数": 0, "质押次数": 0, "简单同族数量": "", "转让日期": "", "失效日期": 0, "质押日期": "", "许可日期": "", "无效宣告日期": "", "CPC主分类号": "", "CPC分类号": "", "FI主分类号": "", "FI分类号": "", "国际申请号": "", "国际申请日": "", "国际公开号": "", "国际公开日": "", "进入国家日期": "", "颁证日": "", "审查员": "", "审查时长": 0, "实质审查日": 20230627}"#;
const FULLSCHEMA_ROW_10: &str = r#"{"序号": 10, "申请日": 20221102, "公开日": 20230331, "授权公告日": 20240405, "申请人": "中科大数据研究院", "发明人": "李玺;康锐文;冯凯;王元卓", "申请号": "CN202211359874.7", "公开号": "CN115883397A", "授权公告号": "CN115883397B", "专利类型": "发明公开;发明授权", "专利名称": "一种web端数据通用采集方法", "授权名称": "一种web端数据通用采集方法", "申请摘要": "本发明公开了一种web端数据通用采集方法，涉及数据挖掘技术领域，一共包括五个步骤，首先配置服务信息完成初始化配置，其次创建驱动窗口远程启动任务实例，接着建立与服务端的请求连接，以转发响应内容供数据远程调度，最后信息获取完成断开会话窗口即可。本发明所述数据采集方法不仅降低了web端数据采集难度，具有较强的通用性，整个采集过程较为简单，也进一步提高了用户数据采集的效率。", "主权项": "1.一种web端数据通用采集方法，其特征在于，包括以下步骤：步骤一：配置驱动实例的环境信息，创建持久化容器Sqlite数据库，同时创建任务表记录采集任务，开启web服务，暴露出create、xhr和close三个接口，完成服务初始化配置；步骤二：本地根据三个接口创建驱动窗口，远程启动任务实例；步骤三：遍历任务队列，获取任务表中所有子任务信息，并通过xhr接口传递子任务、session_id和process_url以建立请求连接，使驱动访问目标网页，驱动在初始页面中对子任务链接发起xhr请求，实现网站内部环境的请求；步骤四：服务端从请求对象xhr接口异步提取响应内容，并将响应内容ResponseText打包为Json格式通过xhr接口返回客户端，客户端接收到数据后结束本次子任务的数据采集，同时对采集成功的数据进行解析和存储，之后等待新的响应内容；步骤五：待任务表中任务全部执行完成，通过服务端实现远程关闭任务实例的会话窗口，同时删除数据库中的任务记录释放驱动内存。", "申请人地址": "450000河南省郑州市郑东新区中道东路6号创意岛大厦8层", "法律状态": "有权-审定授权", "主分类号": "H04L43/02", "分类号": "H04L43/02;H04L9/40;H04L67/025", "国省代码": "河南(41)", "专利代理人": "叶朝辉", "专利代理机构": "郑州明华专利代理事务所（普通合伙）", "优先权": "", "优先权日": "", "优先权数量": 0, "全文链接": "查看CN202211359874.7", "第一发明人": "李玺", "第一权利人": "中科大数据研究院", "申请人类型": "科研机构", "当前发明人": "李玺;康锐文;冯凯;王元卓", "当前权利人": "中科大数据研究院", "当前著录项联系人通讯地址": "450000河南省郑州市郑东新区中道东路6号创意岛大厦8层", "当前专利代理人": "叶朝辉", "当前专利代理机构": "郑州明华专利代理事务所（普通合伙）", "变更前代理机构": "", "法律事件": "", "引证专利": "", "非专利引证": "仇韫琦等.面向知识库问答的问句语义解析研究综述.《电子学报》.2022,第50卷（第09期）,2242-2264.", "引证数": 0, "同族专利": "", "专利转移次数": 0, "许可次数": 0, "质押次数": 0, "简单同族数量": "", "转让日期": "", "失效日期": 0, "质押日期": "", "许可日期": "", "无效宣告日期": "", "CPC主分类号": "", "CPC分类号": "", "FI主分类号": "", "FI分类号": "", "国际申请号": "", "国际申请日": "", "国际公开号": "", "国际公开日": "", "进入国家日期": "", "颁证日": "", "审查员": "邓雪彬", "审查时长": 0, "实质审查日": 20230418}"#;

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

fn ipc(code: &str) -> IpcCode {
    IpcCode::parse(code).unwrap()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn jsonl_table(lines: &[&str]) -> RawTable {
    read_table("专利.jsonl", lines.join("\n").as_bytes(), None).unwrap()
}

fn map_all(table: &RawTable) -> Vec<Result<PatentRecord, Vec<CellError>>> {
    let cols = PatentColumns::from_headers(&table.headers).unwrap();
    table.rows.iter().map(|row| map_patent_row(&cols, &table.headers, row)).collect()
}

/// A one-row CSV table from header and value lists.
fn csv_row(headers: &[&str], values: &[&str]) -> RawTable {
    let quote = |s: &&str| format!("\"{}\"", s.replace('"', "\"\""));
    let text = format!(
        "{}\n{}\n",
        headers.iter().map(quote).collect::<Vec<_>>().join(","),
        values.iter().map(quote).collect::<Vec<_>>().join(",")
    );
    read_table("x.csv", text.as_bytes(), None).unwrap()
}

fn map_one(headers: &[&str], values: &[&str]) -> Result<PatentRecord, Vec<CellError>> {
    let table = csv_row(headers, values);
    map_all(&table).remove(0)
}

fn source_text(line: &str, key: &str) -> String {
    let value: serde_json::Value = serde_json::from_str(line).unwrap();
    value[key].as_str().unwrap().to_owned()
}

#[test]
fn fullschema_row_1_gives_the_expected_record() {
    let table = jsonl_table(&[FULLSCHEMA_ROW_1]);
    assert_eq!(table.headers.len(), 61);
    let record = map_all(&table).remove(0).unwrap();
    let extra: BTreeMap<String, String> = [
        ("序号", "1"),
        ("优先权数量", "0"),
        ("全文链接", "查看CN202223220665.2"),
        ("第一发明人", "刘迪"),
        ("申请人类型", "科研机构"),
        ("当前著录项联系人通讯地址", "河南省郑州市郑东新区中道东路6号创意岛大厦8层"),
        ("审查时长", "0"),
        ("实质审查日", "0"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    let expected = PatentRecord {
        application_no: ApplicationNo::parse("202223220665.2").unwrap(),
        patent_type: PatentType::UtilityModel,
        publication_no: Some("CN218751475U".into()),
        grant_no: Some("CN218751475U".into()),
        filing_date: date(2022, 12, 2),
        publication_date: date(2023, 3, 28),
        grant_date: date(2023, 3, 28),
        title: "一种无人机机载多功能盒".into(),
        abstract_text: source_text(FULLSCHEMA_ROW_1, "申请摘要"),
        first_claim: source_text(FULLSCHEMA_ROW_1, "主权项"),
        claims: String::new(),
        applicants: vec![Applicant {
            name: "中科大数据研究院".into(),
            address: Some("450000河南省郑州市郑东新区中道东路6号创意岛大厦8层".into()),
        }],
        inventors: strings(&["刘迪", "刘敏", "王煜伟", "付艳波", "王元卓"]),
        agency: Some("郑州明华专利代理事务所（普通合伙）".into()),
        agents: strings(&["袁艳丽"]),
        main_ipc: Some(ipc("B64U20/80")),
        ipc_codes: vec![ipc("B64U20/80"), ipc("B64U101/30")],
        cpc_codes: vec![],
        priorities: vec![],
        family: vec![],
        has_foreign_family: false,
        citation_count: Some(0),
        cited_by_count: None,
        transfer_count: 0,
        license_count: 0,
        pledge_count: 0,
        pledge_amount: None,
        transfer_date: None,
        license_date: None,
        pledge_date: None,
        lapse_date: None,
        legal_status: LegalStatus::Granted,
        legal_status_raw: "有权-审定授权".into(),
        province_code: Some("41".into()),
        extra,
    };
    assert_eq!(record, expected);
}

#[test]
fn fullschema_pending_and_granted_inventions() {
    let table = jsonl_table(&[FULLSCHEMA_ROW_8, FULLSCHEMA_ROW_10]);
    let mut results = map_all(&table);
    let granted = results.pop().unwrap().unwrap();
    let pending = results.pop().unwrap().unwrap();

    assert_eq!(pending.application_no.as_str(), ApplicationNo::parse("202211740332.4").unwrap().as_str());
    assert_eq!(pending.patent_type, PatentType::Invention);
    assert_eq!(pending.legal_status, LegalStatus::Pending);
    assert_eq!(pending.grant_no, None);
    assert_eq!(pending.grant_date, None);
    assert_eq!(pending.publication_no.as_deref(), Some("CN116245100A"));
    assert_eq!(pending.title, "一种基于图模型的新闻关键词抽取方法及装置");
    assert_eq!(
        pending.ipc_codes,
        ["G06F40/289", "G06F40/216", "G06F16/901", "G06F16/33", "G06F16/31"].map(ipc).to_vec()
    );
    assert_eq!(pending.extra.get("实质审查日").map(String::as_str), Some("20230627"));
    assert_eq!(pending.applicants.len(), 1);
    assert_eq!(pending.inventors.len(), 6);

    // "发明公开;发明授权" names two stages of one invention.
    assert_eq!(granted.patent_type, PatentType::Invention);
    assert_eq!(granted.grant_no.as_deref(), Some("CN115883397B"));
    assert_eq!(granted.grant_date, date(2024, 4, 5));
    assert_eq!(granted.legal_status, LegalStatus::Granted);
    assert_eq!(granted.main_ipc, Some(ipc("H04L43/02")));
    assert_eq!(granted.ipc_codes.len(), 3);
    assert!(granted.extra.contains_key("非专利引证"));
    assert_eq!(granted.extra.get("审查员").map(String::as_str), Some("邓雪彬"));
}

#[test]
fn a_broken_row_reports_every_problem_with_its_column() {
    let errors = map_one(
        &["申请号", "专利类型", "专利名称", "申请日", "分类号", "引证数", "质押次数"],
        &["202310123456.7", "实用新型", "  ", "2023-13-01", "A23F3/06;X99", "三", "-1"],
    )
    .unwrap_err();
    let columns: Vec<&str> = errors.iter().map(|e| e.column.as_str()).collect();
    assert_eq!(columns, ["申请号", "专利名称", "申请日", "分类号", "引证数", "质押次数"]);
    assert!(errors[0].message.contains("202310123456.7"), "{}", errors[0].message);
    assert!(errors[0].message.contains("校验位"), "{}", errors[0].message);
    assert!(errors[3].message.contains("X99"), "{}", errors[3].message);
    assert!(errors[4].message.contains("“三”"), "{}", errors[4].message);
    let reason = format_reason(&errors);
    assert!(reason.starts_with("【申请号】"));
    assert!(reason.matches('；').count() >= 5);
}

#[test]
fn type_column_conflicting_with_the_number_names_both() {
    let errors = map_one(&["申请号", "专利名称", "专利类型"], &["202310123456.6", "茶", "外观设计"]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].column, "专利类型");
    assert!(errors[0].message.contains("【申请号】"), "{}", errors[0].message);
    assert!(errors[0].message.contains("外观设计") && errors[0].message.contains("发明"));
    let errors = map_one(&["申请号", "专利名称", "专利类型"], &["202310123456.6", "茶", "专利"]).unwrap_err();
    assert!(errors[0].message.contains("无法识别专利类型“专利”"));
}

#[test]
fn missing_title_column_is_named_by_its_label() {
    let errors = map_one(&["申请号"], &["202310123456.6"]).unwrap_err();
    assert_eq!(
        errors,
        [CellError {
            column: "专利名称".into(), message: "专利名称为空：每行都必须填写专利名称".into()
        }]
    );
}

#[test]
fn type_from_the_number_and_whitespace_and_width_folding() {
    let r = map_one(
        &["申请号/专利号", "发明名称", "公开（公告）号", "申请（专利权）人", "地址", "同族专利", "CPC", "权利要求书"],
        &[
            "ＣＮ２０２３１０１２３４５６．６",
            "  一种  富硒茶叶的\n加工方法 ",
            "ＣＮ １１６１２３４５６Ａ",
            "安康学院；陕西某（安康，汉滨）茶业有限公司",
            "安康市 汉滨区",
            "CN116123456A;US2024123456A1;WO2024000001A1",
            "Ａ23F 3/06",
            "1.一种方法。\n\n2.  根据权利要求1所述的方法。",
        ],
    )
    .unwrap();
    assert_eq!(r.patent_type, PatentType::Invention);
    assert_eq!(r.title, "一种 富硒茶叶的 加工方法");
    assert_eq!(r.publication_no.as_deref(), Some("CN116123456A"));
    assert_eq!(
        r.applicants,
        [
            Applicant { name: "安康学院".into(), address: Some("安康市 汉滨区".into()) },
            Applicant { name: "陕西某（安康，汉滨）茶业有限公司".into(), address: None },
        ]
    );
    assert!(r.has_foreign_family);
    assert_eq!(r.cpc_codes, ["A23F 3/06"]);
    assert_eq!(r.claims, "1.一种方法。\n2. 根据权利要求1所述的方法。");
    assert!(r.extra.is_empty(), "{:?}", r.extra);
}

#[test]
fn foreign_family_ignores_cn_wo_and_bare_numbers() {
    assert!(!is_foreign_publication("CN116123456A"));
    assert!(!is_foreign_publication("WO2024000001A1"));
    assert!(!is_foreign_publication("116123456A"));
    assert!(is_foreign_publication("EP4123456A1"));
    assert!(is_foreign_publication("jp2024000001a"));
}

#[test]
fn counts_accept_integers_written_as_decimals() {
    assert_eq!(parse_count(""), Ok(None));
    assert_eq!(parse_count("3"), Ok(Some(3)));
    assert_eq!(parse_count("3.0"), Ok(Some(3)));
    assert_eq!(parse_count(" ４ "), Ok(Some(4)));
    for bad in ["三", "-1", "3.5", "1e3", ".0", "99999999999"] {
        assert!(parse_count(bad).is_err(), "{bad}");
    }
}

/// Yuan as fen, for the pledge amount expectations.
fn yuan(y: i64) -> Option<Money> {
    Money::from_yuan(y)
}

#[test]
fn pledge_amounts_read_yuan_and_wan() {
    assert_eq!(parse_pledge_amount(""), Ok(None));
    assert_eq!(parse_pledge_amount("  "), Ok(None));
    assert_eq!(parse_pledge_amount("12000000"), Ok(yuan(12_000_000)));
    assert_eq!(parse_pledge_amount("12,000,000.00元"), Ok(yuan(12_000_000)));
    assert_eq!(parse_pledge_amount("12000000.5"), Ok(Some(Money::from_fen(1_200_000_050))));
    assert_eq!(parse_pledge_amount("1,200万元"), Ok(yuan(12_000_000)));
    assert_eq!(parse_pledge_amount("1200万"), Ok(yuan(12_000_000)));
    assert_eq!(parse_pledge_amount(" 1200 万元 "), Ok(yuan(12_000_000)));
    // Full-width digits and separators, as Chinese spreadsheets often hold them.
    assert_eq!(parse_pledge_amount("１，２００万元"), Ok(yuan(12_000_000)));
    assert_eq!(parse_pledge_amount("1.5万元"), Ok(yuan(15_000)));
    // Registers give 万元 to four decimals (whole yuan); six still are whole fen.
    assert_eq!(parse_pledge_amount("1234.5678万元"), Ok(yuan(12_345_678)));
    assert_eq!(parse_pledge_amount("0.000001万元"), Ok(Some(Money::from_fen(1))));
    assert_eq!(parse_pledge_amount("0"), Ok(yuan(0)));
}

#[test]
fn negative_and_garbage_pledge_amounts_are_refused_with_the_cell_quoted() {
    for bad in [
        "-1",
        "-12,000,000.00元",
        "-5万元",
        "-0.5万元",
        "一千万",
        "万元",
        "12.345",
        "1,2000万",
        "0.0000001万元",
        "1.万元",
        "1.5e3",
        "约1200万元",
        "1200万元整",
        "USD 100",
        "99999999999999999999万元",
    ] {
        let message = parse_pledge_amount(bad).expect_err(bad);
        assert!(message.contains("质押金额"), "{bad}: {message}");
        assert!(message.contains("1,200万元"), "{bad}: the message shows a valid form: {message}");
    }
    assert!(parse_pledge_amount("一千万").unwrap_err().contains("“一千万”"));
}

#[test]
fn the_pledge_amount_column_fills_the_record_or_names_itself() {
    let headers = ["申请号", "专利名称", "质押金额"];
    let r = map_one(&headers, &["202310123456.6", "茶", "1,200万元"]).unwrap();
    assert_eq!(r.pledge_amount, yuan(12_000_000));
    let r = map_one(&["申请号", "专利名称", "质押融资金额"], &["202310123456.6", "茶", "800000"]).unwrap();
    assert_eq!(r.pledge_amount, yuan(800_000));
    let r = map_one(&headers, &["202310123456.6", "茶", ""]).unwrap();
    assert_eq!(r.pledge_amount, None);
    let errors = map_one(&headers, &["202310123456.6", "茶", "-3万"]).unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].column, "质押金额");
    assert!(errors[0].message.contains("“-3万”"), "{}", errors[0].message);
}

#[test]
fn candidates_fall_back_per_row_and_differences_go_to_extra() {
    let headers = ["申请号", "专利名称", "授权名称", "申请人", "当前权利人", "国省代码", "备注", "错误原因"];
    let r = map_one(&headers, &["202310123456.6", "", "一种茶", "安康学院", "某公司", "美国(US)", "见附件", "旧原因"])
        .unwrap();
    assert_eq!(r.title, "一种茶");
    assert_eq!(r.applicants[0].name, "某公司");
    assert_eq!(r.province_code, None);
    let extra: Vec<(&str, &str)> = r.extra.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(extra, [("国省代码", "美国(US)"), ("备注", "见附件"), ("申请人", "安康学院")]);
}

#[test]
fn main_ipc_defaults_to_the_first_code_and_is_listed_first() {
    let r = map_one(&["申请号", "专利名称", "IPC"], &["202310123456.6", "茶", "A23F3/14;A23F3/06;A23F3/14"]).unwrap();
    assert_eq!(r.main_ipc, Some(ipc("A23F3/14")));
    assert_eq!(r.ipc_codes, [ipc("A23F3/14"), ipc("A23F3/06")]);
    let r = map_one(
        &["申请号", "专利名称", "主分类号", "分类号"],
        &["202310123456.6", "茶", "A23F3/06", "A23F3/14;A23F3/06"],
    )
    .unwrap();
    assert_eq!(r.ipc_codes, [ipc("A23F3/06"), ipc("A23F3/14")]);
    let errors = map_one(&["申请号", "专利名称", "主分类号"], &["202310123456.6", "茶", "Z99"]).unwrap_err();
    assert_eq!(errors[0].column, "主分类号");
}

#[test]
fn a_jsonl_line_that_is_not_an_object_is_rejected_alone() {
    let table = jsonl_table(&[FULLSCHEMA_ROW_1, "{\"申请号\": broken"]);
    let results = map_all(&table);
    assert!(results[0].is_ok());
    let errors = results[1].as_ref().unwrap_err();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].column, RAW_LINE_COLUMN);
    assert!(errors[0].message.contains("不是 JSON 对象"));
}

#[test]
fn rejected_rows_report_reimports_after_a_fix() {
    let text = "申请号,专利名称,申请日,引证数\n202310123456.6,一种茶,20221202,3\n202310123456.6,,20221202,007\n";
    let table = read_table("上传.csv", text.as_bytes(), None).unwrap();
    let cols = PatentColumns::from_headers(&table.headers).unwrap();
    let mut rejected = Vec::new();
    for row in &table.rows {
        if let Err(errors) = map_patent_row(&cols, &table.headers, row) {
            rejected.push((row.clone(), format_reason(&errors)));
        }
    }
    assert_eq!(rejected.len(), 1);
    let report = rejected_rows_xlsx(&table.headers, &rejected).unwrap();

    let back = read_table("未导入的行.xlsx", &report, None).unwrap();
    assert_eq!(back.headers, ["申请号", "专利名称", "申请日", "引证数", "错误原因"]);
    assert_eq!(back.rows.len(), 1);
    let mut row = back.rows[0].clone();
    assert_eq!(row.number, 2);
    // Text cells keep their form: leading zeros and dates as typed.
    assert_eq!(&row.cells[..4], ["202310123456.6", "", "20221202", "007"]);
    assert_eq!(row.cells[4], "原第3行：【专利名称】专利名称为空：每行都必须填写专利名称");

    let cols = PatentColumns::from_headers(&back.headers).unwrap();
    assert!(map_patent_row(&cols, &back.headers, &row).is_err());
    row.cells[1] = "一种茶的加工方法".into();
    let record = map_patent_row(&cols, &back.headers, &row).unwrap();
    assert_eq!(record.citation_count, Some(7));
    assert!(record.extra.is_empty(), "the reason column must not reach extra: {:?}", record.extra);

    // A report of a report replaces the reason column instead of adding a second one.
    let again = rejected_rows_xlsx(&back.headers, &[(back.rows[0].clone(), "新原因".into())]).unwrap();
    let again = read_table("again.xlsx", &again, None).unwrap();
    assert_eq!(again.headers, ["申请号", "专利名称", "申请日", "引证数", "错误原因"]);
    assert_eq!(again.rows[0].cells[4], "原第2行：新原因");
}

#[test]
fn templates_read_back_and_their_example_rows_import() {
    let bytes = crate::template::patent_template_xlsx().unwrap();
    let table = read_table("专利导入模板.xlsx", &bytes, None).unwrap();
    let cols = PatentColumns::from_headers(&table.headers).unwrap();
    assert_eq!(table.headers.len(), 33);
    assert_eq!(cols.unmapped().count(), 0);
    for field in crate::columns::PatentField::all() {
        let i = cols.column(field).unwrap();
        assert_eq!(table.headers[i], crate::columns::TableField::label(field));
    }
    assert_eq!(table.rows.len(), 1);
    let record = map_patent_row(&cols, &table.headers, &table.rows[0]).unwrap();
    assert_eq!(
        record.application_no.as_str(),
        ApplicationNo::parse(crate::template::EXAMPLE_APPLICATION_NO).unwrap().as_str()
    );
    assert_eq!(record.patent_type, PatentType::Invention);
    assert_eq!(record.applicants.len(), 2);
    assert_eq!(record.province_code.as_deref(), Some("61"));

    let bytes = crate::template::org_template_xlsx().unwrap();
    let table = read_table("单位导入模板.xlsx", &bytes, None).unwrap();
    let cols = OrgColumns::from_headers(&table.headers).unwrap();
    assert_eq!(cols.unmapped().count(), 0);
    let org = map_org_row(&cols, &table.headers, &table.rows[0]).unwrap();
    assert_eq!(org.kind, OrgKind::Enterprise);
    assert_eq!(org.credit_code.map(|c| c.as_str().to_owned()).as_deref(), Some(crate::template::EXAMPLE_CREDIT_CODE));
}

fn org_table(rows: &[[&str; 6]]) -> (OrgColumns, RawTable) {
    let mut text = String::from("单位名称,类型,院所类型,统一社会信用代码,县（市、区）,联系人\n");
    for r in rows {
        text.push_str(&r.join(","));
        text.push('\n');
    }
    let table = read_table("单位.csv", text.as_bytes(), None).unwrap();
    (OrgColumns::from_headers(&table.headers).unwrap(), table)
}

#[test]
fn org_rows_map_kinds_codes_and_counties() {
    let (cols, table) = org_table(&[
        ["安康市某某茶业有限公司", "公司", "", "91610900MA70K3L2DH", "汉滨区", "王五"],
        ["安康学院", "高校", "", "", "", ""],
        ["安康市中心医院", "institution", "医院", "", "", ""],
        ["中国银行安康分行", "银行", "", "", "", ""],
        ["汉阴县人民政府", "县政府", "", "", "610921", ""],
        ["某研究院", "研究院", "科研机构", "", "", ""],
    ]);
    let rows: Vec<OrgRow> = table.rows.iter().map(|r| map_org_row(&cols, &table.headers, r).unwrap()).collect();
    assert_eq!(rows[0].kind, OrgKind::Enterprise);
    assert_eq!(rows[0].county, "汉滨区");
    assert_eq!(rows[0].contact_name, "王五");
    assert_eq!((rows[1].kind, rows[1].institution_kind), (OrgKind::Institution, Some(InstitutionKind::University)));
    assert_eq!(rows[2].institution_kind, Some(InstitutionKind::Hospital));
    assert_eq!(rows[3].kind, OrgKind::Lender);
    assert_eq!((rows[4].kind, rows[4].county.as_str()), (OrgKind::County, "610921"));
    assert_eq!(rows[5].institution_kind, Some(InstitutionKind::Institute));
}

#[test]
fn org_rows_collect_every_problem() {
    let (cols, table) = org_table(&[
        ["安康市某某茶业有限公司", "企业", "", "", "", ""],
        ["某公司", "企业", "", "91610900MA70K3L2DX", "汉滨区", ""],
        ["", "学校", "", "", "", ""],
        ["安康学院", "高校", "医院", "", "", ""],
        ["某银行", "银行", "高校", "", "", ""],
        ["某高校院所", "高校院所医院", "", "", "", ""],
    ]);
    let errors: Vec<Vec<CellError>> =
        table.rows.iter().map(|r| map_org_row(&cols, &table.headers, r).unwrap_err()).collect();
    let columns = |i: usize| errors[i].iter().map(|e| e.column.clone()).collect::<Vec<_>>();
    assert_eq!(columns(0), ["统一社会信用代码", "县（市、区）"]);
    assert!(errors[0][0].message.contains("企业必须填写统一社会信用代码"));
    assert_eq!(columns(1), ["统一社会信用代码"]);
    assert!(errors[1][0].message.contains("校验位"), "{}", errors[1][0].message);
    assert_eq!(columns(2), ["单位名称", "类型"]);
    assert!(errors[2][1].message.contains("无法识别单位类型“学校”"));
    assert_eq!(columns(3), ["院所类型"]);
    assert!(errors[3][0].message.contains("不一致"));
    assert_eq!(columns(4), ["院所类型"]);
    assert_eq!(columns(5), ["院所类型"]);
}

/// A tiny deterministic generator: the mapper must survive any text, any row length, any header list.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        let n = usize::try_from(self.next()).unwrap_or(0) % items.len();
        items[n]
    }
}

#[test]
fn mappers_never_panic_on_odd_input() {
    let pieces = [
        "",
        " ",
        "\u{3000}",
        "0",
        "-1",
        "3.0",
        "1e400",
        "NaN",
        "２０２３１０１２３４５６．６",
        "202310123456.6",
        "CN",
        "(",
        "（",
        ")",
        "；",
        ";",
        ",",
        "|",
        "\n",
        "\r\n",
        "\u{feff}",
        "X",
        "A23F3/06",
        "ZZ",
        "9",
        "…",
        "𝔘",
        "\u{0}",
        "发明",
        "外观设计",
        "实用新型",
        "企业",
        "高校",
        "医院",
        "91610900MA70K3L2DH",
        "河南(41)",
        "美国(US)",
        "20221302",
        "99999999999999999999",
        "ＣＮ",
        "EP1",
        "WO",
        "/",
        "00",
        "汉滨区",
        RAW_LINE_COLUMN,
    ];
    let patent_headers: Vec<String> = crate::columns::PATENT_ALIASES
        .iter()
        .map(|e| e.label.to_owned())
        .chain(["其他".to_owned(), "错误原因".to_owned()])
        .collect();
    let org_headers: Vec<String> = crate::columns::ORG_ALIASES.iter().map(|e| e.label.to_owned()).collect();
    let pcols = PatentColumns::from_headers(&patent_headers).unwrap();
    let ocols = OrgColumns::from_headers(&org_headers).unwrap();
    let mut rng = Lcg(7);
    for n in 0..3000usize {
        let width = usize::try_from(rng.next()).unwrap_or(0) % (patent_headers.len() + 5);
        let cells: Vec<String> = (0..width)
            .map(|_| {
                let parts = usize::try_from(rng.next()).unwrap_or(0) % 4;
                (0..parts).map(|_| rng.pick(&pieces)).collect::<String>()
            })
            .collect();
        let row = RawRow { number: n, cells };
        let _ = map_patent_row(&pcols, &patent_headers, &row);
        let _ = map_org_row(&ocols, &org_headers, &row);
        // Headers shorter than the columns map expects must not matter either.
        let _ = map_patent_row(&pcols, &patent_headers[..3], &row);
        let _ = map_org_row(&ocols, &[], &row);
    }
}
