//! Secrets at rest, sealed with AES-256-GCM.
