//! One module per command: gather input, call the libraries, render.

pub mod baseline;
pub mod convert_downs;
pub mod init;
pub mod lint;
pub mod local;
pub mod log;
pub mod migrate;
pub mod new;
pub mod repair;
pub mod rollback;
pub mod status;
pub mod validate;
pub mod verify;
