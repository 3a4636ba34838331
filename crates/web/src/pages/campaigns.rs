//! Push campaign pages.
