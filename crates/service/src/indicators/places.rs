//! Where an applicant's patents count (申请人归属): the first applicants with the place the refresh derived
//! for their patents, and the bureau's override, which wins over every derived rule.
//!
//! The rule (see `ipbridge_domain::indicators::place`): the bureau's override for the first applicant, else
//! the county of the organisation the first applicant is linked to, else a county or the city named in the
//! first applicant's address; a province code of another province rules the city out.

use ipbridge_domain::Permission;
use ipbridge_domain::audit::{Action, Outcome};
use ipbridge_domain::indicators::place::PlaceBasis;
use ipbridge_domain::org::normalise_name;
use ipbridge_store::{ApplicantPlaceFilter, ApplicantScope, AuditStore, PlaceStore};
use serde_json::json;

use crate::error::invalid;
use crate::{Actor, App, FieldErrors, Result, ServiceError};

pub use ipbridge_store::{ApplicantPlace, BasisCount, StoredPlace};

/// Longest note kept with an override.
const NOTE_MAX_CHARS: usize = 200;

/// The choice of the form's select meaning "in the city, county unknown".
pub const CHOICE_CITY: &str = "city";
/// The choice meaning "not the city's".
pub const CHOICE_OUTSIDE: &str = "outside";
/// The prefix of a county choice: `county:610902`.
pub const CHOICE_COUNTY_PREFIX: &str = "county:";

/// `?q=&only=&page=` of the list, as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceQuery {
    /// Part of the applicant's name.
    pub q: String,
    /// `outside` (只看未归属本市), `override` (只看人工指定) or empty (all).
    pub only: String,
}

impl PlaceQuery {
    fn scope(&self) -> ApplicantScope {
        match self.only.as_str() {
            "outside" => ApplicantScope::NotInCity,
            "override" => ApplicantScope::Overridden,
            _ => ApplicantScope::All,
        }
    }
}

/// A page of first applicants with the counts by basis.
#[derive(Debug, Clone)]
pub struct PlacePage {
    /// The applicants of the page.
    pub rows: Vec<ApplicantPlace>,
    /// How many the query selects.
    pub total: u64,
    /// Patents per place basis (every basis, in rule order, zero when none).
    pub bases: Vec<(PlaceBasis, BasisCount)>,
    /// Patents the refresh has not placed yet (imported since the last refresh).
    pub pending: i64,
}

/// The override form as posted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlaceForm {
    /// The applicant's name as listed.
    pub name: String,
    /// `county:<code>`, `city` or `outside`.
    pub choice: String,
    /// Why (required: the override changes the city's figures).
    pub note: String,
}

/// The place a choice stands for: (in the city, county code).
fn parse_choice(app: &App, choice: &str) -> Option<(bool, Option<String>)> {
    match choice {
        CHOICE_CITY => Some((true, None)),
        CHOICE_OUTSIDE => Some((false, None)),
        other => {
            let code = other.strip_prefix(CHOICE_COUNTY_PREFIX)?;
            app.policy.county(code).map(|c| (true, Some(c.code.clone())))
        }
    }
}

/// How pages and audit records describe a place.
pub fn place_text(app: &App, in_city: bool, county: Option<&str>) -> String {
    match (in_city, county) {
        (false, _) => "不属于本市".to_owned(),
        (true, None) => "本市（县区不明）".to_owned(),
        (true, Some(code)) => app.policy.county(code).map_or_else(|| code.to_owned(), |c| c.name.clone()),
    }
}

fn place_detail(app: &App, p: &StoredPlace) -> serde_json::Value {
    json!({"name": p.name, "in_city": p.in_city, "county_code": p.county_code,
           "place": place_text(app, p.in_city, p.county_code.as_deref()), "note": p.note})
}

impl App {
    /// A page of first applicants with where their patents count and why, and the counts by basis.
    pub async fn applicant_places(
        &self,
        actor: &Actor,
        query: &PlaceQuery,
        limit: u32,
        offset: u32,
    ) -> Result<PlacePage> {
        actor.authorise(Permission::ViewIndicators)?;
        let text = normalise_name(&query.q);
        let filter =
            ApplicantPlaceFilter { text: (!text.is_empty()).then_some(text), scope: query.scope(), limit, offset };
        let mut tx = self.db.read().await?;
        let total = tx.count_applicant_places(&filter).await?;
        let rows = tx.applicant_places(&filter).await?;
        let (counts, pending) = tx.place_basis_counts().await?;
        let bases = PlaceBasis::ALL
            .into_iter()
            .map(|b| {
                let count = counts.iter().find(|c| c.basis == b.code()).cloned().unwrap_or(BasisCount {
                    basis: b.code().to_owned(),
                    patents: 0,
                    in_city: 0,
                });
                (b, count)
            })
            .collect();
        Ok(PlacePage { rows, total, bases, pending })
    }

    /// Sets where an applicant's patents count (the bureau), replacing an earlier override. Takes effect at
    /// the next refresh, which is asked for at once.
    pub async fn set_applicant_place(&self, actor: &Actor, form: &PlaceForm) -> Result<StoredPlace> {
        actor.authorise(Permission::ManageIndicators)?;
        let mut errors = FieldErrors::new();
        let name = form.name.trim();
        let name_norm = normalise_name(name);
        if name_norm.is_empty() {
            errors.add("name", "申请人名称不能为空");
        }
        let place = parse_choice(self, form.choice.trim());
        if place.is_none() {
            errors.add("choice", "请选择归属：本市的县区、本市（县区不明）或不属于本市");
        }
        let note = form.note.trim();
        if note.is_empty() {
            errors.add("note", "请填写指定理由（如“企业注册地在汉滨区，专利地址为研发中心所在地”）");
        } else if note.chars().count() > NOTE_MAX_CHARS {
            errors.add("note", format!("理由最多{NOTE_MAX_CHARS}个字"));
        }
        errors.into_result()?;
        let Some((in_city, county_code)) = place else { return Err(invalid("choice", "请选择归属")) };
        let mut tx = self.db.begin().await?;
        // The name as the patents write it, so the list and the audit record show the familiar spelling.
        let shown = tx.first_applicant_name(&name_norm).await?.unwrap_or_else(|| name.to_owned());
        let before = tx.place(&name_norm).await?;
        let stored = StoredPlace {
            name_norm: name_norm.clone(),
            name: shown,
            in_city,
            county_code,
            note: note.to_owned(),
            set_by: actor.name(),
            set_at: self.now(),
        };
        tx.upsert_place(&stored).await?;
        tx.append_audit(&actor.audit(
            Action::PlaceSet,
            "applicant_place",
            &name_norm,
            Outcome::Success,
            json!({"before": before.as_ref().map(|b| place_detail(self, b)), "after": place_detail(self, &stored)}),
        ))
        .await?;
        tx.commit().await?;
        self.request_indicator_refresh("place");
        Ok(stored)
    }

    /// Removes the bureau's override of an applicant: its patents are placed by the derived rule again.
    pub async fn clear_applicant_place(&self, actor: &Actor, name: &str) -> Result<StoredPlace> {
        actor.authorise(Permission::ManageIndicators)?;
        let name_norm = normalise_name(name);
        let mut tx = self.db.begin().await?;
        let before = tx.place(&name_norm).await?.ok_or(ServiceError::NotFound)?;
        tx.delete_place(&name_norm).await?;
        tx.append_audit(&actor.audit(
            Action::PlaceClear,
            "applicant_place",
            &name_norm,
            Outcome::Success,
            json!({"before": place_detail(self, &before)}),
        ))
        .await?;
        tx.commit().await?;
        self.request_indicator_refresh("place");
        Ok(before)
    }
}
