// Types of activation-client (index.js).
import type { ChannelOptions, Client as GrpcClient } from '@grpc/grpc-js';

/** A typed array the values travel in: Float32Array (float32),
 *  Float64Array (float64), Uint16Array (float16/bfloat16 bit patterns, once
 *  the API carries them). A plain number[] is sent as float64. */
export type Values = Float32Array | Float64Array | Uint16Array | number[];

/** The typed array a computation returns for an input of type X. */
export type Output<X extends Values> =
  X extends Float32Array ? Float32Array :
  X extends Uint16Array ? Uint16Array : Float64Array;

export type Mode = 'forward' | 'derivative' | 'forward_and_derivative' | 'both' | 'backward';
export type InputKind = 'x' | 'output' | 'y';
export type DType = 'float32' | 'float64' | 'float16' | 'bfloat16';

export interface CallOptions {
  /** This call's deadline in milliseconds (default: the client's). */
  timeoutMs?: number;
}

export interface ComputeOptions<X extends Values = Values> extends CallOptions {
  /** Default 'forward'. 'forward_and_derivative' (or 'both') returns
   *  [f(x), f'(x)]; 'backward' returns grad * f'(x). */
  mode?: Mode;
  /** The upstream gradient of 'backward', as many values as x. */
  grad?: X | number[];
  /** 'output' when x holds y = f(x) (derivative/backward of sigmoid, tanh,
   *  relu, leaky_relu, elu). Default 'x'. */
  inputKind?: InputKind;
  /** Parameters by name as in torch.nn.functional ({ negative_slope: 0.2 });
   *  left out ones take PyTorch's default. */
  params?: Record<string, number>;
  /** Dimensions, outermost first (default: 1-D). */
  shape?: number[];
  /** The wire type when x's own does not say it (a Uint16Array). */
  dtype?: DType;
}

/** One computation of batch() or stream(). */
export interface Request<X extends Values = Values> extends Omit<ComputeOptions<X>, 'timeoutMs'> {
  function: string;
  x: X;
  /** Echoed in the result. */
  id?: string;
}

export interface Result<X extends Values = Values> {
  id: string;
  /** f(x), f'(x) or grad * f'(x); null when `error` is set. */
  output: Output<X> | null;
  /** f'(x) for 'forward_and_derivative', else null. */
  derivative: Output<X> | null;
  /** The server's accuracy bound for this result, in ULP. */
  maxUlpError: number;
  /** Why the server rejected this item of a stream, else null. */
  error: ActivationError | null;
}

export interface Tls {
  /** CAs of the server's certificate: PEM text or Buffer, or a file path
   *  (default: the system's roots). */
  rootCertificates?: string | Buffer;
  /** This client's certificate and key, for mutual TLS; both or neither. */
  certificateChain?: string | Buffer;
  privateKey?: string | Buffer;
  /** The name to check the server's certificate against, when it is not the
   *  target's host (e.g. 'localhost' when connecting to 127.0.0.1). */
  serverName?: string;
}

export interface ClientOptions {
  /** false (plaintext, default), true (system roots), or settings. */
  tls?: boolean | Tls;
  /** Deadline of every call unless it gives its own (default 30000). */
  timeoutMs?: number;
  /** Attempts of a call failing with UNAVAILABLE (default 4; 1: no retries). */
  maxAttempts?: number;
  /** Largest message sent or received (default 64 MiB). */
  maxMessageBytes?: number;
  /** Extra grpc-js channel options. */
  channelOptions?: ChannelOptions;
}

export interface Range { min: number; max: number; minInclusive: boolean; maxInclusive: boolean; }
export interface Parameter { name: string; default: number; validRange: Range; description: string; }
export interface Properties {
  boundedBelow: boolean; boundedAbove: boolean; smooth: boolean;
  monotonic: boolean; zeroCentered: boolean; saturating: boolean;
}
/** Accuracy bounds of one element type per mode, in ULP, and the stated
 *  exceptions (activation.v1.UlpBounds). */
export interface UlpBounds {
  forward: number; derivative: number; backward: number;
  derivativeFromOutput: number; backwardFromOutput: number;
  derivativeNearZeroUlpOfOne: number; derivativeNearZeroMaxAbsInput: number;
  derivativeNearZeroMaxAbsValue: number; subnormalExtraUlp: number;
}
export interface ActivationInfo {
  name: string;
  formula: string;
  derivativeFormula: string;
  parameters: Parameter[];
  outputRange: Range;
  properties: Properties;
  derivativeFromOutput: boolean;
  maxUlpErrorFloat32: number;
  maxUlpErrorFloat64: number;
  notes: string;
  ulpBoundsFloat32: UlpBounds;
  ulpBoundsFloat64: UlpBounds;
}
export interface Catalog { activations: ActivationInfo[]; simdTarget: string; }

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** Every failure of this package. */
export class ActivationError extends Error {
  /** The gRPC status code (grpc.status.INVALID_ARGUMENT = 3, ...). */
  readonly code: number;
  /** Its name: 'INVALID_ARGUMENT', 'UNAVAILABLE', 'DEADLINE_EXCEEDED', ... */
  readonly codeName: string;
  /** The server's message, naming the field, the value and the valid choices. */
  readonly details: string;
}

export class Client {
  /**
   * @param target "host:port", a gRPC URI ("dns:///svc:50051",
   *   "unix:/run/actserver.sock"), or several replicas (an array or a
   *   comma-separated string of IP "addr:port" entries): calls go round
   *   robin, UNAVAILABLE is retried on another replica.
   * @throws ActivationError INVALID_ARGUMENT for a bad target or option.
   */
  constructor(target: string | string[], options?: ClientOptions);
  readonly target: string;
  readonly timeoutMs: number;
  /** The grpc-js client of the generated service. */
  readonly stub: GrpcClient;
  close(): void;

  compute<X extends Values>(fn: string, x: X,
    options: ComputeOptions<X> & { mode: 'forward_and_derivative' | 'both' }):
    Promise<[Output<X>, Output<X>]>;
  compute<X extends Values>(fn: string, x: X, options?: ComputeOptions<X>): Promise<Output<X>>;
  batch(requests: Request[], options?: CallOptions): Promise<Result[]>;
  stream(requests: Iterable<Request> | AsyncIterable<Request>, options?: CallOptions):
    AsyncGenerator<Result, void, undefined>;
  listActivations(options?: CallOptions): Promise<Catalog>;
  health(service?: string, options?: CallOptions): Promise<ServingStatus>;
}

export interface WireType {
  readonly name: DType;
  readonly proto: string;
  readonly array: Float32ArrayConstructor | Float64ArrayConstructor | Uint16ArrayConstructor;
  /** Whether this package's API version carries it. */
  readonly available: boolean;
}
export const WIRE_TYPES: readonly WireType[];
export function supportedDtypes(): DType[];
export function channelTarget(target: string | string[]): string;
export function serviceConfigJson(maxAttempts: number): string;
/** grpc-js's status codes. */
export const status: Record<string, number>;
