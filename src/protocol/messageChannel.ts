// The one channel between the extension host and its workers (after vscode-hexeditor's
// MessageHandler): `send` posts a message that gets no reply; `request` posts a request with an id
// and returns a promise of its one final reply, with any number of partial replies before it; typed
// arrays travel in transfer lists (moved, not copied). Every message received on either side goes
// through a check function first; a message that fails it is refused (a request: an error reply; a
// reply: its request rejects). Errors come back as rejections, and a worker that fails or exits
// rejects every request still pending.
//
// Wire format of requests with ids (modelWorker.ts, insightWorker.ts, corpusWorker.ts):
//   request  { ...body, id }                          body = { type: string, ... }
//   reply    { id, ok: true, result }                 the final one
//            { id, ok: false, message, ...details }   an error (details: e.g. `stale`)
//            { id, partial }                          any number, before the final one
// Workers that answer one request with a stream of typed events (gradientCheckWorker.ts,
// interopWorker.ts, trainingWorker.ts) use `send` and the event check instead of ids.

/** What the channel needs of a worker_threads Worker (and what a test can fake). */
export interface WorkerLike {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: "message", listener: (m: unknown) => void): unknown;
  on(event: "error", listener: (e: Error) => void): unknown;
  on(event: "exit", listener: (code: number) => void): unknown;
  terminate(): Promise<number>;
}

/** What a worker's side needs of its parentPort. */
export interface PortLike {
  postMessage(value: unknown, transferList?: readonly ArrayBuffer[]): void;
  on(event: "message", listener: (m: unknown) => void): unknown;
}

export type Check<T> = (m: unknown) => m is T;

export type Reply<R, P = never> =
  | { id: number; ok: true; result: R }
  | { id: number; ok: false; message: string; [detail: string]: unknown }
  | { id: number; partial: P };

/** A received message's fields when it is shaped like a request (an object with an integer id), else null: the opening of every request check. */
export function requestFields(m: unknown): Record<string, unknown> | null {
  if (typeof m !== "object" || m === null) return null;
  const r = m as Record<string, unknown>;
  return Number.isInteger(r.id) ? r : null;
}

/** A request refused or failed by the worker; `details` holds the reply's extra fields. */
export class RequestError extends Error {
  constructor(message: string, readonly details: Record<string, unknown> = {}) {
    super(message);
    Object.assign(this, details);
  }
}

/** The buffers of typed arrays, for a transfer list (each buffer once). */
export function buffersOf(...arrays: ArrayBufferView[]): ArrayBuffer[] {
  return [...new Set(arrays.map((a) => a.buffer as ArrayBuffer))];
}

export interface ChannelChecks<R, P, E> {
  /** The whole reply envelope, result included (e.g. isModelReply). */
  reply?: Check<Reply<R, P>>;
  /** Messages without ids (a worker's event stream). */
  event?: Check<E>;
}

export interface ChannelHandlers<E> {
  onEvent?: (e: E) => void;
  /** The worker failed or exited while in use; pending requests are already rejected. */
  onFailure?: (why: string) => void;
  /** A message neither check accepts and that belongs to no pending request. */
  onMalformed?: (m: unknown) => void;
}

type Pending<R, P> = { resolve: (r: R) => void; reject: (e: Error) => void; partial?: (p: P) => void };

/**
 * The host's side of one worker: started on first use, restarted on the next use after it failed.
 * `name` appears in the errors ("the model worker stopped").
 */
export class WorkerChannel<Body extends { type: string }, R = never, P = never, E = never> {
  private worker: WorkerLike | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending<R, P>>();

  constructor(
    private readonly name: string,
    private readonly startWorker: () => WorkerLike,
    private readonly checks: ChannelChecks<R, P, E>,
    private readonly handlers: ChannelHandlers<E> = {},
  ) {}

  get running(): boolean { return this.worker !== null; }

  private start(): WorkerLike {
    if (this.worker) return this.worker;
    const w = this.startWorker();
    w.on("message", (m: unknown) => this.receive(m));
    w.on("error", (e: Error) => { if (this.worker === w) this.fail(`the ${this.name} failed: ${e.message}`); });
    w.on("exit", (code: number) => { if (this.worker === w) this.fail(`the ${this.name} stopped (exit ${code})`); });
    this.worker = w;
    return w;
  }

  private receive(m: unknown): void {
    if (this.checks.reply?.(m)) {
      const p = this.pending.get(m.id);
      if (!p) return; // a late reply to a request already given up
      if ("partial" in m) return p.partial?.((m as { partial: P }).partial);
      this.pending.delete(m.id);
      if (m.ok) return p.resolve(m.result);
      const { id, ok, message, ...details } = m;
      void id; void ok;
      return p.reject(new RequestError(message, details));
    }
    if (this.checks.event?.(m)) return this.handlers.onEvent?.(m);
    const id = typeof m === "object" && m !== null ? (m as { id?: unknown }).id : undefined;
    const p = typeof id === "number" ? this.pending.get(id) : undefined;
    if (p) {
      this.pending.delete(id as number);
      return p.reject(new RequestError(`the ${this.name} sent a malformed reply`));
    }
    this.handlers.onMalformed?.(m);
  }

  private fail(why: string): void {
    this.worker = null;
    this.rejectAll(why);
    this.handlers.onFailure?.(why);
  }

  private rejectAll(why: string): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const p of pending) p.reject(new RequestError(why));
  }

  /** A message that gets no reply of its own (a cancel, a pause, a one-shot worker's request). */
  send(message: unknown, transfer: readonly ArrayBuffer[] = []): void {
    this.start().postMessage(message, transfer);
  }

  /** A request with an id; `partial` receives the partial replies before the final one. */
  request(body: Body, options: { transfer?: readonly ArrayBuffer[]; partial?: (p: P) => void } = {}): { id: number; result: Promise<R> } {
    const id = this.nextId++;
    const w = this.start();
    const result = new Promise<R>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, partial: options.partial });
    });
    w.postMessage({ ...body, id }, options.transfer ?? []);
    return { id, result };
  }

  /** Ends the worker (resolves once it has ended); pending requests reject with `why`. The next use starts a fresh worker. */
  stop(why: string): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.rejectAll(why);
    return w ? w.terminate().then(() => undefined) : Promise.resolve();
  }
}

/** What a worker's handler answers a request with. */
export interface Replier<R, P> {
  ok(result: R, transfer?: readonly ArrayBuffer[]): void;
  fail(message: string, details?: Record<string, unknown>): void;
  partial(p: P, transfer?: readonly ArrayBuffer[]): void;
}

/**
 * The worker's side of requests with ids: every message is checked; one that fails gets an error
 * reply ("unknown request …", to its id when it has one, else −1). A handler may answer at once
 * or later (streaming partials); a handler that throws answers with the error.
 */
export function serveRequests<Req extends { id: number; type: string }, R, P = never>(
  port: PortLike, isRequest: Check<Req>, handle: (request: Req, reply: Replier<R, P>) => void,
): void {
  const replierFor = (id: number): Replier<R, P> => ({
    ok: (result, transfer = []) => port.postMessage({ id, ok: true, result }, transfer),
    fail: (message, details = {}) => port.postMessage({ id, ok: false, message, ...details }),
    partial: (partial, transfer = []) => port.postMessage({ id, partial }, transfer),
  });
  port.on("message", (m: unknown) => {
    if (!isRequest(m)) {
      const r = (typeof m === "object" && m !== null ? m : {}) as { id?: unknown; type?: unknown };
      replierFor(typeof r.id === "number" ? r.id : -1).fail(`unknown request ${JSON.stringify(r.type)}`);
      return;
    }
    const reply = replierFor(m.id);
    try {
      handle(m, reply);
    } catch (e) {
      reply.fail(e instanceof Error ? e.message : String(e));
    }
  });
}

/** The worker's side of messages without ids: checked, then handled; `refuse` answers one that fails the check. */
export function receiveMessages<M>(port: PortLike, isMessage: Check<M>, handle: (m: M) => void, refuse: (m: unknown) => void): void {
  port.on("message", (m: unknown) => (isMessage(m) ? handle(m) : refuse(m)));
}
