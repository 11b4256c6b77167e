//! Engine errors as JavaScript `Error`s that web/src/engine/engine-error.ts maps onto edgestate's
//! typed error classes.

use js_sys::{Object, Reflect};
use wasm_bindgen::prelude::*;

use super::host_vfs::to_offset;
use crate::Error;

/// Sets a data property on a plain object (which cannot fail).
pub(crate) fn set(obj: &Object, key: &str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), &value.into());
}

/// The error thrown into JavaScript: an `Error` named `EngineError` whose `code` (and `kind`,
/// `file`, `offset`, `len`, `limit` where they apply) say what went wrong.
pub(crate) fn to_js(e: Error) -> JsValue {
    let err = js_sys::Error::new(&e.to_string());
    err.set_name("EngineError");
    set(&err, "code", e.code());
    match &e {
        Error::Io { op, file, kind, .. } => {
            set(&err, "op", *op);
            set(&err, "file", file.as_str());
            set(&err, "kind", kind.as_str());
        }
        Error::Corruption { file, offset, .. } => {
            set(&err, "file", file.as_str());
            set(&err, "offset", to_offset(*offset));
        }
        Error::KeyTooLarge { len, limit } | Error::ValueTooLarge { len, limit } => {
            set(&err, "len", *len as f64);
            set(&err, "limit", *limit as f64);
        }
        _ => {}
    }
    err.into()
}

/// An [`Error::InvalidArgument`] thrown into JavaScript.
pub(crate) fn invalid(message: String) -> JsValue {
    to_js(Error::InvalidArgument(message))
}
