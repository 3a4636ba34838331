//! End-to-end runs of the real `ipbridge` binary.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_ipbridge");

fn ipbridge(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("IPBRIDGE_PASSWORD")
        .env("IPBRIDGE_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `serve` and waits for its "listening" log line; returns the server and its stderr so far.
fn serve(dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> (Server, String, String) {
    let port = free_port();
    let addr = format!("127.0.0.1:{port}");
    let mut cmd = Command::new(BIN);
    cmd.args(["serve", "--addr", &addr, "--data-dir"]).arg(dir).args(extra).env("IPBRIDGE_LOG", "info");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut log = String::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut lines = BufReader::new(stderr).lines();
    while Instant::now() < deadline {
        let Some(Ok(line)) = lines.next() else { break };
        log.push_str(&line);
        log.push('\n');
        if line.contains("ipbridge listening") {
            break;
        }
    }
    assert!(log.contains("ipbridge listening"), "server did not start: {log}");
    // Keep draining the pipes so the server never blocks on a full buffer.
    std::thread::spawn(move || for _ in lines {});
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            s.push_str(&line);
            s.push('\n');
        }
        s
    });
    drop(out);
    (server, log, addr)
}

#[test]
fn default_config_prints_the_commented_example() {
    let dir = tempfile::tempdir().unwrap();
    let out = ipbridge(dir.path(), &["default-config"], None);
    assert!(out.status.success());
    let s = text(&out.stdout);
    assert!(s.contains("addr = \"127.0.0.1:8080\""));
    assert!(s.contains("data_dir = \"./ipbridge-data\""));
    assert!(s.contains("IPBRIDGE_PASSWORD_MAX_AGE_DAYS"));
}

#[test]
fn policy_check_accepts_the_city_file_and_names_the_broken_field() {
    let dir = tempfile::tempdir().unwrap();
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policy/ankang-2024.toml");
    let out = ipbridge(dir.path(), &["policy", "check", file.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).starts_with("OK "));
    assert!(text(&out.stdout).contains("12 条措施"));

    let original = std::fs::read_to_string(&file).unwrap();
    let broken = original.replacen("value = 400", "value = \"四百\"", 1);
    assert_ne!(broken, original);
    let bad = dir.path().join("broken.toml");
    std::fs::write(&bad, broken).unwrap();
    let out = ipbridge(dir.path(), &["policy", "check", bad.to_str().unwrap()], None);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("targets[0].value"), "{err}");
}

#[test]
fn the_first_administrator_and_the_audit_chain() {
    let dir = tempfile::tempdir().unwrap();
    let weak = ipbridge(dir.path(), &["user", "add", "admin", "--role", "system_admin"], Some("short\n"));
    assert!(!weak.status.success());
    assert!(text(&weak.stderr).contains("密码至少需要8个字符"), "{}", text(&weak.stderr));

    let out = ipbridge(dir.path(), &["user", "add", "admin", "--role", "system_admin"], Some("Anquan#2026first\n"));
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("account admin created"));
    let list = ipbridge(dir.path(), &["user", "list"], None);
    assert!(text(&list.stdout).contains("system_admin"));

    let out = ipbridge(dir.path(), &["audit", "verify"], None);
    assert!(out.status.success());
    assert!(text(&out.stdout).starts_with("OK: 11 audit records verified"), "{}", text(&out.stdout));

    // Edit a record by hand, as someone with access to the file would: drop the guard trigger, change it.
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let url = format!("sqlite://{}", dir.path().join("ipbridge.db").display());
        let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
        sqlx::query("DROP TRIGGER audit_log_no_update").execute(&pool).await.unwrap();
        sqlx::query("UPDATE audit_log SET actor_name = 'someone' WHERE seq = 1").execute(&pool).await.unwrap();
        pool.close().await;
    });
    let out = ipbridge(dir.path(), &["audit", "verify"], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stdout).starts_with("BROKEN at record 1"), "{}", text(&out.stdout));
}

#[test]
fn serve_with_no_accounts_says_how_to_create_the_first_administrator() {
    let dir = tempfile::tempdir().unwrap();
    let (_server, log, _) = serve(dir.path(), &[], &[]);
    assert!(log.contains("ipbridge user add admin --role system_admin"), "{log}");
}

#[test]
fn demo_backup_while_running_and_restore() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (server, log, addr) = serve(&data, &["--demo"], &[("IPBRIDGE_DEMO_PASSWORD", "Demo#2026pass")]);
    // A new data directory has no search index: the server says it rebuilds one.
    assert!(log.contains("search index missing or unusable"), "{log}");
    // While the server holds the index writer, the command line searches its index read-only.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = ipbridge(&data, &["search", "富硒茶叶深加工工艺", "--json"], None);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        if json["total"].as_u64().unwrap_or(0) > 0 {
            assert!(json["hits"][0]["title"].as_str().unwrap().contains("富硒"), "{json}");
            break;
        }
        assert!(Instant::now() < deadline, "the server never indexed the demo patents");
        std::thread::sleep(Duration::from_millis(300));
    }
    // The server answers while the backup is taken.
    let backup = dir.path().join("copy.db");
    let out = ipbridge(&data, &["backup", "--out", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(backup.metadata().unwrap().len() > 10_000);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").unwrap();
    let mut reply = String::new();
    std::io::Read::read_to_string(&mut stream, &mut reply).unwrap();
    assert!(reply.ends_with("ok"), "{reply}");
    drop(server);

    // A second backup to the same file is refused rather than overwriting.
    let again = ipbridge(&data, &["backup", "--out", backup.to_str().unwrap()], None);
    assert!(!again.status.success());

    let restore_dir = dir.path().join("restored");
    let out = ipbridge(&restore_dir, &["restore", backup.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let list = ipbridge(&restore_dir, &["user", "list"], None);
    assert_eq!(text(&list.stdout).lines().count(), 14, "{}", text(&list.stdout));
    let verify = ipbridge(&restore_dir, &["audit", "verify"], None);
    assert!(verify.status.success(), "{}", text(&verify.stdout));

    // The batch matcher's pool scope returns the demo's transferable pool only: its selenium-tea patents, not
    // the walk-through patent that everything else ranks first (it has no inventory record yet).
    let queries = dir.path().join("q.jsonl");
    std::fs::write(&queries, "{\"id\": \"tea\", \"text\": \"富硒茶叶深加工工艺\"}\n").unwrap();
    let mut ranked = Vec::new();
    for scope in ["all", "pool"] {
        let tsv = dir.path().join(format!("{scope}.tsv"));
        let out = ipbridge(
            &restore_dir,
            &["match", "--queries", queries.to_str().unwrap(), "--out", tsv.to_str().unwrap(), "--scope", scope],
            None,
        );
        assert!(out.status.success(), "{}", text(&out.stderr));
        let numbers: Vec<String> = std::fs::read_to_string(&tsv)
            .unwrap()
            .lines()
            .map(|l| l.split('\t').nth(1).unwrap_or_default().to_owned())
            .collect();
        ranked.push(numbers);
    }
    let walk_through = &ranked[0][0];
    assert!((2..=4).contains(&ranked[1].len()), "pool hits: {:?}", ranked[1]);
    assert!(!ranked[1].contains(walk_through), "{walk_through} is not in the pool: {:?}", ranked[1]);

    // A file that is not a database is refused and the data directory is untouched.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, b"not a database at all").unwrap();
    let out = ipbridge(&restore_dir, &["restore", junk.to_str().unwrap()], None);
    assert!(!out.status.success());
    let list = ipbridge(&restore_dir, &["user", "list"], None);
    assert_eq!(text(&list.stdout).lines().count(), 14);
}

#[test]
fn import_reports_counts_writes_rejected_rows_and_fails_only_on_unreadable_files() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("专利.csv");
    std::fs::write(
        &csv,
        "申请号,专利名称,申请日,申请人\n202310605823.6,一种富硒茶的加工方法,2023-05-23,安康某公司\nCN202310605823.5,坏号,2023-05-23,某公司\n",
    )
    .unwrap();
    let report = dir.path().join("错误报告.xlsx");
    let out =
        ipbridge(&data, &["import", "patents", csv.to_str().unwrap(), "--report", report.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("read 2 = inserted 1 + updated 0 + unchanged 0 + rejected 1"),
        "{}",
        text(&out.stdout)
    );
    assert!(std::fs::read(&report).unwrap().starts_with(b"PK"));
    let again =
        ipbridge(&data, &["import", "patents", csv.to_str().unwrap(), "--report", report.to_str().unwrap()], None);
    assert!(text(&again.stdout).contains("unchanged 1"), "{}", text(&again.stdout));
    let junk = dir.path().join("junk.xlsx");
    std::fs::write(&junk, b"PK\x03\x04 not a workbook").unwrap();
    let out = ipbridge(&data, &["import", "patents", junk.to_str().unwrap()], None);
    assert!(!out.status.success(), "an unreadable file fails");
    assert!(text(&out.stderr).contains("无法导入"), "{}", text(&out.stderr));
    let orgs = dir.path().join("orgs.csv");
    std::fs::write(&orgs, "单位名称,类型,所在县区\n安康某研究院,科研院所,汉滨区\n").unwrap();
    let out = ipbridge(&data, &["import", "orgs", orgs.to_str().unwrap()], None);
    assert!(text(&out.stdout).contains("inserted 1"), "{}", text(&out.stdout));
}

#[test]
fn search_match_and_reindex_form_a_stable_batch_interface() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let csv = dir.path().join("专利.csv");
    std::fs::write(
        &csv,
        "申请号,专利名称,申请日,申请人,主分类号,摘要\n\
         202310605823.6,一种富硒茶叶的深加工工艺,2023-05-23,安康学院,A23F3/06,鲜叶经杀青揉捻烘干提高有机硒保留率\n\
         202210300001.2,魔芋精粉的制备方法,2022-03-01,安康某公司,A23L19/10,魔芋经清洗切片干燥粉碎\n",
    )
    .unwrap();
    let out = ipbridge(&data, &["import", "patents", csv.to_str().unwrap()], None);
    assert!(out.status.success(), "{}", text(&out.stderr));

    // The index does not exist yet: the first search builds it from the database.
    let out = ipbridge(&data, &["search", "富硒茶叶 深加工", "--json"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"], 1);
    assert_eq!(json["hits"][0]["application_no"], "202310605823.6");
    assert_eq!(json["hits"][0]["rank"], 1);
    let out = ipbridge(&data, &["search", "申请人:安康某公司"], None);
    assert!(text(&out.stdout).contains("魔芋精粉的制备方法"), "{}", text(&out.stdout));

    let queries = dir.path().join("q.jsonl");
    std::fs::write(&queries, "{\"id\": \"tea\", \"text\": \"富硒茶叶加工\"}\n\n{\"id\": 7, \"text\": \"魔芋粉\"}\n")
        .unwrap();
    let tsv = dir.path().join("out.tsv");
    let out = ipbridge(
        &data,
        &["match", "--queries", queries.to_str().unwrap(), "--top", "1", "--out", tsv.to_str().unwrap()],
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let lines: Vec<Vec<String>> =
        std::fs::read_to_string(&tsv).unwrap().lines().map(|l| l.split('\t').map(str::to_owned).collect()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(&lines[0][..3], ["tea", "202310605823.6", "1"]);
    assert_eq!(&lines[1][..3], ["7", "202210300001.2", "1"]);
    assert!(lines.iter().all(|l| l.len() == 4 && l[3].parse::<f32>().is_ok()));

    // A malformed line names its line number, in Chinese.
    std::fs::write(&queries, "{\"id\": \"a\", \"text\": \"茶\"}\nnot json\n").unwrap();
    let out = ipbridge(&data, &["match", "--queries", queries.to_str().unwrap(), "--out", tsv.to_str().unwrap()], None);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("第 2 行"), "{}", text(&out.stderr));

    let out = ipbridge(&data, &["reindex"], None);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("检索索引已重建：2 件专利"), "{}", text(&out.stdout));
}
