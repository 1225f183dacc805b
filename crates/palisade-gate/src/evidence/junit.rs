//! Evidence reader: junit.
