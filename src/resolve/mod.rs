//! Desired objects checked against the tenant's catalog: field names, option names, templates, types.
//!
//! Every problem is a diagnostic at the position of the offending value, and all of them are reported
//! at once, before anything is searched or written.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::catalog::{Catalog, Column, Template};
use crate::kind::Kind;
use crate::manifest::{DesiredObject, Diagnostic, NamedField, Origin};
use crate::normalize::{self, DesiredValue};

mod moves;

pub(crate) use moves::Moves;

/// The identity field of each kind, as columns of the catalog.
#[derive(Debug, Clone)]
pub(crate) struct Identity {
    /// Where incident keys are written (default `incidentid`).
    pub incident: Column,
    /// Where triage item keys are written (default `Source reference`).
    pub triage: Column,
}

impl Identity {
    /// The identity column of a kind.
    pub(crate) fn column(&self, kind: Kind) -> &Column {
        match kind {
            Kind::Incident => &self.incident,
            Kind::TriageItem => &self.triage,
        }
    }

    /// Finds the configured identity fields (API name or label) in the catalog; the error names
    /// the kind whose field is unknown.
    pub(crate) fn resolve(
        catalog: &Catalog,
        incident: Option<&str>,
        triage: Option<&str>,
    ) -> Result<Identity, (Kind, String)> {
        let find = |kind: Kind, name: &str| {
            catalog
                .columns(kind)
                .resolve(kind, name)
                .cloned()
                .map_err(|error| {
                    (
                        kind,
                        format!("the identity field of {}s: {error}", kind.noun()),
                    )
                })
        };
        Ok(Identity {
            incident: find(Kind::Incident, incident.unwrap_or("incidentid"))?,
            triage: find(Kind::TriageItem, triage.unwrap_or("Source reference"))?,
        })
    }
}

/// A declared field, checked and converted.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedField {
    /// The column it names, shared with the catalog (one copy of its options per run, not one per
    /// declared field).
    pub column: Arc<Column>,
    /// The name as the document wrote it (`Business unit` or `opt_3`).
    pub declared_name: String,
    /// The value in comparable form and as written.
    pub value: DesiredValue,
}

/// A desired object ready to be planned.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedObject {
    /// Incident or triage item.
    pub kind: Kind,
    /// The key, written to the identity field.
    pub key: String,
    /// The incident template (incidents only).
    pub template: Option<Template>,
    /// Declared fields in document order.
    pub fields: Vec<ResolvedField>,
    /// API names of the fields this document (or a Template it extends) lists in `ignore_changes`.
    pub ignore_changes: BTreeSet<String>,
}

/// Field names from `soarform.yaml` (`ignore_changes`, `sensitive_fields`) resolved to API names per
/// kind; a name may belong to incidents, triage items or both.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FieldNames {
    incident: BTreeSet<String>,
    triage: BTreeSet<String>,
}

impl FieldNames {
    /// Whether the API name `field` of `kind` is listed.
    pub(crate) fn contains(&self, kind: Kind, field: &str) -> bool {
        self.of(kind).contains(field)
    }

    /// Lists `field` for `kind`.
    pub(crate) fn insert(&mut self, kind: Kind, field: String) {
        match kind {
            Kind::Incident => self.incident.insert(field),
            Kind::TriageItem => self.triage.insert(field),
        };
    }

    fn of(&self, kind: Kind) -> &BTreeSet<String> {
        match kind {
            Kind::Incident => &self.incident,
            Kind::TriageItem => &self.triage,
        }
    }

    /// Resolves the names of the `setting` in `soarform.yaml`; a name unknown to both kinds, or
    /// naming an identity field, is a diagnostic at its position.
    pub(crate) fn resolve(
        setting: &str,
        names: &[NamedField],
        catalog: &Catalog,
        identity: &Identity,
    ) -> Result<FieldNames, Vec<Diagnostic>> {
        let mut resolved = FieldNames::default();
        let mut problems = Vec::new();
        for named in names {
            let mut found = false;
            let mut unknown = None;
            for kind in Kind::ALL {
                match catalog.columns(kind).resolve(kind, &named.name) {
                    Ok(column) if column.field == identity.column(kind).field => {
                        problems.push(identity_in_list(setting, &named.origin, kind));
                        found = true;
                    }
                    Ok(column) => {
                        resolved.insert(kind, column.field.clone());
                        found = true;
                    }
                    Err(error) => {
                        unknown.get_or_insert(error);
                    }
                }
            }
            if let (false, Some(error)) = (found, unknown) {
                let mut problem = diagnostic(
                    &named.origin,
                    format!("`{setting}`: {error}"),
                    "not a field of incidents or triage items",
                );
                problem.help = Some(
                    "name fields by API name or label as `GET incidents/columns/` or `GET triage/columns/` lists them".into(),
                );
                problems.push(problem);
            }
        }
        if problems.is_empty() {
            Ok(resolved)
        } else {
            Err(problems)
        }
    }
}

fn type_name(column_type: &crate::catalog::ColumnType) -> &str {
    use crate::catalog::ColumnType;
    match column_type {
        ColumnType::Text | ColumnType::Textarea => "text",
        ColumnType::Datetime => "date and time",
        ColumnType::Select => "option",
        ColumnType::MultiSelect => "list of options",
        ColumnType::Tags => "list of tags",
        ColumnType::Checkbox => "checkbox",
        ColumnType::Number => "number",
        ColumnType::Other(name) => name,
    }
}

fn identity_in_list(setting: &str, origin: &Origin, kind: Kind) -> Diagnostic {
    let mut problem = diagnostic(
        origin,
        format!(
            "`{setting}` cannot hold the identity field of {}s",
            kind.noun()
        ),
        "identity field",
    );
    problem.help = Some(
        "keys are how soarform finds objects: they are always compared and shown in every plan"
            .into(),
    );
    problem
}

/// Resolves every desired object; the error lists every problem found.
///
/// Problems with the value of a `sensitive` field name its position but never quote the value.
///
/// `objects` may be given by value: each desired object is then dropped once resolved, so that
/// the documents' objects and the resolved ones never peak together.
pub(crate) fn resolve<D: Borrow<DesiredObject>>(
    objects: impl IntoIterator<Item = D>,
    catalog: &Catalog,
    identity: &Identity,
    sensitive: &FieldNames,
) -> Result<Vec<ResolvedObject>, Vec<Diagnostic>> {
    let objects = objects.into_iter();
    let mut resolved = Vec::with_capacity(objects.size_hint().0);
    let mut problems = Vec::new();
    for object in objects {
        match resolve_object(object.borrow(), catalog, identity, sensitive) {
            Ok(done) => resolved.push(done),
            Err(mut found) => problems.append(&mut found),
        }
    }
    if problems.is_empty() {
        Ok(resolved)
    } else {
        Err(problems)
    }
}

fn resolve_object(
    object: &DesiredObject,
    catalog: &Catalog,
    identity: &Identity,
    sensitive: &FieldNames,
) -> Result<ResolvedObject, Vec<Diagnostic>> {
    let mut problems = Vec::new();
    let template = match (object.kind, &object.template) {
        (Kind::Incident, Some((reference, origin))) => match catalog.template(reference) {
            Ok(template) => Some(template.clone()),
            Err(error) => {
                problems.push(diagnostic(
                    origin,
                    error.to_string(),
                    "not a template of this tenant",
                ));
                None
            }
        },
        (Kind::Incident, None) => {
            problems.push(diagnostic(
                &object.key_origin,
                format!("incident `{}` has no `template`", object.key),
                "needs `template:` here or in a Template it extends",
            ));
            None
        }
        (Kind::TriageItem, _) => None,
    };
    let columns = catalog.columns(object.kind);
    let identity_column = identity.column(object.kind);
    let mut seen: BTreeMap<String, &Origin> = BTreeMap::new();
    let mut fields = Vec::with_capacity(object.fields.len());
    for field in &object.fields {
        let column = match columns.resolve_shared(object.kind, &field.name) {
            Ok(column) => column,
            Err(error) => {
                let mut found = diagnostic(&field.name_origin, error.to_string(), "unknown field");
                found.help = Some(format!(
                    "fields are named by API name or label as `GET {}/columns/` lists them",
                    match object.kind {
                        Kind::Incident => "incidents",
                        Kind::TriageItem => "triage",
                    }
                ));
                problems.push(found);
                continue;
            }
        };
        if column.field == identity_column.field {
            let mut found = diagnostic(
                &field.name_origin,
                format!(
                    "`{}` is the identity field of {}s; soarform writes the `key` into it",
                    field.name,
                    object.kind.noun()
                ),
                "remove this field",
            );
            found.help = Some(
                "set `key:` instead; changing the identity field would orphan the object".into(),
            );
            problems.push(found);
            continue;
        }
        if let Some(first) = seen.get(&column.field) {
            let mut found = diagnostic(
                &field.name_origin,
                format!(
                    "field `{}` is declared twice (as `{}` and by another name)",
                    column.label, field.name
                ),
                "second declaration",
            );
            found.notes.push(format!(
                "first declared at {}:{}:{}",
                first.file.display(),
                first.line,
                first.column
            ));
            problems.push(found);
            continue;
        }
        seen.insert(column.field.clone(), &field.name_origin);
        // Checked against the text as written (`0042`, not the `42` YAML reads it as), so that
        // what is sent is exactly what the file says.
        match normalize::desired_as_written(column, &field.value, field.written.as_deref()) {
            Ok(value) => fields.push(ResolvedField {
                column: Arc::clone(column),
                declared_name: field.name.clone(),
                value,
            }),
            Err(invalid) if sensitive.contains(object.kind, &column.field) => {
                // No snippet either: the source line would show the value.
                let mut problem = Diagnostic::new(format!(
                    "{}: the value of the sensitive field `{}` is not a valid {} value (not shown)",
                    field.origin,
                    column.label,
                    type_name(&column.column_type)
                ));
                let advice = invalid
                    .help_without_value
                    .unwrap_or_else(|| "check the value in the file".to_string());
                problem.help = Some(format!(
                    "{advice}; soarform never prints values of `sensitive_fields`"
                ));
                problems.push(problem);
            }
            Err(invalid) => {
                let mut problem = diagnostic(&field.origin, invalid.message, "invalid value");
                problem.help = invalid.help;
                problems.push(problem);
            }
        }
    }
    let mut ignore_changes = BTreeSet::new();
    for named in &object.ignore_changes {
        match columns.resolve(object.kind, &named.name) {
            Ok(column) if column.field == identity_column.field => problems.push(identity_in_list(
                "ignore_changes",
                &named.origin,
                object.kind,
            )),
            Ok(column) => {
                ignore_changes.insert(column.field.clone());
            }
            Err(error) => problems.push(diagnostic(
                &named.origin,
                format!("`ignore_changes`: {error}"),
                "unknown field",
            )),
        }
    }
    if problems.is_empty() {
        Ok(ResolvedObject {
            kind: object.kind,
            key: object.key.clone(),
            template,
            fields,
            ignore_changes,
        })
    } else {
        Err(problems)
    }
}

fn diagnostic(origin: &Origin, message: String, label: &str) -> Diagnostic {
    Diagnostic {
        origin: Some(origin.clone()),
        message,
        label: Some(label.to_string()),
        notes: Vec::new(),
        help: None,
    }
}
