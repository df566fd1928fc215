/// <reference lib="esnext.disposable" preserve="true" />
/**
 * bask: lazy task graphs computed on a sync scheduler, a worker pool or a cluster.
 *
 * This module holds the public API shared by every runtime; `index.node.ts` and
 * `index.browser.ts` add the runtime's worker pool and are what the package exports. The lib
 * reference above keeps `using`/`await using` types (Disposable) working in apps whose
 * tsconfig `lib` does not list them.
 */
import './setup.js';

export { get, compute, persist, visualize, type GetOptions } from './api.js';
export { delayed, isDelayed, type DelayedOptions, type DelayedTuple } from './delayed/delayed.js';
export type {
  Delayed,
  DelayedMembers,
  Computed,
  ComputedArgs,
  ComputeOptions,
  VisualizeOptions,
  MaybeDelayed,
  DelayedArgs,
} from './delayed/types.js';
export { task, ref, alias, Task, Ref, Alias, type Graph, type KeySpec } from './graph/spec.js';
export { tokenize } from './graph/tokenize.js';
export { getDependencies, toposort, cull, order, fuse } from './graph/algorithms.js';
export {
  defineTasks,
  describeFunction,
  type AnyTaskModule,
  type FnRef,
  type TaskModule,
} from './graph/fnref.js';
export { config, type ConfigOptions, type SchedulerName, type SchedulerSpec } from './config.js';
export type { Scheduler, RunRequest } from './scheduler.js';
export { BaskError, isBaskError, type ErrorCode } from './errors.js';
export {
  registerCallbacks,
  type Callbacks,
  type StartEvent,
  type TaskStartEvent,
  type TaskEndEvent,
  type FinishEvent,
} from './hooks.js';
export { SyncScheduler } from './local/sync.js';
export { Pool, type PoolOptions } from './local/pool.js';
export type { PoolWorker, PoolWorkerFactory } from './local/runtime.js';
export { defaultPool, DefaultPools } from './local/pools.js';
export { registerType, type TypeCodec } from './wire/registry.js';
export { Client } from './client/client.js';
export type {
  ClientOptions,
  LocalClientOptions,
  SubmitArgs,
  ClientComputeOptions,
  ClientGetOptions,
  ScatterOptions,
  MapIterables,
  MapTaskOptions,
  MaybeFuture,
} from './client/options.js';
export type { GatherOptions } from './client/data.js';
export type { GatheredShape, ScatteredShape, FuturesOf, KeyFutures } from './client/shapes.js';
export { Future, type FutureStatus, type FutureView } from './client/future.js';
export type { ConnectionStatus as ClientStatus } from './client/connection.js';
export type { ReconnectOptions } from './wire/backoff.js';
export {
  asCompleted,
  wait,
  AsCompleted,
  type WaitOptions,
  type AsCompletedOptions,
  type FutureResult,
} from './client/waiting.js';
export type { SubmitTaskOptions, ClientTaskOptions } from './client/submission.js';
export type { ClusterInfo } from './local/backend.js';
export { Diagnostic, type Registration } from './diagnostics/base.js';
export { ProgressBar, type ProgressBarOptions } from './diagnostics/progress.js';
export type { ProgressSnapshot, ProgressStream } from './diagnostics/progress-views.js';
export {
  Profiler,
  type ProfilerOptions,
  type GroupSummary,
  type TaskRecord as ProfiledTask,
  type TaskStreamOptions,
} from './diagnostics/profiler.js';
export {
  ResourceProfiler,
  type ResourceProfilerOptions,
  type ResourceSample,
  type ResourceChartOptions,
} from './diagnostics/resources.js';
export {
  mountDashboard,
  type DashboardSource,
  type DashboardHandle,
  type DashboardViewName,
  type MountDashboardOptions,
} from './diagnostics/dashboard/mount.js';
export {
  DashboardConnection,
  type ConnectionStatus,
  type DashboardConnectionOptions,
} from './diagnostics/dashboard/connection.js';
export type { DashboardModel, TaskRun } from './diagnostics/dashboard/model.js';
export type {
  DashboardUpdate,
  DashboardTotals,
  GroupProgress,
  WorkerStatus,
  ThreadStatus,
  TransferRun,
  GraphSnapshot,
} from './wire/dashboard-protocol.js';
export { Engine, type EngineOptions } from './engine/engine.js';
export type { EngineEvent, Instruction, TaskState } from './engine/types.js';
export {
  joinCluster,
  Volunteer,
  type VolunteerStatus,
  type JoinOptions,
} from './volunteer/index.js';
export {
  ResultCache,
  clearCache,
  defaultResultCache,
  type ResultCacheOptions,
} from './cache/result-cache.js';
export type { CacheOption } from './cache/options.js';
