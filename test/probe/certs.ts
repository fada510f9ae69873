import {execFileSync} from 'node:child_process'
import {writeFile} from 'node:fs/promises'
import path from 'node:path'

export interface TestPki {
  ca: string
  caKey: string
  cert: string
  key: string
  /** A CA that signed nothing here. */
  otherCa: string
}

const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, {cwd, stdio: 'pipe', timeout: 30_000})

/** A CA and a server certificate for `localhost` and 127.0.0.1 (and these addresses), made with openssl. */
export async function makePki(dir: string, addresses: readonly string[] = [], days = 30): Promise<TestPki> {
  const file = (name: string) => path.join(dir, name)
  for (const [name, cn] of [
    ['ca', 'probe test CA'],
    ['other-ca', 'unrelated CA'],
  ] as const)
    openssl(
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        `${name}.key`,
        '-out',
        `${name}.crt`,
        '-days',
        '30',
        '-subj',
        `/CN=${cn}`,
      ],
      dir,
    )
  const san = ['DNS:localhost', 'IP:127.0.0.1', ...addresses.map((a) => `IP:${a}`)].join(',')
  await writeFile(file('ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n`)
  openssl(
    [
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      'server.key',
      '-out',
      'server.csr',
      '-subj',
      '/CN=localhost',
    ],
    dir,
  )
  openssl(
    [
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.crt',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      'server.crt',
      '-days',
      String(days),
      '-extfile',
      'ext.cnf',
    ],
    dir,
  )
  return {
    ca: file('ca.crt'),
    caKey: file('ca.key'),
    cert: file('server.crt'),
    key: file('server.key'),
    otherCa: file('other-ca.crt'),
  }
}

/** A tls.conf naming this PKI, written in dir. */
export async function writeTlsConf(dir: string, pki: TestPki): Promise<string> {
  const conf = path.join(dir, 'tls.conf')
  await writeFile(
    conf,
    `tls-cert-file = ${pki.cert}\ntls-key-file = ${pki.key}\ntls-ca-cert-file = ${pki.ca}\n`,
  )
  return conf
}
