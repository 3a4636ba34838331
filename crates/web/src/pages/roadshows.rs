//! Roadshow and follow-up pages.
