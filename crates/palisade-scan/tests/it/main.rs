//! Integration tests of palisade-scan.

mod accuracy;
mod classes;
mod git;
mod rules;
mod grouped;
mod scan;
mod tool_configs;
mod vetoes;
