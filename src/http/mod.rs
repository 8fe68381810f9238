//! HTTP/1.1 without I/O: request rendering (once per run) and response framing (fed bytes).
pub mod capture;
mod chunked;
pub mod limits;
pub mod request;
pub mod response;
