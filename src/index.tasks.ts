/**
 * The package entry for task modules (`bask/tasks`): what a module of task functions needs and
 * nothing else, so that importing it costs an app's worker chunk almost nothing (importing
 * `defineTasks` from 'bask' works too, but brings the schedulers into the worker's bundle).
 */
export { defineTasks, isTaskModule, type AnyTaskModule, type TaskModule } from './graph/fnref.js';
export { registerType, type TypeCodec } from './wire/registry.js';
