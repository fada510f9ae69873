import {Conn} from './conn.js'
import {
  decodeError,
  decodeGreeting,
  decodePdu,
  encodeDescReq,
  encodeVersionCreds,
  featureNames,
  type Greeting,
  PDU_DESC,
  PDU_FLAG,
  PMCD_VERSION_PMID,
  pcpError,
  type Pdu,
} from './pdu.js'
import {inspectTls, type TlsFacts, type TlsOptions} from './tls.js'

export interface PmcdProbe {
  kind: 'pmcd'
  host: string
  port: number
  greeting?: Greeting & {featureNames: string[]}
  /** Why the probe could not speak to pmcd at all (refused, not PCP, denied). */
  failure?: string
  /** A client that asks for no encryption: accepted, refused (with pmcd's reason) or not tried. */
  plaintext?: {accepted: boolean; reason?: string}
  /** The TLS upgrade, when pmcd offers it. */
  tls?: TlsFacts | {error: string; clientCertRequired: boolean}
  /** pmcd demands a client certificate from this client (-Q), from its features or its refusal. */
  clientCertRequired: boolean
  /** pmcd demands credentials (SASL) from this client (-S, or a user/group access rule). */
  credentialsRequired: boolean
}

/** How long a probe waits for pmcd to say no after the credentials (it says nothing when it agrees). */
const VERDICT_WAIT_MS = 500

function pduParser(data: Buffer): {value: Pdu; used: number} | undefined {
  const found = decodePdu(data)
  if (!found || 'error' in found) return undefined
  return {value: found.pdu, used: found.used}
}

/** Connect and read pmcd's greeting; a Conn ready for the credentials, or why not. */
async function greet(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<{conn: Conn; greeting: Greeting} | {failure: string}> {
  let conn: Conn
  try {
    conn = await Conn.open(host, port, timeoutMs)
  } catch (error) {
    return {failure: `cannot connect: ${(error as Error).message}`}
  }
  const pdu = await conn.read(pduParser, timeoutMs)
  if (pdu === 'closed' || pdu === 'timeout') {
    const bytes = conn.pending()
    conn.close()
    return {
      failure:
        bytes.length > 0
          ? `not a PCP collector: it sent ${JSON.stringify(bytes.subarray(0, 40).toString('latin1'))}`
          : pdu === 'closed'
            ? 'the connection was closed before pmcd greeted'
            : `no PCP greeting within ${timeoutMs} ms`,
    }
  }
  const greeting = decodeGreeting(pdu)
  if (!greeting) {
    conn.close()
    return {failure: `not a PCP greeting (PDU type 0x${pdu.type.toString(16)})`}
  }
  if (greeting.status < 0) {
    conn.close()
    return {failure: `pmcd refuses this client: ${pcpError(greeting.status)}`}
  }
  return {conn, greeting}
}

/**
 * After the credentials, ask for one descriptor (pmcd.version's, read-only): a descriptor back is
 * a session pmcd serves; an error PDU or a close is a refusal.
 */
async function verdict(conn: Conn, timeoutMs: number): Promise<{accepted: boolean; reason?: string}> {
  const early = await conn.read(pduParser, VERDICT_WAIT_MS)
  if (early === 'closed') return {accepted: false, reason: 'pmcd closed the connection'}
  if (early !== 'timeout') {
    const status = decodeError(early)
    if (status !== undefined && status < 0) return {accepted: false, reason: pcpError(status)}
  }
  conn.write(encodeDescReq(PMCD_VERSION_PMID, process.pid))
  const answer = await conn.read(pduParser, timeoutMs)
  if (answer === 'closed') return {accepted: false, reason: 'pmcd closed the connection'}
  if (answer === 'timeout')
    return {accepted: false, reason: `no answer to a descriptor request within ${timeoutMs} ms`}
  if (answer.type === PDU_DESC) return {accepted: true}
  const status = decodeError(answer)
  return {
    accepted: false,
    reason: status === undefined ? `unexpected PDU 0x${answer.type.toString(16)}` : pcpError(status),
  }
}

/**
 * Probe a pmcd as a read-only client (libpcp's __pmConnectHandshake): read its greeting and
 * features, try a plaintext session (credentials asking for nothing, then one descriptor request), then a TLS
 * one (credentials asking for PDU_FLAG_SECURE, the secure-ack, a handshake). Sends no store and no
 * fetch, and nothing after the TLS handshake.
 */
export async function probePmcd(
  host: string,
  port: number,
  options: Omit<TlsOptions, 'host'>,
): Promise<PmcdProbe> {
  const result: PmcdProbe = {kind: 'pmcd', host, port, clientCertRequired: false, credentialsRequired: false}
  const first = await greet(host, port, options.timeoutMs)
  if ('failure' in first) return {...result, failure: first.failure}
  const {greeting} = first
  result.greeting = {...greeting, featureNames: featureNames(greeting.features)}
  result.clientCertRequired = (greeting.features & PDU_FLAG.CERT_REQD) !== 0
  result.credentialsRequired = (greeting.features & PDU_FLAG.CREDS_REQD) !== 0
  const mandatory = greeting.features & PDU_FLAG.CREDS_REQD

  first.conn.write(encodeVersionCreds(mandatory, process.pid))
  result.plaintext = await verdict(first.conn, options.timeoutMs)
  first.conn.close()
  if (!result.plaintext.accepted && /client certificate/.test(result.plaintext.reason ?? ''))
    result.clientCertRequired = true

  if (greeting.features & PDU_FLAG.SECURE) {
    const second = await greet(host, port, options.timeoutMs)
    if ('failure' in second) {
      result.tls = {error: second.failure, clientCertRequired: false}
      return result
    }
    const flags = mandatory | PDU_FLAG.SECURE | (second.greeting.features & PDU_FLAG.SECURE_ACK)
    second.conn.write(encodeVersionCreds(flags, process.pid))
    if (flags & PDU_FLAG.SECURE_ACK) {
      const ack = await second.conn.read(pduParser, options.timeoutMs)
      const status = typeof ack === 'string' ? undefined : decodeError(ack)
      if (status === undefined || status < 0) {
        second.conn.close()
        result.tls = {
          error: `pmcd did not agree to TLS: ${status === undefined ? `no secure-ack (${String(ack)})` : pcpError(status)}`,
          clientCertRequired: status !== undefined && /client certificate/.test(pcpError(status)),
        }
        return result
      }
    }
    result.tls = await inspectTls({socket: second.conn.detach()}, {...options, host})
    if (result.tls.clientCertRequired) result.clientCertRequired = true
  }
  return result
}
