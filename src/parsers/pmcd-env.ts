import type {Host} from '../host/host.js'
import {parseCLong, toCInt} from './pmcd-options.js'

/** Where rc_pmcd reads pmcd's environment: `$PCP_SYSCONFIG_DIR/pmcd` (Debian, then RHEL). */
export const PMCD_ENV_PATHS = ['/etc/default/pmcd', '/etc/sysconfig/pmcd'] as const

/**
 * The /bin/sh that runs rc_pmcd: on an `export` argument that is no variable name, dash (Debian)
 * exits, which stops the rc script before it starts pmcd; bash (RHEL) complains and goes on.
 */
export type RcShell = 'dash' | 'bash'

export interface EnvProblem {
  line: number
  /** error: the rc script stops and pmcd is not started. warning: the line does not set what it says. */
  severity: 'error' | 'warning'
  message: string
}

export interface PmcdEnv {
  path: string
  present: boolean
  shell: RcShell
  /** Each variable as pmcd's environment gets it (the last value wins), with the line that set it. */
  variables: Map<string, {value: string; line: number}>
  /** Lines rc_pmcd skips because they do not start with PMCD or PCP (comments and blank lines are not listed). */
  ignored: {line: number; text: string}[]
  problems: EnvProblem[]
  /** The file's lines as written (line N at index N - 1), to quote them. */
  lines: string[]
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/

/** glibc's atoi: `(int)strtol(text, NULL, 10)`; how pmcd reads PMCD_LOCAL and PMCD_MAXPENDING. */
export function atoi(text: string): number {
  return toCInt(parseCLong(text, 10).value)
}

/**
 * Parse the pmcd environment file exactly as rc_pmcd uses it:
 * `` `awk '/^PMCD/||/^PCP/ {print("export", $0)}' < $PMCDENVS` `` runs the awk output as one
 * command, so only lines starting with PMCD or PCP count, every space-separated word of them is an
 * `export` argument, and quotes, `$` and `#` are kept literally (no quote removal, no expansion, no
 * comments). A word that is no variable name (`#`, `=`, `-x`) makes dash exit.
 */
export function parsePmcdEnv(
  text: string,
  path: string = PMCD_ENV_PATHS[0],
  shell: RcShell = 'dash',
): PmcdEnv {
  const lines = text.split('\n')
  const env: PmcdEnv = {
    path,
    present: true,
    shell,
    variables: new Map(),
    ignored: [],
    problems: [],
    lines,
  }
  lines.forEach((raw, index) => {
    const line = index + 1
    if (index === lines.length - 1 && raw === '') return
    if (!raw.startsWith('PMCD') && !raw.startsWith('PCP')) {
      const trimmed = raw.trim()
      if (trimmed !== '' && !trimmed.startsWith('#')) env.ignored.push({line, text: raw})
      return
    }
    let rejected: string | undefined
    for (const word of raw.split(/[ \t]+/).filter(Boolean)) {
      const eq = word.indexOf('=')
      const name = eq < 0 ? word : word.slice(0, eq)
      if (!NAME.test(name)) {
        rejected ??= word
        continue
      }
      // A bare name exports the variable as it is: no new value.
      if (eq >= 0) env.variables.set(name, {value: word.slice(eq + 1), line})
    }
    if (rejected === undefined) return
    const comment = rejected.startsWith('#')
    const what = comment
      ? `a trailing comment is not a comment here: "${rejected}" goes to "export" as a variable name`
      : `"${rejected}" goes to "export" as a variable name`
    env.problems.push(
      shell === 'dash'
        ? {
            line,
            severity: 'error',
            message: `${what}; dash says "export: ${rejected.split('=')[0]}: bad variable name" and exits, so rc_pmcd stops and pmcd is not started`,
          }
        : {
            line,
            severity: 'warning',
            message: `${what}; bash rejects it ("not a valid identifier") and goes on${comment ? '' : ': the line does not set what it says'}`,
          },
    )
  })
  return env
}

/** Whether pmcd binds loopback only from its environment: `PMCD_LOCAL` with a non-zero atoi. */
export function pmcdLocal(env: PmcdEnv): {on: boolean; line?: number} {
  const local = env.variables.get('PMCD_LOCAL')
  if (!local) return {on: false}
  return {on: atoi(local.value) !== 0, line: local.line}
}

/** The shell /bin/sh is on the host, else the one the file's location implies (Debian: dash, RHEL: bash). */
async function rcShell(host: Host, path: string): Promise<RcShell> {
  for (const sh of ['/bin/sh', '/usr/bin/sh']) {
    const target = await host.readlink(sh)
    if (!target.ok) continue
    const name = target.value.split('/').pop() ?? ''
    if (name === 'dash' || name === 'bash') return name
  }
  return path.startsWith('/etc/sysconfig/') ? 'bash' : 'dash'
}

/**
 * The root's pmcd environment file: /etc/default/pmcd or /etc/sysconfig/pmcd, whichever exists
 * (absent: empty, at the path the distribution would use).
 */
export async function readPmcdEnv(host: Host): Promise<PmcdEnv | {path: string; error: string}> {
  for (const path of PMCD_ENV_PATHS) {
    const text = await host.readText(path)
    if (text.ok) return parsePmcdEnv(text.value, path, await rcShell(host, path))
    if (!text.missing) return {path, error: text.message}
  }
  const path = (await host.exists('/etc/sysconfig')) ? PMCD_ENV_PATHS[1] : PMCD_ENV_PATHS[0]
  return {...parsePmcdEnv('', path, await rcShell(host, path)), present: false}
}
