//! The apply lease: one object in the tenant that says which `apply` may write now, so that
//! concurrent pipelines take turns instead of creating every object twice.
//!
//! Cloud SOAR has no compare-and-swap, so the lease is taken by writing and reading back: a run
//! that finds the lease free (or expired) writes its record (holder, start, expiry and a random
//! token) into the lease object, waits the settle delay, and reads the lease again. If its token
//! is still there, it holds the lease; if another run wrote after it, that run holds it and this
//! one waits. Two runs that both find no lease object both create one; the object with the lowest
//! id is the lease, and the run that loses retires the object it made.
//!
//! This excludes concurrent writers as long as the server applies writes in order and every run
//! writes within the settle delay of the read that found the lease free. A run that stalls longer
//! than that between its read and its write (a paused VM, say) can still overlap another; the
//! duplicate check after creates ([`crate::apply`]) is the net for that. A holder renews its lease
//! while it works; one that died is overtaken once its lease expired. Expiry is compared with the
//! reader's clock, so clocks that disagree by more than the settle delay weaken the guarantee.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use rand::distributions::Alphanumeric;
use rand::Rng as _;
use serde_json::{Map, Value};

use crate::client::{Client, ClientError, RemoteObject};
use crate::kind::Kind;
use crate::plan::OWNER_MARKER;
use crate::stop::{Stop, StopReason};

/// How long a lease lasts unless renewed, unless `lock.ttl_seconds` says otherwise.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(300);
/// The longest `lock.ttl_seconds` accepted: a day.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(86_400);
/// How long a run waits after writing the lease before reading it back, unless
/// `lock.settle_seconds` says otherwise.
pub(crate) const DEFAULT_SETTLE: Duration = Duration::from_secs(2);
/// How often a run waiting for the lease looks again.
const POLL: Duration = Duration::from_secs(2);
/// How many times a lease record that never shows when read back is written before giving up.
const MAX_UNWRITTEN: u32 = 3;
/// What every lease record starts with.
const RECORD_PREFIX: &str = "soarform lease v1";

/// Where the lease lives and how it is taken.
#[derive(Debug, Clone)]
pub(crate) struct LeaseSpec {
    /// Incident or triage item.
    pub kind: Kind,
    /// The lease object's key.
    pub key: String,
    /// The API name of the identity field.
    pub identity_field: String,
    /// The API name of the text field holding the record.
    pub record_field: String,
    /// The API name of the ownership field, written on create when the tenant has one.
    pub ownership_field: Option<String>,
    /// The template of an incident lease object.
    pub template_id: Option<u64>,
    /// How long a lease lasts unless renewed.
    pub ttl: Duration,
    /// How long to wait after writing before reading back.
    pub settle: Duration,
}

/// Who holds (or wants) the lease.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Holder {
    /// The machine's host name.
    pub host: String,
    /// The process id.
    pub pid: u32,
    /// The CI job's URL, when the environment names one.
    pub job: Option<String>,
}

impl Holder {
    /// This process, with the CI job URL from the environment of GitHub Actions, GitLab CI,
    /// Jenkins, Buildkite or CircleCI when one is set.
    pub(crate) fn this_process() -> Holder {
        let host = std::env::var("HOSTNAME")
            .ok()
            .filter(|name| !name.trim().is_empty())
            .or_else(|| {
                std::fs::read_to_string("/etc/hostname")
                    .ok()
                    .map(|name| name.trim().to_string())
                    .filter(|name| !name.is_empty())
            })
            .unwrap_or_else(|| "unknown-host".to_string());
        let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        let job = match (
            variable("GITHUB_SERVER_URL"),
            variable("GITHUB_REPOSITORY"),
            variable("GITHUB_RUN_ID"),
        ) {
            (Some(server), Some(repository), Some(run)) => {
                Some(format!("{server}/{repository}/actions/runs/{run}"))
            }
            _ => variable("CI_JOB_URL")
                .or_else(|| variable("BUILD_URL"))
                .or_else(|| variable("BUILDKITE_BUILD_URL"))
                .or_else(|| variable("CIRCLE_BUILD_URL")),
        };
        Holder {
            host: clean(&host),
            pid: std::process::id(),
            job: job.map(|job| clean(&job)),
        }
    }

    /// `ci-runner-7 (pid 4242, https://ci.example.com/jobs/17)`.
    pub(crate) fn describe(&self) -> String {
        match &self.job {
            Some(job) => format!("{} (pid {}, {job})", self.host, self.pid),
            None => format!("{} (pid {})", self.host, self.pid),
        }
    }
}

/// Keeps a value from breaking the one-line record: no `;`, no line breaks, no controls.
fn clean(value: &str) -> String {
    value
        .chars()
        .map(|character| {
            if character == ';' || character.is_control() {
                ','
            } else {
                character
            }
        })
        .collect()
}

/// What a lease object's record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    /// Who holds it, or held it last.
    pub holder: String,
    /// The holder's random token.
    pub token: String,
    /// When the holder took it.
    pub started: DateTime<Utc>,
    /// When it expires unless renewed; `None` once released.
    pub expires: Option<DateTime<Utc>>,
}

impl Record {
    /// The record as written into the text field.
    pub(crate) fn to_text(&self) -> String {
        let time = |instant: &DateTime<Utc>| instant.to_rfc3339_opts(SecondsFormat::Secs, true);
        match &self.expires {
            Some(expires) => format!(
                "{RECORD_PREFIX}; held by {}; since {}; expires {}; token {}",
                self.holder,
                time(&self.started),
                time(expires),
                self.token
            ),
            None => format!(
                "{RECORD_PREFIX}; released by {}; since {}; token {}",
                self.holder,
                time(&self.started),
                self.token
            ),
        }
    }

    /// Parses [`Record::to_text`]; anything else (an empty field, a hand edit) is `None` and
    /// counts as a free lease.
    pub(crate) fn parse(text: &str) -> Option<Record> {
        let mut parts = text.trim().split("; ");
        if parts.next()? != RECORD_PREFIX {
            return None;
        }
        let (mut holder, mut held, mut started, mut expires, mut token) =
            (None, false, None, None, None);
        for part in parts {
            let time = |text: &str| {
                DateTime::parse_from_rfc3339(text)
                    .ok()
                    .map(|instant| instant.with_timezone(&Utc))
            };
            if let Some(rest) = part.strip_prefix("held by ") {
                holder = Some(rest.to_string());
                held = true;
            } else if let Some(rest) = part.strip_prefix("released by ") {
                holder = Some(rest.to_string());
            } else if let Some(rest) = part.strip_prefix("since ") {
                started = time(rest);
            } else if let Some(rest) = part.strip_prefix("expires ") {
                expires = time(rest);
            } else if let Some(rest) = part.strip_prefix("token ") {
                token = Some(rest.to_string());
            }
        }
        if held && expires.is_none() {
            return None;
        }
        Some(Record {
            holder: holder?,
            token: token?,
            started: started?,
            expires: if held { expires } else { None },
        })
    }

    /// Whether someone holds it at `now`. A record expiring further ahead than any lease lasts
    /// ([`MAX_TTL`]) was not written by a holder (a hand edit, a broken clock) and holds nothing:
    /// it would otherwise block every apply until then.
    pub(crate) fn held_at(&self, now: DateTime<Utc>) -> bool {
        let longest = chrono::Duration::from_std(MAX_TTL).unwrap_or_default();
        self.expires
            .is_some_and(|expires| expires > now && expires <= now + longest)
    }
}

/// Why the lease could not be taken.
#[derive(Debug, thiserror::Error)]
pub(crate) enum LeaseError {
    /// Another run held it for the whole wait.
    #[error("the apply lease (`{key}`, {noun} {id}) is held by {holder} since {since}, until {expires}; waited {waited} s")]
    Held {
        key: String,
        noun: &'static str,
        id: u64,
        holder: String,
        since: String,
        expires: String,
        waited: u64,
    },
    /// An object soarform did not make as a lease carries the lease key: it is never written.
    #[error("{noun} {id} carries the key of the apply lease (`{key}`), but it is not a lease soarform made; it was left alone")]
    NotALease {
        key: String,
        noun: &'static str,
        id: u64,
    },
    /// Asked to stop (a signal) while waiting for the lease.
    #[error("stopped while waiting for the apply lease; nothing was written")]
    Stopped,
    /// The lease was written, but reading it back never showed this run's record nor anyone's.
    #[error("the apply lease (`{key}`) was written {attempts} times, but reading it back never showed it")]
    NotWritten { key: String, attempts: u32 },
    /// A request failed.
    #[error("cannot take the apply lease: {0}")]
    Client(#[from] ClientError),
}

impl LeaseError {
    /// What to do about it.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            LeaseError::Held { .. } => Some(
                "wait for that apply to finish, or pass `--lock-timeout 10m` to wait for it; if it died, its lease expires by itself (`lock.ttl_seconds`)".into(),
            ),
            LeaseError::NotALease { .. } => Some(
                "name another key for the lease with `lock.key` in soarform.yaml, or pass `--lock=false`".into(),
            ),
            LeaseError::Stopped => None,
            LeaseError::NotWritten { .. } => Some(
                "the tenant does not keep what soarform writes into the lease object: check `lock.field` in soarform.yaml, or pass `--lock=false`".into(),
            ),
            LeaseError::Client(error) => error.hint(),
        }
    }
}

/// A lease this run holds. Release it with [`Lease::release`]; one never released expires.
#[derive(Debug)]
pub(crate) struct Lease {
    spec: LeaseSpec,
    id: u64,
    record: Record,
    lost: AtomicBool,
}

impl Lease {
    /// Takes the lease, waiting up to `timeout` while another run holds it.
    pub(crate) async fn take(
        client: &Client,
        spec: &LeaseSpec,
        holder: &Holder,
        timeout: Duration,
        stop: &Stop,
    ) -> Result<Lease, LeaseError> {
        let started_waiting = std::time::Instant::now();
        let token: String = rand::thread_rng()
            .sample_iter(&Alphanumeric)
            .take(24)
            .map(char::from)
            .collect();
        let mut announced = false;
        let mut unwritten = 0;
        loop {
            let now = Utc::now();
            let ours = Record {
                holder: holder.describe(),
                token: token.clone(),
                started: now,
                expires: Some(now + chrono::Duration::from_std(spec.ttl).unwrap_or_default()),
            };
            let objects = lease_objects(client, spec).await?;
            if let Some(foreign) = objects.iter().find(|object| !is_lease(spec, object)) {
                return Err(LeaseError::NotALease {
                    key: spec.key.clone(),
                    noun: spec.kind.noun(),
                    id: foreign.id,
                });
            }
            let mut created = None;
            match objects.first() {
                Some(lease) => {
                    match record_of(spec, lease) {
                        Some(record) if record.held_at(now) && record.token != token => {
                            let waited = started_waiting.elapsed();
                            if waited >= timeout {
                                return Err(held(spec, lease.id, &record, waited));
                            }
                            if !announced {
                                eprintln!(
                                "note: the apply lease is held by {} since {}; waiting up to {} s",
                                crate::safe_text::one_line(&crate::scrub::server_text(&record.holder)),
                                record.started.to_rfc3339_opts(SecondsFormat::Secs, true),
                                timeout.saturating_sub(waited).as_secs()
                            );
                                announced = true;
                            }
                            pause(POLL.min(timeout.saturating_sub(waited)), stop).await?;
                            continue;
                        }
                        _ => {
                            write_record(client, spec, lease.id, &ours).await?;
                        }
                    }
                }
                None => {
                    created = create_lease_object(client, spec, &ours).await?;
                }
            }
            tokio::time::sleep(spec.settle).await;
            let objects = lease_objects(client, spec).await?;
            let winner = objects.first();
            let won = winner
                .and_then(|lease| record_of(spec, lease))
                .is_some_and(|record| record.token == token);
            // A lease object this run made that is not the lease (another run made one first)
            // is retired, so that the next runs find one object only.
            for extra in objects.iter().skip(1) {
                if created == Some(extra.id) {
                    retire_extra(client, spec, extra.id, objects[0].id).await?;
                }
            }
            if let (true, Some(lease)) = (won, winner) {
                tracing::debug!("took the apply lease ({} {})", spec.kind, lease.id);
                return Ok(Lease {
                    spec: spec.clone(),
                    id: lease.id,
                    record: ours,
                    lost: AtomicBool::new(false),
                });
            }
            // Another run wrote after this one and holds the lease now, or this run's write did
            // not land (a lost answer, a server that drops writes).
            let waited = started_waiting.elapsed();
            let holder = winner.and_then(|lease| {
                record_of(spec, lease)
                    .filter(|record| record.held_at(Utc::now()))
                    .map(|record| (lease.id, record))
            });
            match holder {
                Some((id, record)) if waited >= timeout => {
                    return Err(held(spec, id, &record, waited));
                }
                None => {
                    unwritten += 1;
                    if unwritten >= MAX_UNWRITTEN {
                        return Err(LeaseError::NotWritten {
                            key: spec.key.clone(),
                            attempts: unwritten,
                        });
                    }
                }
                Some(_) => {}
            }
            pause(
                POLL.min(timeout.saturating_sub(waited)).max(spec.settle),
                stop,
            )
            .await?;
        }
    }

    /// Waits up to `timeout` for a lease another run holds to be released, without taking it
    /// (what `plan` does: it writes nothing, but a plan made while an apply runs may be stale).
    /// The record still holding it when the wait ends, if any.
    pub(crate) async fn wait_free(
        client: &Client,
        spec: &LeaseSpec,
        timeout: Duration,
    ) -> Result<Option<Record>, ClientError> {
        let started = std::time::Instant::now();
        loop {
            let objects = lease_objects(client, spec).await?;
            let held = objects
                .first()
                .and_then(|lease| record_of(spec, lease))
                .filter(|record| record.held_at(Utc::now()));
            let waited = started.elapsed();
            if held.is_none() || waited >= timeout {
                return Ok(held);
            }
            tokio::time::sleep(POLL.min(timeout - waited)).await;
        }
    }

    /// Runs `work` while renewing the lease every third of its time to live. When the lease
    /// turns out to be lost, renewal stops and `stop` is told, so that no new write starts.
    pub(crate) async fn hold_while<T>(
        &self,
        client: &Client,
        stop: &Stop,
        work: impl std::future::Future<Output = T>,
    ) -> T {
        // Set once `work` is done; a renewal already under way finishes first, so that no
        // renewal can land after the release and make the lease look held again.
        let (finished, mut done) = tokio::sync::watch::channel(false);
        let renew = async {
            loop {
                tokio::select! {
                    () = tokio::time::sleep(self.spec.ttl / 3) => {}
                    _ = done.wait_for(|finished| *finished) => return,
                }
                match self.renew(client).await {
                    Ok(true) => {}
                    Ok(false) => {
                        self.lost.store(true, Ordering::Relaxed);
                        stop.request(StopReason::LeaseLost);
                        eprintln!(
                            "warning: the apply lease was taken over by another run; no new write starts"
                        );
                        return;
                    }
                    Err(error) => eprintln!(
                        "warning: could not renew the apply lease: {}",
                        crate::safe_text::one_line(&crate::scrub::server_text(&error.to_string()))
                    ),
                }
            }
        };
        let work = async {
            let output = work.await;
            let _ = finished.send(true);
            output
        };
        let (output, ()) = tokio::join!(work, renew);
        output
    }

    /// Writes a later expiry if the lease is still this run's; `false` when it is not.
    async fn renew(&self, client: &Client) -> Result<bool, ClientError> {
        if !self.still_ours(client).await? {
            return Ok(false);
        }
        let mut record = self.record.clone();
        record.expires =
            Some(Utc::now() + chrono::Duration::from_std(self.spec.ttl).unwrap_or_default());
        write_record(client, &self.spec, self.id, &record).await?;
        Ok(true)
    }

    async fn still_ours(&self, client: &Client) -> Result<bool, ClientError> {
        let live = client.get(self.spec.kind, self.id).await?;
        Ok(record_of(&self.spec, &live).is_some_and(|record| record.token == self.record.token))
    }

    /// Marks the lease released, if it is still this run's.
    pub(crate) async fn release(self, client: &Client) -> Result<(), ClientError> {
        if !self.still_ours(client).await? {
            tracing::warn!(
                "the apply lease was taken over by another run before this one released it"
            );
            return Ok(());
        }
        let record = Record {
            expires: None,
            ..self.record.clone()
        };
        write_record(client, &self.spec, self.id, &record).await?;
        tracing::debug!("released the apply lease");
        Ok(())
    }
}

/// Sleeps `wait`, or ends early with [`LeaseError::Stopped`] when a stop is asked for.
async fn pause(wait: Duration, stop: &Stop) -> Result<(), LeaseError> {
    tokio::select! {
        () = tokio::time::sleep(wait) => Ok(()),
        () = stop.stopped() => Err(LeaseError::Stopped),
    }
}

fn held(spec: &LeaseSpec, id: u64, record: &Record, waited: Duration) -> LeaseError {
    let time = |instant: &DateTime<Utc>| instant.to_rfc3339_opts(SecondsFormat::Secs, true);
    LeaseError::Held {
        key: spec.key.clone(),
        noun: spec.kind.noun(),
        id,
        holder: record.holder.clone(),
        since: time(&record.started),
        expires: record.expires.as_ref().map_or_else(String::new, time),
        waited: waited.as_secs(),
    }
}

/// Whether `object` can be the lease: its record field holds a lease record or nothing, and it
/// carries soarform's ownership marker where the tenant has an ownership field.
fn is_lease(spec: &LeaseSpec, object: &RemoteObject) -> bool {
    let record_ok = match object.fields.get(&spec.record_field) {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => text.trim().is_empty() || text.starts_with(RECORD_PREFIX),
        Some(_) => false,
    };
    let owned = spec
        .ownership_field
        .as_ref()
        .is_none_or(|field| object.fields.get(field).and_then(Value::as_str) == Some(OWNER_MARKER));
    record_ok && owned
}

/// The objects carrying the lease key, lowest id (the lease) first.
async fn lease_objects(
    client: &Client,
    spec: &LeaseSpec,
) -> Result<Vec<RemoteObject>, ClientError> {
    let mut columns = vec![spec.record_field.clone()];
    columns.extend(spec.ownership_field.clone());
    crate::observe::carrying(client, spec.kind, &spec.identity_field, &spec.key, &columns).await
}

fn record_of(spec: &LeaseSpec, object: &RemoteObject) -> Option<Record> {
    object
        .fields
        .get(&spec.record_field)
        .and_then(Value::as_str)
        .and_then(Record::parse)
}

async fn write_record(
    client: &Client,
    spec: &LeaseSpec,
    id: u64,
    record: &Record,
) -> Result<(), ClientError> {
    let mut fields = Map::new();
    fields.insert(spec.record_field.clone(), Value::String(record.to_text()));
    client.update(spec.kind, id, fields).await?;
    Ok(())
}

/// Creates the lease object; its id, or `None` when the answer was lost (the read-back then
/// finds it, or not, like any other lease object).
async fn create_lease_object(
    client: &Client,
    spec: &LeaseSpec,
    record: &Record,
) -> Result<Option<u64>, ClientError> {
    let mut fields = Map::new();
    fields.insert(spec.identity_field.clone(), Value::String(spec.key.clone()));
    fields.insert(spec.record_field.clone(), Value::String(record.to_text()));
    if let Some(ownership) = &spec.ownership_field {
        fields.insert(ownership.clone(), Value::String(OWNER_MARKER.into()));
    }
    match client.create(spec.kind, spec.template_id, fields).await {
        Ok(created) => Ok(Some(created.id)),
        Err(ClientError::OutcomeUnknown { .. }) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Rewrites the identity of a second lease object so that it no longer carries the lease key.
async fn retire_extra(
    client: &Client,
    spec: &LeaseSpec,
    id: u64,
    kept: u64,
) -> Result<(), ClientError> {
    let mut fields = Map::new();
    fields.insert(
        spec.identity_field.clone(),
        Value::String(crate::plan::retired_identity(&spec.key, kept)),
    );
    // And its record no longer says it is held.
    fields.insert(
        spec.record_field.clone(),
        Value::String(format!(
            "{RECORD_PREFIX}; retired: a second lease object, {} {kept} is the lease",
            spec.kind.noun()
        )),
    );
    client.update(spec.kind, id, fields).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_round_trip_and_anything_else_is_free() {
        let started = DateTime::parse_from_rfc3339("2026-12-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let held = Record {
            holder: "runner-7 (pid 42, https://ci.example.com/jobs/1)".into(),
            token: "abc123".into(),
            started,
            expires: Some(started + chrono::Duration::seconds(300)),
        };
        assert_eq!(Record::parse(&held.to_text()), Some(held.clone()));
        assert!(held.held_at(started));
        assert!(!held.held_at(started + chrono::Duration::seconds(301)));
        // A record expiring years ahead holds nothing.
        let forever = Record {
            expires: Some(started + chrono::Duration::days(3650)),
            ..held.clone()
        };
        assert!(!forever.held_at(started));
        let released = Record {
            expires: None,
            ..held.clone()
        };
        assert_eq!(Record::parse(&released.to_text()), Some(released.clone()));
        assert!(!released.held_at(started));
        for text in [
            "",
            "hand-written text",
            "soarform lease v1; held by x; token y",
        ] {
            assert_eq!(Record::parse(text), None, "{text}");
        }
    }

    #[test]
    fn holders_never_break_the_record_line() {
        assert_eq!(clean("a;b\nc"), "a,b,c");
        let holder = Holder {
            host: "h".into(),
            pid: 7,
            job: Some("https://x/1".into()),
        };
        assert_eq!(holder.describe(), "h (pid 7, https://x/1)");
    }
}
