//! The Docker driver (placeholder).
