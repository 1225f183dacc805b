//! SLSA Verification Summary Attestations of a verdict, in a signed DSSE envelope.
