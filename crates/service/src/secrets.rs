//! Random tokens, the server key and keyed hashes (HMAC-SM3).

use hmac::{Hmac, KeyInit, Mac};
use ipbridge_store::{AuditStore, Db, SettingsStore, StoreError};
use rand::RngCore;
use sm3::{Digest, Sm3};

const KEY_SETTING: &str = "server_key";

/// `n` random bytes as lower-case hex, from the operating system's generator.
pub(crate) fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// SM3 of a text, hex: how session tokens are stored.
pub(crate) fn sm3_hex(text: &str) -> String {
    hex::encode(Sm3::digest(text.as_bytes()))
}

/// Reads the server key, creating it on first start. It signs CSRF tokens; it lives in the database so a
/// backup restores it and several processes on one data directory agree.
pub(crate) async fn load_or_create_key(db: &Db) -> Result<[u8; 32], StoreError> {
    let mut tx = db.begin().await?;
    let hex_key = match tx.setting(KEY_SETTING).await? {
        Some(k) => k,
        None => {
            let k = random_hex(32);
            tx.set_setting(KEY_SETTING, &k).await?;
            // The key itself never goes into the record.
            let system = crate::Actor::system();
            tx.append_audit(&system.audit(
                ipbridge_domain::audit::Action::ServerKeyCreate,
                "server_key",
                "",
                ipbridge_domain::audit::Outcome::Success,
                serde_json::json!({}),
            ))
            .await?;
            k
        }
    };
    tx.commit().await?;
    let bytes = hex::decode(&hex_key).map_err(|e| StoreError::Corrupt(format!("server key: {e}")))?;
    bytes.try_into().map_err(|_| StoreError::Corrupt("server key has the wrong length".into()))
}

fn mac(key: &[u8; 32], purpose: &str, message: &str) -> Hmac<Sm3> {
    let mut m = <Hmac<Sm3> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key length");
    m.update(purpose.as_bytes());
    m.update(b"\0");
    m.update(message.as_bytes());
    m
}

/// HMAC-SM3 of `message` for `purpose`, hex.
pub(crate) fn mac_hex(key: &[u8; 32], purpose: &str, message: &str) -> String {
    hex::encode(mac(key, purpose, message).finalize().into_bytes())
}

/// Constant-time check of a hex HMAC.
pub(crate) fn mac_verify(key: &[u8; 32], purpose: &str, message: &str, tag_hex: &str) -> bool {
    match hex::decode(tag_hex) {
        Ok(tag) => mac(key, purpose, message).verify_slice(&tag).is_ok(),
        Err(_) => false,
    }
}
