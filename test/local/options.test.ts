import { resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseLocalOptions } from '../../src/local/options.js';

/** `npm start` options: defaults, flags, their environment variables (flags win), and bad values. */
describe('local mode options', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
  });
  const clean = () => {
    for (const name of [
      'INFRAKIT_PORT',
      'INFRAKIT_DATA_DIR',
      'INFRAKIT_SWEEP_INTERVAL',
      'INFRAKIT_EC2_ENDPOINT',
      'INFRAKIT_DYNAMODB_ENDPOINT',
      'INFRAKIT_TABLE',
      'INFRAKIT_EXAMPLES',
      'INFRAKIT_PLUGIN_WATCH_INTERVAL',
      'INFRAKIT_PLUGINS_DIR',
      'INFRAKIT_SOCKET',
    ])
      vi.stubEnv(name, undefined);
  };

  it('has the documented defaults, always on loopback', () => {
    clean();
    expect(parseLocalOptions([], '/work/x', {})).toEqual({
      host: '127.0.0.1',
      port: 8787,
      dataDir: resolve('/work/x', '.infrakit'),
      sweepIntervalSeconds: 5,
      examples: true,
      tableName: 'infrakit',
      pluginWatchIntervalSeconds: 3,
    });
  });

  it('reads every option from its environment variable, and a flag wins over it', () => {
    clean();
    vi.stubEnv('INFRAKIT_PORT', '9000');
    vi.stubEnv('INFRAKIT_DATA_DIR', 'data');
    vi.stubEnv('INFRAKIT_SWEEP_INTERVAL', '2.5');
    vi.stubEnv('INFRAKIT_EC2_ENDPOINT', 'http://127.0.0.1:5000/');
    vi.stubEnv('INFRAKIT_DYNAMODB_ENDPOINT', 'http://127.0.0.1:4567');
    vi.stubEnv('INFRAKIT_TABLE', 'ik');
    vi.stubEnv('INFRAKIT_PLUGIN_WATCH_INTERVAL', '0.5');
    const env = { INFRAKIT_EXAMPLES: 'false' };
    expect(parseLocalOptions([], '/w', env)).toEqual({
      host: '127.0.0.1',
      port: 9000,
      dataDir: '/w/data',
      sweepIntervalSeconds: 2.5,
      ec2Endpoint: 'http://127.0.0.1:5000',
      dynamodbEndpoint: 'http://127.0.0.1:4567',
      examples: false,
      tableName: 'ik',
      pluginWatchIntervalSeconds: 0.5,
    });
    const flags = parseLocalOptions(['--port', '9100', '--table', 't2', '--sweep-interval', '1'], '/w', env);
    expect(flags).toMatchObject({ port: 9100, tableName: 't2', sweepIntervalSeconds: 1 });
  });

  it('turns the examples off by flag or by INFRAKIT_EXAMPLES, and refuses a value it cannot read', () => {
    clean();
    expect(parseLocalOptions(['--no-examples'], '/w', {}).examples).toBe(false);
    expect(parseLocalOptions(['--no-examples'], '/w', { INFRAKIT_EXAMPLES: 'true' }).examples).toBe(false);
    for (const off of ['false', '0', 'no', 'OFF']) {
      expect(parseLocalOptions([], '/w', { INFRAKIT_EXAMPLES: off }).examples, off).toBe(false);
    }
    for (const on of ['true', '1', 'yes', '']) {
      expect(parseLocalOptions([], '/w', { INFRAKIT_EXAMPLES: on }).examples, on).toBe(true);
    }
    expect(() => parseLocalOptions([], '/w', { INFRAKIT_EXAMPLES: 'maybe' })).toThrow(
      /INFRAKIT_EXAMPLES must be true or false/,
    );
  });

  it('refuses bad values with a usage error', () => {
    clean();
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      for (const argv of [
        ['--port', '70000'],
        ['--sweep-interval', '0'],
        ['--plugin-watch-interval', 'soon'],
        ['--ec2-endpoint', 'ftp://x'],
        ['--dynamodb-endpoint', 'not a url'],
        ['--unknown'],
      ]) {
        expect(() => parseLocalOptions(argv, '/w', {}), argv.join(' ')).toThrow();
      }
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/must be a port number/);
    } finally {
      stderr.mockRestore();
      exit.mockRestore();
    }
  });

  it('serves the InfraKit group socket only when asked: the flag alone names it group, INFRAKIT_SOCKET too', () => {
    clean();
    expect(parseLocalOptions(['--plugins-dir', 'p'], '/w', {})).not.toHaveProperty('infrakitSocket');
    expect(parseLocalOptions(['--plugins-dir', 'p', '--infrakit-socket'], '/w', {})).toMatchObject({
      pluginsDir: '/w/p',
      infrakitSocket: 'group',
    });
    expect(
      parseLocalOptions(['--plugins-dir', 'p', '--infrakit-socket', 'ours'], '/w', {}).infrakitSocket,
    ).toBe('ours');
    vi.stubEnv('INFRAKIT_SOCKET', 'from-env');
    expect(parseLocalOptions(['--plugins-dir', 'p'], '/w', {}).infrakitSocket).toBe('from-env');
    expect(
      parseLocalOptions(['--plugins-dir', 'p', '--infrakit-socket', 'flag'], '/w', {}).infrakitSocket,
    ).toBe('flag');
  });

  it('refuses a group socket without a plugins folder, or with a name InfraKit could not address', () => {
    clean();
    expect(() => parseLocalOptions(['--infrakit-socket'], '/w', {})).toThrow(/needs --plugins-dir/);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const exit = vi.spyOn(process, 'exit').mockImplementation((code) => {
      throw new Error(`exit ${code}`);
    });
    try {
      for (const name of ['a/b', '../up', 'group.pid', '-x', 'x'.repeat(65)]) {
        expect(
          () => parseLocalOptions(['--plugins-dir', 'p', '--infrakit-socket', name], '/w', {}),
          name,
        ).toThrow();
      }
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/must be a plugin name/);
    } finally {
      stderr.mockRestore();
      exit.mockRestore();
    }
  });
});
