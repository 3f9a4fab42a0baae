// A text task's training as its panel gets it, and an Explain Prediction payload as the text-task worker makes it: ten characters, their integrated
// gradients (three against the class) adding up to the logit difference, gradient × input beside.

import type { AttributionResult } from "../../src/protocol/textPredictions";
import type { TextTaskTrainingData } from "../../src/protocol/webview";

/** A classifier's training of five validations, the best F1 (0.61) at the fourth, at step 400. */
export function trainingFixture(): TextTaskTrainingData {
  const f1 = [0.3, 0.45, 0.5, 0.61, 0.58];
  return {
    title: "Classifier on reviews.csv", model: "GRU 1×16", state: "training", names: ["negative", "neutral", "positive"], counts: [40, 30, 50],
    validations: f1.map((f, i) => ({ step: 100 * (i + 1), valLoss: 1.1 - 0.1 * i, valAccuracy: f + 0.1, valF1: f })),
  };
}

export function explainFixture(): AttributionResult {
  const chars = Array.from("今天好日子，真不错！");
  const integratedGradients = [0.5, 0.3, 0.2, 0, 0.01, -0.1, -0.2, -0.05, 0.04, 0.1];
  const total = integratedGradients.reduce((a, b) => a + b, 0);
  return {
    chars, classes: ["negative", "positive"], target: 1, probabilities: [0.3, 0.7],
    gradientTimesInput: [0.4, 0.2, 0.3, 0, 0, -0.2, -0.1, 0, 0.1, 0.1], integratedGradients, steps: 32, logit: 0.2 + total, baselineLogit: 0.2,
  };
}
