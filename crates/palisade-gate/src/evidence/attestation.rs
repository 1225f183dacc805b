//! Evidence reader: attestation.
