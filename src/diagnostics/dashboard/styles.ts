/**
 * The dashboard's styles, injected once per document by `mountDashboard` (a library cannot
 * import CSS files for every bundler), scoped under `.bask-dashboard`. The rules uPlot needs
 * to lay out its canvas and axes (from uPlot.min.css) are included, so no stylesheet has to be
 * added by the page.
 */

const STYLE_ID = 'bask-dashboard-styles';

const CSS = `
.bask-dashboard { font: 13px/1.4 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #222; }
.bask-dashboard h2 { font-size: 14px; margin: 18px 0 6px; }
.bask-dashboard .bask-conn { font-size: 12px; color: #666; margin: 0 0 8px; }
.bask-dashboard .bask-conn[data-state='open'] { color: #2a7d2a; }
.bask-dashboard .bask-conn[data-state='retrying'], .bask-dashboard .bask-conn[data-state='closed'] { color: #d62728; }
.bask-dashboard .bask-totals { display: flex; flex-wrap: wrap; gap: 8px 18px; margin: 4px 0 8px; }
.bask-dashboard .bask-totals div { min-width: 90px; }
.bask-dashboard .bask-totals b { display: block; font-size: 18px; font-variant-numeric: tabular-nums; }
.bask-dashboard .bask-totals span { color: #666; font-size: 11px; }
.bask-dashboard table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
.bask-dashboard th, .bask-dashboard td { text-align: left; padding: 3px 8px; border-bottom: 1px solid #eee; white-space: nowrap; }
.bask-dashboard th { font-weight: 600; color: #444; font-size: 12px; }
.bask-dashboard td.num, .bask-dashboard th.num { text-align: right; }
.bask-dashboard .bask-bar { position: relative; display: flex; height: 14px; min-width: 160px; background: #eee; border-radius: 2px; overflow: hidden; }
.bask-dashboard .bask-bar > i { display: block; height: 100%; }
.bask-dashboard .bask-bar .released { background: #6baed6; }
.bask-dashboard .bask-bar .memory { background: #31a354; }
.bask-dashboard .bask-bar .erred { background: #d62728; }
.bask-dashboard .bask-bar .processing { background: #a1d99b; }
.bask-dashboard .bask-bar .used { background: #4e79a7; }
.bask-dashboard .bask-bar .used.high { background: #e15759; }
.bask-dashboard .bask-key { display: flex; gap: 12px; font-size: 11px; color: #555; margin: 4px 0; }
.bask-dashboard .bask-key i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; vertical-align: -1px; }
.bask-dashboard .bask-note { color: #666; font-size: 12px; }
.bask-dashboard .bask-quarantined { color: #fff; background: #d62728; border-radius: 2px; padding: 0 4px; font-size: 11px; }
.bask-dashboard .bask-paused { color: #fff; background: #e6550d; border-radius: 2px; padding: 0 4px; font-size: 11px; }
.bask-dashboard .bask-stream, .bask-dashboard .bask-graph-box { overflow-x: auto; }
.bask-dashboard .bask-graph-box svg { max-width: 100%; height: auto; }
.bask-dashboard .bask-graph-box svg [data-state='erred'] rect { stroke: #d62728; stroke-width: 2; }
.uplot, .uplot *, .uplot *::before, .uplot *::after { box-sizing: border-box; }
.uplot { width: min-content; }
.u-wrap { position: relative; user-select: none; }
.u-over, .u-under { position: absolute; }
.u-under { overflow: hidden; }
.uplot canvas { display: block; position: relative; width: 100%; height: 100%; }
.u-axis { position: absolute; }
.u-legend { font-size: 12px; margin: auto; text-align: center; }
.u-inline { display: block; }
.u-inline * { display: inline-block; }
.u-inline tr { margin-right: 16px; }
.u-legend th { font-weight: 600; }
.u-legend th > * { vertical-align: middle; display: inline-block; }
.u-legend .u-marker { width: 1em; height: 1em; margin-right: 4px; background-clip: padding-box !important; }
.u-inline.u-live th::after { content: ':'; vertical-align: middle; }
.u-inline:not(.u-live) .u-value { display: none; }
.u-series > * { padding: 4px; }
.u-select { background: rgba(0,0,0,0.07); position: absolute; pointer-events: none; }
.u-cursor-x, .u-cursor-y { position: absolute; left: 0; top: 0; pointer-events: none; will-change: transform; }
.u-hz .u-cursor-x, .u-vt .u-cursor-y { height: 100%; border-right: 1px dashed #607D8B; }
.u-hz .u-cursor-y, .u-vt .u-cursor-x { width: 100%; border-bottom: 1px dashed #607D8B; }
.u-cursor-pt { position: absolute; top: 0; left: 0; border-radius: 50%; border: 0 solid; pointer-events: none; will-change: transform; background-clip: padding-box !important; }
.u-axis.u-off, .u-select.u-off, .u-cursor-x.u-off, .u-cursor-y.u-off, .u-cursor-pt.u-off { display: none; }
`;

/** Adds the dashboard's stylesheet to the document, once. */
export function injectStyles(doc: Document): void {
  if (doc.getElementById(STYLE_ID) !== null) return;
  const style = doc.createElement('style');
  style.id = STYLE_ID;
  style.textContent = CSS;
  (doc.head ?? doc.documentElement).appendChild(style);
}
