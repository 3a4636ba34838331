//! Pure types and rules of ipbridge: identifiers, organisations, accounts and permissions, the audit
//! chain, money and the city's policy. No I/O and no async here, so every rule is unit-testable.

pub mod account;
pub mod audit;
pub mod calendar;
pub mod credit_code;
pub mod demand;
pub mod ids;
pub mod indicators;
pub mod matching;
pub mod money;
pub mod notification;
pub mod org;
pub mod password;
pub mod patent;
pub mod permission;
pub mod policy;
pub mod revitalisation;

pub use credit_code::CreditCode;
pub use money::Money;
pub use permission::{Permission, Role};
