//! Named storage roots and input locations that cannot escape them.

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

/// Named roots (`[roots]` table): a name → a directory, relative to the pipeline file's
/// directory or absolute. Inputs name a root and a path inside it; an input path can never
/// leave its root (no `..`, no absolute path), so data and configuration cannot point the
/// pipeline at arbitrary files.
pub type Roots = BTreeMap<String, String>;

/// Where one input file (or directory of files) lives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputLocation {
    /// Name of the root in `[roots]`.
    #[serde(default = "default_root")]
    pub root: String,
    /// Path inside the root: relative, `/`-separated, without `..`.
    pub path: String,
}

/// The root used when an input names none: `data`.
pub fn default_root() -> String {
    "data".to_owned()
}

/// Checks that `path` is a relative path that stays inside its root.
pub(crate) fn check_relative(path: &str) -> Result<(), String> {
    if path.is_empty() {
        return Err("the path is empty".to_owned());
    }
    if path.contains('\\') || path.contains('\0') {
        return Err(format!("`{path}` contains a backslash or a NUL byte"));
    }
    for component in Path::new(path).components() {
        match component {
            Component::Normal(_) | Component::CurDir => {}
            Component::ParentDir => {
                return Err(format!("`{path}` goes up with `..`: input paths must stay inside their root"));
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(format!("`{path}` is absolute: input paths are relative to their root"));
            }
        }
    }
    Ok(())
}

/// Resolves a root directory against the pipeline file's directory, folding `..`
/// lexically so that paths shown to users read `…/out/demo`, not `…/pipelines/../out/demo`.
pub(crate) fn resolve_root(base_dir: &Path, root: &str) -> PathBuf {
    let root = Path::new(root);
    let joined = if root.is_absolute() { root.to_path_buf() } else { base_dir.join(root) };
    let mut out = PathBuf::new();
    for component in joined.components() {
        match component {
            Component::ParentDir if matches!(out.components().next_back(), Some(Component::Normal(_))) => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_inside_the_root_are_accepted() {
        assert!(check_relative("offers/api").is_ok());
        assert!(check_relative("./communes.csv").is_ok());
    }

    #[test]
    fn roots_are_folded_lexically() {
        assert_eq!(resolve_root(Path::new("/repo/pipelines"), "../out/demo"), Path::new("/repo/out/demo"));
        assert_eq!(resolve_root(Path::new("pipelines"), "../../x"), Path::new("../x"));
        assert_eq!(resolve_root(Path::new("/repo"), "/data"), Path::new("/data"));
    }

    #[test]
    fn traversal_and_absolute_paths_are_refused() {
        assert!(check_relative("../secrets.txt").unwrap_err().contains(".."));
        assert!(check_relative("offers/../../etc/passwd").is_err());
        assert!(check_relative("/etc/passwd").unwrap_err().contains("absolute"));
        assert!(check_relative("a\\..\\b").is_err());
        assert!(check_relative("").is_err());
    }
}
