// The host's side of one panel's insight worker: requests and replies over the message channel
// (protocol/messageChannel.ts), partial replies (generated text) passed to a callback, and the
// worker ended with the panel.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { WorkerChannel } from "../protocol/messageChannel";
import { GeneratedChunk, InsightRequest, InsightRequestBody, InsightResult, isInsightReply } from "../protocol/insightWorker";

export class InsightClient implements vscode.Disposable {
  private readonly channel: WorkerChannel<InsightRequestBody, InsightResult, GeneratedChunk>;

  constructor(extensionPath: string) {
    this.channel = new WorkerChannel("panel's worker", () => new Worker(join(extensionPath, "dist", "insightWorker.js")), { reply: isInsightReply });
  }

  /** Sends a request; returns its id (for cancel) and the final result. */
  request<T extends InsightResult["type"]>(body: InsightRequestBody & { type: T }, partial?: (c: GeneratedChunk) => void): { id: number; result: Promise<Extract<InsightResult, { type: T }>> } {
    const { id, result } = this.channel.request(body, { partial });
    return { id, result: result as Promise<Extract<InsightResult, { type: T }>> };
  }

  cancel(id: number): void {
    if (this.channel.running) this.channel.send({ type: "cancel", id } satisfies InsightRequest);
  }

  dispose(): void {
    void this.channel.stop("the panel was closed");
  }
}
