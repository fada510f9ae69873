import {hostname} from 'node:os'

import {InputError} from '../engine/errors.js'
import type {Host} from '../host/host.js'
import type {CertKind} from './build.js'
import {parseSan, type SanEntry} from './names.js'
import {addDays, certTime, type CertPlan, hostDir, type PkiRun, rootUser} from './run.js'
import type {PkiFile} from './write.js'

export interface InitOptions {
  dir: string
  caDir?: string
  san: string[]
  cn?: string
  caCn: string
  org: string
  days: number
  caDays: number
  keySize: number
  owner: string
  now: Date
}

/** The --san entries, or the host's name: /etc/hostname under --root, or this machine's name when --root is /. */
async function subjectAltNames(host: Host, values: readonly string[]): Promise<SanEntry[]> {
  if (values.length > 0) return values.map(parseSan)
  const file = await host.readText('/etc/hostname')
  const name = file.ok ? file.value.split('\n')[0]?.trim() : host.live ? hostname() : undefined
  if (!name) throw new InputError('no --san given and the root has no /etc/hostname: give --san NAME')
  return [parseSan(name)]
}

/**
 * What `cert init` makes: a CA (ca.crt, ca.key; in --ca-dir when given, else in --dir), and a
 * server and a client certificate for the collector in --dir. Keys are 0600: the collector's
 * owned by --owner and its primary group, the CA's by root (pcp never needs it); certificates are
 * 0644 root:root; --dir is 0750 root:<owner's group> so that pmcd, as pcp, can enter it; --ca-dir 0700.
 */
export async function planInit(host: Host, options: InitOptions): Promise<PkiRun> {
  const owner = await rootUser(host, options.owner, '--owner')
  const group = owner.gid ?? owner.id
  const dir = hostDir(options.dir, '--dir')
  const caDir = options.caDir === undefined ? dir : hostDir(options.caDir, '--ca-dir')
  const san = await subjectAltNames(host, options.san)
  const serverName = options.cn ?? (san[0] as SanEntry).value
  const notBefore = certTime(options.now)
  const leaf = (kind: CertKind, commonName: string, names: SanEntry[]): CertPlan => ({
    kind,
    certPath: `${dir}/${kind}.crt`,
    keyPath: `${dir}/${kind}.key`,
    subject: {commonName, organization: options.org},
    san: names,
    notBefore,
    notAfter: addDays(notBefore, options.days),
    keySize: options.keySize,
  })
  const certs: CertPlan[] = [
    {
      kind: 'ca',
      certPath: `${caDir}/ca.crt`,
      keyPath: `${caDir}/ca.key`,
      subject: {commonName: options.caCn, organization: options.org},
      san: [],
      notBefore,
      notAfter: addDays(notBefore, options.caDays),
      keySize: options.keySize,
      ...(caDir === dir ? {} : {copiesAt: [`${dir}/ca.crt`]}),
    },
    leaf('server', serverName, san),
    leaf('client', `${serverName} (client)`, []),
  ]
  const certificate = (p: string): PkiFile => ({path: p, mode: 0o644, owner: 0, group: 0, secret: false})
  const key = (p: string, uid: number, gid: number): PkiFile => ({
    path: p,
    mode: 0o600,
    owner: uid,
    group: gid,
    secret: true,
  })
  const files: PkiFile[] = [
    certificate(`${caDir}/ca.crt`),
    key(`${caDir}/ca.key`, 0, 0),
    ...(caDir === dir ? [] : [certificate(`${dir}/ca.crt`)]),
    certificate(`${dir}/server.crt`),
    key(`${dir}/server.key`, owner.id, group),
    certificate(`${dir}/client.crt`),
    key(`${dir}/client.key`, owner.id, group),
  ]
  const dirs = [
    ...(caDir === dir ? [] : [{path: caDir, mode: 0o700, owner: 0, group: 0}]),
    {path: dir, mode: 0o750, owner: 0, group},
  ]
  const warnings =
    caDir === dir
      ? [
          `the CA key ${caDir}/ca.key is on the collector: whoever reads it can issue certificates that ` +
            'every host trusting this CA accepts. Keep it elsewhere (--ca-dir on another disk), or move it off ' +
            'this host once the monitors have their certificates.',
        ]
      : []
  return {
    dirs,
    files,
    certs,
    copies: new Map(),
    tlsConf: [
      `tls-ca-cert-file = ${dir}/ca.crt`,
      `tls-cert-file = ${dir}/server.crt`,
      `tls-key-file = ${dir}/server.key`,
      `tls-client-cert-file = ${dir}/client.crt`,
      `tls-client-key-file = ${dir}/client.key`,
    ],
    warnings,
  }
}
