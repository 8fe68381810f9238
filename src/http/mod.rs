//! HTTP/1.1 without I/O: request rendering (once per run) and response framing (fed bytes).
mod chunked;
pub mod request;
pub mod response;
