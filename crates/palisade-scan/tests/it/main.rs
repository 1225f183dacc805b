//! Integration tests of palisade-scan.

mod rules;
mod scan;
