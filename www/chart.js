// A thin wrapper over uPlot: one chart per element, redrawn from plain arrays.
import uPlot from '../node_modules/uplot/dist/uPlot.esm.js';

// Colours chosen to stay distinguishable for the common colour-vision deficiencies (Okabe–Ito).
export const PALETTE = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#000000'];

/**
 * Draws `spec` into `el`, replacing any previous chart:
 * {x: number[], xLabel, yLabel, xLog?: bool, yLog?: bool, yRange?: [min, max], spanGaps?: bool, series: [{label,
 *  values: (number|null)[], line?: bool}], marks?: [{x, label}]} — marks are dashed vertical lines,
 * such as the moments keys expired. A null value is a gap (a bucket without requests has no hit
 * ratio), unless `spanGaps` joins the points across it (curves measured at different sizes). A
 * series with `line: true` is drawn as a continuous line without points. With `step` (the width
 * of a time bucket, in x units), each x is the start of a bucket and its value is drawn as a flat
 * step across the whole bucket, so a mark inside a bucket (a key that expired at 11.02 s) sits
 * over that bucket's value, not between two points.
 */
export function draw(el, spec) {
  el.replaceChildren();
  if (spec.step) spec = asSteps(spec);
  const width = Math.max(280, Math.min(el.clientWidth || 800, 1000));
  const opts = {
    width,
    height: 320,
    scales: { x: { time: false, distr: spec.xLog ? 3 : 1 }, ...(spec.yLog ? { y: { distr: 3 } } : {}), ...(spec.yRange ? { y: { range: spec.yRange } } : {}) },
    axes: [{ label: spec.xLabel }, { label: spec.yLabel }],
    plugins: spec.marks?.length ? [marksPlugin(spec.marks)] : [],
    series: [
      { label: spec.xLabel, value: legendValue },
      ...spec.series.map((s, i) => ({
        label: s.label,
        value: legendValue,
        stroke: PALETTE[i % PALETTE.length],
        width: 2,
        spanGaps: spec.spanGaps === true,
        points: { show: !s.line && !spec.stepped },
        ...(spec.stepped ? { paths: STEPS } : {}),
      })),
    ],
  };
  return new uPlot(opts, [spec.x, ...spec.series.map((s) => s.values)], el);
}

// A bucket's value holds from its start to the next bucket's start.
const STEPS = uPlot.paths.stepped({ align: 1 });

/**
 * `spec` with one more x, at the end of the last bucket, each series repeating its last value
 * there: the last bucket's step then has a width too.
 */
export function asSteps(spec) {
  const n = spec.x.length;
  if (!n) return { ...spec, stepped: true, step: undefined };
  return {
    ...spec,
    step: undefined,
    stepped: true,
    x: [...spec.x, spec.x[n - 1] + spec.step],
    series: spec.series.map((s) => ({ ...s, values: [...s.values, s.values[n - 1] ?? null] })),
  };
}

/** The value a stepped chart of `spec` draws at `x`: that of the bucket holding `x`. */
export function stepValueAt(spec, seriesIndex, x) {
  const i = spec.x.findLastIndex((start) => start <= x);
  return i < 0 || x >= spec.x[i] + spec.step ? null : spec.series[seriesIndex].values[i];
}

/** A legend cell's text: blank until the cursor is over a point (uPlot's default shows "--"). */
function legendValue(u, value, seriesIdx, idx) {
  return idx == null || value == null ? '' : uPlot.fmtNum(value);
}

/** Draws dashed vertical lines with small labels at the given x positions. */
function marksPlugin(marks) {
  return {
    hooks: {
      draw: (u) => {
        const { ctx } = u;
        const { top, height } = u.bbox;
        ctx.save();
        ctx.strokeStyle = '#777';
        ctx.fillStyle = '#555';
        ctx.setLineDash([4, 4]);
        ctx.font = `${Math.round(10 * devicePixelRatio)}px sans-serif`;
        for (const m of marks) {
          const x = Math.round(u.valToPos(m.x, 'x', true));
          ctx.beginPath();
          ctx.moveTo(x, top);
          ctx.lineTo(x, top + height);
          ctx.stroke();
          ctx.fillText(m.label, x + 3, top + 12 * devicePixelRatio);
        }
        ctx.restore();
      },
    },
  };
}
