//! Integration tests of palisade-scan.

mod accuracy;
mod git;
mod rules;
mod scan;
mod vetoes;
