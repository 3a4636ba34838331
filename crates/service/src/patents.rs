//! Patent records: import from the files users have (every row accepted or rejected with its reason),
//! idempotent upsert keyed by application number, links from applicants to organisations, lists and
//! detail pages, and xlsx export.

use std::collections::HashMap;

use chrono::NaiveDate;
use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::ids::{ImportId, OrgId, PatentId};
use ipbridge_domain::org::normalise_name;
use ipbridge_domain::patent::{PatentRecord, annual_fee, expiry_date};
use ipbridge_ingest::{
    Cell, Format, PatentColumns, PatentField, RawRow, Table, TablePart, format_reason, map_patent_row, stream_table,
};
use ipbridge_store::{
    ApplicantStore, AuditStore, ImportCounts, ImportKind, ImportRecord, ImportStatus, ImportStore, ListedFacts,
    NewImport, OrgFilter, OrgStore, PatentChange, PatentFilter, PatentStore, PatentSummary, PatentWrite,
    ReferenceStore, StoredPatent, Tx,
};
use serde_json::json;
use sm3::{Digest, Sm3};
use tracing::{info, instrument, warn};

use crate::{Actor, App, FieldErrors, Result, ServiceError};

/// Rows written per transaction: large enough to amortise the commit, small enough that a stop loses little.
pub const BATCH_ROWS: usize = 5000;

/// Who an import writes for: any holder (the bureau, the command line) or one organisation only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportScope {
    /// Any patent.
    Any,
    /// Only patents this organisation holds as an applicant.
    OwnOrg(OrgId),
}

/// Callback told the counts after every batch (the command line draws its progress bar with it).
pub type ProgressFn = dyn Fn(&ImportCounts) + Send + Sync;

/// Maps normalised applicant names to organisations: by the organisation's own name, then by the
/// aliases the bureau has confirmed.
#[derive(Debug, Clone, Default)]
pub struct ApplicantLinker {
    by_name: HashMap<String, OrgId>,
}

impl ApplicantLinker {
    /// Loads organisations and aliases.
    pub async fn load(tx: &mut Tx) -> Result<Self> {
        let mut by_name = HashMap::new();
        for org in tx.list_orgs(&OrgFilter::default()).await? {
            by_name.insert(normalise_name(&org.name), org.id);
        }
        for (name, org) in tx.aliases().await? {
            by_name.insert(name, org);
        }
        Ok(Self { by_name })
    }

    /// The organisation an applicant name stands for.
    pub fn link(&self, name: &str) -> Option<OrgId> {
        self.by_name.get(&normalise_name(name)).copied()
    }
}

/// SM3 of a record's JSON: equal hashes, identical records.
fn content_hash(json: &str) -> String {
    hex::encode(Sm3::digest(json.as_bytes()))
}

/// The fields that differ between two stored records: field → [before, after].
fn record_diff(before_json: &str, after_json: &str) -> serde_json::Value {
    let before: serde_json::Value = serde_json::from_str(before_json).unwrap_or(serde_json::Value::Null);
    let after: serde_json::Value = serde_json::from_str(after_json).unwrap_or(serde_json::Value::Null);
    let mut changes = serde_json::Map::new();
    if let (Some(b), Some(a)) = (before.as_object(), after.as_object()) {
        for (k, av) in a {
            let bv = b.get(k).unwrap_or(&serde_json::Value::Null);
            if bv != av {
                changes.insert(k.clone(), json!([bv, av]));
            }
        }
        for (k, bv) in b {
            if !a.contains_key(k) {
                changes.insert(k.clone(), json!([bv, serde_json::Value::Null]));
            }
        }
    }
    serde_json::Value::Object(changes)
}

/// A value an import cell left empty.
trait Blank {
    fn is_blank(&self) -> bool;
}

impl Blank for String {
    fn is_blank(&self) -> bool {
        self.trim().is_empty()
    }
}

impl<T> Blank for Option<T> {
    fn is_blank(&self) -> bool {
        self.is_none()
    }
}

impl<T> Blank for Vec<T> {
    fn is_blank(&self) -> bool {
        self.is_empty()
    }
}

impl Blank for u32 {
    fn is_blank(&self) -> bool {
        // Counts never go down (transfers, licences, pledges): 0 means the file did not give one.
        *self == 0
    }
}

/// Keeps the stored values of every field the file has no column for: a file with fewer columns (a
/// legal-status update, a commercial export without claims) updates what it carries and erases nothing.
fn keep_missing_fields(new: &mut PatentRecord, old: &PatentRecord, has: impl Fn(PatentField) -> bool) {
    use PatentField as F;
    // A field is replaced only when the file has its column and the cell is filled: an empty cell means
    // "not given", never "erase" (exports leave cells blank when a database lacks the value).
    macro_rules! keep {
        ($field:expr, $first:ident $(, $member:ident)*) => {
            if !has($field) || new.$first.is_blank() {
                new.$first = old.$first.clone();
                $(new.$member = old.$member.clone();)*
            }
        };
    }
    keep!(F::PublicationNo, publication_no);
    keep!(F::GrantNo, grant_no);
    keep!(F::FilingDate, filing_date);
    keep!(F::PublicationDate, publication_date);
    keep!(F::GrantDate, grant_date);
    keep!(F::Abstract, abstract_text);
    keep!(F::FirstClaim, first_claim);
    keep!(F::Claims, claims);
    keep!(F::Inventors, inventors);
    keep!(F::Agency, agency);
    keep!(F::Agents, agents);
    keep!(F::CpcCodes, cpc_codes);
    keep!(F::Priorities, priorities);
    keep!(F::Family, family, has_foreign_family);
    keep!(F::CitationCount, citation_count);
    keep!(F::CitedByCount, cited_by_count);
    keep!(F::TransferCount, transfer_count);
    keep!(F::LicenseCount, license_count);
    keep!(F::PledgeCount, pledge_count);
    keep!(F::PledgeAmount, pledge_amount);
    keep!(F::TransferDate, transfer_date);
    keep!(F::LicenseDate, license_date);
    keep!(F::PledgeDate, pledge_date);
    keep!(F::LapseDate, lapse_date);
    keep!(F::LegalStatus, legal_status_raw, legal_status);
    keep!(F::ProvinceCode, province_code);
    if !has(F::Applicants) || new.applicants.is_empty() {
        new.applicants = old.applicants.clone();
    } else if let (Some(n), Some(o)) = (new.applicants.first_mut(), old.applicants.first())
        && n.name == o.name
        && n.address.is_blank()
    {
        n.address = o.address.clone();
    }
    if new.ipc_codes.is_empty() && new.main_ipc.is_none() {
        new.main_ipc = old.main_ipc.clone();
        new.ipc_codes = old.ipc_codes.clone();
    } else if !has(F::IpcCodes) {
        let mut codes = old.ipc_codes.clone();
        if let Some(main) = &new.main_ipc {
            codes.retain(|c| c != main);
            codes.insert(0, main.clone());
        }
        new.ipc_codes = codes;
    } else if !has(F::MainIpc) {
        new.main_ipc =
            old.main_ipc.clone().filter(|m| new.ipc_codes.contains(m)).or_else(|| new.ipc_codes.first().cloned());
    }
    if !has(F::PatentType) {
        new.patent_type = old.patent_type;
    }
    for (k, v) in &old.extra {
        new.extra.entry(k.clone()).or_insert_with(|| v.clone());
    }
}

/// One record waiting for its batch: where it came from and what the store will get.
struct Pending {
    record: PatentRecord,
    json: String,
    hash: String,
    names_norm: Vec<String>,
    orgs: Vec<Option<OrgId>>,
    row: Option<i64>,
    /// The source row, kept only for imports limited to one organisation (it may still be refused).
    source: Option<RawRow>,
}

impl Pending {
    /// What the store writes for this record.
    fn write<'a>(&'a self, import_id: Option<ImportId>, source_file: &'a str) -> PatentWrite<'a> {
        PatentWrite {
            record: &self.record,
            record_json: &self.json,
            content_hash: &self.hash,
            applicant_names_norm: &self.names_norm,
            applicant_orgs: &self.orgs,
            import_id,
            source_file,
            source_row: self.row,
        }
    }
}

/// One batch of a file, mapped: the records to write and the rows refused with their reasons.
struct PreparedBatch {
    pending: Vec<Pending>,
    rejected: Vec<(RawRow, String)>,
}

/// What the reading thread hands to the writer.
enum Part {
    Headers(Vec<String>),
    Estimate(usize),
    Batch(PreparedBatch),
    Unreadable(String),
}

/// Maps rows into records (or reasons), with their JSON and hash.
fn prepare_rows(
    headers: &[String],
    columns: &PatentColumns,
    linker: &ApplicantLinker,
    scope: ImportScope,
    own_name: &str,
    rows: Vec<RawRow>,
) -> Result<PreparedBatch> {
    let mut batch = PreparedBatch { pending: Vec::with_capacity(rows.len()), rejected: Vec::new() };
    for row in rows {
        match map_patent_row(columns, headers, &row) {
            Ok(record) => {
                let orgs: Vec<Option<OrgId>> = record.applicants.iter().map(|a| linker.link(&a.name)).collect();
                if let ImportScope::OwnOrg(org) = scope
                    && !orgs.contains(&Some(org))
                {
                    batch.rejected.push((
                        row,
                        format!("【申请人】申请人中没有本单位（{own_name}）：单位管理员只能导入本单位作为申请人或专利权人的专利"),
                    ));
                    continue;
                }
                let json = serde_json::to_string(&record).map_err(|e| ServiceError::Internal(e.to_string()))?;
                batch.pending.push(Pending {
                    hash: content_hash(&json),
                    names_norm: record.applicants.iter().map(|a| normalise_name(&a.name)).collect(),
                    orgs,
                    json,
                    record,
                    row: i64::try_from(row.number).ok(),
                    source: matches!(scope, ImportScope::OwnOrg(_)).then(|| row.clone()),
                });
            }
            Err(errors) => batch.rejected.push((row, format_reason(&errors))),
        }
    }
    Ok(batch)
}

/// A file-level failure: the import row records it and the caller learns it as a form error.
fn read_failure(message: String) -> ServiceError {
    let mut e = FieldErrors::new();
    e.add("file", message);
    ServiceError::Invalid(e)
}

impl App {
    fn import_scope(&self, actor: &Actor) -> Result<ImportScope> {
        if actor.authorise(Permission::ImportAnyPatents).is_ok() {
            return Ok(ImportScope::Any);
        }
        let user = actor.require(Permission::ImportOwnPatents)?;
        Ok(ImportScope::OwnOrg(user.org_id))
    }

    /// Registers an import run for a file (the page polls it); the rows are written by
    /// [`App::run_patent_import`].
    pub async fn begin_patent_import(&self, actor: &Actor, file_name: &str, bytes: &[u8]) -> Result<ImportId> {
        let org = match self.import_scope(actor)? {
            ImportScope::OwnOrg(o) => Some(o),
            ImportScope::Any => actor.user.as_ref().map(|u| u.org_id),
        };
        self.start_import(actor, ImportKind::Patents, org, file_name, bytes).await
    }

    /// Registers an import run of either kind, audited; `org` is whose history lists it.
    pub(crate) async fn start_import(
        &self,
        actor: &Actor,
        kind: ImportKind,
        org: Option<OrgId>,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<ImportId> {
        let format = Format::detect(file_name, bytes).map(format_code).unwrap_or("unknown");
        let mut tx = self.db.begin().await?;
        let id = tx
            .create_import(
                &NewImport {
                    kind,
                    org_id: org,
                    actor_id: actor.user.as_ref().map(|u| u.id.get()),
                    actor_name: actor.name(),
                    file_name: file_name.to_owned(),
                    file_hash: content_hash_bytes(bytes),
                    format: format.to_owned(),
                },
                self.now(),
            )
            .await?;
        tx.append_audit(&actor.audit(
            Action::ImportStart,
            "import",
            id,
            Outcome::Success,
            json!({"kind": kind.code(), "file": file_name, "bytes": bytes.len()}),
        ))
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Reads the file and writes its rows in batched transactions. Every row ends inserted, updated,
    /// unchanged or rejected with a reason; a stop mid-way leaves whole batches only, and importing the same
    /// file again completes it (written rows come back as unchanged).
    #[instrument(skip_all, fields(import_id = %id, file = %file_name))]
    pub async fn run_patent_import(
        &self,
        actor: &Actor,
        id: ImportId,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
        progress: &ProgressFn,
    ) -> Result<ImportRecord> {
        let result = self.run_patent_import_inner(actor, id, file_name, bytes, format, progress).await;
        if let Err(e) = &result {
            // Whatever went wrong, the run must not stay "running": the batches written are whole.
            self.abandon_import(actor, id, e).await;
        }
        result
    }

    async fn run_patent_import_inner(
        &self,
        actor: &Actor,
        id: ImportId,
        file_name: &str,
        bytes: Vec<u8>,
        format: Option<Format>,
        progress: &ProgressFn,
    ) -> Result<ImportRecord> {
        let scope = self.import_scope(actor)?;
        let own_name = match scope {
            ImportScope::OwnOrg(org) => self.db.read().await?.org(org).await?.map(|o| o.name).unwrap_or_default(),
            ImportScope::Any => String::new(),
        };
        let linker = ApplicantLinker::load(&mut self.db.read().await?).await?;
        // The file is read (as a stream of cells for xlsx) and mapped on a blocking thread, batch by batch,
        // while the batches already mapped are written here: reading, mapping and writing overlap.
        let (parts, mut received) = tokio::sync::mpsc::channel::<Result<Part>>(2);
        let name = file_name.to_owned();
        let reader = tokio::task::spawn_blocking(move || {
            let mut state: Option<(Vec<String>, PatentColumns)> = None;
            let result = stream_table(&name, &bytes, format, BATCH_ROWS, &mut |part| match part {
                TablePart::Headers(headers) => match PatentColumns::from_headers(&headers) {
                    Ok(columns) => {
                        state = Some((headers.clone(), columns));
                        parts.blocking_send(Ok(Part::Headers(headers))).is_ok()
                    }
                    Err(e) => {
                        let _ = parts.blocking_send(Ok(Part::Unreadable(e.to_string())));
                        false
                    }
                },
                TablePart::Estimate(n) => parts.blocking_send(Ok(Part::Estimate(n))).is_ok(),
                TablePart::Rows(rows) => match &state {
                    Some((headers, columns)) => {
                        let batch = prepare_rows(headers, columns, &linker, scope, &own_name, rows);
                        parts.blocking_send(batch.map(Part::Batch)).is_ok()
                    }
                    None => false,
                },
            });
            if let Err(e) = result {
                let _ = parts.blocking_send(Ok(Part::Unreadable(e.to_string())));
            }
        });
        let mut counts = ImportCounts::default();
        let mut headers: Vec<String> = Vec::new();
        let mut columns: Option<PatentColumns> = None;
        let mut rejected: Vec<(RawRow, String)> = Vec::new();
        let mut unreadable: Option<String> = None;
        while let Some(part) = received.recv().await {
            match part? {
                Part::Headers(h) => {
                    columns = Some(PatentColumns::from_headers(&h).map_err(|e| ServiceError::Internal(e.to_string()))?);
                    headers = h;
                }
                Part::Estimate(n) => counts.total = n as u64,
                Part::Batch(mut batch) => {
                    if let ImportScope::OwnOrg(org) = scope {
                        // A patent already on the platform may be changed only by an organisation that holds it.
                        let taken = self.held_by_others(org, &batch.pending).await?;
                        let (refused, kept): (Vec<Pending>, Vec<Pending>) =
                            batch.pending.into_iter().partition(|p| taken.contains(p.record.application_no.as_str()));
                        batch.pending = kept;
                        for p in refused {
                            batch.rejected.push((
                                p.source.unwrap_or_else(|| RawRow { number: 0, cells: Vec::new() }),
                                format!(
                                    "【申请号】专利“{}”已在平台登记且权利人中没有本单位，单位管理员不能修改；如权利人有变化请联系市场监管局",
                                    p.record.application_no
                                ),
                            ));
                        }
                    }
                    rejected.extend(batch.rejected);
                    counts.rejected = rejected.len() as u64;
                    self.write_patent_batch(actor, Some(id), file_name, batch.pending, columns.as_ref(), &mut counts)
                        .await?;
                    counts.total = counts.total.max(counts.read);
                    progress(&counts);
                }
                Part::Unreadable(message) => unreadable = Some(message),
            }
        }
        reader.await.map_err(|e| ServiceError::Internal(format!("read task: {e}")))?;
        if let Some(message) = &unreadable {
            if counts.read == 0 {
                return self.fail_import(actor, id, message.clone()).await;
            }
            // Part of the file was written before it turned out unreadable: the written batches are whole.
            warn!(%message, read = counts.read, "file became unreadable part-way");
        }
        counts.total = counts.read;
        let report = if rejected.is_empty() {
            None
        } else {
            Some(
                ipbridge_ingest::rejected_rows_xlsx(&headers, &rejected)
                    .map_err(|e| ServiceError::Internal(e.to_string()))?,
            )
        };
        info!(?counts, "import finished");
        match unreadable {
            None => self.complete_import(actor, id, &counts, report.as_deref()).await,
            Some(message) => {
                let note = format!(
                    "文件第{}行之后无法读取：{message}。之前的行已处理（{}），其余行未导入；修正文件后重新导入同一文件即可补全",
                    counts.read,
                    import_message(&counts)
                );
                self.end_import(actor, id, &counts, report.as_deref(), ImportStatus::Failed, &note).await
            }
        }
    }

    /// Marks a run that ended on an error as failed, if it is still running (best effort: the error that
    /// ended it is what the caller reports).
    pub(crate) async fn abandon_import(&self, actor: &Actor, id: ImportId, error: &ServiceError) {
        let Ok(mut tx) = self.db.read().await else { return };
        let still_running = matches!(tx.import(id).await, Ok(Some(r)) if r.status == ImportStatus::Running);
        drop(tx);
        if !still_running {
            return;
        }
        warn!(import_id = %id, %error, "import ended on an error");
        let message =
            format!("导入过程中出错：{}；已写入的批次完整保留，重新导入同一文件即可补全", error.user_message());
        if let Ok(mut tx) = self.db.begin().await {
            let _ = tx.finish_import(id, ImportStatus::Failed, &message, None, self.now()).await;
            let _ = tx
                .append_audit(&actor.audit(
                    Action::ImportFinish,
                    "import",
                    id,
                    Outcome::Failure,
                    json!({"error": error.to_string()}),
                ))
                .await;
            let _ = tx.commit().await;
        }
    }

    /// The application numbers of a batch that are stored already and not held by `org`.
    async fn held_by_others(&self, org: OrgId, pending: &[Pending]) -> Result<std::collections::HashSet<String>> {
        let numbers: Vec<String> = pending.iter().map(|p| p.record.application_no.as_str().to_owned()).collect();
        let mut tx = self.db.read().await?;
        let existing = tx.existing_patents(&numbers).await?;
        let mut taken = std::collections::HashSet::new();
        for (no, e) in existing {
            if !tx.holds_patent(org, e.id).await? {
                taken.insert(no);
            }
        }
        Ok(taken)
    }

    /// Ends an import run with its counts and report, audited; returns the stored run.
    pub(crate) async fn complete_import(
        &self,
        actor: &Actor,
        id: ImportId,
        counts: &ImportCounts,
        report: Option<&[u8]>,
    ) -> Result<ImportRecord> {
        self.end_import(actor, id, counts, report, ImportStatus::Done, &import_message(counts)).await
    }

    /// Ends an import run with a status and message, saving the final counts, audited.
    async fn end_import(
        &self,
        actor: &Actor,
        id: ImportId,
        counts: &ImportCounts,
        report: Option<&[u8]>,
        status: ImportStatus,
        message: &str,
    ) -> Result<ImportRecord> {
        let mut tx = self.db.begin().await?;
        tx.set_import_counts(id, counts).await?;
        tx.finish_import(id, status, message, report, self.now()).await?;
        tx.append_audit(&actor.audit(
            Action::ImportFinish,
            "import",
            id,
            if status == ImportStatus::Done { Outcome::Success } else { Outcome::Failure },
            json!({"read": counts.read, "inserted": counts.inserted, "updated": counts.updated,
                   "unchanged": counts.unchanged, "rejected": counts.rejected}),
        ))
        .await?;
        tx.commit().await?;
        // New or changed patents move the indicators.
        self.request_indicator_refresh("import");
        self.db.read().await?.import(id).await?.ok_or(ServiceError::NotFound)
    }

    /// Ends an import run whose file cannot be read at all (audited) and returns the reason as a form error.
    pub(crate) async fn fail_import(&self, actor: &Actor, id: ImportId, message: String) -> Result<ImportRecord> {
        warn!(%message, "import failed: file unreadable");
        let mut tx = self.db.begin().await?;
        tx.finish_import(id, ImportStatus::Failed, &message, None, self.now()).await?;
        tx.append_audit(&actor.audit(Action::ImportFinish, "import", id, Outcome::Failure, json!({"error": message})))
            .await?;
        tx.commit().await?;
        Err(read_failure(message))
    }

    /// Writes one batch in one transaction: new records inserted, changed ones updated with their history,
    /// identical ones left alone; the counts and an audit record commit with the rows.
    async fn write_patent_batch(
        &self,
        actor: &Actor,
        import_id: Option<ImportId>,
        file_name: &str,
        mut pending: Vec<Pending>,
        columns: Option<&PatentColumns>,
        counts: &mut ImportCounts,
    ) -> Result<()> {
        // Rows are counted as if written one by one (a repeated number: the first row inserts, a later
        // different row updates), but only each number's last row is written.
        let mut last_index: HashMap<String, usize> = HashMap::new();
        for (i, p) in pending.iter().enumerate() {
            last_index.insert(p.record.application_no.as_str().to_owned(), i);
        }
        let now = self.now();
        let actor_name = actor.name();
        let mut tx = self.db.begin().await?;
        let numbers: Vec<String> = last_index.keys().cloned().collect();
        let existing = tx.existing_patents(&numbers).await?;
        if let Some(columns) = columns {
            for p in pending.iter_mut() {
                let Some(e) = existing.get(p.record.application_no.as_str()) else { continue };
                let old: PatentRecord = serde_json::from_str(&e.record_json)
                    .map_err(|err| ServiceError::Internal(format!("stored record {}: {err}", e.id)))?;
                keep_missing_fields(&mut p.record, &old, |f| columns.column(f).is_some());
                p.json = serde_json::to_string(&p.record).map_err(|err| ServiceError::Internal(err.to_string()))?;
                p.hash = content_hash(&p.json);
            }
        }
        let mut current: HashMap<String, String> =
            existing.iter().map(|(no, e)| (no.clone(), e.content_hash.clone())).collect();
        for p in &pending {
            let no = p.record.application_no.as_str();
            match current.get(no) {
                None => counts.inserted += 1,
                Some(h) if *h == p.hash => counts.unchanged += 1,
                Some(_) => counts.updated += 1,
            }
            current.insert(no.to_owned(), p.hash.clone());
        }
        let mut inserts: Vec<usize> = Vec::new();
        let mut updated_numbers: Vec<String> = Vec::new();
        let mut finals: Vec<(&String, &usize)> = last_index.iter().collect();
        finals.sort_by_key(|(_, i)| **i);
        for (no, &i) in finals {
            let p = &pending[i];
            match existing.get(no) {
                None => inserts.push(i),
                Some(e) if e.content_hash == p.hash => {}
                Some(e) => {
                    tx.update_patent(e.id, &p.write(import_id, file_name), now).await?;
                    let diff = record_diff(&e.record_json, &p.json);
                    tx.add_patent_history(e.id, now, import_id, &actor_name, "updated", &diff.to_string()).await?;
                    updated_numbers.push(no.clone());
                }
            }
        }
        let writes: Vec<PatentWrite<'_>> = inserts.iter().map(|&i| pending[i].write(import_id, file_name)).collect();
        let inserted = tx.insert_patents(&writes, now).await?;
        drop(writes);
        pending.clear();
        counts.read = counts.inserted + counts.updated + counts.unchanged + counts.rejected;
        if let Some(id) = import_id {
            tx.set_import_counts(id, counts).await?;
        }
        if !inserted.is_empty() || !updated_numbers.is_empty() {
            updated_numbers.truncate(200);
            tx.append_audit(&actor.audit(
                Action::PatentImport,
                "import",
                import_id.map(|i| i.to_string()).unwrap_or_default(),
                Outcome::Success,
                json!({"inserted": inserted.len(), "updated": updated_numbers}),
            ))
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl App {
    /// Writes records built by the platform itself (the demo data set) through the same batched upsert
    /// as file imports, recorded as an import run named `label`. Command line only.
    pub async fn import_records(&self, actor: &Actor, label: &str, records: Vec<PatentRecord>) -> Result<ImportRecord> {
        if !actor.is_cli() {
            return Err(ServiceError::Forbidden);
        }
        let id = self.begin_patent_import(actor, label, label.as_bytes()).await?;
        let linker = ApplicantLinker::load(&mut self.db.read().await?).await?;
        let mut counts = ImportCounts { total: records.len() as u64, ..ImportCounts::default() };
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let mut pending = Vec::with_capacity(BATCH_ROWS);
            for record in records.by_ref().take(BATCH_ROWS) {
                let json = serde_json::to_string(&record).map_err(|e| ServiceError::Internal(e.to_string()))?;
                pending.push(Pending {
                    hash: content_hash(&json),
                    names_norm: record.applicants.iter().map(|a| normalise_name(&a.name)).collect(),
                    orgs: record.applicants.iter().map(|a| linker.link(&a.name)).collect(),
                    json,
                    record,
                    row: None,
                    source: None,
                });
            }
            self.write_patent_batch(actor, Some(id), label, pending, None, &mut counts).await?;
        }
        self.complete_import(actor, id, &counts, None).await
    }
}

/// The stored name of a file format.
pub fn format_code(f: Format) -> &'static str {
    match f {
        Format::Xlsx => "xlsx",
        Format::Csv => "csv",
        Format::Jsonl => "jsonl",
    }
}

fn content_hash_bytes(bytes: &[u8]) -> String {
    hex::encode(Sm3::digest(bytes))
}

/// The one-line Chinese summary of an import.
pub fn import_message(c: &ImportCounts) -> String {
    let mut m = format!(
        "读取{}行：新增{}条，更新{}条，未变化{}条，拒绝{}行",
        c.read, c.inserted, c.updated, c.unchanged, c.rejected
    );
    if c.inserted == 0 && c.updated == 0 && c.unchanged > 0 && c.rejected == 0 {
        m.push_str("。文件内容与平台已有记录完全相同，没有任何改动");
    } else if c.rejected > 0 {
        m.push_str("。被拒绝的行及原因见“错误报告”，修改后可直接重新导入");
    }
    m
}

/// A page of patents.
#[derive(Debug, Clone)]
pub struct PatentPage {
    /// The rows.
    pub patents: Vec<PatentSummary>,
    /// Total matching.
    pub total: u64,
    /// What the last indicator refresh derived for each listed patent (none before its first refresh).
    pub facts: HashMap<PatentId, ListedFacts>,
}

/// A patent with what the detail page derives from it.
#[derive(Debug, Clone)]
pub struct PatentView {
    /// The stored patent.
    pub patent: StoredPatent,
    /// The end of the term (from the filing date and type), when the filing date is known.
    pub expiry: Option<NaiveDate>,
    /// The next annual-fee due date and grace period, for patents in force.
    pub fee: Option<ipbridge_domain::patent::AnnualFee>,
    /// IPC code → title, for the codes whose titles are loaded.
    pub ipc_titles: HashMap<String, String>,
    /// Changes, oldest first.
    pub history: Vec<PatentChange>,
}

/// Most rows one list export holds.
pub const PATENT_EXPORT_LIMIT: u32 = 100_000;

impl App {
    /// Patents matching a filter. Bibliographic data is public, so any logged-in account may list it.
    pub async fn list_patents(&self, actor: &Actor, filter: &PatentFilter) -> Result<PatentPage> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        let rows = tx.list_patents_with_facts(filter).await?;
        let total = tx.count_patents(filter).await?;
        let mut facts = HashMap::new();
        let patents = rows
            .into_iter()
            .map(|row| {
                if let Some(f) = row.facts {
                    facts.insert(row.summary.id, f);
                }
                row.summary
            })
            .collect();
        Ok(PatentPage { patents, total, facts })
    }

    /// The county a listed patent counts for, as the list and its export name it.
    pub fn place_label(&self, facts: Option<&ListedFacts>) -> String {
        match facts {
            None => "尚未汇总".to_owned(),
            Some(f) if !f.in_city => "非本市".to_owned(),
            Some(f) => match f.county_code.as_deref() {
                None => "本市（县区不明）".to_owned(),
                Some(code) => self.policy.county(code).map_or_else(|| code.to_owned(), |c| c.name.clone()),
            },
        }
    }

    /// One patent with its derived dates, IPC titles and history.
    pub async fn patent(&self, actor: &Actor, id: PatentId) -> Result<PatentView> {
        actor.authenticated()?;
        let mut tx = self.db.read().await?;
        let patent = tx.patent(id).await?.ok_or(ServiceError::NotFound)?;
        // The creation is kept on the record itself (bulk imports write no history row for it).
        let creator = match patent.created_import_id {
            Some(import) => tx.import(import).await?.map(|r| r.actor_name),
            None => None,
        };
        let mut history = vec![PatentChange {
            at: patent.created_at,
            actor_name: creator.unwrap_or_default(),
            import_id: patent.created_import_id,
            kind: "created".to_owned(),
            changes: "{}".to_owned(),
        }];
        history.extend(tx.patent_history(id).await?);
        let mut codes: Vec<String> = Vec::new();
        for c in &patent.record.ipc_codes {
            codes.extend(c.prefixes());
        }
        let ipc_titles = tx.ipc_titles(&codes).await?;
        let today = self.china_today();
        let r = &patent.record;
        let expiry = r.filing_date.map(|d| expiry_date(r.patent_type, d));
        let fee = match (r.filing_date, r.legal_status.in_force()) {
            (Some(filing), true) => Some(annual_fee(filing, today, None)),
            _ => None,
        };
        Ok(PatentView { patent, expiry, fee, ipc_titles, history })
    }

    /// The filtered list as an xlsx workbook (audited).
    pub async fn export_patents(&self, actor: &Actor, filter: &PatentFilter) -> Result<Vec<u8>> {
        let mut filter = filter.clone();
        filter.limit = PATENT_EXPORT_LIMIT;
        filter.offset = 0;
        let page = self.list_patents(actor, &filter).await?;
        if page.total > u64::from(PATENT_EXPORT_LIMIT) {
            let mut e = FieldErrors::new();
            e.add(
                "filter",
                format!("符合条件的专利有{}件，超过单次导出上限{PATENT_EXPORT_LIMIT}件，请增加筛选条件", page.total),
            );
            return Err(ServiceError::Invalid(e));
        }
        let mut t = Table::new(
            "专利",
            &[
                "申请号",
                "专利类型",
                "专利名称",
                "申请日",
                "授权公告日",
                "法律状态",
                "是否有效",
                "主分类号",
                "第一申请人",
                "所属机构",
                "高价值发明专利",
                "满足的高价值条件",
                "归属县区",
            ],
        );
        for p in &page.patents {
            let facts = page.facts.get(&p.id);
            // Only valid invention patents take part in the high-value assessment: for the others the
            // criteria that happen to hold are not "conditions met", so the column stays empty.
            let (high_value, criteria) = match facts {
                None => ("尚未汇总".to_owned(), String::new()),
                Some(f) if f.valid_invention => (
                    if f.high_value { "是" } else { "否" }.to_owned(),
                    f.criteria().iter().map(|c| c.label()).collect::<Vec<_>>().join("、"),
                ),
                Some(_) => ("否（非有效发明专利）".to_owned(), String::new()),
            };
            t.push(vec![
                Cell::from(p.application_no.as_str()),
                Cell::from(p.patent_type.label()),
                Cell::from(p.title.as_str()),
                Cell::from(p.filing_date.map(|d| d.to_string())),
                Cell::from(p.grant_date.map(|d| d.to_string())),
                Cell::from(p.legal_status.label()),
                Cell::from(if p.in_force { "有效" } else { "无效" }),
                Cell::from(p.main_ipc.clone()),
                Cell::from(p.first_applicant.as_str()),
                Cell::from(p.owner_name.clone()),
                Cell::from(high_value),
                Cell::from(criteria),
                Cell::from(self.place_label(facts)),
            ]);
        }
        self.finish_export(actor, "patents", "", &t).await
    }
}

/// A patent whose annual fee falls due soon.
#[derive(Debug, Clone)]
pub struct FeeDue {
    /// The patent.
    pub patent: PatentSummary,
    /// Its fee dates.
    pub fee: ipbridge_domain::patent::AnnualFee,
}

/// How far ahead the annual-fee reminder looks by default.
pub const FEE_WINDOW_DAYS: i64 = 90;

impl App {
    /// The in-force patents an organisation holds whose annual fee falls due within `days` (or is in its
    /// grace period), soonest first. Institution administrators see their own organisation; the bureau any.
    pub async fn fees_due(&self, actor: &Actor, org: OrgId, days: i64) -> Result<Vec<FeeDue>> {
        if actor.authorise(Permission::ImportAnyPatents).is_err() {
            let user = actor.require(Permission::ImportOwnPatents)?;
            if user.org_id != org {
                return Err(ServiceError::Forbidden);
            }
        }
        let today = self.china_today();
        let horizon = today + chrono::Duration::days(days);
        let filter = PatentFilter { holder_org: Some(org), in_force: Some(true), ..PatentFilter::default() };
        let patents = self.db.read().await?.list_patents(&filter).await?;
        let mut due: Vec<FeeDue> = patents
            .into_iter()
            .filter_map(|p| {
                let filing = p.filing_date?;
                let fee = annual_fee(filing, today, None);
                (fee.in_grace || fee.next_due <= horizon).then_some(FeeDue { patent: p, fee })
            })
            .collect();
        due.sort_by_key(|d| d.fee.next_due);
        Ok(due)
    }
}
