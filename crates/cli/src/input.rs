//! Bounded reading of everything the CLI reads: files (or standard input for `-`) up to a size
//! limit, checked to be UTF-8, and errors that name the flag, the path and the limit.
//!
//! ```
//! use smart_sessions_cli::input::{InputError, read_text};
//! let err = read_text(std::path::Path::new("/"), "--request", 1024).unwrap_err();
//! assert!(matches!(err, InputError::IsDirectory { .. }));
//! assert_eq!(err.to_string(), "--request /: is a directory, not a file");
//! ```

use std::{
    fs::File,
    io::{self, Read},
    path::{Path, PathBuf},
};

/// Largest JSON file read by any command (policy config, session request, session details,
/// deployment table, enable data, session): 4 MiB.
pub const MAX_JSON_FILE: u64 = 4 << 20;

/// Largest password file: 4 KiB.
pub const MAX_PASSWORD_FILE: u64 = 4 << 10;

/// Why an input could not be read.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    /// The file could not be opened.
    #[error("{flag} {}: cannot open: {source}", path.display())]
    Open {
        /// The flag or argument naming the file.
        flag: &'static str,
        /// The path that could not be opened, as given with the flag.
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: io::Error,
    },
    /// The path is a directory.
    #[error("{flag} {}: is a directory, not a file", path.display())]
    IsDirectory {
        /// The flag or argument naming the file.
        flag: &'static str,
        /// The path given with the flag, which names a directory.
        path: PathBuf,
    },
    /// Reading failed.
    #[error("{flag} {}: cannot read: {source}", path.display())]
    Read {
        /// The flag or argument naming the file.
        flag: &'static str,
        /// The path whose reading failed, as given (`-` for standard input).
        path: PathBuf,
        /// The system's reason.
        #[source]
        source: io::Error,
    },
    /// The input is larger than the limit.
    #[error("{flag} {}: larger than the limit of {limit} bytes", path.display())]
    TooLarge {
        /// The flag or argument naming the file.
        flag: &'static str,
        /// The path given (`-` for standard input).
        path: PathBuf,
        /// The caller's size limit in bytes (e.g. [`MAX_JSON_FILE`]); the input holds more.
        limit: u64,
    },
    /// The input is not UTF-8 text.
    #[error("{flag} {}: not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 {
        /// The flag or argument naming the file.
        flag: &'static str,
        /// The path whose content is not UTF-8, as given (`-` for standard input).
        path: PathBuf,
        /// Offset of the first invalid byte.
        offset: usize,
    },
}

/// Opens `path` for reading (`-`: standard input), refusing directories.
pub fn open(path: &Path, flag: &'static str) -> Result<Box<dyn Read>, InputError> {
    if path.as_os_str() == "-" {
        return Ok(Box::new(io::stdin()));
    }
    let file = File::open(path).map_err(|source| InputError::Open {
        flag,
        path: path.to_path_buf(),
        source,
    })?;
    let meta = file.metadata().map_err(|source| InputError::Read {
        flag,
        path: path.to_path_buf(),
        source,
    })?;
    if meta.is_dir() {
        return Err(InputError::IsDirectory { flag, path: path.to_path_buf() });
    }
    Ok(Box::new(file))
}

/// Reads at most `limit` bytes of UTF-8 text from `path` (`-`: standard input); a larger input
/// is refused without reading more than `limit + 1` bytes.
pub fn read_text(path: &Path, flag: &'static str, limit: u64) -> Result<String, InputError> {
    let reader = open(path, flag)?;
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes).map_err(|source| InputError::Read {
        flag,
        path: path.to_path_buf(),
        source,
    })?;
    if bytes.len() as u64 > limit {
        return Err(InputError::TooLarge { flag, path: path.to_path_buf(), limit });
    }
    String::from_utf8(bytes).map_err(|e| InputError::NotUtf8 {
        flag,
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to(),
    })
}
