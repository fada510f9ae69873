import {createPrivateKey, type KeyObject, type X509Certificate} from 'node:crypto'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import {worstState} from '../engine/status.js'
import type {NagiosStatus} from '../engine/model.js'
import type {Host, Lookup} from '../host/host.js'
import {readTlsConf, type TlsConf, type TlsKey} from '../parsers/tls-conf.js'
import {type CertInfo, inspectCertificate, OID, readCertificates} from './inspect.js'
import {ipFamily} from '../net/ip.js'

/** What a certificate is used as: PCP's server (pmcd, pmproxy), a client, or the CA it is checked against. */
export type Role = 'server' | 'client' | 'ca'

/** One certificate file to judge, with the key and CA it is used with. */
export interface CertTarget {
  /** Host path of the certificate (PEM; the first certificate is judged, the others form its chain). */
  path: string
  role: Role
  /** Host path of its private key. */
  keyPath?: string
  /** Host path of the CA certificate file (PEM, possibly a bundle) it must chain to. */
  caFile?: string
  /** Host path of a CA directory (tls-ca-cert-dir) it may chain to instead. */
  caDir?: string
  /** Where it is named: `/etc/pcp/tls.conf:3 tls-cert-file`. */
  sources: string[]
}

export interface CheckOptions {
  now: Date
  /** WARNING when fewer days than this are left. */
  warningDays: number
  /** CRITICAL when fewer days than this are left. */
  criticalDays: number
  /** A host name or address a server certificate must name in its subjectAltName. */
  host?: string
  /** WARNING when a server or client certificate is valid for longer than this many days. */
  maxDays?: number
}

export interface Problem {
  state: Exclude<NagiosStatus, 'OK'>
  message: string
}

/** The judgement of one certificate. */
export interface CertVerdict {
  path: string
  role: Role
  sources: string[]
  keyPath?: string
  status: NagiosStatus
  problems: Problem[]
  /** What was checked and held, or could not be checked, without changing the state. */
  notes: string[]
  /** Present when the certificate could be read and parsed. */
  certificate?: {
    subject: string
    issuer: string
    serial: string
    notBefore: string
    notAfter: string
    /** Whole days until notAfter, towards zero (negative once expired). */
    daysLeft: number
    key: string
    signatureAlgorithm: string
    san: string[]
    fingerprint256: string
  }
}

export interface CertReport {
  status: NagiosStatus
  warningDays: number
  criticalDays: number
  certificates: CertVerdict[]
}

/** The files a target names, as read from the host. */
export interface Material {
  certificate: Lookup<string>
  key?: Lookup<string>
  /** The CA certificates it must chain to, and where they came from; absent when none is configured. */
  ca?: {path: string; certificates: Lookup<X509Certificate[]>}
}

const DAY_MS = 86_400_000

/** `2027-11-23` */
function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10)
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`
}

/** The tls.conf keys naming a certificate and its key, by role, in a collector's and in a user's file. */
const COLLECTOR_PAIRS: [Role, TlsKey, TlsKey][] = [
  ['server', 'tls-cert-file', 'tls-key-file'],
  ['client', 'tls-client-cert-file', 'tls-client-key-file'],
]
/** A user's ~/.pcp/tls.conf: its tls-cert-file is the monitor's own (client) certificate (PCP's secure-connections chapter). */
const USER_PAIRS: [Role, TlsKey, TlsKey][] = [
  ['client', 'tls-cert-file', 'tls-key-file'],
  ['client', 'tls-client-cert-file', 'tls-client-key-file'],
]

function targetsOf(conf: TlsConf, pairs: [Role, TlsKey, TlsKey][]): CertTarget[] {
  const source = (key: TlsKey) => {
    const setting = conf.settings.findLast((s) => s.key === key)
    return `${conf.path}:${setting?.line} ${key}`
  }
  const {values} = conf
  const trust = {
    ...(values['tls-ca-cert-file'] ? {caFile: values['tls-ca-cert-file']} : {}),
    ...(values['tls-ca-cert-dir'] ? {caDir: values['tls-ca-cert-dir']} : {}),
  }
  const targets: CertTarget[] = []
  if (values['tls-ca-cert-file'])
    targets.push({path: values['tls-ca-cert-file'], role: 'ca', sources: [source('tls-ca-cert-file')]})
  for (const [role, certKey, keyKey] of pairs) {
    const cert = values[certKey]
    if (!cert) continue
    const key = values[keyKey]
    targets.push({path: cert, role, ...(key ? {keyPath: key} : {}), ...trust, sources: [source(certKey)]})
  }
  return targets
}

/** Homes that hold no user's PCP settings. */
const NO_HOME = new Set(['', '/', '/nonexistent', '/dev/null'])

/**
 * The certificates named by the root's /etc/pcp/tls.conf and, with `users`, by each user's
 * ~/.pcp/tls.conf; a file named twice for the same role is judged once, with both sources.
 */
export async function tlsConfTargets(host: Host, options: {users: boolean}): Promise<CertTarget[]> {
  const unreadable = (conf: TlsConf) =>
    new InputError(`${conf.error}: the certificates it names cannot be known, so none is checked`)
  const collector = await readTlsConf(host)
  if (collector.error) throw unreadable(collector)
  const targets = targetsOf(collector, COLLECTOR_PAIRS)
  if (options.users) {
    const homes = new Set(
      (await host.accounts()).users.map((u) => u.home ?? '').filter((h) => !NO_HOME.has(h)),
    )
    for (const home of homes) {
      const conf = await readTlsConf(host, path.posix.join(home, '.pcp/tls.conf'))
      if (conf.error) throw unreadable(conf)
      if (conf.present) targets.push(...targetsOf(conf, USER_PAIRS))
    }
  }
  const merged = new Map<string, CertTarget>()
  for (const target of targets) {
    const id = `${target.role}\0${target.path}`
    const seen = merged.get(id)
    if (seen) seen.sources.push(...target.sources)
    else merged.set(id, target)
  }
  return [...merged.values()]
}

/**
 * Every file a tls.conf on the host uses: the certificates, keys and CA files of the collector's
 * and users' files, and the files of a tls-ca-cert-dir (each is a CA the daemons load).
 */
export async function namedTlsFiles(host: Host, options: {dropped?: boolean} = {}): Promise<Set<string>> {
  const named = new Set<string>()
  if (options.dropped) {
    // A setting libpcp drops for want of a final newline (PCP-TLS-004) still says which file is meant.
    const collector = await readTlsConf(host)
    // So is the rest of the pair it belonged to (a key whose certificate line was dropped).
    for (const i of collector.ignored) if (i.dropped?.key.endsWith('-file')) named.add(i.dropped.value)
    if (collector.ignored.some((i) => i.dropped))
      for (const setting of collector.settings) if (setting.key.endsWith('-file')) named.add(setting.value)
  }
  for (const file of await usedTlsFiles(host)) named.add(file)
  return named
}

async function usedTlsFiles(host: Host): Promise<Set<string>> {
  const named = new Set<string>()
  for (const target of await tlsConfTargets(host, {users: true})) {
    for (const file of [target.path, target.keyPath, target.caFile]) if (file) named.add(file)
    if (target.caDir) {
      const names = await host.list(target.caDir)
      if (names.ok) for (const name of names.value) named.add(path.posix.join(target.caDir, name))
    }
  }
  return named
}

/** A role from a certificate file: a CA certificate is `ca`, a name with "client" in it `client`, else `server`. */
async function guessRole(host: Host, file: string): Promise<Role> {
  const text = await host.readText(file)
  try {
    if (text.ok && readCertificates(text.value)[0]?.ca) return 'ca'
  } catch {
    // Unparseable: judged (UNKNOWN) later, whatever its role.
  }
  return /client/i.test(path.posix.basename(file)) ? 'client' : 'server'
}

/**
 * Targets for certificate files given on the command line (host paths): the role from `role` or
 * guessed, the key from `key` or the file's `.key` sibling when there is one, the CA from `ca` or
 * the root's tls.conf.
 */
export async function fileTargets(
  host: Host,
  files: readonly string[],
  options: {role?: string; key?: string; ca?: string},
): Promise<CertTarget[]> {
  if (options.key && files.length > 1) throw new InputError('--key needs exactly one FILE')
  const conf = await readTlsConf(host)
  const trust = options.ca
    ? {caFile: options.ca}
    : {
        ...(conf.values['tls-ca-cert-file'] ? {caFile: conf.values['tls-ca-cert-file']} : {}),
        ...(conf.values['tls-ca-cert-dir'] ? {caDir: conf.values['tls-ca-cert-dir']} : {}),
      }
  if (options.ca && !(await host.exists(options.ca)))
    throw new InputError(`--ca ${options.ca}: not found under --root`)
  const targets: CertTarget[] = []
  for (const file of files) {
    const sibling = /\.(crt|pem|cer)$/.test(file) ? file.replace(/\.(crt|pem|cer)$/, '.key') : undefined
    const keyPath = options.key ?? (sibling && (await host.exists(sibling)) ? sibling : undefined)
    const role = (options.role as Role | undefined) ?? (await guessRole(host, file))
    targets.push({path: file, role, ...(keyPath ? {keyPath} : {}), ...trust, sources: []})
  }
  return targets
}

/** The CA certificates of a tls-ca-cert-dir: every regular file in it that holds PEM certificates. */
async function readCaDir(host: Host, dir: string): Promise<Lookup<X509Certificate[]>> {
  const names = await host.list(dir)
  if (!names.ok) return names
  const found: X509Certificate[] = []
  for (const name of names.value) {
    const text = await host.readText(path.posix.join(dir, name))
    if (!text.ok) continue
    try {
      found.push(...readCertificates(text.value))
    } catch {
      // Not a certificate file: OpenSSL skips it too.
    }
  }
  return {ok: true, value: found}
}

/** The certificates of a CA file (one or a bundle). */
function parseBundle(lookup: Lookup<string>, file: string): Lookup<X509Certificate[]> {
  if (!lookup.ok) return lookup
  try {
    return {ok: true, value: readCertificates(lookup.value)}
  } catch (error) {
    return {
      ok: false,
      missing: false,
      message: `${file}: cannot parse a certificate (${(error as Error).message})`,
    }
  }
}

/** Read what a target names: its certificate, key and CA. */
export async function loadMaterial(host: Host, target: CertTarget): Promise<Material> {
  const material: Material = {certificate: await host.readText(target.path)}
  if (target.keyPath) material.key = await host.readText(target.keyPath)
  if (target.role === 'ca') return material
  if (target.caFile)
    material.ca = {
      path: target.caFile,
      certificates: parseBundle(await host.readText(target.caFile), target.caFile),
    }
  else if (target.caDir) material.ca = {path: target.caDir, certificates: await readCaDir(host, target.caDir)}
  return material
}

/** The issuer chain of `leaf` up to a trust anchor: undefined when it reaches none. */
function chainTo(
  leaf: X509Certificate,
  intermediates: readonly X509Certificate[],
  anchors: readonly X509Certificate[],
): X509Certificate[] | undefined {
  const chain = [leaf]
  const signedBy = (cert: X509Certificate, issuer: X509Certificate) =>
    cert.checkIssued(issuer) && cert.verify(issuer.publicKey)
  for (let depth = 0; depth < 8; depth++) {
    const current = chain.at(-1) as X509Certificate
    const anchor = anchors.find((a) => signedBy(current, a))
    if (anchor) return [...chain, anchor]
    const next = intermediates.find((c) => !chain.includes(c) && signedBy(current, c))
    if (!next) return undefined
    chain.push(next)
  }
  return undefined
}

/** The private key of a target, or why it cannot be used: missing or unparseable (UNKNOWN), encrypted (CRITICAL). */
function readKey(lookup: Lookup<string>, file: string): {key?: KeyObject; problem?: Problem} {
  if (!lookup.ok) return {problem: {state: 'UNKNOWN', message: `key ${lookup.message}`}}
  // PKCS#8 (BEGIN ENCRYPTED PRIVATE KEY) or traditional (Proc-Type: 4,ENCRYPTED) encryption.
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|^Proc-Type: 4,ENCRYPTED/m.test(lookup.value))
    return {problem: {state: 'CRITICAL', message: `key ${file} is encrypted: PCP cannot load it`}}
  try {
    return {key: createPrivateKey(lookup.value)}
  } catch {
    return {problem: {state: 'UNKNOWN', message: `key ${file}: not a private key PCP can read`}}
  }
}

/** Judge validity dates against the thresholds. */
function validity(info: CertInfo, options: CheckOptions): {problems: Problem[]; daysLeft: number} {
  const now = options.now.getTime()
  // Whole days, towards zero: 20.5 days left is 20, expired 10.5 days ago is -10.
  const daysLeft = Math.trunc((info.notAfter.getTime() - now) / DAY_MS) || 0
  const until = isoDay(info.notAfter)
  if (now < info.notBefore.getTime()) {
    const days = Math.ceil((info.notBefore.getTime() - now) / DAY_MS)
    const message = `not valid yet: valid from ${info.notBefore.toISOString()} (in ${plural(days, 'day')})`
    return {daysLeft, problems: [{state: 'CRITICAL', message}]}
  }
  if (now > info.notAfter.getTime()) {
    const ago = -daysLeft
    return {
      daysLeft,
      problems: [
        {
          state: 'CRITICAL',
          message: `expired on ${until} (${ago === 0 ? 'today' : `${plural(ago, 'day')} ago`})`,
        },
      ],
    }
  }
  const left = `expires in ${plural(daysLeft, 'day')} (${until})`
  if (daysLeft < options.criticalDays) return {daysLeft, problems: [{state: 'CRITICAL', message: left}]}
  if (daysLeft < options.warningDays) return {daysLeft, problems: [{state: 'WARNING', message: left}]}
  return {daysLeft, problems: []}
}

/** RSA below 2048 bits, EC curves below 256 bits and DSA: keys OpenSSL 3 refuses or that are breakable. */
function strength(info: CertInfo): Problem[] {
  if (info.rsaBits !== undefined && info.rsaBits < 2048)
    return [{state: 'CRITICAL', message: `${info.key}-bit key: RSA keys need at least 2048 bits`}]
  if (info.curve !== undefined && /(192|224)/.test(info.curve))
    return [{state: 'CRITICAL', message: `${info.key} key: EC keys need a curve of at least 256 bits`}]
  if (info.keyType === 'dsa')
    return [{state: 'CRITICAL', message: 'DSA key: OpenSSL 3 at its default security level refuses it'}]
  return []
}

/** The extendedKeyUsage and nsCertType a certificate needs for its role (what OpenSSL's purpose check asks). */
function usage(info: CertInfo, role: 'server' | 'client'): Problem[] {
  const problems: Problem[] = []
  const wanted = role === 'server' ? OID.serverAuth : OID.clientAuth
  const name = role === 'server' ? 'serverAuth' : 'clientAuth'
  if (info.extKeyUsage) {
    if (!info.extKeyUsage.includes(wanted) && !info.extKeyUsage.includes(OID.anyExtendedKeyUsage))
      problems.push({
        state: 'CRITICAL',
        message: `extendedKeyUsage lacks ${name}: OpenSSL refuses it as a ${role} certificate (it has ${info.extKeyUsage.map(ekuName).join(', ') || 'none'})`,
      })
  } else if (info.nsCertType) {
    if (!info.nsCertType.includes(role))
      problems.push({
        state: 'CRITICAL',
        message: `nsCertType ${info.nsCertType.join(', ')} lacks ${role}: OpenSSL refuses it as a ${role} certificate`,
      })
  } else {
    problems.push({
      state: 'WARNING',
      message: `no extendedKeyUsage: not restricted to ${name}, usable for any purpose`,
    })
  }
  if (info.keyUsage && !info.keyUsage.includes('digitalSignature'))
    problems.push({
      state: 'CRITICAL',
      message: 'keyUsage lacks digitalSignature: TLS 1.3 handshakes with it fail',
    })
  return problems
}

/** serverAuth/clientAuth by name, other usages by OID. */
function ekuName(oid: string): string {
  return oid === OID.serverAuth ? 'serverAuth' : oid === OID.clientAuth ? 'clientAuth' : oid
}

/** The subjectAltName entries as `DNS:name` and `IP:address`. */
function names(info: CertInfo): string[] {
  return [...(info.san?.dns ?? []).map((n) => `DNS:${n}`), ...(info.san?.ip ?? []).map((n) => `IP:${n}`)]
}

/** A server certificate names its host in subjectAltName; with --host, that one (never by the CN). */
function hostName(info: CertInfo, host: string | undefined): Problem[] {
  if (!info.san || info.san.dns.length + info.san.ip.length === 0)
    return [
      {
        state: 'WARNING',
        message: 'no subjectAltName: clients that check the host name (HTTPS to pmproxy) refuse it',
      },
    ]
  if (host === undefined) return []
  const matches = ipFamily(host)
    ? info.x509.checkIP(host) !== undefined
    : info.x509.checkHost(host, {subject: 'never'}) !== undefined
  return matches
    ? []
    : [{state: 'CRITICAL', message: `does not name ${host}: its subjectAltName is ${names(info).join(', ')}`}]
}

/**
 * Judge one certificate: dates against the thresholds, key strength, signature algorithm, the
 * usage its role needs (serverAuth/clientAuth, or CA:true for a CA), subjectAltName (servers),
 * that its key matches and that it chains to the CA. Unreadable or unparseable input is UNKNOWN.
 */
export function judgeCertificate(target: CertTarget, material: Material, options: CheckOptions): CertVerdict {
  const verdict = (
    problems: Problem[],
    notes: string[],
    certificate?: CertVerdict['certificate'],
  ): CertVerdict => ({
    path: target.path,
    role: target.role,
    sources: target.sources,
    ...(target.keyPath ? {keyPath: target.keyPath} : {}),
    status: worstState(problems.map((p) => p.state)),
    problems,
    notes,
    ...(certificate ? {certificate} : {}),
  })
  if (!material.certificate.ok)
    // The report shows the path once, beside the verdict: the message says only what is wrong.
    return verdict([{state: 'UNKNOWN', message: withoutPath(material.certificate.message, target.path)}], [])
  let chain: X509Certificate[]
  let info: CertInfo
  try {
    chain = readCertificates(material.certificate.value)
    if (chain.length === 0) return verdict([{state: 'UNKNOWN', message: 'no PEM certificate in it'}], [])
    info = inspectCertificate(chain[0] as X509Certificate)
  } catch (error) {
    return verdict(
      [
        {
          state: 'UNKNOWN',
          message: `cannot parse the certificate (${(error as Error).message})`,
        },
      ],
      [],
    )
  }

  const notes: string[] = []
  const dates = validity(info, options)
  const problems = [...dates.problems, ...strength(info)]
  if (info.signatureAlgorithm.weak && !(target.role === 'ca' && info.selfSigned))
    problems.push({
      state: 'CRITICAL',
      message: `signed with ${info.signatureAlgorithm.name}: a forgeable digest`,
    })
  if (target.role === 'ca') {
    if (!info.basicConstraints?.ca)
      problems.push({state: 'CRITICAL', message: 'not a CA certificate (no basicConstraints CA:true)'})
    else if (info.keyUsage && !info.keyUsage.includes('keyCertSign'))
      problems.push({state: 'CRITICAL', message: 'keyUsage lacks keyCertSign: it cannot sign certificates'})
    if (chain.length > 1) notes.push(`${plural(chain.length - 1, 'more certificate')} in the file not judged`)
  } else {
    problems.push(...usage(info, target.role))
    if (target.role === 'server') problems.push(...hostName(info, options.host))
    const period = Math.round((info.notAfter.getTime() - info.notBefore.getTime()) / DAY_MS)
    if (options.maxDays !== undefined && period > options.maxDays)
      problems.push({state: 'WARNING', message: `valid for ${period} days, longer than ${options.maxDays}`})
    problems.push(...trust(chain, material, notes))
  }
  if (material.key && target.keyPath) {
    const {key, problem} = readKey(material.key, target.keyPath)
    if (problem) problems.push(problem)
    else if (key && !info.x509.checkPrivateKey(key))
      problems.push({state: 'CRITICAL', message: `key ${target.keyPath} does not match the certificate`})
  } else if (target.role !== 'ca') {
    notes.push('no key given: key match not checked')
  }
  return verdict(problems, notes, {
    subject: info.subject.replaceAll('\n', ', '),
    issuer: info.issuer.replaceAll('\n', ', '),
    serial: info.serial,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
    daysLeft: dates.daysLeft,
    key: info.key,
    signatureAlgorithm: info.signatureAlgorithm.name,
    san: names(info),
    fingerprint256: info.fingerprint256,
  })
}

/** Whether the certificate (with the intermediates after it in its file) chains to the CA. */
function trust(chain: X509Certificate[], material: Material, notes: string[]): Problem[] {
  if (!material.ca) {
    notes.push('no CA configured: chain not checked')
    return []
  }
  const {path: caPath, certificates} = material.ca
  if (!certificates.ok) {
    notes.push(`chain not checked: ${certificates.message}`)
    return []
  }
  const [leaf, ...intermediates] = chain as [X509Certificate, ...X509Certificate[]]
  if (chainTo(leaf, intermediates, certificates.value)) return []
  return [{state: 'CRITICAL', message: `not signed by the CA in ${caPath}`}]
}

/** Judge every target: the report `cert check` prints and PCP-CERT-001 reads. */
export async function checkCertificates(
  host: Host,
  targets: readonly CertTarget[],
  options: CheckOptions,
): Promise<CertReport> {
  const certificates: CertVerdict[] = []
  for (const target of targets)
    certificates.push(judgeCertificate(target, await loadMaterial(host, target), options))
  return {
    status: worstState(certificates.map((c) => c.status)),
    warningDays: options.warningDays,
    criticalDays: options.criticalDays,
    certificates,
  }
}

/** A host read's message ("/etc/pcp/tls/x.crt: not found") without the path the report already shows. */
function withoutPath(message: string, file: string): string {
  return message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message
}
