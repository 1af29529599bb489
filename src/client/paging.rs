//! What the client has learnt, during one run, about how a search endpoint pages.
//!
//! The API profile says a page shorter than asked is the last one. A server that caps its pages
//! below the size asked (Sumo's own scripts use 150 and 50) breaks that rule: its first page of a
//! larger answer is short too, and taking it as the last would miss every object after it (and
//! then create them again). So a short page ends a search only when the server has shown that it
//! would have filled it: when the page holds fewer objects than some earlier page of this run did
//! (a capped server fills every page up to its cap). A short page that ties the largest page seen
//! is ambiguous; the client then asks for the next page *in pages of the size it got*, which starts
//! right after it whether the server offsets pages by the size asked or by the size it answered.
//! If that page holds new objects, the server caps its pages at that size: the cap is kept and
//! used for every later search of the run, so it is discovered once, by a request that also reads
//! data.
//!
//! If that next page is empty instead, or holds only objects the short page held (a server whose
//! pages overlap), this answer was complete; but that says nothing about a later short page of
//! the same size, which a server capping at exactly that size would also send for a larger answer.
//! So every short page that ties the largest page seen is read on once, until a cap is found (then
//! pages of the cap are full, smaller ones last) or a larger page shows there is none that small.
//! A run makes one extra request for each such tie: a request more, never an object missed (and
//! created again).
//! A page of fewer than [`MIN_PLAUSIBLE_CAP`] objects is always the last.
//!
//! To spare the ties of a large plan (every batch of existing keys answers the same count), the
//! first ambiguous page of a run also makes one discovery search: a page of every object carrying
//! a key. On a tenant holding more objects than that page, it comes back larger than the tie (or
//! full), which settles that tie and every later one at once.

use std::sync::atomic::{AtomicU32, Ordering};

/// No server caps its pages below this many objects (Sumo's own scripts page by 50 and 150): a
/// shorter page is the last one, which spares small searches (one key, a few objects) the extra
/// request.
pub(crate) const MIN_PLAUSIBLE_CAP: u32 = 10;

/// Paging facts of one search endpoint, shared by every search of a run.
#[derive(Debug, Default)]
pub(crate) struct PageKnowledge {
    /// The most objects one page has held so far in this run.
    largest: AtomicU32,
    /// The page size the server was found to cap pages at (0: none found).
    cap: AtomicU32,
    /// Held while a search reads on after an ambiguous page, so that searches side by side make
    /// that extra request one at a time and learn from each other's.
    probing: tokio::sync::Mutex<()>,
    /// Whether the run's one discovery search was made (see [`PageKnowledge::discovering`]).
    discovered: std::sync::atomic::AtomicBool,
}

/// What a page means for the search it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PageVerdict {
    /// As many objects as asked: read the next page.
    Full,
    /// The last page.
    Last,
    /// Short, but possibly because the server caps its pages at this size.
    MaybeCapped,
}

impl PageKnowledge {
    /// The page size to ask for when `wanted` is configured: the discovered cap if it is smaller.
    pub(crate) fn page_size(&self, wanted: u32) -> u32 {
        match self.cap.load(Ordering::Relaxed) {
            0 => wanted,
            cap => cap.min(wanted),
        }
    }

    /// The cap found, if any.
    pub(crate) fn cap(&self) -> Option<u32> {
        Some(self.cap.load(Ordering::Relaxed)).filter(|cap| *cap > 0)
    }

    /// Records that the server caps pages at `cap` objects.
    pub(crate) fn set_cap(&self, cap: u32) {
        self.cap.store(cap.max(1), Ordering::Relaxed);
    }

    /// The most objects one page has held so far.
    pub(crate) fn largest(&self) -> u32 {
        self.largest.load(Ordering::Relaxed)
    }

    /// `true` once per run: the caller makes the discovery search, one page of every object that
    /// carries a key. On a tenant with more objects than the ambiguous page, it shows the server
    /// fills larger pages, which settles every later tie without another request.
    pub(crate) fn discovering(&self) -> bool {
        !self.discovered.swap(true, Ordering::Relaxed)
    }

    /// Waits for the turn to read on after an ambiguous page; hold the guard until that page is
    /// read.
    pub(crate) async fn probe_turn(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.probing.lock().await
    }

    /// What an ambiguous page of `count` objects means once another search may have learnt more:
    /// `Full` when the server caps pages at exactly `count` (read on in pages of that size),
    /// `Last` when it caps them higher or has since filled a larger page.
    pub(crate) fn reconsider(&self, count: usize) -> PageVerdict {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        match self.cap() {
            Some(cap) if cap == count => PageVerdict::Full,
            Some(cap) if cap > count => PageVerdict::Last,
            _ if count < self.largest() => PageVerdict::Last,
            _ => PageVerdict::MaybeCapped,
        }
    }

    /// Records a page of `count` objects asked as `asked`, and says what it means.
    pub(crate) fn record(&self, asked: u32, count: usize) -> PageVerdict {
        let count = u32::try_from(count).unwrap_or(u32::MAX);
        let largest_before = self.largest.fetch_max(count, Ordering::Relaxed);
        verdict(asked, count, largest_before)
    }
}

/// A page of `count` objects asked as `asked`, when the largest page seen before held
/// `largest_before` objects.
fn verdict(asked: u32, count: u32, largest_before: u32) -> PageVerdict {
    if count >= asked {
        PageVerdict::Full
    } else if count < MIN_PLAUSIBLE_CAP || count < largest_before {
        // Fewer than any server caps pages at, or fewer than the server has put in one page
        // before: it would have filled this one if more matched.
        PageVerdict::Last
    } else {
        // As many as the largest page yet: the server may cap its pages at this size, even if
        // an earlier answer of this size turned out complete (it may have matched exactly that
        // many objects).
        PageVerdict::MaybeCapped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_page_is_last_only_when_the_server_has_filled_a_larger_one() {
        assert_eq!(verdict(500, 500, 0), PageVerdict::Full);
        assert_eq!(verdict(500, 0, 0), PageVerdict::Last);
        assert_eq!(verdict(500, 499, 500), PageVerdict::Last);
        assert_eq!(verdict(500, 150, 0), PageVerdict::MaybeCapped);
        assert_eq!(verdict(500, 150, 150), PageVerdict::MaybeCapped);
        assert_eq!(verdict(500, 149, 150), PageVerdict::Last);
        assert_eq!(verdict(150, 40, 150), PageVerdict::Last);
        assert_eq!(verdict(500, 40, 30), PageVerdict::MaybeCapped);
        assert_eq!(verdict(500, 9, 0), PageVerdict::Last);
        assert_eq!(verdict(3, 2, 0), PageVerdict::Last);
    }

    #[test]
    fn the_largest_page_and_the_cap_are_remembered() {
        let knowledge = PageKnowledge::default();
        assert_eq!(knowledge.page_size(500), 500);
        assert_eq!(knowledge.record(500, 30), PageVerdict::MaybeCapped);
        assert_eq!(knowledge.record(500, 20), PageVerdict::Last);
        // A tie stays ambiguous: an answer of thirty that was complete does not show that the
        // server would put more than thirty objects in a page.
        assert_eq!(knowledge.record(500, 30), PageVerdict::MaybeCapped);
        assert_eq!(knowledge.reconsider(30), PageVerdict::MaybeCapped);
        assert_eq!(knowledge.record(500, 40), PageVerdict::MaybeCapped);
        assert_eq!(knowledge.reconsider(30), PageVerdict::Last);
        knowledge.set_cap(150);
        assert_eq!(knowledge.page_size(500), 150);
        assert_eq!(knowledge.page_size(100), 100);
        assert_eq!(knowledge.cap(), Some(150));
        assert_eq!(knowledge.reconsider(150), PageVerdict::Full);
        assert_eq!(knowledge.reconsider(149), PageVerdict::Last);
    }
}
