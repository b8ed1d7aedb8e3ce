/**
 * `mergeMap` with `concatMap`'s order: up to `concurrency` inner Observables
 * run at once, but their values come out as if they had run one after
 * another, so a stream whose recordings are read by workers at unpredictable
 * speeds still emits the same windows in the same order every time.
 *
 * @module
 */
import { from, Observable, type ObservableInput, type OperatorFunction, type Subscription } from "rxjs";

interface Inner<R> {
  /** Values that arrived while an earlier inner was still emitting. */
  buffer: R[];
  done: boolean;
  subscription?: Subscription;
}

/**
 * Projects each source value to an Observable, subscribes to up to
 * `concurrency` of them at once in source order, and emits the values of the
 * first unfinished one as they arrive while buffering those of the later ones
 * until their turn. A later inner that completes early frees its place for the
 * next one, but at most `concurrency` completed inners wait with their
 * buffered values, so memory stays bounded by `2 * concurrency` inners.
 * Errors from the source or any inner fail the output at once; unsubscribing
 * unsubscribes every inner.
 *
 * @param project Maps a source value to the Observable of its values.
 * @param concurrency Inner Observables subscribed at once (a positive integer).
 * @returns The operator.
 */
export function mergeMapOrdered<T, R>(
  project: (value: T) => ObservableInput<R>,
  concurrency: number,
): OperatorFunction<T, R> {
  return (source) =>
    new Observable<R>((subscriber) => {
      const pending: T[] = [];
      const inners: Inner<R>[] = []; // started, in source order: inners[0] emits directly
      let running = 0;
      let sourceDone = false;
      let advancing = false;
      const start = (value: T) => {
        const inner: Inner<R> = { buffer: [], done: false };
        inners.push(inner);
        running++;
        inner.subscription = from(project(value)).subscribe({
          next: (v) => (inner === inners[0] ? subscriber.next(v) : inner.buffer.push(v)),
          error: (error) => subscriber.error(error),
          complete: () => {
            inner.done = true;
            running--;
            advance();
          },
        });
      };
      const advance = () => {
        if (advancing) return;
        advancing = true;
        for (let again = true; again && !subscriber.closed;) {
          again = false;
          while (inners.length > 0 && inners[0].done) {
            inners.shift();
            const head = inners[0];
            if (head) { for (const v of head.buffer.splice(0)) subscriber.next(v); }
          }
          while (!subscriber.closed && pending.length > 0 && running < concurrency && inners.length < 2 * concurrency) {
            start(pending.shift()!);
            again = true; // a synchronous inner may have completed already
          }
        }
        advancing = false;
        if (sourceDone && inners.length === 0 && pending.length === 0) subscriber.complete();
      };
      const outer = source.subscribe({
        next: (value) => {
          pending.push(value);
          advance();
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          sourceDone = true;
          advance();
        },
      });
      return () => {
        outer.unsubscribe();
        for (const inner of inners.splice(0)) inner.subscription?.unsubscribe();
        pending.length = 0;
      };
    });
}
