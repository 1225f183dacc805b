//! The SSH certificate authority: user certificates and the key revocation list.
