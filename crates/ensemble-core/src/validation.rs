//! Validation errors that name every field at fault, in one value.

use std::fmt;

use serde::Serialize;

/// One field at fault: a JSON path (`title.ru`, `evidence.measures[0].n`) and the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// Dotted JSON path of the field.
    pub field: String,
    /// What is wrong with it, lowercase, no trailing period.
    pub message: String,
}

/// Every field at fault in one body. Never empty when returned as an error.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct ValidationErrors {
    /// The faults, in document order.
    pub errors: Vec<FieldError>,
}

impl ValidationErrors {
    /// Records one fault.
    pub fn push(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            message: message.into(),
        });
    }

    /// True when nothing is at fault.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(value)` when nothing is at fault, else `Err(self)`.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// The names of the fields at fault.
    pub fn fields(&self) -> Vec<&str> {
        self.errors
            .iter()
            .map(|error| error.field.as_str())
            .collect()
    }
}

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, error) in self.errors.iter().enumerate() {
            if index > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", error.field, error.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}
