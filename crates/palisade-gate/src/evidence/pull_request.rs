//! Evidence reader: pull_request.
