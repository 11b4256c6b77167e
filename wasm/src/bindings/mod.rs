//! The wasm32 boundary: the host's file system imported from JavaScript ([`host_vfs`]), the
//! database exported to it ([`database`]). Compiled for wasm32 (and under clippy, so the lints
//! cover it too).

mod database;
mod host_vfs;
mod js_error;
mod open_options;
mod report;
