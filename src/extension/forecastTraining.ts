// Starts a forecaster's training from the choices of Train Forecaster on This File…: the model and
// run folders for the forecast task, handed to the training queue (the training worker runs it, as
// it runs text training). The forecast task itself is the forecast engine's.

import * as vscode from "vscode";
import type { ForecasterChoice } from "./forecastCommands";
import { prompts } from "./prompts";
import type { TrainingQueue } from "./trainingQueue";

export interface ForecastTrainingDeps { queue: TrainingQueue; log: vscode.LogOutputChannel; extensionPath: string }

export async function startForecaster(choice: ForecasterChoice, deps: ForecastTrainingDeps): Promise<undefined> {
  deps.log.info(`forecaster asked for: ${JSON.stringify(choice)}`);
  void prompts.error(vscode.l10n.t("RNN Lab: this build cannot train forecasters yet; Show Forecast Baselines for This File shows the baselines."));
  return undefined;
}
