//! `smart-sessions key`: encrypted keystores (create one with a random key, print a key's
//! address).

use super::{
    NetError, Res, Usage,
    keys::{KeyOptions, password},
};
use alloy_signer_local::PrivateKeySigner;
use clap::{Args, ValueEnum};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// What `key` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum KeyAction {
    /// Create a keystore with a new random key.
    New,
    /// Print the address of a keystore's key.
    Address,
}

/// The arguments of `key`.
#[derive(Args, Debug)]
pub struct KeyCmd {
    /// What to do with the keystore file.
    #[arg(value_enum)]
    pub action: KeyAction,
    /// The encrypted keystore (JSON) file: the one `new` creates, or the one `address` reads.
    #[arg(long, value_name = "FILE")]
    pub keystore: PathBuf,
    /// The keystore password, and whether a private key on the command line is accepted.
    #[command(flatten)]
    pub keys: KeyOptions,
}

/// Runs `key`.
pub(crate) fn run(c: &KeyCmd) -> Res<Value> {
    let keystore = &c.keystore;
    match c.action {
        KeyAction::New => {
            let dir = keystore.parent().filter(|p| !p.as_os_str().is_empty());
            let dir = dir.unwrap_or_else(|| Path::new("."));
            let name = keystore.file_name().and_then(|n| n.to_str()).ok_or_else(|| {
                NetError::Usage(Usage::KeystoreNotAFile { path: keystore.clone() })
            })?;
            if !dir.is_dir() {
                return Err(NetError::Usage(Usage::KeystoreDirMissing {
                    path: keystore.clone(),
                    dir: dir.to_path_buf(),
                }));
            }
            if keystore.exists() {
                return Err(NetError::Usage(Usage::KeystoreExists { path: keystore.clone() }));
            }
            let password = password(&c.keys)?;
            if password.is_empty() {
                return Err(NetError::Usage(Usage::EmptyPassword));
            }
            let (signer, _) =
                PrivateKeySigner::new_keystore(dir, &mut rand::thread_rng(), password, Some(name))
                    .map_err(|source| NetError::Keystore {
                        role: "new",
                        path: keystore.clone(),
                        source,
                    })?;
            Ok(json!({ "address": signer.address(), "keystore": keystore }))
        }
        KeyAction::Address => {
            let signer = PrivateKeySigner::decrypt_keystore(keystore, password(&c.keys)?).map_err(
                |source| NetError::Keystore { role: "the", path: keystore.clone(), source },
            )?;
            Ok(json!({ "address": signer.address() }))
        }
    }
}
