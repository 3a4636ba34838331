//! Coverage pages.
