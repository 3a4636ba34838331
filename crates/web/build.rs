//! Compresses the vendored ECharts library (1.1 MB) with gzip once, at build time, into `OUT_DIR`;
//! `src/assets.rs` embeds both forms and answers with the compressed one when the browser accepts gzip.
//!
//! Why at build time rather than at the first request: the work is done once per build instead of once per
//! process start, the first visitor of a dashboard never waits for it, no lock or lazily-initialised state is
//! needed on the request path, and the bytes served are the same on every run of a binary. The cost is
//! ~370 KB more in the binary, which already embeds everything the intranet pages need.

use std::io::Write;
use std::path::PathBuf;
use std::{env, fs};

use flate2::Compression;
use flate2::write::GzEncoder;

fn main() {
    let source = "static/echarts.min.js";
    println!("cargo::rerun-if-changed={source}");
    let plain = fs::read(source).unwrap_or_else(|e| panic!("reading {source}: {e}"));
    let mut encoder = GzEncoder::new(Vec::with_capacity(plain.len() / 2), Compression::best());
    encoder.write_all(&plain).unwrap_or_else(|e| panic!("compressing {source}: {e}"));
    let gzipped = encoder.finish().unwrap_or_else(|e| panic!("compressing {source}: {e}"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR")).join("echarts.min.js.gz");
    fs::write(&out, gzipped).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
