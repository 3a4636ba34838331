//! Roadshows (路演), registrations and one-on-one follow-up projects.
