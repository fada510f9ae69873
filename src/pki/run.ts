/**
 * A run of `cert init` or `cert issue`: what it makes, planned first (a dry run stops there and
 * generates no key), then keys generated, certificates signed and every file written.
 */
import {createPrivateKey, X509Certificate} from 'node:crypto'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import type {Account} from '../host/accounts.js'
import type {DiskBackend} from '../host/backend.js'
import type {Host} from '../host/host.js'
import {applyPlan} from '../render/writer.js'
import {buildCertificate, caSigner, type CertKind, selfSigner, type Signer} from './build.js'
import {generateRsaKey, type KeyPairPem} from './keys.js'
import {formatSans, formatSubject, type SanEntry, type Subject} from './names.js'
import {formatPkiPlan, type PkiLayout, planPki, plannedFiles, refuseExisting} from './write.js'

const DAY_MS = 86_400_000

/** One certificate to make, with its key: where they go, what they say, for how long. */
export interface CertPlan {
  kind: CertKind
  certPath: string
  keyPath: string
  subject: Subject
  san: SanEntry[]
  notBefore: Date
  notAfter: Date
  keySize: number
  /** Other paths that get a copy of the certificate (the CA's beside the collector's own). */
  copiesAt?: string[]
}

/** What a run makes: certificates and keys, the files and directories they go in, and warnings. */
export interface PkiRun extends PkiLayout {
  certs: CertPlan[]
  /** Files that are copies of an existing one (the CA certificate beside a monitor's), by path. */
  copies: Map<string, string>
  /** The CA that signs, when it exists already (`cert issue`). */
  signer?: Signer
  /** Lines for tls.conf that use these files. */
  tlsConf: string[]
  warnings: string[]
}

/** A user of the root's /etc/passwd, or an InputError naming it. */
export async function rootUser(host: Host, name: string, flag: string): Promise<Account> {
  const user = await host.user(name)
  if (!user) throw new InputError(`${flag} ${name}: no such user in the root's /etc/passwd`)
  return user
}

/** An absolute, normalised host path from a directory flag. */
export function hostDir(value: string, flag: string): string {
  if (!value.startsWith('/'))
    throw new InputError(`${flag} ${value}: give an absolute path (a host path under --root)`)
  return path.posix.normalize(value).replace(/(.)\/$/, '$1')
}

/** Whole seconds: certificates carry no fractions, and the plan should show what they will say. */
export function certTime(date: Date): Date {
  return new Date(Math.floor(date.getTime() / 1000) * 1000)
}

export function addDays(date: Date, days: number): Date {
  return new Date(date.getTime() + days * DAY_MS)
}

/** One line per certificate: role, file, subject, SANs, key size and validity. */
export function describeRun(run: PkiRun): string[] {
  const day = (d: Date) => d.toISOString().slice(0, 10)
  return run.certs.map((c) => {
    const days = Math.round((c.notAfter.getTime() - c.notBefore.getTime()) / DAY_MS)
    const parts = [
      formatSubject(c.subject),
      ...(c.san.length > 0 ? [`subjectAltName ${formatSans(c.san)}`] : []),
      `RSA ${c.keySize}`,
      `valid ${day(c.notBefore)} to ${day(c.notAfter)} (${days} days)`,
    ]
    return `${c.kind.padEnd(6)} ${c.certPath}: ${parts.join('; ')}`
  })
}

/**
 * Generate the keys (in parallel) and sign the certificates: the CA first when the run makes one,
 * then the others with it (or with the run's existing CA). Returns each file's content by path.
 */
export async function makeFiles(run: PkiRun): Promise<Map<string, string>> {
  const keys = await Promise.all(run.certs.map((c) => generateRsaKey(c.keySize)))
  const contents = new Map(run.copies)
  let signer = run.signer
  for (const [index, cert] of run.certs.entries()) {
    const pair = keys[index] as KeyPairPem
    const request = {
      kind: cert.kind,
      subject: cert.subject,
      san: cert.san,
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
      publicKey: pair.publicKey,
    }
    let pem: string
    if (cert.kind === 'ca') {
      pem = await buildCertificate(request, selfSigner(createPrivateKey(pair.privateKey)))
      signer = caSigner(new X509Certificate(pem), createPrivateKey(pair.privateKey))
    } else {
      if (!signer) throw new Error('no CA to sign with')
      pem = await buildCertificate(request, signer)
    }
    for (const file of [cert.certPath, ...(cert.copiesAt ?? [])]) contents.set(file, pem)
    contents.set(cert.keyPath, pair.privateKey)
  }
  return contents
}

/**
 * Plan the run under the host's root and refuse to replace existing files without `force`; then,
 * unless `dryRun`, generate the keys, sign, and write: directories first, then each file atomically
 * through the shared writer (keys as secrets). Returns the lines to print: what is made, the plan,
 * warnings; never key material.
 */
export async function carryOut(
  host: Host,
  run: PkiRun,
  options: {force: boolean; dryRun: boolean},
): Promise<string[]> {
  const root = (host.backend as DiskBackend).root
  const accounts = await host.accounts()
  const planned = await planPki(root, run)
  refuseExisting(planned, options.force)
  const lines = [...describeRun(run), '', formatPkiPlan(planned, accounts)]
  const newCa = run.certs.find(
    (c) =>
      c.kind === 'ca' && plannedFiles(planned).some((f) => f.path === c.keyPath && f.action !== 'create'),
  )
  const warnings = newCa
    ? [
        ...run.warnings,
        `${newCa.keyPath} is replaced by a new CA: certificates the old one issued (monitors' client ` +
          'certificates) no longer verify; issue them again with pcp-harden cert issue.',
      ]
    : run.warnings
  if (warnings.length > 0) lines.push('', ...warnings.map((w) => `warning: ${w}`))
  if (options.dryRun) {
    lines.push('', 'dry run: nothing written, no key generated')
    return lines
  }
  const contents = await makeFiles(run)
  const final = await planPki(root, run, contents)
  refuseExisting(final, options.force)
  await applyPlan(root, final)
  lines.push(
    '',
    `wrote ${plannedFiles(final).length} files; tls.conf settings that use them:`,
    ...run.tlsConf.map((l) => `  ${l}`),
  )
  return lines
}
