//! Stock-patent revitalisation (存量专利盘活, measure 1): the workflows of `docs/revitalisation.md` with their
//! permission and object checks and audit records.

pub mod campaigns;
pub mod coverage;
pub mod deals;
pub mod inquiries;
pub mod inventory;
pub mod pool;
pub mod roadshows;
