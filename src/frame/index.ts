/**
 * bask/frame: a tiny pandas-like frame (Series, DatetimeIndex, RangeIndex, DataFrame) and CSV
 * reading into it. Runs unchanged in Node, browsers and Web Workers.
 */
import './codec.js';

export { Series, type SeriesData } from './series.js';
export {
  DatetimeIndex,
  RangeIndex,
  type FrameIndex,
  type IndexData,
  type DatetimeIndexData,
  type RangeIndexData,
} from './indexes.js';
export { DataFrame, type Frame, type DataFrameData, type DataFrameOptions } from './dataframe.js';
export { parseCsv, previewCsv, type ReadCsvOptions, type StockColumn } from './csv.js';
export { readCsv, loadCsvSource, type CsvSource, type LoadedCsv } from './read.js';
export { parseTimestamp } from './dates.js';
export type { CsvInput } from './text.js';
