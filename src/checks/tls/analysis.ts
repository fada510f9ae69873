import type {Host} from '../../host/host.js'
import {parseTlsConf, TLS_CONF_PATH, type TlsConf, type TlsKey} from '../../parsers/tls-conf.js'
import {type Finding, type Outcome, perHost} from '../family.js'
import {applyLineEdits} from '../line-edits.js'
import {type FixPlan, type LineEdit, withRemedy} from '../remedy.js'

/** Names from hardening guides, older PCP and other programs that tls.conf does not know, with PCP's own. */
const KNOWN_ELSEWHERE: Record<string, string> = {
  'tls-cipher-list': 'tls-ciphers',
  'tls-cipher-suites': 'tls-ciphersuites',
  'tls-ca-file': 'tls-ca-cert-file',
  'tls-ca-path': 'tls-ca-cert-dir',
  'tls-ca-dir': 'tls-ca-cert-dir',
  'tls-client-verify': 'tls-verify-clients',
  'tls-verify-peer': 'tls-verify-clients',
  'verify-clients': 'tls-verify-clients',
  ssl_cert: 'tls-cert-file',
  ssl_key: 'tls-key-file',
  ssl_ca: 'tls-ca-cert-file',
  certificates: 'tls-cert-file',
  private_key: 'tls-key-file',
  authority: 'tls-ca-cert-file',
  cipher_list: 'tls-ciphers',
  cipher_suites: 'tls-ciphersuites',
}

/** What a line that PCP ignores looks like it was meant to do. */
const SECURITY_WORDS = /tls|ssl|cert|key|cipher|verify|crl|pem|protocol|secure|^ca[-_]|authority/i

export interface TlsAnalysis {
  path: string
}

/** The first word of a line: the key it was meant to set. */
function writtenKey(text: string): string {
  return /^\s*([^\s=:#]*)/.exec(text)?.[1] ?? ''
}

/** libpcp drops a last line without a newline: the settings only a trailing newline would add. */
function droppedLastLine(text: string, conf: TlsConf): Finding[] {
  if (text === '' || text.endsWith('\n')) return []
  const line = text.split('\n').length
  const setting = parseTlsConf(`${text}\n`, conf.path).settings.find((s) => s.line === line)
  if (!setting || conf.settings.some((s) => s.line === line)) return []
  const current = conf.values[setting.key]
  return [
    {
      check: 'PCP-TLS-004',
      path: conf.path,
      line,
      message:
        `the last line has no newline: libpcp never reads "${setting.written} = ${setting.value}", so ` +
        (current ? `${setting.key} stays ${current}` : `${setting.key} is not set`),
    },
  ]
}

/** Lines PCP ignores: security-looking ones (PCP-TLS-001) and the rest (PCP-TLS-005). */
function ignoredLines(conf: TlsConf, dropped: readonly Finding[]): Finding[] {
  return conf.ignored
    .filter((i) => !dropped.some((d) => d.line === i.line))
    .map((i) => {
      const key = writtenKey(i.text)
      const real = KNOWN_ELSEWHERE[key] ?? KNOWN_ELSEWHERE[key.toLowerCase()]
      const why = i.why.includes('ignore') ? i.why : `${i.why}: PCP ignores the line`
      const relevant = real !== undefined || SECURITY_WORDS.test(key)
      return {
        check: relevant ? 'PCP-TLS-001' : 'PCP-TLS-005',
        path: conf.path,
        line: i.line,
        message: real ? `${why}; the tls.conf setting is ${real}` : why,
        evidence: i.text.trim(),
      }
    })
}

/** Settings whose value PCP cut at a blank: it keeps the first word and drops the rest silently. */
function cutValues(text: string, conf: TlsConf): Finding[] {
  const lines = text.split('\n')
  return conf.settings.flatMap((s) => {
    const raw = lines[s.line - 1] ?? ''
    const separator = raw.search(/[:=]/)
    const start = raw.indexOf(s.value, separator + 1)
    const rest =
      raw
        .slice(start + s.value.length)
        .split('#')[0]
        ?.trim() ?? ''
    if (rest === '') return []
    return [
      {
        check: 'PCP-TLS-001',
        path: conf.path,
        line: s.line,
        message: `the value ends at the first blank: PCP sets ${s.key} to "${s.value}" and drops "${rest}"`,
        evidence: raw.trim(),
      },
    ]
  })
}

/** The line that set a key's effective value. */
function lineOf(conf: TlsConf, key: TlsKey): number | undefined {
  return conf.settings.filter((s) => s.key === key).at(-1)?.line
}

const SERVER_KEYS: readonly TlsKey[] = [
  'tls-cert-file',
  'tls-key-file',
  'tls-ca-cert-file',
  'tls-ca-cert-dir',
]
const PATH_KEYS: readonly TlsKey[] = [...SERVER_KEYS, 'tls-client-cert-file', 'tls-client-key-file']

/**
 * Files tls.conf names that are missing (PCP-TLS-002). pmcd and pmproxy set up TLS when
 * tls-cert-file is set and exit when the certificate, key or CA cannot be loaded
 * (__pmSecureServerInit); clients (pmlogger, pmie, pminfo on this host) cannot connect securely.
 */
async function missingFiles(host: Host, conf: TlsConf): Promise<Finding[]> {
  const server = conf.values['tls-cert-file'] !== undefined
  const findings: Finding[] = []
  const fail = (key: TlsKey, message: string, undecided = false) =>
    findings.push({
      check: 'PCP-TLS-002',
      path: conf.path,
      line: lineOf(conf, key),
      message,
      ...(undecided ? {undecided} : {}),
    })
  if (server && conf.values['tls-key-file'] === undefined)
    fail(
      'tls-cert-file',
      'tls-cert-file without tls-key-file: pmcd and pmproxy exit at start ("no private key found")',
    )
  for (const key of PATH_KEYS) {
    const file = conf.values[key]
    // Without tls-cert-file nothing reads the server key.
    if (!file || (key === 'tls-key-file' && !server)) continue
    const consequence =
      server && SERVER_KEYS.includes(key)
        ? 'pmcd and pmproxy exit at start (OpenSSL cannot load it)'
        : 'PCP clients on this host cannot set up TLS, so their secure connections fail'
    if (!file.startsWith('/')) {
      fail(
        key,
        `${key} ${file} is not an absolute path: each daemon looks for it in its own working directory`,
      )
      continue
    }
    const st = await host.stat(file, {follow: true})
    const wanted = key === 'tls-ca-cert-dir' ? 'dir' : 'file'
    if (!st.ok && !st.missing) fail(key, st.message, true)
    else if (!st.ok) fail(key, `${key} ${file} does not exist: ${consequence}`)
    else if (st.value.type !== wanted)
      fail(key, `${key} ${file} is not a ${wanted === 'dir' ? 'directory' : 'regular file'}: ${consequence}`)
  }
  return findings
}

type WeakClass = 'NULL' | 'aNULL' | 'EXPORT' | 'RC4' | 'MD5' | 'DES' | '3DES'

const WEAKNESS: Record<WeakClass, string> = {
  NULL: 'NULL (no encryption)',
  aNULL: 'aNULL (anonymous: no server authentication)',
  EXPORT: 'EXPORT (40- and 56-bit keys)',
  RC4: 'RC4 (broken, forbidden by RFC 7465)',
  MD5: 'MD5 (broken MAC)',
  DES: 'DES (56-bit keys)',
  '3DES': '3DES (64-bit blocks, Sweet32)',
}

const WEAK_ALIASES: Record<string, WeakClass> = {
  NULL: 'NULL',
  eNULL: 'NULL',
  COMPLEMENTOFALL: 'NULL',
  aNULL: 'aNULL',
  ADH: 'aNULL',
  AECDH: 'aNULL',
  COMPLEMENTOFDEFAULT: 'aNULL',
  EXPORT: 'EXPORT',
  EXP: 'EXPORT',
  EXPORT40: 'EXPORT',
  EXPORT56: 'EXPORT',
  RC4: 'RC4',
  MD5: 'MD5',
  DES: 'DES',
  LOW: 'DES',
  '3DES': '3DES',
}

/** The weak classes one cipher-string element names: an alias, a `+` combination, or a cipher name. */
function weakClassesOf(element: string): Set<WeakClass> {
  const classes = new Set<WeakClass>()
  for (const part of element.split('+')) {
    const alias = WEAK_ALIASES[part]
    if (alias) classes.add(alias)
    if (!part.includes('-')) continue
    const words = part.split('-')
    if (words.includes('NULL')) classes.add('NULL')
    if (part.startsWith('ADH-') || part.startsWith('AECDH-')) classes.add('aNULL')
    if (part.startsWith('EXP-') || part.startsWith('EXP1024-')) classes.add('EXPORT')
    if (words.includes('RC4')) classes.add('RC4')
    if (words.at(-1) === 'MD5') classes.add('MD5')
    if (part.includes('DES-CBC3') || words.includes('3DES')) classes.add('3DES')
    else if (words.includes('DES') || part.includes('DES-CBC-')) classes.add('DES')
  }
  return classes
}

/**
 * The weak ciphers an OpenSSL cipher list leaves enabled: elements add, `-` removes (a later
 * element may add back), `!` removes for good, `+` only reorders.
 */
export function weakCiphers(list: string): WeakClass[] {
  const enabled = new Set<WeakClass>()
  const banned = new Set<WeakClass>()
  for (const element of list.split(/[:, ]/).filter(Boolean)) {
    const prefix = element[0]
    const classes = weakClassesOf(
      prefix === '!' || prefix === '-' || prefix === '+' ? element.slice(1) : element,
    )
    for (const c of classes) {
      if (prefix === '!') banned.add(c)
      else if (prefix === '-') enabled.delete(c)
      else if (prefix !== '+') enabled.add(c)
    }
  }
  return (Object.keys(WEAKNESS) as WeakClass[]).filter((c) => enabled.has(c) && !banned.has(c))
}

function weakCipherFindings(conf: TlsConf): Finding[] {
  const list = conf.values['tls-ciphers']
  const weak = list ? weakCiphers(list) : []
  if (weak.length === 0) return []
  return [
    {
      check: 'PCP-TLS-003',
      path: conf.path,
      line: lineOf(conf, 'tls-ciphers'),
      message: `tls-ciphers enables ${weak.map((w) => WEAKNESS[w]).join(', ')}`,
      evidence: `tls-ciphers = ${list}`,
    },
  ]
}

/** Every finding of the PCP-TLS family for one text of the collector's tls.conf. */
async function judgeTls(host: Host, text: string): Promise<Finding[]> {
  const conf = parseTlsConf(text, TLS_CONF_PATH)
  const dropped = droppedLastLine(text, conf)
  return [
    ...dropped,
    ...ignoredLines(conf, dropped),
    ...cutValues(text, conf),
    ...(await missingFiles(host, conf)),
    ...weakCipherFindings(conf),
  ]
}

/** What `!` bans each weak class for good in an OpenSSL cipher list. */
const BAN: Record<WeakClass, string> = {
  NULL: '!eNULL',
  aNULL: '!aNULL',
  EXPORT: '!EXPORT',
  RC4: '!RC4',
  MD5: '!MD5',
  DES: '!DES',
  '3DES': '!3DES',
}

/**
 * The line edit that removes one finding, before it is judged: a known misspelt key gets the real
 * one, a value cut at a blank is joined with ":" (OpenSSL reads ":" and " " alike in a cipher
 * list), weak ciphers are banned with "!", a line PCP ignores anyway is commented out, and the last
 * line gets its newline. Missing files and unknown TLS-looking lines need the admin: none.
 */
function tlsEdit(finding: Finding, lines: readonly string[], conf: TlsConf): LineEdit | undefined {
  const line = finding.line
  const raw = line === undefined ? undefined : lines[line - 1]
  if (line === undefined || raw === undefined) return undefined
  switch (finding.check) {
    case 'PCP-TLS-001': {
      const real = /; the tls.conf setting is (\S+)$/.exec(finding.message)?.[1]
      const key = writtenKey(raw)
      if (real && key !== '') return {op: 'replace', line, expect: raw, text: raw.replace(key, real)}
      const cut = conf.settings.find((s) => s.line === line)
      if (!cut || !/ciphers|ciphersuites/.test(cut.key) || !finding.message.startsWith('the value ends'))
        return undefined
      const match = /^(\s*[^=:]*[=:]\s*)(\S+(?:[ \t]+[^\s#]+)+)(\s*(?:#.*)?)$/.exec(raw)
      if (!match) return undefined
      const joined = (match[2] as string).split(/[ \t]+/).join(':')
      return {op: 'replace', line, expect: raw, text: `${match[1]}${joined}${match[3]}`}
    }
    case 'PCP-TLS-003': {
      const list = conf.values['tls-ciphers']
      if (!list || raw.split(list).length !== 2) return undefined
      const bans = weakCiphers(list).map((w) => BAN[w])
      return {op: 'replace', line, expect: raw, text: raw.replace(list, [list, ...bans].join(':'))}
    }
    case 'PCP-TLS-004':
      return {op: 'append', text: ''}
    case 'PCP-TLS-005':
      return {op: 'replace', line, expect: raw, text: `# ${raw}`}
    default:
      return undefined
  }
}

const keyOf = (f: Finding) => `${f.check} ${f.path}: ${f.message}`

/**
 * The remedy of one finding, kept only when tls.conf judged again with it applied no longer has the
 * finding and has no new one (a misspelt key that, spelt right, names a missing file is the admin's).
 */
async function tlsRemedy(
  host: Host,
  text: string,
  conf: TlsConf,
  finding: Finding,
  findings: readonly Finding[],
  restart: string[],
): Promise<FixPlan | undefined> {
  if (finding.undecided) return undefined
  const edit = tlsEdit(finding, text.split('\n'), conf)
  const after = edit === undefined ? undefined : applyLineEdits(text, [edit])
  if (edit === undefined || after === undefined) return undefined
  const before = new Set(findings.map(keyOf))
  const now = (await judgeTls(host, after)).map(keyOf)
  if (now.includes(keyOf(finding)) || now.some((k) => !before.has(k))) return undefined
  return {kind: 'edit', path: conf.path, edits: [edit], restart}
}

/** The collector's tls.conf, judged once per host for every PCP-TLS check, each finding with its remedy. */
export const analyzeTls = perHost(async (host: Host): Promise<Outcome<TlsAnalysis>> => {
  const text = await host.readText(TLS_CONF_PATH)
  if (!text.ok)
    return text.missing
      ? {state: 'absent', reason: `no ${TLS_CONF_PATH} under the root`}
      : {state: 'error', path: TLS_CONF_PATH, message: text.message}
  const conf = parseTlsConf(text.value, TLS_CONF_PATH)
  const found = await judgeTls(host, text.value)
  // pmcd and pmproxy read tls.conf when they start.
  const restart = ['pmcd.service', ...((await host.exists('/etc/pcp/pmproxy')) ? ['pmproxy.service'] : [])]
  const findings = await Promise.all(
    found.map(async (f) => {
      const remedy = await tlsRemedy(host, text.value, conf, f, found, restart)
      return remedy ? {...f, ...withRemedy(remedy)} : f
    }),
  )
  return {state: 'judged', path: TLS_CONF_PATH, findings}
})
