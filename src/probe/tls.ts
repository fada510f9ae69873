import {X509Certificate} from 'node:crypto'
import {type Socket} from 'node:net'
import {checkServerIdentity, connect, type TLSSocket} from 'node:tls'
import {ipFamily} from '../net/ip.js'

/** What a TLS handshake showed of the server. */
export interface TlsFacts {
  protocol: string
  cipher: string
  certificate?: {
    subject: string
    issuer: string
    notAfter: string
    /** Whole days until notAfter, towards zero (negative once expired). */
    daysLeft: number
    san: string[]
    key: string
    fingerprint256: string
  }
  /** Whether the chain verifies against --ca (undefined without --ca), and why not. */
  chain?: {ok: boolean; error?: string}
  /** Whether the certificate names the host probed, and why not. */
  name: {ok: boolean; error?: string}
  /** The server refused to go on without a client certificate. */
  clientCertRequired: boolean
}

export interface TlsOptions {
  host: string
  /** CA certificates (PEM) the server's chain must verify against. */
  ca?: Buffer
  now: Date
  timeoutMs: number
}

const DAY = 86_400_000

function describeKey(cert: X509Certificate): string {
  const key = cert.publicKey
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType === 'rsa') return `RSA ${details?.modulusLength ?? '?'} bits`
  if (key.asymmetricKeyType === 'ec') return `EC ${details?.namedCurve ?? '?'}`
  return key.asymmetricKeyType?.toUpperCase() ?? 'unknown'
}

/** Whether a TLS alert or reset says the server wanted a client certificate. */
const certificateWanted = (error: Error | undefined) =>
  !!error &&
  /certificate required|handshake failure|alert number 116|peer did not return a certificate/i.test(
    error.message,
  )

/**
 * Run a TLS handshake over an open socket (pmcd after its secure-ack) or to host:port (pmproxy),
 * without a client certificate, and report the server's side. Never sends application data.
 */
export function inspectTls(
  target: {socket: Socket} | {port: number},
  options: TlsOptions,
): Promise<TlsFacts | {error: string; clientCertRequired: boolean}> {
  return new Promise((resolve) => {
    const servername = ipFamily(options.host) === 0 ? options.host : undefined
    let settled = false
    const finish = (value: TlsFacts | {error: string; clientCertRequired: boolean}) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      socket.destroy()
      resolve(value)
    }
    const timer = setTimeout(
      () =>
        finish({
          error: `TLS handshake did not finish within ${options.timeoutMs} ms`,
          clientCertRequired: false,
        }),
      options.timeoutMs,
    )
    const socket: TLSSocket = connect({
      ...('socket' in target ? {socket: target.socket} : {host: options.host, port: target.port}),
      ...(servername ? {servername} : {}),
      ...(options.ca ? {ca: options.ca} : {}),
      rejectUnauthorized: false,
      minVersion: 'TLSv1',
    })
    socket.once('error', (error) =>
      finish({error: `TLS handshake failed: ${error.message}`, clientCertRequired: certificateWanted(error)}),
    )
    socket.once('secureConnect', () => {
      const tls = socket
      const peer = tls.getPeerX509Certificate()
      const facts: TlsFacts = {
        protocol: tls.getProtocol() ?? '?',
        cipher: tls.getCipher().name,
        name: {ok: false, error: 'no certificate'},
        clientCertRequired: false,
      }
      if (peer) {
        const notAfter = new Date(peer.validTo)
        facts.certificate = {
          subject: peer.subject.replace(/\n/g, ', '),
          issuer: peer.issuer.replace(/\n/g, ', '),
          notAfter: notAfter.toISOString(),
          daysLeft: Math.trunc((notAfter.getTime() - options.now.getTime()) / DAY),
          san: (peer.subjectAltName ?? '').split(', ').filter(Boolean),
          key: describeKey(peer),
          fingerprint256: peer.fingerprint256,
        }
        const identity = checkServerIdentity(options.host, {
          subject: {CN: /CN=([^\n]*)/.exec(peer.subject)?.[1] ?? ''},
          subjectaltname: peer.subjectAltName ?? '',
        } as never)
        facts.name = identity ? {ok: false, error: identity.message} : {ok: true}
      }
      if (options.ca)
        facts.chain = tls.authorized
          ? {ok: true}
          : {ok: false, error: String(tls.authorizationError ?? 'not authorized')}
      // TLS 1.3: the server judges the client's (absent) certificate after the handshake; its alert
      // comes with the first read. Wait a moment for it.
      const wait = setTimeout(() => finish(facts), 300)
      tls.once('error', (error) => {
        clearTimeout(wait)
        finish({...facts, clientCertRequired: certificateWanted(error)})
      })
      tls.once('close', () => {
        clearTimeout(wait)
        finish(tls.getProtocol() === 'TLSv1.3' ? {...facts, clientCertRequired: true} : facts)
      })
      tls.resume()
    })
  })
}
