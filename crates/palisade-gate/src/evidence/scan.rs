//! Evidence reader: scan.
