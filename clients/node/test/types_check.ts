// Compiled (not run) by `npm run typecheck`: the declarations describe the
// API as the tests use it, and misuse fails to compile.
import { ActivationError, Client, Request, Result, supportedDtypes } from '..';

async function usage(): Promise<void> {
  const client = new Client(['127.0.0.1:1', '127.0.0.1:2'], {
    tls: { rootCertificates: 'ca.pem', serverName: 'localhost' }, timeoutMs: 5000,
  });
  const y: Float32Array = await client.compute('gelu', new Float32Array([1, 2]));
  const [f, df]: [Float64Array, Float64Array] = await client.compute(
    'tanh', new Float64Array([1]), { mode: 'both' });
  const g: Float64Array = await client.compute('relu', [1, 2], {
    mode: 'backward', grad: [1, 1], params: { negative_slope: 0.1 }, timeoutMs: 100,
  });
  const requests: Request[] = [{ function: 'relu', x: new Float32Array(4), shape: [2, 2], id: 'a' }];
  const results: Result[] = await client.batch(requests);
  for await (const r of client.stream(requests)) {
    if (r.error) console.log(r.error.codeName, r.error.details);
  }
  const catalog = await client.listActivations();
  const slope: number = catalog.activations[0].parameters[0].validRange.min;
  const status: 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN' = await client.health();
  const dtypes: string[] = supportedDtypes();
  try {
    await client.compute('nope', new Float32Array(1));
  } catch (e) {
    if (e instanceof ActivationError) console.log(e.code, e.details);
  }
  // @ts-expect-error: a float32 input gives a Float32Array, not a Float64Array.
  const wrong: Float64Array = await client.compute('relu', new Float32Array(1));
  // @ts-expect-error: no such mode.
  await client.compute('relu', [1], { mode: 'sideways' });
  console.log(y, f, df, g, results, slope, status, dtypes, wrong);
  client.close();
}
void usage;
