//! Evidence reader: approvals.
