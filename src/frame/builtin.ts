/**
 * Registers the frame codec under the id its types carry (`bask:frame`, see codec.ts), loaded
 * on first use: a worker that never imported the frame module decodes a DataFrame anyway.
 * Imported by bask's own pool worker and the package entry.
 */
import { registerBuiltinModule } from '../worker/builtins.js';

registerBuiltinModule('bask:frame', () => import('./codec.js'));
