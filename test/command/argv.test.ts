/**
 * The argv builder and the call's bookkeeping, without the attack framing: one template element is one argv
 * entry whatever the value holds, literal prefixes keep options legal, absent optional parameters leave no
 * empty argument, secrets are redacted in the audit line (with the caller's subject) and metrics see each run.
 */
import { describe, expect, it } from 'vitest';
import { runCommand } from '../../runtime/command.js';
import { prepareCommand } from '../../runtime/command-argv.js';
import { ToolError, ToolFailure } from '../../runtime/errors.js';
import { definition, recordingLogger } from './helpers.js';

const never = new AbortController().signal;

describe('prepareCommand', () => {
  it('renders each element into exactly one entry, never split or expanded', () => {
    const def = definition('echo', ['a b', '{{x}}', 'pre-{{x}}-post', '{{n}}', '{{flag}}']);
    const p = prepareCommand(def, { x: 'one two\tthree *', n: 42, flag: true });
    expect(p.program).toBe('/usr/bin/echo');
    expect(p.args).toEqual(['a b', 'one two\tthree *', 'pre-one two\tthree *-post', '42', 'true']);
  });

  it('keeps options written in the spec, with a parameter as their value', () => {
    const def = definition('git', ['log', '--max-count={{n}}', '--author={{who}}']);
    expect(prepareCommand(def, { n: 5, who: '-x' }).args).toEqual(['log', '--max-count=5', '--author=-x']);
  });

  it('allows a leading dash only after a literal "--" or for option parameters', () => {
    const guarded = definition('echo', ['--', '{{x}}']);
    expect(prepareCommand(guarded, { x: '-n' }).args).toEqual(['--', '-n']);
    const opted = definition('echo', ['{{x}}'], { optionParameters: ['x'] });
    expect(prepareCommand(opted, { x: '-n' }).args).toEqual(['-n']);
    const bare = definition('echo', ['{{x}}']);
    expect(() => prepareCommand(bare, { x: '-n' })).toThrow(ToolError);
  });

  it('leaves out an element that is only an absent optional parameter', () => {
    const def = definition('ls', ['-l', '{{dir}}', 'x{{dir}}']);
    expect(prepareCommand(def, {}).args).toEqual(['-l', 'x']);
  });

  it('refuses objects and arrays as values', () => {
    const def = definition('echo', ['{{x}}']);
    expect(() => prepareCommand(def, { x: ['a', 'b'] })).toThrow(/string, number or boolean/);
    expect(() => prepareCommand(def, { x: { a: 1 } })).toThrow(/string, number or boolean/);
  });

  it('builds the environment from the allow-list only, PATH from the search path', () => {
    process.env.MCP_ARGV_TEST_KEEP = 'kept';
    process.env.MCP_ARGV_TEST_DROP = 'dropped';
    try {
      const def = definition('echo', [], {
        env: { pass: ['MCP_ARGV_TEST_KEEP', 'MCP_ARGV_TEST_UNSET'], set: { A: '1' } },
      });
      expect(prepareCommand(def, {}).env).toEqual({
        MCP_ARGV_TEST_KEEP: 'kept',
        A: '1',
        PATH: '/usr/bin:/bin',
      });
    } finally {
      delete process.env.MCP_ARGV_TEST_KEEP;
      delete process.env.MCP_ARGV_TEST_DROP;
    }
  });
});

describe('runCommand bookkeeping', () => {
  it('audits who ran what, with secrets redacted, and reports each run to the metrics', async () => {
    const log = recordingLogger();
    const seen: unknown[][] = [];
    const metrics = {
      observeCall: () => undefined,
      observeTrigger: () => undefined,
      observeCommand: (...a: unknown[]) => seen.push(a),
      render: async () => undefined,
    };
    const def = definition('printf', ['%s', '--token={{token}}', '{{user}}'], {
      secretParameters: ['token'],
      policy: { backend: 'native', runAs: { uid: 47310, gid: 47310 } },
    });
    const r = await runCommand(
      def,
      { token: 'tk-123', user: 'ada' },
      { log, signal: never, user: { subject: 'alice' } },
      metrics as never,
    );
    expect(r.stdout).toBe('--token=tk-123ada'); // printf reuses its format for each argument
    const line = log.lines.find((l) => l.msg === 'command')!;
    expect(line.fields).toMatchObject({
      subject: 'alice',
      tool: 'test_tool',
      backend: 'native',
      argv: ['/usr/bin/printf', '%s', '--token=[redacted]', 'ada'],
      exitCode: 0,
      outcome: 'ok',
      bytesOut: 17,
    });
    expect(JSON.stringify(log.lines)).not.toContain('tk-123');
    expect(seen).toEqual([['test_tool', 'native', 'ok', expect.any(Number), 17]]);

    await expect(
      runCommand(def, { token: 'tk-123', user: '-rf' }, { log, signal: never }, metrics as never),
    ).rejects.toThrow(ToolError);
    expect(log.lines.at(-1)).toMatchObject({ level: 'warn', msg: 'command refused' });
    expect(seen.at(-1)).toEqual(['test_tool', 'native', 'refused', 0, 0]);
  });

  it('a non-zero exit is a ToolFailure carrying the structured result', async () => {
    const def = definition('ls', ['/nonexistent-mcpf'], { policy: { runAs: { uid: 47310, gid: 47310 } } });
    const error = await runCommand(def, {}, { log: recordingLogger(), signal: never }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ToolFailure);
    expect((error as ToolFailure).structured).toMatchObject({
      exitCode: 2,
      truncated: false,
      timedOut: false,
    });
  });

  it('the call signal (client cancel) stops the run', async () => {
    const controller = new AbortController();
    const def = definition('sleep', ['30'], { policy: { runAs: { uid: 47310, gid: 47310 } } });
    const started = Date.now();
    const pending = runCommand(def, {}, { log: recordingLogger(), signal: controller.signal }).catch(
      (e: unknown) => e,
    );
    setTimeout(() => controller.abort(), 200);
    const error = await pending;
    expect(error).toBeInstanceOf(ToolFailure);
    expect((error as ToolFailure).structured).toMatchObject({ exitCode: null, signal: 'SIGKILL' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
