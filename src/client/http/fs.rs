//! `GET /v1/client/fs/{ls,stat,cat}/{alloc}?path=`: the allocation
//! directory, read only. Paths are taken from the allocation directory's
//! root and refused (400) when they lead out of it ([`super::paths`]).
//! Files of a task's `secrets` directory are never served (as in Nomad).

use std::collections::HashMap;
use std::fs::Metadata;
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path as FsPath;
use std::time::UNIX_EPOCH;

use axum::Json;
use axum::body::Body;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::io::AsyncReadExt;

use super::log_reader::CHUNK;
use super::params::Params;
use super::paths::{Inside, PathError, open_inside};
use super::{Ctx, alloc_of, blocking, task_names};
use crate::api::ApiError;
use crate::api::extract::{Path, Query};
use crate::client::allocdir::AllocDir;
use crate::structs::time::rfc3339_nanos;

/// Nomad's `AllocFileInfo`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AllocFileInfo {
    pub name: String,
    pub is_dir: bool,
    pub size: u64,
    /// As Go prints a file mode: `-rw-r--r--`, `drwxrwxrwx`.
    pub file_mode: String,
    /// RFC 3339.
    pub mod_time: String,
    pub content_type: String,
}

impl From<PathError> for ApiError {
    fn from(e: PathError) -> Self {
        let status = match &e {
            PathError::Escapes(_) | PathError::Invalid(_) => StatusCode::BAD_REQUEST,
            PathError::NotFound(_) => StatusCode::NOT_FOUND,
            PathError::Io { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        };
        ApiError {
            status,
            message: e.to_string(),
        }
    }
}

/// A mode as Go's `os.FileMode.String()` writes it: type letters (or `-`),
/// then the nine permission bits.
pub fn file_mode(meta: &Metadata) -> String {
    let t = meta.file_type();
    let mode = meta.permissions().mode();
    let mut out = String::new();
    if t.is_dir() {
        out.push('d');
    }
    if t.is_symlink() {
        out.push('L');
    }
    if t.is_block_device() || t.is_char_device() {
        out.push('D');
    }
    if t.is_fifo() {
        out.push('p');
    }
    if t.is_socket() {
        out.push('S');
    }
    if mode & 0o4000 != 0 {
        out.push('u');
    }
    if mode & 0o2000 != 0 {
        out.push('g');
    }
    if t.is_char_device() {
        out.push('c');
    }
    if mode & 0o1000 != 0 {
        out.push('t');
    }
    if out.is_empty() {
        out.push('-');
    }
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        out.push(if mode & (1 << (8 - i)) != 0 { c } else { '-' });
    }
    out
}

fn info(name: String, meta: &Metadata, content_type: String) -> AllocFileInfo {
    let nanos = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or_else(|| meta.mtime().saturating_mul(1_000_000_000));
    AllocFileInfo {
        name,
        is_dir: meta.is_dir(),
        size: meta.len(),
        file_mode: file_mode(meta),
        mod_time: rfc3339_nanos(nanos),
        content_type,
    }
}

/// A coarse content type from a file's first bytes: text or not.
fn sniff(head: &[u8]) -> &'static str {
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // A multi-byte character cut at the end of the sample is still text.
        Err(e) if e.error_len().is_none() => {
            std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default()
        }
        Err(_) => return "application/octet-stream",
    };
    let binary = text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\x0c' | '\x1b'));
    if binary {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    }
}

/// The name a stat answers with: the last component, or the allocation
/// directory's own name for its root.
fn name_of(inside: &Inside) -> String {
    inside
        .real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "/".into())
}

type FsQuery = Query<HashMap<String, String>>;

/// The allocation directory of `id`, and the checked `path` parameter.
fn target(
    c: &super::ClientHttp,
    id: &str,
    q: HashMap<String, String>,
    default: Option<&str>,
) -> Result<(AllocDir, Vec<String>, String), ApiError> {
    let p = Params(q);
    let path = match (p.text("path"), default) {
        (Some(path), _) => path.to_string(),
        (None, Some(d)) => d.to_string(),
        (None, None) => {
            return Err(ApiError::bad_request(
                "path is required: a path in the allocation directory, such as /alloc/logs",
            ));
        }
    };
    let alloc = alloc_of(&c.shared, id)?;
    let dir = AllocDir::new(&c.shared.alloc_base, &alloc.id);
    Ok((dir, task_names(&alloc), path))
}

pub async fn ls(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    Query(q): FsQuery,
) -> Result<Json<Vec<AllocFileInfo>>, ApiError> {
    let (dir, _, path) = target(&c, &id, q, Some("/"))?;
    blocking(move || list(&dir.root, &path)).await.map(Json)
}

/// The entries of directory `path`, sorted by name; links are described,
/// not followed.
fn list(root: &FsPath, path: &str) -> Result<Vec<AllocFileInfo>, ApiError> {
    let inside = open_inside(root, path)?;
    if !inside.meta.is_dir() {
        return Err(ApiError::bad_request(format!(
            "{path:?} is not a directory"
        )));
    }
    let read = |e: std::io::Error| ApiError::internal(format!("cannot list {path:?}: {e}"));
    let mut out = Vec::new();
    for entry in std::fs::read_dir(inside.stable_path()).map_err(read)? {
        let entry = entry.map_err(read)?;
        // An entry removed since the listing is simply not there.
        let Ok(meta) = entry.metadata() else { continue };
        let name = entry.file_name().to_string_lossy().into_owned();
        out.push(info(name, &meta, String::new()));
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

pub async fn stat(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    Query(q): FsQuery,
) -> Result<Json<AllocFileInfo>, ApiError> {
    let (dir, _, path) = target(&c, &id, q, None)?;
    blocking(move || {
        let mut inside = open_inside(&dir.root, &path)?;
        let content_type = if inside.meta.is_file() {
            let mut head = Vec::with_capacity(512);
            let _ = (&mut inside.file).take(512).read_to_end(&mut head);
            sniff(&head).to_string()
        } else {
            String::new()
        };
        Ok(info(name_of(&inside), &inside.meta, content_type))
    })
    .await
    .map(Json)
}

pub async fn cat(
    axum::extract::State(c): Ctx,
    Path(id): Path<String>,
    Query(q): FsQuery,
) -> Result<Response, ApiError> {
    let (dir, tasks, path) = target(&c, &id, q, None)?;
    let file = blocking(move || {
        let inside = open_inside(&dir.root, &path)?;
        if inside.meta.is_dir() {
            return Err(ApiError::bad_request(format!("{path:?} is a directory")));
        }
        if !inside.meta.is_file() {
            return Err(ApiError::bad_request(format!(
                "{path:?} is not a regular file"
            )));
        }
        let secret = tasks.iter().any(|t| {
            dir.secrets(t)
                .strip_prefix(&dir.root)
                .is_ok_and(|s| inside.relative.starts_with(s))
        });
        if secret {
            return Err(ApiError {
                status: StatusCode::FORBIDDEN,
                message: format!(
                    "Reading a file of a task's secrets directory is refused: {path:?}"
                ),
            });
        }
        Ok(inside.file)
    })
    .await?;
    let file = tokio::fs::File::from_std(file);
    let body = Body::from_stream(futures::stream::unfold(Some(file), |f| async move {
        let mut f = f?;
        let mut buf = vec![0; CHUNK];
        match f.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok(bytes::Bytes::from(buf)), Some(f)))
            }
            Err(e) => Some((Err(e), None)),
        }
    }));
    Ok(([(CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_read_as_go_prints_them() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("f");
        std::fs::write(&f, "x").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(file_mode(&std::fs::metadata(&f).unwrap()), "-rw-r--r--");
        let d = dir.path().join("tmp");
        std::fs::create_dir(&d).unwrap();
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o1777)).unwrap();
        assert_eq!(file_mode(&std::fs::metadata(&d).unwrap()), "dtrwxrwxrwx");
        std::os::unix::fs::symlink("f", dir.path().join("l")).unwrap();
        let l = std::fs::symlink_metadata(dir.path().join("l")).unwrap();
        assert_eq!(file_mode(&l), "Lrwxrwxrwx");
    }

    #[test]
    fn listing_describes_entries_sorted() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("alloc/logs")).unwrap();
        std::fs::write(dir.path().join("alloc/logs/web.stdout.0"), "hello\n").unwrap();
        std::fs::write(dir.path().join("alloc/logs/web.stderr.0"), "").unwrap();
        let l = list(dir.path(), "/alloc/logs").unwrap();
        let names: Vec<&str> = l.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["web.stderr.0", "web.stdout.0"]);
        assert_eq!(l[1].size, 6);
        assert!(!l[1].is_dir);
        assert!(l[1].mod_time.ends_with('Z') && l[1].mod_time.contains('T'));
        let e = list(dir.path(), "/alloc/logs/web.stdout.0").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        let e = list(dir.path(), "../").unwrap_err();
        assert_eq!(e.status, StatusCode::BAD_REQUEST);
        assert!(
            e.message.contains("escapes the allocation directory"),
            "{}",
            e.message
        );
    }

    #[test]
    fn sniffing_tells_text_from_binary() {
        assert_eq!(sniff(b"line 0\nline 1\n"), "text/plain; charset=utf-8");
        assert_eq!(sniff(b""), "text/plain; charset=utf-8");
        assert_eq!(
            sniff(&[0x7f, b'E', b'L', b'F', 0, 1]),
            "application/octet-stream"
        );
        assert_eq!(sniff("é".as_bytes()), "text/plain; charset=utf-8");
        assert_eq!(sniff(&"é".as_bytes()[..1]), "text/plain; charset=utf-8");
    }
}
