import {shellQuote} from '../exec/shell-quote.js'

/**
 * Every ssh and ssh-keygen subprocess of rotate-keys goes through runTool; the argv builders
 * below are pure, so unit tests assert the exact argv and end-to-end tests run the real programs.
 */

/** A node as --nodes names it: `host`, `host:port`, `[v6addr]:port`. */
export interface Node {
  host: string
  port: number
  /** How reports name it: `host` or `host:port` (port 22 left out). */
  label: string
}

/** How the admin reaches the nodes: ssh settings shared by every connection. */
export interface SshSettings {
  /** The admin identity (ssh -i); undefined: ssh's own default identities and the agent. */
  identity?: string
  /** A known_hosts file to use instead of the user's own. */
  knownHosts?: string
  /** Extra `K=V` ssh options (--ssh-option), in order. */
  options: readonly string[]
  /** Seconds ssh waits for a connection. */
  connectTimeout: number
}

export interface ToolRun {
  exitCode: number
  stdout: Buffer
  stderr: string
  timedOut: boolean
}

export type Argv = readonly [string, ...string[]]

/** The remote user whose authorized_keys holds the proxy's key (the proxy connects as root). */
export const REMOTE_USER = 'root'

function common(node: Node, ssh: SshSettings): string[] {
  // ssh keeps the first value of an option: the user's --ssh-option go first to override ours.
  return [
    '-F',
    'none',
    ...ssh.options.flatMap((option) => ['-o', option]),
    '-o',
    'BatchMode=yes',
    '-o',
    'StrictHostKeyChecking=yes',
    '-o',
    `ConnectTimeout=${ssh.connectTimeout}`,
    ...(ssh.knownHosts ? ['-o', `UserKnownHostsFile=${ssh.knownHosts}`] : []),
    '-p',
    String(node.port),
    '-l',
    REMOTE_USER,
  ]
}

/** ssh as the admin: its identity (or ssh's defaults and the agent), then `--`, the host, the command. */
export function adminSshArgv(node: Node, ssh: SshSettings, command: string): Argv {
  const identity = ssh.identity ? ['-i', ssh.identity, '-o', 'IdentitiesOnly=yes'] : []
  return ['ssh', ...identity, ...common(node, ssh), '--', node.host, command]
}

/** ssh as the proxy: only the given key, never the agent, asking for what the proxy asks. */
export function proxySshArgv(node: Node, ssh: SshSettings, key: string): Argv {
  return [
    'ssh',
    '-i',
    key,
    '-o',
    'IdentitiesOnly=yes',
    '-o',
    'IdentityAgent=none',
    ...common(node, ssh),
    '--',
    node.host,
    'sensors -j',
  ]
}

/** ssh-keygen making an unencrypted ed25519 key pair in OpenSSH format (the private key 0600). */
export function keygenArgv(file: string, comment: string): Argv {
  return ['ssh-keygen', '-q', '-t', 'ed25519', '-a', '100', '-N', '', '-C', comment, '-f', file]
}

/** Run one program, bounded in time, never through a shell; stdout as bytes. */
export async function runTool(argv: Argv, options: {input?: Buffer; timeoutMs: number}): Promise<ToolRun> {
  const {execa} = await import('execa')
  const [file, ...args] = argv
  const run = await execa(file, args, {
    reject: false,
    timeout: options.timeoutMs,
    encoding: 'buffer',
    stripFinalNewline: false,
    ...(options.input ? {input: options.input} : {stdin: 'ignore'}),
  })
  return {
    exitCode: run.exitCode ?? -1,
    stdout: Buffer.from(run.stdout),
    stderr: Buffer.from(run.stderr).toString('utf8'),
    timedOut: run.timedOut,
  }
}

/** The command string ssh hands to the remote shell: `sh -c SCRIPT NAME ARGS...`, every word quoted. */
export function remoteScript(script: string, args: readonly string[]): string {
  return ['sh', '-c', script, 'pcp-harden-rotate', ...args].map(shellQuote).join(' ')
}

export {shellQuote}
