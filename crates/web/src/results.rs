//! Results a page shows once after a POST, kept in memory for a short while.
//!
//! A demand import answers with counts and, when rows were refused, an xlsx of those rows. The service
//! returns both from the call and keeps neither; rather than stream the file back in place of a page (the
//! clerk would never see the counts) or embed megabytes of base64 in the HTML, the web layer keeps the outcome
//! here under a random token bound to the account that uploaded, redirects to a result page (post-redirect-get)
//! and serves the report from it. Entries expire after an hour and at most a few dozen are kept: a restart or
//! an expiry only means uploading the file again, which adds nothing twice (duplicates are recognised).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ipbridge_domain::ids::UserId;

/// How long a result stays available.
const TTL: Duration = Duration::from_secs(60 * 60);
/// Most results kept at once (the oldest goes first).
const CAPACITY: usize = 64;

struct Entry<T> {
    token: String,
    owner: UserId,
    at: Instant,
    value: Arc<T>,
}

/// Short-lived results, each visible only to the account that produced it.
pub struct ResultStore<T> {
    entries: Mutex<VecDeque<Entry<T>>>,
}

impl<T> Default for ResultStore<T> {
    fn default() -> Self {
        Self { entries: Mutex::new(VecDeque::new()) }
    }
}

impl<T> std::fmt::Debug for ResultStore<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultStore").finish_non_exhaustive()
    }
}

impl<T> ResultStore<T> {
    /// Keeps `value` for `owner`; returns the token that finds it again.
    pub fn put(&self, owner: UserId, value: T) -> String {
        let token = ipbridge_service::auth::random_token(16);
        let mut entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.retain(|e| e.at.elapsed() < TTL);
        while entries.len() >= CAPACITY {
            entries.pop_front();
        }
        entries.push_back(Entry { token: token.clone(), owner, at: Instant::now(), value: Arc::new(value) });
        token
    }

    /// The value under `token` if it is `owner`'s and has not expired.
    pub fn get(&self, owner: UserId, token: &str) -> Option<Arc<T>> {
        let entries = self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.iter().find(|e| e.token == token && e.owner == owner && e.at.elapsed() < TTL).map(|e| e.value.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_result_is_only_its_owners_and_the_oldest_make_room() {
        let store = ResultStore::default();
        let me = UserId::new(1);
        let token = store.put(me, "report");
        assert_eq!(store.get(me, &token).as_deref(), Some(&"report"));
        assert!(store.get(UserId::new(2), &token).is_none(), "another account cannot read it");
        assert!(store.get(me, "guess").is_none());
        for _ in 0..CAPACITY {
            store.put(me, "more");
        }
        assert!(store.get(me, &token).is_none(), "the oldest was dropped");
    }
}
