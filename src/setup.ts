/**
 * What every runtime installs before computing: the lazy API's backend (api.ts) and bask's own
 * task modules, by id, so that results holding their types decode on this thread too. The
 * package entries import this; so does `bask spreads`, which loads no more of the library than
 * a local run needs.
 */
import './api.js';
import './frame/builtin.js';
import './seed/builtin.js';
