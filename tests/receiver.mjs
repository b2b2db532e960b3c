// A real HTTP receiver for webhook deliveries, on 127.0.0.1. Paths choose its behaviour:
// /ok/... answers 200; /flaky/... 503 twice per webhook-id, then 200; /down/... 503 until
// `recover()`; /gone/... 410; /redirect/... 302 to /ok/redirect/... on the same receiver.
import { createServer } from 'node:http';

export async function startReceiver() {
  const received = [];
  const tries = new Map();
  let down = true;
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body });
      const id = req.headers['webhook-id'];
      const n = (tries.get(id) ?? 0) + 1;
      tries.set(id, n);
      if (req.url.startsWith('/redirect')) return res.writeHead(302, { location: `/ok${req.url}` }).end();
      const status = req.url.startsWith('/flaky') ? (n <= 2 ? 503 : 200) : req.url.startsWith('/down') ? (down ? 503 : 200) : req.url.startsWith('/gone') ? 410 : 200;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    received,
    at: (prefix) => received.filter((r) => r.path.startsWith(prefix)),
    recover: () => (down = false),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Polls `check` until it returns something truthy, for at most `seconds`. */
export async function eventually(check, seconds = 20, what = 'condition') {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
