//! Evidence reader: reviews.
