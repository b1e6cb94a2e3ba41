//! Dotted key paths of scenario files (`areas."Black Country".coach.fte`): split into
//! segments, joined, their parent. A leaf: the registry, the loader and `--set` all
//! read keys through it.

/// Strips the last segment of a dotted key path (respecting quotes).
pub fn parent_key(key: &str) -> Option<&str> {
    let mut in_quote = false;
    let mut last = None;
    for (i, c) in key.char_indices() {
        match c {
            '"' => in_quote = !in_quote,
            '.' if !in_quote => last = Some(i),
            _ => {}
        }
    }
    last.map(|i| &key[..i])
}

/// One segment of a key path, quoted when it is not a bare key.
pub fn key_segment(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        s.to_string()
    } else {
        // a TOML basic string: control characters as \u escapes, so that a name
        // with a line break or NUL still gives a valid (re-runnable) file
        let mut q = String::from("\"");
        for c in s.chars() {
            match c {
                '\\' => q.push_str("\\\\"),
                '"' => q.push_str("\\\""),
                c if c.is_control() => q.push_str(&format!("\\u{:04X}", c as u32)),
                c => q.push(c),
            }
        }
        q.push('"');
        q
    }
}

/// Joins a parent path and a segment.
pub fn join_key(parent: &str, seg: &str) -> String {
    if parent.is_empty() {
        key_segment(seg)
    } else {
        format!("{parent}.{}", key_segment(seg))
    }
}

/// Splits a dotted key path from the command line into segments; quoted segments may
/// contain dots and spaces.
pub fn split_key(key: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = key.trim().chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match c {
            '"' if cur.is_empty() && !quoted => {
                quoted = true;
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    cur.push(c);
                }
                match chars.peek() {
                    None | Some('.') => {}
                    Some(c) => return Err(format!("unexpected `{c}` after a quoted key")),
                }
            }
            '.' => {
                if cur.is_empty() && !quoted {
                    return Err(format!("empty segment in key `{key}`"));
                }
                out.push(std::mem::take(&mut cur));
                quoted = false;
            }
            c => cur.push(c),
        }
    }
    if cur.is_empty() && !quoted {
        return Err(format!("empty segment in key `{key}`"));
    }
    out.push(cur);
    Ok(out)
}
