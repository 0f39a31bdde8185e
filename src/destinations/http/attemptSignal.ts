/**
 * The abort signal of one HTTP attempt: fires when the attempt's time budget runs out or when the caller's signal
 * does (shutdown), whichever comes first.
 *
 * One AbortController and one timer, both released as soon as the attempt is over. It replaces
 * `AbortSignal.any([signal, AbortSignal.timeout(ms)])`, which the delivery profile showed at about 4 % of the
 * gateway's CPU (each attempt created two signals and registered them for garbage-collection tracking).
 */
export class AttemptSignal {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly onCancel: () => void;
  /** True once the time budget ran out (the abort reason is then a TimeoutError). */
  timedOut = false;

  constructor(
    private readonly cancel: AbortSignal,
    timeoutMs: number,
  ) {
    this.onCancel = () => this.controller.abort(cancel.reason);
    this.timer = setTimeout(() => {
      this.timedOut = true;
      this.controller.abort(new DOMException(`The attempt took longer than ${timeoutMs} ms.`, 'TimeoutError'));
    }, timeoutMs);
    if (cancel.aborted) this.onCancel();
    else cancel.addEventListener('abort', this.onCancel, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Stops the timer and the listener; the signal no longer fires after it. */
  dispose(): void {
    clearTimeout(this.timer);
    this.cancel.removeEventListener('abort', this.onCancel);
  }
}
