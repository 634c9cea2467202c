/* global process, fetch, AbortSignal -- run by node inside the images */
// The images' HEALTHCHECK: GET /health of the service named by the first argument on its configured port.
// Plain Node (the images have no curl); exits 0 when healthy, 1 otherwise, within 3 s.
const defaultPorts = { gateway: 8080, assistant: 8081, deployer: 8082, history: 8083, monitor: 8084 };
const service = process.argv[2] ?? '';
const port = process.env[`${service.toUpperCase()}_PORT`] ?? defaultPorts[service];
try {
  const res = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(3000) });
  process.exit(res.ok ? 0 : 1);
} catch {
  process.exit(1);
}
