//! HCL expressions to plain values (JSON, strings, numbers).
//!
//! Runtime interpolations (`"${attr.kernel.name}"`, `"${NOMAD_PORT_db}"`)
//! are not evaluated: a quoted template stays the string the user wrote.
//! A bare expression (`a.b`, `f(x)`) becomes the string `"${a.b}"`.

use hcl::expr::{HeredocStripMode, TemplateExpr};
use hcl::{Expression, ObjectKey};
use serde_json::Value;

/// Converts an expression into JSON; numbers stay numbers.
pub fn to_json(expr: &Expression) -> Result<Value, String> {
    Ok(match expr {
        Expression::Null => Value::Null,
        Expression::Bool(b) => Value::Bool(*b),
        Expression::Number(n) => number(n),
        Expression::String(s) => Value::String(s.clone()),
        Expression::Array(items) => {
            Value::Array(items.iter().map(to_json).collect::<Result<_, _>>()?)
        }
        Expression::Object(obj) => {
            let mut map = serde_json::Map::new();
            for (k, v) in obj {
                map.insert(key_string(k)?, to_json(v)?);
            }
            Value::Object(map)
        }
        Expression::TemplateExpr(t) => Value::String(template_string(t)),
        Expression::Parenthesis(inner) => to_json(inner)?,
        other => Value::String(format!("${{{}}}", render(other)?)),
    })
}

/// A scalar as a string (HCL1 decoded numbers and bools into string fields).
pub fn to_string(expr: &Expression) -> Result<String, String> {
    match to_json(expr)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        Value::Bool(b) => Ok(b.to_string()),
        Value::Null => Err("expected a string, got null".into()),
        Value::Array(_) => Err("expected a string, got a list".into()),
        Value::Object(_) => Err("expected a string, got an object".into()),
    }
}

/// An integer; a string holding an integer is accepted, as HCL1 did.
pub fn to_int(expr: &Expression) -> Result<i64, String> {
    match to_json(expr)? {
        Value::Number(n) => n
            .as_i64()
            .ok_or_else(|| format!("expected a whole number, got {n}")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("expected a number, got string {s:?}")),
        other => Err(format!("expected a number, got {}", kind(&other))),
    }
}

/// A bool; `"true"`/`"false"` strings are accepted, as HCL1 did.
pub fn to_bool(expr: &Expression) -> Result<bool, String> {
    match to_json(expr)? {
        Value::Bool(b) => Ok(b),
        Value::String(s) if s == "true" || s == "1" => Ok(true),
        Value::String(s) if s == "false" || s == "0" => Ok(false),
        other => Err(format!("expected a bool, got {}", kind(&other))),
    }
}

/// A list of strings; a single string is taken as a one-element list.
pub fn to_strings(expr: &Expression) -> Result<Vec<String>, String> {
    match expr {
        Expression::Array(items) => items.iter().map(to_string).collect(),
        other => Ok(vec![to_string(other)?]),
    }
}

/// The name of a JSON value's kind, for messages.
pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

fn number(n: &hcl::Number) -> Value {
    if let Some(i) = n.as_i64() {
        Value::from(i)
    } else if let Some(u) = n.as_u64() {
        Value::from(u)
    } else {
        n.as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number)
    }
}

fn key_string(k: &ObjectKey) -> Result<String, String> {
    match k {
        ObjectKey::Identifier(id) => Ok(id.to_string()),
        ObjectKey::Expression(e) => to_string(e),
        _ => Err("unsupported object key".into()),
    }
}

fn render(expr: &Expression) -> Result<String, String> {
    hcl::format::to_string(expr).map_err(|e| e.to_string())
}

fn template_string(t: &TemplateExpr) -> String {
    match t {
        TemplateExpr::QuotedString(raw) => unescape(raw),
        TemplateExpr::Heredoc(h) => match h.strip {
            HeredocStripMode::Indent => strip_indent(&h.template),
            _ => h.template.clone(),
        },
    }
}

/// Undoes the quoting of a string template's literal parts.
fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn strip_indent(text: &str) -> String {
    let indent = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()
        .unwrap_or(0);
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let cut = line
            .char_indices()
            .take_while(|(i, c)| *i < indent && c.is_whitespace() && *c != '\n')
            .count();
        out.push_str(line.get(cut..).unwrap_or(line));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr_json(src: &str) -> Value {
        let body = hcl::parse(src).unwrap_or_default();
        body.attributes()
            .next()
            .map_or(Value::Null, |a| to_json(a.expr()).unwrap_or(Value::Null))
    }

    #[test]
    fn interpolations_stay_literal() {
        assert_eq!(
            attr_json("a = \"${attr.kernel.name}\""),
            "${attr.kernel.name}"
        );
        assert_eq!(
            attr_json("a = \"x-${NOMAD_PORT_db}\""),
            "x-${NOMAD_PORT_db}"
        );
        assert_eq!(attr_json("a = \"say \\\"hi\\\" ${x}\""), "say \"hi\" ${x}");
        assert_eq!(attr_json("a = node.datacenter"), "${node.datacenter}");
    }

    #[test]
    fn numbers_and_lists() {
        assert_eq!(attr_json("a = 6379"), serde_json::json!(6379));
        assert_eq!(attr_json("a = 1.5"), serde_json::json!(1.5));
        assert_eq!(attr_json("a = [\"x\", 2]"), serde_json::json!(["x", 2]));
        assert_eq!(
            attr_json("a = { b = 1, \"c.d\" = \"e\" }"),
            serde_json::json!({"b": 1, "c.d": "e"})
        );
    }
}
