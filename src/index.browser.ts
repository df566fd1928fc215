/** The package entry for browsers: the shared API plus the browser's schedulers (Web Workers). */
import { installSchedulers } from './install.js';
import { webRuntime } from './local/runtime-web.js';

export * from './index.js';

installSchedulers(webRuntime);
