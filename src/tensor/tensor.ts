/**
 * Tensor: a shape over a flat typed array, plus the reverse-mode autograd tape.
 *
 * float32 tensors hold activations, weights and gradients; int32 tensors hold ids and positions.
 * Every op (src/tensor/ops/*) is a forward/backward pair: the forward computes through the
 * current backend and, when a gradient is needed, records a GradFn whose `backward` receives the
 * output gradient and accumulates (+=) into its inputs' gradients.
 */

export type DType = 'f32' | 'i32';
export type Shape = readonly number[];

export interface GradFn {
  /** Op name, for error messages and profiles. */
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /** Accumulates into the gradients of `inputs` given the gradient of the output. */
  backward(gradOut: Float32Array): void;
}

let gradEnabled = true;

/** Runs fn without recording the autograd graph (inference, optimizer updates). */
export function noGrad<T>(fn: () => T): T {
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

export function isGradEnabled(): boolean {
  return gradEnabled;
}

export function numel(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export class Tensor {
  readonly shape: Shape;
  readonly dtype: DType;
  readonly data: Float32Array | Int32Array;
  /** Leaf tensors that want a gradient (parameters) set this; op outputs inherit it. */
  requiresGrad: boolean;
  /** Gradient, same length as data. Allocated lazily, or preset to a view (flat grad buffers). */
  grad: Float32Array | null = null;
  gradFn: GradFn | null = null;
  name: string | undefined;

  constructor(data: Float32Array | Int32Array, shape: Shape, requiresGrad = false, name?: string) {
    if (data.length !== numel(shape)) {
      throw new Error(`tensor${name ? ` '${name}'` : ''}: data length ${data.length} does not match shape ${shapeStr(shape)}`);
    }
    this.data = data;
    this.shape = [...shape];
    this.dtype = data instanceof Int32Array ? 'i32' : 'f32';
    this.requiresGrad = requiresGrad;
    this.name = name;
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** The float32 data (throws for int tensors). */
  get f32(): Float32Array {
    if (!(this.data instanceof Float32Array)) throw new Error(`tensor${this.name ? ` '${this.name}'` : ''} is int32, float32 expected`);
    return this.data;
  }

  /** The int32 data (throws for float tensors). */
  get i32(): Int32Array {
    if (!(this.data instanceof Int32Array)) throw new Error(`tensor${this.name ? ` '${this.name}'` : ''} is float32, int32 expected`);
    return this.data;
  }

  /** The gradient buffer, allocated as zeros on first use. */
  gradBuffer(): Float32Array {
    if (!this.grad) this.grad = new Float32Array(this.data.length);
    return this.grad;
  }

  /** Scalar value of a 1-element tensor. */
  item(): number {
    if (this.data.length !== 1) throw new Error(`item() on a tensor of shape ${shapeStr(this.shape)}`);
    return this.data[0]!;
  }

  toString(): string {
    return `Tensor(${this.dtype}, ${shapeStr(this.shape)}${this.name ? `, ${this.name}` : ''})`;
  }
}

export function tensor(data: Float32Array | Int32Array | number[], shape: Shape, requiresGrad = false): Tensor {
  const arr = Array.isArray(data) ? Float32Array.from(data) : data;
  return new Tensor(arr, shape, requiresGrad);
}

export function intTensor(data: Int32Array | number[], shape: Shape): Tensor {
  return new Tensor(Array.isArray(data) ? Int32Array.from(data) : data, shape);
}

export function zeros(shape: Shape, requiresGrad = false): Tensor {
  return new Tensor(new Float32Array(numel(shape)), shape, requiresGrad);
}

/** True when an op over these inputs must record a GradFn. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  if (!gradEnabled) return false;
  for (const t of inputs) if (t && t.requiresGrad) return true;
  return false;
}

/** Creates an op output; records the GradFn when any input requires a gradient. */
export function opResult(data: Float32Array, shape: Shape, op: string, inputs: Tensor[], backward: (g: Float32Array) => void): Tensor {
  const out = new Tensor(data, shape);
  if (needsGrad(...inputs)) {
    out.requiresGrad = true;
    out.gradFn = { op, inputs, backward };
  }
  return out;
}

/**
 * Reverse-mode sweep from `root`. The root's gradient defaults to ones (a scalar loss → 1).
 * Gradients of intermediate tensors are released once consumed; leaves keep theirs.
 */
export function backward(root: Tensor, gradRoot?: Float32Array): void {
  if (!root.requiresGrad) throw new Error('backward(): the tensor does not require a gradient');
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  // Iterative DFS post-order (deep graphs would overflow a recursive walk).
  const stack: [Tensor, number][] = [[root, 0]];
  seen.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1]!;
    const [t, i] = top;
    const inputs = t.gradFn ? t.gradFn.inputs : [];
    if (i < inputs.length) {
      top[1] = i + 1;
      const child = inputs[i]!;
      if (child.requiresGrad && !seen.has(child)) {
        seen.add(child);
        stack.push([child, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  const g0 = root.gradBuffer();
  if (gradRoot) {
    if (gradRoot.length !== g0.length) throw new Error('backward(): gradient length does not match the root');
    for (let i = 0; i < g0.length; i++) g0[i] = g0[i]! + gradRoot[i]!;
  } else {
    for (let i = 0; i < g0.length; i++) g0[i] = g0[i]! + 1;
  }
  for (let k = order.length - 1; k >= 0; k--) {
    const t = order[k]!;
    if (!t.gradFn) continue;
    if (t.grad) {
      for (const inp of t.gradFn.inputs) if (inp.requiresGrad) inp.gradBuffer();
      t.gradFn.backward(t.grad);
    }
    // Intermediate: free its gradient and its graph edge, so activations can be collected.
    t.grad = null;
    t.gradFn = null;
  }
}
