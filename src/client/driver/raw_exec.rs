//! The raw_exec driver (placeholder).
