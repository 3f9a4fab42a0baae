// An Explain Prediction payload as the text-task worker makes it: ten characters, their integrated
// gradients (three against the class) adding up to the logit difference, gradient × input beside.

import type { AttributionResult } from "../../src/protocol/textPredictions";

export function explainFixture(): AttributionResult {
  const chars = Array.from("今天好日子，真不错！");
  const integratedGradients = [0.5, 0.3, 0.2, 0, 0.01, -0.1, -0.2, -0.05, 0.04, 0.1];
  const total = integratedGradients.reduce((a, b) => a + b, 0);
  return {
    chars, classes: ["negative", "positive"], target: 1, probabilities: [0.3, 0.7],
    gradientTimesInput: [0.4, 0.2, 0.3, 0, 0, -0.2, -0.1, 0, 0.1, 0.1], integratedGradients, steps: 32, logit: 0.2 + total, baselineLogit: 0.2,
  };
}
