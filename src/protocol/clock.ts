// The one way RNN Lab writes a duration for people (ETAs, run times): h:mm:ss from an hour up,
// m:ss below. Shared by the CLI, the extension and the panel pages (no imports: pages load it too).

export function clock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  return h ? `${h}:${String(m).padStart(2, "0")}:${String(r).padStart(2, "0")}` : `${m}:${String(r).padStart(2, "0")}`;
}
