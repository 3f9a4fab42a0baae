// The cell options as command-line flags (--gru-reset, --norm, --tau, --learn-tau, --dt,
// --additive-form): parsed once for every command that builds a network (train, gradcheck, import,
// train --task forecast). Only the flags given come back, so a spec keeps its defaults otherwise and
// validateSpec refuses an option on a cell without it with the registry's one line.

import { ADDITIVE_FORMS, CELL_NORMS, GRU_RESETS, cellEntry } from "../engine/model/cells";
import type { AdditiveForm, CellNorm, CellType, GruReset } from "../engine/model/cells";
import type { ModelSpec } from "../engine/model/modelSpec";
import type { CliKit, Flags } from "./forecastCommands";

/** The parser's types of the cell option flags (spread into a command's flag table). */
export const CELL_OPTION_FLAGS = { tau: "string", "learn-tau": "boolean", dt: "string", "additive-form": "string", "gru-reset": "string", norm: "string" } as const;

function oneOf<T extends string>(kit: CliKit, flags: Flags, name: string, allowed: readonly T[]): T {
  const raw = flags[name];
  if (!allowed.includes(raw as T)) throw kit.usage(`--${name} must be one of ${allowed.join(", ")}, not ${JSON.stringify(raw)}`);
  return raw as T;
}

function number(kit: CliKit, flags: Flags, name: string): number {
  const raw = flags[name], v = Number(raw);
  if (typeof raw !== "string" || raw.trim() === "" || !Number.isFinite(v)) throw kit.usage(`--${name} needs a number, not ${JSON.stringify(raw)}`);
  return v;
}

/** --tau, --learn-tau, --dt, --additive-form, --norm: only those given (--norm none is the default, so absent). */
export function cellOptionFlags(kit: CliKit, flags: Flags): Partial<ModelSpec> {
  const o: Partial<ModelSpec> = {};
  if (flags.tau !== undefined) o.tau = number(kit, flags, "tau");
  if (flags["learn-tau"] === true) o.learnTau = true;
  if (flags.dt !== undefined) o.dt = number(kit, flags, "dt");
  if (flags["additive-form"] !== undefined) o.additiveForm = oneOf<AdditiveForm>(kit, flags, "additive-form", ADDITIVE_FORMS);
  if (flags.norm !== undefined && flags.norm !== "none") o.norm = oneOf<CellNorm>(kit, flags, "norm", CELL_NORMS);
  return o;
}

/** --gru-reset, for a GRU only: {} when not given (the spec keeps its default, after). */
export function gruResetFlag(kit: CliKit, flags: Flags, cell: CellType): { gruReset?: GruReset } {
  if (flags["gru-reset"] === undefined) return {};
  if (cell !== "gru") throw kit.usage(`--gru-reset is for --cell gru only: it says where the GRU's reset gate acts, and ${cellEntry(cell).label} has none`);
  return { gruReset: oneOf<GruReset>(kit, flags, "gru-reset", GRU_RESETS) };
}
