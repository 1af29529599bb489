//! `soarform export`: the tenant as canonical desired-state YAML (being written, issue 5).
