// Every message, confirmation and quick pick the extension's commands show goes through here, so
// that the integration tests can read what the user was told (in the window's language) and answer
// a modal dialog or a quick pick the way a person would, without a mouse. With nothing scripted it is
// exactly vscode.window's call.

import * as vscode from "vscode";

export type PromptKind = "info" | "warning" | "error" | "pick" | "input";

/** What was shown: the message (or the quick pick's title), its buttons or item labels, and whether it was modal. */
export interface Shown { kind: PromptKind; text: string; items: string[]; modal: boolean; detail?: string; itemDetails?: string[] }

/** A scripted answer: a button's or item's label (or labels, for a pick of many), or undefined for Escape. */
export type Answer = (shown: Shown) => string | string[] | undefined;

export class Prompts {
  /** Everything shown since activation, oldest first (the tests read it; it is small: one entry per prompt). */
  readonly shown: Shown[] = [];
  private readonly script: Answer[] = [];

  /** The tests queue answers; each prompt takes the next one. */
  answer(...answers: Answer[]): void { this.script.push(...answers); }

  private record(s: Shown): Answer | undefined {
    this.shown.push(s);
    if (this.shown.length > 500) this.shown.splice(0, this.shown.length - 500);
    return this.script.shift();
  }

  async message(kind: "info" | "warning" | "error", text: string, options: { modal?: boolean; detail?: string }, ...buttons: string[]): Promise<string | undefined> {
    const scripted = this.record({ kind, text, items: buttons, modal: !!options.modal, detail: options.detail });
    if (scripted) {
      const a = scripted(this.shown[this.shown.length - 1]);
      return typeof a === "string" && buttons.includes(a) ? a : undefined;
    }
    const show = kind === "info" ? vscode.window.showInformationMessage : kind === "warning" ? vscode.window.showWarningMessage : vscode.window.showErrorMessage;
    return show(text, options, ...buttons);
  }

  info(text: string, ...buttons: string[]): Promise<string | undefined> { return this.message("info", text, {}, ...buttons); }
  warn(text: string, ...buttons: string[]): Promise<string | undefined> { return this.message("warning", text, {}, ...buttons); }
  error(text: string, ...buttons: string[]): Promise<string | undefined> { return this.message("error", text, {}, ...buttons); }
  /** A modal confirmation: resolves to the chosen button, undefined for Cancel. */
  confirm(text: string, detail: string | undefined, ...buttons: string[]): Promise<string | undefined> { return this.message("warning", text, { modal: true, detail }, ...buttons); }

  async pick<T extends vscode.QuickPickItem>(items: T[], options: vscode.QuickPickOptions & { title: string }): Promise<T | undefined> {
    const scripted = this.record({ kind: "pick", text: options.title, items: items.map((i) => i.label), modal: false, itemDetails: items.map((i) => i.detail ?? "") });
    if (scripted) {
      const a = scripted(this.shown[this.shown.length - 1]);
      return items.find((i) => i.label === a);
    }
    return vscode.window.showQuickPick(items, options);
  }

  /**
   * A pick of several. Enter with nothing ticked takes the highlighted item (what a person pressing
   * Enter on a row means); with nothing highlighted either it resolves to [] and the caller says so.
   * A scripted answer gives the ticked labels, or "highlighted:<label>" for Enter on a row with none ticked.
   */
  async pickMany<T extends vscode.QuickPickItem>(items: T[], title: string): Promise<T[] | undefined> {
    const scripted = this.record({ kind: "pick", text: title, items: items.map((i) => i.label), modal: false });
    if (scripted) {
      const a = scripted(this.shown[this.shown.length - 1]);
      if (a === undefined) return undefined;
      const labels = typeof a === "string" ? [a] : a;
      const highlighted = labels.length === 1 && labels[0].startsWith("highlighted:") ? labels[0].slice("highlighted:".length) : null;
      if (highlighted !== null) return items.filter((i) => i.label === highlighted).slice(0, 1); // one row is highlighted
      return items.filter((i) => labels.includes(i.label));
    }
    return new Promise((resolve) => {
      const qp = vscode.window.createQuickPick<T>();
      qp.items = items;
      qp.canSelectMany = true;
      qp.selectedItems = items.filter((i) => i.picked); // ticked from the start where the caller says so
      qp.title = title;
      let done = false;
      qp.onDidAccept(() => {
        done = true;
        resolve(qp.selectedItems.length ? [...qp.selectedItems] : qp.activeItems.slice(0, 1));
        qp.hide();
      });
      qp.onDidHide(() => { if (!done) resolve(undefined); qp.dispose(); });
      qp.show();
    });
  }

  async input(options: vscode.InputBoxOptions & { title: string }): Promise<string | undefined> {
    const scripted = this.record({ kind: "input", text: options.title, items: options.value !== undefined ? [options.value] : [], modal: false });
    if (scripted) {
      const a = scripted(this.shown[this.shown.length - 1]);
      return typeof a === "string" ? a : undefined;
    }
    return vscode.window.showInputBox(options);
  }
}

/** The one instance: commands, the queue and the panels all tell the user through it. */
export const prompts = new Prompts();

/** Context keys the extension set (the tests read them; VS Code offers no way to read one back). */
export const contextKeys = new Map<string, unknown>();

export function setContext(key: string, value: unknown): void {
  if (contextKeys.get(key) === value) return;
  contextKeys.set(key, value);
  void vscode.commands.executeCommand("setContext", key, value);
}
