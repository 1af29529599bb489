//! The state file, written incrementally: a snapshot followed by a journal, in the one file.
//!
//! The file starts with a snapshot, the pretty JSON document `Store::to_json` writes (the format
//! every earlier version wrote and reads). After it, each answered write appends one line per
//! object it created or updated: the whole object as compact JSON, `{"incident": {...}}` or
//! `{"triage_item": {...}}`. Loading reads the snapshot, then replays the lines in order (a
//! line replaces the object with its id, and its id is never given out again). So a write costs
//! one append of its own object, not a rewrite of every object.
//!
//! - **Durability.** A write is answered only after its line was handed to the operating system
//!   (`write(2)` on the file opened for appending), so killing the process right after the answer
//!   loses nothing: the next run replays the line. Like the atomic rewrite before it, this does
//!   not `fsync` (a crash of the machine is not covered, only of the process).
//! - **A torn last line.** A crash in the middle of an append leaves the last line without its
//!   newline, or not parseable: loading ignores it (its write was never answered), and the next
//!   write rewrites the file whole so that nothing is ever appended after it. Any other line
//!   that does not parse or does not fit the catalog makes the file invalid, as a bad snapshot
//!   does.
//! - **Memory and file agree.** The store applies a write in memory first; if the append fails,
//!   the write is undone in memory (`Store::undo`) and answered 500, and what part of the line
//!   reached the file is cut off (or, if even that fails, the next write rewrites the file).
//! - **Compaction.** The file is rewritten whole (atomically: a temporary file renamed over it)
//!   when a write would make the journal longer than the snapshot, so the total written stays
//!   proportional to the number of writes (the snapshot at least doubles between two
//!   compactions); when there is no file yet; and on a clean shutdown, so that a simulator that
//!   stopped normally leaves a plain snapshot, byte for byte what earlier versions wrote.
//! - **One file.** The journal lives in the state file itself rather than beside it: `--state`
//!   names one file, a run leaves nothing else in its directory, and a snapshot and its journal
//!   cannot be separated.

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::store::{Change, Store, StoredObject};
use crate::kind::Kind;

/// A journal line, as read.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum Entry {
    Incident(StoredObject),
    TriageItem(StoredObject),
}

/// A journal line, as written: [`Entry`] borrowing the object.
#[derive(Serialize)]
#[serde(rename_all = "snake_case")]
enum EntryOut<'store> {
    Incident(&'store StoredObject),
    TriageItem(&'store StoredObject),
}

/// Where the state file stands, as far as this process wrote or read it.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    /// The bytes of the file: its snapshot and its complete journal lines. `None` while there is
    /// no file yet.
    file_len: Option<u64>,
    /// The bytes of the snapshot at the start of the file.
    snapshot_len: u64,
    /// Whether the next write must rewrite the file whole: its end is not known to be the end of
    /// a complete line (a torn line was found on load, or a failed append could not be cut off).
    rewrite: bool,
    /// Whether the file holds journal lines after its snapshot.
    journaled: bool,
}

impl Journal {
    /// Reads the state file at `path`, its journal replayed; a file that does not exist is an
    /// empty store (the first write creates it).
    pub(crate) fn open(path: &Path) -> io::Result<(Store, Journal)> {
        let mut journal = Journal {
            path: path.to_path_buf(),
            file_len: None,
            snapshot_len: 0,
            rewrite: false,
            journaled: false,
        };
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok((Store::new(), journal))
            }
            Err(error) => {
                return Err(io::Error::new(
                    error.kind(),
                    format!(
                        "could not read simulator state `{}`: {error}",
                        path.display()
                    ),
                ))
            }
        };
        let invalid = |problem: String| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "invalid simulator state `{}`: {problem}; fix or delete the file",
                    path.display()
                ),
            )
        };
        let (mut store, snapshot_end) = Store::from_snapshot(&text).map_err(invalid)?;
        journal.snapshot_len = snapshot_end as u64;
        let mut complete = snapshot_end;
        // The line of the file the snapshot ends on; the first piece after it ends that line.
        let snapshot_line = text[..snapshot_end].matches('\n').count() + 1;
        let line_number = |index: usize| snapshot_line + index;
        let mut lines = text[snapshot_end..]
            .split_inclusive('\n')
            .enumerate()
            .peekable();
        while let Some((index, line)) = lines.next() {
            let last = lines.peek().is_none();
            if line.trim().is_empty() {
                complete += line.len();
                continue;
            }
            let entry = if line.ends_with('\n') {
                serde_json::from_str::<Entry>(line).map_err(|error| error.to_string())
            } else {
                Err("the line has no newline".to_string())
            };
            let (kind, object) = match entry {
                Ok(Entry::Incident(object)) => (Kind::Incident, object),
                Ok(Entry::TriageItem(object)) => (Kind::TriageItem, object),
                Err(_) if last => {
                    journal.rewrite = true;
                    break;
                }
                Err(problem) => {
                    return Err(invalid(format!(
                        "line {} (journal): {problem}",
                        line_number(index)
                    )))
                }
            };
            store.replace(kind, object).map_err(|problem| {
                invalid(format!("line {} (journal): {problem}", line_number(index)))
            })?;
            journal.journaled = true;
            complete += line.len();
        }
        journal.file_len = Some(complete as u64);
        Ok((store, journal))
    }

    /// The state file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// Saves what `changes` did to `store` (where they are applied already): one journal line
    /// per changed object appended, or the file rewritten whole (see the module's comment).
    pub(crate) fn record(&mut self, store: &Store, changes: &[Change]) -> io::Result<()> {
        let mut lines = String::new();
        for change in changes {
            let Some(object) = store.get(change.kind, change.id) else {
                continue;
            };
            let entry = match change.kind {
                Kind::Incident => EntryOut::Incident(object),
                Kind::TriageItem => EntryOut::TriageItem(object),
            };
            lines.push_str(&serde_json::to_string(&entry).map_err(io::Error::other)?);
            lines.push('\n');
        }
        if lines.is_empty() {
            return Ok(());
        }
        let Some(file_len) = self.file_len.filter(|_| !self.rewrite) else {
            return self.compact(store);
        };
        let journal_len = file_len.saturating_sub(self.snapshot_len);
        if journal_len.saturating_add(lines.len() as u64) > self.snapshot_len {
            return self.compact(store);
        }
        match self.append(file_len, lines.as_bytes()) {
            Ok(()) => {
                self.file_len = Some(file_len + lines.len() as u64);
                self.journaled = true;
                Ok(())
            }
            // The file was removed under the simulator: write it again, whole.
            Err(error) if error.kind() == io::ErrorKind::NotFound => self.compact(store),
            Err(error) => Err(error),
        }
    }

    /// Appends `bytes` to the file, which holds `file_len` bytes; on failure, cuts off whatever
    /// part of them was written.
    fn append(&mut self, file_len: u64, bytes: &[u8]) -> io::Result<()> {
        let mut file = OpenOptions::new().append(true).open(&self.path)?;
        if let Err(error) = file.write_all(bytes) {
            if file.set_len(file_len).is_err() {
                self.rewrite = true;
            }
            return Err(error);
        }
        Ok(())
    }

    /// Rewrites the file whole from `store`: a snapshot, no journal.
    pub(crate) fn compact(&mut self, store: &Store) -> io::Result<()> {
        let written = store.save(&self.path)?;
        self.file_len = Some(written);
        self.snapshot_len = written;
        self.rewrite = false;
        self.journaled = false;
        Ok(())
    }

    /// Whether the file holds journal lines (or a torn end) that [`Journal::compact`] would fold
    /// into the snapshot.
    pub(crate) fn has_journal(&self) -> bool {
        self.rewrite || self.journaled
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::store::parse_field_changes;
    use chrono::{DateTime, Utc};
    use serde_json::{json, Value};

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-21T08:00:00Z")
            .expect("valid test date")
            .to_utc()
    }

    /// Creates an incident with key `key` the way `SimState::write` does: in memory, then
    /// recorded.
    fn create(store: &mut Store, journal: &mut Journal, key: &str) -> u64 {
        let Value::Object(fields) = json!({"incidentid": key, "status": 2}) else {
            panic!("fields are an object")
        };
        let changes = parse_field_changes(Kind::Incident, &fields).expect("valid fields");
        let id = store.create(Kind::Incident, Some(1), changes, "api", now());
        let changes = store.take_changes();
        journal.record(store, &changes).expect("recorded");
        id
    }

    fn lines_after_snapshot(path: &Path) -> Vec<String> {
        let text = fs::read_to_string(path).expect("reads");
        let (_, end) = Store::from_snapshot(&text).expect("a snapshot");
        text[end..]
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(String::from)
            .collect()
    }

    #[test]
    fn writes_are_appended_replayed_and_compacted() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let (mut store, mut journal) = Journal::open(&path).expect("opens");
        assert!(!journal.has_journal());
        // No file yet: the first write writes a snapshot.
        create(&mut store, &mut journal, "first");
        assert!(lines_after_snapshot(&path).is_empty());
        assert!(!journal.has_journal());
        // The snapshot of one incident is longer than one line: the next write is appended.
        create(&mut store, &mut journal, "second");
        let lines = lines_after_snapshot(&path);
        assert_eq!(lines.len(), 1, "{lines:?}");
        assert!(
            lines[0].starts_with(r#"{"incident":{"id":102,"#),
            "{}",
            lines[0]
        );
        assert!(journal.has_journal());

        // An update is a line holding the whole object; a restart replays it.
        let Value::Object(fields) = json!({"opt_3": "Legal", "status": null}) else {
            panic!("fields are an object")
        };
        let changes = parse_field_changes(Kind::Incident, &fields).expect("valid fields");
        assert!(store.update(Kind::Incident, 101, changes, now()));
        let changes = store.take_changes();
        journal.record(&store, &changes).expect("recorded");
        let (reloaded, _) = Journal::open(&path).expect("opens");
        assert_eq!(reloaded, store);

        // The journal never grows past the snapshot: the file is rewritten whole now and then.
        let mut rewrites = 0;
        for number in 0..200 {
            create(&mut store, &mut journal, &format!("key-{number}"));
            if !journal.has_journal() {
                rewrites += 1;
            }
            assert!(
                journal.file_len.unwrap_or(0) - journal.snapshot_len <= journal.snapshot_len,
                "the journal outgrew the snapshot"
            );
        }
        assert!((2..12).contains(&rewrites), "{rewrites} rewrites");
        let (reloaded, mut reopened) = Journal::open(&path).expect("opens");
        assert_eq!(reloaded, store);
        assert_eq!(reloaded.all(Kind::Incident).count(), 202);

        // A compaction leaves exactly the snapshot earlier versions wrote.
        reopened.compact(&reloaded).expect("compacts");
        let text = fs::read_to_string(&path).expect("reads");
        assert_eq!(text, store.to_json().expect("serializes"));
        assert_eq!(Store::from_json(&text).expect("a plain snapshot"), store);
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_the_next_write_rewrites_the_file() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let (mut store, mut journal) = Journal::open(&path).expect("opens");
        create(&mut store, &mut journal, "first");
        create(&mut store, &mut journal, "second");
        let whole = fs::read_to_string(&path).expect("reads");
        for torn in [
            r#"{"incident":{"id":103,"template_id":1,"#.to_string(),
            "{\"incident\":{\"id\":103}}\n".to_string(),
            "\u{0}\u{0}\u{0}".to_string(),
        ] {
            fs::write(&path, format!("{whole}{torn}")).expect("writes");
            let (mut reloaded, mut reopened) =
                Journal::open(&path).expect("a torn line is no error");
            assert_eq!(reloaded, store, "{torn:?}");
            assert!(reopened.has_journal());
            let id = create(&mut reloaded, &mut reopened, "third");
            assert_eq!(id, 103);
            let text = fs::read_to_string(&path).expect("reads");
            assert!(!text.contains(&torn), "{torn:?} was rewritten away");
            assert_eq!(Store::from_json(&text).expect("a plain snapshot"), reloaded);
        }
    }

    #[test]
    fn a_bad_line_before_the_last_is_refused() {
        let directory = tempfile::tempdir().expect("temporary directory");
        let path = directory.path().join("state.json");
        let (mut store, mut journal) = Journal::open(&path).expect("opens");
        create(&mut store, &mut journal, "first");
        let whole = fs::read_to_string(&path).expect("reads");
        // The line number of the first line after the snapshot, counted from 1.
        let next = whole.lines().count() + 1;
        let line = r#"{"incident":{"id":102,"template_id":1,"created_by":"api","creation_date":"2026-11-20T09:00:00Z","modified_date":"2026-11-20T09:00:00Z","fields":{}}}"#;
        fs::write(&path, format!("{whole}not json\n{line}\n")).expect("writes");
        let error = Journal::open(&path).expect_err("refused");
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error.to_string().contains(&format!(
                "line {next} (journal): expected value at line 1 column 1"
            )),
            "{error}"
        );
        let bad_template = line.replace(r#""template_id":1"#, r#""template_id":99"#);
        fs::write(&path, format!("{whole}{bad_template}\n{line}\n")).expect("writes");
        let error = Journal::open(&path).expect_err("refused");
        assert!(
            error.to_string().contains(&format!(
                "line {next} (journal): incident 102: no incident template with id 99"
            )),
            "{error}"
        );
        fs::write(&path, format!("{whole}{line}\n")).expect("writes");
        let (reloaded, _) = Journal::open(&path).expect("opens");
        assert_eq!(reloaded.all(Kind::Incident).count(), 2);
    }
}
