/**
 * Registers the seed task module under the id its tasks carry (`bask:seed`, see tasks.ts),
 * loaded on first use. Imported by bask's own pool worker and the package entry.
 */
import { registerBuiltinModule } from '../worker/builtins.js';

registerBuiltinModule('bask:seed', () => import('./tasks.js'));
