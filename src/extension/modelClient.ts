// The host's side of the model worker: one worker for the active model, requests matched to
// replies by id, document text sent only when its version changed since the worker last saw it.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { DocumentText, LoadedModel, ModelRequest, ModelRequestBody, ModelResult, isModelReply } from "../protocol/modelWorker";

type Pending = { resolve: (r: ModelResult) => void; reject: (e: Error) => void };

export class ModelClient implements vscode.Disposable {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Per document: the version the worker has, and the first offset changed since (undefined: none). */
  private readonly sent = new Map<string, { version: number; changedFrom: number | undefined }>();
  private loaded: Promise<LoadedModel> | null = null;
  private readonly changed = new vscode.EventEmitter<LoadedModel | null>();
  readonly onDidChangeModel = this.changed.event;
  model: LoadedModel | null = null;

  constructor(private readonly extensionPath: string, private readonly contextChars: () => number) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(join(this.extensionPath, "dist", "modelWorker.js"));
    w.on("message", (m: unknown) => {
      if (!isModelReply(m)) return; // not ours: ignore
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.message), { stale: m.stale === true, template: m.template, args: m.args }));
    });
    const fail = (why: string) => {
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
      this.worker = null;
      this.sent.clear();
      this.model = null;
      this.loaded = null;
      this.changed.fire(null);
    };
    w.on("error", (e) => fail(`the model worker failed: ${e.message}`));
    w.on("exit", () => { if (this.worker === w) fail("the model worker stopped"); });
    this.worker = w;
    return w;
  }

  private request(r: ModelRequestBody): Promise<ModelResult> {
    const id = this.nextId++;
    const w = this.start();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      w.postMessage({ ...r, id } as ModelRequest);
    });
  }

  /** Loads a checkpoint as the active model (replacing the last). Rejects with the checkpoint's error. */
  async load(checkpoint: string): Promise<LoadedModel> {
    this.sent.clear();
    const loading = this.request({ type: "load", checkpoint, contextChars: this.contextChars() }).then((r) => (r as Extract<ModelResult, { type: "load" }>).model);
    this.loaded = loading;
    try {
      const m = await loading;
      if (this.loaded === loading) {
        this.model = m;
        this.changed.fire(m);
      }
      return m;
    } catch (e) {
      // the worker keeps the model it had (a failed load replaces nothing), and so do we
      if (this.loaded === loading) this.loaded = null;
      throw e;
    }
  }

  /** Forgets the active model (its file was deleted, say). */
  unload(): void {
    this.model = null;
    this.loaded = null;
    this.sent.clear();
    void this.worker?.terminate();
    this.worker = null;
    this.changed.fire(null);
  }

  /** Remembers where a document changed, so the worker keeps its cached states before that offset. */
  noteChange(e: vscode.TextDocumentChangeEvent): void {
    const s = this.sent.get(e.document.uri.toString());
    if (!s) return;
    for (const c of e.contentChanges) s.changedFrom = Math.min(s.changedFrom ?? Infinity, c.rangeOffset);
  }

  forget(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    if (this.sent.delete(key) && this.worker) void this.request({ type: "forget", doc: key }).catch(() => undefined);
  }

  /** Sends a request about a document, with its text when the worker's copy is out of date (and once more if the worker says so). */
  private async aboutDocument<T extends ModelResult>(doc: vscode.TextDocument, make: (d: { doc: string; version: number; text?: DocumentText }) => ModelRequestBody): Promise<T> {
    const key = doc.uri.toString();
    const send = (force: boolean) => {
      const s = this.sent.get(key);
      const current = !force && s && s.version === doc.version;
      const text = current ? undefined : { doc: key, version: doc.version, text: doc.getText(), changedFrom: force ? undefined : s?.changedFrom };
      this.sent.set(key, { version: doc.version, changedFrom: undefined });
      return this.request(make({ doc: key, version: doc.version, text })) as Promise<T>;
    };
    try {
      return await send(false);
    } catch (e) {
      if ((e as { stale?: boolean }).stale) return send(true);
      throw e;
    }
  }

  predict(doc: vscode.TextDocument, offset: number, k: number): Promise<Extract<ModelResult, { type: "predict" }>> {
    return this.aboutDocument(doc, (d) => ({ type: "predict", ...d, offset, k }));
  }

  surprisal(doc: vscode.TextDocument, start: number, end: number): Promise<Extract<ModelResult, { type: "surprisal" }>> {
    return this.aboutDocument(doc, (d) => ({ type: "surprisal", ...d, start, end }));
  }

  async fileLoss(text: string): Promise<{ loss: number; predicted: number; characters?: number; unknown?: number }> {
    return (await this.request({ type: "fileLoss", text })) as Extract<ModelResult, { type: "fileLoss" }>;
  }

  async sample(prime: string, length: number, temperature: number, topK: number, topP: number, seed: number): Promise<string> {
    return ((await this.request({ type: "sample", prime, length, temperature, topK, topP, seed })) as Extract<ModelResult, { type: "sample" }>).text;
  }

  dispose(): void {
    for (const p of this.pending.values()) p.reject(new Error("RNN Lab is shutting down"));
    this.pending.clear();
    void this.worker?.terminate();
    this.worker = null;
    this.changed.dispose();
  }
}
