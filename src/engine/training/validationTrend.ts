// Early-stopping's patience, as a warning: when the validation loss has not beaten its best for
// PATIENCE evaluations in a row, the model is likely overfitting its text. Training goes on (the
// budget is the user's), and best.safetensors already keeps the checkpoint with the best loss.

export const PATIENCE = 3;

export interface OverfitNotice { best: number; bestStep: number; latest: number; step: number; evaluations: number }

export class ValidationTrend {
  private best: number | null = null;
  private bestStep = 0;
  private worse = 0; // evaluations since the best, each above it
  private warned = false;

  /** Records one validation loss (nats/char); returns a notice the first time it has stayed above the best PATIENCE times (again after a new best). */
  add(step: number, valLoss: number): OverfitNotice | null {
    if (this.best === null || valLoss < this.best) {
      this.best = valLoss;
      this.bestStep = step;
      this.worse = 0;
      this.warned = false;
      return null;
    }
    this.worse++;
    if (this.worse < PATIENCE || this.warned) return null;
    this.warned = true;
    return { best: this.best, bestStep: this.bestStep, latest: valLoss, step, evaluations: this.worse };
  }
}
