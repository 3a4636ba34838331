//! Inquiry pages.
