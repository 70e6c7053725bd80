//! `remember`: the cache-aside read every call site would otherwise write by hand — look the key
//! up, and on a miss run the loader and store its result with a TTL — for typed values, over any
//! [`Store`] (the simulated L2, or a real Redis).
//!
//! Bytes that do not decode as a current value (written by an older deploy, or corrupt) count as a
//! miss and are replaced by the loader's value; they never reach the caller.
//!
//! A cache is an optimisation, so a cache error never becomes the caller's error: a read that
//! fails (Redis down, a timeout) is answered by the loader, a fill that fails is skipped, and
//! both are counted in [`Recalled::store_errors`] for the caller's metrics. Only the loader's own
//! error is the caller's.

use super::key::function_key;
use super::typed::{decode, encode, Decoded, Schema};
use crate::error::{Error, Result};
use crate::sim::SimDuration;
use crate::strategy::Store;
use serde::Serialize;
use std::future::Future;

/// How a `remember` call was answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Remembered {
    /// A current value was in the cache.
    Hit,
    /// Nothing was there: the loader ran and its value was stored.
    Miss,
    /// A value of an older schema version was there: the loader ran and replaced it.
    OldSchema,
    /// Bytes that were no value of this type were there: the loader ran and replaced them.
    Corrupt,
    /// The cache could not be read: the loader answered (and its value was offered to the cache).
    Unavailable,
}

/// The answer of a [`remember`] call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recalled<T> {
    /// The value: the cache's, or the loader's.
    pub value: T,
    /// How it was found.
    pub how: Remembered,
    /// Commands the cache failed (the read, the fill): 0, 1 or 2. None of them failed the call.
    pub store_errors: u64,
}

/// The value under `key`, or `load()`'s, which is then cached for `ttl`. Fails only with the
/// loader's error: a store error counts as a miss (or a skipped fill), see the module docs.
///
/// ```
/// use cachelab::manager::{remember, Remembered, Schema};
/// use cachelab::sim::{Executor, SimDuration};
/// use cachelab::strategy::{SimL2, Store};
/// use cachelab::tiers::L2;
///
/// #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
/// struct Price { cents: u64 }
/// impl Schema for Price { const NAME: &'static str = "price"; const VERSION: u32 = 1; }
///
/// let exec = Executor::new();
/// let store = SimL2::new(exec.sim().clone(), L2::new(), SimDuration::from_millis(1));
/// let answers = exec.sim().spawn(async move {
///     let ttl = SimDuration::from_secs(60);
///     let first = remember(&store, "price:7", ttl, || async { Ok(Price { cents: 250 }) }).await;
///     // The second call finds the cached value: its loader never runs.
///     let second = remember(&store, "price:7", ttl, || async { Ok(Price { cents: 999 }) }).await;
///     (first.unwrap(), second.unwrap())
/// });
/// exec.run();
/// let (first, second) = answers.try_take().unwrap();
/// assert_eq!((first.value, first.how), (Price { cents: 250 }, Remembered::Miss));
/// assert_eq!((second.value, second.how), (Price { cents: 250 }, Remembered::Hit));
/// ```
pub async fn remember<S, T, F, Fut>(
    store: &S,
    key: &str,
    ttl: SimDuration,
    load: F,
) -> Result<Recalled<T>>
where
    S: Store,
    T: Schema,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let mut store_errors = 0;
    let how = match store.get(key.as_bytes()).await {
        Err(_) => {
            store_errors += 1;
            Remembered::Unavailable
        }
        Ok(None) => Remembered::Miss,
        Ok(Some(bytes)) => match decode::<T>(&bytes) {
            Decoded::Value(value) => {
                return Ok(Recalled {
                    value,
                    how: Remembered::Hit,
                    store_errors,
                })
            }
            Decoded::OldSchema { .. } => Remembered::OldSchema,
            Decoded::Corrupt(_) => Remembered::Corrupt,
        },
    };
    let value = load().await?;
    // The fill is tried even after a failed read (the cache may be back); a failed fill is
    // skipped: the caller has its value either way.
    if store
        .set(key.as_bytes(), &encode(&value), Some(ttl))
        .await
        .is_err()
    {
        store_errors += 1;
    }
    Ok(Recalled {
        value,
        how,
        store_errors,
    })
}

/// [`remember`] for a function's result: the key is [`function_key`]`(prefix, function, args)`,
/// so each distinct call is cached once and no two calls share an entry.
pub async fn cached_call<S, A, T, F, Fut>(
    store: &S,
    prefix: &str,
    function: &str,
    args: &A,
    ttl: SimDuration,
    load: F,
) -> Result<Recalled<T>>
where
    S: Store,
    A: Serialize + ?Sized,
    T: Schema,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let key = function_key(prefix, function, args).map_err(|e| Error::Parse {
        what: format!("the arguments of `{function}`"),
        detail: e.to_string(),
    })?;
    remember(store, &key, ttl, load).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::{Executor, Sim};
    use crate::strategy::{Cmd, Script, SimL2};
    use crate::tiers::l2::Reply;
    use crate::tiers::L2;
    use serde::Deserialize;
    use std::cell::Cell;
    use std::rc::Rc;

    #[derive(Serialize, Deserialize, Debug, PartialEq, Clone)]
    struct ProfileV2 {
        id: u64,
        display_name: String,
    }
    impl Schema for ProfileV2 {
        const NAME: &'static str = "profile";
        const VERSION: u32 = 2;
    }

    /// Runs `body` with a fresh simulated L2 (1 ms away) and the clock, and returns its result.
    fn with_store<T: 'static, Fut: Future<Output = T> + 'static>(
        body: impl FnOnce(Rc<SimL2>, Sim) -> Fut,
    ) -> T {
        let exec = Executor::new();
        let store = Rc::new(SimL2::new(
            exec.sim().clone(),
            L2::new(),
            SimDuration::from_millis(1),
        ));
        let handle = exec.sim().spawn(body(store, exec.sim().clone()));
        exec.run();
        handle.try_take().expect("the task finished")
    }

    /// A store whose reads and writes fail on demand, as a Redis that is down (or times out)
    /// answers every command with an error.
    struct Failing {
        inner: Rc<SimL2>,
        reads_fail: bool,
        writes_fail: bool,
    }

    fn down() -> Error {
        Error::Store {
            detail: "connection refused".into(),
        }
    }

    impl Store for Failing {
        // Everything but GET writes in these tests.
        async fn pipeline(&self, cmds: &[Cmd<'_>]) -> Result<Vec<Reply>> {
            if self.writes_fail {
                return Err(down());
            }
            self.inner.pipeline(cmds).await
        }
        async fn eval(&self, script: &dyn Script) -> Result<Reply> {
            if self.writes_fail {
                return Err(down());
            }
            self.inner.eval(script).await
        }
        async fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
            if self.reads_fail {
                return Err(down());
            }
            self.inner.get(key).await
        }
        async fn set(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<()> {
            if self.writes_fail {
                return Err(down());
            }
            self.inner.set(key, value, ttl).await
        }
        async fn set_nx(&self, key: &[u8], value: &[u8], ttl: Option<SimDuration>) -> Result<bool> {
            if self.writes_fail {
                return Err(down());
            }
            self.inner.set_nx(key, value, ttl).await
        }
        async fn del(&self, key: &[u8]) -> Result<bool> {
            if self.writes_fail {
                return Err(down());
            }
            self.inner.del(key).await
        }
    }

    fn profile() -> ProfileV2 {
        ProfileV2 {
            id: 7,
            display_name: "Ada".into(),
        }
    }

    #[test]
    fn a_cache_that_is_down_falls_back_to_the_loader_and_counts_both_errors() {
        let seen = with_store(|inner, _| async move {
            let store = Failing {
                inner,
                reads_fail: true,
                writes_fail: true,
            };
            let ttl = SimDuration::from_secs(60);
            let plain = remember(&store, "profile:7", ttl, || async { Ok(profile()) }).await;
            let call = cached_call(&store, "app", "profile", &(7,), ttl, || async {
                Ok(profile())
            })
            .await;
            (plain, call)
        });
        let (plain, call) = seen;
        for answer in [plain, call] {
            let answer = answer.expect("a cache error never becomes the caller's error");
            assert_eq!(answer.value, profile());
            assert_eq!(answer.how, Remembered::Unavailable);
            // The failed read and the skipped fill.
            assert_eq!(answer.store_errors, 2);
        }
    }

    #[test]
    fn a_fill_that_fails_is_skipped_and_counted() {
        let seen = with_store(|inner, _| async move {
            let store = Failing {
                inner: inner.clone(),
                reads_fail: false,
                writes_fail: true,
            };
            let ttl = SimDuration::from_secs(60);
            let first = remember(&store, "p", ttl, || async { Ok(profile()) }).await;
            // Nothing was stored, so the next caller (whose writes work) misses too.
            let healthy = Failing {
                inner,
                reads_fail: false,
                writes_fail: false,
            };
            let second = remember(&healthy, "p", ttl, || async { Ok(profile()) }).await;
            let third = remember::<_, ProfileV2, _, _>(&healthy, "p", ttl, || async {
                Err(Error::LoadAbandoned)
            })
            .await;
            (first.unwrap(), second.unwrap(), third.unwrap())
        });
        let (first, second, third) = seen;
        assert_eq!((first.how, first.store_errors), (Remembered::Miss, 1));
        assert_eq!((second.how, second.store_errors), (Remembered::Miss, 0));
        assert_eq!((third.how, third.store_errors), (Remembered::Hit, 0));
    }

    #[test]
    fn a_loader_error_is_still_the_callers_error_when_the_cache_is_down() {
        let failed = with_store(|inner, _| async move {
            let store = Failing {
                inner,
                reads_fail: true,
                writes_fail: true,
            };
            remember::<_, ProfileV2, _, _>(&store, "p", SimDuration::from_secs(1), || async {
                Err(Error::LoadAbandoned)
            })
            .await
            .is_err()
        });
        assert!(failed);
    }

    #[test]
    fn a_deploy_that_changes_the_schema_misses_once_then_hits() {
        let loads = Rc::new(Cell::new(0));
        let seen = with_store({
            let loads = loads.clone();
            move |store, _| async move {
                // The previous deploy stored version 1, with another field name.
                let old = br#"{"schema":"profile","v":1,"data":{"id":7,"name":"Ada"}}"#;
                store.set(b"profile:7", old, None).await.unwrap();
                let mut seen = Vec::new();
                for _ in 0..3 {
                    let load = || async {
                        loads.set(loads.get() + 1);
                        Ok(ProfileV2 {
                            id: 7,
                            display_name: "Ada".into(),
                        })
                    };
                    let answer = remember(&*store, "profile:7", SimDuration::from_secs(60), load)
                        .await
                        .unwrap();
                    seen.push(answer.how);
                }
                seen
            }
        });
        assert_eq!(
            seen,
            [Remembered::OldSchema, Remembered::Hit, Remembered::Hit]
        );
        assert_eq!(loads.get(), 1);
    }

    #[test]
    fn corrupt_bytes_are_replaced_and_loader_errors_are_not_cached() {
        let seen = with_store(|store, _| async move {
            store.set(b"k", b"\xff\x00 not json", None).await.unwrap();
            let failed =
                remember::<_, ProfileV2, _, _>(&*store, "k", SimDuration::from_secs(5), || async {
                    Err(Error::LoadAbandoned)
                })
                .await;
            let after_failure = remember(&*store, "k", SimDuration::from_secs(5), || async {
                Ok(ProfileV2 {
                    id: 1,
                    display_name: "x".into(),
                })
            })
            .await
            .unwrap();
            (failed.is_err(), after_failure.how)
        });
        assert_eq!(seen, (true, Remembered::Corrupt));
    }

    #[test]
    fn entries_expire_after_their_ttl() {
        let seen = with_store(|store, sim| async move {
            let ttl = SimDuration::from_secs(10);
            let load = || async {
                Ok(ProfileV2 {
                    id: 1,
                    display_name: "x".into(),
                })
            };
            let first = cached_call(&*store, "app", "profile", &(1,), ttl, load)
                .await
                .unwrap();
            let second = cached_call(&*store, "app", "profile", &(1,), ttl, load)
                .await
                .unwrap();
            let other_args = cached_call(&*store, "app", "profile", &(2,), ttl, load)
                .await
                .unwrap();
            sim.sleep(SimDuration::from_secs(11)).await;
            let later = cached_call(&*store, "app", "profile", &(1,), ttl, load)
                .await
                .unwrap();
            [first.how, second.how, other_args.how, later.how]
        });
        assert_eq!(
            seen,
            [
                Remembered::Miss,
                Remembered::Hit,
                Remembered::Miss,
                Remembered::Miss
            ]
        );
    }
}
