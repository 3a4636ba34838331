//! The inventory record's content (盘点记录): transfer intent, already-implemented flag, the institution's
//! prospect self-grade, the non-confidential brief (problem solved, advantage, maturity as TRL, application
//! fields, route to market), the expected price range and the contact person.
//!
//! The same rules serve the form and the bulk xlsx import: [`InventoryInput`] holds the texts as typed,
//! [`InventoryInput::parse`] turns them into an [`InventoryContent`] or a list of field errors whose Display is
//! an import report's 错误原因. A draft may be incomplete; [`InventoryContent::check_complete`] is what
//! submitting requires.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::{FieldErrors, ReviewAction, checked_text};
use crate::credit_code::fold_full_width;
use crate::demand::ContactPhone;
use crate::money::Money;
use crate::org::UnknownCode;
use crate::policy::{ProspectGrade, RevitalisationRules};

/// Longest problem, advantage or route-to-market text, in characters.
pub const BRIEF_TEXT_MAX_CHARS: usize = 1000;
/// Longest application-fields text, in characters.
pub const FIELDS_TEXT_MAX_CHARS: usize = 200;
/// Longest contact name, in characters.
pub const CONTACT_NAME_MAX_CHARS: usize = 50;

/// What the holder wants to do with the patent (转化意愿).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TransferIntent {
    /// 转让.
    Assign,
    /// 许可.
    License,
    /// 自行实施.
    SelfImplement,
    /// 暂无转化意愿.
    None,
}

impl TransferIntent {
    /// Every intent, in form order.
    pub const ALL: [TransferIntent; 4] =
        [TransferIntent::Assign, TransferIntent::License, TransferIntent::SelfImplement, TransferIntent::None];

    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            TransferIntent::Assign => "assign",
            TransferIntent::License => "license",
            TransferIntent::SelfImplement => "self_implement",
            TransferIntent::None => "none",
        }
    }

    /// Chinese name shown to users.
    pub const fn label(self) -> &'static str {
        match self {
            TransferIntent::Assign => "转让",
            TransferIntent::License => "许可",
            TransferIntent::SelfImplement => "自行实施",
            TransferIntent::None => "暂无转化意愿",
        }
    }

    /// Reads a code or the Chinese name as spreadsheets write it (转让、专利许可、自行实施、暂无…).
    pub fn parse_loose(text: &str) -> Option<TransferIntent> {
        let key = fold(text).to_ascii_lowercase();
        if let Some(i) = Self::ALL.into_iter().find(|i| i.code() == key || i.label() == key) {
            return Some(i);
        }
        const SYNONYMS: &[(&str, TransferIntent)] = &[
            ("专利转让", TransferIntent::Assign),
            ("技术转让", TransferIntent::Assign),
            ("专利许可", TransferIntent::License),
            ("实施许可", TransferIntent::License),
            ("普通许可", TransferIntent::License),
            ("排他许可", TransferIntent::License),
            ("独占许可", TransferIntent::License),
            ("开放许可", TransferIntent::License),
            ("自实施", TransferIntent::SelfImplement),
            ("自主实施", TransferIntent::SelfImplement),
            ("暂无", TransferIntent::None),
            ("无", TransferIntent::None),
            ("不转化", TransferIntent::None),
            ("无意愿", TransferIntent::None),
        ];
        SYNONYMS.iter().find(|(s, _)| *s == key).map(|(_, i)| *i)
    }
}

impl FromStr for TransferIntent {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|m| m.code() == s).ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

impl fmt::Display for TransferIntent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// Technology readiness level (技术成熟度, TRL 1–9), after the nine levels of GB/T 22900.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Trl(u8);

impl Trl {
    /// Lowest level.
    pub const MIN: u8 = 1;
    /// Highest level.
    pub const MAX: u8 = 9;

    /// A level from 1 to 9.
    pub fn new(level: u8) -> Result<Trl, String> {
        if (Self::MIN..=Self::MAX).contains(&level) {
            Ok(Trl(level))
        } else {
            Err(format!("技术成熟度应为1–9级（TRL 1–9），实为{level}"))
        }
    }

    /// Reads `5`, `TRL5`, `TRL 5`, `5级`, full-width digits.
    pub fn parse(text: &str) -> Result<Trl, String> {
        let key = fold(text).to_ascii_uppercase();
        let key = key.strip_prefix("TRL").unwrap_or(&key);
        let key = key.strip_suffix('级').unwrap_or(key);
        let key = key.strip_prefix('-').unwrap_or(key);
        match key.parse::<u8>() {
            Ok(level) => Trl::new(level),
            Err(_) => Err(format!("技术成熟度“{}”格式不正确：应为1–9的数字，如 5 或 TRL5", text.trim())),
        }
    }

    /// The level, 1–9.
    pub const fn level(self) -> u8 {
        self.0
    }

    /// What the level means, in Chinese.
    pub const fn label(self) -> &'static str {
        match self.0 {
            1 => "发现基本原理",
            2 => "形成技术概念和方案",
            3 => "关键功能通过实验室验证",
            4 => "部件或样品通过实验室环境验证",
            5 => "样品在相关环境中验证",
            6 => "样机在相关环境中演示",
            7 => "样机在实际环境中演示",
            8 => "产品定型并通过测试",
            _ => "在实际应用中成功运行（已产业化）",
        }
    }

    /// Every level.
    pub fn all() -> impl Iterator<Item = Trl> {
        (Self::MIN..=Self::MAX).map(Trl)
    }
}

impl TryFrom<u8> for Trl {
    type Error = String;
    fn try_from(level: u8) -> Result<Self, Self::Error> {
        Trl::new(level)
    }
}

impl From<Trl> for u8 {
    fn from(t: Trl) -> u8 {
        t.0
    }
}

impl fmt::Display for Trl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TRL{}（{}）", self.0, self.label())
    }
}

/// A level of the institution's prospect self-grade (转化前景自评); the scale and its meanings are in the
/// policy file (`[[revitalisation.prospect_grades]]`), higher is better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ProspectLevel(u8);

impl ProspectLevel {
    /// A level the policy defines.
    pub fn new(level: u8, rules: &RevitalisationRules) -> Result<ProspectLevel, String> {
        if rules.prospect_grade(level).is_some() {
            Ok(ProspectLevel(level))
        } else {
            Err(format!("转化前景等级{level}不存在：{}", grades_text(rules)))
        }
    }

    /// Reads a level number (`3`), a grade's name (`B 有转化前景`) or its first word (`B`).
    pub fn parse(text: &str, rules: &RevitalisationRules) -> Result<ProspectLevel, String> {
        let key = fold(text);
        if let Ok(level) = key.parse::<u8>() {
            return ProspectLevel::new(level, rules);
        }
        let first_word = |g: &ProspectGrade| -> String {
            g.name.split_whitespace().next().map(fold).unwrap_or_default().to_ascii_uppercase()
        };
        rules
            .prospect_grades
            .iter()
            .find(|g| fold(&g.name) == key || first_word(g) == key.to_ascii_uppercase())
            .map(|g| ProspectLevel(g.level))
            .ok_or_else(|| format!("转化前景“{}”无法识别：{}", text.trim(), grades_text(rules)))
    }

    /// A stored level, as it was valid when written (a later policy may have fewer levels: the page then
    /// shows the number, see [`ProspectLevel::label`]).
    pub const fn from_stored(level: u8) -> ProspectLevel {
        ProspectLevel(level)
    }

    /// The level.
    pub const fn level(self) -> u8 {
        self.0
    }

    /// The policy's grade of this level, if it still exists.
    pub fn grade(self, rules: &RevitalisationRules) -> Option<&ProspectGrade> {
        rules.prospect_grade(self.0)
    }

    /// The grade's name, or `等级N` when the policy no longer defines it.
    pub fn label(self, rules: &RevitalisationRules) -> String {
        self.grade(rules).map_or_else(|| format!("等级{}", self.0), |g| g.name.clone())
    }
}

fn grades_text(rules: &RevitalisationRules) -> String {
    let mut grades: Vec<&ProspectGrade> = rules.prospect_grades.iter().collect();
    grades.sort_by_key(|g| std::cmp::Reverse(g.level));
    let names: Vec<&str> = grades.iter().map(|g| g.name.as_str()).collect();
    format!("应为{}之一，或等级数字1–{}", names.join("、"), rules.prospect_grades.len())
}

/// The expected price range (预期价格); both bounds optional (面议 when neither is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PriceRange {
    /// Lower bound.
    pub min: Option<Money>,
    /// Upper bound.
    pub max: Option<Money>,
}

impl PriceRange {
    /// Checks that the bounds are not negative and the lower is not above the upper.
    pub fn new(min: Option<Money>, max: Option<Money>) -> Result<PriceRange, String> {
        if min.is_some_and(Money::is_negative) || max.is_some_and(Money::is_negative) {
            return Err("预期价格不能为负数".to_owned());
        }
        if let (Some(lo), Some(hi)) = (min, max)
            && lo > hi
        {
            return Err(format!("预期价格下限 {lo} 高于上限 {hi}"));
        }
        Ok(PriceRange { min, max })
    }

    /// Neither bound given: the price is to be negotiated.
    pub const fn is_negotiable(&self) -> bool {
        self.min.is_none() && self.max.is_none()
    }
}

impl fmt::Display for PriceRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.min, self.max) {
            (None, None) => f.write_str("面议"),
            (Some(lo), None) => write!(f, "{lo}以上"),
            (None, Some(hi)) => write!(f, "{hi}以下"),
            (Some(lo), Some(hi)) if lo == hi => write!(f, "{lo}"),
            (Some(lo), Some(hi)) => write!(f, "{lo}–{hi}"),
        }
    }
}

/// Reads an amount as spreadsheets write it: yuan (`120000`, `12,000.50元`), 万元 (`12万`, `12.5万元`), or
/// 面议 / empty for none.
pub fn parse_price(text: &str) -> Result<Option<Money>, String> {
    let key = fold(text);
    if key.is_empty() || key == "面议" || key == "-" {
        return Ok(None);
    }
    let (number, wan) = match key.strip_suffix("万元").or_else(|| key.strip_suffix('万')) {
        Some(n) => (n, true),
        None => (key.as_str(), false),
    };
    let amount = Money::parse_yuan(number).map_err(|e| e.to_string())?;
    let amount = if wan {
        amount.fen().checked_mul(10_000).map(Money::from_fen).ok_or_else(|| "金额超出可表示范围".to_owned())?
    } else {
        amount
    };
    if amount.is_negative() {
        return Err("预期价格不能为负数".to_owned());
    }
    Ok(Some(amount))
}

/// The non-confidential brief (技术简介): what the public pool shows. Nothing here may disclose know-how.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PatentBrief {
    /// 解决的问题.
    pub problem_solved: String,
    /// 技术优势: the advantage over what exists.
    pub advantage: String,
    /// 技术成熟度.
    pub maturity: Option<Trl>,
    /// 应用领域.
    pub application_fields: String,
    /// 转化路径: how it reaches the market.
    pub route_to_market: String,
}

/// Who answers questions about the record (联系人).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InventoryContact {
    /// Name.
    pub name: String,
    /// Telephone.
    pub phone: Option<ContactPhone>,
}

/// The content of an inventory record, parsed and checked; a draft may leave fields empty.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InventoryContent {
    /// 转化意愿.
    pub transfer_intent: Option<TransferIntent>,
    /// 已实施: the holder already implements the patent itself. Once the institution approved the record the
    /// patent counts as converted (self-implemented) and leaves the scope.
    pub already_implemented: bool,
    /// 转化前景自评.
    pub prospect: Option<ProspectLevel>,
    /// 技术简介.
    pub brief: PatentBrief,
    /// 预期价格.
    pub price: PriceRange,
    /// 联系人.
    pub contact: InventoryContact,
}

impl InventoryContent {
    /// What submitting requires: intent, prospect, maturity, problem, advantage, application fields, route to
    /// market (unless there is no transfer intent) and a contact with a phone. The price may stay 面议.
    pub fn check_complete(&self) -> Result<(), FieldErrors> {
        let mut e = FieldErrors::default();
        let mut need = |field: InventoryField, missing: bool| {
            if missing {
                e.push(field.code(), field.label(), format!("提交审核前请填写{}", field.label()));
            }
        };
        need(InventoryField::TransferIntent, self.transfer_intent.is_none());
        need(InventoryField::ProspectGrade, self.prospect.is_none());
        need(InventoryField::Maturity, self.brief.maturity.is_none());
        need(InventoryField::ProblemSolved, self.brief.problem_solved.is_empty());
        need(InventoryField::Advantage, self.brief.advantage.is_empty());
        need(InventoryField::ApplicationFields, self.brief.application_fields.is_empty());
        need(
            InventoryField::RouteToMarket,
            self.brief.route_to_market.is_empty() && self.transfer_intent != Some(TransferIntent::None),
        );
        need(InventoryField::ContactName, self.contact.name.is_empty());
        need(InventoryField::ContactPhone, self.contact.phone.is_none());
        e.into_result(())
    }

    /// Whether anything but the contact person differs.
    pub fn content_differs(&self, other: &InventoryContent) -> bool {
        self.transfer_intent != other.transfer_intent
            || self.already_implemented != other.already_implemented
            || self.prospect != other.prospect
            || self.brief != other.brief
            || self.price != other.price
    }

    /// The action an edit from `self` to `new` amounts to: changing only the contact is
    /// [`ReviewAction::EditContact`] (allowed in every state), anything else [`ReviewAction::Edit`] (drafts only).
    pub fn edit_action(&self, new: &InventoryContent) -> ReviewAction {
        if self.content_differs(new) { ReviewAction::Edit } else { ReviewAction::EditContact }
    }
}

/// How a record was filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventorySource {
    /// 在线填报.
    Form,
    /// 批量导入 (the xlsx template).
    Import,
}

impl InventorySource {
    /// Stable code stored in the database.
    pub const fn code(self) -> &'static str {
        match self {
            InventorySource::Form => "form",
            InventorySource::Import => "import",
        }
    }

    /// Chinese name.
    pub const fn label(self) -> &'static str {
        match self {
            InventorySource::Form => "在线填报",
            InventorySource::Import => "批量导入",
        }
    }
}

impl FromStr for InventorySource {
    type Err = UnknownCode;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [InventorySource::Form, InventorySource::Import]
            .into_iter()
            .find(|m| m.code() == s)
            .ok_or_else(|| UnknownCode(s.to_owned()))
    }
}

/// A field of the inventory form and a column of the import template.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InventoryField {
    /// 申请号 (import only: which patent the row is about).
    ApplicationNo,
    /// 所属院系 (import only: a faculty name of the institution; the service resolves it).
    Faculty,
    /// 转化意愿.
    TransferIntent,
    /// 是否已实施.
    AlreadyImplemented,
    /// 转化前景自评.
    ProspectGrade,
    /// 技术成熟度.
    Maturity,
    /// 解决的问题.
    ProblemSolved,
    /// 技术优势.
    Advantage,
    /// 应用领域.
    ApplicationFields,
    /// 转化路径.
    RouteToMarket,
    /// 预期价格下限.
    PriceMin,
    /// 预期价格上限.
    PriceMax,
    /// 联系人.
    ContactName,
    /// 联系电话.
    ContactPhone,
    /// 所属产业链 (a chain code or name; the service resolves it).
    Chain,
}

impl InventoryField {
    /// Every field, in the import template's column order.
    pub const TEMPLATE: [InventoryField; 15] = [
        InventoryField::ApplicationNo,
        InventoryField::Faculty,
        InventoryField::TransferIntent,
        InventoryField::AlreadyImplemented,
        InventoryField::ProspectGrade,
        InventoryField::Maturity,
        InventoryField::ProblemSolved,
        InventoryField::Advantage,
        InventoryField::ApplicationFields,
        InventoryField::RouteToMarket,
        InventoryField::PriceMin,
        InventoryField::PriceMax,
        InventoryField::ContactName,
        InventoryField::ContactPhone,
        InventoryField::Chain,
    ];

    /// Stable code (form field names, error keys).
    pub const fn code(self) -> &'static str {
        match self {
            InventoryField::ApplicationNo => "application_no",
            InventoryField::Faculty => "faculty",
            InventoryField::TransferIntent => "transfer_intent",
            InventoryField::AlreadyImplemented => "already_implemented",
            InventoryField::ProspectGrade => "prospect_grade",
            InventoryField::Maturity => "maturity",
            InventoryField::ProblemSolved => "problem_solved",
            InventoryField::Advantage => "advantage",
            InventoryField::ApplicationFields => "application_fields",
            InventoryField::RouteToMarket => "route_to_market",
            InventoryField::PriceMin => "price_min",
            InventoryField::PriceMax => "price_max",
            InventoryField::ContactName => "contact_name",
            InventoryField::ContactPhone => "contact_phone",
            InventoryField::Chain => "chain",
        }
    }

    /// Chinese label: the form's label and the template's column header.
    pub const fn label(self) -> &'static str {
        match self {
            InventoryField::ApplicationNo => "申请号",
            InventoryField::Faculty => "所属院系",
            InventoryField::TransferIntent => "转化意愿",
            InventoryField::AlreadyImplemented => "是否已实施",
            InventoryField::ProspectGrade => "转化前景自评",
            InventoryField::Maturity => "技术成熟度",
            InventoryField::ProblemSolved => "解决的问题",
            InventoryField::Advantage => "技术优势",
            InventoryField::ApplicationFields => "应用领域",
            InventoryField::RouteToMarket => "转化路径",
            InventoryField::PriceMin => "预期价格下限（元）",
            InventoryField::PriceMax => "预期价格上限（元）",
            InventoryField::ContactName => "联系人",
            InventoryField::ContactPhone => "联系电话",
            InventoryField::Chain => "所属产业链",
        }
    }

    /// How to fill the column, for the template's note row (the prospect grades come from the policy).
    pub const fn hint(self) -> &'static str {
        match self {
            InventoryField::ApplicationNo => "必填，如 202310123456.7",
            InventoryField::Faculty => {
                "本单位院系名称；留空同填报表单的默认（新记录取关联发明人账号的院系，草稿不变）；填“不指定”由单位直接审核"
            }
            InventoryField::TransferIntent => "转让 / 许可 / 自行实施 / 暂无转化意愿",
            InventoryField::AlreadyImplemented => "是 / 否，空为否",
            InventoryField::ProspectGrade => "等级名称或数字，见政策文件的转化前景等级",
            InventoryField::Maturity => "1–9，如 5 或 TRL5",
            InventoryField::ProblemSolved => "不超过1000字，不含技术秘密",
            InventoryField::Advantage => "与现有技术相比的优势，不超过1000字",
            InventoryField::ApplicationFields => "不超过200字",
            InventoryField::RouteToMarket => "如 许可给生产企业、作价入股，不超过1000字",
            InventoryField::PriceMin | InventoryField::PriceMax => "元或万元（如 50万），可填“面议”或留空",
            InventoryField::ContactName => "必填",
            InventoryField::ContactPhone => "手机或带区号的固定电话",
            InventoryField::Chain => "产业链名称，可空",
        }
    }
}

/// The content as typed into the form or a template row, before parsing.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct InventoryInput {
    /// 转化意愿.
    pub transfer_intent: String,
    /// 是否已实施.
    pub already_implemented: String,
    /// 转化前景自评.
    pub prospect_grade: String,
    /// 技术成熟度.
    pub maturity: String,
    /// 解决的问题.
    pub problem_solved: String,
    /// 技术优势.
    pub advantage: String,
    /// 应用领域.
    pub application_fields: String,
    /// 转化路径.
    pub route_to_market: String,
    /// 预期价格下限.
    pub price_min: String,
    /// 预期价格上限.
    pub price_max: String,
    /// 联系人.
    pub contact_name: String,
    /// 联系电话.
    pub contact_phone: String,
}

impl InventoryInput {
    /// Parses every field, collecting every problem (a row is rejected once with all its reasons). Empty
    /// fields stay empty: a draft may be incomplete; submitting checks completeness.
    pub fn parse(&self, rules: &RevitalisationRules) -> Result<InventoryContent, FieldErrors> {
        use InventoryField as F;
        let mut e = FieldErrors::default();
        let mut field = |f: InventoryField, r: Result<(), String>| {
            if let Err(m) = r {
                e.push(f.code(), f.label(), m);
            }
        };
        let mut content = InventoryContent::default();
        let intent = fold(&self.transfer_intent);
        if !intent.is_empty() {
            match TransferIntent::parse_loose(&intent) {
                Some(i) => content.transfer_intent = Some(i),
                None => field(
                    F::TransferIntent,
                    Err(format!("“{}”无法识别：应为转让、许可、自行实施或暂无转化意愿", self.transfer_intent.trim())),
                ),
            }
        }
        match parse_yes_no(&self.already_implemented) {
            Some(b) => content.already_implemented = b,
            None => field(
                F::AlreadyImplemented,
                Err(format!("“{}”无法识别：应为“是”或“否”", self.already_implemented.trim())),
            ),
        }
        if !self.prospect_grade.trim().is_empty() {
            match ProspectLevel::parse(&self.prospect_grade, rules) {
                Ok(p) => content.prospect = Some(p),
                Err(m) => field(F::ProspectGrade, Err(m)),
            }
        }
        if !self.maturity.trim().is_empty() {
            match Trl::parse(&self.maturity) {
                Ok(t) => content.brief.maturity = Some(t),
                Err(m) => field(F::Maturity, Err(m)),
            }
        }
        let min = parse_price(&self.price_min);
        let max = parse_price(&self.price_max);
        match (min, max) {
            (Ok(lo), Ok(hi)) => match PriceRange::new(lo, hi) {
                Ok(p) => content.price = p,
                Err(m) => field(F::PriceMin, Err(m)),
            },
            (lo, hi) => {
                field(F::PriceMin, lo.map(|_| ()));
                field(F::PriceMax, hi.map(|_| ()));
            }
        }
        if !self.contact_phone.trim().is_empty() {
            match ContactPhone::parse(&self.contact_phone) {
                Ok(p) => content.contact.phone = Some(p),
                Err(m) => field(F::ContactPhone, Err(m.to_string())),
            }
        }
        let mut text = |f: InventoryField, value: &str, max: usize| -> String {
            checked_text(&mut e, f.code(), f.label(), value, max, false)
        };
        content.brief.problem_solved = text(F::ProblemSolved, &self.problem_solved, BRIEF_TEXT_MAX_CHARS);
        content.brief.advantage = text(F::Advantage, &self.advantage, BRIEF_TEXT_MAX_CHARS);
        content.brief.application_fields = text(F::ApplicationFields, &self.application_fields, FIELDS_TEXT_MAX_CHARS);
        content.brief.route_to_market = text(F::RouteToMarket, &self.route_to_market, BRIEF_TEXT_MAX_CHARS);
        content.contact.name = text(F::ContactName, &self.contact_name, CONTACT_NAME_MAX_CHARS);
        e.into_result(content)
    }

    /// Parses and checks completeness at once (what a submitted form or an import row that is submitted
    /// directly needs).
    pub fn parse_complete(&self, rules: &RevitalisationRules) -> Result<InventoryContent, FieldErrors> {
        let content = self.parse(rules)?;
        content.check_complete()?;
        Ok(content)
    }
}

/// Full-width folded and without whitespace.
fn fold(text: &str) -> String {
    text.chars().map(fold_full_width).filter(|c| !c.is_whitespace()).collect()
}

/// 是/否 as spreadsheets write it; empty is 否.
fn parse_yes_no(text: &str) -> Option<bool> {
    let key = fold(text).to_ascii_lowercase();
    match key.as_str() {
        "" | "否" | "未实施" | "没有" | "无" | "n" | "no" | "false" | "0" | "×" => Some(false),
        "是" | "已实施" | "有" | "y" | "yes" | "true" | "1" | "√" => Some(true),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{ANKANG_2024_TOML, Policy};

    fn rules() -> RevitalisationRules {
        match Policy::from_toml_str(ANKANG_2024_TOML) {
            Ok(p) => p.revitalisation,
            Err(e) => panic!("policy: {e}"),
        }
    }

    fn full_input() -> InventoryInput {
        InventoryInput {
            transfer_intent: "许可".into(),
            already_implemented: "否".into(),
            prospect_grade: "B".into(),
            maturity: "TRL 6".into(),
            problem_solved: "富硒茶叶加工中硒元素流失".into(),
            advantage: "硒保留率提高30%".into(),
            application_fields: "茶叶深加工".into(),
            route_to_market: "许可给本地茶企".into(),
            price_min: "20万".into(),
            price_max: "500,000".into(),
            contact_name: " 李老师 ".into(),
            contact_phone: "0915-3261234".into(),
        }
    }

    #[test]
    fn a_complete_row_parses() {
        let c = full_input().parse_complete(&rules()).unwrap();
        assert_eq!(c.transfer_intent, Some(TransferIntent::License));
        assert!(!c.already_implemented);
        assert_eq!(c.prospect.map(ProspectLevel::level), Some(3));
        assert_eq!(c.brief.maturity.map(Trl::level), Some(6));
        assert_eq!(c.price.min, Money::from_yuan(200_000));
        assert_eq!(c.price.max, Money::from_yuan(500_000));
        assert_eq!(c.contact.name, "李老师");
        assert_eq!(c.price.to_string(), "200,000.00元–500,000.00元");
    }

    #[test]
    fn every_problem_of_a_row_is_reported_at_once() {
        let input = InventoryInput {
            transfer_intent: "入股".into(),
            already_implemented: "也许".into(),
            prospect_grade: "Z".into(),
            maturity: "10".into(),
            price_min: "abc".into(),
            contact_phone: "12345".into(),
            problem_solved: "问".repeat(1001),
            ..full_input()
        };
        let e = input.parse(&rules()).unwrap_err();
        let fields: Vec<&str> = e.0.iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            [
                "transfer_intent",
                "already_implemented",
                "prospect_grade",
                "maturity",
                "price_min",
                "contact_phone",
                "problem_solved"
            ]
        );
        let line = e.to_string();
        assert!(line.starts_with("转化意愿：“入股”无法识别"), "{line}");
        assert!(line.contains("技术成熟度：技术成熟度应为1–9级"), "{line}");
        assert!(line.contains("A 近期可转化、B 有转化前景"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn drafts_may_be_incomplete_but_submitting_needs_everything() {
        let draft = InventoryInput { transfer_intent: "转让".into(), ..Default::default() }.parse(&rules()).unwrap();
        let missing = draft.check_complete().unwrap_err();
        let fields: Vec<&str> = missing.0.iter().map(|f| f.field).collect();
        assert_eq!(
            fields,
            [
                "prospect_grade",
                "maturity",
                "problem_solved",
                "advantage",
                "application_fields",
                "route_to_market",
                "contact_name",
                "contact_phone"
            ]
        );
        assert!(missing.to_string().starts_with("转化前景自评：提交审核前请填写转化前景自评"));
        // Without a transfer intent no route to market is asked for.
        let none = InventoryInput { transfer_intent: "暂无".into(), route_to_market: String::new(), ..full_input() };
        assert!(none.parse_complete(&rules()).is_ok());
    }

    #[test]
    fn prices_in_yuan_or_wan_and_negotiable() {
        assert_eq!(parse_price("面议"), Ok(None));
        assert_eq!(parse_price(""), Ok(None));
        assert_eq!(parse_price("12.5万元"), Ok(Money::from_yuan(125_000)));
        assert_eq!(parse_price("１２万"), Ok(Money::from_yuan(120_000)));
        assert_eq!(parse_price("8,000.50元"), Ok(Some(Money::from_fen(800_050))));
        assert!(parse_price("-5").is_err());
        assert!(parse_price("9999999999999999万").is_err());
        assert!(PriceRange::new(Money::from_yuan(9), Money::from_yuan(1)).is_err());
        let input = InventoryInput { price_min: "50万".into(), price_max: "10万".into(), ..full_input() };
        assert_eq!(input.parse(&rules()).unwrap_err().0[0].field, "price_min");
        assert_eq!(PriceRange::default().to_string(), "面议");
        assert_eq!(PriceRange { min: Money::from_yuan(1), max: None }.to_string(), "1.00元以上");
    }

    #[test]
    fn trl_and_prospect_and_intent_parsing() {
        for (text, level) in [("5", 5), ("TRL5", 5), ("trl 9", 9), ("３级", 3), ("TRL-1", 1)] {
            assert_eq!(Trl::parse(text).map(Trl::level), Ok(level), "{text}");
        }
        for bad in ["0", "10", "五", "TRL", ""] {
            assert!(Trl::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Trl::all().count(), 9);
        assert!(serde_json::from_str::<Trl>("12").is_err());
        assert_eq!(serde_json::from_str::<Trl>("4").map(Trl::level).ok(), Some(4));
        let r = rules();
        assert_eq!(ProspectLevel::parse("A 近期可转化", &r).map(ProspectLevel::level), Ok(4));
        assert_eq!(ProspectLevel::parse("ｄ", &r).map(ProspectLevel::level), Ok(1));
        assert_eq!(ProspectLevel::parse("2", &r).map(ProspectLevel::level), Ok(2));
        assert!(ProspectLevel::parse("5", &r).is_err());
        assert_eq!(ProspectLevel::from_stored(9).label(&r), "等级9");
        assert_eq!(ProspectLevel::from_stored(4).label(&r), "A 近期可转化");
        for i in TransferIntent::ALL {
            assert_eq!(TransferIntent::parse_loose(i.label()), Some(i));
            assert_eq!(i.code().parse::<TransferIntent>(), Ok(i));
        }
        assert_eq!(TransferIntent::parse_loose(" 独占许可 "), Some(TransferIntent::License));
        assert_eq!(TransferIntent::parse_loose("入股"), None);
        assert_eq!(parse_yes_no(" 是 "), Some(true));
        assert_eq!(parse_yes_no(""), Some(false));
        assert_eq!(parse_yes_no("maybe"), None);
    }

    #[test]
    fn contact_only_edits_are_told_apart() {
        let r = rules();
        let a = full_input().parse(&r).unwrap();
        let b = InventoryInput { contact_name: "王老师".into(), ..full_input() }.parse(&r).unwrap();
        let c = InventoryInput { maturity: "7".into(), ..full_input() }.parse(&r).unwrap();
        assert_eq!(a.edit_action(&b), ReviewAction::EditContact);
        assert_eq!(a.edit_action(&c), ReviewAction::Edit);
    }

    #[test]
    fn template_columns_are_unique_and_labelled() {
        let mut codes: Vec<&str> = InventoryField::TEMPLATE.iter().map(|f| f.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), InventoryField::TEMPLATE.len());
        for f in InventoryField::TEMPLATE {
            assert!(!f.label().is_empty() && !f.hint().is_empty());
        }
    }
}
