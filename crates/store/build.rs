//! Rebuilds the crate when a migration is added or changed: `sqlx::migrate!` embeds the folder at compile time,
//! and without this a new `.sql` file would not reach the binary until some Rust file of the crate changed.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
