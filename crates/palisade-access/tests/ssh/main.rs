//! The SSH certificate authority and sealed secrets, against real OpenSSH tools.
