//! Who answers for a path: the owning service, its owners and escalation.
