//! Which patents are the city's, and which county's, by the first applicant: the bureau's override for its
//! name; else the organisation it is linked to (the city's: its county, or the address's when it has none);
//! else a province code of another province rules the city out; else a county or the city named in its
//! address. The rule and its outcome are shown to users, so each answer says why.

use serde::{Deserialize, Serialize};

use crate::policy::Policy;

/// What placed a patent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceBasis {
    /// The bureau's decision for the first applicant.
    Override,
    /// The organisation the first applicant is linked to, with its county.
    Org,
    /// The first applicant's address names the city or one of its counties.
    Address,
    /// The province code is another province's.
    ProvinceCode,
    /// Nothing places it in the city.
    None,
}

impl PlaceBasis {
    /// Every basis.
    pub const ALL: [PlaceBasis; 5] =
        [PlaceBasis::Override, PlaceBasis::Org, PlaceBasis::Address, PlaceBasis::ProvinceCode, PlaceBasis::None];

    /// Stable code.
    pub const fn code(self) -> &'static str {
        match self {
            PlaceBasis::Override => "override",
            PlaceBasis::Org => "org",
            PlaceBasis::Address => "address",
            PlaceBasis::ProvinceCode => "province_code",
            PlaceBasis::None => "none",
        }
    }

    /// Chinese label.
    pub const fn label(self) -> &'static str {
        match self {
            PlaceBasis::Override => "人工指定",
            PlaceBasis::Org => "关联机构",
            PlaceBasis::Address => "申请人地址",
            PlaceBasis::ProvinceCode => "国省代码",
            PlaceBasis::None => "无法归属本市",
        }
    }

    /// The basis of a stored code.
    pub fn from_code(code: &str) -> Option<PlaceBasis> {
        PlaceBasis::ALL.into_iter().find(|b| b.code() == code)
    }
}

/// The bureau's override for an applicant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaceOverride {
    /// Whether the applicant's patents are the city's.
    pub in_city: bool,
    /// The county, when in the city and known.
    pub county_code: Option<String>,
}

/// What the rule reads of a patent.
#[derive(Debug, Clone, Default)]
pub struct PlaceInput<'a> {
    /// The override for the first applicant, if the bureau set one.
    pub override_place: Option<&'a PlaceOverride>,
    /// The name and county of the organisation the first applicant is linked to, if any.
    pub org: Option<(&'a str, Option<&'a str>)>,
    /// The first applicant's address.
    pub address: &'a str,
    /// The two-digit province code of the record.
    pub province_code: Option<&'a str>,
}

/// Where a patent counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// In the city.
    pub in_city: bool,
    /// The county, when known.
    pub county_code: Option<String>,
    /// Which rule decided.
    pub basis: PlaceBasis,
    /// What the rule matched (organisation name, address fragment, code), for pages.
    pub detail: String,
}

/// The attribution rule with the city's names prepared once.
#[derive(Debug, Clone)]
pub struct PlaceRule {
    city_names: Vec<String>,
    province_code: String,
    /// (name or alias, county code), longest first so 安康高新技术产业开发区 wins over 安康.
    county_names: Vec<(String, String)>,
}

impl PlaceRule {
    /// The rule of a policy: the city's full name, its province (the first two digits of its division code),
    /// and every county's name and aliases. The short name (安康) is not used alone: streets and shops of
    /// other cities carry it (北京市…安康路).
    pub fn new(policy: &Policy) -> Self {
        let mut county_names: Vec<(String, String)> = Vec::new();
        for c in &policy.counties {
            county_names.push((c.name.clone(), c.code.clone()));
            for alias in &c.aliases {
                county_names.push((alias.clone(), c.code.clone()));
            }
        }
        county_names.sort_by(|a, b| b.0.chars().count().cmp(&a.0.chars().count()).then(a.0.cmp(&b.0)));
        PlaceRule {
            city_names: vec![policy.city.name.clone()],
            province_code: policy.city.division_code.chars().take(2).collect(),
            county_names,
        }
    }

    /// The county or city an address names, with the name matched.
    fn in_address(&self, address: &str) -> Option<(Option<String>, String)> {
        let address: String = address.chars().filter(|c| !c.is_whitespace()).collect();
        if address.is_empty() {
            return None;
        }
        if let Some((name, code)) = self.county_names.iter().find(|(name, _)| address.contains(name.as_str())) {
            return Some((Some(code.clone()), name.clone()));
        }
        self.city_names.iter().find(|n| address.contains(n.as_str())).map(|n| (None, n.clone()))
    }

    /// Places one patent: the override; else the first applicant's linked organisation (its county, or
    /// the address's when it has none); else a province code of another province rules the city out; else
    /// the address.
    pub fn place(&self, input: &PlaceInput<'_>) -> Place {
        if let Some(o) = input.override_place {
            return Place {
                in_city: o.in_city,
                county_code: if o.in_city { o.county_code.clone() } else { None },
                basis: PlaceBasis::Override,
                detail: String::new(),
            };
        }
        let from_address = self.in_address(input.address);
        if let Some((name, county)) = input.org {
            return match (county, from_address) {
                (Some(county), _) => Place {
                    in_city: true,
                    county_code: Some(county.to_owned()),
                    basis: PlaceBasis::Org,
                    detail: name.to_owned(),
                },
                // A platform organisation is the city's; without a county, the address may still tell it.
                (None, Some((Some(county), matched))) => {
                    Place { in_city: true, county_code: Some(county), basis: PlaceBasis::Address, detail: matched }
                }
                (None, _) => {
                    Place { in_city: true, county_code: None, basis: PlaceBasis::Org, detail: name.to_owned() }
                }
            };
        }
        if let Some(code) = input.province_code
            && code != self.province_code
        {
            return Place {
                in_city: false,
                county_code: None,
                basis: PlaceBasis::ProvinceCode,
                detail: code.to_owned(),
            };
        }
        match from_address {
            Some((county_code, matched)) => {
                Place { in_city: true, county_code, basis: PlaceBasis::Address, detail: matched }
            }
            None => Place { in_city: false, county_code: None, basis: PlaceBasis::None, detail: String::new() },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Policy;

    fn rule() -> PlaceRule {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../policy/ankang-2024.toml")).unwrap();
        PlaceRule::new(&Policy::from_toml_str(&text).unwrap())
    }

    #[test]
    fn the_override_wins_then_the_organisation_then_the_address() {
        let rule = rule();
        let outside = PlaceOverride { in_city: false, county_code: None };
        let input = PlaceInput {
            override_place: Some(&outside),
            org: Some(("安康职业技术学院", Some("610902"))),
            address: "陕西省安康市汉滨区",
            province_code: Some("61"),
        };
        let p = rule.place(&input);
        assert_eq!((p.in_city, p.basis), (false, PlaceBasis::Override));
        let p = rule.place(&PlaceInput { override_place: None, ..input.clone() });
        assert_eq!(
            (p.county_code.as_deref(), p.basis, p.detail.as_str()),
            (Some("610902"), PlaceBasis::Org, "安康职业技术学院")
        );
        let p = rule.place(&PlaceInput {
            override_place: None,
            org: Some(("某公司", None)),
            address: "陕西省安康市平利县城关镇",
            province_code: Some("61"),
        });
        assert_eq!(
            (p.county_code.as_deref(), p.basis, p.detail.as_str()),
            (Some("610926"), PlaceBasis::Address, "平利县")
        );
    }

    #[test]
    fn the_city_without_a_county_and_other_places() {
        let rule = rule();
        let p = rule.place(&PlaceInput {
            address: "安康市育才路 9 号",
            province_code: Some("61"),
            ..PlaceInput::default()
        });
        assert_eq!((p.in_city, p.county_code, p.basis), (true, None, PlaceBasis::Address));
        let p = rule.place(&PlaceInput {
            address: "陕西省西安市雁塔区",
            province_code: Some("61"),
            ..PlaceInput::default()
        });
        assert_eq!((p.in_city, p.basis), (false, PlaceBasis::None));
        let p = rule.place(&PlaceInput { address: "", province_code: Some("41"), ..PlaceInput::default() });
        assert_eq!((p.in_city, p.basis, p.detail.as_str()), (false, PlaceBasis::ProvinceCode, "41"));
        // A development zone found by its alias, before the city's own name.
        let p = rule.place(&PlaceInput { address: "陕西省安康高新区科技大道", ..PlaceInput::default() });
        assert_eq!((p.county_code.as_deref(), p.basis), (Some("6109A1"), PlaceBasis::Address), "{p:?}");
    }
}
