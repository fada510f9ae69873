import {execFile} from 'node:child_process'
import {
  chmodSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'

import type {Host} from '../host/host.js'
import {type NginxDirective, walkNginx} from '../parsers/nginx-conf.js'
import {makeScratchDir, removeScratchDir} from './scratch.js'

/** Where Debian installs nginx. */
export const NGINX_BINARIES = ['/usr/sbin/nginx']

/** The installed nginx, or undefined. */
export function nginxBinary(): string | undefined {
  return NGINX_BINARIES.find((b) => existsSync(b))
}

/** Directives whose file `nginx -t` opens (certificates and keys are loaded when it checks). */
const FILE_DIRECTIVES = new Set([
  'ssl_certificate',
  'ssl_certificate_key',
  'ssl_trusted_certificate',
  'ssl_client_certificate',
  'ssl_dhparam',
  'ssl_crl',
  'ssl_password_file',
  'ssl_stapling_file',
  'ssl_session_ticket_key',
  'proxy_ssl_certificate',
  'proxy_ssl_certificate_key',
  'proxy_ssl_trusted_certificate',
])

/** The directories of this machine a chroot needs to run its nginx: programs and libraries. */
const SYSTEM_DIRS = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']

/** The unprivileged user nginx -t runs as (Debian's nobody:nogroup). */
export const NGINX_TEST_USER = 65_534

/**
 * The argv of `nginx -t` over a jail (a scratch root): in a mount and a network namespace of its
 * own, this machine's /usr (and /lib..., unless they are symlinks into /usr) and /dev are bound
 * read-only into the jail, which holds the root's configuration at its host paths, and nginx checks
 * it from a chroot there as nobody. So every path it opens (includes, certificates, the logs and
 * temp directories it creates) is the jail's, never this machine's /etc/nginx; the sockets `-t`
 * binds are in an empty network namespace (any port, any address: its listen lines are checked, not
 * this machine's addresses); and nothing in the configuration (a module, perl_require) runs as
 * root or outside the chroot. `-t` starts no server.
 */
export function nginxTestArgv(binary: string, jail: string, binds: readonly string[]): [string, string[]] {
  const script = [
    'set -e',
    'root=$1; binary=$2; shift 2',
    'echo 0 > /proc/sys/net/ipv4/ip_unprivileged_port_start',
    'echo 1 > /proc/sys/net/ipv4/ip_nonlocal_bind',
    'if [ -e /proc/sys/net/ipv6/ip_nonlocal_bind ]; then echo 1 > /proc/sys/net/ipv6/ip_nonlocal_bind; fi',
    'for dir in "$@"; do mount --bind -o ro "/$dir" "$root/$dir"; done',
    `exec chroot --userspec=${NGINX_TEST_USER}:${NGINX_TEST_USER} "$root" "$binary" -t -c /etc/nginx/nginx.conf`,
  ].join('\n')
  return [
    'unshare',
    ['--mount', '--net', '--propagation', 'private', '--', 'sh', '-c', script, 'sh', jail, binary, ...binds],
  ]
}

/** One message of `nginx -t`: `nginx: [emerg] MESSAGE in FILE:LINE` (the location when it has one). */
export interface NginxMessage {
  level: string
  message: string
  file?: string
  line?: number
}

/**
 * The [emerg], [alert] and [crit] lines of nginx's output; [warn] and the summary lines are not
 * errors. Before it opens its error log nginx writes `nginx: [emerg] ...`, after it the log's own
 * `2026/12/07 18:55:29 [emerg] 123#123: ...`.
 */
export function parseNginxTest(output: string): NginxMessage[] {
  const out: NginxMessage[] = []
  for (const raw of output.split('\n')) {
    const m =
      /^(?:nginx: |\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d )\[(emerg|alert|crit)\] (?:\d+#\d+: )?(.*?)(?: in (\/\S*):(\d+))?$/.exec(
        raw.trim(),
      )
    if (!m) continue
    const [, level = '', message = '', file, line] = m
    out.push({level, message, ...(file === undefined ? {} : {file, line: Number(line)})})
  }
  return out
}

export type NginxTest =
  | {ran: true; ok: boolean; errors: NginxMessage[]; output: string; mainConf: 'root' | 'default'}
  | {ran: false; why: string}

/**
 * Debian's nginx.conf reduced to what includes the sites, for a root that has sites but no
 * nginx.conf (readNginxConf reads such a root the same way).
 */
const DEFAULT_MAIN =
  'events {}\nhttp {\n    include /etc/nginx/conf.d/*.conf;\n    include /etc/nginx/sites-enabled/*;\n}\n'

/** A directory of the jail and its parents, readable by nobody whatever the umask. */
function makeDirs(jail: string, hostDir: string): string {
  let dir = jail
  for (const part of path.posix.normalize(`/${hostDir}`).split('/').filter(Boolean)) {
    dir = path.join(dir, part)
    if (!existsSync(dir)) {
      mkdirSync(dir)
      chmodSync(dir, 0o755)
    }
  }
  return dir
}

/** Write a root's file at its host path in the jail; `..` cannot climb out of it. */
function put(jail: string, hostPath: string, text: string): void {
  const normal = path.posix.normalize(`/${hostPath}`)
  const target = path.join(makeDirs(jail, path.posix.dirname(normal)), path.posix.basename(normal))
  writeFileSync(target, text)
  chmodSync(target, 0o644)
}

function run(command: string, args: string[]): Promise<{exitCode: number; output: string}> {
  return new Promise((resolve) => {
    const child = execFile(
      command,
      args,
      {timeout: 30_000, maxBuffer: 1024 * 1024},
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0
        resolve({exitCode: code, output: `${stdout}${stderr}`})
      },
    )
    child.stdin?.end()
  })
}

/**
 * `nginx -t` over the root's configuration: the files readNginxConf read, the certificates and
 * keys they name, and the root's /etc/passwd and /etc/group (the `user` directive) are copied
 * through the host view into a scratch root at their host paths, so nginx's messages name host
 * paths as they are. Needs root (a mount namespace and a chroot).
 */
export async function nginxTest(
  host: Host,
  files: readonly string[],
  directives: readonly NginxDirective[],
  hasMain: boolean,
  binary: string | undefined,
): Promise<NginxTest> {
  if (!binary) return {ran: false, why: 'nginx is not installed on this machine'}
  if (process.getuid?.() !== 0)
    return {ran: false, why: 'nginx -t runs in a chroot in namespaces of its own, which need root'}
  const scratch = makeScratchDir('pcp-harden-nginx-')
  try {
    // The scratch directory stays 0700: only the chroot, entered as root, reaches the jail inside.
    const jail = path.join(scratch, 'root')
    mkdirSync(jail)
    chmodSync(jail, 0o755)
    return await testIn(jail, host, files, directives, hasMain, binary)
  } catch (error) {
    // A file and a directory of the same name in the copy, a full disk: nginx -t did not run.
    return {ran: false, why: `nginx -t could not run: ${(error as Error).message}`}
  } finally {
    await removeScratchDir(scratch)
  }
}

async function testIn(
  scratch: string,
  host: Host,
  files: readonly string[],
  directives: readonly NginxDirective[],
  hasMain: boolean,
  binary: string,
): Promise<NginxTest> {
  for (const file of files) {
    const text = await host.readText(file)
    if (text.ok) put(scratch, file, text.value)
  }
  if (!hasMain) put(scratch, '/etc/nginx/nginx.conf', DEFAULT_MAIN)
  const named = new Set<string>()
  walkNginx(directives, (d) => {
    const value = d.args[0]
    if (!FILE_DIRECTIVES.has(d.name) || !value || value.includes('$') || value.startsWith('data:')) return
    named.add(value.startsWith('/') ? value : `/etc/nginx/${value}`)
  })
  for (const file of ['/etc/passwd', '/etc/group', ...named]) {
    const text = await host.readText(file)
    if (text.ok) put(scratch, file, text.value)
  }
  for (const dir of ['/usr', '/dev']) makeDirs(scratch, dir)
  // Where nginx -t creates its logs and temp directories, as nobody.
  for (const dir of ['/var/log/nginx', '/var/lib/nginx', '/run', '/tmp'])
    chownSync(makeDirs(scratch, dir), NGINX_TEST_USER, NGINX_TEST_USER)
  const binds = ['usr', 'dev']
  for (const dir of SYSTEM_DIRS) {
    const st = lstatSync(`/${dir}`, {throwIfNoEntry: false})
    if (st?.isSymbolicLink()) symlinkSync(readlinkSync(`/${dir}`), path.join(scratch, dir))
    else if (st?.isDirectory()) {
      makeDirs(scratch, dir)
      binds.push(dir)
    }
  }
  const [command, args] = nginxTestArgv(binary, scratch, binds)
  const {exitCode, output} = await run(command, args)
  const errors = parseNginxTest(output)
  if (exitCode !== 0 && errors.length === 0)
    return {
      ran: false,
      why: `nginx -t could not run: ${output.trim().split('\n').at(-1) ?? `exit ${exitCode}`}`,
    }
  return {ran: true, ok: exitCode === 0, errors, output, mainConf: hasMain ? 'root' : 'default'}
}
