//! Readers and writers of the files ipbridge users have: CNIPA and commercial-database exports (xlsx, csv),
//! JSONL, the platform's own import templates, the report of rejected rows, and xlsx export of any list.
//!
//! An import runs: [`read_table`] → [`PatentColumns::from_headers`] (once per file) → [`map_patent_row`] per
//! row → accepted records, or rejected rows with [`format_reason`] → [`rejected_rows_xlsx`]. Every input row
//! ends accepted or rejected with a reason; none is dropped.

pub mod columns;
pub mod demands;
pub mod export;
pub mod indicator_inputs;
pub mod inventory;
pub mod patents;
pub mod read;
pub mod report;
pub mod stream;
pub mod template;

pub use columns::{
    ERROR_REASON_COLUMN, FieldAliases, ORG_ALIASES, OrgColumns, OrgField, PATENT_ALIASES, PatentColumns, PatentField,
    TableField, normalise_header,
};
pub use demands::{DemandCell, DemandColumns, DemandField, DemandRow, demand_template_xlsx, map_demand_row};
pub use export::{Cell, ExportError, Table};
pub use inventory::{InventoryCell, InventoryColumns, InventoryRow, inventory_template_xlsx, map_inventory_row};
pub use patents::{CellError, OrgRow, map_org_row, map_patent_row};
pub use read::{Format, RAW_LINE_COLUMN, RawRow, RawTable, ReadError, read_table};
pub use report::{format_reason, rejected_rows_xlsx};
pub use stream::{TablePart, stream_table};
pub use template::{org_template_xlsx, patent_template_xlsx};
