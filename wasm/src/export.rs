//! Reading checkpoint export files (`.esckp`, docs/checkpoints.md): a second, independent reader
//! of the format the TypeScript library writes, used by `edgestate-lsm unpack` to turn an export
//! into a database directory that RocksDB's tools open.
//!
//! Every check of the format is made while streaming: magic, version, header length, header
//! checksum, header schema and file names, each file's CRC32C, the trailer, nothing after it,
//! and that `CURRENT` names the included MANIFEST. A file's bytes reach the sink before its
//! checksum is known: the sink must stage them (see `unpack_to_dir`).

use std::io::Read;

use crate::{Error, Result};

/// `\x89ESCKP\r\n`.
pub const MAGIC: [u8; 8] = [0x89, 0x45, 0x53, 0x43, 0x4b, 0x50, 0x0d, 0x0a];
/// `ESCKPEND`.
pub const TRAILER: [u8; 8] = *b"ESCKPEND";
/// The format version this reader reads.
pub const VERSION: u32 = 1;
const MAX_HEADER: u32 = 16 << 20;
const CHUNK: usize = 1 << 20;

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    /// `CURRENT`, `MANIFEST-<digits>` or `<digits>.sst`.
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// CRC32C of its bytes.
    pub crc32c: u32,
}

/// What a sink is told while an export streams.
pub enum ExportEvent<'a> {
    /// A file starts.
    Begin(&'a ExportedFile),
    /// Its next bytes.
    Bytes(&'a [u8]),
    /// All its bytes arrived and matched its checksum.
    End(&'a ExportedFile),
}

fn bad(message: impl Into<String>) -> Error {
    Error::Corruption {
        file: "<checkpoint export>".into(),
        offset: 0,
        reason: message.into(),
    }
}

fn allowed_name(name: &str) -> bool {
    let digits = |s: &str| !s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit());
    name == "CURRENT"
        || name.strip_prefix("MANIFEST-").is_some_and(digits)
        || name.strip_suffix(".sst").is_some_and(digits)
}

fn read_exact(r: &mut dyn Read, buf: &mut [u8], what: &str) -> Result<()> {
    r.read_exact(buf).map_err(|e| {
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            bad(format!("the export is truncated: it ends inside {what}"))
        } else {
            Error::Io {
                op: "read",
                file: "<checkpoint export>".into(),
                kind: crate::IoErrorKind::Other,
                message: e.to_string(),
            }
        }
    })
}

fn parse_files(header: &serde_json::Value) -> Result<Vec<ExportedFile>> {
    let field = |k: &str| header.get(k);
    if field("format").and_then(|v| v.as_str()) != Some("edgestate-checkpoint") {
        return Err(bad("header format is not \"edgestate-checkpoint\""));
    }
    if field("version").and_then(|v| v.as_u64()) != Some(u64::from(VERSION)) {
        return Err(bad("header version disagrees with the file's version"));
    }
    let list = field("files")
        .and_then(|v| v.as_array())
        .ok_or_else(|| bad("header has no files array"))?;
    let mut files: Vec<ExportedFile> = Vec::with_capacity(list.len());
    for f in list {
        let name = f
            .get("name")
            .and_then(|v| v.as_str())
            .filter(|n| allowed_name(n))
            .ok_or_else(|| {
                bad(format!(
                    "file name {:?} is not CURRENT, MANIFEST-<n> or <n>.sst",
                    f.get("name")
                ))
            })?;
        if files.iter().any(|g| g.name == name) {
            return Err(bad(format!("file {name} is listed twice")));
        }
        let size = f
            .get("size")
            .and_then(|v| v.as_u64())
            .ok_or_else(|| bad(format!("file {name}: bad size")))?;
        let crc32c = f
            .get("crc32c")
            .and_then(|v| v.as_u64())
            .and_then(|c| u32::try_from(c).ok())
            .ok_or_else(|| bad(format!("file {name}: bad crc32c")))?;
        files.push(ExportedFile {
            name: name.to_owned(),
            size,
            crc32c,
        });
    }
    if !files.iter().any(|f| f.name == "CURRENT") {
        return Err(bad("no CURRENT file"));
    }
    if files
        .iter()
        .filter(|f| f.name.starts_with("MANIFEST-"))
        .count()
        != 1
    {
        return Err(bad("exactly one MANIFEST file is required"));
    }
    Ok(files)
}

/// Reads an export from `r`, handing each file to `sink`; returns the files. Fails with
/// [`Error::Corruption`] (or [`Error::Unsupported`] for another version) at the first problem.
pub fn read_export(
    r: &mut dyn Read,
    sink: &mut dyn FnMut(ExportEvent<'_>) -> Result<()>,
) -> Result<Vec<ExportedFile>> {
    let mut prefix = [0u8; 16];
    read_exact(r, &mut prefix, "the 16-byte prefix")?;
    if prefix[..8] != MAGIC {
        return Err(bad(
            "not an edgestate checkpoint export (wrong magic bytes)",
        ));
    }
    let word = |at: usize| {
        u32::from_le_bytes([prefix[at], prefix[at + 1], prefix[at + 2], prefix[at + 3]])
    };
    let version = word(8);
    if version != VERSION {
        return Err(Error::Unsupported(format!(
            "checkpoint export version {version} (this reader reads version {VERSION})"
        )));
    }
    let header_len = word(12);
    if header_len == 0 || header_len > MAX_HEADER {
        return Err(bad(format!("header length {header_len} is out of range")));
    }
    let mut header = vec![0u8; header_len as usize];
    read_exact(r, &mut header, "the header")?;
    let mut crc = [0u8; 4];
    read_exact(r, &mut crc, "the header checksum")?;
    let expected = crc32c::crc32c_append(crc32c::crc32c(&prefix), &header);
    if u32::from_le_bytes(crc) != expected {
        return Err(bad("header checksum mismatch (the header is damaged)"));
    }
    let json: serde_json::Value =
        serde_json::from_slice(&header).map_err(|e| bad(format!("header is not JSON: {e}")))?;
    let files = parse_files(&json)?;
    let manifest = files
        .iter()
        .find(|f| f.name.starts_with("MANIFEST-"))
        .map(|f| f.name.clone())
        .unwrap_or_default();
    let mut current = Vec::new();
    let mut buf = vec![0u8; CHUNK];
    for file in &files {
        sink(ExportEvent::Begin(file))?;
        let mut left = file.size;
        let mut crc = 0u32;
        while left > 0 {
            let n = usize::try_from(left).map_or(CHUNK, |l| l.min(CHUNK));
            let chunk = &mut buf[..n];
            read_exact(r, chunk, &format!("file {}", file.name))?;
            crc = crc32c::crc32c_append(crc, chunk);
            if file.name == "CURRENT" {
                current.extend_from_slice(chunk);
            }
            sink(ExportEvent::Bytes(chunk))?;
            left -= n as u64;
        }
        if crc != file.crc32c {
            return Err(bad(format!(
                "file {} is damaged (checksum mismatch)",
                file.name
            )));
        }
        sink(ExportEvent::End(file))?;
    }
    let mut trailer = [0u8; 8];
    read_exact(r, &mut trailer, "the trailer")?;
    if trailer != TRAILER {
        return Err(bad("the trailer is wrong (damaged or cut)"));
    }
    let mut extra = [0u8; 1];
    if r.read(&mut extra).map_err(|e| bad(e.to_string()))? != 0 {
        return Err(bad("bytes after the trailer"));
    }
    if current != format!("{manifest}\n").as_bytes() {
        return Err(bad(format!(
            "CURRENT does not name the included {manifest}"
        )));
    }
    Ok(files)
}

/// Unpacks an export into directory `dir` (created if needed): each file is written under a
/// temporary name and renamed once its checksum matched, `CURRENT` last, so `dir` never holds
/// an unchecked file under a database name. Returns the files.
#[cfg(not(target_arch = "wasm32"))]
pub fn unpack_to_dir(r: &mut dyn Read, dir: &std::path::Path) -> Result<Vec<ExportedFile>> {
    use std::io::Write;
    let io = |op: &'static str, file: &str, e: std::io::Error| Error::Io {
        op,
        file: file.to_owned(),
        kind: crate::IoErrorKind::Other,
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io("mkdir", &dir.to_string_lossy(), e))?;
    let mut out: Option<std::fs::File> = None;
    let mut done: Vec<String> = Vec::new();
    let files = read_export(r, &mut |event| {
        match event {
            ExportEvent::Begin(f) => {
                let tmp = dir.join(format!("{}.unpacking", f.name));
                out = Some(std::fs::File::create(&tmp).map_err(|e| io("create", &f.name, e))?);
            }
            ExportEvent::Bytes(b) => {
                if let Some(file) = out.as_mut() {
                    file.write_all(b).map_err(|e| io("write", "", e))?;
                }
            }
            ExportEvent::End(f) => {
                if let Some(file) = out.take() {
                    file.sync_all().map_err(|e| io("sync", &f.name, e))?;
                }
                done.push(f.name.clone());
            }
        }
        Ok(())
    });
    let files = match files {
        Ok(files) => files,
        Err(e) => {
            for name in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                if name.file_name().to_string_lossy().ends_with(".unpacking") {
                    let _ = std::fs::remove_file(name.path());
                }
            }
            return Err(e);
        }
    };
    let mut order: Vec<&String> = done.iter().filter(|n| n.as_str() != "CURRENT").collect();
    order.extend(done.iter().filter(|n| n.as_str() == "CURRENT"));
    for name in order {
        std::fs::rename(dir.join(format!("{name}.unpacking")), dir.join(name))
            .map_err(|e| io("rename", name, e))?;
    }
    Ok(files)
}
