//! Public pool pages.
