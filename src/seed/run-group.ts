/**
 * `RunGroup`: the many computations of one `runSpreads` call (a file or a batch of files
 * each) presented to diagnostics as one computation, so that a ProgressBar fills once and a
 * Profiler keeps every file's tasks.
 */
import type { BaskError } from '../errors.js';
import {
  emit,
  now,
  type Callbacks,
  type StartEvent,
  type TaskEndEvent,
  type TaskStartEvent,
} from '../hooks.js';

/**
 * Many computations presented to diagnostics as one: the first `start` is passed on (its keys
 * are that computation's: the others' graphs are built as their files go in) with the
 * task count scaled to every file (each file's graph has the same shape, so the estimate is
 * exact unless a file fails before it starts), plus the run's tasks of no file (a list task
 * per batch on a cluster, which the computation's count is told apart from), the others are
 * dropped; task events pass
 * through; each computation's `finish` is dropped and one `finish` is sent by `end()`.
 */
export class RunGroup implements Callbacks {
  private first: StartEvent | undefined;
  private error: BaskError | undefined;

  /**
   * `extra`: tasks of the whole run that belong to no file (a list task per batch), counted
   * once in the announced total.
   */
  constructor(
    private readonly consumers: readonly Callbacks[],
    private readonly files: number,
    private readonly extra = 0,
  ) {}

  /** The group's face to one computation of `files` files and `extra` tasks of no file. */
  member(files: number, extra = 0): Callbacks {
    return {
      start: (event) => this.start(event, files, extra),
      taskStart: (event) => this.taskStart(event),
      taskEnd: (event) => this.taskEnd(event),
    };
  }

  start(event: StartEvent, files = 1, extra = 0): void {
    if (this.first !== undefined) return;
    this.first = event;
    const perFile = (event.ntasks - extra) / Math.max(1, files);
    emit(this.consumers, 'start', {
      scheduler: event.scheduler,
      ntasks: Math.round(perFile * this.files) + this.extra,
      keys: event.keys,
      time: event.time,
    });
  }

  taskStart(event: TaskStartEvent): void {
    emit(this.consumers, 'taskStart', event);
  }

  taskEnd(event: TaskEndEvent): void {
    emit(this.consumers, 'taskEnd', event);
  }

  /** Remembers the first failure, reported by the group's `finish`. */
  fail(error: BaskError): void {
    this.error ??= error;
  }

  /** Sends the one `finish`, if anything started. */
  end(): void {
    if (this.first === undefined) return;
    const time = now();
    emit(this.consumers, 'finish', {
      scheduler: this.first.scheduler,
      time,
      elapsed: time - this.first.time,
      ...(this.error === undefined ? {} : { error: this.error }),
    });
  }
}
