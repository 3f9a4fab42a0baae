// The only module that touches @vscode/webview-ui-toolkit. Panels make their controls through these
// functions, so replacing the (deprecated) toolkit with @vscode-elements/elements happens here alone.

import {
  provideVSCodeDesignSystem, vsCodeButton, vsCodeCheckbox, vsCodeDropdown, vsCodeOption, vsCodeProgressRing, vsCodeTextArea, vsCodeTextField,
} from "@vscode/webview-ui-toolkit";

provideVSCodeDesignSystem().register(vsCodeButton(), vsCodeCheckbox(), vsCodeDropdown(), vsCodeOption(), vsCodeProgressRing(), vsCodeTextArea(), vsCodeTextField());

type Value = { value: string };

export function button(label: string, onClick: () => void, options: { secondary?: boolean; title?: string } = {}): HTMLElement & { disabled: boolean } {
  const b = document.createElement("vscode-button") as HTMLElement & { disabled: boolean; appearance: string };
  b.textContent = label;
  if (options.secondary) b.setAttribute("appearance", "secondary");
  if (options.title) b.title = options.title;
  b.addEventListener("click", () => { if (!b.disabled) onClick(); });
  return b;
}

/** A labelled dropdown: a <label> followed by the control (the label names it for screen readers). */
export function dropdown(id: string, label: string, options: { value: string; label: string }[], value: string, onChange: (v: string) => void): { element: HTMLElement; control: HTMLElement & Value; setOptions(o: { value: string; label: string }[], v: string): void } {
  const wrap = labelled(id, label);
  const d = document.createElement("vscode-dropdown") as HTMLElement & Value;
  d.id = id;
  d.setAttribute("aria-label", label);
  const fill = (opts: { value: string; label: string }[], v: string) => {
    d.replaceChildren(...opts.map((o) => {
      const el = document.createElement("vscode-option") as HTMLElement & Value;
      el.setAttribute("value", o.value);
      el.textContent = o.label;
      if (o.value === v) el.setAttribute("selected", "");
      return el;
    }));
    d.value = v;
  };
  fill(options, value);
  d.addEventListener("change", () => onChange(d.value));
  wrap.append(d);
  return { element: wrap, control: d, setOptions: fill };
}

export function textField(id: string, label: string, value: string, options: { type?: "text" | "number"; size?: number; onChange?: (v: string) => void } = {}): { element: HTMLElement; control: HTMLElement & Value } {
  const f = document.createElement("vscode-text-field") as HTMLElement & Value;
  f.id = id;
  f.setAttribute("value", value);
  if (options.size) f.setAttribute("size", String(options.size));
  if (options.type === "number") f.setAttribute("inputmode", "decimal");
  f.textContent = label; // the toolkit renders the text content as the field's label
  if (options.onChange) f.addEventListener("change", () => options.onChange!(f.value));
  return { element: f, control: f };
}

export function textArea(id: string, label: string, value: string, rows = 3): HTMLElement & Value {
  const a = document.createElement("vscode-text-area") as HTMLElement & Value;
  a.id = id;
  a.setAttribute("value", value);
  a.setAttribute("rows", String(rows));
  a.setAttribute("resize", "vertical");
  a.textContent = label;
  return a;
}

export function checkbox(id: string, label: string, checked: boolean, onChange: (checked: boolean) => void): HTMLElement & { checked: boolean } {
  const c = document.createElement("vscode-checkbox") as HTMLElement & { checked: boolean };
  c.id = id;
  c.textContent = label;
  if (checked) c.setAttribute("checked", "");
  c.addEventListener("change", () => onChange(c.checked));
  return c;
}

export function progressRing(label: string): HTMLElement {
  const r = document.createElement("vscode-progress-ring");
  r.setAttribute("aria-label", label);
  return r;
}

function labelled(id: string, label: string): HTMLElement {
  const wrap = document.createElement("div");
  wrap.className = "field";
  const l = document.createElement("label");
  l.htmlFor = id;
  l.textContent = label;
  wrap.append(l);
  return wrap;
}

/** A labelled range slider (the toolkit has none: a native input, themed in panels.css) with its value shown beside it. */
export function slider(id: string, label: string, range: { min: number; max: number; step: number }, value: number, format: (v: number) => string, onInput: (v: number) => void): { element: HTMLElement; control: HTMLInputElement } {
  const wrap = labelled(id, label);
  const row = document.createElement("div");
  row.className = "slider-row";
  const input = document.createElement("input");
  input.type = "range";
  input.id = id;
  input.min = String(range.min);
  input.max = String(range.max);
  input.step = String(range.step);
  input.value = String(value);
  const out = document.createElement("output");
  out.htmlFor.add(id);
  out.textContent = format(value);
  input.setAttribute("aria-valuetext", format(value));
  input.addEventListener("input", () => {
    const v = Number(input.value);
    out.textContent = format(v);
    input.setAttribute("aria-valuetext", format(v));
    onInput(v);
  });
  row.append(input, out);
  wrap.append(row);
  return { element: wrap, control: input };
}

