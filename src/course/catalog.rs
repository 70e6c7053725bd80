//! The course's registry: one line per lesson, in course order. A lesson is its file
//! (`lessons/<id>.json`, see `lessons/README.md`) plus its line here.

use super::lesson::Lesson;
use crate::error::{Error, Result};

/// Every lesson file, in course order: `(id, its text)`.
#[rustfmt::skip]
const FILES: &[(&str, &str)] = &[
    ("console", include_str!("../../lessons/console.json")),
    ("degradation", include_str!("../../lessons/degradation.json")),
    ("keys", include_str!("../../lessons/keys.json")),
    ("response-cache", include_str!("../../lessons/response-cache.json")),
    ("consistency", include_str!("../../lessons/consistency.json")),
    ("stampede", include_str!("../../lessons/stampede.json")),
    ("lock-safety", include_str!("../../lessons/lock-safety.json")),
    ("schema-deploy", include_str!("../../lessons/schema-deploy.json")),
    ("capacity", include_str!("../../lessons/capacity.json")),
    ("layers", include_str!("../../lessons/layers.json")),
    ("multilayer", include_str!("../../lessons/multilayer.json")),
    ("monitoring", include_str!("../../lessons/monitoring.json")),
    ("memory", include_str!("../../lessons/memory.json")),
    ("penetration", include_str!("../../lessons/penetration.json")),
    ("avalanche", include_str!("../../lessons/avalanche.json")),
    ("inconsistency", include_str!("../../lessons/inconsistency.json")),
    ("tags", include_str!("../../lessons/tags.json")),
    ("ratelimit", include_str!("../../lessons/ratelimit.json")),
    ("query-cache", include_str!("../../lessons/query-cache.json")),
    ("observability", include_str!("../../lessons/observability.json")),
    ("eviction", include_str!("../../lessons/eviction.json")),
    ("inside", include_str!("../../lessons/inside.json")),
];

/// Every lesson, in course order, read and checked.
pub fn lessons() -> Result<Vec<Lesson>> {
    let lessons = FILES
        .iter()
        .map(|(id, text)| {
            let lesson = Lesson::from_json(text).map_err(|e| Error::Parse {
                what: format!("lessons/{id}.json"),
                detail: e.to_string(),
            })?;
            if lesson.id != *id {
                return Err(Error::Parse {
                    what: format!("lessons/{id}.json"),
                    detail: format!("its id is `{}`, not the file's name", lesson.id),
                });
            }
            Ok(lesson)
        })
        .collect::<Result<Vec<Lesson>>>()?;
    // A part's lessons sit together, so that the navigation can group them in course order.
    let mut seen: Vec<&str> = Vec::new();
    for l in &lessons {
        if seen.last() != Some(&l.part.as_str()) {
            if seen.contains(&l.part.as_str()) {
                return Err(Error::Parse {
                    what: format!("lesson `{}`", l.id),
                    detail: format!("part `{}` is split by another part", l.part),
                });
            }
            seen.push(&l.part);
        }
    }
    Ok(lessons)
}

/// The lesson called `id`.
pub fn find(id: &str) -> Result<Lesson> {
    let all = lessons()?;
    let known = all.iter().map(|l| l.id.clone()).collect();
    all.into_iter()
        .find(|l| l.id == id)
        .ok_or_else(|| Error::UnknownName {
            kind: "lesson",
            name: id.to_string(),
            known,
        })
}
