//! Transactions: MULTI EXEC DISCARD WATCH UNWATCH, as Redis 7.0 runs them for one client.
//!
//! After `MULTI` every command except `EXEC`, `DISCARD`, `MULTI` and `WATCH` is checked (name,
//! arity, memory) and queued with the reply `QUEUED`; a command refused while queuing makes
//! `EXEC` abort. While `EXEC` runs, the clock that decides expiry stands still (Redis's
//! `fixed_time_expire`): a `DEBUG SLEEP` inside lets its time pass after the last reply.
//! `WATCH` marks keys; any change to one (a write, an expiry, an eviction, a flush)
//! before `EXEC` makes `EXEC` answer nil and run nothing.

use crate::tiers::l2::{Reply, L2};

/// `MULTI`.
pub fn multi(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    if l2.client.queued.is_some() {
        return Reply::err("MULTI calls can not be nested");
    }
    l2.client.queued = Some(Vec::new());
    Reply::OK
}

/// Leaves the transaction and forgets the watched keys (Redis's `discardTransaction`).
pub(super) fn discard_transaction(l2: &mut L2) {
    l2.client.queued = None;
    l2.client.queue_failed = false;
    unwatch_all(l2);
}

fn unwatch_all(l2: &mut L2) {
    l2.client.watched.clear();
    l2.client.dirty = false;
}

/// `DISCARD`.
pub fn discard(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    if l2.client.queued.is_none() {
        return Reply::err("DISCARD without MULTI");
    }
    discard_transaction(l2);
    Reply::OK
}

/// `EXEC`: the queued commands' replies, nil if a watched key changed, or EXECABORT.
pub fn exec(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    let Some(queue) = l2.client.queued.take() else {
        return Reply::err("EXEC without MULTI");
    };
    // A watched key that expired since (even if nothing removed it yet) counts as changed.
    let expired_since = l2
        .client
        .watched
        .iter()
        .any(|(db, key, expired_before)| !expired_before && l2.key_expired_in(*db, key));
    let (failed, dirty) = (l2.client.queue_failed, l2.client.dirty || expired_since);
    discard_transaction(l2);
    if failed {
        return Reply::Error("EXECABORT Transaction discarded because of previous errors.".into());
    }
    if dirty {
        return Reply::Nil;
    }
    l2.client.executing = true;
    let replies = queue
        .iter()
        .map(|queued| super::run_queued(l2, queued))
        .collect();
    l2.client.executing = false;
    let slept = std::mem::take(&mut l2.client.slept_in_exec);
    l2.advance_to(l2.now + slept);
    Reply::Array(replies)
}

/// `WATCH key...`.
pub fn watch(l2: &mut L2, args: &[Vec<u8>]) -> Reply {
    if l2.client.queued.is_some() {
        return Reply::err("WATCH inside MULTI is not allowed");
    }
    let db = l2.selected;
    for key in &args[1..] {
        if l2
            .client
            .watched
            .iter()
            .any(|(d, k, _)| *d == db && k == key)
        {
            continue;
        }
        let expired = l2.key_expired_in(db, key);
        l2.client.watched.push((db, key.clone(), expired));
    }
    Reply::OK
}

/// `UNWATCH`.
pub fn unwatch(l2: &mut L2, _args: &[Vec<u8>]) -> Reply {
    unwatch_all(l2);
    Reply::OK
}
