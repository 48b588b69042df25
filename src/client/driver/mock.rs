//! A mock driver for unit tests (placeholder).
