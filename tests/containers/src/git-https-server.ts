import { spawn, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface GitHttpsServer {
  /** `https://127.0.0.1:<port>` */
  url: string;
  /** The server's self-signed certificate (PEM): what a client must trust. */
  certificateFile: string;
  /** A new repository `<name>.git` with these files committed on `branch`; resolves its commit. */
  addRepository(name: string, files: Record<string, string>, branch?: string): Promise<string>;
  requests: string[];
  stop(): Promise<void>;
}

const gitEnv = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: tmpdir(),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 't',
  GIT_AUTHOR_EMAIL: 't@example.com',
  GIT_COMMITTER_NAME: 't',
  GIT_COMMITTER_EMAIL: 't@example.com',
};

/**
 * git's smart HTTP over TLS on loopback: node's https server in front of git's own CGI, `git http-backend`
 * (so shallow clones work as against a real forge), with a self-signed certificate for 127.0.0.1 made by
 * openssl. Loopback only; the tests' clients trust the certificate file explicitly.
 */
export async function startGitHttpsServer(): Promise<GitHttpsServer> {
  const root = await mkdtemp(path.join(tmpdir(), 'ashapp-git-https-'));
  const key = path.join(root, 'key.pem');
  const certificateFile = path.join(root, 'cert.pem');
  await exec(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      key,
      '-out',
      certificateFile,
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
    ],
    { env: gitEnv },
  );
  const repos = path.join(root, 'repos');
  const requests: string[] = [];
  const server: Server = createServer(
    { key: await readFile(key), cert: await readFile(certificateFile) },
    (req, res) => {
      const url = new URL(req.url ?? '/', 'https://127.0.0.1');
      requests.push(`${req.method ?? 'GET'} ${url.pathname}`);
      const header = (name: string) => {
        const value = req.headers[name];
        return Array.isArray(value) ? value.join(', ') : (value ?? '');
      };
      const child = spawn('git', ['http-backend'], {
        env: {
          ...gitEnv,
          GIT_PROJECT_ROOT: repos,
          GIT_HTTP_EXPORT_ALL: '1',
          REQUEST_METHOD: req.method ?? 'GET',
          PATH_INFO: decodeURIComponent(url.pathname),
          QUERY_STRING: url.search.replace(/^\?/, ''),
          CONTENT_TYPE: header('content-type'),
          HTTP_CONTENT_ENCODING: header('content-encoding'),
          GIT_PROTOCOL: header('git-protocol'),
          REMOTE_ADDR: req.socket.remoteAddress ?? '',
        },
        stdio: ['pipe', 'pipe', 'ignore'],
      });
      req.pipe(child.stdin);
      // CGI: headers up to a blank line (`Status:` gives the code), then the body.
      let head = Buffer.alloc(0);
      let headersDone = false;
      child.stdout.on('data', (chunk: Buffer) => {
        if (headersDone) {
          res.write(chunk);
          return;
        }
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        headersDone = true;
        let status = 200;
        for (const line of head.subarray(0, end).toString('latin1').split('\r\n')) {
          const colon = line.indexOf(':');
          const name = line.slice(0, colon).trim();
          const value = line.slice(colon + 1).trim();
          if (name.toLowerCase() === 'status') status = Number(value.split(' ')[0]) || 200;
          else if (name) res.setHeader(name, value);
        }
        res.writeHead(status);
        res.write(head.subarray(end + 4));
      });
      child.once('close', () => {
        if (!headersDone) res.writeHead(500);
        res.end();
      });
      child.once('error', () => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://127.0.0.1:${port}`,
    certificateFile,
    requests,
    async addRepository(name, files, branch = 'main') {
      const work = path.join(root, 'work', name);
      await exec('git', ['init', '-q', '-b', branch, work], { env: gitEnv });
      for (const [file, content] of Object.entries(files)) await writeFile(path.join(work, file), content);
      await exec('git', ['-C', work, 'add', '-A'], { env: gitEnv });
      await exec('git', ['-C', work, 'commit', '-q', '-m', 'app'], { env: gitEnv });
      await exec('git', ['clone', '-q', '--bare', work, path.join(repos, `${name}.git`)], { env: gitEnv });
      return (await exec('git', ['-C', work, 'rev-parse', 'HEAD'], { env: gitEnv })).stdout.trim();
    },
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(root, { recursive: true, force: true });
    },
  };
}
