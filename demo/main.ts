/**
 * The demo page's wiring: daily spreads from uploaded CSV files, computed with bask on the
 * scheduler the user picks. Each concern lives in a module of ui/; this file holds the page's
 * state (the chosen files, whether a run is going) and connects the controls to the runs.
 *
 * Flow: files (drop, pickers, sample data) -> `setFiles` resets the views and draws the graph
 * of the first files; Run / Run all three -> `runOne` per scheduler: `runSpreads` computes
 * each file as its own computation, results stream into the table and the chart (repainted
 * at most ~10 times a second), the ProgressBar draws itself, and at the end the wall time,
 * the comparison across schedulers, the task stream and the downloads are offered.
 *
 * Focus: a control that disables itself (Run, Use sample data, Stop) hands the focus on to
 * the control that comes next (Stop during a run, Run after it), so that a keyboard user is
 * never dropped on <body>.
 */
import './styles.css';
import { ProgressBar, clearCache, defaultPool } from 'bask';
import { formatWallTime, isSpreadFailure, type SpreadResult } from 'bask/seed';
import {
  connectScheduler,
  isUnavailable,
  runOn,
  SCHEDULER_LABELS,
  type SchedulerKind,
} from './runner.js';
import { showGraph, showTaskStream, clearView } from './ui/diagnostics.js';
import { SpreadChart } from './ui/chart.js';
import { byId, formatBytes, plural } from './ui/dom.js';
import { ResultsDownloads } from './ui/downloads.js';
import { ErrorList } from './ui/errors.js';
import { setupFileInputs, type InputFile } from './ui/files.js';
import { onMappingChange, readMapping, type MappingInputs } from './ui/mapping.js';
import { ResultsTable } from './ui/results-table.js';
import { generateSampleFiles } from './ui/sample.js';
import { SchedulerPanel } from './ui/schedulers.js';
import { Throttle } from './ui/throttle.js';
import { TimingsPanel } from './ui/timings.js';

const ALL_SCHEDULERS: readonly SchedulerKind[] = ['sync', 'threads', 'cluster'];

const ui = {
  dropZone: byId('drop-zone', HTMLElement),
  fileInput: byId('file-input', HTMLInputElement),
  folderInput: byId('folder-input', HTMLInputElement),
  chooseFiles: byId('choose-files', HTMLButtonElement),
  chooseFolder: byId('choose-folder', HTMLButtonElement),
  sample: byId('use-sample', HTMLButtonElement),
  fileSummary: byId('file-summary', HTMLElement),
  run: byId('run', HTMLButtonElement),
  runAll: byId('run-all', HTMLButtonElement),
  stop: byId('stop', HTMLButtonElement),
  status: byId('status', HTMLElement),
  taskStream: byId('task-stream', HTMLElement),
  graph: byId('graph', HTMLElement),
  useCache: byId('use-cache', HTMLInputElement),
  clearCache: byId('clear-cache', HTMLButtonElement),
};
const mappingInputs: MappingInputs = {
  timestamp: byId('map-timestamp', HTMLInputElement),
  high: byId('map-high', HTMLInputElement),
  low: byId('map-low', HTMLInputElement),
};
const schedulers = new SchedulerPanel({
  form: byId('scheduler-form', HTMLFormElement),
  address: byId('cluster-address', HTMLInputElement),
  clusterStatus: byId('cluster-status', HTMLElement),
  poolSize: byId('pool-size', HTMLElement),
  dashboardLink: byId('dashboard-link', HTMLAnchorElement),
  volunteerLink: byId('volunteer-link', HTMLAnchorElement),
});
const table = new ResultsTable(byId('results', HTMLElement));
const chart = new SpreadChart({
  host: byId('chart', HTMLElement),
  reset: byId('chart-reset', HTMLButtonElement),
  caption: byId('chart-caption', HTMLElement),
});
const downloads = new ResultsDownloads({
  csv: byId('download-csv', HTMLButtonElement),
  json: byId('download-json', HTMLButtonElement),
});
const errors = new ErrorList(byId('errors', HTMLElement));
const timings = new TimingsPanel(byId('timings', HTMLElement), byId('verdict', HTMLElement));
const progress = new ProgressBar({ element: byId('progress', HTMLElement) });

const state = {
  files: [] as readonly InputFile[],
  /** Set while a run (or a series of runs) is going: Stop aborts it. */
  running: undefined as AbortController | undefined,
  /** Set while the sample data is being generated. */
  generating: false,
};

function setStatus(text: string, tone: 'info' | 'error' = 'info'): void {
  ui.status.textContent = text;
  ui.status.dataset['tone'] = tone;
}

/** Enables what can be used now: nothing that changes the input while a run is going. */
function updateControls(): void {
  const busy = state.running !== undefined;
  const idle = !busy && state.files.length > 0;
  document.body.dataset['running'] = String(busy);
  ui.chooseFiles.disabled = busy;
  ui.chooseFolder.disabled = busy;
  ui.sample.disabled = busy || state.generating;
  for (const input of [mappingInputs.timestamp, mappingInputs.high, mappingInputs.low]) {
    input.disabled = busy;
  }
  ui.run.disabled = !idle;
  ui.runAll.disabled = !idle;
  ui.stop.disabled = !busy;
}

/**
 * When the focus was on a control that is now disabled (or on nothing), moves it to the first
 * of `targets` that can take it, without scrolling: a keyboard user keeps their place.
 */
function passFocus(...targets: HTMLElement[]): void {
  const active = document.activeElement;
  const lost =
    active === null ||
    active === document.body ||
    ((active instanceof HTMLButtonElement || active instanceof HTMLInputElement) &&
      active.disabled);
  if (!lost) return;
  const target = targets.find((t) => !(t instanceof HTMLButtonElement && t.disabled) && !t.hidden);
  target?.focus({ preventScroll: true });
}

/** A new input: every view starts over, and the graph of its first files is drawn. */
function setFiles(files: InputFile[]): void {
  if (state.running !== undefined) {
    setStatus('A run is going: stop it before choosing other files.', 'error');
    return;
  }
  state.files = files;
  const bytes = files.reduce((sum, f) => sum + f.file.size, 0);
  ui.fileSummary.textContent =
    files.length === 0
      ? 'No CSV files found there.'
      : `${plural(files.length, 'file')} · ${formatBytes(bytes)}`;
  table.reset(files, 'idle');
  table.setCaption(`Results: ${plural(files.length, 'file')}, not computed yet`);
  chart.clear();
  downloads.set([]);
  errors.clear();
  timings.reset();
  clearView(ui.taskStream, 'The task stream of the last run appears here.');
  inputChanged();
  updateControls();
  setStatus(files.length === 0 ? '' : 'Ready: pick a scheduler and press Run.');
}

/** The files or the mapping changed: earlier timings no longer compare. */
function inputChanged(): void {
  timings.reset();
  void drawGraph();
}

async function drawGraph(): Promise<void> {
  try {
    await showGraph(ui.graph, state.files, readMapping(mappingInputs));
  } catch (error) {
    clearView(ui.graph, `Could not draw the graph: ${messageOf(error)}`);
  }
}

async function runSchedulers(
  kinds: readonly SchedulerKind[],
  trigger: HTMLButtonElement,
): Promise<void> {
  const controller = new AbortController();
  state.running = controller;
  updateControls();
  passFocus(ui.stop);
  try {
    for (const kind of kinds) {
      if (controller.signal.aborted) break;
      await runOne(kind, controller.signal);
    }
  } catch (error) {
    setStatus(`The run failed: ${messageOf(error)}`, 'error');
  } finally {
    state.running = undefined;
    updateControls();
    passFocus(trigger, ui.status);
  }
}

async function runOne(kind: SchedulerKind, signal: AbortSignal): Promise<void> {
  const label = SCHEDULER_LABELS[kind];
  const scheduler = await connectScheduler(kind, schedulers.address);
  if (isUnavailable(scheduler)) {
    // Nothing ran: the table keeps the last run's results.
    timings.record(scheduler);
    schedulers.showClusterUnavailable(scheduler.message);
    setStatus(`${label}: not available, nothing ran (see the scheduler address).`, 'error');
    return;
  }
  const files = state.files;
  const results = new Array<SpreadResult | undefined>(files.length);
  let settled = 0;
  table.reset(files, 'pending');
  errors.clear();
  downloads.set([]);
  table.setCaption(`Results on ${label}: computing ${plural(files.length, 'file')}…`);
  chart.clear();
  setStatus(`${label}: computing ${plural(files.length, 'file')}…`);
  const paint = new Throttle(() => {
    table.render();
    chart.update(results);
    if (settled < files.length) {
      setStatus(`${label}: ${settled} of ${plural(files.length, 'file')} done…`);
    }
  });
  const outcome = await runOn({
    kind,
    scheduler,
    files,
    mapping: readMapping(mappingInputs),
    callbacks: [progress],
    signal,
    cache: ui.useCache.checked,
    onResult: (result, index) => {
      results[index] = result;
      table.set(index, result);
      settled++;
      paint.request();
    },
  });
  paint.flushNow();
  // Drawing thousands of task bars takes a moment: let the final results paint first.
  setTimeout(() => showTaskStream(ui.taskStream, outcome.profiler), 0);
  errors.show(outcome.results);
  downloads.set(outcome.results);
  const failed = outcome.results.filter(isSpreadFailure).length;
  const counts = `${plural(files.length - failed, 'spread')}, ${plural(failed, 'error')}`;
  const time = formatWallTime(outcome.wallMs);
  table.setCaption(`Results on ${label} (${counts}; wall time ${time})`);
  if (signal.aborted) {
    setStatus(`${label}: stopped after ${time}.`, 'error');
    return;
  }
  timings.record(outcome);
  setStatus(`${label}: ${plural(files.length, 'file')} in ${time} (${counts}).`);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

setupFileInputs(
  { dropZone: ui.dropZone, fileInput: ui.fileInput, folderInput: ui.folderInput },
  setFiles,
);
ui.chooseFiles.addEventListener('click', () => ui.fileInput.click());
ui.chooseFolder.addEventListener('click', () => ui.folderInput.click());
ui.sample.addEventListener('click', () => {
  state.generating = true;
  updateControls();
  setStatus('Generating 250 trading days of minute bars…');
  const summary = ui.fileSummary.textContent;
  ui.fileSummary.textContent = 'Generating the sample data…';
  passFocus(ui.fileSummary);
  generateSampleFiles()
    .then(setFiles, (error: unknown) => {
      ui.fileSummary.textContent = summary;
      setStatus(messageOf(error), 'error');
    })
    .finally(() => {
      state.generating = false;
      updateControls();
      // From the summary ("250 files · 5.6 MB") on to what comes next: Run.
      if (document.activeElement === ui.fileSummary) ui.fileSummary.blur();
      passFocus(ui.run, ui.fileSummary);
    });
});
onMappingChange(mappingInputs, inputChanged);
ui.run.addEventListener('click', () => void runSchedulers([schedulers.kind], ui.run));
ui.runAll.addEventListener('click', () => void runSchedulers(ALL_SCHEDULERS, ui.runAll));
ui.stop.addEventListener('click', () => state.running?.abort());
ui.clearCache.addEventListener('click', () => {
  clearCache().then(
    () => setStatus('The cache is empty: the next run computes everything.'),
    (error: unknown) => setStatus(`Could not clear the cache: ${messageOf(error)}`, 'error'),
  );
});
setFiles([]);
ui.fileSummary.textContent = 'No files chosen yet.';
setStatus('');
// The worker pool starts while the user picks files: the first run does not wait for it. A
// pool that cannot start says so when it is run.
defaultPool.start().catch(() => undefined);
