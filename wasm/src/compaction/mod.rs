//! Compaction: which entries survive a rewrite, and (in `picker`/`job`) which files to rewrite.

pub mod collapse;
pub mod filter;
pub mod ttl;

pub use filter::{CompactionFilter, FilterDecision};
pub use ttl::{StateTtlFilter, TtlLayout};
