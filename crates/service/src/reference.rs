//! Reference data: the IPC scheme with Chinese (and English) titles, and the CNIPA concordance between
//! IPC codes and the strategic emerging industries (战略性新兴产业), loaded from the files of
//! `shared/data/ipc` and `shared/data/sei` (or any files of the same shape).

use std::collections::HashMap;
use std::path::Path;

use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_ingest::{Format, RawTable, read_table};
use ipbridge_store::{AuditStore, IpcTitle, ReferenceStore, SeiCategory};
use serde_json::json;

use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// The concordance's rules (1–321) each belong to one SEI subcategory. The published table lists rules,
/// not subcategories, so this maps rule id ranges to the 2018 subcategory codes (inclusive ranges).
const RULE_RANGES: &[(u32, u32, &str)] = &[
    (1, 7, "1.1"),
    (8, 14, "1.2"),
    (15, 20, "1.3"),
    (21, 24, "1.4"),
    (25, 31, "1.5"),
    (32, 50, "2.1"),
    (51, 53, "2.2"),
    (54, 57, "2.3"),
    (58, 62, "2.4"),
    (63, 73, "2.5"),
    (74, 90, "3.1"),
    (91, 121, "3.2"),
    (122, 143, "3.3"),
    (144, 166, "3.4"),
    (167, 173, "3.5"),
    (174, 185, "3.6"),
    (186, 187, "3.7"),
    (188, 192, "4.1"),
    (193, 198, "4.2"),
    (199, 207, "4.3"),
    (208, 210, "4.4"),
    (211, 215, "4.5"),
    (216, 218, "5.1"),
    (219, 223, "5.2"),
    (224, 227, "5.3"),
    (228, 228, "5.4"),
    (229, 232, "6.1"),
    (233, 236, "6.2"),
    (237, 242, "6.3"),
    (243, 250, "6.4"),
    (251, 255, "6.5"),
    (256, 274, "7.1"),
    (275, 289, "7.2"),
    (290, 302, "7.3"),
    (303, 305, "8.1"),
    (306, 310, "8.2"),
    (311, 311, "8.3"),
    (312, 312, "8.4"),
    (313, 319, "9.1"),
    (320, 321, "9.2"),
];

/// The SEI subcategory of a concordance rule id.
pub fn subcategory_of_rule(rule: u32) -> Option<&'static str> {
    RULE_RANGES.iter().find(|(lo, hi, _)| (*lo..=*hi).contains(&rule)).map(|(_, _, c)| *c)
}

/// What a reference load wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceReport {
    /// IPC entries with titles.
    pub ipc_titles: usize,
    /// SEI categories and subcategories.
    pub sei_categories: usize,
    /// IPC → SEI subcategory rows.
    pub mappings: usize,
}

fn invalid(message: String) -> ServiceError {
    let mut e = FieldErrors::new();
    e.add("file", message);
    ServiceError::Invalid(e)
}

fn read(path: &Path, format: Format) -> Result<RawTable> {
    let bytes = std::fs::read(path).map_err(|e| invalid(format!("无法读取 {}：{e}", path.display())))?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    read_table(&name, &bytes, Some(format)).map_err(|e| invalid(format!("{}：{e}", path.display())))
}

/// Column index by header name, or a message naming the file and the missing column.
fn column(t: &RawTable, path: &Path, name: &str) -> Result<usize> {
    t.headers.iter().position(|h| h == name).ok_or_else(|| invalid(format!("{} 缺少“{name}”列", path.display())))
}

fn cell(row: &ipbridge_ingest::RawRow, i: usize) -> String {
    row.cells.get(i).cloned().unwrap_or_default()
}

impl App {
    /// Loads the IPC scheme and the SEI concordance from a folder laid out like `shared/data`
    /// (`ipc/ipc_2026_01_zh.csv`, optionally `ipc/ipc_2020_en.csv`, `sei/sei_categories_2018.csv`,
    /// `sei/ipc_sei_concordance.jsonl`), replacing what was loaded before.
    pub async fn load_reference(&self, actor: &Actor, dir: &Path) -> Result<ReferenceReport> {
        if !actor.is_cli() {
            return Err(ServiceError::Forbidden);
        }
        let dir = dir.to_owned();
        let (titles, categories, mappings) = tokio::task::spawn_blocking(move || parse_reference(&dir))
            .await
            .map_err(|e| ServiceError::Internal(format!("reference task: {e}")))??;
        let report =
            ReferenceReport { ipc_titles: titles.len(), sei_categories: categories.len(), mappings: mappings.len() };
        let mut tx = self.db.begin().await?;
        tx.replace_ipc_titles(&titles).await?;
        tx.replace_sei(&categories, &mappings).await?;
        tx.append_audit(&actor.audit(
            Action::ReferenceLoad,
            "reference",
            "ipc+sei",
            Outcome::Success,
            json!({"ipc_titles": report.ipc_titles, "sei_categories": report.sei_categories, "mappings": report.mappings}),
        ))
        .await?;
        tx.commit().await?;
        // The concordance decides the first high-value criterion.
        self.request_indicator_refresh("reference");
        Ok(report)
    }
}

type Parsed = (Vec<IpcTitle>, Vec<SeiCategory>, Vec<(String, String)>);

fn parse_reference(dir: &Path) -> Result<Parsed> {
    let zh_path = dir.join("ipc").join("ipc_2026_01_zh.csv");
    let zh = read(&zh_path, Format::Csv)?;
    let (c, l, t, p) = (
        column(&zh, &zh_path, "code")?,
        column(&zh, &zh_path, "level")?,
        column(&zh, &zh_path, "title_zh")?,
        column(&zh, &zh_path, "parent")?,
    );
    let mut titles: Vec<IpcTitle> = zh
        .rows
        .iter()
        .map(|r| IpcTitle {
            code: cell(r, c),
            level: cell(r, l),
            title_zh: cell(r, t),
            title_en: String::new(),
            parent: Some(cell(r, p)).filter(|s| !s.is_empty()),
        })
        .filter(|t| !t.code.is_empty())
        .collect();
    // English titles fill in, and add the codes the Chinese edition lacks.
    let en_path = dir.join("ipc").join("ipc_2020_en.csv");
    if en_path.is_file() {
        let en = read(&en_path, Format::Csv)?;
        let (c, l, t, p) = (
            column(&en, &en_path, "code")?,
            column(&en, &en_path, "level")?,
            column(&en, &en_path, "title_en")?,
            column(&en, &en_path, "parent")?,
        );
        let mut index: HashMap<String, usize> = titles.iter().enumerate().map(|(i, t)| (t.code.clone(), i)).collect();
        for r in &en.rows {
            let code = cell(r, c);
            if code.is_empty() {
                continue;
            }
            match index.get(&code) {
                Some(&i) => titles[i].title_en = cell(r, t),
                None => {
                    index.insert(code.clone(), titles.len());
                    titles.push(IpcTitle {
                        code,
                        level: cell(r, l),
                        title_zh: String::new(),
                        title_en: cell(r, t),
                        parent: Some(cell(r, p)).filter(|s| !s.is_empty()),
                    });
                }
            }
        }
    }
    let cat_path = dir.join("sei").join("sei_categories_2018.csv");
    let cat = read(&cat_path, Format::Csv)?;
    let (c, n, l, p) = (
        column(&cat, &cat_path, "code")?,
        column(&cat, &cat_path, "name")?,
        column(&cat, &cat_path, "level")?,
        column(&cat, &cat_path, "parent_code")?,
    );
    let categories: Vec<SeiCategory> = cat
        .rows
        .iter()
        .map(|r| SeiCategory {
            code: cell(r, c),
            name: cell(r, n),
            level: cell(r, l),
            parent_code: Some(cell(r, p)).filter(|s| !s.is_empty()),
        })
        .collect();
    let map_path = dir.join("sei").join("ipc_sei_concordance.jsonl");
    let map = read(&map_path, Format::Jsonl)?;
    let (ipc, rule) = (column(&map, &map_path, "ipcCode")?, column(&map, &map_path, "seiId")?);
    let mut mappings = Vec::with_capacity(map.rows.len());
    for r in &map.rows {
        let id: u32 = cell(r, rule).parse().map_err(|_| {
            invalid(format!("{} 第{}行：seiId “{}” 不是整数", map_path.display(), r.number, cell(r, rule)))
        })?;
        let Some(sub) = subcategory_of_rule(id) else {
            return Err(invalid(format!("{} 第{}行：未知的规则编号 {id}", map_path.display(), r.number)));
        };
        mappings.push((cell(r, ipc), sub.to_owned()));
    }
    Ok((titles, categories, mappings))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_maps_to_one_subcategory() {
        for rule in 1..=321 {
            assert!(subcategory_of_rule(rule).is_some(), "rule {rule}");
        }
        assert_eq!(subcategory_of_rule(0), None);
        assert_eq!(subcategory_of_rule(322), None);
        assert_eq!(subcategory_of_rule(228), Some("5.4"));
        // Ranges are contiguous and do not overlap.
        for w in RULE_RANGES.windows(2) {
            assert_eq!(w[0].1 + 1, w[1].0);
        }
    }
}
