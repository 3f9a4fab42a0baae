// The host's side of the forecast worker: requests over the message channel; an editor's unsaved
// text is sent once per version (a saved file the worker reads itself), and sent again when the
// worker says it no longer keeps it. Owned by whoever made it (the extension for hovers and quick
// picks, each forecast panel for its own), and the worker ends with it.

import * as vscode from "vscode";
import { Worker } from "node:worker_threads";
import { join } from "node:path";
import { RequestError, WorkerChannel } from "../protocol/messageChannel";
import { ForecastRequestBody, ForecastResult, TableSource, isForecastReply } from "../protocol/forecastWorker";

export class ForecastClient implements vscode.Disposable {
  private readonly channel: WorkerChannel<ForecastRequestBody, ForecastResult>;
  private readonly sent = new Map<string, number>(); // file → the editor version the worker has

  constructor(extensionPath: string) {
    this.channel = new WorkerChannel("forecast worker", () => new Worker(join(extensionPath, "dist", "forecastWorker.js")), { reply: isForecastReply }, {
      onFailure: () => this.sent.clear(),
    });
  }

  /** The table of a file on disk, or of an open editor's text when it has unsaved changes. */
  sourceOf(file: string): TableSource {
    const doc = vscode.workspace.textDocuments.find((d) => d.uri.scheme === "file" && d.uri.fsPath === file);
    if (!doc?.isDirty) return { file };
    const known = this.sent.get(file) === doc.version;
    return known ? { file, version: doc.version } : { file, version: doc.version, text: doc.getText() };
  }

  async request<T extends ForecastResult["type"]>(body: ForecastRequestBody & { type: T }): Promise<Extract<ForecastResult, { type: T }>> {
    const source = body.source;
    try {
      const r = await this.channel.request(body).result;
      if (source.version !== undefined) this.sent.set(source.file, source.version);
      return r as Extract<ForecastResult, { type: T }>;
    } catch (e) {
      if (!(e instanceof RequestError && e.details.stale)) throw e;
      this.sent.delete(source.file);
      const again = { ...body, source: this.sourceOf(source.file) };
      return (await this.channel.request(again).result) as Extract<ForecastResult, { type: T }>;
    }
  }

  dispose(): void {
    void this.channel.stop("closed");
  }
}
