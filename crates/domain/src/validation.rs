//! The shape every validator reports in: which field, a stable code, and the
//! Chinese message the UI shows verbatim.

use std::fmt;

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// Collects every problem of one input so the user sees them all at once
/// instead of fixing one field per round trip.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    /// Records the error of a validator that failed, keeping its value otherwise.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), Vec<FieldError>> {
        if self.0.is_empty() { Ok(()) } else { Err(self.0) }
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> std::slice::Iter<'_, FieldError> {
        self.0.iter()
    }

    /// Puts `prefix` in front of every field path, so a validator written
    /// for one part (a price rule: `tiers[1].up_to`) reports where that part
    /// sits in the whole request (`rules.X.tiers[1].up_to`).
    pub fn prefixed(mut self, prefix: &str) -> Self {
        for error in &mut self.0 {
            error.field = join_path(prefix, &error.field);
        }
        self
    }

    /// Takes over the errors of a nested validator under `prefix`.
    pub fn extend_prefixed(&mut self, prefix: &str, nested: FieldErrors) {
        self.0.extend(nested.prefixed(prefix).0);
    }
}

impl From<FieldError> for FieldErrors {
    fn from(error: FieldError) -> Self {
        FieldErrors(vec![error])
    }
}

impl IntoIterator for FieldErrors {
    type Item = FieldError;
    type IntoIter = std::vec::IntoIter<FieldError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// One line per problem, `field: message`: for logs and for serde, whose
/// errors are text.
impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            if error.field.is_empty() {
                f.write_str(&error.message)?;
            } else {
                write!(f, "{}: {}", error.field, error.message)?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for FieldErrors {}

/// Joins field paths the way a reader of the request would write them:
/// `rules` + `X` → `rules.X`, `tiers` + `[1]` → `tiers[1]`, and an empty side
/// (the value itself) adds nothing.
pub fn join_path(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else if child.is_empty() {
        parent.to_owned()
    } else if child.starts_with('[') {
        format!("{parent}{child}")
    } else {
        format!("{parent}.{child}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_joins_with_a_dot_or_directly_before_an_index() {
        assert_eq!(join_path("rules.X", "tiers[1].up_to"), "rules.X.tiers[1].up_to");
        assert_eq!(join_path("tiers", "[1]"), "tiers[1]");
        assert_eq!(join_path("rule", ""), "rule");
        assert_eq!(join_path("", "mode"), "mode");
    }

    #[test]
    fn prefixing_rewrites_every_path_and_keeps_codes_and_messages() {
        let mut nested = FieldErrors::new();
        nested.push(FieldError::new("mode", "REQUIRED", "请选择计价模式"));
        nested.push(FieldError::new("", "INVALID_RULE", "计价规则格式不正确"));
        let mut all = FieldErrors::new();
        all.extend_prefixed("rules.X", nested);
        let fields: Vec<_> = all.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["rules.X.mode", "rules.X"]);
        assert_eq!(all.iter().next().unwrap().code, "REQUIRED");
        assert_eq!(
            all.to_string(),
            "rules.X.mode: 请选择计价模式; rules.X: 计价规则格式不正确"
        );
    }
}
