//! The single libpg_query entry point strata-sql calls directly.
//!
//! `pg_query::split_with_parser` returns only the message of a syntax error and
//! drops `cursorpos`, the position PostgreSQL reports with it; it also slices
//! the input in a way that can panic on non-UTF-8 boundaries. The static
//! library is already linked through the `pg_query` crate (this crate calls
//! `pg_query::parse` and `pg_query::scan_tokens`), so we declare the two
//! functions we need here, with `#[repr(C)]` mirrors of the structs in
//! `libpg_query/pg_query.h`, and copy everything out before freeing.

#![expect(
    unsafe_code,
    reason = "calling libpg_query's C API to get the syntax error position that the pg_query crate drops"
)]

use std::ffi::{CStr, c_char, c_int};

/// Mirror of `PgQueryError` in `pg_query.h`.
#[repr(C)]
struct PgQueryError {
    message: *mut c_char,
    funcname: *mut c_char,
    filename: *mut c_char,
    lineno: c_int,
    cursorpos: c_int,
    context: *mut c_char,
}

/// Mirror of `PgQuerySplitStmt` in `pg_query.h`.
#[repr(C)]
struct PgQuerySplitStmt {
    stmt_location: c_int,
    stmt_len: c_int,
}

/// Mirror of `PgQuerySplitResult` in `pg_query.h`.
#[repr(C)]
struct PgQuerySplitResult {
    stmts: *mut *mut PgQuerySplitStmt,
    n_stmts: c_int,
    stderr_buffer: *mut c_char,
    error: *mut PgQueryError,
}

unsafe extern "C" {
    fn pg_query_split_with_parser(input: *const c_char) -> PgQuerySplitResult;
    fn pg_query_free_split_result(result: PgQuerySplitResult);
}

/// A parse error as libpg_query reports it.
#[derive(Debug)]
pub(crate) struct RawError {
    pub(crate) message: String,
    /// 1-based position in characters of the input; 0 when unknown.
    pub(crate) cursorpos: i32,
}

/// Runs PostgreSQL's raw parser over `input` and returns, for each statement,
/// its byte location and length as libpg_query reports them (the length runs
/// to the end of the input for the last statement when it has no semicolon).
pub(crate) fn split_with_parser(input: &CStr) -> Result<Vec<(usize, usize)>, RawError> {
    // SAFETY: `input` is a valid NUL-terminated string that outlives the call;
    // the function only reads it and returns a struct by value.
    let result = unsafe { pg_query_split_with_parser(input.as_ptr()) };
    // Copy everything we need out of C memory before freeing it, so nothing
    // below the free can touch freed memory.
    let outcome = if result.error.is_null() {
        Ok(read_statements(&result))
    } else {
        // SAFETY: a non-null `error` points to a `PgQueryError` allocated by
        // libpg_query, alive until `pg_query_free_split_result` below.
        let error = unsafe { &*result.error };
        let message = if error.message.is_null() {
            String::from("syntax error")
        } else {
            // SAFETY: `message` is a NUL-terminated string owned by `error`.
            unsafe { CStr::from_ptr(error.message) }
                .to_string_lossy()
                .into_owned()
        };
        Err(RawError {
            message,
            cursorpos: error.cursorpos,
        })
    };
    // SAFETY: `result` came from `pg_query_split_with_parser` and is freed
    // exactly once; nothing borrowed from it is used after this line.
    unsafe { pg_query_free_split_result(result) };
    outcome
}

/// Copies the statement locations out of a successful split result, skipping
/// anything malformed (negative numbers, null entries) rather than trusting it.
fn read_statements(result: &PgQuerySplitResult) -> Vec<(usize, usize)> {
    let count = usize::try_from(result.n_stmts).unwrap_or(0);
    if count == 0 || result.stmts.is_null() {
        return Vec::new();
    }
    // SAFETY: on success libpg_query sets `stmts` to a malloc'ed array of
    // `n_stmts` pointers, alive until the result is freed by our caller.
    let pointers = unsafe { std::slice::from_raw_parts(result.stmts, count) };
    pointers
        .iter()
        .filter(|pointer| !pointer.is_null())
        .filter_map(|&pointer| {
            // SAFETY: each non-null entry points to a `PgQuerySplitStmt`
            // allocated by libpg_query and freed only with the result.
            let stmt = unsafe { &*pointer };
            let location = usize::try_from(stmt.stmt_location).ok()?;
            let len = usize::try_from(stmt.stmt_len).ok()?;
            Some((location, len))
        })
        .collect()
}
