import {parsePmcdArgv, type PmcdOption} from '../../parsers/pmcd-options.js'
import {type FixPlan, withRemedy} from '../remedy.js'
import type {CheckResult} from '../types.js'
import {type PmcdSetup, pmcdCheck, SEED_BINDING_LINE} from './analysis.js'
import {ASIDE_DIR, RESTART_PMCD} from './remedies.js'

/** A widely copied PCP security guide's SASL file; Cyrus SASL reads the application's file from /etc/sasl2. */
const SEED_SASL_CONF = '/etc/pcp/sasl/pmcd.conf'

/** Where pmcd (started by rc_pmcd from /var/log/pcp/pmcd) puts a file named without a directory. */
const inRunDir = (file: string) => (file.includes('/') ? file : `/var/log/pcp/pmcd/${file}`)

const REAL_BINDING: Record<string, string> = {
  PCD_HOST:
    'pmcd binds with -i ADDR in pmcd.options (or PMCD_LOCAL=1 in /etc/default/pmcd for loopback only)',
  PCD_PORT: 'the port is -p PORT in pmcd.options (or PMCD_PORT in /etc/default/pmcd); the default is 44321',
}

const SEED_LOG_NAMES: Record<string, string> = {
  ssl: 'TLS is tls-cert-file, tls-key-file and tls-ca-cert-file in /etc/pcp/tls.conf, enforced with -Q',
  tls: 'TLS is tls-cert-file, tls-key-file and tls-ca-cert-file in /etc/pcp/tls.conf, enforced with -Q',
  debug: 'debug tracing is -D OPTIONS (pmdbg -l lists them)',
  access: 'pmcd logs access violations in pmcd.log anyway; -T 1 traces client connections',
}

const CERTIFICATE_FILE = /\.(crt|cer|pem|key|der|p12)$/i

/** What real pmcd does with one of a widely copied PCP security guide's options, when it is one. */
function seedOption(option: PmcdOption): string | undefined {
  const value = option.value ?? ''
  switch (option.letter) {
    case 'l':
      return SEED_LOG_NAMES[value]
        ? `-l is pmcd's log file: "-l ${value}" writes the log to ${inRunDir(value)} and turns nothing on; ${SEED_LOG_NAMES[value]}`
        : undefined
    case 'x':
      return value.includes('/')
        ? undefined
        : `-x is the file for pmcd's fatal start-up messages: "-x ${value}" writes them to ${inRunDir(value)} and ` +
            'stops no agent from running; pmcd runs exactly the agents in the table at the top of pmcd.conf: remove ' +
            'the lines of those you do not want'
    case 'c':
      return CERTIFICATE_FILE.test(value)
        ? `-c is pmcd's configuration file: pmcd would read ${value} as its pmcd.conf, find no agents table in a ` +
            'certificate, and not start; the server certificate is tls-cert-file in /etc/pcp/tls.conf'
        : undefined
    default:
      return undefined
  }
}

/** A widely copied PCP security guide's options that real pmcd 6 does not have at all (getopt stops pmcd on them). */
const SEED_UNKNOWN_OPTIONS: Record<string, string> = {
  a:
    'there is no allowed-agents list in PCP: pmcd runs exactly the agents in the table at the top of pmcd.conf, ' +
    'so remove the lines of those you do not want',
  k: 'the TLS key is tls-key-file in /etc/pcp/tls.conf',
  C: 'PCP 6 has no -C (in PCP 5 it named an NSS certificate database); the CA is tls-ca-cert-file in /etc/pcp/tls.conf',
  M: 'PCP 6 has no -M (in PCP 5 it named a certificate in an NSS database); the certificate is tls-cert-file in /etc/pcp/tls.conf',
  P: 'PCP 6 has no -P (in PCP 5 it was the NSS database password file); tls.conf keys take no password',
}

function seedConstructs(setup: PmcdSetup): CheckResult[] {
  const {options, env, access, confLines} = setup
  // Each such line does nothing PCP knows (or stops pmcd): removing it changes nothing the admin has today
  // but the error, and the message names the real mechanism to use instead.
  const deleteLine = (path: string, line: number, expect: string, conf = false): FixPlan => ({
    kind: 'edit',
    path,
    edits: [{op: 'delete', line, expect}],
    ...(conf ? {validate: 'pmcd-conf' as const} : {}),
    restart: RESTART_PMCD,
  })
  const fail = (path: string, line: number, message: string, remedy?: FixPlan): CheckResult => ({
    status: 'fail',
    path,
    line,
    message: `not a PCP setting: ${message}`,
    ...(remedy ? withRemedy(remedy) : {}),
  })
  const results: CheckResult[] = []

  confLines.forEach((text, index) => {
    const match = SEED_BINDING_LINE.exec(text)
    if (!match) return
    const name = match[1] as string
    const inAccess = access.conf.accessLine !== undefined && index + 1 > access.conf.accessLine
    const effect = inAccess
      ? 'in [access] pmcd rejects it ("allow or disallow statement expected") and does not start'
      : `pmcd reads it as an agent named "${text.trim()}", logs "expected domain number" and skips it`
    results.push(
      fail(
        access.file,
        index + 1,
        `${name}: ${effect}; ${REAL_BINDING[name]}`,
        deleteLine(access.file, index + 1, text, true),
      ),
    )
  })

  for (const [path, lines] of [
    [options.path, options.ignored],
    [env.path, env.ignored],
  ] as const)
    for (const {line, text} of lines) {
      const name = SEED_BINDING_LINE.exec(text)?.[1]
      if (name)
        results.push(
          fail(
            path,
            line,
            `${name}: rc_pmcd skips the line; ${REAL_BINDING[name]}`,
            deleteLine(path, line, text),
          ),
        )
    }

  // Line by line, as the guide writes them: pmcd itself stops reading at the first word that is no option.
  for (const line of new Set(options.argv.map((w) => w.line))) {
    const words = options.argv.filter((w) => w.line === line)
    const said = parsePmcdArgv(words)
    const [first] = words
    if (first && options.foregroundRemoved.includes(line) && !first.text.startsWith('-'))
      results.push(
        fail(
          options.path,
          line,
          `-f is pmcd's foreground switch and takes no file: rc_pmcd removes it and hands "${first.text}" to ` +
            'pmcd as an argument (PCP-PMCD-001); the log file is -l FILE',
        ),
      )
    // A line that holds nothing but the guide's option is removed whole; one that holds more is the admin's to split.
    const alone = said.options.length + said.unknown.length === 1
    const expect = setup.optionLines[line - 1]
    const remedy = alone && expect !== undefined ? deleteLine(options.path, line, expect) : undefined
    for (const option of said.options) {
      const effect = seedOption(option)
      if (effect) results.push(fail(options.path, option.line, effect, remedy))
    }
    for (const {name, line} of said.unknown) {
      const real = SEED_UNKNOWN_OPTIONS[name.slice(1)]
      if (real)
        results.push(
          fail(
            options.path,
            line,
            `${name} is not a pmcd option: pmcd prints its usage and exits (PCP-PMCD-001); ${real}`,
            remedy,
          ),
        )
    }
  }
  return results.sort((a, b) => (a.path === b.path ? (a.line ?? 0) - (b.line ?? 0) : 0))
}

export const check = pmcdCheck(
  {
    id: 'PCP-PMCD-008',
    title: 'No guide settings that PCP does not have',
    severity: 'medium',
    profiles: ['pcp-collector'],
    tags: ['pmcd', 'guide-mismatch'],
    rationale:
      'A widely copied PCP security guide configures pmcd with settings PCP never had: PCD_HOST and PCD_PORT (in pmcd.conf), "-l ssl", ' +
      '"-c cert", "-k key", "-C ca" for TLS, "-x no_exec" and "-a allowed_agents" against remote execution. pmcd ' +
      'misreads or ignores each: -l is its log file, -c its pmcd.conf, -x the file for fatal start-up messages; -a, ' +
      '-k and (in PCP 6) -C make it exit with its usage. The admin believes the host is bound, encrypted and ' +
      'restricted while none of it is in force.',
    remediation:
      'Replace each with the real mechanism named in the message: -i/-p or PMCD_LOCAL for binding, /etc/pcp/tls.conf ' +
      'plus -Q for TLS, the agents table in pmcd.conf for which agents run, /etc/sasl2/pmcd.conf for SASL.',
    reference:
      'a widely copied PCP security guide, "Configure PMCD binding", "Configure TLS for PMCD", "Disable remote execution"; pmcd(1) OPTIONS',
    example: {
      fail: '# /etc/pcp/pmcd/pmcd.options\n-l ssl\n-x no_exec',
      pass: '# /etc/pcp/pmcd/pmcd.options\n-Q',
    },
  },
  async (setup, host) => {
    const results = seedConstructs(setup)
    if (await host.exists(SEED_SASL_CONF))
      results.push({
        status: 'fail',
        path: SEED_SASL_CONF,
        message:
          "not a PCP setting: Cyrus SASL never reads this file; pmcd's SASL configuration is /etc/sasl2/pmcd.conf " +
          `(the fix moves it to ${ASIDE_DIR} rather than deleting it, so its settings can be carried over)`,
        ...withRemedy({kind: 'move', path: SEED_SASL_CONF, to: ASIDE_DIR}),
      })
    if (results.length === 0) results.push({status: 'pass', path: setup.options.path, message: 'ok'})
    return results
  },
)
