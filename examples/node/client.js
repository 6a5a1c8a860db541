#!/usr/bin/env node
// Calls every RPC of activation.v1.ActivationService from Node.js, with
// @grpc/grpc-js and @grpc/proto-loader (the .proto is loaded at run time: no
// generated code), and checks the answers it can check.
//
//   npm ci && node client.js --target 127.0.0.1:50051
//
// Exit status 0 when every call behaved as expected, 1 otherwise.
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO = path.join(__dirname, '..', '..', 'proto', 'activation', 'v1',
                        'activation.proto');
// Every call carries a deadline.
const TIMEOUT_MS = 10000;

// --name VALUE or --name=VALUE; `fallback` when absent.
function flag(argv, name, fallback) {
  const i = argv.indexOf(`--${name}`);
  if (i >= 0 && argv[i + 1] && !argv[i + 1].startsWith('--')) return argv[i + 1];
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  return argv.includes(`--${name}`) ? true : fallback;
}

// --target host:port or unix:/path.sock; --tls, --tls_roots FILE,
// --tls_cert FILE --tls_key FILE (mutual TLS), --tls_server_name NAME.
function connection(argv) {
  const target = flag(argv, 'target', 'localhost:50051');
  const roots = flag(argv, 'tls_roots');
  const cert = flag(argv, 'tls_cert');
  const key = flag(argv, 'tls_key');
  const serverName = flag(argv, 'tls_server_name');
  if (!(flag(argv, 'tls') || roots || cert || serverName)) {
    return { target, credentials: grpc.credentials.createInsecure(), options: {} };
  }
  const read = (file) => (file ? fs.readFileSync(file) : null);
  return {
    target,
    credentials: grpc.credentials.createSsl(read(roots), read(key), read(cert)),
    options: serverName ? { 'grpc.ssl_target_name_override': serverName } : {},
  };
}

function deadline() {
  return new Date(Date.now() + TIMEOUT_MS);
}

// Promise wrapper of a unary call.
function unary(client, method, request) {
  return new Promise((resolve, reject) => {
    client[method](request, {deadline: deadline()}, (err, response) => {
      if (err) reject(err); else resolve(response);
    });
  });
}

// float64 values as raw little-endian bytes: the fast path of the API.
function rawFloat64(values) {
  const buf = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => buf.writeDoubleLE(v, i * 8));
  return {dtype: 'DTYPE_FLOAT64', data: buf};
}

function readRawFloat64(raw) {
  const out = [];
  for (let i = 0; i + 8 <= raw.data.length; i += 8) out.push(raw.data.readDoubleLE(i));
  return out;
}

function fmt(values) {
  return '[' + values.map((v) => Number(v).toPrecision(7)).join(', ') + ']';
}

// grpc.health.v1.Health/Check, its two tiny messages encoded by hand (the
// health .proto is not shipped with Debian's gRPC): an empty request means
// "the whole server"; the response is field 1, a varint ServingStatus.
function healthCheck(client) {
  const names = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest('/grpc.health.v1.Health/Check',
        () => Buffer.alloc(0),
        (buf) => (buf.length >= 2 && buf[0] === 0x08 ? buf[1] : 0),
        {}, {deadline: deadline()},
        (err, status) => (err ? reject(err) : resolve(names[status] || 'UNKNOWN')));
  });
}

async function main() {
  const { target, credentials, options } = connection(process.argv.slice(2));
  const definition = protoLoader.loadSync(PROTO, {
    keepCase: true, enums: String, longs: Number, defaults: true, oneofs: true,
  });
  const v1 = grpc.loadPackageDefinition(definition).activation.v1;
  const client = new v1.ActivationService(target, credentials, options);
  let failures = 0;
  const expect = (ok, what) => {
    if (!ok) {
      failures++;
      console.log(`  UNEXPECTED: ${what}`);
    }
  };

  console.log(`# ListActivations (${target})`);
  const catalog = await unary(client, 'ListActivations', {});
  for (const a of catalog.activations) {
    const params = a.parameters.map((p) => `${p.name}=${p.default_value}`).join(', ');
    console.log(`  ${a.name.padEnd(11)} ${a.formula}${params ? `   [${params}]` : ''}`);
  }
  console.log(`  SIMD target: ${catalog.simd_target}`);
  expect(catalog.activations.some((a) => a.name === 'sigmoid'), 'sigmoid listed');

  console.log('# Compute sigmoid, float32 packed');
  const x = [-2, -1, 0, 1, 2];
  const sig = await unary(client, 'Compute', {
    id: 'sig', function: 'sigmoid', mode: 'MODE_FORWARD',
    input: {float32: {values: x}},
  });
  const sigOut = sig.output.float32.values;
  console.log(`  x = ${fmt(x)}\n  f = ${fmt(sigOut)}  (bound ${sig.max_ulp_error} ULP)`);
  expect(sig.id === 'sig' && sigOut[2] === 0.5, 'sigmoid(0) = 0.5 and id echoed');

  console.log('# Compute tanh, float64 raw bytes, value and derivative in one pass');
  const both = await unary(client, 'Compute', {
    function: 'tanh', mode: 'MODE_FORWARD_AND_DERIVATIVE',
    input: {raw: rawFloat64([-10, 0, 0.5])},
  });
  const f = readRawFloat64(both.output.raw);
  const df = readRawFloat64(both.derivative.raw);
  console.log(`  f  = ${fmt(f)}\n  f' = ${fmt(df)}`);
  expect(Math.abs(df[0] / 8.2446144e-9 - 1) < 1e-6, "tanh'(-10) ~ 8.2446e-9");

  console.log('# Compute leaky_relu backward: grad * f\'(x), negative_slope=0.2');
  const back = await unary(client, 'Compute', {
    function: 'leaky_relu', params: {negative_slope: 0.2}, mode: 'MODE_BACKWARD',
    input: {float64: {values: [-1, 3]}}, grad: {float64: {values: [10, 10]}},
  });
  console.log(`  ${fmt(back.output.float64.values)}`);
  expect(back.output.float64.values[0] === 2, 'leaky_relu backward');

  console.log('# Compute with a bad parameter: the server says why');
  try {
    await unary(client, 'Compute', {
      function: 'softplus', params: {beta: -1}, mode: 'MODE_FORWARD',
      input: {float32: {values: [1]}},
    });
    expect(false, 'softplus beta=-1 accepted');
  } catch (err) {
    console.log(`  ${grpc.status[err.code]}: ${err.details}`);
    expect(err.code === grpc.status.INVALID_ARGUMENT, 'INVALID_ARGUMENT');
  }

  console.log('# ComputeBatch: relu and gelu in one call');
  const batch = await unary(client, 'ComputeBatch', {
    items: ['relu', 'gelu'].map((fn) => ({
      id: fn, function: fn, mode: 'MODE_FORWARD', input: {float32: {values: [-1, 1]}},
    })),
  });
  for (const item of batch.items) {
    console.log(`  ${item.id.padEnd(5)} ${fmt(item.output.float32.values)}`);
  }
  expect(batch.items.length === 2 && batch.items[0].id === 'relu', 'batch order');

  console.log('# ComputeStream: three messages, the second invalid');
  const streamed = await new Promise((resolve, reject) => {
    const got = [];
    const call = client.ComputeStream({deadline: deadline()});
    call.on('data', (r) => got.push(r));
    call.on('error', reject);
    call.on('end', () => resolve(got));
    for (const [id, fn] of [['a', 'silu'], ['b', 'no_such_function'], ['c', 'mish']]) {
      call.write({id, function: fn, mode: 'MODE_FORWARD', input: {float32: {values: [1]}}});
    }
    call.end();
  });
  for (const r of streamed) {
    console.log(r.error ? `  ${r.id}: error ${r.error.code}: ${r.error.message}`
                        : `  ${r.id}: ${fmt(r.response.output.float32.values)}`);
  }
  expect(streamed.length === 3 && !streamed[0].error && streamed[1].error &&
         streamed[1].error.code === 3 && !streamed[2].error,
         'stream answers every message and goes on after the bad one');

  console.log('# grpc.health.v1.Health/Check');
  const health = await healthCheck(client);
  console.log(`  ${health}`);
  expect(health === 'SERVING', 'SERVING');

  client.close();
  if (failures) {
    console.log(`${failures} unexpected result(s)`);
    process.exit(1);
  }
  console.log('all calls OK');
}

main().catch((err) => {
  console.error(`client.js: ${err.message || err}`);
  process.exit(1);
});
