//! Integration tests of palisade-scan.

mod accuracy;
mod rules;
mod scan;
