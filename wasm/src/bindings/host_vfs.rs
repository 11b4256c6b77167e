//! The host's file system, imported from JavaScript: `HostVfs` (web/src/storage/host-vfs.ts)
//! behind the engine's [`Vfs`] trait. Reads fill a view of wasm memory in place and writes hand
//! the host a view of the engine's buffer: no copy crosses the boundary.

use js_sys::Reflect;
use wasm_bindgen::prelude::*;

use crate::vfs::{OpenMode, Vfs, VfsFile};
use crate::{Error, IoErrorKind, Result};

#[wasm_bindgen]
extern "C" {
    /// A host object implementing `HostVfs` (declared, with its contract, in
    /// web/src/storage/host-vfs.ts; typed `object` here so that declaration stays the only one).
    #[wasm_bindgen(typescript_type = "object")]
    pub type JsVfs;

    #[wasm_bindgen(method, catch, js_name = open)]
    fn js_open(this: &JsVfs, name: &str, create: bool) -> std::result::Result<u32, JsValue>;
    #[wasm_bindgen(method, catch, js_name = read)]
    fn js_read(
        this: &JsVfs,
        fd: u32,
        offset: f64,
        into: &mut [u8],
    ) -> std::result::Result<u32, JsValue>;
    #[wasm_bindgen(method, catch, js_name = write)]
    fn js_write(
        this: &JsVfs,
        fd: u32,
        offset: f64,
        data: &[u8],
    ) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = size)]
    fn js_size(this: &JsVfs, fd: u32) -> std::result::Result<f64, JsValue>;
    #[wasm_bindgen(method, catch, js_name = truncate)]
    fn js_truncate(this: &JsVfs, fd: u32, size: f64) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = sync)]
    fn js_sync(this: &JsVfs, fd: u32) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = close)]
    fn js_close(this: &JsVfs, fd: u32) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = delete)]
    fn js_delete(this: &JsVfs, name: &str) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = rename)]
    fn js_rename(this: &JsVfs, from: &str, to: &str) -> std::result::Result<(), JsValue>;
    #[wasm_bindgen(method, catch, js_name = list)]
    fn js_list(this: &JsVfs) -> std::result::Result<Vec<String>, JsValue>;
}

/// Turns whatever the host threw into an [`Error::Io`], classified by the DOMException name (or
/// an edgestate error `code`) it carries.
pub(crate) fn host_error(op: &'static str, file: &str, thrown: JsValue) -> Error {
    let prop = |key: &str| {
        Reflect::get(&thrown, &JsValue::from_str(key))
            .ok()
            .and_then(|v| v.as_string())
    };
    let name = prop("name").unwrap_or_default();
    let code = prop("code").unwrap_or_default();
    let kind = match (name.as_str(), code.as_str()) {
        ("NotFoundError", _) | (_, "NOT_FOUND") => IoErrorKind::NotFound,
        ("QuotaExceededError", _) | (_, "QUOTA_EXCEEDED") => IoErrorKind::QuotaExceeded,
        ("NoModificationAllowedError", _) | (_, "DATABASE_LOCKED") => IoErrorKind::Locked,
        (_, "STORAGE_EXHAUSTED") => IoErrorKind::Exhausted,
        _ => IoErrorKind::Other,
    };
    let message = prop("message")
        .or_else(|| thrown.as_string())
        .unwrap_or_else(|| format!("{thrown:?}"));
    Error::Io {
        op,
        file: file.to_owned(),
        kind,
        message,
    }
}

pub(crate) fn to_offset(v: u64) -> f64 {
    // Files stay far below 2^53 bytes; f64 carries such offsets exactly.
    v as f64
}

pub(crate) struct HostVfs {
    pub(crate) js: JsVfs,
}

impl Vfs for HostVfs {
    fn open(&self, name: &str, mode: OpenMode) -> Result<Box<dyn VfsFile>> {
        let fd = self
            .js
            .js_open(name, mode == OpenMode::CreateTruncate)
            .map_err(|e| host_error("open", name, e))?;
        Ok(Box::new(HostFile {
            js: JsVfs::from(JsValue::from(&self.js)),
            fd,
            name: name.to_owned(),
        }))
    }

    fn delete(&self, name: &str) -> Result<()> {
        self.js
            .js_delete(name)
            .map_err(|e| host_error("delete", name, e))
    }

    fn rename(&self, from: &str, to: &str) -> Result<()> {
        self.js
            .js_rename(from, to)
            .map_err(|e| host_error("rename", from, e))
    }

    fn list(&self) -> Result<Vec<String>> {
        self.js.js_list().map_err(|e| host_error("list", "", e))
    }
}

struct HostFile {
    js: JsVfs,
    fd: u32,
    name: String,
}

impl VfsFile for HostFile {
    fn read_at(&mut self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let n = self
            .js
            .js_read(self.fd, to_offset(offset), buf)
            .map_err(|e| host_error("read", &self.name, e))?;
        Ok((n as usize).min(buf.len()))
    }

    fn write_at(&mut self, offset: u64, data: &[u8]) -> Result<()> {
        self.js
            .js_write(self.fd, to_offset(offset), data)
            .map_err(|e| host_error("write", &self.name, e))
    }

    fn size(&mut self) -> Result<u64> {
        let size = self
            .js
            .js_size(self.fd)
            .map_err(|e| host_error("size", &self.name, e))?;
        Ok(size as u64)
    }

    fn truncate(&mut self, len: u64) -> Result<()> {
        self.js
            .js_truncate(self.fd, to_offset(len))
            .map_err(|e| host_error("truncate", &self.name, e))
    }

    fn sync(&mut self) -> Result<()> {
        self.js
            .js_sync(self.fd)
            .map_err(|e| host_error("sync", &self.name, e))
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        // Closing only releases the descriptor; a failure leaves nothing to undo.
        let _ = self.js.js_close(self.fd);
    }
}
