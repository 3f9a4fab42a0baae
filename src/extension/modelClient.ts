// The host's side of the model worker: one worker for the active model, requests and replies over
// the message channel (protocol/messageChannel.ts), document text sent only when its version
// changed since the worker last saw it.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { WorkerChannel } from "../protocol/messageChannel";
import { DocumentText, LoadedModel, ModelRequestBody, ModelResult, isModelReply } from "../protocol/modelWorker";

export class ModelClient implements vscode.Disposable {
  private readonly channel: WorkerChannel<ModelRequestBody, ModelResult>;
  /** Per document: the version the worker has, and the first offset changed since (undefined: none). */
  private readonly sent = new Map<string, { version: number; changedFrom: number | undefined }>();
  private loaded: Promise<LoadedModel> | null = null;
  private readonly changed = new vscode.EventEmitter<LoadedModel | null>();
  readonly onDidChangeModel = this.changed.event;
  model: LoadedModel | null = null;

  constructor(extensionPath: string, private readonly contextChars: () => number) {
    // a worker that fails takes the active model with it: the next request starts a fresh one
    this.channel = new WorkerChannel("model worker", () => new Worker(join(extensionPath, "dist", "modelWorker.js")), { reply: isModelReply }, {
      onFailure: () => {
        this.sent.clear();
        this.model = null;
        this.loaded = null;
        this.changed.fire(null);
      },
    });
  }

  private request(r: ModelRequestBody): Promise<ModelResult> {
    return this.channel.request(r).result;
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
    void this.channel.stop("the model was unloaded");
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
    if (this.sent.delete(key) && this.channel.running) void this.request({ type: "forget", doc: key }).catch(() => undefined);
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
    void this.channel.stop("RNN Lab is shutting down");
    this.changed.dispose();
  }
}
