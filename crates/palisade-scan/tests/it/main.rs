//! Integration tests of palisade-scan.

mod accuracy;
mod classes;
mod git;
mod grouped;
mod personal_data;
mod rules;
mod scan;
mod tool_configs;
mod vetoes;
