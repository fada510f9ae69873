import {request as httpRequest} from 'node:http'
import {request as httpsRequest} from 'node:https'

import {Conn} from './conn.js'
import {inspectTls, type TlsFacts, type TlsOptions} from './tls.js'

/** One GET answered by pmproxy's REST API. */
export interface HttpAnswer {
  status: number
  /** The API answered with its own JSON (not 401/403): it serves a client that sent no credentials. */
  servedWithoutCredentials: boolean
  body: string
}

export interface PmproxyProbe {
  kind: 'pmproxy'
  host: string
  port: number
  failure?: string
  /** GET /pmapi/context in plain HTTP. */
  http?: HttpAnswer | {error: string}
  /** A TLS handshake on the same port (pmproxy sniffs the first byte), and GET /pmapi/context over it. */
  https?: {
    tls: TlsFacts | {error: string; clientCertRequired: boolean}
    answer?: HttpAnswer | {error: string}
  }
  /** A RESP PING (read-only): relayed to a key server, answered with an error, or not spoken. */
  resp: {state: 'relayed' | 'error' | 'ignored'; reply?: string}
}

/** The read-only endpoint every pmproxy serves: it creates a context and changes nothing on the host. */
export const PMAPI_PATH = '/pmapi/context'
/** RESP's PING as an array of one bulk string: the harmless command that shows relaying (CVE-2024-3019). */
export const RESP_PING = '*1\r\n$4\r\nPING\r\n'

function get(
  secure: boolean,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<HttpAnswer | {error: string}> {
  return new Promise((resolve) => {
    const request = (secure ? httpsRequest : httpRequest)(
      {
        host,
        port,
        path: PMAPI_PATH,
        method: 'GET',
        timeout: timeoutMs,
        headers: {accept: 'application/json'},
        ...(secure ? {rejectUnauthorized: false} : {}),
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (c: Buffer) => chunks.push(c))
        response.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8').slice(0, 400)
          const status = response.statusCode ?? 0
          const json = /^\s*[{[]/.test(body)
          resolve({status, servedWithoutCredentials: json && status !== 401 && status !== 403, body})
        })
      },
    )
    request.on('timeout', () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    request.on('error', (error) => resolve({error: error.message}))
    request.end()
  })
}

async function respPing(host: string, port: number, timeoutMs: number): Promise<PmproxyProbe['resp']> {
  let conn: Conn
  try {
    conn = await Conn.open(host, port, timeoutMs)
  } catch {
    return {state: 'ignored'}
  }
  conn.write(RESP_PING)
  const line = await conn.read((data) => {
    const end = data.indexOf('\r\n')
    return end < 0 ? undefined : {value: data.subarray(0, end).toString('latin1'), used: end + 2}
  }, timeoutMs)
  conn.close()
  if (line === 'closed' || line === 'timeout') return {state: 'ignored'}
  if (line === '+PONG') return {state: 'relayed', reply: line}
  return line.startsWith('-') ? {state: 'error', reply: line} : {state: 'ignored', reply: line}
}

/**
 * Probe a pmproxy without credentials and without changing anything: GET /pmapi/context in HTTP
 * and HTTPS, and a RESP PING (the condition of CVE-2024-3019 is that it comes back +PONG from the
 * key server).
 */
export async function probePmproxy(
  host: string,
  port: number,
  options: Omit<TlsOptions, 'host'>,
): Promise<PmproxyProbe> {
  const result: PmproxyProbe = {kind: 'pmproxy', host, port, resp: {state: 'ignored'}}
  try {
    ;(await Conn.open(host, port, options.timeoutMs)).close()
  } catch (error) {
    return {...result, failure: `cannot connect: ${(error as Error).message}`}
  }
  result.http = await get(false, host, port, options.timeoutMs)
  const tls = await inspectTls({port}, {...options, host})
  result.https = {tls, ...('error' in tls ? {} : {answer: await get(true, host, port, options.timeoutMs)})}
  result.resp = await respPing(host, port, options.timeoutMs)
  return result
}
