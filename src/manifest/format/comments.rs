//! Comment placement: every comment of a document given a place in its [`Annotations`] (header,
//! trailer, above an entry, at the end of its line), with the blank lines kept, as the
//! documentation of [`super`] describes.

use std::collections::HashSet;
use std::ops::Range;

use crate::manifest::emit::{Annotations, EndOfLineComment, EntryNotes, Line};
use crate::manifest::yaml::{Node, NodeValue};

use super::lex::Comment;
use super::lines::{LineKind, LineTable};

/// Where notes can go in a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Kind,
    Key,
    Template,
    Extends,
    IgnoreChanges,
    Fields,
    Field(usize),
}

/// A top-level key or a field, where its key was written.
#[derive(Debug, Clone, Copy)]
pub(super) struct Place {
    slot: Slot,
    key_offset: usize,
    key_line: usize,
    /// Whether only blanks come before the key on its line.
    first_on_line: bool,
    /// 0 for top-level keys, 1 for fields.
    depth: usize,
}

/// The places of a document, in text order.
pub(super) fn places(root: &Node, lines: &LineTable) -> Result<Vec<Place>, String> {
    let NodeValue::Mapping(entries) = &root.value else {
        return Err("a document is not a mapping".to_string());
    };
    let place = |slot, offset: usize, depth| {
        let key_line = lines.starts.line_of(offset);
        let before = lines
            .text
            .get(lines.starts.start(key_line)..offset)
            .unwrap_or_default();
        Place {
            slot,
            key_offset: offset,
            key_line,
            first_on_line: before.trim().is_empty(),
            depth,
        }
    };
    let mut places = Vec::new();
    for entry in entries {
        let slot = match entry.key.as_str() {
            "kind" => Slot::Kind,
            "key" | "name" => Slot::Key,
            "template" => Slot::Template,
            "extends" => Slot::Extends,
            "ignore_changes" => Slot::IgnoreChanges,
            "fields" => Slot::Fields,
            other => return Err(format!("unexpected key `{other}`")),
        };
        places.push(place(slot, entry.key_pos.offset, 0));
        if let (Slot::Fields, NodeValue::Mapping(fields)) = (slot, &entry.value.value) {
            for (index, field) in fields.iter().enumerate() {
                places.push(place(Slot::Field(index), field.key_pos.offset, 1));
            }
        }
    }
    places.sort_by_key(|place| place.key_offset);
    Ok(places)
}

/// A comment inside an entry's value or after its first line.
struct Trailing {
    text: String,
    column: usize,
    content_width: usize,
    end_of_line: bool,
    on_key_line: bool,
}

/// Gives every comment of the document in `region` a place in `annotations` (see the module
/// documentation), with the blank lines kept.
pub(super) fn attach(
    places: &[Place],
    region: Range<usize>,
    comments: &[Comment],
    lines: &LineTable,
    annotations: &mut Annotations,
) -> Result<(), String> {
    let first = places.first().ok_or("a document has no key")?;
    let first_line = lines.starts.line_of(region.start);
    let end_line = lines.starts.end_line(region.end).min(lines.starts.count());
    let mut used = HashSet::new();
    let comment_on = |line: usize| {
        lines
            .comments
            .get(&line)
            .map(|&index| (index, &comments[index]))
    };

    // Header: everything above the first key.
    for line in first_line..first.key_line {
        match comment_on(line) {
            Some((index, comment)) => {
                annotations.header.push(Line::Comment(comment.text.clone()));
                used.insert(index);
            }
            None if lines.kind(line) == LineKind::Blank => push_blank(&mut annotations.header),
            None => {}
        }
    }

    // Trailer: everything after the last line of data.
    let last_content = (first.key_line..end_line)
        .rev()
        .find(|&line| lines.kind(line) == LineKind::Content)
        .unwrap_or(first.key_line);
    let mut trailer = Vec::new();
    for line in last_content + 1..end_line {
        match comment_on(line) {
            Some((index, comment)) => {
                trailer.push(if comment.column > 0 {
                    Line::IndentedComment(comment.text.clone())
                } else {
                    Line::Comment(comment.text.clone())
                });
                used.insert(index);
            }
            None if lines.kind(line) == LineKind::Blank => push_blank(&mut trailer),
            None => {}
        }
    }

    // Blank lines and comments directly above a key.
    let mut notes: Vec<EntryNotes> = vec![EntryNotes::default(); places.len()];
    for (place, entry_notes) in places.iter().zip(&mut notes).skip(1) {
        if !place.first_on_line {
            continue;
        }
        let mut above = Vec::new();
        let mut line = place.key_line;
        while line > first_line {
            line -= 1;
            match (lines.kind(line), comment_on(line)) {
                (LineKind::Blank, _) => above.push(Line::Blank),
                (LineKind::Comment, Some((index, comment))) if !used.contains(&index) => {
                    above.push(Line::Comment(comment.text.clone()));
                    used.insert(index);
                }
                _ => break,
            }
        }
        for line in above.into_iter().rev() {
            match line {
                Line::Blank => push_blank(&mut entry_notes.above),
                other => entry_notes.above.push(other),
            }
        }
    }

    // The others: inside a value, or at the end of a line.
    let mut trailing: Vec<Vec<Trailing>> = places.iter().map(|_| Vec::new()).collect();
    // Comments are in text order: this document's are a slice of them.
    let first_comment = comments.partition_point(|comment| comment.offset < region.start);
    let end_comment = comments.partition_point(|comment| comment.offset < region.end);
    for (index, comment) in comments
        .iter()
        .enumerate()
        .take(end_comment)
        .skip(first_comment)
    {
        if used.contains(&index) {
            continue;
        }
        // Places are in text order: those before the comment are a prefix, and those on its
        // line the end of that prefix.
        let before = places.partition_point(|place| place.key_offset < comment.offset);
        let last_before = before.checked_sub(1);
        let owner = if comment.full_line {
            last_before
        } else {
            // At the end of a line: the outermost entry whose key is on that line, if any.
            let on_line = places[..before]
                .iter()
                .rev()
                .take_while(|place| place.key_line == comment.line)
                .count();
            (before - on_line..before)
                .min_by_key(|&index| places[index].depth)
                .or(last_before)
        };
        let Some(owner) = owner else {
            annotations.header.push(Line::Comment(comment.text.clone()));
            continue;
        };
        trailing[owner].push(Trailing {
            text: comment.text.clone(),
            column: comment.column,
            content_width: comment.content_width,
            end_of_line: !comment.full_line,
            on_key_line: comment.line == places[owner].key_line,
        });
    }
    for ((entry_notes, comments), place) in notes.iter_mut().zip(trailing).zip(places) {
        let end_of_line = comments
            .iter()
            .position(|comment| comment.end_of_line && comment.on_key_line)
            .or_else(|| (comments.len() == 1 && comments[0].end_of_line).then_some(0));
        for (index, comment) in comments.into_iter().enumerate() {
            if Some(index) == end_of_line {
                entry_notes.end_of_line = Some(EndOfLineComment {
                    text: comment.text,
                    column: comment.column,
                    content_width: comment.content_width,
                });
            } else {
                entry_notes.above.push(Line::Comment(comment.text));
            }
        }
        let target = match place.slot {
            Slot::Kind => &mut annotations.top_level.kind,
            Slot::Key => &mut annotations.top_level.key,
            Slot::Template => &mut annotations.top_level.template,
            Slot::Extends => &mut annotations.top_level.extends,
            Slot::IgnoreChanges => &mut annotations.top_level.ignore_changes,
            Slot::Fields => &mut annotations.top_level.fields,
            Slot::Field(index) => {
                if annotations.fields.len() <= index {
                    annotations.fields.resize(index + 1, EntryNotes::default());
                }
                &mut annotations.fields[index]
            }
        };
        *target = std::mem::take(entry_notes);
    }
    annotations.trailer = trailer;
    Ok(())
}

/// Adds a blank line unless the last one is blank already.
fn push_blank(lines: &mut Vec<Line>) {
    if lines.last() != Some(&Line::Blank) {
        lines.push(Line::Blank);
    }
}

/// The comment texts of a document in the order [`emit::annotated_document`] writes them.
pub(super) fn comments_in_order(annotations: &Annotations) -> Vec<String> {
    let top = &annotations.top_level;
    let entries = [
        &top.kind,
        &top.key,
        &top.template,
        &top.extends,
        &top.ignore_changes,
        &top.fields,
    ]
    .into_iter()
    .chain(&annotations.fields);
    let mut texts = comment_texts(&annotations.header);
    for notes in entries {
        texts.extend(comment_texts(&notes.above));
        texts.extend(notes.end_of_line.iter().map(|comment| comment.text.clone()));
    }
    texts.extend(comment_texts(&annotations.trailer));
    texts
}

fn comment_texts(lines: &[Line]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|line| match line {
            Line::Comment(text) | Line::IndentedComment(text) => Some(text.clone()),
            Line::Blank => None,
        })
        .collect()
}
