'use strict';
// Node.js client of activation-service (activation.v1.ActivationService).
//
//   const { Client } = require('activation-client');
//   const client = new Client('localhost:50051');
//   const y = await client.compute('gelu', new Float32Array([-1, 0, 1]));
//
// Typed arrays in, typed arrays out (Float32Array, Float64Array), always as
// raw little-endian bytes on the wire; promises; async iterators for streams;
// every failure is an ActivationError with the gRPC code and the server's
// message. Types: index.d.ts.

const path = require('node:path');
const os = require('node:os');
const fs = require('node:fs');
const net = require('node:net');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.join(__dirname, 'proto');
const definition = protoLoader.loadSync('activation/v1/activation.proto', {
  includeDirs: [PROTO_DIR],
  keepCase: false, // camelCase fields: maxUlpError, inputKind, simdTarget
  longs: Number, // shapes are int64; tensors of 2^53 values do not exist
  enums: String,
  defaults: true,
  oneofs: true,
});
const v1 = grpc.loadPackageDefinition(definition).activation.v1;
const DTYPE_VALUES = definition['activation.v1.DType'].type.value.map((v) => v.name);

const DEFAULT_TIMEOUT_MS = 30000;
const DEFAULT_MAX_ATTEMPTS = 4;
const DEFAULT_MAX_MESSAGE_BYTES = 64 << 20;
const SERVICE = 'activation.v1.ActivationService';

// --- Errors -------------------------------------------------------------

const CODE_NAMES = Object.fromEntries(
  Object.entries(grpc.status).map(([name, code]) => [code, name]));

/** Every failure: an RPC the server or the channel failed, an item of a
 *  stream the server rejected, or an argument this client cannot send.
 *  `code` is the gRPC status number, `codeName` its name
 *  ('INVALID_ARGUMENT'), `details` the server's message. */
class ActivationError extends Error {
  constructor(code, details) {
    const name = CODE_NAMES[code] || 'UNKNOWN';
    super(`${name}: ${details}`);
    this.name = 'ActivationError';
    this.code = code;
    this.codeName = name;
    this.details = details;
  }
}

function invalid(message) {
  return new ActivationError(grpc.status.INVALID_ARGUMENT, message);
}

function fromServiceError(error) {
  if (error instanceof ActivationError) return error;
  const code = typeof error.code === 'number' ? error.code : grpc.status.UNKNOWN;
  return new ActivationError(code, error.details || error.message || String(error));
}

// --- Element types: one table entry each ----------------------------------
// `array` is the typed array the values travel in; float16 and bfloat16 have
// no Float16Array in Node 20: their bit patterns travel as Uint16Array.
const WIRE_TYPES = [
  { name: 'float32', proto: 'DTYPE_FLOAT32', array: Float32Array },
  { name: 'float64', proto: 'DTYPE_FLOAT64', array: Float64Array },
  { name: 'float16', proto: 'DTYPE_FLOAT16', array: Uint16Array },
  { name: 'bfloat16', proto: 'DTYPE_BFLOAT16', array: Uint16Array },
].map((w) => Object.freeze({ ...w, available: DTYPE_VALUES.includes(w.proto) }));
const WIRE_BY_NAME = Object.fromEntries(WIRE_TYPES.map((w) => [w.name, w]));
const WIRE_BY_PROTO = Object.fromEntries(WIRE_TYPES.map((w) => [w.proto, w]));

/** Names of the element types this package's API version carries. */
function supportedDtypes() {
  return WIRE_TYPES.filter((w) => w.available).map((w) => w.name);
}

if (os.endianness() !== 'LE') {
  // Typed arrays use the host's byte order; the wire is little-endian.
  throw new Error('activation-client supports little-endian hosts only');
}

function wireType(values, dtype) {
  let wire;
  if (dtype !== undefined) wire = WIRE_BY_NAME[dtype];
  else if (values instanceof Float32Array) wire = WIRE_BY_NAME.float32;
  else if (values instanceof Float64Array) wire = WIRE_BY_NAME.float64;
  else if (Array.isArray(values)) wire = WIRE_BY_NAME.float64;
  else if (values instanceof Uint16Array) {
    throw invalid("dtype: a Uint16Array holds float16 or bfloat16 bit patterns: " +
                  "say which with { dtype: 'float16' } or { dtype: 'bfloat16' }");
  }
  if (!wire || !wire.available) {
    throw invalid(`dtype: ${dtype || (values && values.constructor.name)} is not ` +
                  `carried by this API version; valid: ${supportedDtypes().join(', ')}`);
  }
  return wire;
}

function rawTensor(values, wire, shape) {
  const typed = values instanceof wire.array ? values : wire.array.from(values);
  // A view of the array's bytes: protobufjs copies them once into the message.
  const data = Buffer.from(typed.buffer, typed.byteOffset, typed.byteLength);
  return { shape: shape || [], raw: { dtype: wire.proto, data } };
}

const MODES = {
  forward: 'MODE_FORWARD',
  derivative: 'MODE_DERIVATIVE',
  forward_and_derivative: 'MODE_FORWARD_AND_DERIVATIVE',
  both: 'MODE_FORWARD_AND_DERIVATIVE',
  backward: 'MODE_BACKWARD',
};
const INPUT_KINDS = { x: 'INPUT_KIND_X', output: 'INPUT_KIND_OUTPUT', y: 'INPUT_KIND_OUTPUT' };

function choice(table, field, value) {
  if (!Object.prototype.hasOwnProperty.call(table, value)) {
    throw invalid(`${field}: '${value}' is not one of ${Object.keys(table).join(', ')}`);
  }
  return table[value];
}

/** Builds a ComputeRequest message; returns [message, decode info]. */
function encode(request) {
  const { function: fn, x } = request;
  const wire = wireType(x, request.dtype);
  const mode = choice(MODES, 'mode', request.mode || 'forward');
  const message = {
    id: request.id || '',
    function: fn,
    params: request.params || {},
    mode,
    input: rawTensor(x, wire, request.shape),
    inputKind: choice(INPUT_KINDS, 'inputKind', request.inputKind || 'x'),
  };
  if (request.grad !== undefined && request.grad !== null) {
    // A plain array takes x's type; a typed array keeps its own.
    const gradWire = Array.isArray(request.grad) ? wire : wireType(request.grad, request.dtype);
    message.grad = rawTensor(request.grad, gradWire, request.shape);
  }
  return [message, { wire, mode, length: x.length }];
}

function toArray(tensor, info) {
  if (!tensor || !tensor.data) {
    throw new ActivationError(grpc.status.INTERNAL, 'response tensor has no data');
  }
  let values;
  if (tensor.data === 'raw') {
    const wire = WIRE_BY_PROTO[tensor.raw.dtype] || info.wire;
    const bytes = tensor.raw.data;
    const size = wire.array.BYTES_PER_ELEMENT;
    if (bytes.length % size) {
      throw new ActivationError(grpc.status.INTERNAL,
        `response tensor has ${bytes.length} bytes, not a multiple of ${size}`);
    }
    // The one copy: into an aligned array of its own.
    values = new wire.array(bytes.length / size);
    new Uint8Array(values.buffer).set(bytes);
  } else if (tensor.data === 'float32') {
    values = Float32Array.from(tensor.float32.values);
  } else {
    values = Float64Array.from(tensor.float64.values);
  }
  if (values.length !== info.length) {
    throw new ActivationError(grpc.status.INTERNAL,
      `response has ${values.length} values for ${info.length} sent`);
  }
  return values;
}

function decode(response, info) {
  const result = {
    id: response.id,
    output: toArray(response.output, info),
    derivative: null,
    maxUlpError: response.maxUlpError,
    error: null,
  };
  if (info.mode === 'MODE_FORWARD_AND_DERIVATIVE') {
    result.derivative = toArray(response.derivative, info);
  }
  return result;
}

function valueOf(result) {
  if (result.error) throw result.error;
  return result.derivative ? [result.output, result.derivative] : result.output;
}

// --- Targets, channel options, credentials ---------------------------------

function ipFamily(entry) {
  let host;
  let port;
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']:');
    if (close < 0) return 0;
    host = entry.slice(1, close);
    port = entry.slice(close + 2);
  } else {
    const colon = entry.lastIndexOf(':');
    if (colon < 0) return 0;
    host = entry.slice(0, colon);
    port = entry.slice(colon + 1);
  }
  if (!/^\d+$/.test(port) || Number(port) > 65535) return 0;
  return net.isIP(host);
}

/** The gRPC target URI for `target`: "host:port", a URI
 *  ("dns:///svc:50051", "unix:/run/act.sock"), or several replicas (an
 *  array, or a comma-separated string) of IP "addr:port" entries of one
 *  family, spread round robin. */
function channelTarget(target) {
  const entries = (Array.isArray(target) ? target : String(target).split(','))
    .map((e) => String(e).trim());
  if (entries.length === 0 || entries.some((e) => e === '')) {
    throw invalid(`target '${target}' is empty or has an empty entry`);
  }
  if (entries.length === 1) return entries[0];
  if (entries.some((e) => e.startsWith('unix:'))) {
    throw invalid('target: grpc-js takes one unix: path per client; for several ' +
                  'unix sockets make one Client each');
  }
  const families = new Set(entries.map(ipFamily));
  if (families.has(0)) {
    const bad = entries.find((e) => ipFamily(e) === 0);
    throw invalid(`target list entry '${bad}' is not an IP address with a port ` +
                  '(1.2.3.4:50051 or [::1]:50051); for host names use dns:///NAME:PORT');
  }
  if (families.size > 1) throw invalid(`target list '${target}' mixes IPv4 and IPv6 addresses`);
  return `${families.has(4) ? 'ipv4' : 'ipv6'}:${entries.join(',')}`;
}

/** Round robin over every address; retries of UNAVAILABLE (a replica
 *  restarting or draining) before any server answered -- the C++ and
 *  Python clients' policy. */
function serviceConfigJson(maxAttempts) {
  const config = { loadBalancingConfig: [{ round_robin: {} }] };
  if (maxAttempts > 1) {
    config.methodConfig = [{
      name: [{ service: SERVICE }, { service: 'grpc.health.v1.Health' }],
      retryPolicy: {
        maxAttempts,
        initialBackoff: '0.05s',
        maxBackoff: '1s',
        backoffMultiplier: 2,
        retryableStatusCodes: ['UNAVAILABLE'],
      },
    }];
  }
  return JSON.stringify(config);
}

function pem(value) {
  if (value === undefined || value === null) return null;
  if (Buffer.isBuffer(value)) return value;
  const text = String(value);
  return text.includes('-----BEGIN') ? Buffer.from(text) : fs.readFileSync(text);
}

function credentials(tls) {
  if (!tls) return grpc.credentials.createInsecure();
  const settings = tls === true ? {} : tls;
  const chain = pem(settings.certificateChain);
  const key = pem(settings.privateKey);
  if ((chain === null) !== (key === null)) {
    throw invalid('tls: certificateChain and privateKey go together (mutual TLS needs both)');
  }
  return grpc.credentials.createSsl(pem(settings.rootCertificates), key, chain);
}

// --- Health: grpc.health.v1 by hand (one field each way) --------------------

const SERVING_STATUSES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function varint(n) {
  const out = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return out;
}

function encodeHealthRequest(service) {
  const data = Buffer.from(service || '');
  if (data.length === 0) return Buffer.alloc(0);
  return Buffer.concat([Buffer.from([0x0a, ...varint(data.length)]), data]);
}

function decodeHealthResponse(bytes) {
  let status = 0;
  let i = 0;
  const readVarint = () => {
    let value = 0;
    let scale = 1;
    for (;;) {
      if (i >= bytes.length) {
        throw new ActivationError(grpc.status.INTERNAL, 'malformed HealthCheckResponse');
      }
      const byte = bytes[i++];
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) return value;
      scale *= 128;
    }
  };
  while (i < bytes.length) {
    const key = readVarint();
    if ((key & 7) === 0) {
      const value = readVarint();
      if (key >> 3 === 1) status = value;
    } else if ((key & 7) === 2) {
      i += readVarint();
    } else {
      throw new ActivationError(grpc.status.INTERNAL, 'malformed HealthCheckResponse');
    }
  }
  return SERVING_STATUSES[status] || 'UNKNOWN';
}

// --- The catalogue -----------------------------------------------------------

function range(r) {
  return {
    min: r.min, max: r.max, minInclusive: r.minInclusive, maxInclusive: r.maxInclusive,
  };
}

function catalog(response) {
  const activations = response.activations.map((a) => ({
    name: a.name,
    formula: a.formula,
    derivativeFormula: a.derivativeFormula,
    parameters: a.parameters.map((p) => ({
      name: p.name, default: p.defaultValue, validRange: range(p.validRange),
      description: p.description,
    })),
    outputRange: range(a.outputRange),
    properties: { ...a.properties },
    derivativeFromOutput: a.derivativeFromOutput,
    maxUlpErrorFloat32: a.maxUlpErrorFloat32,
    maxUlpErrorFloat64: a.maxUlpErrorFloat64,
    notes: a.notes,
    ulpBoundsFloat32: { ...(a.ulpBoundsFloat32 || {}) },
    ulpBoundsFloat64: { ...(a.ulpBoundsFloat64 || {}) },
  }));
  return { activations, simdTarget: response.simdTarget };
}

// --- The client ----------------------------------------------------------------

class Client {
  /**
   * @param target see channelTarget.
   * @param options { tls, timeoutMs, maxAttempts, maxMessageBytes,
   *   channelOptions }; see index.d.ts.
   */
  constructor(target, options = {}) {
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
    if (!(timeoutMs > 0 && Number.isFinite(timeoutMs))) {
      throw invalid(`timeoutMs=${timeoutMs} must be a finite number > 0`);
    }
    const maxAttempts = options.maxAttempts === undefined
      ? DEFAULT_MAX_ATTEMPTS : options.maxAttempts;
    if (!(Number.isInteger(maxAttempts) && maxAttempts >= 1)) {
      throw invalid(`maxAttempts=${maxAttempts} must be an integer >= 1`);
    }
    const maxBytes = options.maxMessageBytes || DEFAULT_MAX_MESSAGE_BYTES;
    const channelOptions = {
      'grpc.service_config': serviceConfigJson(maxAttempts),
      'grpc.enable_retries': maxAttempts > 1 ? 1 : 0,
      'grpc.max_send_message_length': maxBytes,
      'grpc.max_receive_message_length': maxBytes,
      ...(options.channelOptions || {}),
    };
    if (options.tls && options.tls.serverName) {
      channelOptions['grpc.ssl_target_name_override'] = options.tls.serverName;
      channelOptions['grpc.default_authority'] = options.tls.serverName;
    }
    this.target = channelTarget(target);
    this.timeoutMs = timeoutMs;
    /** The grpc-js client of the generated service, for what this class
     *  does not wrap. */
    this.stub = new v1.ActivationService(this.target, credentials(options.tls), channelOptions);
  }

  close() {
    this.stub.close();
  }

  _deadline(options) {
    const ms = options && options.timeoutMs !== undefined ? options.timeoutMs : this.timeoutMs;
    return { deadline: Date.now() + ms };
  }

  _unary(method, message, options) {
    return new Promise((resolve, reject) => {
      this.stub[method](message, this._deadline(options), (error, response) => {
        if (error) reject(fromServiceError(error));
        else resolve(response);
      });
    });
  }

  /** See index.d.ts: the output array, or [f, f'] for
   *  'forward_and_derivative'. */
  async compute(fn, x, options = {}) {
    const [message, info] = encode({ ...options, function: fn, x });
    return valueOf(decode(await this._unary('compute', message, options), info));
  }

  async batch(requests, options = {}) {
    const encoded = requests.map(encode);
    const response = await this._unary(
      'computeBatch', { items: encoded.map(([m]) => m) }, options);
    if (response.items.length !== encoded.length) {
      throw new ActivationError(grpc.status.INTERNAL,
        `ComputeBatch answered ${response.items.length} items for ${encoded.length}`);
    }
    return response.items.map((item, i) => decode(item, encoded[i][1]));
  }

  /** Sends the requests (an iterable or async iterable, read as the stream
   *  flows) on one ComputeStream; yields one result per request, in order.
   *  A rejected item has `error` set and the stream goes on. */
  async* stream(requests, options = {}) {
    const call = this.stub.computeStream(this._deadline(options));
    const pending = [];
    const results = [];
    let failure = null;
    let ended = false;
    let wake = null;
    const notify = () => {
      if (wake) {
        const w = wake;
        wake = null;
        w();
      }
    };
    call.on('data', (item) => {
      results.push(item);
      notify();
    });
    call.on('error', (error) => {
      failure = fromServiceError(error);
      notify();
    });
    call.on('end', () => {
      ended = true;
      notify();
    });
    const writer = (async () => {
      try {
        for await (const request of requests) {
          const [message, info] = encode(request);
          pending.push(info);
          if (!call.write(message)) await new Promise((r) => call.once('drain', r));
        }
        call.end();
      } catch (error) {
        failure = failure || fromServiceError(error);
        call.cancel();
        notify();
      }
    })();
    try {
      for (let index = 0; ;) {
        if (index < results.length) {
          const item = results[index];
          results[index] = undefined;
          const info = pending[index++];
          if (item.error) {
            yield {
              id: item.id, output: null, derivative: null, maxUlpError: 0,
              error: new ActivationError(item.error.code, item.error.message),
            };
          } else {
            const result = decode(item.response, info);
            result.id = result.id || item.id;
            yield result;
          }
          continue;
        }
        if (failure) throw failure;
        if (ended) break;
        await new Promise((r) => { wake = r; });
      }
      await writer;
      if (failure) throw failure;
    } finally {
      if (!ended) call.cancel();
    }
  }

  async listActivations(options = {}) {
    return catalog(await this._unary('listActivations', {}, options));
  }

  /** grpc.health.v1 Check: 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'. */
  health(service = '', options = {}) {
    return new Promise((resolve, reject) => {
      this.stub.makeUnaryRequest(
        '/grpc.health.v1.Health/Check', (b) => b, (b) => b,
        encodeHealthRequest(service), this._deadline(options), (error, bytes) => {
          if (error && error.code === grpc.status.NOT_FOUND) resolve('SERVICE_UNKNOWN');
          else if (error) reject(fromServiceError(error));
          else {
            try {
              resolve(decodeHealthResponse(bytes));
            } catch (e) {
              reject(e);
            }
          }
        });
    });
  }
}

module.exports = {
  Client,
  ActivationError,
  WIRE_TYPES,
  supportedDtypes,
  channelTarget,
  serviceConfigJson,
  status: grpc.status,
  _internal: { encodeHealthRequest, decodeHealthResponse },
};
