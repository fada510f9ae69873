import {InputError} from '../engine/errors.js'
import {ipFamily} from '../net/ip.js'

/** One subjectAltName entry: a DNS name (a leading `*.` allowed) or an IP address. */
export type SanEntry = {type: 'dns'; value: string} | {type: 'ip'; value: string}

/** A certificate's subject: written as `O=<organization>, CN=<commonName>`, as the `-subj` of the PCP User's and Administrator's Guide, "Establishing Secure Connections", does. */
export interface Subject {
  commonName: string
  organization?: string
}

const LABEL = /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$/

/** A `--san` value as an entry, or an InputError saying what is wrong with it. */
export function parseSan(text: string): SanEntry {
  const value = text.trim()
  if (ipFamily(value)) return {type: 'ip', value}
  const name = value.replace(/\.$/, '')
  const labels = (name.startsWith('*.') ? name.slice(2) : name).split('.')
  if (name.length === 0 || name.length > 253 || !labels.every((l) => LABEL.test(l)))
    throw new InputError(`--san ${JSON.stringify(text)}: not a DNS name or an IP address`)
  return {type: 'dns', value: name}
}

/** `DNS:pcp1.example.com, IP:10.1.2.3`, as openssl x509 -text shows the extension. */
export function formatSans(sans: readonly SanEntry[]): string {
  return sans.map((s) => `${s.type === 'ip' ? 'IP' : 'DNS'}:${s.value}`).join(', ')
}

export function formatSubject(subject: Subject): string {
  return [...(subject.organization ? [`O=${subject.organization}`] : []), `CN=${subject.commonName}`].join(
    ', ',
  )
}

/** The attribute value of a subject written as Node's X509Certificate.subject shows it (`O=...\nCN=...`). */
export function subjectAttribute(subject: string, attribute: string): string | undefined {
  const prefix = `${attribute}=`
  return subject
    .split('\n')
    .find((line) => line.startsWith(prefix))
    ?.slice(prefix.length)
}
