// How the scenario reaches each SDK: install it the way its users would (npm, pip, composer, go,
// cargo) into a scratch directory, and return the two commands the scenario runs — the docs' example
// file (sdks/<language>/examples/docs.*) and the SDK's agent, which performs commands sent as JSON lines.

import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const sdk = (...parts) => join(ROOT, 'sdks', ...parts);

function run(cmd, args, options = {}) {
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], ...options });
}

/** The events each docs example publishes: [channel, event, the data's fields to compare]. */
const FULL_EXAMPLE = [
  ['chat-room-1', 'new-message', { user: 'Alice', message: 'Hello!' }],
  ['channel-1', 'broadcast', { announcement: 'Server maintenance in 5 minutes' }],
  ['channel-2', 'broadcast', { announcement: 'Server maintenance in 5 minutes' }],
  ['user-123', 'notification', { type: 'message' }],
  ['user-456', 'notification', { type: 'mention' }],
];

/** Per language: its README, the example file, the events it publishes, and `prepare(scratch)` → commands. */
export const SDKS = {
  node: {
    readme: sdk('node', 'README.md'),
    example: sdk('node', 'examples', 'docs.js'),
    publishes: FULL_EXAMPLE,
    prepare(scratch) {
      const app = join(scratch, 'node-app');
      mkdirSync(app, { recursive: true });
      writeFileSync(join(app, 'package.json'), '{"name": "sdk-user", "private": true}\n');
      run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--offline', sdk('node')], { cwd: app });
      copyFileSync(sdk('node', 'examples', 'docs.js'), join(app, 'docs.js'));
      copyFileSync(sdk('node', 'scenario', 'agent.js'), join(app, 'agent.js'));
      return { example: ['node', ['docs.js'], app], agent: ['node', ['agent.js'], app] };
    },
  },
  python: {
    readme: sdk('python', 'README.md'),
    example: sdk('python', 'examples', 'docs.py'),
    publishes: FULL_EXAMPLE.slice(0, 3),
    prepare() {
      // scripts/test-sdks.sh installs the package into this interpreter's environment.
      const python = process.env.LATTESTREAM_SDK_PYTHON ?? join(ROOT, '.venv', 'bin', 'python');
      return {
        example: [python, [sdk('python', 'examples', 'docs.py')], ROOT],
        agent: [python, [sdk('python', 'scenario', 'agent.py')], ROOT],
      };
    },
  },
  php: {
    readme: sdk('php', 'README.md'),
    example: sdk('php', 'examples', 'docs.php'),
    publishes: FULL_EXAMPLE.slice(0, 1),
    prepare(scratch) {
      const app = join(scratch, 'php-app');
      mkdirSync(app, { recursive: true });
      const composer = {
        require: { 'lattestream/lattestream-php': '*@dev' },
        repositories: [{ type: 'path', url: sdk('php'), options: { symlink: true } }, { 'packagist.org': false }],
      };
      writeFileSync(join(app, 'composer.json'), JSON.stringify(composer, null, 2));
      const env = { ...process.env, COMPOSER_HOME: join(scratch, 'composer-home'), COMPOSER_NO_INTERACTION: '1' };
      run('composer', ['install', '--quiet', '--no-progress'], { cwd: app, env });
      copyFileSync(sdk('php', 'examples', 'docs.php'), join(app, 'docs.php'));
      copyFileSync(sdk('php', 'scenario', 'agent.php'), join(app, 'agent.php'));
      return { example: ['php', ['docs.php'], app], agent: ['php', ['agent.php'], app] };
    },
  },
  go: {
    readme: sdk('go', 'README.md'),
    example: sdk('go', 'examples', 'docs', 'main.go'),
    publishes: FULL_EXAMPLE,
    prepare(scratch) {
      const bin = join(scratch, 'go-bin');
      const env = { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off' };
      run('go', ['build', '-o', join(bin, 'docs'), './examples/docs'], { cwd: sdk('go'), env });
      run('go', ['build', '-o', join(bin, 'agent'), './scenario'], { cwd: sdk('go'), env });
      return { example: [join(bin, 'docs'), [], ROOT], agent: [join(bin, 'agent'), [], ROOT] };
    },
  },
  rust: {
    readme: sdk('rust', 'README.md'),
    example: sdk('rust', 'examples', 'docs.rs'),
    publishes: FULL_EXAMPLE,
    prepare() {
      run('cargo', ['build', '--quiet', '-p', 'lattestream-sdk', '--examples'], { cwd: ROOT });
      const examples = join(process.env.CARGO_TARGET_DIR ?? join(ROOT, 'target'), 'debug', 'examples');
      return { example: [join(examples, 'docs'), [], ROOT], agent: [join(examples, 'scenario_agent'), [], ROOT] };
    },
  },
};
