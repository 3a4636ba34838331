//! Inventory record and review pages.
