import { describe, expect, it } from '@jest/globals'
import { analyzeStart } from '../../../src/verify/linkage.js'
import { createMemoryImageFs, type MemoryEntry } from '../../../src/verify/rootfs.js'
import { shellCommand, shellScript } from '../../../src/verify/shell-command.js'

const ENV: Record<string, string> = { APP_BIN: '/usr/local/bin/app', APP_HOME: '/opt/app', SPACED: 'a b', EMPTY: '' }
const env = (name: string): string | undefined => ENV[name]

/** Entrypoint one-liners as people write them, and the program each provably starts (null: unknown). */
const TABLE: Array<[string, string | null]> = [
  ['exec /app/server --port 8080', '/app/server'],
  ['/app/server', '/app/server'],
  ['x=$(echo hi | tr h H); echo $x', null],
  ['PATH=/opt/x/bin:$PATH; myapp', null],
  ['PATH=/opt/x/bin:$PATH myapp', null],
  ['cd /app && ./run', null],
  ['FOO=1 ./run.sh a', './run.sh'],
  ['FOO="a b" BAR=$APP_HOME exec gunicorn -b 0.0.0.0:8000 app:app', 'gunicorn'],
  ['exec java $JAVA_OPTS -jar /app/app.jar', 'java'],
  ['echo starting; exec /app', null],
  ["/docker-entrypoint.sh nginx -g 'daemon off;'", '/docker-entrypoint.sh'],
  ['nginx -g "daemon off;"', 'nginx'],
  ['exec "$@"', null],
  ['$APP_BIN --serve', '/usr/local/bin/app'],
  ['"$APP_HOME/bin/app" run', '/opt/app/bin/app'],
  ['$UNSET_BIN --serve', null],
  ['$SPACED', null],
  ['$EMPTY app', null],
  ['exec ${APP:-/app}', null],
  ['python -m http.server 8000', 'python'],
  ['node server.js > /var/log/app.log 2>&1', null],
  ['while true; do date; sleep 1; done', null],
  ['if [ -f /app/config ]; then exec /app/server; fi', null],
  ["trap 'exit 0' TERM; sleep infinity & wait", null],
  ['sleep infinity', 'sleep'],
  ['echo hello', null],
  ['exec echo hello', 'echo'],
  ['npm start', 'npm'],
  ['exec su-exec app:app /app/run', 'su-exec'],
  ['./bin/start --foreground', './bin/start'],
  ['`which app`', null],
  ['/app/server --config=/etc/app/*.conf', '/app/server'],
  ['/app/*/server', null],
  ['~/bin/app', null],
  ['cat /etc/motd | less', null],
  ['exec -a name /app', null],
  ['"/opt/my app/bin/run" --x', '/opt/my app/bin/run'],
  ["'$HOME/app'", '$HOME/app'],
  ['set -e; exec /app', null],
  ['. /etc/profile; app', null],
  ['exec 2>&1 /app', null],
  ['# just a comment', null],
  ['/app # and a comment', '/app'],
  ['sh /app/start.sh', 'sh'],
  ['/app/server --name="my server"', '/app/server'],
  ['/app/server\n/app/other', null],
  ['"unterminated', null],
  ['\\/app', null],
  ['exec', null],
  ['LANG=C.UTF-8 exec /app', '/app'],
  ['"FOO=1" app', 'FOO=1'],
  ['{ /app; }', null],
  ['[ -x /app ] && /app', null]
]

describe('the program a sh -c script starts', () => {
  for (const [script, program] of TABLE) {
    it(`${JSON.stringify(script)} → ${program ?? 'unknown'}`, () => {
      const r = shellCommand(script, env)
      expect(r.kind === 'simple' ? r.program : null).toBe(program)
    })
  }
  it('says why it does not know', () => {
    expect(shellCommand('x=$(echo hi | tr h H); echo $x', env)).toEqual({ kind: 'unknown', reason: 'a command substitution `$(…)`' })
    expect(shellCommand('PATH=/opt/x/bin:$PATH myapp', env)).toEqual({ kind: 'unknown', reason: 'it changes PATH' })
    expect(shellCommand('$UNSET_BIN', env)).toEqual({ kind: 'unknown', reason: '$UNSET_BIN is not set in the image' })
  })
  it('is bounded', () => {
    expect(shellCommand(`/app ${'x '.repeat(10_000)}`, env)).toMatchObject({ kind: 'unknown' })
  })
})

describe('the script of a shell argument vector', () => {
  it('reads -c and option clusters, and refuses login and interactive shells', () => {
    expect(shellScript(['sh', '-c', 'a'])).toBe('a')
    expect(shellScript(['sh', '-ec', 'a'])).toBe('a')
    expect(shellScript(['bash', '-e', '-o', 'pipefail', '-c', 'a'])).toBe('a')
    expect(shellScript(['bash', '-lc', 'a'])).toBeUndefined()
    expect(shellScript(['sh', '/start.sh'])).toBeUndefined()
    expect(shellScript(['sh', '-c'])).toBeUndefined()
  })
})

describe('the doctor on shell-form entrypoints', () => {
  const image = (cmd: string[], files: MemoryEntry[] = []) =>
    analyzeStart(
      createMemoryImageFs({ entrypoint: cmd, env: ['PATH=/usr/local/bin:/usr/bin:/bin'] }, [[{ path: '/bin/sh', content: Buffer.from('\x7fELF') }, ...files]]),
      'linux/amd64'
    ).findings.filter((f) => f.code === 'entrypoint-missing')
  it('claims no missing program for scripts that start and exit 0 (issue examples)', () => {
    expect(image(['sh', '-c', 'x=$(echo hi | tr h H); echo $x'])).toEqual([])
    expect(image(['sh', '-c', 'PATH=/opt/x/bin:$PATH; myapp'])).toEqual([])
  })
  it('still names a missing program of a simple command', () => {
    const [f] = image(['sh', '-c', 'exec myapp --serve'])
    expect(f?.message).toBe("The command run by the shell form cannot be found: `myapp` is not in any directory of the image's PATH.")
  })
})
