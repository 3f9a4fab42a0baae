// A mirror of the exports of src/wasm/index.ts and nothing else: each export's name, argument order
// and the layout of the buffer it addresses, and the constants that cross the boundary. When an
// export is added, renamed or changes its arguments there, this file changes with it in the same
// commit. Loading and instantiating a build is src/engine/core/coreLoader.ts; the typed views onto the
// buffers are src/engine/core/core.ts (the only code that calls these exports, besides the kernel bench).
//
// Conventions of the core (src/wasm/network.ts):
//   B = batch (parallel streams), T = window steps of this pass (≤ Tmax, the steps of setShape),
//   L = layers, H = hidden units, GH = gate rows per layer (H × the cell's gates per unit),
//   V = vocabulary (the head's width), P = parameter count.
//   "real" is f32 in the training builds and f64 in core64.wasm (realBytes() says which).
//   Every buffer is time-major: row (t·B + b). Pointers are byte addresses into `memory`; views
//   must be made afresh after any call that may allocate (memory.grow detaches the old buffer).

/** Bit flags of configure()'s last argument (src/wasm/network.ts FLAG_*). */
export enum CoreFlag { Peephole = 1, Coupled = 2, Residual = 4, LearnTau = 8, LayerNorm = 16, BatchNorm = 32, ResetBefore = 64, Bidirectional = 128, CrfTensors = 256 }
/** optimizerStep()'s kind: the OPT_* globals of src/wasm/index.ts. */
export enum OptimizerCode { Sgd = 0, Rmsprop = 1, Adam = 2, AdamW = 3 }
/** A tensor's kind in the parameter block (src/wasm/network.ts T_*), in block order within a layer. */
export enum TensorKind { Embed = 0, WeightIh = 1, WeightHh = 2, BiasIh = 3, BiasHh = 4, PeepI = 5, PeepF = 6, PeepO = 7, HeadWeight = 8, HeadBias = 9, CtrnnRho = 10,
  // layer normalisation (src/wasm/layerNorm.ts): gains and biases of LN(x·W_ih), LN(h·W_hh) [1, G·H] and LN(c) [1, H]
  LnIhGain = 11, LnIhBias = 12, LnHhGain = 13, LnHhBias = 14, LnCGain = 15, LnCBias = 16,
  // recurrent batch normalisation (src/wasm/batchNorm.ts): the same six, gains 17–19, biases 24–26
  BnIhGain = 17, BnHhGain = 18, BnCGain = 19, BnIhBias = 24, BnHhBias = 25, BnCBias = 26,
  // the linear-chain CRF's scores after the head (tagging with --crf): transitions [O, O], start and end [1, O]
  CrfTransitions = 20, CrfStart = 21, CrfEnd = 22 }
/** setSequenceHead()'s mode (network.ts POOL_*): the per-step head, or one row per stream pooled over its real steps. */
export enum SequencePool { Steps = 0, Last = 1, Mean = 2, Max = 3 }
/** setRegression()'s loss: regression.ts LOSS_* (0, cross-entropy, is the language model's and not a regression loss). */
export enum RegressionLoss { Mse = 1, Mae = 2, Gaussian = 3, Quantile = 4 }
/** The most quantile levels one head carries (regression.ts MAX_QUANTILES). */
export const MAX_QUANTILES = 16;
/** tensorField(index, field)'s field. */
export enum TensorField { Offset = 0, Rows = 1, Cols = 2, Kind = 3, Layer = 4, Direction = 5 }
/** setLinearSolver()'s mode (src/wasm/linearScan.ts SOLVE_*; 0 = the core's choice). */
export enum LinearSolver { Auto = 0, Sequential = 1, Scan = 2 }
/** backward()'s flags. */
export enum BackwardFlag { RecordFlow = 1, StateGradIn = 2, InputGrad = 4 }

/** One tensor of the parameter block, as the core lays it out ([rows, cols] row-major). */
export interface TensorSlot {
  kind: TensorKind;
  layer: number; // -1 for embedding, head and CRF
  /** 1 for a bidirectional layer's reverse direction (PyTorch's *_reverse); absent = the forward direction. */
  direction?: 1;
  offset: number; // elements into the block
  rows: number;
  cols: number;
}

/** configure()'s arguments. `cell` is a registry entry's coreCode (src/engine/model/cells.ts = network.ts CELL_*). */
export interface CoreShape {
  cell: number;
  layers: number;
  vocab: number;
  embed: number; // 0 = one-hot
  hidden: number;
  flags: number; // CoreFlag bits
  /** O, the head's width (configureModel's outputs): classes, tags or values; absent = vocab (language modelling). */
  outputs?: number;
  /** setCellConstant(k, constants[k]) after configure (CTRNN: [Δt, fixed τ]); absent = none. */
  constants?: readonly number[];
  /** the numeric task: dense inputs of `vocab` reals per step, a regression head of `targets` values (×2 Gaussian, ×Q quantile levels); absent = ids and softmax */
  regression?: { loss: RegressionLoss; targets: number; quantiles?: readonly number[] };
}

/** The instance's exports, in src/wasm/index.ts's order. i32 flags are 0/1 for bool arguments. */
export interface CoreExports {
  memory: WebAssembly.Memory;

  // ---- configuration and shape (network.ts)
  /** Lays out the parameter block; returns P, or −1 when the shape is invalid. Allocates. */
  configure(cell: number, layers: number, vocab: number, embed: number, hidden: number, flags: number): number;
  /** (Re)allocates every activation buffer for B = batch, Tmax = T = steps; keeps parameters and moments. Allocates. */
  setShape(batch: number, steps: number): void;
  /** T = steps ≤ Tmax for the next passes (a shorter last window). */
  setSteps(steps: number): void;
  /** Runs T steps from the carried state; returns the mean cross-entropy over T·B rows (withLoss) or 0. */
  forward(training: number, dropout: number, withLoss: number): number;
  /** flags: BackwardFlag bits. Accumulates into the gradient block. */
  backward(flags: number): void;
  /** State after step T becomes the initial state (block 0) of the next window. */
  carryState(): void;
  /** Zero initial state. */
  resetState(): void;
  /** 1: the engine promises not to change the parameters, so packed copies are reused; 0: it may again. */
  freezeWeights(frozen: number): void;
  /** Dropout masks hash (key, layer, step, offset + stream, unit): this core holds streams [offset, offset + B) of total. */
  setDropoutKey(key: number, offset: number, total: number): void;
  /** [B, H] real: the hidden state after step T of layer `layer`. */
  finalHiddenPtr(layer: number): number;
  /** [B, H] real: the LSTM cell state after step T (0 for cells without one). */
  finalCellPtr(layer: number): number;

  // ---- parameter block and tensor table (network.ts)
  getParamCount(): number;
  /** [P] real each: parameters, gradients, first and second optimizer moments, in the tensor table's layout. */
  paramsPtr(): number;
  gradsPtr(): number;
  gradScratchPtr(): number; // [P] real: another shard's gradient block, to be summed by accumulateScratchGrads
  moment1Ptr(): number;
  moment2Ptr(): number;
  getTensorCount(): number;
  /** Field (TensorField) of tensor `index` of the table, in block order. */
  tensorField(index: number, field: number): number;

  // ---- activation buffers and shape getters (network.ts)
  /** [Tmax·B] i32 each: input ids and next-character targets. */
  inputsPtr(): number;
  targetsPtr(): number;
  /** [Tmax·B, V] real: the head's logits of the last forward pass. */
  logitsPtr(): number;
  /** [L·D, Tmax] real: ‖∂L/∂h_t‖ per unit (row l·D + d: layer l, direction d) and step from the last backward(RecordFlow). */
  gradFlowPtr(): number;
  getBatch(): number; // B
  getSteps(): number; // T
  getMaxSteps(): number; // Tmax
  /** [(Tmax+1)·B, H] real each: hidden / LSTM cell states; row block 0 is the carried initial state. */
  hiddenPtr(layer: number): number;
  cellPtr(layer: number): number;
  /** [B, H] real each: ∂L/∂h_0 (and ∂L/∂c_0) after backward; in: ∂L/∂h_T (and c_T) with StateGradIn. */
  stateGradPtr(layer: number): number;
  cellGradPtr(layer: number): number;
  /** [Tmax·B, GH] real: gate activations of the last forward pass (PyTorch's gate order); backward reuses it. */
  gatesPtr(layer: number): number;
  /** [V] real: the distribution the last sampleRow drew from. */
  sampleProbsPtr(): number;
  vocabSize(): number; // V
  hiddenSize(): number; // H
  gateRows(): number; // GH
  layerCount(): number; // L
  cellKind(): number; // configure()'s cell

  // ---- generator (rng.ts): xoshiro128** with a 4 × u32 state
  rngSeed(seed: number): void;
  rngGetState(word: number): number;
  rngSetState(a: number, b: number, c: number, d: number): void;
  rngNextU32(): number;

  // ---- whole-block operations (index.ts)
  /** Bytes per real: 4 or 8. */
  realBytes(): number;
  zeroGrads(): void;
  /** g ← selfScale·g + scratchScale·(the block at gradScratchPtr()). */
  accumulateScratchGrads(selfScale: number, scratchScale: number): void;
  /** Global-norm clipping at maxNorm (≤ 0: never); returns ‖g‖ before. */
  clipGradients(maxNorm: number): number;
  readonly OPT_SGD: WebAssembly.Global;
  readonly OPT_RMSPROP: WebAssembly.Global;
  readonly OPT_ADAM: WebAssembly.Global;
  readonly OPT_ADAMW: WebAssembly.Global;
  /** kind: OptimizerCode; a, b: momentum (SGD), α (RMSprop), β₁ and β₂ (Adam/AdamW); step counts from 1. */
  optimizerStep(kind: number, lr: number, a: number, b: number, eps: number, weightDecay: number, step: number): void;
  /** n reals at ptr ← N(0,1)·std (std > 0) or U(−bound, bound) (std ≤ 0, bound = −std). */
  fillRandom(ptr: number, n: number, std: number): void;
  /** Draws an id from logits row `row` (temperature, top-k (0 = off), top-p); leaves the distribution at sampleProbsPtr(). */
  sampleRow(row: number, temperature: number, topK: number, topP: number): number;

  // ---- kernel benchmark (index.ts; test/benchmarks/kernelGflops.ts): buffers of its own, after configure()
  /** Allocates A[M, P], packed B[P, N] (random) and C[M, N]. */
  benchGemmSetup(M: number, P: number, N: number): void;
  /** reps × C ← A·B (B packed beforehand). */
  benchGemmRun(M: number, P: number, N: number, reps: number): void;
  /** reps × C += Aᵀ·B, A read as [P, M] (rs = 1, ps = M), B packed KC rows at a time (the weight gradients' form). */
  benchGemmTransposedARun(M: number, P: number, N: number, reps: number): void;

  // ---- matrix kernel test (index.ts; test/unit/matrixKernel.test.ts)
  /** n reals, zeroed, in the arena (gone at the next configure()). */
  kernelAlloc(n: number): number;
  /** C (+)= A·B, A[i, p] at A + i·rs + p·ps reals, C[i, j] at C + i·ldc + j; form 0 gemm, 1 packPanels + gemmPacked (B[P, N] rows ldb apart), 2 gemmTransposedB (B as S[N, P], ldc = N). */
  kernelProduct(form: number, A: number, rs: number, ps: number, B: number, ldb: number, C: number, ldc: number,
                M: number, P: number, N: number, accumulate: number): void;

  // ---- the task seam and the cell seam (network.ts)
  /** configure() with the head's width given: outputs ≥ 1 classes, tags or symbols (targets 0 … outputs − 1). */
  configureModel(cell: number, layers: number, vocab: number, embed: number, hidden: number, flags: number, outputs: number): number;
  /** real [Tmax·B]: per-row loss weights, 1 after setShape; 0 = the row carries no loss. */
  lossWeightsPtr(): number;
  /** i32 [B]: per-stream lengths, Tmax after setShape; steps past a stream's length neither update its state nor carry loss. */
  lengthsPtr(): number;
  /** Real-valued cell constant k (0 ≤ k < 4; CTRNN 0 = Δt, 1 = fixed τ), reset to 1 by configure; returns 0, or −1 for k out of range. */
  setCellConstant(k: number, value: number): number;
  /** batch norm (src/wasm/batchNorm.ts): steps of running statistics for the next configure; the buffer, its length and steps */
  setNormSteps(steps: number): void;
  normStatsPtr(): number;
  normStatsLength(): number;
  normStatSteps(): number;
  /** The total weight of the last loss (its mean's denominator). */
  lossWeightTotal(): number;
  /** O: the head's width. */
  outputSize(): number;
  /** States the cell carries per unit: 1 (h) or 2 (h and c). */
  stateCount(): number;

  // ---- linear-recurrence cells (network.ts; minGRU, minLSTM)
  /** LinearSolver: how h_t = a_t∘h_{t−1} + b_t is solved over a window (Auto = the faster on this core, sequential). */
  setLinearSolver(mode: number): void;
  // ---- the numeric task (network.ts setRegression, regression.ts)
  /** After configureModel (embed 0): layer 0 reads V reals per row, the loss is `loss` (RegressionLoss) against K = targetWidth reals per row; O must be K (2K Gaussian, Q·K quantile). 0, or −1 refused. Allocates. */
  setRegression(loss: number, targetWidth: number): number;
  /** Level τ_index ∈ (0, 1) of the quantile loss (outputs [τ-major, K]); 0, or −1 out of range. */
  setQuantileLevel(index: number, level: number): number;
  /** real [Tmax·B, V]: the values read at each row. */
  denseInputsPtr(): number;
  /** real [Tmax·B, K]: the regression targets. */
  realTargetsPtr(): number;
  /** K (0 without setRegression). */
  targetWidth(): number;

  // ---- bidirectional layers (CoreFlag.Bidirectional), the pooled head, external ∂L/∂logits, input gradients (network.ts)
  // With D = 2 directions a layer's output is [T·B, 2H] (forward half, then backward half); the
  // reverse direction's states block t is its state after reading steps T−1 … t, block T its zero start.
  /** SequencePool: 0 = per-step head ([T·B, O] logits, targets, lossWeights); else logits [B, O] in rows 0 … B−1, loss against classTargets with streamWeights. 0, or −1 refused. */
  setSequenceHead(mode: number): number;
  /** real [Tmax·B, O] (per-step) or [B, O] (pooled): ∂L/∂logits; forward(withLoss) writes it, or the engine after forward(withLoss = 0); backward runs from it. */
  dLogitsPtr(): number;
  /** i32 [B]: one class per stream (pooled head). */
  classTargetsPtr(): number;
  /** real [B]: per-stream loss weight (pooled head), 1 after setShape. */
  streamWeightsPtr(): number;
  /** real [B, D·H]: the pooled head's input. */
  pooledPtr(): number;
  /** real [Tmax·B, E]: ∂L/∂(layer 0's input row as scaled by setInputScale), after backward (embedding input). */
  dEmbeddedPtr(): number;
  /** real [Tmax·B]: one-hot input, ∂L/∂(the active entry of row r) after backward(InputGrad); 0 for embedding input. */
  inputGradPtr(): number;
  /** Layer 0 reads α·x (embedded or one-hot row); 1 after configure. */
  setInputScale(alpha: number): void;
  /** real [Tmax·B, D·H]: layer l's output. */
  layerOutputPtr(layer: number): number;
  /** real [(Tmax+1)·B, H]: direction d's states of layer l (h, and the LSTM's c). */
  directionHiddenPtr(layer: number, direction: number): number;
  directionCellPtr(layer: number, direction: number): number;
  /** real [Tmax·B, GH]: direction d's gate activations of the last forward pass. */
  directionGatesPtr(layer: number, direction: number): number;
  /** D: 1, or 2 when bidirectional. */
  directionCount(): number;
  /** The SequencePool in use. */
  sequenceHead(): number;

  // ---- nonlinearity check (index.ts; test/unit/nonlinearities.test.ts): a buffer of its own
  /** n zeroed reals; returns their address. */
  nonlinearityBuffer(n: number): number;
  /** kind 0 e^x, 1 σ, 2 tanh, applied in place to n reals at p as the cells apply them. */
  nonlinearityInPlace(kind: number, p: number, n: number): void;
}
