// The pages' strings in the user's language: the host puts VS Code's loaded l10n bundle for the
// display language into the page (a <meta> tag, read once); English text is its own key, as with
// vscode.l10n.t, so a missing translation shows the English.

const bundle: Record<string, string> = (() => {
  try {
    const raw = document.querySelector('meta[name="rnn-lab-l10n"]')?.getAttribute("content");
    return raw ? (JSON.parse(raw) as Record<string, string>) : {};
  } catch {
    return {};
  }
})();

/** `message` translated, with {0}, {1} … replaced by `args`. */
export function t(message: string, ...args: (string | number)[]): string {
  const text = bundle[message] ?? message;
  return text.replace(/\{(\d+)\}/g, (m, i: string) => (Number(i) < args.length ? String(args[Number(i)]) : m));
}
