//! The demo's indicator inputs, entered by the demo bureau officer through the same use-cases as the pages
//! (so each has its audit record): monthly trademark and geographical-indication statistics per county from
//! January 2024 to last month, three years of patent-intensive industry figures, and two award-winning
//! patents. The figures are fictional, shaped like a city of Ankang's size.

use chrono::NaiveDate;
use ipbridge_domain::indicators::Month;
use ipbridge_domain::patent::{LegalStatus, PatentType};
use ipbridge_domain::permission::Role;
use ipbridge_store::{PatentFilter, PatentSort};

use crate::indicators::awards::AwardForm;
use crate::indicators::stats::{CountyFigures, IntensiveForm, TrademarkMonthForm};
use crate::{Actor, App, Result};

/// The city's valid trademarks in January 2024 and the monthly growth: the target of 30,000 is passed in
/// the autumn of 2025.
const TRADEMARKS_START: i64 = 26_400;
const TRADEMARKS_PER_MONTH: i64 = 175;
/// Geographical-indication authorised users in January 2024 and their monthly growth.
const GI_START: i64 = 118;
const GI_PER_MONTH: i64 = 2;

impl App {
    /// Enters the demo's statistics and awards; returns how many months of statistics were written.
    pub(crate) async fn seed_demo_indicators(&self, today: NaiveDate) -> Result<usize> {
        let user = self.account_by_name(Role::BureauOfficer.code()).await?;
        let bureau = Actor::logged_in(user, "local", format!("demo-{}", crate::secrets::random_hex(6)));
        // Counties with a population share the city's figures by it; zones are counted in their districts.
        let counties: Vec<(&str, u64)> =
            self.policy.counties.iter().filter_map(|c| c.population.map(|p| (c.code.as_str(), p))).collect();
        let people: u64 = counties.iter().map(|(_, p)| p).sum::<u64>().max(1);
        let share =
            |total: i64, population: u64| (i128::from(total) * i128::from(population) / i128::from(people)) as i64;
        let last = Month::of(today).previous();
        let mut month = Month::new(2024, 1).unwrap_or(last);
        let mut months = 0;
        let mut step = 0;
        while month <= last {
            let trademarks = TRADEMARKS_START + TRADEMARKS_PER_MONTH * step;
            let gi = GI_START + GI_PER_MONTH * step;
            let rows = counties
                .iter()
                .map(|(code, population)| CountyFigures {
                    county_code: (*code).to_owned(),
                    valid_trademarks: share(trademarks, *population).to_string(),
                    gi_users: share(gi, *population).to_string(),
                })
                .collect();
            self.save_trademark_month(&bureau, &TrademarkMonthForm { month: month.to_string(), rows }).await?;
            months += 1;
            step += 1;
            month = month.next();
        }
        for (year, value_added, gdp) in
            [(2022, 812_000, 12_210_000), (2023, 893_000, 12_890_000), (2024, 981_000, 13_520_000)]
        {
            let form = IntensiveForm {
                year: year.to_string(),
                value_added_wan: value_added.to_string(),
                gdp_wan: gdp.to_string(),
                note: "演示数据（虚构）".to_owned(),
            };
            self.save_intensive_year(&bureau, &form).await?;
        }
        // Two of the demo's valid invention patents won a China Patent Award.
        let filter = PatentFilter {
            patent_type: Some(PatentType::Invention),
            legal_status: Some(LegalStatus::Granted),
            sort: PatentSort::default(),
            limit: 2,
            ..PatentFilter::default()
        };
        let winners = self.list_patents(&Actor::cli(), &filter).await?;
        for (patent, (grade, year)) in winners.patents.iter().zip([("优秀奖", 2024), ("银奖", 2025)]) {
            let form = AwardForm {
                application_no: patent.application_no.clone(),
                award: "中国专利奖".to_owned(),
                grade: grade.to_owned(),
                year: year.to_string(),
                note: "演示数据（虚构）".to_owned(),
            };
            self.record_award(&bureau, &form).await?;
        }
        Ok(months)
    }
}
