// Which trained forecaster belongs to a CSV column: the newest model in the run store trained on that
// file with that target, at its best (or latest) checkpoint. The forecast panel and the CSV hover
// show its forecasts beside the baselines; without one they show the baselines alone.

/** The checkpoint of the newest forecaster trained on `file`'s column `target`, or undefined. */
export function forecastCheckpointFor(_file: string, _target: string): string | undefined {
  return undefined; // forecasting checkpoints come with the forecast engine (forecastModel.ts)
}
