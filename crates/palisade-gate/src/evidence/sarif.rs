//! Evidence reader: sarif.
