// The host's side of one panel's insight worker: requests matched to replies by id, partial replies
// (generated text) passed to a callback, and the worker ended with the panel.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { GeneratedChunk, InsightRequest, InsightRequestBody, InsightResult, isInsightReply } from "../protocol/insightWorker";

type Pending = { resolve: (r: InsightResult) => void; reject: (e: Error) => void; partial?: (c: GeneratedChunk) => void };

export class InsightClient implements vscode.Disposable {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly extensionPath: string) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(join(this.extensionPath, "dist", "insightWorker.js"));
    w.on("message", (m: unknown) => {
      if (!isInsightReply(m)) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      if ("partial" in m) return p.partial?.(m.partial);
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.message), { template: m.template, args: m.args }));
    });
    const fail = (why: string) => {
      for (const p of this.pending.values()) p.reject(new Error(why));
      this.pending.clear();
      this.worker = null;
    };
    w.on("error", (e) => fail(`the panel's worker failed: ${e.message}`));
    w.on("exit", () => { if (this.worker === w) fail("the panel's worker stopped"); });
    this.worker = w;
    return w;
  }

  /** Sends a request; returns its id (for cancel) and the final result. */
  request<T extends InsightResult["type"]>(body: InsightRequestBody & { type: T }, partial?: (c: GeneratedChunk) => void): { id: number; result: Promise<Extract<InsightResult, { type: T }>> } {
    const id = this.nextId++;
    const w = this.start();
    const result = new Promise<InsightResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, partial });
      w.postMessage({ ...body, id } as InsightRequest);
    });
    return { id, result: result as Promise<Extract<InsightResult, { type: T }>> };
  }

  cancel(id: number): void {
    this.worker?.postMessage({ type: "cancel", id } as InsightRequest);
  }

  dispose(): void {
    for (const p of this.pending.values()) p.reject(new Error("the panel was closed"));
    this.pending.clear();
    void this.worker?.terminate();
    this.worker = null;
  }
}
