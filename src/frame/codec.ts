/**
 * Registers the frame classes with bask's type registry, so that a DataFrame made in one
 * worker arrives in another worker (or on another machine) as a DataFrame. The module URL lets
 * a worker that never imported the frame module decode one anyway.
 */
import { registerType } from '../wire/registry.js';
import { DataFrame } from './dataframe.js';
import { DatetimeIndex, RangeIndex } from './indexes.js';
import { Series } from './series.js';

/** Workers know this module as `bask:frame` (registered in builtin.ts). */
const MODULE = 'bask:frame';

registerType(Series, {
  name: 'bask.Series',
  encode: Series.toData,
  decode: Series.fromData,
  moduleUrl: MODULE,
});
registerType(DatetimeIndex, {
  name: 'bask.DatetimeIndex',
  encode: DatetimeIndex.toData,
  decode: DatetimeIndex.fromData,
  moduleUrl: MODULE,
});
registerType(RangeIndex, {
  name: 'bask.RangeIndex',
  encode: RangeIndex.toData,
  decode: RangeIndex.fromData,
  moduleUrl: MODULE,
});
registerType(DataFrame, {
  name: 'bask.DataFrame',
  encode: DataFrame.toData,
  decode: DataFrame.fromData,
  moduleUrl: MODULE,
});
