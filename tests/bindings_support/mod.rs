//! Shared support of the `bindings_*` tests: reading `include/qcos.h` (its function
//! declarations and ABI). Libraries, servers and child processes come from
//! `tests/native/mod.rs`.
#![allow(dead_code)]

/// The C header without comments and preprocessor lines, split into top-level
/// declarations (the text after the last brace of each `;`-terminated chunk), each
/// with its whitespace collapsed.
fn header_declarations(header: &str) -> Vec<String> {
    let mut text = String::with_capacity(header.len());
    let mut rest = header;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            rest = after.find("*/").map_or("", |i| &after[i + 2..]);
            text.push(' ');
        } else if let Some(after) = rest.strip_prefix("//") {
            rest = after.find('\n').map_or("", |i| &after[i..]);
        } else {
            let c = rest.chars().next().unwrap();
            text.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    let text: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n");
    text.split(';')
        .map(|chunk| {
            let tail = chunk.rsplit(['{', '}']).next().unwrap_or(chunk);
            tail.split_whitespace().collect::<Vec<_>>().join(" ")
        })
        .filter(|d| !d.is_empty())
        .collect()
}

/// Every function the header declares: `(name, "ret name(params);")`.
pub fn header_functions(header: &str) -> Vec<(String, String)> {
    header_declarations(header)
        .into_iter()
        .filter(|d| !d.starts_with("typedef") && d.contains('('))
        .filter_map(|d| {
            let open = d.find('(')?;
            let name = d[..open].rsplit([' ', '*']).next()?.to_string();
            name.starts_with("qcos_").then(|| {
                let sig = d.replace("( ", "(").replace(" )", ")");
                (name, format!("{sig};"))
            })
        })
        .collect()
}

/// The ABI of the header, one line per item: every function signature, every
/// callback typedef, every enum constant with its value, in header order.
pub fn header_abi(header: &str) -> Vec<String> {
    let mut out = Vec::new();
    for d in header_declarations(header) {
        if d.starts_with("typedef") && d.contains("(*") {
            out.push(format!("{d};"));
        }
    }
    out.extend(header_functions(header).into_iter().map(|(_, s)| s));
    // Enum constants: `QCOS_X = N` anywhere outside comments.
    for d in header_declarations(&header.replace(['{', '}', ','], ";")) {
        if let Some((name, value)) = d.split_once(" = ") {
            if name.starts_with("QCOS_") && !name.contains(' ') {
                out.push(format!("enum {name} = {value};"));
            }
        }
    }
    out
}
