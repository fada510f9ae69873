import {createPrivateKey, type KeyObject, X509Certificate} from 'node:crypto'
import path from 'node:path'

import {InputError} from '../engine/errors.js'
import type {Host} from '../host/host.js'
import type {DirChange} from '../render/writer.js'
import {caSigner, type Signer} from './build.js'
import {parseCertificate} from './der.js'
import {parseSan, type SanEntry, subjectAttribute} from './names.js'
import {addDays, certTime, type CertPlan, hostDir, type PkiRun, rootUser} from './run.js'
import type {PkiFile} from './write.js'

export interface IssueOptions {
  caDir: string
  /** The monitoring user: owner of the files, and by default where they go (~/.pcp/tls). */
  user?: string
  out?: string
  /** A server certificate for another collector instead of a monitor's client certificate. */
  server: boolean
  san: string[]
  cn?: string
  org?: string
  days: number
  keySize: number
  now: Date
}

/** An existing CA: its certificate (PEM) and the signer made of it and its key. */
export interface ExistingCa {
  pem: string
  x509: X509Certificate
  notAfter: Date
  signer: Signer
}

/** The CA in `dir` (ca.crt and ca.key): a CA certificate, valid now, with the key that matches it. */
export async function readCa(host: Host, dir: string, now: Date): Promise<ExistingCa> {
  const read = async (name: string) => {
    const file = `${dir}/${name}`
    const text = await host.readText(file)
    if (!text.ok) throw new InputError(`--ca-dir ${dir}: ${text.message}`)
    return {file, text: text.value}
  }
  const cert = await read('ca.crt')
  const keyFile = await read('ca.key')
  let x509: X509Certificate
  let key: KeyObject
  try {
    x509 = new X509Certificate(cert.text)
  } catch {
    throw new InputError(`${cert.file}: not a PEM certificate`)
  }
  try {
    key = createPrivateKey(keyFile.text)
  } catch {
    throw new InputError(`${keyFile.file}: not an unencrypted private key`)
  }
  if (!x509.ca) throw new InputError(`${cert.file}: not a CA certificate (no basicConstraints CA:true)`)
  if (!x509.checkPrivateKey(key)) throw new InputError(`${keyFile.file} is not the key of ${cert.file}`)
  if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'ec')
    throw new InputError(
      `${keyFile.file}: a ${key.asymmetricKeyType} key; cert issue signs with RSA or EC CA keys`,
    )
  const {notAfter} = parseCertificate(x509.raw)
  if (notAfter <= now) throw new InputError(`${cert.file}: the CA expired on ${notAfter.toISOString()}`)
  return {pem: cert.text, x509, notAfter, signer: caSigner(x509, key)}
}

/**
 * What `cert issue` makes: a monitor's client certificate and key (client.crt, client.key) or, with
 * `server`, another collector's (server.crt, server.key), signed by the CA in --ca-dir, with a copy
 * of the CA certificate beside them so the monitor can verify collectors. The files go to --out, or
 * to ~USER/.pcp/tls (as PCP's secure-connections chapter does); all owned by --user when given (keys 0600, the rest 0644).
 */
export async function planIssue(host: Host, options: IssueOptions): Promise<PkiRun> {
  const caDir = hostDir(options.caDir, '--ca-dir')
  const ca = await readCa(host, caDir, options.now)
  const user = options.user === undefined ? undefined : await rootUser(host, options.user, '--user')
  const owner = user?.id ?? 0
  const group = user ? (user.gid ?? user.id) : 0
  if (options.server && options.san.length === 0)
    throw new InputError("--server needs --san: the collector's names and addresses")
  let out: string
  let dirs: DirChange[]
  if (options.out !== undefined) {
    out = hostDir(options.out, '--out')
    dirs = [{path: out, mode: 0o700, owner, group, keepExisting: true}]
  } else if (user && !options.server) {
    const home = user.home ?? ''
    const found = home.startsWith('/') ? await host.stat(home, {follow: true}) : undefined
    if (!found?.ok || found.value.type !== 'dir')
      throw new InputError(
        `--user ${user.name}: home directory ${home || '(none)'} does not exist under --root; give --out`,
      )
    out = path.posix.join(home, '.pcp/tls')
    dirs = [
      {path: path.posix.join(home, '.pcp'), mode: 0o755, owner, group, keepExisting: true},
      {path: out, mode: 0o700, owner, group, keepExisting: true},
    ]
  } else {
    throw new InputError(
      options.server
        ? '--server needs --out DIR'
        : 'give --user NAME (files go to ~NAME/.pcp/tls) or --out DIR',
    )
  }

  const kind = options.server ? 'server' : 'client'
  const san: SanEntry[] = options.san.map(parseSan)
  const notBefore = certTime(options.now)
  const caEnd = ca.notAfter
  const wanted = addDays(notBefore, options.days)
  const warnings =
    wanted > caEnd
      ? [
          `the CA expires on ${caEnd.toISOString()}: the certificate is valid until then, not for ${options.days} days`,
        ]
      : []
  const cert: CertPlan = {
    kind,
    certPath: `${out}/${kind}.crt`,
    keyPath: `${out}/${kind}.key`,
    subject: {
      commonName: options.cn ?? (options.server ? (san[0] as SanEntry).value : (user?.name ?? 'PCP Monitor')),
      organization: options.org ?? subjectAttribute(ca.x509.subject, 'O'),
    },
    san,
    notBefore,
    notAfter: wanted > caEnd ? caEnd : wanted,
    keySize: options.keySize,
  }
  const copyCa = out !== caDir
  const files: PkiFile[] = [
    ...(copyCa ? [{path: `${out}/ca.crt`, mode: 0o644, owner, group, secret: false}] : []),
    {path: cert.certPath, mode: 0o644, owner, group, secret: false},
    {path: cert.keyPath, mode: 0o600, owner, group, secret: true},
  ]
  const caCopy = copyCa ? `${out}/ca.crt` : `${caDir}/ca.crt`
  return {
    dirs,
    files,
    certs: [cert],
    copies: new Map(copyCa ? [[`${out}/ca.crt`, ca.pem]] : []),
    signer: ca.signer,
    tlsConf: options.server
      ? [`tls-ca-cert-file = ${caCopy}`, `tls-cert-file = ${cert.certPath}`, `tls-key-file = ${cert.keyPath}`]
      : [
          `tls-ca-cert-file = ${caCopy}`,
          `tls-client-cert-file = ${cert.certPath}`,
          `tls-client-key-file = ${cert.keyPath}`,
          'tls-verify-clients = true',
        ],
    warnings,
  }
}
