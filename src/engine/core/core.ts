// One Core = one wasm instance = one model at one batch shape: typed views onto the buffers that
// coreAbi.ts describes, sized from the core's own shape getters (batch, steps, layers, hidden,
// vocabulary, head width), so callers never pass a shape back in. The only code that calls the exports.
// Shapes: B = batch, Tmax = maxSteps (the window setShape allocated), T ≤ Tmax the steps of this pass,
// V = vocabulary (input ids), O = outputs (the head's width; V for language modelling), H = hidden.

import { BATCH_NORM_STEPS, cellOptionsOfCoreShape, cellTypeOfCoreCode } from "../model/cells";
import { BackwardFlag, CoreExports, CoreFlag, CoreShape, LinearSolver, OptimizerCode, RegressionLoss, SequencePool, TensorField, TensorKind, TensorSlot } from "./coreAbi";
import { CoreBuild, KernelVariant, Precision, coreBuild, instantiateCore } from "./coreLoader";
import { MemoryLimitError, ShapeFacts, WASM_MAX_BYTES, coreMemoryBytes, formatBytes } from "./limits";

export type RealArray = Float32Array | Float64Array;

export class Core {
  readonly precision: Precision;
  readonly variant: CoreBuild;
  private readonly x: CoreExports;
  readonly paramCount: number;
  readonly tensors: TensorSlot[];
  private readonly facts: ShapeFacts;

  /** precision f64 is the gradient-check core; an f32 core uses `variant`, or the fastest this runtime runs. */
  constructor(shape: CoreShape, precision: Precision = "f32", variant?: KernelVariant) {
    this.precision = precision;
    this.variant = coreBuild(precision, variant);
    this.facts = shapeFacts(shape);
    this.checkFits(1, 1);
    this.x = instantiateCore(this.variant);
    const reg = shape.regression;
    const outputs = reg ? reg.targets * regressionOutputsPerValue(reg) : shape.outputs ?? shape.vocab;
    this.x.setNormSteps(BATCH_NORM_STEPS); // batch norm's running statistics, allocated by configure
    const n = this.x.configureModel(shape.cell, shape.layers, shape.vocab, shape.embed, shape.hidden, shape.flags, outputs);
    const levelsRefused = reg?.loss === RegressionLoss.Quantile && (reg.quantiles ?? []).some((q, j) => this.x.setQuantileLevel(j, q) < 0);
    if (n < 0 || levelsRefused || (reg && this.x.setRegression(reg.loss, reg.targets) < 0)) throw new Error(`the core refused the model shape ${JSON.stringify(shape)}`);
    shape.constants?.forEach((v, k) => { if (this.x.setCellConstant(k, v) < 0) throw new Error(`the core has no cell constant ${k}`); });
    this.paramCount = n;
    this.tensors = [];
    for (let i = 0; i < this.x.getTensorCount(); i++) {
      const f = (k: TensorField) => this.x.tensorField(i, k);
      const slot: TensorSlot = { offset: f(TensorField.Offset), rows: f(TensorField.Rows), cols: f(TensorField.Cols), kind: f(TensorField.Kind) as TensorKind, layer: f(TensorField.Layer) };
      if (f(TensorField.Direction) === 1) slot.direction = 1;
      this.tensors.push(slot);
    }
  }

  // The shape as the core holds it.
  get batch(): number { return this.x.getBatch(); }
  get maxSteps(): number { return this.x.getMaxSteps(); }
  get layers(): number { return this.x.layerCount(); }
  get hidden(): number { return this.x.hiddenSize(); }
  get vocab(): number { return this.x.vocabSize(); }
  /** O: the head's width (configureModel's outputs; V unless the shape said otherwise). */
  get outputs(): number { return this.x.outputSize(); }
  /** States the cell carries per unit: 1 (h) or 2 (h and c). */
  get stateCount(): number { return this.x.stateCount(); }

  // The core's addresses are u32 but cross the boundary as i32: `>>> 0` keeps those above 2 GiB positive.
  private view(ptr: number, length: number): RealArray {
    const buf = this.x.memory.buffer;
    return this.precision === "f32" ? new Float32Array(buf, ptr >>> 0, length) : new Float64Array(buf, ptr >>> 0, length);
  }

  // Views are made fresh on each call: memory.grow detaches old ArrayBuffers.
  params(): RealArray { return this.view(this.x.paramsPtr(), this.paramCount); }
  grads(): RealArray { return this.view(this.x.gradsPtr(), this.paramCount); }
  /** g ← selfScale·g + scratchScale·other (another shard's gradient block, same layout). */
  accumulateGrads(other: ArrayLike<number>, selfScale: number, scratchScale: number): void {
    this.view(this.x.gradScratchPtr(), this.paramCount).set(other);
    this.x.accumulateScratchGrads(selfScale, scratchScale);
  }
  /**
   * Batch norm's running statistics (src/wasm/batchNorm.ts; empty for other cells): [0] the steps
   * training has reached, then per unit l·D + d μ̄_ih, σ̄²_ih, μ̄_hh, σ̄²_hh [N, G·H] and (LSTM) μ̄_c, σ̄²_c [N, H].
   * Not in the parameter block: no optimizer or weight decay touches them.
   */
  normStats(): RealArray { return this.view(this.x.normStatsPtr(), this.x.normStatsLength()); }
  /** N: the steps of running statistics per unit. */
  get normStatSteps(): number { return this.x.normStatSteps(); }
  moment1(): RealArray { return this.view(this.x.moment1Ptr(), this.paramCount); }
  moment2(): RealArray { return this.view(this.x.moment2Ptr(), this.paramCount); }
  /** [maxSteps·batch] ids, time-major. */
  inputs(): Int32Array { return new Int32Array(this.x.memory.buffer, this.x.inputsPtr() >>> 0, this.batch * this.maxSteps); }
  targets(): Int32Array { return new Int32Array(this.x.memory.buffer, this.x.targetsPtr() >>> 0, this.batch * this.maxSteps); }
  /** [Tmax·B] real: per-row loss weights (the task seam's mask), 1 after setShape; a row of weight 0 carries no loss and no gradient. */
  lossWeights(): RealArray { return this.view(this.x.lossWeightsPtr(), this.batch * this.maxSteps); }
  /** [B] i32: per-stream lengths, Tmax after setShape; steps t ≥ length neither change that stream's state nor carry loss. */
  lengths(): Int32Array { return new Int32Array(this.x.memory.buffer, this.x.lengthsPtr() >>> 0, this.batch); }
  /** Σ of the loss weights of the rows the last forward(withLoss) counted: its mean's denominator (combines shards). */
  lossWeightTotal(): number { return this.x.lossWeightTotal(); }
  /** [Tmax·B, O], time-major. */
  logits(): RealArray { return this.view(this.x.logitsPtr(), this.batch * this.maxSteps * this.outputs); }
  /** Regression (CoreShape.regression): [Tmax·B, V] reals read per row, and [Tmax·B, K] target values, time-major. */
  denseInputs(): RealArray { return this.view(this.x.denseInputsPtr(), this.batch * this.maxSteps * this.vocab); }
  realTargets(): RealArray { return this.view(this.x.realTargetsPtr(), this.batch * this.maxSteps * this.x.targetWidth()); }
  /** Whether this core reads vectors and has a values head (CoreShape.regression). */
  get regression(): boolean { return this.x.targetWidth() > 0; }
  /** [Tmax·B, O], time-major: the head's values (the logits, for a classes head). */
  outputValues(): RealArray { return this.logits(); }
  /** [layers·directions, maxSteps] (row l·directions + d): ‖∂L/∂h_t‖ from the last backward(recordFlow = true). */
  gradFlow(): RealArray { return this.view(this.x.gradFlowPtr(), this.layers * this.directions * this.maxSteps); }
  /** [(maxSteps+1)·batch, hidden]: block 0 is the carried initial state. */
  hiddenStates(layer: number): RealArray { return this.view(this.x.hiddenPtr(layer), (this.maxSteps + 1) * this.batch * this.hidden); }
  cellStates(layer: number): RealArray { return this.view(this.x.cellPtr(layer), (this.maxSteps + 1) * this.batch * this.hidden); }
  /** [batch, hidden] ∂L/∂h_0 after backward (in: ∂L/∂h_T for backward(_, true)). */
  stateGrad(layer: number): RealArray { return this.view(this.x.stateGradPtr(layer), this.batch * this.hidden); }
  cellGrad(layer: number): RealArray { return this.view(this.x.cellGradPtr(layer), this.batch * this.hidden); }
  /** [maxSteps·batch, gateRows] activations of the last forward pass; read them before backward(), which reuses the buffer. */
  gates(layer: number): RealArray { return this.view(this.x.gatesPtr(layer), this.batch * this.maxSteps * this.x.gateRows()); }
  /** [O]: the distribution the last sampleRow drew from. */
  sampleProbs(): RealArray { return this.view(this.x.sampleProbsPtr(), this.outputs); }
  tensor(slot: TensorSlot, block: RealArray = this.params()): RealArray { return block.subarray(slot.offset, slot.offset + slot.rows * slot.cols); }

  /** The engine checks memory before it makes a core (limits.ts); this is the last guard before the core would trap. */
  private checkFits(batch: number, steps: number): void {
    const need = coreMemoryBytes(this.facts, batch, steps, this.precision === "f64" ? 8 : 4);
    if (need > WASM_MAX_BYTES) throw new MemoryLimitError(`this model at batch ${batch} × window ${steps} needs ${formatBytes(need)} in one WebAssembly memory, over the 4 GiB that 32-bit WebAssembly can address`);
  }

  setShape(batch: number, steps: number): void {
    this.checkFits(batch, steps);
    this.x.setShape(batch, steps);
  }
  setSteps(steps: number): void { this.x.setSteps(steps); }
  /** Returns Σ w·loss / Σ w over the rows with weight w > 0, a target ≥ 0 and t < their stream's length (withLoss), or 0. */
  forward(training: boolean, dropout: number, withLoss: boolean): number { return this.x.forward(training ? 1 : 0, dropout, withLoss ? 1 : 0); }
  /** recordFlow: fill gradFlow(); stateGradIn: add stateGrad()/cellGrad() as ∂L/∂(final state) (full BPTT across windows). */
  backward(recordFlow = false, stateGradIn = false): void {
    this.x.backward((recordFlow ? BackwardFlag.RecordFlow : 0) | (stateGradIn ? BackwardFlag.StateGradIn : 0));
  }
  carryState(): void { this.x.carryState(); }
  /** Dropout masks hash (key, layer, step, offset + stream, unit): this core holds streams [offset, offset + batch) of total. */
  setDropoutKey(key: number, offset = 0, total = this.batch): void { this.x.setDropoutKey(key >>> 0, offset, total); }
  /** [batch, hidden] state after the last step of the last forward pass. */
  finalHidden(layer: number): RealArray { return this.view(this.x.finalHiddenPtr(layer), this.batch * this.hidden); }
  finalCell(layer: number): RealArray { return this.view(this.x.finalCellPtr(layer), this.batch * this.hidden); }
  /** A promise not to change the parameters (until called with false): forward passes stop re-packing them. */
  freezeWeights(frozen = true): void { this.x.freezeWeights(frozen ? 1 : 0); }
  resetState(): void { this.x.resetState(); }
  zeroGrads(): void { this.x.zeroGrads(); }
  clipGradients(maxNorm: number): number { return this.x.clipGradients(maxNorm); }
  optimizerStep(kind: OptimizerCode, lr: number, a: number, b: number, eps: number, weightDecay: number, step: number): void {
    this.x.optimizerStep(kind, lr, a, b, eps, weightDecay, step);
  }
  /** N(0,1)·std when std > 0, U(−bound, bound) when given as {uniform: bound}. */
  fillRandom(target: RealArray, spread: number | { uniform: number }): void {
    const std = typeof spread === "number" ? spread : -spread.uniform;
    this.x.fillRandom(target.byteOffset | 0, target.length, std);
  }
  sampleRow(row: number, temperature: number, topK: number, topP: number): number { return this.x.sampleRow(row, temperature, topK, topP); }
  seed(seed: number): void { this.x.rngSeed(seed >>> 0); }
  rngState(): [number, number, number, number] {
    return [0, 1, 2, 3].map((w) => this.x.rngGetState(w) >>> 0) as [number, number, number, number];
  }
  setRngState(s: readonly number[]): void { this.x.rngSetState(s[0], s[1], s[2], s[3]); }
  nextU32(): number { return this.x.rngNextU32() >>> 0; }
  memoryBytes(): number { return this.x.memory.buffer.byteLength; }
  /** Sequential or scan solution of a minGRU/minLSTM window (the same numbers to rounding; Auto = the faster here). */
  setLinearSolver(mode: LinearSolver): void { this.x.setLinearSolver(mode); }

  // ---- bidirectional layers, the pooled head, external logit gradients, input gradients
  /** D: 2 for a bidirectional model. */
  get directions(): number { return this.x.directionCount(); }
  /** The pooled head (one logits row per stream, rows 0 … batch−1) or the per-step head (SequencePool.Steps). */
  setSequenceHead(pool: SequencePool): void { if (this.x.setSequenceHead(pool) < 0) throw new Error(`the core refused the sequence head ${pool}`); }
  get sequenceHead(): SequencePool { return this.x.sequenceHead() as SequencePool; }
  /** The logits rows the head writes: batch (pooled head) or maxSteps·batch. */
  private get logitRows(): number { return this.sequenceHead === SequencePool.Steps ? this.batch * this.maxSteps : this.batch; }
  /** [logit rows, O]: ∂L/∂logits; write it after forward(_, _, false), then backward() runs from it (a CRF's gradient, one logit's). */
  dLogits(): RealArray { return this.view(this.x.dLogitsPtr(), this.logitRows * this.outputs); }
  /** [batch] i32: each stream's class (pooled head). */
  classTargets(): Int32Array { return new Int32Array(this.x.memory.buffer, this.x.classTargetsPtr() >>> 0, this.batch); }
  /** [batch]: each stream's loss weight (pooled head), 1 after setShape. */
  streamWeights(): RealArray { return this.view(this.x.streamWeightsPtr(), this.batch); }
  /** [batch, directions·hidden]: the pooled head's input. */
  pooled(): RealArray { return this.view(this.x.pooledPtr(), this.batch * this.directions * this.hidden); }
  /** [maxSteps·batch, directions·hidden]: layer l's output (forward half, then backward half). */
  layerOutput(layer: number): RealArray { return this.view(this.x.layerOutputPtr(layer), this.batch * this.maxSteps * this.directions * this.hidden); }
  /** [(maxSteps+1)·batch, hidden]: direction d's hidden states (d = 1: block t = after reading steps T−1 … t). */
  directionHidden(layer: number, direction: number): RealArray { return this.view(this.x.directionHiddenPtr(layer, direction), (this.maxSteps + 1) * this.batch * this.hidden); }
  directionCell(layer: number, direction: number): RealArray { return this.view(this.x.directionCellPtr(layer, direction), (this.maxSteps + 1) * this.batch * this.hidden); }
  /** [maxSteps·batch, gateRows]: direction d's gate activations (read them before backward, which reuses the buffer); the gate heatmap of each direction. */
  directionGates(layer: number, direction: number): RealArray { return this.view(this.x.directionGatesPtr(layer, direction), this.batch * this.maxSteps * this.x.gateRows()); }
  /** Layer 0 reads α·x (integrated gradients' straight path from the zero input); 1 = as is. */
  setInputScale(alpha: number): void { this.x.setInputScale(alpha); }
  /** backward() that also leaves ∂L/∂(layer 0's input): inputGradient() afterwards. */
  backwardWithInputGrad(): void { this.x.backward(BackwardFlag.InputGrad); }
  /** After backwardWithInputGrad: [maxSteps·batch, E] ∂L/∂(embedded row) for embedding input, or [maxSteps·batch] ∂L/∂(the one-hot row's active entry). */
  inputGradient(): RealArray {
    const ptr = this.x.inputGradPtr();
    return ptr !== 0 ? this.view(ptr, this.batch * this.maxSteps) : this.view(this.x.dEmbeddedPtr(), this.batch * this.maxSteps * this.embedWidth);
  }
  private get embedWidth(): number { return this.facts.embed; }
}

/** What limits.ts needs to size a core, from configure()'s arguments (the cell kind by its code in the registry). */
function shapeFacts(shape: CoreShape): ShapeFacts {
  return { cell: cellTypeOfCoreCode(shape.cell), nonlinearity: "tanh", layers: shape.layers, hidden: shape.hidden, embed: shape.embed, vocabSize: shape.vocab,
    peephole: (shape.flags & CoreFlag.Peephole) !== 0, coupled: (shape.flags & CoreFlag.Coupled) !== 0, residual: (shape.flags & CoreFlag.Residual) !== 0,
    ...cellOptionsOfCoreShape(shape) };
}

/** Head outputs per regression value: 2 for the Gaussian (mean, log-variance), Q for Q quantile levels, else 1. */
export function regressionOutputsPerValue(reg: NonNullable<CoreShape["regression"]>): number {
  return reg.loss === RegressionLoss.Gaussian ? 2 : reg.loss === RegressionLoss.Quantile ? reg.quantiles?.length ?? 0 : 1;
}
