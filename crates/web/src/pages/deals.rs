//! Deal pages.
