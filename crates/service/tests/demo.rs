//! The demo data set on a real SQLite file: what the walk-through of stock-patent revitalisation starts from.

use ipbridge_domain::revitalisation::ReviewState;
use ipbridge_service::revitalisation::coverage::UnrecordedQuery;
use ipbridge_service::revitalisation::inventory::InventoryQuery;
use ipbridge_service::revitalisation::pool::PoolQuery;
use ipbridge_service::{Actor, App, Settings};

const PASSWORD: &str = "Demo#2026pass";

async fn as_account(app: &App, name: &str) -> Actor {
    let user = app.account_by_name(name).await.unwrap();
    Actor::logged_in(user, "127.0.0.1", "test")
}

#[tokio::test]
async fn the_demo_has_records_at_every_step_a_pool_a_deal_and_the_walk_through_patent_left_to_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::default();
    settings.server.data_dir = dir.path().to_owned();
    let app = App::open(settings, ipbridge_service::load_policy(None).unwrap()).await.unwrap();
    app.seed_demo(&Actor::cli(), Some(PASSWORD)).await.unwrap().unwrap();

    // The walk-through patent: in scope, not recorded, and the inventor's own.
    let inventor = as_account(&app, "inventor").await;
    let todo = app.unrecorded_patents(&inventor, &UnrecordedQuery::default()).await.unwrap();
    assert!(
        todo.patents.iter().any(|p| p.title == "一种富硒茶叶深加工工艺及富硒速溶茶粉的制备方法"),
        "the walk-through patent is not on the inventor's list: {:?}",
        todo.patents.iter().map(|p| &p.title).collect::<Vec<_>>()
    );

    // Records of the university at every step of the chain, for the bureau to see.
    let bureau = as_account(&app, "bureau_officer").await;
    let page = app.inventory_list(&bureau, &InventoryQuery::default()).await.unwrap();
    let count = |state: ReviewState| page.state_counts.iter().find(|(s, _)| *s == state).map_or(0, |(_, n)| *n);
    for state in [
        ReviewState::Draft,
        ReviewState::Submitted,
        ReviewState::FacultyApproved,
        ReviewState::BasePool,
        ReviewState::TransferablePool,
    ] {
        assert!(count(state) > 0, "no demo record in state {state:?}: {:?}", page.state_counts);
    }

    // The public pool, as an anonymous visitor sees it: the selenium-tea patents among others.
    let pool = app
        .list_pool(&Actor::anonymous("127.0.0.1", "test"), &PoolQuery { limit: 100, ..PoolQuery::default() })
        .await
        .unwrap();
    assert!(pool.total >= 4, "pool of {}", pool.total);
    assert!(pool.items.iter().filter(|i| i.entry.title.contains("富硒茶")).count() >= 2);

    // The licence deal counts in coverage: one converted patent and its amount for the university.
    let coverage = app.coverage(&bureau, None).await.unwrap();
    let city = coverage.city.expect("the bureau sees the city's figures");
    assert_eq!(city.converted, 1);
    assert_eq!(city.deals, 1);
    assert!(city.recorded >= 6 && city.recorded < city.in_scope, "{city:?}");
    assert!(city.transferable_pool >= 3, "{city:?}");
}
