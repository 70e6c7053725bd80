// The page's first moves, made as soon as this small module has arrived, while the browser is
// still fetching and running the rest of the page's code (app.js and its imports, uPlot): the
// workers start, `basics` (which lists the course) loads, and so does the module of the lesson the
// address names, when the address alone tells which one it needs. index.html runs this module
// before app.js, which takes the workers from here.
import { Core } from './core.js';
import { prefetchBundled, sweepWorkers } from './replay.js';

/** The lessons' worker: the course's lists, the lessons' runs (and the first of a sweep's workers). */
export const runs = new Core();
/**
 * Checks while the learner types (link decoding, the request budget): a worker of their own, so
 * they answer while a run keeps `runs` busy.
 */
export const checks = new Core();
/** The Redis console's model: a worker of its own, so a cancelled run leaves the session alone. */
export const consoleCore = new Core();

/**
 * The lesson the page opens when the address names none: the course's first (the listing says so
 * only once `basics` has loaded; tests/e2e/startup.test.mjs checks that the two agree).
 */
const FIRST_LESSON = 'console';

/**
 * Before the course is listed, the lesson the address names (or the first) may tell which module
 * its first call needs: the console's model, or the eviction lesson's replays (in every worker of
 * its sweep: the first downloads the module, the others then find it in the HTTP cache, and the
 * bundled trace it opens on). That module then loads beside `basics` instead of after the listing. Any other lesson has a form
 * whose seed `checks` reads before the first run: that worker starts now, not on the run's path.
 */
function warmFor(id) {
  if (id === 'console') consoleCore.warm('Console');
  else if (id === 'eviction') {
    prefetchBundled();
    const [first, ...helpers] = sweepWorkers(runs, Infinity);
    first.warm('replayTrace').then(() => helpers.forEach((h) => h.warm('replayTrace')));
  } else if (id !== 'inside') checks.warm('decodeLink');
}

runs.warm('lessons');
warmFor(new URLSearchParams(location.search).get('lesson') ?? FIRST_LESSON);
