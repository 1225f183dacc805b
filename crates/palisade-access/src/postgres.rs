//! Temporary PostgreSQL login roles for grants.
