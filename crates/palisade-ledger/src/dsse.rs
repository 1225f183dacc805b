//! DSSE (Dead Simple Signing Envelope) v1: pre-authentication encoding, signing with the ledger key, verification against pinned keys.
