//! Integration tests of palisade-scan.

mod accuracy;
mod classes;
mod git;
mod rules;
mod grouped;
mod personal_data;
mod scan;
mod tool_configs;
mod vetoes;
