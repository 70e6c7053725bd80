//! Stable sorting through a few shared instantiations of the standard library's sort.
//!
//! `slice::sort_by_key` compiles its whole sort (some twelve functions, 4 to 6 KB of wasm) once
//! per element type and key closure, and the page's `scenarios` module sorted a dozen kinds of
//! vectors that way. These helpers sort the keys instead, tagged with each element's position,
//! with one unstable sort per key type (`u128`, `(&str, usize)`), then move the elements into
//! place; only the small move loop is compiled per element type. The positions make every key
//! distinct, so the unstable sort gives exactly the stable order: equal keys keep their input
//! order, as with `sort_by_key`.

/// Sorts `items` by `key`, stably (like `items.sort_by_key(key)`).
pub(crate) fn by_key<T>(items: &mut [T], key: impl Fn(&T) -> u64) {
    let mut tagged: Vec<u128> = items
        .iter()
        .enumerate()
        .map(|(i, item)| u128::from(key(item)) << 64 | i as u128)
        .collect();
    sort_u128(&mut tagged);
    permute(
        items,
        tagged.into_iter().map(|t| t as u64 as usize).collect(),
    );
}

/// Sorts `items` by the pair `key` gives, first element first, stably (like
/// `items.sort_by_key(key)` with a tuple key): a stable sort by the second, then by the first.
pub(crate) fn by_key_pair<T>(items: &mut [T], key: impl Fn(&T) -> (u64, u64)) {
    by_key(items, |item| key(item).1);
    by_key(items, |item| key(item).0);
}

/// Sorts `items` by the text `key` gives, stably (like `items.sort_by(|a, b|
/// key(a).cmp(key(b)))`).
pub(crate) fn by_str_key<T>(items: &mut [T], key: impl for<'a> Fn(&'a T) -> &'a str) {
    let mut tagged: Vec<(&str, usize)> = items
        .iter()
        .enumerate()
        .map(|(i, item)| (key(item), i))
        .collect();
    sort_str_tags(&mut tagged);
    let order = tagged.into_iter().map(|(_, i)| i).collect();
    permute(items, order);
}

/// The one instantiation of the sort for integer keys.
#[inline(never)]
fn sort_u128(keys: &mut [u128]) {
    keys.sort_unstable();
}

/// The one instantiation of the sort for text keys.
#[inline(never)]
fn sort_str_tags(keys: &mut [(&str, usize)]) {
    keys.sort_unstable();
}

/// Rearranges `items` so that position `i` holds the element that was at `order[i]` (`order` is a
/// permutation of the positions), following each cycle of the permutation once: linear time, no
/// copy of the elements.
fn permute<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        // Along the cycle through `start`, the element `start` held moves on each swap, until the
        // position whose element it is; a position done points at itself.
        let mut at = start;
        loop {
            let from = order[at];
            order[at] = at;
            if from == start {
                break;
            }
            items.swap(at, from);
            at = from;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::SimRng;

    #[test]
    fn the_helpers_give_the_standard_library_s_stable_order() {
        let mut rng = SimRng::new(7);
        for len in [0, 1, 2, 3, 17, 100, 1000] {
            // Few distinct keys, so that many are equal and stability shows.
            let items: Vec<(u64, u64, usize)> =
                (0..len).map(|i| (rng.below(5), rng.below(3), i)).collect();
            let mut want = items.clone();
            want.sort_by_key(|t| t.0);
            let mut got = items.clone();
            by_key(&mut got, |t| t.0);
            assert_eq!(got, want, "by_key, {len} items");

            let mut want = items.clone();
            want.sort_by_key(|t| (t.1, t.0));
            let mut got = items.clone();
            by_key_pair(&mut got, |t| (t.1, t.0));
            assert_eq!(got, want, "by_key_pair, {len} items");

            let names = ["b", "a", "ab", "", "b"];
            let texts: Vec<(String, usize)> = items
                .iter()
                .map(|t| (names[t.0 as usize].to_string(), t.2))
                .collect();
            let mut want = texts.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            let mut got = texts;
            by_str_key(&mut got, |t| &t.0);
            assert_eq!(got, want, "by_str_key, {len} items");
        }
    }

    #[test]
    fn permute_follows_every_cycle() {
        let mut items = ['a', 'b', 'c', 'd', 'e', 'f'];
        // Cycles (0 3 1) (2) (4 5).
        permute(&mut items, vec![3, 0, 2, 1, 5, 4]);
        assert_eq!(items, ['d', 'a', 'c', 'b', 'f', 'e']);
    }
}
