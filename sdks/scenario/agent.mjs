// Runs a language's agent (sdks/<language>/scenario/agent.*) as a child process and talks to it in
// JSON lines: `{id, op, key, …}` in, `{id, ok}` or `{id, error: {type, code, status, retry_after}}` out.

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Upper bound for one command (a 429 retry waits a second or two). */
const COMMAND_MS = 20000;

/** Starts `[cmd, args, cwd]` with `env`; returns `{call(op, fields), stop()}`. */
export function startAgent([cmd, args, cwd], env) {
  const child = spawn(cmd, args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  const pending = new Map();
  let nextId = 1;
  createInterface({ input: child.stdout }).on('line', (line) => {
    const answer = JSON.parse(line);
    pending.get(answer.id)?.(answer);
  });
  let exitCode = null;
  const exited = new Promise((res) => child.once('exit', (code) => res((exitCode = code ?? 'a signal'))));
  const crashed = () => ({ crashed: `agent exited with ${exitCode}\n${stderr}` });
  exited.then(() => {
    for (const settle of pending.values()) settle(crashed());
  });

  /** Sends one command; resolves with `ok`, rejects with the SDK's error (its fields on the Error). */
  function call(op, fields = {}) {
    const id = nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => settle({ crashed: `no answer to ${op} within ${COMMAND_MS} ms\n${stderr}` }), COMMAND_MS);
      const settle = (answer) => {
        clearTimeout(timer);
        pending.delete(id);
        if (answer.crashed) reject(new Error(answer.crashed));
        else if (answer.error) reject(Object.assign(new Error(`${op}: ${JSON.stringify(answer.error)}`), answer.error));
        else resolve(answer.ok);
      };
      if (exitCode !== null) return settle(crashed());
      pending.set(id, settle);
      child.stdin.write(`${JSON.stringify({ id, op, ...fields })}\n`);
    });
  }

  async function stop() {
    child.stdin.end();
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
  }

  return { call, stop };
}

/** Runs a program to completion; resolves with its output, rejects with it on a non-zero exit. */
export function runToEnd([cmd, args, cwd], env) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited with ${code}:\n${out}`))));
  });
}
