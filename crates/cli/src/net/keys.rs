//! Where the signing keys come from: environment variables, encrypted keystores, or (only with
//! `--unsafe-key-on-command-line`) the command line. Errors name the source, never the value.

use super::{NetError, Res, Usage};
use alloy_signer_local::PrivateKeySigner;
use clap::Args;
use std::path::PathBuf;

/// A secret given on the command line: kept out of `Debug` output.
#[derive(Clone)]
pub struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_string()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Key handling options shared by the commands that sign.
#[derive(Args, Debug, Clone)]
pub struct KeyOptions {
    /// A file holding the keystore password (default: `$SMART_SESSIONS_KEYSTORE_PASSWORD`).
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,
    /// Accept `--owner-key`/`--session-key` on the command line (visible in shell history and
    /// the process list).
    #[arg(long)]
    pub unsafe_key_on_command_line: bool,
}

/// Where the owner's key comes from: `--owner-key` (with `--unsafe-key-on-command-line`), else
/// `--owner-keystore`, else the environment variable `--owner-key-env` names.
#[derive(Args, Debug, Clone)]
pub struct OwnerKey {
    /// Environment variable holding the owner's private key (hex).
    #[arg(long, default_value = "SMART_SESSIONS_OWNER_KEY", value_name = "VAR")]
    pub owner_key_env: String,
    /// The owner's encrypted keystore file (its password from `--password-file` or
    /// `$SMART_SESSIONS_KEYSTORE_PASSWORD`).
    #[arg(long, value_name = "FILE")]
    pub owner_keystore: Option<PathBuf>,
    /// The owner's private key itself (refused without `--unsafe-key-on-command-line`).
    #[arg(long, value_name = "HEX")]
    pub owner_key: Option<Secret>,
}

/// Where the session key comes from: `--session-key` (with `--unsafe-key-on-command-line`), else
/// `--session-keystore`, else the environment variable `--session-key-env` names.
#[derive(Args, Debug, Clone)]
pub struct SessionKey {
    /// Environment variable holding the session key (hex).
    #[arg(long, default_value = "SMART_SESSIONS_SESSION_KEY", value_name = "VAR")]
    pub session_key_env: String,
    /// The session key's encrypted keystore file (its password from `--password-file` or
    /// `$SMART_SESSIONS_KEYSTORE_PASSWORD`).
    #[arg(long, value_name = "FILE")]
    pub session_keystore: Option<PathBuf>,
    /// The session key itself (refused without `--unsafe-key-on-command-line`).
    #[arg(long, value_name = "HEX")]
    pub session_key: Option<Secret>,
}

/// The keystore password: `--password-file` or `$SMART_SESSIONS_KEYSTORE_PASSWORD`.
pub(crate) fn password(keys: &KeyOptions) -> Res<String> {
    if let Some(f) = &keys.password_file {
        let p = crate::input::read_text(f, "--password-file", crate::input::MAX_PASSWORD_FILE)?;
        return Ok(p.trim_end_matches(['\n', '\r']).to_string());
    }
    std::env::var("SMART_SESSIONS_KEYSTORE_PASSWORD")
        .map_err(|_| NetError::Usage(Usage::NoPassword))
}

fn parse_key(hex: &str, source: &str) -> Res<PrivateKeySigner> {
    // never echo the value: it is a secret
    hex.trim()
        .parse::<PrivateKeySigner>()
        .map_err(|_| NetError::Usage(Usage::BadKey { from: source.to_string() }))
}

fn load_key(
    role: &'static str,
    flag: &'static str,
    inline: Option<&Secret>,
    keystore: Option<&PathBuf>,
    env: &str,
    keys: &KeyOptions,
) -> Res<PrivateKeySigner> {
    if let Some(k) = inline {
        if !keys.unsafe_key_on_command_line {
            return Err(NetError::Usage(Usage::KeyOnCommandLine { flag, env: env.to_string() }));
        }
        return parse_key(&k.0, &format!("--{flag}"));
    }
    if let Some(path) = keystore {
        return PrivateKeySigner::decrypt_keystore(path, password(keys)?)
            .map_err(|source| NetError::Keystore { role, path: path.clone(), source });
    }
    match std::env::var(env) {
        Ok(v) => parse_key(&v, &format!("${env}")),
        Err(_) => Err(NetError::Usage(Usage::NoKey { role, flag, env: env.to_string() })),
    }
}

impl OwnerKey {
    /// The owner's signer, from the first source given.
    pub(crate) fn load(&self, keys: &KeyOptions) -> Res<PrivateKeySigner> {
        load_key(
            "owner",
            "owner-key",
            self.owner_key.as_ref(),
            self.owner_keystore.as_ref(),
            &self.owner_key_env,
            keys,
        )
    }

    /// Whether any source of the owner's key is given.
    pub(crate) fn given(&self) -> bool {
        self.owner_key.is_some()
            || self.owner_keystore.is_some()
            || std::env::var_os(&self.owner_key_env).is_some()
    }
}

impl SessionKey {
    /// The session key's signer, from the first source given.
    pub(crate) fn load(&self, keys: &KeyOptions) -> Res<PrivateKeySigner> {
        load_key(
            "session",
            "session-key",
            self.session_key.as_ref(),
            self.session_keystore.as_ref(),
            &self.session_key_env,
            keys,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_inline_key_never_reaches_debug_output() {
        let key = OwnerKey {
            owner_key_env: "X".into(),
            owner_keystore: None,
            owner_key: Some(
                "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"
                    .parse()
                    .unwrap(),
            ),
        };
        let debug = format!("{key:?}");
        assert!(!debug.contains("59c6995e"), "{debug}");
        assert!(debug.contains("redacted"));
    }
}
