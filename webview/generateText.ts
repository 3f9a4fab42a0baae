// Generated text: priming text, temperature, top-k, top-p, length and seed; characters stream in as
// the worker draws them, each tinted by the probability it was drawn with (rare draws stand out),
// with the alternatives of the character under the pointer or the keyboard cursor in a box below
// (no native tooltip: it shows on focus too and a screen reader hears it); a new seed for every
// press unless the seed is locked; Copy and Insert at Cursor.

import type { ToWebview } from "../src/protocol/webview";
import { cssVar, parseColor } from "./theme";
import { button, checkbox, textArea, textField } from "./toolkit";
import { onMessage, post, ready, reportRendered, saveViewSetting, showStatus, viewSetting } from "./vscodeBridge";
import { t } from "./l10n";

let vocab: string[] = [];
let k = 5;
let text = "";
let generating = false;
let drawn = 0;
let lowProbability = 0;
/** What each drawn character was drawn with, for the alternatives box. */
let drawnInfo: { char: string; p: number; alternatives: string[] }[] = [];
let cursor = -1;
let seedLocked = viewSetting("seedLocked", false);

const app = document.getElementById("app")!;
const title = document.createElement("h1");
const prime = textArea("prime", t("Priming text"), viewSetting("prime", ""), 3);
const controls = document.createElement("div");
controls.className = "controls";
const fields = {
  temperature: textField("temperature", t("Temperature"), String(viewSetting("temperature", 0.8)), { type: "number", size: 5 }),
  topK: textField("top-k", t("Top-k (0: all)"), String(viewSetting("topK", 0)), { type: "number", size: 5 }),
  topP: textField("top-p", t("Top-p"), String(viewSetting("topP", 1)), { type: "number", size: 5 }),
  length: textField("length", t("Length"), String(viewSetting("length", 500)), { type: "number", size: 7 }),
  seed: textField("seed", t("Seed"), String(viewSetting("seed", 1)), { type: "number", size: 10 }),
};
const lock = checkbox("seed-lock", t("Lock seed (repeat the same text)"), seedLocked, (on) => { seedLocked = on; saveViewSetting("seedLocked", on); });
const go = button(t("Generate"), () => start());
const stop = button(t("Stop"), () => post({ type: "generate.stop" }), { secondary: true });
const copy = button(t("Copy"), () => post({ type: "generate.copy", text }), { secondary: true });
const insert = button(t("Insert at Cursor"), () => post({ type: "generate.insert", text }), { secondary: true });
controls.append(...Object.values(fields).map((f) => f.element), lock, go, stop, copy, insert);
const legend = document.createElement("p");
legend.className = "muted";
legend.textContent = t("Each character is tinted by how unlikely it was when drawn: the stronger the tint, the lower its probability. Point at a character, or focus the text and use the arrow keys, to see the alternatives below it.");
const seedNote = document.createElement("p");
seedNote.id = "seed-note";
seedNote.className = "muted";
seedNote.setAttribute("aria-live", "polite");
const out = document.createElement("div");
out.id = "generated";
out.className = "generated";
out.tabIndex = 0;
out.setAttribute("role", "log");
out.setAttribute("aria-label", t("Generated text: arrow keys move between characters"));
const alternatives = document.createElement("div");
alternatives.id = "alternatives";
alternatives.className = "readout";
alternatives.setAttribute("aria-live", "polite");
app.append(title, prime, controls, legend, seedNote, out, alternatives);
buttons();

function buttons(): void {
  go.disabled = generating || vocab.length === 0;
  stop.disabled = !generating;
  copy.disabled = insert.disabled = generating || text.length === 0;
}

function start(): void {
  const num = (f: { control: { value: string } }) => Number(f.control.value);
  const request = {
    type: "generate.start" as const, prime: prime.value, temperature: num(fields.temperature), topK: Math.round(num(fields.topK)),
    topP: num(fields.topP), length: Math.round(num(fields.length)), seed: seedLocked ? Math.round(num(fields.seed)) : newSeed(),
  };
  const bad = !(request.temperature >= 0 && request.temperature <= 10) ? t("Temperature is 0 to 10.")
    : !(request.topK >= 0) ? t("Top-k is 0 or more.") : !(request.topP > 0 && request.topP <= 1) ? t("Top-p is above 0 and at most 1.")
    : !(request.length >= 1 && request.length <= 100000) ? t("Length is 1 to 100,000.") : !(request.seed >= 0 && request.seed < 2 ** 32) ? t("The seed is a whole number from 0.") : "";
  if (bad) return showStatus(bad);
  fields.seed.control.value = String(request.seed);
  seedNote.textContent = seedLocked ? t("Seed {0} (locked: the same settings give the same text).", request.seed) : t("Seed {0} (a new one each time; lock it to repeat this text).", request.seed);
  for (const [key, value] of Object.entries(request)) if (key !== "type") saveViewSetting(key, value);
  text = "";
  drawn = 0;
  lowProbability = 0;
  out.replaceChildren();
  drawnInfo = [];
  cursor = -1;
  alternatives.textContent = "";
  const primed = document.createElement("span");
  primed.className = "primed";
  primed.textContent = request.prime;
  out.append(primed);
  generating = true;
  showStatus("");
  buttons();
  post(request);
}

function appendChunk(m: Extract<ToWebview, { type: "generate.chunk" }>): void {
  const tint = parseColor(cssVar("--vscode-charts-orange", "#d18616"));
  const frag = document.createDocumentFragment();
  m.chars.forEach((c, j) => {
    const p = m.probs[j];
    const span = document.createElement("span");
    span.textContent = c;
    span.className = "drawn";
    // opacity of the tint: 0 for a sure draw, 1 for a draw of probability ≤ 1 %
    const surprise = Math.min(1, Math.max(0, -Math.log10(Math.max(p, 1e-9)) / 2));
    if (surprise > 0.05) span.style.backgroundColor = `rgba(${tint[0]}, ${tint[1]}, ${tint[2]}, ${(0.1 + 0.6 * surprise).toFixed(2)})`;
    if (p < 0.1) lowProbability++;
    const alts: string[] = [];
    for (let q = 0; q < k; q++) {
      const i = m.alternatives[j * k + q];
      if (i >= 0) alts.push(`${JSON.stringify(vocab[i])} ${(100 * m.alternativeProbs[j * k + q]).toFixed(1)}%`);
    }
    span.dataset.p = p.toFixed(4);
    span.dataset.i = String(drawnInfo.length);
    drawnInfo.push({ char: c, p, alternatives: alts });
    frag.append(span);
  });
  out.append(frag);
  text += m.chars.join("");
  drawn += m.chars.length;
}

/** A seed the user has not seen: 32 random bits. */
function newSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}

function showAlternatives(i: number): void {
  const d = drawnInfo[i];
  if (!d) return;
  for (const el of out.querySelectorAll("span.current")) el.classList.remove("current");
  out.querySelector(`span.drawn[data-i="${i}"]`)?.classList.add("current");
  cursor = i;
  alternatives.textContent = `${t("Character {0}: drew {1} with p = {2}%", i + 1, JSON.stringify(d.char), (100 * d.p).toFixed(1))} · ${t("alternatives: {0}", d.alternatives.join(", "))}`;
}

out.addEventListener("mouseover", (e) => {
  const i = (e.target as HTMLElement).dataset?.i;
  if (i !== undefined) showAlternatives(Number(i));
});
out.addEventListener("focus", () => { if (cursor < 0 && drawnInfo.length) showAlternatives(0); });
out.addEventListener("keydown", (e) => {
  const step: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -40, ArrowDown: 40, Home: -Infinity, End: Infinity };
  if (!(e.key in step) || !drawnInfo.length) return;
  e.preventDefault();
  showAlternatives(Math.max(0, Math.min(drawnInfo.length - 1, (cursor < 0 ? 0 : cursor) + step[e.key])));
});

onMessage((m) => {
  switch (m.type) {
    case "generate.model":
      vocab = m.vocab;
      k = m.k;
      title.textContent = t("Generate text with {0}", m.model);
      buttons();
      reportRendered({ vocab: vocab.length });
      break;
    case "generate.chunk":
      appendChunk(m);
      break;
    case "generate.done":
      generating = false;
      buttons();
      reportRendered({ chars: drawn, lowProbability, stopped: m.stopped, length: text.length });
      break;
    case "failed":
      generating = false;
      buttons();
      showStatus(m.message);
      break;
  }
});
ready();
