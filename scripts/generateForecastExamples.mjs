// Writes the bundled forecasting examples into media/examples/ (shipped with the extension, like
// media/corpus/): deterministic, so running it again gives the same bytes.
//   daily-load.csv    4 years of a daily series with a weekly and a yearly cycle, driven by a
//                     temperature column, AR(1) noise: date,load,temperature
//   mackey-glass.csv  the Mackey–Glass delay equation dx/dt = 0.2·x(t−τ)/(1 + x(t−τ)¹⁰) − 0.1·x(t),
//                     τ = 17, the classic chaotic benchmark for recurrent networks (Mackey & Glass
//                     1977; Jaeger's echo-state experiments), sampled once per time unit: t,x
// Run: node scripts/generateForecastExamples.mjs

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const out = join(new URL("..", import.meta.url).pathname, "media", "examples");
mkdirSync(out, { recursive: true });

// mulberry32 and Box–Muller: a seeded normal generator (no dependency)
function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const uniform = mulberry32(20240601);
const normal = () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());

// ---- daily load: weekly and yearly cycles, a temperature input, AR(1) noise ----
{
  const days = 4 * 365 + 1;
  const start = Date.UTC(2020, 0, 1);
  const rows = ["date,load,temperature"];
  let noise = 0, tempNoise = 0;
  for (let d = 0; d < days; d++) {
    const t = start + d * 86_400_000;
    const date = new Date(t);
    const yearPhase = (2 * Math.PI * d) / 365.25;
    const weekday = (date.getUTCDay() + 6) % 7; // 0 = Monday
    tempNoise = 0.7 * tempNoise + 1.5 * normal();
    const temperature = 12 - 9 * Math.cos(yearPhase - 0.35) + tempNoise;
    noise = 0.6 * noise + 2.0 * normal();
    const weekly = [4, 5, 5, 5, 3, -9, -13][weekday];
    // heating below 15 °C and cooling above 22 °C raise the load
    const load = 100 + 0.004 * d + weekly + 1.6 * Math.max(0, 15 - temperature) + 2.2 * Math.max(0, temperature - 22) + noise;
    rows.push(`${date.toISOString().slice(0, 10)},${load.toFixed(2)},${temperature.toFixed(1)}`);
  }
  writeFileSync(join(out, "daily-load.csv"), rows.join("\n") + "\n");
}

// ---- Mackey–Glass, τ = 17: RK4 with dt = 0.1 on the delay equation, the history held at 1.2 ----
{
  const tau = 17, dt = 0.1, perUnit = Math.round(1 / dt), lag = Math.round(tau / dt);
  const warmup = 500, keep = 2000;
  const x = new Array(lag + 1).fill(1.2);
  const f = (xt, xlag) => (0.2 * xlag) / (1 + xlag ** 10) - 0.1 * xt;
  const rows = ["t,x"];
  for (let i = 0; i < (warmup + keep) * perUnit; i++) {
    const n = x.length - 1;
    // the delayed value at t and t + dt (held across the step's stages: the lag is a whole number of steps)
    const d0 = x[n - lag], d1 = x[n - lag + 1], dm = (d0 + d1) / 2;
    const k1 = f(x[n], d0), k2 = f(x[n] + (dt / 2) * k1, dm), k3 = f(x[n] + (dt / 2) * k2, dm), k4 = f(x[n] + dt * k3, d1);
    x.push(x[n] + (dt / 6) * (k1 + 2 * k2 + 2 * k3 + k4));
    const step = i + 1;
    if (step % perUnit === 0 && step / perUnit > warmup) rows.push(`${step / perUnit - warmup},${x[x.length - 1].toFixed(6)}`);
  }
  writeFileSync(join(out, "mackey-glass.csv"), rows.join("\n") + "\n");
}
