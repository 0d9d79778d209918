import { describe, it, expect } from '@jest/globals'
import { InputError } from '../../../src/context.js'
import { parseRunArgs } from '../../../src/inputs/run-args.js'

// What each accepted line becomes: every option rewritten as --name[=value].
const accepted: [string, string[]][] = [
  ['--env=A=1', ['--env=A=1']],
  ['--env A=1', ['--env=A=1']],
  ['-e A=1', ['--env=A=1']],
  ['-eA=1', ['--env=A=1']],
  ['-e=A=1', ['--env=A=1']],
  ['-e "A=two words"', ['--env=A=two words']],
  ['--env=A=', ['--env=A=']],
  ['--user 1000', ['--user=1000']],
  ['-u 1000:1000', ['--user=1000:1000']],
  ['-u1000', ['--user=1000']],
  ['-it', ['--interactive', '--tty']],
  ['-itu 1000', ['--interactive', '--tty', '--user=1000']],
  ['-tu1000', ['--tty', '--user=1000']],
  ['--read-only', ['--read-only']],
  ['--read-only=false', []],
  ['--init=true', ['--init']],
  ['--tmpfs /tmp:size=64m,noexec', ['--tmpfs=/tmp:size=64m,noexec']],
  ['--workdir=/app', ['--workdir=/app']],
  ['-w /srv', ['--workdir=/srv']],
  ['--cap-drop ALL', ['--cap-drop=ALL']],
  ['--memory 1g', ['--memory=1g']],
  ['-m 256m', ['--memory=256m']],
  ['--cpus 0.5', ['--cpus=0.5']],
  ['--pids-limit=64', ['--pids-limit=64']],
  ['--ulimit nofile=1024:2048', ['--ulimit=nofile=1024:2048']],
  ['--sysctl net.ipv4.ip_forward=1', ['--sysctl=net.ipv4.ip_forward=1']],
  ['--sysctl kernel.shmmax=1000000', ['--sysctl=kernel.shmmax=1000000']],
  ['-h app.local', ['--hostname=app.local']],
  ['--add-host db:10.0.0.2', ['--add-host=db:10.0.0.2']],
  ['--label team=core', ['--label=team=core']],
  ['--stop-signal SIGINT', ['--stop-signal=SIGINT']],
  ['--stop-timeout 5', ['--stop-timeout=5']],
  ['--shm-size=128m', ['--shm-size=128m']],
  ['--health-cmd "curl -f localhost"', ['--health-cmd=curl -f localhost']],
  ['--no-healthcheck', ['--no-healthcheck']],
  ['--env A=1 --user 1000', ['--env=A=1', '--user=1000']],
  // A value that looks like an option is a value, as the docker CLI reads it, and stays one.
  ['--health-cmd -v', ['--health-cmd=-v']],
  ['# a comment', []]
]

// Hostile and careless lines, and the option (or reason) the refusal must name.
const refused: [string, RegExp][] = [
  ['-tv /:/host', /-v \(in -tv\) is not an option/],
  ['-itv/:/host', /-v \(in -itv\/:\/host\) is not an option/],
  ['-v /:/host', /-v is not an option/],
  ['--volume=/:/host', /--volume is not an option/],
  ['--volume /var/run/docker.sock:/var/run/docker.sock', /--volume is not an option/],
  ['--mount type=bind,src=/,dst=/host', /--mount is not an option/],
  ['--privileged', /--privileged is not an option/],
  ['--privileged=true', /--privileged is not an option/],
  ['--cap-add=SYS_ADMIN', /--cap-add is not an option/],
  ['--device /dev/kvm', /--device is not an option/],
  ['--security-opt seccomp=unconfined', /--security-opt is not an option/],
  ['--pid=host', /--pid is not an option/],
  ['--ipc host', /--ipc is not an option/],
  ['--uts=host', /--uts is not an option/],
  ['--userns=host', /--userns is not an option/],
  ['--cgroupns host', /--cgroupns is not an option/],
  ['--network host', /--network is not an option.*smoke-network/],
  ['--net=host', /--net is not an option/],
  ['--volumes-from other', /--volumes-from is not an option/],
  ['-p 80:80', /-p is not an option/],
  ['--publish-all', /--publish-all is not an option/],
  ['--runtime=runc', /--runtime is not an option/],
  ['--gpus all', /--gpus is not an option/],
  ['--entrypoint /bin/sh', /--entrypoint is not an option/],
  ['--rm', /--rm is not an option/],
  ['--name other', /--name is not an option/],
  ['-d', /-d is not an option/],
  ['--platform linux/arm64', /--platform is not an option/],
  ['--log-driver none', /--log-driver is not an option/],
  ['--env-file /etc/shadow', /--env-file is not an option/],
  ['--env AWS_SECRET_ACCESS_KEY', /KEY=VALUE \(a bare KEY would copy/],
  ['-e PATH', /KEY=VALUE/],
  ['--env -v /:/host', /KEY=VALUE/],
  ['--user', /--user needs a value/],
  ['-u', /-u \(--user\) needs a value/],
  ['--user "root; rm -rf /"', /user\[:group\]/],
  ['--workdir relative', /absolute path/],
  ['--pids-limit -1', /from 1 to 65536/],
  ['--pids-limit=0', /from 1 to 65536/],
  ['--memory 0', /greater than zero/],
  ['--sysctl kernel.core_pattern=|/tmp/x', /own namespaces/],
  ['--sysctl=vm.overcommit_memory=1', /own namespaces/],
  ['--label org.smokestack.role=start-check', /outside org\.smokestack/],
  ['--read-only=maybe', /is a switch/],
  ['rm -rf /', /"rm" is not an option/],
  ['alpine sh', /"alpine" is not an option/],
  ['-- -v /:/host', /"--" is not an option/],
  ['-', /"-" is not an option/],
  ['--env "A=1', /close every quote/]
]

describe('smoke-run-args: the allow-list, read like the docker command line', () => {
  it.each(accepted)('%s', (line, args) => {
    expect(parseRunArgs('smoke-run-args', line)).toEqual(args)
  })

  it.each(refused)('refuses %s', (line, why) => {
    let error: unknown
    try {
      parseRunArgs('smoke-run-args', line)
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InputError)
    expect((error as InputError).input).toBe('smoke-run-args')
    expect((error as Error).message).toContain('Input "smoke-run-args"')
    expect((error as Error).message).toContain(JSON.stringify(line))
    expect((error as Error).message).toMatch(why)
  })

  it('lists what is accepted when it refuses an option', () => {
    expect(() => parseRunArgs('smoke-run-args', '--privileged')).toThrow(/accepted: --env\/-e, --user\/-u, .*--tmpfs, --read-only, /)
  })

  it('takes one or more options per line, lines in order', () => {
    expect(parseRunArgs('smoke-run-args', '--env=A=1\n\n  -u 1000 --read-only  \n--tmpfs /tmp')).toEqual([
      '--env=A=1',
      '--user=1000',
      '--read-only',
      '--tmpfs=/tmp'
    ])
  })

  it('has at least 30 hostile or careless lines and 30 ordinary ones', () => {
    expect(refused.length).toBeGreaterThanOrEqual(30)
    expect(accepted.length).toBeGreaterThanOrEqual(30)
  })
})
