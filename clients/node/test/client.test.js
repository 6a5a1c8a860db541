'use strict';
// activation-client against real actserver processes (ACTSERVER=path), one
// serving mutual TLS with certificates made by openssl here, one listening on
// a Unix domain socket of its own (--unix_socket) as well as TCP.
//   ACTSERVER=build/test/server/actserver node --test clients/node/test/

const test = require('node:test');
const assert = require('node:assert/strict');
const { spawn, execFileSync } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const {
  Client, ActivationError, channelTarget, serviceConfigJson, supportedDtypes, status,
  _internal: { encodeHealthRequest, decodeHealthResponse },
} = require('..');

const ACTSERVER = process.env.ACTSERVER;
const needsServer = { skip: ACTSERVER ? false : 'ACTSERVER is not set' };

// actserver's start-up line: "actserver: listening on 127.0.0.1:PORT[,
// unix:PATH], N compute threads, ...".
const LISTENING = /listening on (\S+?),\s(?:(unix:\S+?),\s)?/;

// Starts actserver and resolves with it once its start-up line is read:
// `proc.address` is the TCP address, `proc.unixAddress` the "unix:PATH"
// target (undefined without --unix_socket); `proc.lines` keeps every line.
function startProcess(argv) {
  return new Promise((resolve, reject) => {
    const proc = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
    proc.lines = [];
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`${argv[0]} did not start:\n${proc.lines.join('\n')}`)), 30000);
    proc.stderr.on('data', (chunk) => {
      buffered += chunk;
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        proc.lines.push(line);
        const match = LISTENING.exec(line);
        if (match && !proc.address) {
          [, proc.address, proc.unixAddress] = match;
          clearTimeout(timer);
          resolve(proc);
        }
      }
    });
    proc.on('exit', () => {
      clearTimeout(timer);
      if (!proc.address) reject(new Error(`${argv[0]} exited:\n${proc.lines.join('\n')}`));
    });
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    if (proc.exitCode !== null) return resolve(proc.exitCode);
    proc.on('exit', (code) => resolve(code));
    proc.kill('SIGTERM');
  });
}

const started = [];
async function startServer(...flags) {
  const server = await startProcess([ACTSERVER, '--port=0', '--address=127.0.0.1',
    '--threads=2', '--drain_delay=0s', ...flags]);
  started.push(server);
  return server;
}
test.after(async () => {
  await Promise.all(started.map(stop));
});

function deadPort() {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port)); // closed: connections are refused
    });
  });
}

const sigmoid = (x) => 1 / (1 + Math.exp(-x));

function assertClose(got, want, rtol, what) {
  assert.equal(got.length, want.length, what);
  for (let i = 0; i < want.length; i++) {
    const tolerance = rtol * Math.max(Math.abs(want[i]), 1e-30);
    assert.ok(Math.abs(got[i] - want[i]) <= tolerance,
      `${what}[${i}]: got ${got[i]}, want ${want[i]}`);
  }
}

async function rejectsWith(promise, code, pattern) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof ActivationError, `not an ActivationError: ${e}`);
    assert.equal(e.code, code, `${e.message}`);
    if (pattern) assert.match(e.details, pattern);
    return true;
  });
}

// --- Pure functions -----------------------------------------------------------

test('targets, service config and health messages', () => {
  assert.equal(channelTarget('localhost:50051'), 'localhost:50051');
  assert.equal(channelTarget('unix:/tmp/a.sock'), 'unix:/tmp/a.sock');
  assert.equal(channelTarget('127.0.0.1:1, 127.0.0.1:2'), 'ipv4:127.0.0.1:1,127.0.0.1:2');
  assert.equal(channelTarget(['[::1]:1', '[::1]:2']), 'ipv6:[::1]:1,[::1]:2');
  for (const [bad, pattern] of [['', /empty/], ['h:1,h:2', /dns:\/\/\//],
    ['1.2.3.4:1,[::1]:2', /mixes/], ['unix:/a,unix:/b', /one unix: path/]]) {
    assert.throws(() => channelTarget(bad), (e) => e.code === status.INVALID_ARGUMENT && pattern.test(e.message));
  }
  const config = JSON.parse(serviceConfigJson(4));
  assert.deepEqual(config.loadBalancingConfig, [{ round_robin: {} }]);
  assert.deepEqual(config.methodConfig[0].retryPolicy.retryableStatusCodes, ['UNAVAILABLE']);
  assert.equal(JSON.parse(serviceConfigJson(1)).methodConfig, undefined);
  assert.deepEqual([...encodeHealthRequest('ab')], [0x0a, 2, 0x61, 0x62]);
  assert.equal(decodeHealthResponse(Buffer.from([0x08, 0x01])), 'SERVING');
  assert.equal(decodeHealthResponse(Buffer.alloc(0)), 'UNKNOWN');
  assert.deepEqual(supportedDtypes().slice(0, 2), ['float32', 'float64']);
});

test('bad options and arguments fail locally with INVALID_ARGUMENT', async () => {
  for (const options of [{ timeoutMs: 0 }, { maxAttempts: 0 },
    { tls: { certificateChain: '-----BEGIN x' } }]) {
    assert.throws(() => new Client('127.0.0.1:1', options),
      (e) => e instanceof ActivationError && e.code === status.INVALID_ARGUMENT);
  }
  const client = new Client('127.0.0.1:1');
  await rejectsWith(client.compute('relu', [1], { mode: 'sideways' }),
    status.INVALID_ARGUMENT, /mode: 'sideways' is not one of forward/);
  await rejectsWith(client.compute('relu', new Uint16Array(2)),
    status.INVALID_ARGUMENT, /float16 or bfloat16/);
  if (!supportedDtypes().includes('bfloat16')) {
    await rejectsWith(client.compute('relu', new Uint16Array(2), { dtype: 'bfloat16' }),
      status.INVALID_ARGUMENT, /bfloat16 is not carried/);
  }
  client.close();
});

// --- Against a real server ------------------------------------------------------

test('compute, batch, stream, catalogue, health', needsServer, async (t) => {
  const server = await startServer();
  const client = new Client(server.address, { timeoutMs: 30000 });
  t.after(() => client.close());

  await t.test('types and shapes kept', async () => {
    const x32 = new Float32Array([-4, -1, 0, 1, 4, 8]);
    const y = await client.compute('sigmoid', x32, { shape: [2, 3] });
    assert.ok(y instanceof Float32Array);
    assertClose(y, [...x32].map(sigmoid), 4e-7, 'sigmoid f32');
    const y64 = await client.compute('sigmoid', new Float64Array([-1, 2]));
    assert.ok(y64 instanceof Float64Array);
    assertClose(y64, [sigmoid(-1), sigmoid(2)], 1e-15, 'sigmoid f64');
    const plain = await client.compute('relu', [-2, 3]);
    assert.ok(plain instanceof Float64Array);
    assert.deepEqual([...plain], [0, 3]);
    const empty = await client.compute('tanh', new Float32Array(0));
    assert.equal(empty.length, 0);
    // A view at an odd offset of a bigger buffer goes out and comes back right.
    const big = new Float64Array([9, 9, -1, 1, 9]);
    const view = big.subarray(2, 4);
    assert.deepEqual([...await client.compute('relu', view)], [0, 1]);
  });

  await t.test('modes, parameters, input kind, gradients', async () => {
    const x = new Float64Array([-2, -0.5, 0.5, 2]);
    const [f, df] = await client.compute('tanh', x, { mode: 'forward_and_derivative' });
    assertClose(f, [...x].map(Math.tanh), 1e-15, 'tanh');
    assertClose(df, [...x].map((v) => 1 - Math.tanh(v) ** 2), 1e-14, "tanh'");
    const fromY = await client.compute('sigmoid', [...x].map(sigmoid),
      { mode: 'derivative', inputKind: 'output' });
    assertClose(fromY, [...x].map((v) => sigmoid(v) * (1 - sigmoid(v))), 1e-15, "sigmoid'(y)");
    const back = await client.compute('leaky_relu', x,
      { mode: 'backward', grad: [1, 2, 3, 4], params: { negative_slope: 0.2 } });
    assertClose(back, [0.2, 0.4, 3, 4], 1e-15, 'backward');
  });

  await t.test('server errors carry code and message', async () => {
    await rejectsWith(client.compute('sigmod', [1]), status.INVALID_ARGUMENT, /unknown activation "sigmod"/);
    await rejectsWith(client.compute('softplus', [1], { params: { beta: 0 } }),
      status.INVALID_ARGUMENT, /params\.beta: softplus: beta=0 is outside \(0, inf\)/);
    await rejectsWith(client.compute('relu', [1], { mode: 'backward' }), status.INVALID_ARGUMENT, /grad/);
    await rejectsWith(client.compute('relu', [1, 2], { shape: [3] }), status.INVALID_ARGUMENT, /shape/);
    await rejectsWith(client.compute('gelu', new Float32Array(1 << 20), { timeoutMs: 1 }),
      status.DEADLINE_EXCEEDED);
    try {
      await client.compute('nope', [1]);
    } catch (e) {
      assert.match(e.message, /^INVALID_ARGUMENT: /);
      assert.equal(e.codeName, 'INVALID_ARGUMENT');
    }
  });

  await t.test('batch', async () => {
    const results = await client.batch([
      { function: 'relu', x: new Float32Array([-1, 1]), id: 'a' },
      { function: 'tanh', x: new Float64Array([0.5]), mode: 'both', id: 'b' },
    ]);
    assert.deepEqual(results.map((r) => r.id), ['a', 'b']);
    assert.ok(results[0].output instanceof Float32Array);
    assert.deepEqual([...results[0].output], [0, 1]);
    assert.ok(results[1].derivative instanceof Float64Array);
    assert.ok(results[1].maxUlpError > 0);
    await rejectsWith(client.batch([{ function: 'relu', x: [1] }, { function: 'nope', x: [1] }]),
      status.INVALID_ARGUMENT, /items\[1\]\.function/);
  });

  await t.test('stream: in order, an error item, an async generator source', async () => {
    async function* requests() {
      for (let i = 0; i < 20; i++) {
        yield { function: i === 7 ? 'no_such_function' : 'relu', x: new Float32Array([i - 10]), id: `r${i}` };
        await new Promise((r) => setImmediate(r));
      }
    }
    const results = [];
    for await (const result of client.stream(requests())) results.push(result);
    assert.deepEqual(results.map((r) => r.id), Array.from({ length: 20 }, (_, i) => `r${i}`));
    assert.equal(results[7].error.code, status.INVALID_ARGUMENT);
    assert.match(results[7].error.details, /no_such_function/);
    assert.deepEqual([...results[15].output], [5]);
    const fromArray = [];
    for await (const r of client.stream([{ function: 'relu', x: [2] }])) fromArray.push(r);
    assert.deepEqual([...fromArray[0].output], [2]);
    // Leaving early cancels the stream.
    for await (const r of client.stream(requests())) {
      assert.ok(r);
      break;
    }
  });

  await t.test('catalogue and health', async () => {
    const catalog = await client.listActivations();
    const leaky = catalog.activations.find((a) => a.name === 'leaky_relu');
    assert.equal(leaky.parameters[0].name, 'negative_slope');
    assert.equal(leaky.parameters[0].default, 0.01);
    assert.equal(leaky.parameters[0].validRange.minInclusive, true);
    assert.ok(leaky.derivativeFromOutput);
    assert.ok(catalog.simdTarget.length > 0);
    const sigmoid = catalog.activations.find((a) => a.name === 'sigmoid');
    assert.ok(sigmoid.ulpBoundsFloat32.forward > 0);
    assert.ok(sigmoid.ulpBoundsFloat32.derivativeFromOutput > 0);
    assert.equal(await client.health(), 'SERVING');
    assert.equal(await client.health('no.such.Service'), 'SERVICE_UNKNOWN');
  });
});

test('unavailable, retries and round robin', needsServer, async () => {
  const dead = `127.0.0.1:${await deadPort()}`;
  const unreachable = new Client(dead, { timeoutMs: 5000, maxAttempts: 1 });
  await rejectsWith(unreachable.compute('relu', [1]), status.UNAVAILABLE);
  unreachable.close();

  const a = await startServer();
  const b = await startServer();
  const withDead = new Client([dead, a.address], { timeoutMs: 30000 });
  for (let i = 0; i < 10; i++) assert.deepEqual([...await withDead.compute('relu', [1])], [1]);
  withDead.close();

  const both = new Client([a.address, b.address], { timeoutMs: 30000 });
  await both.compute('relu', [1]);
  await new Promise((r) => setTimeout(r, 1000)); // both subchannels connected
  for (let i = 0; i < 40; i++) await both.compute('relu', [1]);
  both.close();
  const served = [];
  for (const server of [a, b]) {
    assert.equal(await stop(server), 0);
    const line = server.lines.find((l) => /stopped after serving/.test(l));
    served.push(Number(/serving (\d+) RPCs/.exec(line)[1]));
  }
  // a: 10 calls from withDead and its share of both's 41; b: the rest.
  assert.equal(served[0] + served[1], 51, `${served}`);
  assert.ok(served[1] >= 15, `${served}`);
});

test('resource limits', needsServer, async () => {
  const small = await startServer('--max_elements=1000');
  const client = new Client(small.address);
  await rejectsWith(client.compute('relu', new Float32Array(1001)), status.RESOURCE_EXHAUSTED, /1001/);
  client.close();
});

function makeCerts() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actsvc-node-certs-'));
  const openssl = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other_ca']) {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', `/CN=test ${ca}`,
      '-keyout', `${ca}.key`, '-out', `${ca}.pem`);
  }
  fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  fs.writeFileSync(path.join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [['server', 'localhost'], ['client', 'test client']]) {
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`,
      '-keyout', `${name}.key`, '-out', `${name}.csr`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-CAcreateserial', '-days', '1', '-extfile', `${name}.ext`, '-out', `${name}.pem`);
  }
  return dir;
}

test('unix: sockets and mutual TLS', needsServer, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'actsvc-node-'));
  const server = await startServer(`--unix_socket=${dir}/a.sock`);
  assert.equal(server.unixAddress, `unix:${dir}/a.sock`, server.lines.join('\n'));
  assert.match(server.address, /^127\.0\.0\.1:\d+$/);
  const viaUnix = new Client(server.unixAddress);
  assert.deepEqual([...await viaUnix.compute('relu', [-1, 1])], [0, 1]);
  viaUnix.close();
  const viaUnix3 = new Client(`unix://${dir}/a.sock`);
  assert.equal(await viaUnix3.health(), 'SERVING');
  viaUnix3.close();

  const certs = makeCerts();
  const tlsServer = await startServer(`--tls_cert=${certs}/server.pem`,
    `--tls_key=${certs}/server.key`, `--tls_client_ca=${certs}/ca.pem`);
  const mtls = {
    rootCertificates: `${certs}/ca.pem`,
    certificateChain: fs.readFileSync(`${certs}/client.pem`),
    privateKey: `${certs}/client.key`,
  };
  const client = new Client(tlsServer.address, { tls: mtls });
  assert.deepEqual([...await client.compute('relu', [-1, 1])], [0, 1]);
  client.close();
  const named = new Client(tlsServer.address, { tls: { ...mtls, serverName: 'localhost' } });
  assert.equal(await named.health(), 'SERVING');
  named.close();
  for (const tls of [
    { rootCertificates: `${certs}/ca.pem` }, // no client certificate
    { ...mtls, rootCertificates: `${certs}/other_ca.pem` }, // untrusted server
  ]) {
    const bad = new Client(tlsServer.address, { tls, maxAttempts: 1, timeoutMs: 10000 });
    await rejectsWith(bad.compute('relu', [1]), status.UNAVAILABLE);
    bad.close();
  }
});

test('the packaged proto is the repository\'s', () => {
  const repoProto = path.join(__dirname, '..', '..', '..', 'proto', 'activation', 'v1', 'activation.proto');
  if (!fs.existsSync(repoProto)) return; // an installed copy: nothing to compare
  const packaged = path.join(__dirname, '..', 'proto', 'activation', 'v1', 'activation.proto');
  assert.equal(fs.readFileSync(packaged, 'utf8'), fs.readFileSync(repoProto, 'utf8'),
    'clients/node/proto is stale: cp proto/activation/v1/activation.proto clients/node/proto/activation/v1/');
});
