//! The changes soarform makes for its own records (identity, ownership marker, closed status and
//! closing note), and the values it writes there.

use serde_json::Value;

use crate::catalog::Column;
use crate::kind::Kind;
use crate::normalize::{self, Normalized};
use crate::remote::RemoteObject;

use super::model::{FieldChange, ObservedField, OWNER_MARKER};
use super::options::{Closing, PlanOptions};

/// A change soarform makes for its own bookkeeping (identity or ownership field): shown and saved
/// like any other change, compared like one when a saved plan is applied.
pub(super) fn bookkeeping(
    column: &Column,
    before: Normalized,
    after: &str,
    sensitive: bool,
) -> (FieldChange, ObservedField) {
    (
        FieldChange {
            field: column.field.clone(),
            label: column.label.clone(),
            declared_name: column.label.clone(),
            before: before.clone(),
            after: Normalized::Text(after.to_string()),
            write: Value::String(after.to_string()),
            sensitive,
        },
        ObservedField {
            field: column.field.clone(),
            label: column.label.clone(),
            value: before,
            sensitive,
        },
    )
}

/// What soarform writes into `field` for its own bookkeeping (the closed status and closing note
/// of a close, the ownership marker), or `None` when the field is not one of those: how a saved
/// plan, which holds only hashes of sensitive values, gets them back.
pub(crate) fn bookkeeping_value(
    field: &str,
    closing: Option<&Closing>,
    ownership: Option<&Column>,
) -> Option<(Normalized, Value)> {
    if let Some(closing) = closing {
        if closing.status.field == field {
            let closed = &closing.closed;
            return Some((
                Normalized::Choice {
                    id: Some(closed.id),
                    name: closed.value.clone(),
                },
                Value::from(closed.id),
            ));
        }
        if let Some((note_field, note)) = &closing.note {
            if note_field.field == field {
                return Some((
                    Normalized::Text(normalize::normalize_newlines(note)),
                    Value::String(note.clone()),
                ));
            }
        }
    }
    ownership.filter(|column| column.field == field).map(|_| {
        (
            Normalized::Text(OWNER_MARKER.to_string()),
            Value::String(OWNER_MARKER.to_string()),
        )
    })
}

/// The ownership field's live value, recorded (not changed) so that a saved plan is refused if
/// someone else took the object over in the meantime.
pub(super) fn ownership_basis(
    kind: Kind,
    live: &RemoteObject,
    options: &PlanOptions,
) -> Option<ObservedField> {
    let column = options.ownership.column(kind)?;
    Some(ObservedField {
        field: column.field.clone(),
        label: column.label.clone(),
        value: normalize::observed(column, live.fields.get(&column.field)),
        sensitive: options.sensitive.contains(kind, &column.field),
    })
}
