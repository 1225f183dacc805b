//! The Cedar schema, policies and entities generated from the model, and decisions.
