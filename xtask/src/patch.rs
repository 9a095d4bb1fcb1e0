//! Reads `spec/patches.json` and applies it: RFC 6902 JSON Patch operations addressed
//! with RFC 6901 JSON Pointers. Every fix to upstream's description lives here as data,
//! so it can be reviewed on its own and replayed on each fresh cut.

use serde_json::{Map, Value};
use std::fmt;

/// One entry of `spec/patches.json`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Patch {
    pub(crate) id: String,
    // `reason` is validated but not kept: it is for reviewers, the tool never needs it.
    pub(crate) ops: Vec<Op>,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Op {
    Add { path: Pointer, value: Value },
    Remove { path: Pointer },
    Replace { path: Pointer, value: Value },
    Test { path: Pointer, value: Value },
    Copy { from: Pointer, path: Pointer },
    Move { from: Pointer, path: Pointer },
}

impl Op {
    /// `test` only checks the document; every other operation may change it.
    pub(crate) fn is_test(&self) -> bool {
        matches!(self, Op::Test { .. })
    }

    fn name(&self) -> &'static str {
        match self {
            Op::Add { .. } => "add",
            Op::Remove { .. } => "remove",
            Op::Replace { .. } => "replace",
            Op::Test { .. } => "test",
            Op::Copy { .. } => "copy",
            Op::Move { .. } => "move",
        }
    }

    fn path(&self) -> &Pointer {
        match self {
            Op::Add { path, .. }
            | Op::Remove { path }
            | Op::Replace { path, .. }
            | Op::Test { path, .. }
            | Op::Copy { path, .. }
            | Op::Move { path, .. } => path,
        }
    }

    fn from(&self) -> Option<&Pointer> {
        match self {
            Op::Copy { from, .. } | Op::Move { from, .. } => Some(from),
            _ => None,
        }
    }
}

/// A parsed JSON Pointer. The original text is kept because error messages should
/// quote the pointer exactly as the patch author wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pointer {
    text: String,
    tokens: Vec<String>,
}

impl fmt::Display for Pointer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.text.is_empty() {
            // An empty pointer is easy to miss in a message; name it.
            f.write_str("\"\" (the whole document)")
        } else {
            f.write_str(&self.text)
        }
    }
}

impl Pointer {
    pub(crate) fn parse(text: &str) -> Result<Pointer, String> {
        if text.is_empty() {
            return Ok(Pointer {
                text: String::new(),
                tokens: Vec::new(),
            });
        }
        let Some(rest) = text.strip_prefix('/') else {
            return Err(format!(
                "JSON pointer `{text}` must be empty or start with `/`"
            ));
        };
        let tokens = rest
            .split('/')
            .map(|raw| {
                unescape(raw).ok_or_else(|| {
                    format!("JSON pointer `{text}`: `~` must be followed by `0` or `1`")
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Pointer {
            text: text.to_owned(),
            tokens,
        })
    }

    pub(crate) fn tokens(&self) -> &[String] {
        &self.tokens
    }

    fn split_last(&self) -> Option<(&[String], &str)> {
        self.tokens
            .split_last()
            .map(|(last, parent)| (parent, last.as_str()))
    }
}

/// Decodes one reference token. `~01` must become `~1`, not `/`, which is why the
/// token is scanned once left to right instead of with two string replaces.
pub(crate) fn unescape(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c == '~' {
            match chars.next() {
                Some('0') => out.push('~'),
                Some('1') => out.push('/'),
                _ => return None,
            }
        } else {
            out.push(c);
        }
    }
    Some(out)
}

/// The inverse of [`unescape`], for quoting a pointer prefix in error messages.
pub(crate) fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Parses the whole patches file. It is strict about unknown members (which RFC 6902
/// would ignore) because here they are almost always a typo that silently drops a fix.
pub(crate) fn parse_patches(doc: &Value) -> Result<Vec<Patch>, String> {
    let entries = doc.as_array().ok_or("expected a JSON array of patches")?;
    let mut patches: Vec<Patch> = Vec::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        let patch = parse_patch(entry).map_err(|e| format!("patch #{index}: {e}"))?;
        if patches.iter().any(|p| p.id == patch.id) {
            return Err(format!("patch #{index}: id `{}` is used twice", patch.id));
        }
        patches.push(patch);
    }
    Ok(patches)
}

fn parse_patch(entry: &Value) -> Result<Patch, String> {
    let obj = entry
        .as_object()
        .ok_or("expected an object with `id`, `reason` and `ops`")?;
    reject_unknown(obj, &["id", "reason", "ops"], "patch")?;
    let id = required_str(obj, "id")?;
    if !is_kebab(id) {
        return Err(format!(
            "id `{id}` is not kebab-case (lowercase letters, digits, single dashes)"
        ));
    }
    let context = |e: String| format!("`{id}`: {e}");
    let reason = required_str(obj, "reason").map_err(context)?;
    if reason.trim().is_empty() {
        return Err(context("`reason` is empty".into()));
    }
    let ops = obj
        .get("ops")
        .and_then(Value::as_array)
        .ok_or_else(|| context("`ops` must be an array of operations".into()))?;
    if ops.is_empty() {
        return Err(context("`ops` is empty".into()));
    }
    let ops = ops
        .iter()
        .enumerate()
        .map(|(i, op)| parse_op(op).map_err(|e| context(format!("op {i}: {e}"))))
        .collect::<Result<_, _>>()?;
    Ok(Patch {
        id: id.to_owned(),
        ops,
    })
}

fn parse_op(op: &Value) -> Result<Op, String> {
    let obj = op.as_object().ok_or("expected an object")?;
    let kind = required_str(obj, "op")?;
    let path = || Pointer::parse(required_str(obj, "path")?);
    let from = || Pointer::parse(required_str(obj, "from")?);
    // `value` may legitimately be `null`, so presence is what matters, not the content.
    let value = || {
        obj.get("value")
            .cloned()
            .ok_or("missing `value`".to_owned())
    };
    let op = match kind {
        "add" => Op::Add {
            path: path()?,
            value: value()?,
        },
        "remove" => Op::Remove { path: path()? },
        "replace" => Op::Replace {
            path: path()?,
            value: value()?,
        },
        "test" => Op::Test {
            path: path()?,
            value: value()?,
        },
        "copy" => Op::Copy {
            from: from()?,
            path: path()?,
        },
        "move" => Op::Move {
            from: from()?,
            path: path()?,
        },
        other => {
            return Err(format!(
                "unknown op `{other}` (expected add, remove, replace, test, copy or move)"
            ));
        }
    };
    let allowed: &[&str] = match op {
        Op::Remove { .. } => &["op", "path"],
        Op::Copy { .. } | Op::Move { .. } => &["op", "from", "path"],
        _ => &["op", "path", "value"],
    };
    reject_unknown(obj, allowed, kind)?;
    Ok(op)
}

fn required_str<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a str, String> {
    match obj.get(key) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("`{key}` must be a string")),
        None => Err(format!("missing `{key}`")),
    }
}

fn reject_unknown(obj: &Map<String, Value>, allowed: &[&str], what: &str) -> Result<(), String> {
    match obj.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(format!("unexpected member `{k}` in {what}")),
        None => Ok(()),
    }
}

fn is_kebab(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

/// Applies the patches in order. On failure `doc` may be half patched; callers work on
/// a copy and write nothing in that case.
pub(crate) fn apply_patches(doc: &mut Value, patches: &[Patch]) -> Result<(), String> {
    for patch in patches {
        for (index, op) in patch.ops.iter().enumerate() {
            apply_op(doc, op)
                .map_err(|e| format!("patch `{}`, {}", patch.id, op_failure(index, op, &e)))?;
        }
    }
    Ok(())
}

/// Names a failed operation the same way wherever one is reported:
/// `op 1 (remove /paths/~1a): no value at /paths/~1a`.
pub(crate) fn op_failure(index: usize, op: &Op, error: &str) -> String {
    let location = match op.from() {
        Some(from) => format!("from {from} to {}", op.path()),
        None => op.path().to_string(),
    };
    format!("op {index} ({} {location}): {error}", op.name())
}

pub(crate) fn apply_op(doc: &mut Value, op: &Op) -> Result<(), String> {
    match op {
        Op::Add { path, value } => add(doc, path, value.clone()),
        Op::Remove { path } => remove(doc, path).map(drop),
        Op::Replace { path, value } => {
            *get_mut(doc, path.tokens())? = value.clone();
            Ok(())
        }
        Op::Test { path, value } => {
            let actual = get(doc, path.tokens())?;
            if json_eq(actual, value) {
                Ok(())
            } else {
                Err(format!(
                    "test failed: expected {}, found {}",
                    short(value),
                    short(actual)
                ))
            }
        }
        Op::Copy { from, path } => {
            let value = get(doc, from.tokens())?.clone();
            add(doc, path, value)
        }
        Op::Move { from, path } => {
            if from.tokens() == path.tokens() {
                // Still insist the source exists, so a stale patch does not pass silently.
                return get(doc, from.tokens()).map(drop);
            }
            if path.tokens().starts_with(from.tokens()) {
                return Err("cannot move a value into one of its own children".into());
            }
            let value = remove(doc, from)?;
            add(doc, path, value)
        }
    }
}

fn get<'a>(doc: &'a Value, tokens: &[String]) -> Result<&'a Value, String> {
    let mut current = doc;
    for (depth, token) in tokens.iter().enumerate() {
        current = match current {
            Value::Object(map) => map.get(token),
            Value::Array(items) => array_index(token, items.len(), false)
                .ok()
                .and_then(|i| items.get(i)),
            _ => None,
        }
        .ok_or_else(|| missing(tokens, depth))?;
    }
    Ok(current)
}

fn get_mut<'a>(doc: &'a mut Value, tokens: &[String]) -> Result<&'a mut Value, String> {
    let mut current = doc;
    for (depth, token) in tokens.iter().enumerate() {
        current = match current {
            Value::Object(map) => map.get_mut(token),
            Value::Array(items) => {
                let len = items.len();
                array_index(token, len, false)
                    .ok()
                    .and_then(move |i| items.get_mut(i))
            }
            _ => None,
        }
        .ok_or_else(|| missing(tokens, depth))?;
    }
    Ok(current)
}

/// Names the first segment that is absent, which is more useful than the full pointer
/// when a patch goes stale because upstream renamed something higher up.
fn missing(tokens: &[String], depth: usize) -> String {
    let prefix: String = tokens[..=depth]
        .iter()
        .map(|t| format!("/{}", escape(t)))
        .collect();
    format!("no value at {prefix}")
}

fn add(doc: &mut Value, path: &Pointer, value: Value) -> Result<(), String> {
    let Some((parent, last)) = path.split_last() else {
        *doc = value;
        return Ok(());
    };
    match get_mut(doc, parent).map_err(|e| format!("parent does not exist ({e})"))? {
        Value::Object(map) => {
            // With preserve_order an existing key keeps its position, as a reader of
            // the patched file would expect from an in-place change.
            map.insert(last.to_owned(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index = array_index(last, items.len(), true)?;
            items.insert(index, value);
            Ok(())
        }
        _ => Err("parent is neither an object nor an array".into()),
    }
}

fn remove(doc: &mut Value, path: &Pointer) -> Result<Value, String> {
    let Some((parent, last)) = path.split_last() else {
        return Err("cannot remove the whole document".into());
    };
    match get_mut(doc, parent)? {
        // shift_remove, not remove: the latter swaps the last key into the hole and
        // would reorder the patched file.
        Value::Object(map) => map
            .shift_remove(last)
            .ok_or_else(|| format!("no value at {}", path.text)),
        Value::Array(items) => {
            let index = array_index(last, items.len(), false)?;
            Ok(items.remove(index))
        }
        _ => Err(format!("no value at {}", path.text)),
    }
}

/// RFC 6901 array indices: no sign, no leading zeros; `-` means one past the end and
/// only makes sense where something is being added.
fn array_index(token: &str, len: usize, for_add: bool) -> Result<usize, String> {
    if token == "-" {
        return if for_add {
            Ok(len)
        } else {
            Err("`-` names no existing array element".into())
        };
    }
    let well_formed = !token.is_empty()
        && token.bytes().all(|b| b.is_ascii_digit())
        && (token == "0" || !token.starts_with('0'));
    let index: usize = if well_formed {
        token.parse().ok()
    } else {
        None
    }
    .ok_or_else(|| format!("`{token}` is not an array index"))?;
    let limit = if for_add { len } else { len.saturating_sub(1) };
    if (for_add || len > 0) && index <= limit {
        Ok(index)
    } else {
        Err(format!(
            "array index {index} is out of bounds (length {len})"
        ))
    }
}

/// JSON equality as RFC 6902 defines it for `test`: numbers compare by value (so `1`
/// equals `1.0`, which `Value`'s own `==` denies) and object member order is ignored.
pub(crate) fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| json_eq(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| json_eq(v, w)))
        }
        _ => a == b,
    }
}

/// Keeps failure messages readable when a test compares a large subtree.
fn short(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 120 {
        let head: String = text.chars().take(117).collect();
        format!("{head}...")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ptr(s: &str) -> Pointer {
        Pointer::parse(s).unwrap()
    }

    fn patches(v: Value) -> Vec<Patch> {
        parse_patches(&v).unwrap()
    }

    fn apply(doc: &mut Value, ops: Value) -> Result<(), String> {
        apply_patches(
            doc,
            &patches(json!([{"id": "p", "reason": "r", "ops": ops}])),
        )
    }

    #[test]
    fn pointer_tokens_are_unescaped() {
        assert_eq!(ptr("").tokens(), &[] as &[String]);
        assert_eq!(ptr("/").tokens(), &[""]);
        assert_eq!(ptr("/a~1b/c~0d").tokens(), &["a/b", "c~d"]);
        // `~01` is `~` then `1`, not `/`.
        assert_eq!(ptr("/~01").tokens(), &["~1"]);
        assert_eq!(
            ptr("/paths/~1orgs~1{org}/get").tokens(),
            &["paths", "/orgs/{org}", "get"]
        );
    }

    #[test]
    fn bad_pointers_are_rejected() {
        assert!(Pointer::parse("a/b").is_err());
        assert!(Pointer::parse("/a~2").is_err());
        assert!(Pointer::parse("/a~").is_err());
    }

    #[test]
    fn escape_round_trips() {
        for token in ["plain", "a/b", "~", "~1", "/~/"] {
            assert_eq!(unescape(&escape(token)).unwrap(), token);
        }
        assert_eq!(escape("~/"), "~0~1");
    }

    #[test]
    fn add_to_objects_and_arrays() {
        let mut doc = json!({"a": {"x": 1, "y": 2}, "list": [1, 3]});
        apply(
            &mut doc,
            json!([
                {"op": "add", "path": "/a/z", "value": 3},
                {"op": "add", "path": "/a/x", "value": 10},
                {"op": "add", "path": "/list/1", "value": 2},
                {"op": "add", "path": "/list/-", "value": 4},
                {"op": "add", "path": "/list/0", "value": 0},
                {"op": "add", "path": "/a~1b", "value": null}
            ]),
        )
        .unwrap();
        assert_eq!(
            doc.to_string(),
            r#"{"a":{"x":10,"y":2,"z":3},"list":[0,1,2,3,4],"a/b":null}"#
        );
    }

    #[test]
    fn add_replaces_whole_document_and_rejects_bad_index() {
        let mut doc = json!({"a": 1});
        apply(&mut doc, json!([{"op": "add", "path": "", "value": [1]}])).unwrap();
        assert_eq!(doc, json!([1]));
        let err = apply(&mut doc, json!([{"op": "add", "path": "/2", "value": 0}])).unwrap_err();
        assert!(err.contains("out of bounds"), "{err}");
        let err = apply(&mut doc, json!([{"op": "add", "path": "/01", "value": 0}])).unwrap_err();
        assert!(err.contains("not an array index"), "{err}");
        let err = apply(&mut doc, json!([{"op": "add", "path": "/x/y", "value": 0}])).unwrap_err();
        assert!(err.contains("parent does not exist"), "{err}");
    }

    #[test]
    fn remove_keeps_key_order() {
        let mut doc = json!({"a": 1, "b": 2, "c": 3, "d": 4, "list": [1, 2, 3]});
        apply(
            &mut doc,
            json!([
                {"op": "remove", "path": "/b"},
                {"op": "remove", "path": "/list/1"}
            ]),
        )
        .unwrap();
        assert_eq!(doc.to_string(), r#"{"a":1,"c":3,"d":4,"list":[1,3]}"#);
        let err = apply(&mut doc, json!([{"op": "remove", "path": "/list/-"}])).unwrap_err();
        assert!(err.contains("`-`"), "{err}");
    }

    #[test]
    fn replace_requires_an_existing_target() {
        let mut doc = json!({"a": {"b": 1}, "c": 2});
        apply(
            &mut doc,
            json!([{"op": "replace", "path": "/a/b", "value": "x"}]),
        )
        .unwrap();
        assert_eq!(doc.to_string(), r#"{"a":{"b":"x"},"c":2}"#);
        let err = apply(
            &mut doc,
            json!([{"op": "replace", "path": "/a/zz", "value": 1}]),
        )
        .unwrap_err();
        assert!(err.contains("no value"), "{err}");
    }

    #[test]
    fn test_op_compares_json_values() {
        let mut doc = json!({"n": 1, "o": {"a": 1, "b": [true, null]}});
        apply(
            &mut doc,
            json!([
                {"op": "test", "path": "/n", "value": 1.0},
                {"op": "test", "path": "/o", "value": {"b": [true, null], "a": 1}}
            ]),
        )
        .unwrap();
        let err = apply(
            &mut doc,
            json!([{"op": "test", "path": "/n", "value": "1"}]),
        )
        .unwrap_err();
        assert!(err.contains("test failed"), "{err}");
        assert!(err.contains(r#"expected "1", found 1"#), "{err}");
    }

    #[test]
    fn copy_and_move() {
        let mut doc = json!({"a": {"x": [1]}, "b": {}, "list": ["p", "q", "r"]});
        apply(
            &mut doc,
            json!([
                {"op": "copy", "from": "/a/x", "path": "/b/x"},
                {"op": "move", "from": "/a", "path": "/c"},
                {"op": "move", "from": "/list/0", "path": "/list/-"},
                {"op": "move", "from": "/b", "path": "/b"}
            ]),
        )
        .unwrap();
        assert_eq!(
            doc.to_string(),
            r#"{"b":{"x":[1]},"list":["q","r","p"],"c":{"x":[1]}}"#
        );
        let err = apply(
            &mut doc,
            json!([{"op": "move", "from": "/b", "path": "/b/x/0"}]),
        )
        .unwrap_err();
        assert!(err.contains("own children"), "{err}");
        let err = apply(
            &mut doc,
            json!([{"op": "copy", "from": "/nope", "path": "/z"}]),
        )
        .unwrap_err();
        assert!(err.contains("from /nope to /z"), "{err}");
    }

    #[test]
    fn failures_name_patch_op_index_and_pointer() {
        let mut doc = json!({"paths": {"/a": {}}});
        let list = patches(json!([
            {"id": "first", "reason": "fine", "ops": [{"op": "add", "path": "/x", "value": 1}]},
            {"id": "second-fix", "reason": "stale", "ops": [
                {"op": "test", "path": "/x", "value": 1},
                {"op": "remove", "path": "/paths/~1b/get"}
            ]}
        ]));
        let err = apply_patches(&mut doc, &list).unwrap_err();
        assert_eq!(
            err,
            "patch `second-fix`, op 1 (remove /paths/~1b/get): no value at /paths/~1b"
        );
    }

    #[test]
    fn malformed_patch_files_are_rejected() {
        for (bad, needle) in [
            (json!({}), "JSON array"),
            (json!([{"id": "x", "reason": "r"}]), "`ops`"),
            (
                json!([{"id": "Not_Kebab", "reason": "r", "ops": []}]),
                "kebab",
            ),
            (
                json!([{"id": "x", "reason": " ", "ops": [{"op": "remove", "path": "/a"}]}]),
                "empty",
            ),
            (
                json!([{"id": "x", "reason": "r", "ops": [{"op": "frob", "path": "/a"}]}]),
                "unknown op",
            ),
            (
                json!([{"id": "x", "reason": "r", "ops": [{"op": "add", "path": "/a"}]}]),
                "`value`",
            ),
            (
                json!([{"id": "x", "reason": "r", "ops": [{"op": "add", "path": "/a", "vaule": 1, "value": 1}]}]),
                "`vaule`",
            ),
            (
                json!([{"id": "x", "reason": "r", "ops": [{"op": "move", "path": "/a"}]}]),
                "`from`",
            ),
            (
                json!([
                    {"id": "x", "reason": "r", "ops": [{"op": "remove", "path": "/a"}]},
                    {"id": "x", "reason": "r", "ops": [{"op": "remove", "path": "/b"}]}
                ]),
                "twice",
            ),
        ] {
            let err = parse_patches(&bad).unwrap_err();
            assert!(err.contains(needle), "{err} should mention {needle}");
        }
    }
}
